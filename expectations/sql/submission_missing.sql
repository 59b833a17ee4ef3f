-- No form received for a request whose due date has passed.
select
    commune_id,
    period_key,
    null::varchar as indicator_code,
    'missing' as subject,
    'không có' as observed_value,
    concat('trước ', strftime(due_on, '%d/%m/%Y')) as expected_value,
    null::varchar as evidence_file,
    null::integer as evidence_row,
    request_letter as evidence_text,
    due_on as due_date,
    request_letter
from {batch}
where status = 'missing'
