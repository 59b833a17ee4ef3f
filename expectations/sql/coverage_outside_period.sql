-- The coverage dates a form states lie inside its period, and end after they start; the form is not
-- signed after it was received. Judged on the version in force.
with forms as (
    select forms.*, dim_period.starts_on, dim_period.ends_on
    from {batch} as forms
    join intermediate.int_submissions_latest using (submission_id)
    join marts.dim_period on dim_period.period_key = forms.period_key
),

problems as (
    select *, 'coverage_outside_period' as problem,
        concat(coverage_from_text, ' – ', coverage_to_text) as observed,
        concat(strftime(starts_on, '%d/%m/%Y'), ' – ', strftime(ends_on, '%d/%m/%Y')) as expected,
        'Khoảng thời gian số liệu nằm ngoài kỳ báo cáo' as problem_vi
    from forms
    where coverage_from < starts_on or coverage_to > ends_on
    union all
    select *, 'coverage_end_before_start',
        concat(coverage_from_text, ' – ', coverage_to_text),
        'ngày kết thúc sau ngày bắt đầu',
        'Ngày kết thúc số liệu trước ngày bắt đầu'
    from forms
    where coverage_to < coverage_from
    union all
    select *, 'signed_after_received',
        submitted_on_text,
        concat('không muộn hơn ngày nhận ', strftime(ingested_at, '%d/%m/%Y')),
        'Ngày ký báo cáo sau ngày Sở nhận được báo cáo'
    from forms
    where submitted_on > ingested_at::date
)

select
    commune_id,
    period_key,
    null::varchar as indicator_code,
    concat(submission_id, '|', problem) as subject,
    observed as observed_value,
    expected as expected_value,
    source_file as evidence_file,
    null::integer as evidence_row,
    observed as evidence_text,
    problem_vi
from problems
