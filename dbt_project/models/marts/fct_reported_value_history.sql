-- Every version of every figure a commune reported, so a correction keeps the old value visible: one row
-- per commune × period × indicator × form version, valid from its submission until the next version's.
-- Built from the raw versions (every file is kept), so the history does not depend on when dbt ran.
with forms as (
    select * from {{ ref('stg_submissions__forms') }} where commune_id is not null
),

versions as (
    select
        *,
        row_number() over (
            partition by commune_id, period_key order by submitted_on nulls first, ingested_at, submission_id
        ) as version_number,
        count(*) over (partition by commune_id, period_key) as versions_received
    from forms
),

submission_values as (
    select * from {{ ref('stg_submissions__values') }}
),

history as (
    select
        versions.commune_id,
        versions.period_key,
        submission_values.indicator_code,
        versions.version_number,
        versions.version_number = versions.versions_received as is_in_force,
        versions.submission_id,
        versions.submitted_on as valid_from,
        lead(versions.submitted_on) over (
            partition by versions.commune_id, versions.period_key, submission_values.indicator_code
            order by versions.version_number
        ) as valid_to,
        submission_values.numerator,
        submission_values.denominator,
        submission_values.reported_rate,
        submission_values.reported_rate_text,
        lag(submission_values.numerator) over (
            partition by versions.commune_id, versions.period_key, submission_values.indicator_code
            order by versions.version_number
        ) as previous_numerator,
        lag(submission_values.denominator) over (
            partition by versions.commune_id, versions.period_key, submission_values.indicator_code
            order by versions.version_number
        ) as previous_denominator
    from versions
    join submission_values using (submission_id)
)

select
    concat_ws('|', commune_id, period_key, indicator_code, version_number) as history_key,
    *,
    version_number > 1 and (
        numerator is distinct from previous_numerator or denominator is distinct from previous_denominator
    ) as is_changed
from history
