-- Dossier codes written more than once in one export, with the rows they are on: what the rule
-- DOSSIER_DUPLICATE_ROW reports (the warehouse keeps one of them; the export is wrong). The same code in two
-- exports is no duplicate: a later export carries the dossier's new status.
-- Incremental: an export's rows all land in one load, so the duplicates of the rows loaded since the last
-- run are those of the exports they came in, and a run groups only those rows (grouping every dossier
-- loaded took ~3 s at 10 million dossiers, twice a run: once to count, once to list).
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
    )
}}

with loaded as (
    select dossier_code, source_file_sha256, source_row, received_at, loaded_at
    from {{ source('raw', 'dossiers') }}
    {{ loaded_since_last_run() }}
),

-- A lean count over the code and a key of the file finds the few repeated pairs; only their rows are then
-- gathered with their details (aggregating details for every code spills to disk at 10 million).
repeated as (
    select dossier_code, {{ file_key('source_file_sha256') }} as file_key
    from loaded
    group by dossier_code, {{ file_key('source_file_sha256') }}
    having count(*) > 1
)

select
    loaded.dossier_code,
    loaded.source_file_sha256,
    count(*) as copies,
    min(loaded.source_row) as first_row,
    string_agg(cast(loaded.source_row as varchar), ', ' order by loaded.source_row) as rows_written,
    min(loaded.received_at) as received_at,
    max(loaded.loaded_at) as loaded_at
from loaded
inner join repeated
    on repeated.dossier_code = loaded.dossier_code
    and repeated.file_key = {{ file_key('loaded.source_file_sha256') }}
group by loaded.dossier_code, loaded.source_file_sha256
having count(*) > 1
