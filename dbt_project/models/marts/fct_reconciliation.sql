-- What each commune reported against what the dossier system and staffing lists show, for every commune,
-- period and indicator both sources have. Tolerances are project variables: rates within
-- `reconciliation_rate_tolerance_pp` percentage points; counts within `reconciliation_count_tolerance_pct`
-- per cent of the system figure, and never stricter than `reconciliation_count_tolerance_min`.
with facts as (
    select * from {{ ref('fct_commune_indicator') }} where scope = 'commune'
),

indicators as (
    select indicator_code, kind from {{ ref('dim_indicator') }}
),

paired as (
    select
        reported.commune_id,
        reported.period_key,
        reported.indicator_code,
        indicators.kind,
        reported.value as reported_value,
        system.value as system_value,
        reported.reported_rate_text,
        reported.submission_id,
        reported.value - system.value as difference
    from facts as reported
    join facts as system
        on system.source = 'system'
        and system.commune_id = reported.commune_id
        and system.period_key = reported.period_key
        and system.indicator_code = reported.indicator_code
    join indicators on indicators.indicator_code = reported.indicator_code
    where reported.source = 'reported'
),

judged as (
    select
        *,
        case
            when kind = 'rate' then {{ var('reconciliation_rate_tolerance_pp') }}
            else greatest(
                {{ var('reconciliation_count_tolerance_min') }},
                abs(system_value) * {{ var('reconciliation_count_tolerance_pct') }} / 100.0
            )
        end as tolerance
    from paired
)

select
    concat_ws('|', commune_id, period_key, indicator_code) as reconciliation_key,
    commune_id,
    period_key,
    indicator_code,
    reported_value,
    system_value,
    round(difference, 6) as difference,
    case when system_value <> 0 then round(100.0 * difference / system_value, 4) end as relative_difference_pct,
    tolerance,
    case
        when reported_value is null or system_value is null then null
        else abs(difference) <= tolerance
    end as is_within_tolerance,
    reported_rate_text,
    submission_id
from judged
