-- What each commune reported on the version of its form in force (latest submitted), per period and
-- indicator: the figures as parsed with the text as written, the rate as printed (number, text and how many
-- decimals it was printed with), the submission used and where in which file the row is (evidence for the
-- data-quality findings).
with forms as (
    select * from {{ ref('int_submissions_latest') }}
),

form_files as (
    select submission_id, source_file from {{ ref('stg_submissions__forms') }}
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
    submission_values.numerator_text,
    submission_values.denominator_text,
    submission_values.reported_rate,
    submission_values.reported_rate_text,
    -- `99,81%` → 2, `99,8 %` → 1, `100%` → 0; a dot with one or two digits is a decimal point too
    case
        when submission_values.reported_rate_text is null then null
        else coalesce(
            length({{ regexp_group('submission_values.reported_rate_text', "',(\\d+)\\s*%?\\s*$'") }}),
            length({{ regexp_group('submission_values.reported_rate_text', "'\\.(\\d{1,2})\\s*%?\\s*$'") }}),
            0
        )
    end as reported_rate_decimals,
    forms.submission_id,
    forms.submitted_on,
    forms.versions_received,
    form_files.source_file,
    submission_values.source_row
from forms
join submission_values using (submission_id)
left join form_files using (submission_id)
