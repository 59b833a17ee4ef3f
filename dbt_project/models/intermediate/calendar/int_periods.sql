-- Reporting periods; the 9-month and year periods are made of the quarters whose dates they contain.
with calendar as (
    select * from {{ ref('ref_reporting_calendar') }}
),

quarters as (
    select period_key, starts_on, ends_on from calendar where period_type = 'quarter'
)

select
    calendar.period_key,
    calendar.period_type,
    calendar.period_year,
    calendar.period_quarter,
    calendar.starts_on,
    calendar.ends_on,
    calendar.request_letter,
    calendar.requested_on,
    calendar.due_on,
    calendar.expects_form,
    array_agg(quarters.period_key order by quarters.starts_on) as quarter_keys
from calendar
join quarters
    on quarters.starts_on >= calendar.starts_on and quarters.ends_on <= calendar.ends_on
group by
    calendar.period_key, calendar.period_type, calendar.period_year, calendar.period_quarter,
    calendar.starts_on, calendar.ends_on, calendar.request_letter, calendar.requested_on, calendar.due_on,
    calendar.expects_form
