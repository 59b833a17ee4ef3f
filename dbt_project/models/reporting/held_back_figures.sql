-- The figures an open (not accepted) error holds back, per commune, period and source: the indicators the
-- rule names, else the finding's own indicator, else (null) every indicator of that source; for the
-- finding's quarter and every longer period that quarter rolls into (a narrative report's: its own period).
with findings as (
    select * from {{ source('quality', 'dq_findings') }}
    where status = 'open' and severity = 'error' and affects in ('reported', 'system', 'extracted')
),

periods as (
    select period_key, quarter_keys from {{ ref('dim_period') }}
)

select distinct
    findings.commune_id,
    periods.period_key,
    indicators.indicator_code,
    findings.affects as source,
    findings.finding_key
from findings
join periods
    on case
        -- a narrative report's figures stand for its own period only (never rolled up)
        when findings.affects = 'extracted' then periods.period_key = findings.period_key
        else findings.period_key = any(periods.quarter_keys)
    end
left join lateral (
    select unnest(coalesce(findings.affected_indicators, array[findings.indicator_code])) as indicator_code
) as indicators on true
