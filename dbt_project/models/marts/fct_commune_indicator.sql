-- Indicators per commune and period, plus province rows. System figures are counted from dossier rows
-- over the whole period window, so 9-month and year figures are ratios of sums by construction.
with dossiers as (
    select * from {{ ref('int_dossiers_classified') }} where commune_id is not null
),

periods as (
    select period_key, starts_on, ends_on from {{ ref('dim_period') }}
),

online_rate as (
    select
        periods.period_key,
        dossiers.commune_id,
        'DOS_ONLINE_RATE' as indicator_code,
        count(*) filter (where dossiers.channel = 'online') as numerator,
        count(*) as denominator
    from dossiers
    join periods on dossiers.received_at::date between periods.starts_on and periods.ends_on
    group by all
),

communes as (
    select 'commune' as scope, commune_id, period_key, indicator_code, numerator, denominator
    from online_rate
),

province as (
    select
        'province' as scope,
        null as commune_id,
        period_key,
        indicator_code,
        sum(numerator) as numerator,
        sum(denominator) as denominator
    from online_rate
    group by period_key, indicator_code
),

combined as (
    select * from communes
    union all
    select * from province
)

select
    concat_ws('|', scope, coalesce(commune_id, '*'), period_key, indicator_code, 'system') as fact_key,
    scope,
    commune_id,
    period_key,
    indicator_code,
    'system' as source,
    numerator::bigint as numerator,
    denominator::bigint as denominator,
    case when denominator > 0 then round(100.0 * numerator / denominator, 6) end as value
from combined
