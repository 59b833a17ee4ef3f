-- One citizen ID on two different people (different name or birth date) in the staffing lists of one
-- period: the lists merge them into one official (one `person_key`), so one of the two IDs is mistyped.
-- The ID is never shown: the rows are named by list and row, the people by how many there are.
select
    min(staff.commune_id) as commune_id,
    staff.period_key,
    null::varchar as indicator_code,
    concat(staff.person_key, '|', staff.period_key) as subject,
    count(distinct staff.identity_check)::varchar as observed_value,
    '1' as expected_value,
    min(files.original_path) as evidence_file,
    min(staff.source_row) as evidence_row,
    concat('cùng một số CCCD ở các dòng ',
           string_agg(distinct staff.source_row::varchar, ', '), ' (',
           count(distinct staff.identity_check), ' người khác nhau)') as evidence_text,
    count(distinct staff.identity_check) as people
from {batch} as staff
left join raw.ingested_files as files on files.sha256 = staff.file_sha256
where staff.citizen_id_status in ('valid', 'wrong_length')
group by staff.person_key, staff.period_key
having count(distinct staff.identity_check) > 1
