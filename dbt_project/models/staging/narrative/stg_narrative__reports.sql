with source as (
    select * from {{ source('narrative', 'narrative_reports') }}
),

renamed as (
    select
        file_sha256         as report_id,
        source_file,
        file_kind,
        commune_id,
        commune_written,
        period_key,
        period_written,
        coverage_start,
        coverage_end,
        request_letter,
        signer_role,
        figures_found,
        figures_mapped,
        ingested_at
    from source
)

select * from renamed
