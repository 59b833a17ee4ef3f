-- The Decision 766 table each publication prints: per period and commune, the points of each group, the
-- commune's total and its rank. A commune whose dossier figures are held back (its online rate is withheld)
-- is not ranked. The others are ranked among themselves by standard competition ranking (1, 1, 3 ...) on
-- the total as printed (2 decimals), so two totals a reader sees as equal share a rank (`tied`, printed
-- «đồng hạng») and the next rank counts them both; `ranked_count` is the X of «hạng 3/X». Without held
-- figures the ranks equal fct_service_index.commune_rank. `board_order`: ranked communes best first, then
-- the others, by name in Vietnamese order.
with groups as (
    select
        index.period_key,
        index.commune_id,
        communes.name_with_type as name,
        index.group_code,
        sum(index.points) as points,
        max(index.commune_points) as total,
        max(index.commune_max_points) as max_points
    from {{ ref('fct_service_index') }} as index
    join {{ ref('dim_commune') }} as communes using (commune_id)
    group by index.period_key, index.commune_id, communes.name_with_type, index.group_code
),

held as (
    select period_key, commune_id from {{ ref('published_figures') }}
    where scope = 'commune' and indicator_code = 'DOS_ONLINE_RATE' and withheld
),

communes as (
    select
        period_key,
        commune_id,
        max(name) as name,
        max(total) as total,
        max(max_points) as max_points,
        bool_or(held.commune_id is not null) as withheld
    from groups
    left join held using (period_key, commune_id)
    group by period_key, commune_id
),

judged as (
    select
        *,
        not withheld and total is not null as is_ranked,
        {{ round_to('total', 2) }} as printed_total
    from communes
),

ranked as (
    select
        *,
        case when is_ranked then
            rank() over (partition by period_key, is_ranked order by printed_total desc)
        end as rank,
        count(*) filter (where is_ranked) over (partition by period_key) as ranked_count,
        is_ranked and count(*) over (partition by period_key, is_ranked, printed_total) > 1 as tied
    from judged
)

select
    groups.period_key,
    groups.commune_id,
    ranked.name,
    groups.group_code,
    groups.points,
    ranked.total,
    ranked.max_points,
    ranked.withheld,
    ranked.rank,
    case when ranked.is_ranked then ranked.ranked_count end as ranked_count,
    ranked.tied,
    dense_rank() over (
        partition by groups.period_key
        order by not ranked.is_ranked, case when ranked.is_ranked then -ranked.printed_total end nulls last,
            {{ vietnamese_order('ranked.name') }}, groups.commune_id
    ) as board_order
from groups
join ranked using (period_key, commune_id)
