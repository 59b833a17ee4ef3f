with source as (
    select * from {{ source('raw', 'dossiers') }}
),

renamed as (
    select
        dossier_code,
        commune_name                        as commune_name_written,
        {{ unit_name_key('commune_name') }} as commune_name_key,
        procedure_name,
        field_name,
        received_at,
        channel,
        due_at,
        finished_at,
        status,
        is_fee_bearing,
        is_intake_digitised,
        is_result_digitised,
        is_paid_online,
        source_file_sha256,
        source_row,
        loaded_at
    from source
)

select * from renamed
