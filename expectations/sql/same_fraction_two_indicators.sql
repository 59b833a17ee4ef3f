-- Two different rates over different denominators (by the catalogue) with the very same numerator and
-- denominator on one form are usually a row copied into the next one (a warning: it can be true). Rates
-- over the same denominator (early-or-on-time and results digitised, both of resolved dossiers) often
-- coincide honestly, and are not compared.
with rates as (
    select reported.*, dim_indicator.denominator_vi
    from {batch} as reported
    join marts.dim_indicator using (indicator_code)
    -- n/n and 0/n are too common to mean anything
    where numerator > 0 and denominator > 0 and numerator < denominator
)

select
    first.commune_id,
    first.period_key,
    second.indicator_code,
    first.indicator_code || '=' || second.indicator_code as subject,
    concat(second.numerator_text, '/', second.denominator_text) as observed_value,
    concat('khác ', first.indicator_code) as expected_value,
    second.source_file as evidence_file,
    second.source_row as evidence_row,
    concat(first.numerator_text, '/', first.denominator_text, ' (dòng ', first.source_row, ') và ',
           second.numerator_text, '/', second.denominator_text, ' (dòng ', second.source_row, ')') as evidence_text,
    first.indicator_code as first_indicator,
    first.numerator,
    first.denominator
from rates as first
join rates as second
    on second.submission_id = first.submission_id
    and second.indicator_code > first.indicator_code
    and second.numerator = first.numerator
    and second.denominator = first.denominator
    and second.denominator_vi is distinct from first.denominator_vi
