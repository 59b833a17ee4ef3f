-- A rate's numerator cannot exceed its denominator (74 computers with licensed anti-malware out of 70).
select
    commune_id,
    period_key,
    indicator_code,
    submission_id as subject,
    numerator::varchar as observed_value,
    concat('≤ ', denominator) as expected_value,
    source_file as evidence_file,
    source_row as evidence_row,
    concat(numerator_text, '/', denominator_text) as evidence_text,
    numerator,
    denominator
from {batch}
where numerator > denominator
