-- A figure of the form in force that a formula computes (=E20/F20*100): what lands is the value the file
-- last saved, never evaluated here, which may be stale or point at another file; the form should carry the
-- number itself. The row is flagged once, whichever of its cells holds the formula.
select
    reported.commune_id,
    reported.period_key,
    reported.indicator_code,
    reported.submission_id as subject,
    coalesce(reported.reported_rate_text, reported.numerator_text, reported.denominator_text) as observed_value,
    'số ghi trực tiếp' as expected_value,
    reported.source_file as evidence_file,
    reported.source_row as evidence_row,
    coalesce(reported.reported_rate_text, reported.numerator_text, reported.denominator_text) as evidence_text,
    coalesce(reported.reported_rate_text, reported.numerator_text, reported.denominator_text) as saved
from {batch} as reported
join staging.stg_submissions__values as submitted
    on submitted.submission_id = reported.submission_id and submitted.indicator_code = reported.indicator_code
where submitted.has_formula
