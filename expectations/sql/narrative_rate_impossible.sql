-- A fraction whose numerator exceeds its denominator, or a rate outside 0–100 %, in a narrative report.
select
    reports.commune_id,
    reports.period_key,
    figures.indicator_code,
    figures.file_sha256 || '#' || figures.figure_no as subject,
    figures.printed as observed_value,
    '0–100 %' as expected_value,
    reports.source_file as evidence_file,
    null::integer as evidence_row,  -- the position (đoạn, bảng, trang) is in the evidence text
    figures.position || ': ' || figures.evidence as evidence_text,
    figures.printed
from {batch} as figures
join raw.narrative_reports as reports using (file_sha256)
where figures.numerator > figures.denominator
   or figures.rate > 100
   or figures.rate < 0
