-- A printed rate lies between 0 and 100 %.
select
    commune_id,
    period_key,
    indicator_code,
    submission_id as subject,
    reported_rate_text as observed_value,
    '0–100 %' as expected_value,
    source_file as evidence_file,
    source_row as evidence_row,
    reported_rate_text as evidence_text,
    reported_rate_text as printed
from {batch}
where reported_rate < 0 or reported_rate > 100
