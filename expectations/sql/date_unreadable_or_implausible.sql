-- A date on the form that cannot be read or has an impossible year (30/09/20025): the coverage dates and
-- the signing date must be real dates within a year of the period. Judged on the version in force.
with forms as (
    select forms.*, dim_period.period_year
    from {batch} as forms
    join intermediate.int_submissions_latest using (submission_id)
    join marts.dim_period on dim_period.period_key = forms.period_key
),

judged as (
    select forms.*, dates.field_vi, dates.field_code, dates.written, dates.parsed
    from forms
    join lateral (
        select * from (values
            ('ngày bắt đầu số liệu', 'coverage_from', forms.coverage_from_text, forms.coverage_from),
            ('ngày kết thúc số liệu', 'coverage_to', forms.coverage_to_text, forms.coverage_to),
            ('ngày ký báo cáo', 'submitted_on', forms.submitted_on_text, forms.submitted_on)
        ) as v(field_vi, field_code, written, parsed)
    ) as dates on true
)

select
    commune_id,
    period_key,
    null::varchar as indicator_code,
    concat(submission_id, '|', field_code) as subject,
    written as observed_value,
    concat('một ngày của năm ', period_year - 1, '–', period_year + 1) as expected_value,
    source_file as evidence_file,
    null::integer as evidence_row,
    concat(field_vi, ': ', written) as evidence_text,
    field_vi,
    written
from judged
where written is not null and trim(written) <> ''
  and (parsed is null or year(parsed) not between period_year - 1 and period_year + 1)
