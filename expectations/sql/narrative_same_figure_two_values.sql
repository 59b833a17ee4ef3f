-- One narrative report stating, of its own results and stocks (role actual: not proposals or targets), the same indicator with different values (a count told twice, a rate
-- printed two ways). Rates count as different from 0,01 point apart.
select
    reports.commune_id,
    reports.period_key,
    figures.indicator_code,
    figures.file_sha256 as subject,
    string_agg(figures.printed, ' / ' order by figures.figure_no) as observed_value,
    null::varchar as expected_value,
    min(reports.source_file) as evidence_file,
    null::integer as evidence_row,  -- the positions are in the evidence text
    string_agg(figures.position || ': ' || figures.evidence, ' / ' order by figures.figure_no) as evidence_text,
    string_agg(figures.printed, '», «' order by figures.figure_no) as values_text,
    min(indicators.name_vi) as indicator_vi
from {batch} as figures
join raw.narrative_reports as reports using (file_sha256)
left join reference.ref_indicators as indicators using (indicator_code)
where figures.indicator_code is not null and figures.value is not null and figures.role = 'actual'
group by reports.commune_id, reports.period_key, figures.indicator_code, figures.file_sha256
having count(distinct round(figures.value, 2)) > 1
