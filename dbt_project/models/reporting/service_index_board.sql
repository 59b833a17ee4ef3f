-- The Decision 766 table each publication prints: per period and commune, the points of each group, the
-- commune's total and its rank. A commune whose dossier figures are held back (its online rate is withheld)
-- is not ranked; the others are ranked densely among themselves, so without held figures the ranks equal
-- fct_service_index.commune_rank. `board_order`: ranked communes best first, then the others, by name.
with groups as (
    select
        index.period_key,
        index.commune_id,
        communes.name_with_type as name,
        index.group_code,
        sum(index.points) as points,
        any_value(index.commune_points) as total,
        any_value(index.commune_max_points) as max_points
    from {{ ref('fct_service_index') }} as index
    join {{ ref('dim_commune') }} as communes using (commune_id)
    group by all
),

held as (
    select period_key, commune_id from {{ ref('published_figures') }}
    where scope = 'commune' and indicator_code = 'DOS_ONLINE_RATE' and withheld
),

communes as (
    select
        period_key,
        commune_id,
        any_value(name) as name,
        any_value(total) as total,
        any_value(max_points) as max_points,
        bool_or(held.commune_id is not null) as withheld
    from groups
    left join held using (period_key, commune_id)
    group by all
),

ranked as (
    select
        *,
        not withheld and total is not null as is_ranked,
        case when not withheld and total is not null then
            dense_rank() over (
                partition by period_key, not withheld and total is not null order by round(total, 4) desc
            )
        end as rank
    from communes
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
    dense_rank() over (
        partition by groups.period_key
        order by not ranked.is_ranked, case when ranked.is_ranked then -round(ranked.total, 4) end nulls last,
            ranked.name, groups.commune_id
    ) as board_order
from groups
join ranked using (period_key, commune_id)
