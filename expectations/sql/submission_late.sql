-- A form received after the request's due date (the first version counts).
select
    commune_id,
    period_key,
    null::varchar as indicator_code,
    'late' as subject,
    strftime(first_submitted_on, '%d/%m/%Y') as observed_value,
    concat('trước ', strftime(due_on, '%d/%m/%Y')) as expected_value,
    null::varchar as evidence_file,
    null::integer as evidence_row,
    request_letter as evidence_text,
    days_late,
    first_submitted_on as submitted_date,
    due_on as due_date,
    request_letter
from {batch}
where status = 'late'
