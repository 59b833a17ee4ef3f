-- Dossiers whose receiving unit is not a commune of the province (a unit from elsewhere, or a name the
-- alias table does not know): counted nowhere until the alias table or the export is fixed. One finding per
-- export file and name written.
select
    null::varchar as commune_id,
    min(dossiers.received_period_key) as period_key,
    null::varchar as indicator_code,
    concat(dossiers.commune_name_written, '|', dossiers.source_file_sha256) as subject,
    dossiers.commune_name_written as observed_value,
    'một xã, phường, đặc khu của tỉnh' as expected_value,
    min(files.original_path) as evidence_file,
    min(dossiers.source_row) as evidence_row,
    concat(count(*), ' hồ sơ, ví dụ ', min(dossiers.dossier_code)) as evidence_text,
    dossiers.commune_name_written as written,
    count(*) as dossiers
from {batch} as dossiers
left join raw.ingested_files as files on files.sha256 = dossiers.source_file_sha256
where dossiers.commune_id is null
group by dossiers.source_file_sha256, dossiers.commune_name_written
