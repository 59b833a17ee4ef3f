-- The province's reporting completeness (submitted ÷ expected) and timeliness (on time ÷ expected, as
-- DHIS2 counts it) per request.
select
    period_key,
    count(*) as expected,
    count(*) filter (where status in ('on_time', 'late')) as submitted,
    count(*) filter (where status = 'on_time') as on_time,
    count(*) filter (where status = 'late') as late,
    count(*) filter (where status = 'missing') as missing,
    count(*) filter (where status = 'not_yet_due') as not_yet_due,
    count(*) filter (where is_resubmitted) as resubmitted,
    {{ round_to("100.0 * count(*) filter (where status in ('on_time', 'late')) / count(*)", 4) }} as completeness_rate,
    {{ round_to("100.0 * count(*) filter (where status = 'on_time') / count(*)", 4) }} as timeliness_rate
from {{ ref('fct_submission') }}
group by period_key
