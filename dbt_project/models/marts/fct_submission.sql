-- Reporting completeness and timeliness: one row per commune and request (period for which communes file
-- the form). Timeliness is judged on the first version received (a later correction does not make a
-- report late); a period whose deadline has not come yet is `not_yet_due`, not missing.
-- `as_of_date` (a project variable, default today) fixes "today" for reproducible runs and tests.
{% set as_of = "'" ~ var('as_of_date') ~ "'::date" if var('as_of_date', none) else 'current_date' %}
with periods as (
    select * from {{ ref('dim_period') }} where expects_form
),

forms as (
    select
        *,
        coalesce(submitted_on, ingested_at::date) as received_on
    from {{ ref('stg_submissions__forms') }}
    where commune_id is not null
),

per_commune as (
    select
        period_key,
        commune_id,
        min(received_on) as first_submitted_on,
        max(received_on) as latest_submitted_on,
        count(*) as versions_received
    from forms
    group by period_key, commune_id
),

latest as (
    select period_key, commune_id, submission_id from {{ ref('int_submissions_latest') }}
)

select
    concat_ws('|', periods.period_key, communes.commune_id) as submission_key,
    periods.period_key,
    communes.commune_id,
    periods.request_letter,
    periods.due_on,
    case
        when per_commune.first_submitted_on is null and periods.due_on >= {{ as_of }} then 'not_yet_due'
        when per_commune.first_submitted_on is null then 'missing'
        when per_commune.first_submitted_on <= periods.due_on then 'on_time'
        else 'late'
    end as status,
    per_commune.first_submitted_on,
    per_commune.latest_submitted_on,
    case
        when per_commune.first_submitted_on > periods.due_on
            then ({{ dbt.datediff('periods.due_on', 'per_commune.first_submitted_on', 'day') }})::bigint
    end as days_late,
    coalesce(per_commune.versions_received, 0) as versions_received,
    coalesce(per_commune.versions_received, 0) > 1 as is_resubmitted,
    latest.submission_id as submission_id_in_force
from periods
cross join {{ ref('dim_commune') }} as communes
left join per_commune
    on per_commune.period_key = periods.period_key and per_commune.commune_id = communes.commune_id
left join latest
    on latest.period_key = periods.period_key and latest.commune_id = communes.commune_id
