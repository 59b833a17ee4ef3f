-- The dates a narrative report's figures cover (`từ ngày 01/7 đến ngày 10/9/2025`), judged against the
-- reported period: `outside` when the end comes before the start or either lies outside the period (an
-- error: the figures are not the period's); `partial` when they lie inside but are not the whole period (the
-- 9-month report that counted dossiers from 01/07 to 10/09: kept, but not comparable with the system's
-- figures for the whole period). One rule per class: the suite passes `coverage` (query_params).
with judged as (
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
        calendar.ends_on,
        case
            when reports.coverage_end < reports.coverage_start
                or reports.coverage_start < calendar.starts_on
                or reports.coverage_end > calendar.ends_on then 'outside'
            when reports.coverage_start > calendar.starts_on or reports.coverage_end < calendar.ends_on
                then 'partial'
            else 'whole'
        end as coverage
    from {batch} as reports
    join reference.ref_reporting_calendar as calendar using (period_key)
    where reports.coverage_start is not null and reports.coverage_end is not null
)

select * from judged where coverage = '{coverage}'
