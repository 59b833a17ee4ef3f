-- A commune's figure against another source's, for every commune, period and indicator both have:
--   reported  vs system    the form against the dossier system or the staffing list;
--   extracted vs system    the narrative report against the dossier system or the staffing list;
--   extracted vs reported  the narrative report against the form.
-- A narrative report whose figures cover only part of the period (`từ 01/7 đến 10/9`) is not compared.
-- Tolerances are project variables: rates within `reconciliation_rate_tolerance_pp` percentage points;
-- counts within `reconciliation_count_tolerance_pct` per cent of the compared figure, and never stricter
-- than `reconciliation_count_tolerance_min`.
with facts as (
    select * from {{ ref('fct_commune_indicator') }} where scope = 'commune'
),

indicators as (
    select indicator_code, kind from {{ ref('dim_indicator') }}
),

comparisons (source, compared_with) as (
    values ('reported', 'system'), ('extracted', 'system'), ('extracted', 'reported')
),

partial_reports as (
    select distinct report_id from {{ ref('int_indicators_extracted') }} where not covers_period
),

paired as (
    select
        own.commune_id,
        own.period_key,
        own.indicator_code,
        own.source,
        comparisons.compared_with,
        indicators.kind,
        own.value as reported_value,
        other.value as compared_value,
        own.reported_rate_text,
        own.submission_id,
        own.value - other.value as difference
    from facts as own
    join comparisons on comparisons.source = own.source
    join facts as other
        on other.source = comparisons.compared_with
        and other.commune_id = own.commune_id
        and other.period_key = own.period_key
        and other.indicator_code = own.indicator_code
    join indicators on indicators.indicator_code = own.indicator_code
    where own.submission_id is null or own.submission_id not in (select report_id from partial_reports)
),

judged as (
    select
        *,
        case
            when kind = 'rate' then {{ var('reconciliation_rate_tolerance_pp') }}
            else greatest(
                {{ var('reconciliation_count_tolerance_min') }},
                abs(compared_value) * {{ var('reconciliation_count_tolerance_pct') }} / 100.0
            )
        end as tolerance
    from paired
)

select
    concat_ws('|', commune_id, period_key, indicator_code, source, compared_with) as reconciliation_key,
    commune_id,
    period_key,
    indicator_code,
    source,
    compared_with,
    reported_value,
    compared_value,
    {{ round_to('difference', 6) }} as difference,
    case when compared_value <> 0 then {{ round_to('100.0 * difference / compared_value', 4) }} end
        as relative_difference_pct,
    tolerance,
    case
        when reported_value is null or compared_value is null then null
        else abs(difference) <= tolerance
    end as is_within_tolerance,
    reported_rate_text,
    submission_id
from judged
