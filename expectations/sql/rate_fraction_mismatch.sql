-- A printed rate must equal its own fraction within half a unit of the last digit printed
-- (543/544 = 99,816…: `99,82%` and `99,8%` pass, `99,81%` fails). At an exact tie the rate is rounded half
-- up, as Excel and the Department do (19/32 = 59,375: `59,38%` passes, `59,37%` was cut, not rounded).
-- 100 % only when nothing is missing and 0 % only when nothing is counted, whatever the rounding.
select
    commune_id,
    period_key,
    indicator_code,
    submission_id as subject,
    reported_rate_text as observed_value,
    round(100.0 * numerator / denominator, 4)::varchar as expected_value,
    source_file as evidence_file,
    source_row as evidence_row,
    concat(numerator_text, '/', denominator_text, ' = ', reported_rate_text) as evidence_text,
    reported_rate_text as printed,
    numerator,
    denominator,
    100.0 * numerator / denominator as recomputed_pct
from {batch}
where reported_rate is not null and denominator > 0 and numerator >= 0
  and (
      reported_rate > 100.0 * numerator / denominator + 0.5 * pow(10, -reported_rate_decimals) + 1e-9
      or reported_rate < 100.0 * numerator / denominator - 0.5 * pow(10, -reported_rate_decimals) + 1e-9
      or (reported_rate >= 100 and numerator < denominator)
      or (reported_rate <= 0 and numerator > 0)
  )
