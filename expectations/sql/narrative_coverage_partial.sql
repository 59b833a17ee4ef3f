-- A narrative report whose figures cover only part of its period (the 9-month report that counted dossiers
-- from 01/07 to 10/09): kept, but not comparable with the system's figures for the whole period.
select
    reports.commune_id,
    reports.period_key,
    null::varchar as indicator_code,
    reports.file_sha256 as subject,
    strftime(reports.coverage_start, '%d/%m/%Y') || ' – ' || strftime(reports.coverage_end, '%d/%m/%Y')
        as observed_value,
    strftime(calendar.starts_on, '%d/%m/%Y') || ' – ' || strftime(calendar.ends_on, '%d/%m/%Y')
        as expected_value,
    reports.source_file as evidence_file,
    null::integer as evidence_row,
    'từ ' || strftime(reports.coverage_start, '%d/%m/%Y') || ' đến ' || strftime(reports.coverage_end, '%d/%m/%Y')
        as evidence_text,
    reports.coverage_start,
    reports.coverage_end,
    calendar.starts_on,
    calendar.ends_on
from {batch} as reports
join reference.ref_reporting_calendar as calendar using (period_key)
where reports.coverage_start >= calendar.starts_on
  and reports.coverage_end <= calendar.ends_on
  and reports.coverage_end >= reports.coverage_start
  and (reports.coverage_start > calendar.starts_on or reports.coverage_end < calendar.ends_on)
