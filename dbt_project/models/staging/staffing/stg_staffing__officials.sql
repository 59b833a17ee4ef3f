-- Pseudonymous by construction: the raw table holds no personal fields, and none are joined in here.
with source as (
    select * from {{ source('staffing', 'staffing') }}
),

renamed as (
    select
        file_sha256 || '|' || source_row    as staffing_row_id,
        period_key,
        commune_id,
        person_key,
        department,
        position,
        education,
        has_it_education,
        dt_role,
        is_trained,
        has_certificate
    from source
)

select * from renamed
