-- Per commune and staffing list (period): head counts of officials by digital-transformation role,
-- education and training. Pseudonymous only: built from person keys, and carries none.
select
    concat_ws('|', commune_id, period_key) as staffing_key,
    period_key,
    commune_id,
    officials,
    dedicated_it,
    concurrent_it,
    with_it_education,
    trained_digital_skills,
    with_signature_certificate
from {{ ref('int_staffing_commune_period') }}
