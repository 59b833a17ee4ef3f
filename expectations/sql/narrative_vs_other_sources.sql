-- What a commune's narrative report states against the dossier system or staffing list, and against the
-- commune's own form, outside the tolerance set in dbt_project.yml (fct_reconciliation; reports whose
-- figures cover only part of the period are not compared).
select
    reconciliation.commune_id,
    reconciliation.period_key,
    reconciliation.indicator_code,
    reconciliation.submission_id || '|' || reconciliation.compared_with as subject,
    reconciliation.reported_value::varchar as observed_value,
    reconciliation.compared_value::varchar as expected_value,
    extracted.source_file as evidence_file,
    null::integer as evidence_row,  -- the position is in the evidence text
    extracted.position || ': ' || extracted.evidence_sentence as evidence_text,
    dim_indicator.name_vi as indicator_vi,
    case when dim_indicator.kind = 'rate' then ' %' else '' end as unit,
    -- a difference between two rates is in percentage points, not per cent
    case when dim_indicator.kind = 'rate' then ' điểm phần trăm' else '' end as gap_unit,
    case reconciliation.compared_with when 'system' then 'hệ thống' else 'biểu mẫu của xã' end as compared_vi,
    round(reconciliation.reported_value, 2) as reported_value,
    round(reconciliation.compared_value, 2) as compared_value,
    round(abs(reconciliation.difference), 2) as gap
from {batch} as reconciliation
join marts.dim_indicator using (indicator_code)
join intermediate.int_indicators_extracted as extracted
    on extracted.report_id = reconciliation.submission_id
    and extracted.indicator_code = reconciliation.indicator_code
where reconciliation.source = 'extracted' and reconciliation.is_within_tolerance = false
