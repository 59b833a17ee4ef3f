-- A citizen ID that is not 12 digits (after spaces, dots and dashes are removed, and the leading zero a
-- number cell lost is put back): an old 9-digit ID card number, a digit too many or too few, letters.
-- The official still lands (keyed by the ID as written); the ID itself is never shown.
select
    staff.commune_id,
    staff.period_key,
    null::varchar as indicator_code,
    concat(staff.file_sha256, '|', staff.source_row) as subject,
    staff.citizen_id_status as observed_value,
    'valid' as expected_value,
    files.original_path as evidence_file,
    staff.source_row as evidence_row,
    case staff.citizen_id_status
        when 'wrong_length' then 'số CCCD không đủ hoặc thừa chữ số (cần 12 chữ số)'
        else 'số CCCD có ký tự không phải chữ số'
    end as evidence_text,
    staff.source_row as row_number
from {batch} as staff
left join raw.ingested_files as files on files.sha256 = staff.file_sha256
where staff.citizen_id_status in ('wrong_length', 'not_digits')
