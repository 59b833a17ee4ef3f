-- The same dossier code more than once in one export (the warehouse keeps one; the export is wrong).
-- The same code in two exports is not a duplicate: a later export carries the dossier's new status.
-- The repeated codes are found by the incremental model intermediate.int_dossier_duplicate_rows (only the
-- exports loaded since the last run are grouped); this rule gives each its commune, period and evidence.
select
    classified.commune_id,
    periods.period_key,
    null::varchar as indicator_code,
    concat(duplicates.dossier_code, '|', duplicates.source_file_sha256) as subject,
    duplicates.copies::varchar as observed_value,
    '1' as expected_value,
    files.original_path as evidence_file,
    duplicates.first_row as evidence_row,
    concat(duplicates.dossier_code, ' ở các dòng ', duplicates.rows_written) as evidence_text,
    duplicates.dossier_code,
    duplicates.copies
from {batch} as duplicates
left join raw.ingested_files as files on files.sha256 = duplicates.source_file_sha256
left join intermediate.int_dossiers_classified as classified using (dossier_code)
left join marts.dim_period as periods
    on periods.period_type = 'quarter'
    and duplicates.received_at::date between periods.starts_on and periods.ends_on
