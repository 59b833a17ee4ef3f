-- The findings a publication lists or counts: open and accepted ones, with the commune's and the
-- indicator's names, in the order the annex prints them (errors first, then by rule, commune, period).
select
    findings.severity,
    findings.rule_code,
    findings.commune_id,
    communes.name_with_type as commune_name,
    findings.period_key,
    indicators.name_vi as indicator_name,
    findings.message_vi,
    findings.evidence_file,
    findings.evidence_row,
    findings.evidence_text,
    findings.status,
    row_number() over (
        order by findings.severity = 'error' desc, findings.rule_code,
            {{ vietnamese_order('communes.name_with_type') }} nulls first,
            findings.period_key, findings.indicator_code nulls first, findings.evidence_file nulls first,
            findings.evidence_row nulls first, findings.finding_key
    ) as print_order
from (
    select * from {{ source('quality', 'dq_findings') }}
    where status in ('open', 'accepted')
) as findings
left join {{ ref('dim_commune') }} as communes using (commune_id)
left join {{ ref('dim_indicator') }} as indicators using (indicator_code)
