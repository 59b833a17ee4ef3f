-- Counts, stocks, money and the parts of a rate are never negative.
select
    commune_id,
    period_key,
    indicator_code,
    submission_id as subject,
    coalesce(least(numerator, denominator), numerator, denominator)::varchar as observed_value,
    '≥ 0' as expected_value,
    source_file as evidence_file,
    source_row as evidence_row,
    coalesce(numerator_text, denominator_text) as evidence_text,
    coalesce(least(numerator, denominator), numerator, denominator) as figure
from {batch}
where numerator < 0 or denominator < 0
