-- Per commune and staffing list (period): head counts only, no person appears.
select
    period_key,
    commune_id,
    count(distinct person_key) as officials,
    count(distinct person_key) filter (where dt_role = 'dedicated') as dedicated_it,
    count(distinct person_key) filter (where dt_role = 'concurrent') as concurrent_it,
    count(distinct person_key) filter (where has_it_education) as with_it_education,
    count(distinct person_key) filter (where is_trained) as trained_digital_skills,
    count(distinct person_key) filter (where has_certificate) as with_signature_certificate
from {{ ref('stg_staffing__officials') }}
where commune_id is not null
group by period_key, commune_id
