-- The same dossier code more than once in one export (the warehouse keeps one; the export is wrong).
-- The same code in two exports is not a duplicate: a later export carries the dossier's new status.
-- Two passes: a lean count over the code and a hash of the file finds the few repeated pairs, and only their
-- rows are gathered with their details (aggregating details for all ten million codes spills to disk).
with repeated as (
    select dossier_code, hash(source_file_sha256) as file_hash
    from {batch}
    group by dossier_code, file_hash
    having count(*) > 1
)

select
    min(classified.commune_id) as commune_id,
    min(periods.period_key) as period_key,
    null::varchar as indicator_code,
    concat(dossiers.dossier_code, '|', dossiers.source_file_sha256) as subject,
    count(*)::varchar as observed_value,
    '1' as expected_value,
    min(files.original_path) as evidence_file,
    min(dossiers.source_row) as evidence_row,
    concat(dossiers.dossier_code, ' ở các dòng ', string_agg(dossiers.source_row::varchar, ', ' order by dossiers.source_row)) as evidence_text,
    dossiers.dossier_code,
    count(*) as copies
from {batch} as dossiers
semi join repeated
    on repeated.dossier_code = dossiers.dossier_code
    and repeated.file_hash = hash(dossiers.source_file_sha256)
left join raw.ingested_files as files on files.sha256 = dossiers.source_file_sha256
left join intermediate.int_dossiers_classified as classified using (dossier_code)
left join marts.dim_period as periods
    on periods.period_type = 'quarter'
    and dossiers.received_at::date between periods.starts_on and periods.ends_on
group by dossiers.dossier_code, dossiers.source_file_sha256
having count(*) > 1
