-- The Decision 766 service-quality groups that dossier data supports, per commune and period: the rate,
-- the threshold and points from the catalogue (full points at or above the threshold, otherwise
-- rate × max ÷ threshold), the commune's total over these groups and its rank in the province.
-- 9-month and year rates are ratios of the quarters' sums, and exist only when every quarter is there.
with counts as (
    select * from {{ ref('int_dossier_quarter_counts') }}
),

periods as (
    select period_key, quarter_keys from {{ ref('dim_period') }}
),

criteria as (
    select * from {{ ref('ref_service_index_criteria') }}
),

quarter_rates as (
    select period_key, commune_id, 'RESOLUTION_ON_TIME' as criterion_code,
        early + on_time as numerator, resolved + overdue_open as denominator
    from counts
    union all
    select period_key, commune_id, 'ONLINE_SHARE', online, received from counts
    union all
    select period_key, commune_id, 'ONLINE_PAYMENT', paid_online, fee_bearing from counts
    union all
    select period_key, commune_id, 'DIGITISATION', fully_digitised, received from counts
),

rates as (
    select
        periods.period_key,
        quarter_rates.commune_id,
        quarter_rates.criterion_code,
        sum(quarter_rates.numerator)::bigint as numerator,
        sum(quarter_rates.denominator)::bigint as denominator
    from periods
    join quarter_rates on quarter_rates.period_key = any(periods.quarter_keys)
    group by periods.period_key, quarter_rates.commune_id, quarter_rates.criterion_code
    having count(distinct quarter_rates.period_key) = max(cardinality(periods.quarter_keys))
),

scored as (
    select
        rates.*,
        criteria.group_code,
        criteria.max_points,
        criteria.threshold_pct,
        case when rates.denominator > 0 then 100.0 * rates.numerator / rates.denominator end as rate
    from rates
    join criteria using (criterion_code)
),

pointed as (
    select
        *,
        case
            when rate is null then null
            when rate >= threshold_pct then max_points
            else rate * max_points / threshold_pct
        end as points
    from scored
),

totals as (
    select
        *,
        sum(points) over (partition by period_key, commune_id) as commune_points,
        sum(max_points) filter (where points is not null) over (partition by period_key, commune_id)
            as commune_max_points
    from pointed
),

-- standard competition ranking (1, 1, 3) on the points as printed (2 decimals): equal as a reader sees them,
-- equal in rank, and the next rank counts every commune ahead (one row per commune, not per criterion)
commune_ranks as (
    select
        period_key,
        commune_id,
        rank() over (partition by period_key order by {{ round_to('max(commune_points)', 2) }} desc nulls last)
            as commune_rank
    from totals
    group by period_key, commune_id
)

select
    concat_ws('|', period_key, commune_id, criterion_code) as service_index_key,
    period_key,
    commune_id,
    group_code,
    criterion_code,
    numerator,
    denominator,
    {{ round_to('rate', 4) }} as rate,
    threshold_pct,
    max_points,
    {{ round_to('points', 4) }} as points,
    {{ round_to('commune_points', 4) }} as commune_points,
    commune_max_points,
    rank() over (partition by period_key, criterion_code order by {{ round_to('points', 2) }} desc nulls last)
        as criterion_rank,
    commune_ranks.commune_rank
from totals
join commune_ranks using (period_key, commune_id)
