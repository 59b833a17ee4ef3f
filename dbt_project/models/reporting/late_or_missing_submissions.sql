-- The communes a publication names for sending their form late or not at all, per quarter, in the order it
-- prints them: by quarter, late before missing, the latest first, then by name.
select
    submissions.period_key,
    submissions.commune_id,
    communes.name_with_type as name,
    submissions.status,
    submissions.due_on,
    submissions.first_submitted_on,
    submissions.days_late,
    row_number() over (
        order by submissions.period_key, submissions.status, submissions.days_late desc nulls last,
            {{ vietnamese_order('communes.name_with_type') }}
    ) as print_order
from {{ ref('fct_submission') }} as submissions
join {{ ref('dim_commune') }} as communes using (commune_id)
where submissions.status in ('late', 'missing')
