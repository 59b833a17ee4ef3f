with source as (
    select * from {{ source('raw', 'dossiers') }}
),

-- The unit's name key is worked out once per distinct name written (a few hundred) and joined back, not
-- once per dossier: its regular expressions cost ~3 s a full build at 10 million dossiers.
unit_keys as (
    select commune_name, {{ unit_name_key('commune_name') }} as commune_name_key
    -- the raw table itself: a second reference to the `source` CTE would make DuckDB materialise it
    from (select distinct commune_name from {{ source('raw', 'dossiers') }} where commune_name is not null) as names
),

renamed as (
    select
        source.dossier_code,
        source.commune_name                 as commune_name_written,
        unit_keys.commune_name_key,
        source.procedure_name,
        source.field_name,
        source.received_at,
        source.channel,
        source.due_at,
        source.finished_at,
        source.status,
        source.is_fee_bearing,
        source.is_intake_digitised,
        source.is_result_digitised,
        source.is_paid_online,
        source.source_file_sha256,
        source.source_row,
        source.loaded_at
    from source
    left join unit_keys on unit_keys.commune_name = source.commune_name
)

select * from renamed
