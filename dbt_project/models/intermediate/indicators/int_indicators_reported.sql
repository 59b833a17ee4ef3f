-- What each commune reported on the version of its form in force (latest submitted), per period and
-- indicator: the figures as parsed, the rate as printed (number and text) and the submission used.
with forms as (
    select * from {{ ref('int_submissions_latest') }}
),

submission_values as (
    select * from {{ ref('stg_submissions__values') }}
)

select
    forms.period_key,
    forms.commune_id,
    submission_values.indicator_code,
    submission_values.numerator,
    submission_values.denominator,
    submission_values.reported_rate,
    submission_values.reported_rate_text,
    forms.submission_id,
    forms.submitted_on,
    forms.versions_received
from forms
join submission_values using (submission_id)
