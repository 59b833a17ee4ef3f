-- Pseudonymous by construction: the raw table holds no personal fields, and none are joined in here.
with source as (
    select * from {{ source('staffing', 'staffing') }}
),

renamed as (
    select
        -- one row of a list names one official, or several when its name cell held a line each (the
        -- ingest splits them): those take their place in the row after the row number
        file_sha256 || '|' || source_row || case
            when count(*) over (partition by file_sha256, source_row) > 1
                then '|' || row_number() over (partition by file_sha256, source_row order by person_key)
            else ''
        end                                 as staffing_row_id,
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
