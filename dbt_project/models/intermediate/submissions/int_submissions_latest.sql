-- The version of each commune's form that counts for a period: the latest submitted (a resubmission
-- corrects the earlier one), ties broken by the later ingest. Earlier versions stay in staging as history.
with forms as (
    select * from {{ ref('stg_submissions__forms') }}
)

select {{ one_per('commune_id, period_key') }}
    *,
    count(*) over (partition by commune_id, period_key) as versions_received
from forms
{{ first_by('commune_id, period_key', 'submitted_on desc nulls last, ingested_at desc, submission_id desc') }}
