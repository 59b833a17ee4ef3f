-- Every period of the calendar as a publication sees it: its dates and quarters, the previous period of the
-- same type (the «Kỳ trước» column), the year's quarters up to its end (the trend charts), and whether the
-- warehouse holds figures for it. `publication_order`: oldest first, a quarter before the 9 months or year
-- that ends with it.
with periods as (
    select * from {{ ref('dim_period') }}
),

with_data as (
    select distinct period_key from {{ ref('fct_commune_indicator') }}
)

select
    periods.period_key,
    periods.period_type,
    periods.starts_on,
    periods.ends_on,
    periods.request_letter,
    periods.due_on,
    periods.quarter_keys,
    (
        select previous.period_key from periods as previous
        where previous.period_type = periods.period_type and previous.ends_on < periods.starts_on
        order by previous.ends_on desc
        limit 1
    ) as previous_period_key,
    (
        select coalesce(array_agg(quarters.period_key order by quarters.ends_on), cast(array[] as text[]))
        from periods as quarters
        where quarters.period_type = 'quarter' and quarters.period_year = extract(year from periods.ends_on)
          and quarters.ends_on <= periods.ends_on
    ) as trend_quarter_keys,
    periods.period_key in (select period_key from with_data) as has_data,
    row_number() over (
        order by periods.ends_on, periods.period_type = 'quarter' desc, periods.period_key
    ) as publication_order
from periods
