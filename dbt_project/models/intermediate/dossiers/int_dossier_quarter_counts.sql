-- Per commune and quarter, the dossiers received in the quarter and where each stood on its last day
-- (Decision 766: still-open dossiers are judged at the end of the period). Every commune gets a row for
-- every quarter the dossier system covers, with zeros where it received nothing, so roll-ups over quarters
-- can tell "none received" from "no data".
with dossiers as (
    select * from {{ ref('int_dossiers_classified') }}
),

quarters as (
    select period_key, starts_on, ends_on, ends_on + interval '1 day' as ends_before
    from {{ ref('int_periods') }}
    where period_type = 'quarter'
),

in_quarter as (
    select
        quarters.period_key,
        quarters.ends_before,
        dossiers.*,
        dossiers.outcome not in ('withdrawn', 'open')
            and dossiers.finished_at < quarters.ends_before as is_resolved
    from dossiers
    join quarters on dossiers.received_at >= quarters.starts_on and dossiers.received_at < quarters.ends_before
),

counted as (
    select
        period_key,
        commune_id,
        count(*) as received,
        count(*) filter (where channel = 'online') as online,
        count(*) filter (where channel = 'in_person') as in_person,
        count(*) filter (where channel = 'postal') as postal,
        count(*) filter (where is_resolved) as resolved,
        count(*) filter (where outcome <> 'withdrawn' and not is_resolved) as in_progress,
        count(*) filter (where outcome <> 'withdrawn' and not is_resolved and due_at < ends_before)
            as overdue_open,
        count(*) filter (where outcome = 'withdrawn') as withdrawn,
        count(*) filter (where is_resolved and outcome = 'early') as early,
        count(*) filter (where is_resolved and outcome = 'on_time') as on_time,
        count(*) filter (where is_resolved and outcome = 'late') as late,
        count(*) filter (where is_resolved and outcome = 'invalid_dates') as invalid_dates,
        count(*) filter (where is_intake_digitised) as intake_digitised,
        count(*) filter (where is_resolved and is_result_digitised) as result_digitised,
        count(*) filter (where is_resolved and is_intake_digitised and is_result_digitised) as fully_digitised,
        count(*) filter (where is_fee_bearing) as fee_bearing,
        count(*) filter (where is_fee_bearing and is_paid_online) as paid_online
    from in_quarter
    where commune_id is not null
    group by period_key, commune_id
),

covered_quarters as (
    select distinct period_key from in_quarter
),

grid as (
    select communes.commune_id, covered_quarters.period_key
    from {{ ref('ref_communes') }} as communes
    cross join covered_quarters
)

select
    grid.period_key,
    grid.commune_id,
    {% for column in ['received', 'online', 'in_person', 'postal', 'resolved', 'in_progress', 'overdue_open',
                      'withdrawn', 'early', 'on_time', 'late', 'invalid_dates', 'intake_digitised',
                      'result_digitised', 'fully_digitised', 'fee_bearing', 'paid_online'] %}
    coalesce(counted.{{ column }}, 0) as {{ column }}{{ ',' if not loop.last }}
    {% endfor %}
from grid
left join counted using (period_key, commune_id)
