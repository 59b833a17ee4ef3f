-- A rate a narrative report prints beside its own fraction (`543/544 = 99,81%`) must equal the fraction
-- within half a unit of its last printed digit, ties rounded half up; 100 % only when nothing is missing and
-- 0 % only when nothing is counted (the rule of rate_fraction_mismatch.sql, with the sentence as evidence).
-- Unmapped figures are judged too: a wrong rate is wrong whatever it measures.
select
    reports.commune_id,
    reports.period_key,
    figures.indicator_code,
    figures.file_sha256 || '#' || figures.figure_no as subject,
    figures.rate_text as observed_value,
    round(100.0 * figures.numerator / figures.denominator, 4)::varchar as expected_value,
    reports.source_file as evidence_file,
    null::integer as evidence_row,  -- the position (đoạn, bảng, trang) is in the evidence text
    figures.position || ': ' || figures.evidence as evidence_text,
    figures.printed,
    figures.numerator,
    figures.denominator,
    100.0 * figures.numerator / figures.denominator as recomputed_pct
from {batch} as figures
join raw.narrative_reports as reports using (file_sha256)
where figures.rate is not null and figures.denominator > 0 and figures.numerator >= 0
  and (
      figures.rate > 100.0 * figures.numerator / figures.denominator
          + 0.5 * pow(10, -figures.rate_decimals) + 1e-9
      or figures.rate < 100.0 * figures.numerator / figures.denominator
          - 0.5 * pow(10, -figures.rate_decimals) + 1e-9
      or (figures.rate >= 100 and figures.numerator < figures.denominator)
      or (figures.rate <= 0 and figures.numerator > 0)
  )
