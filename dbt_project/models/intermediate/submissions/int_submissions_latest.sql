-- The version of each commune's form that counts for a period: the latest submitted (a resubmission
-- corrects the earlier one), ties broken by the later ingest. Earlier versions stay in staging as history.
with forms as (
    select * from {{ ref('stg_submissions__forms') }}
)

select
    *,
    count(*) over (partition by commune_id, period_key) as versions_received
from forms
qualify row_number() over (
    partition by commune_id, period_key
    order by submitted_on desc nulls last, ingested_at desc, submission_id desc
) = 1
