with source as (
    select * from {{ source('submissions', 'submissions') }}
),

renamed as (
    select
        file_sha256         as submission_id,
        source_file,
        commune_id,
        commune_written,
        period_key,
        period_written,
        coverage_from,
        coverage_from_text,
        coverage_to,
        coverage_to_text,
        submitted_on,
        submitted_on_text,
        ingested_at
    from source
)

select * from renamed
