-- A dossier whose receiving unit is not a commune of the province (a unit from elsewhere, or a name the
-- alias table does not know): counted nowhere until the alias table or the export is fixed.
select
    null::varchar as commune_id,
    received_period_key as period_key,
    null::varchar as indicator_code,
    commune_name_written as subject,
    commune_name_written as observed_value,
    'một xã, phường, đặc khu của tỉnh' as expected_value,
    any_value(files.original_path) as evidence_file,
    min(source_row) as evidence_row,
    concat(count(*), ' hồ sơ, ví dụ ', min(dossier_code)) as evidence_text,
    commune_name_written as written,
    count(*) as dossiers
from {batch}
left join raw.ingested_files as files on files.sha256 = source_file_sha256
where commune_id is null
group by received_period_key, commune_name_written
