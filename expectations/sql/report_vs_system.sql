-- What a commune reported for a quarter against what the dossier system or the staffing list shows,
-- outside the tolerance set in dbt_project.yml (fct_reconciliation).
select
    reconciliation.commune_id,
    reconciliation.period_key,
    reconciliation.indicator_code,
    reconciliation.submission_id as subject,
    reconciliation.reported_value::varchar as observed_value,
    reconciliation.compared_value::varchar as expected_value,
    reported.source_file as evidence_file,
    reported.source_row as evidence_row,
    coalesce(reported.reported_rate_text, reported.numerator_text) as evidence_text,
    dim_indicator.name_vi as indicator_vi,
    case when dim_indicator.kind = 'rate' then ' %' else '' end as unit,
    -- a difference between two rates is in percentage points, not per cent
    case when dim_indicator.kind = 'rate' then ' điểm phần trăm' else '' end as gap_unit,
    round(reconciliation.reported_value, 2) as reported_value,
    round(reconciliation.compared_value, 2) as system_value,
    round(abs(reconciliation.difference), 2) as gap
from {batch} as reconciliation
join marts.dim_period using (period_key)
join marts.dim_indicator using (indicator_code)
left join intermediate.int_indicators_reported as reported
    on reported.submission_id = reconciliation.submission_id
    and reported.indicator_code = reconciliation.indicator_code
where reconciliation.source = 'reported' and reconciliation.compared_with = 'system'
  and dim_period.period_type = 'quarter' and reconciliation.is_within_tolerance = false
