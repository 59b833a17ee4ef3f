-- What each commune's narrative report in force says per period and indicator, of the figures that may land
-- (below): the report in force is the
-- latest one read for the commune and period; within it an indicator stated more than once takes its most
-- certain statement, then the first. Rates keep their fraction when the report printed one; counts and
-- money are the numerator alone. `covers_period` is false when the report says its figures cover only part
-- of the period (they are then kept but not reconciled). Periods outside the calendar (a 6-month report)
-- stay in staging.
with reports as (
    select {{ one_per('reports.commune_id, reports.period_key') }}
        reports.*,
        count(*) over (partition by reports.commune_id, reports.period_key) as reports_received
    from {{ ref('stg_narrative__reports') }} as reports
    {{ first_by('reports.commune_id, reports.period_key',
                'reports.ingested_at desc, reports.source_file desc, reports.report_id desc') }}
),

periods as (
    select period_key, starts_on, ends_on from {{ ref('int_periods') }}
),

indicators as (
    select indicator_code, kind from {{ ref('ref_indicators') }}
),

-- The figures that land (int_narrative_figures_judged decides which), under the indicator a reviewer gave.
figures as (
    select {{ one_per('report_id, landing_indicator_code') }}
        report_id, landing_indicator_code as indicator_code, value, numerator, denominator, printed_rate,
        printed_rate_text, printed, confidence, block_index, position, evidence_sentence
    from {{ ref('int_narrative_figures_judged') }}
    where status in ('landed', 'accepted', 'remapped', 'agrees_with_form', 'agrees_with_system')
    {{ first_by('report_id, landing_indicator_code', 'decision is not null desc, confidence desc, figure_no') }}
)

select
    reports.period_key,
    reports.commune_id,
    figures.indicator_code,
    case when indicators.kind = 'rate' then figures.numerator else figures.value end as numerator,
    case when indicators.kind = 'rate' then figures.denominator end as denominator,
    case when indicators.kind = 'rate' then figures.value end as rate_value,
    figures.printed_rate,
    figures.printed_rate_text,
    figures.printed,
    figures.confidence,
    reports.report_id,
    reports.reports_received,
    reports.coverage_start,
    reports.coverage_end,
    coalesce(reports.coverage_start, periods.starts_on) = periods.starts_on
        and coalesce(reports.coverage_end, periods.ends_on) = periods.ends_on as covers_period,
    reports.source_file,
    figures.block_index,
    figures.position,
    figures.evidence_sentence
from figures
join reports using (report_id)
join periods using (period_key)
join indicators using (indicator_code)
