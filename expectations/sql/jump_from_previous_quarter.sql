-- A stock (computers, certificates, VNeID accounts, teams) that grows or shrinks more than threefold from
-- the commune's previous quarter, by at least 10 units. A warning: it can be true. A zero on either side is
-- left alone: the first certificates bought, or the last ones expired, are ordinary.
with figures as (
    select reported.*, dim_period.starts_on
    from {batch} as reported
    join marts.dim_indicator using (indicator_code)
    join marts.dim_period using (period_key)
    where dim_indicator.kind = 'stock' and dim_period.period_type = 'quarter'
      and reported.numerator is not null
),

paired as (
    select
        *,
        lag(numerator) over (partition by commune_id, indicator_code order by starts_on) as previous,
        lag(period_key) over (partition by commune_id, indicator_code order by starts_on) as previous_period
    from figures
)

select
    commune_id,
    period_key,
    indicator_code,
    submission_id as subject,
    numerator::varchar as observed_value,
    concat(previous_period, ': ', previous) as expected_value,
    source_file as evidence_file,
    source_row as evidence_row,
    numerator_text as evidence_text,
    numerator as figure,
    previous,
    previous_period
from paired
where previous > 0 and numerator > 0
  and abs(numerator - previous) >= 10
  and (numerator > 3 * previous or numerator * 3 < previous)
