-- A date a narrative report cites that cannot be: no such day (31/11), or a year that cannot be right for
-- a report of its period (`20205`, a year after the period's next, or before 1945).
select
    reports.commune_id,
    reports.period_key,
    null::varchar as indicator_code,
    dates.file_sha256 || '#' || dates.date_no as subject,
    dates.printed as observed_value,
    null::varchar as expected_value,
    reports.source_file as evidence_file,
    null::integer as evidence_row,
    dates.position || ': ' || dates.evidence as evidence_text,
    dates.printed
from {batch} as reports
join raw.narrative_dates as dates using (file_sha256)
where dates.cited_on is null
   or dates.cited_year < 1945
   or dates.cited_year > try_cast(left(reports.period_key, 4) as integer) + 1
