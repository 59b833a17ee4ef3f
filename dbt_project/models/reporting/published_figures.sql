-- The figure of record each publication prints, per scope, commune, period and indicator: the dossier
-- system's or the staffing list's where the catalogue names a system that computes it, else the commune's
-- form; `withheld` when an open error holds it back (held_back_figures).
with indicators as (
    select
        indicator_code,
        case when coalesce(system_source, '') <> '' then 'system' else 'reported' end as record_source
    from {{ ref('dim_indicator') }}
),

figures as (
    select
        facts.scope,
        facts.commune_id,
        facts.period_key,
        facts.indicator_code,
        facts.numerator,
        facts.denominator,
        facts.value,
        facts.communes_covered,
        facts.source
    from {{ ref('fct_commune_indicator') }} as facts
    join indicators
        on indicators.indicator_code = facts.indicator_code and indicators.record_source = facts.source
),

held as (
    select commune_id, period_key, indicator_code, source from {{ ref('held_back_figures') }}
)

select
    figures.*,
    exists (
        select 1 from held
        where held.commune_id = figures.commune_id and held.period_key = figures.period_key
          and held.source = figures.source
          and (held.indicator_code is null or held.indicator_code = figures.indicator_code)
    ) as withheld
from figures
