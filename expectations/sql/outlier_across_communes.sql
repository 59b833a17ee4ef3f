-- DHIS2's outlier rule: a commune's figure whose modified z-score (0,6745 × (x − median) ÷ MAD) across the
-- communes reporting the same indicator for the same quarter exceeds 3,5. When more than half the
-- communes report the same value (MAD = 0, as with a budget of 0 in most quarters), the mean absolute
-- deviation stands in (x − median) ÷ (1,2533 × meanAD), as Iglewicz and Hoaglin advise. Judged for the
-- counts, stocks and money nobody else can check (indicators without a system source: dossier counts are
-- reconciled with the dossier system instead), when at least 10 communes report. A warning.
with figures as (
    select reported.*
    from {batch} as reported
    join marts.dim_indicator using (indicator_code)
    join marts.dim_period using (period_key)
    where dim_indicator.kind in ('count', 'stock', 'money')
      and coalesce(dim_indicator.system_source, '') = ''
      and dim_period.period_type = 'quarter'
      and reported.numerator is not null
),

spread as (
    select
        indicator_code,
        period_key,
        median(numerator) as median_value,
        count(*) as communes
    from figures
    group by indicator_code, period_key
),

deviation as (
    select
        figures.indicator_code,
        figures.period_key,
        median(abs(figures.numerator - spread.median_value)) as mad,
        avg(abs(figures.numerator - spread.median_value)) as mean_ad
    from figures
    join spread using (indicator_code, period_key)
    group by figures.indicator_code, figures.period_key
),

scored as (
    select
        figures.*,
        spread.median_value,
        deviation.mad,
        case
            when deviation.mad > 0 then 0.6745 * (figures.numerator - spread.median_value) / deviation.mad
            else (figures.numerator - spread.median_value) / (1.253314 * deviation.mean_ad)
        end as z_score
    from figures
    join spread using (indicator_code, period_key)
    join deviation using (indicator_code, period_key)
    where spread.communes >= 10 and deviation.mean_ad > 0
)

select
    commune_id,
    period_key,
    indicator_code,
    submission_id as subject,
    numerator::varchar as observed_value,
    concat('trung vị ', median_value) as expected_value,
    source_file as evidence_file,
    source_row as evidence_row,
    numerator_text as evidence_text,
    numerator as figure,
    median_value,
    round(z_score, 1) as z_score
from scored
where abs(z_score) > 3.5
