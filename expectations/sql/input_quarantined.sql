-- A file or a row the ingest could not take (unknown commune, unreadable number, corrupt file …): it is
-- in raw.quarantine with its reason, and in no figure.
select
    null::varchar as commune_id,
    null::varchar as period_key,
    null::varchar as indicator_code,
    concat(quarantine.file_sha256, '|', coalesce(quarantine.source_row, 0), '|', coalesce(quarantine.field, '')) as subject,
    coalesce(quarantine.raw_value, quarantine.reason_code) as observed_value,
    quarantine.reason_code as expected_value,
    files.original_path as evidence_file,
    quarantine.source_row as evidence_row,
    quarantine.message_vi as evidence_text,
    quarantine.message_vi as reason_vi
from {batch} as quarantine
left join raw.ingested_files as files on files.sha256 = quarantine.file_sha256
