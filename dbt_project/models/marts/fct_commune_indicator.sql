-- One row per scope (commune, province) × period × indicator × source.
--   system    computed from the dossier system and the staffing lists, per quarter;
--   reported  the commune's form in force (latest version);
--   extracted the commune's narrative report in force (latest read), for the period it reports on.
-- A period above a quarter is rolled up from its quarters by the indicator's aggregation: ratio of sums for
-- flow rates, sum for flows, latest quarter for stocks and rates of stocks; never an average of rates.
-- A roll-up exists only when every quarter of the period is there (a sum over missing quarters would
-- understate). A form filed for the longer period itself takes precedence over the roll-up.
-- Province rows add communes' numerators and denominators (ratio of sums again).
with indicators as (
    select indicator_code, kind, aggregation from {{ ref('dim_indicator') }}
),

periods as (
    select period_key, period_type, starts_on, quarter_keys, cardinality(quarter_keys) as quarters_expected
    from {{ ref('dim_period') }}
),

reported as (
    select reported.*, periods.period_type
    from {{ ref('int_indicators_reported') }} as reported
    join periods using (period_key)
),

quarter_rows as (
    select
        period_key, commune_id, indicator_code, 'system' as source, numerator, denominator,
        null::float8 as reported_rate, null::varchar as reported_rate_text,
        null::varchar as submission_id, null::date as submitted_on
    from {{ ref('int_indicators_system') }}
    union all
    select
        period_key, commune_id, indicator_code, 'reported' as source, numerator, denominator,
        reported_rate, reported_rate_text, submission_id, submitted_on
    from reported
    where period_type = 'quarter'
),

-- a rate's value is its recomputed fraction; a rate given without a fraction keeps the printed figure
quarter_valued as (
    select
        quarter_rows.*,
        indicators.kind,
        indicators.aggregation,
        periods.starts_on as quarter_starts_on,
        case
            when indicators.kind <> 'rate' then quarter_rows.numerator
            when quarter_rows.denominator > 0 then 100.0 * quarter_rows.numerator / quarter_rows.denominator
            when quarter_rows.denominator is null then quarter_rows.reported_rate
        end as quarter_value
    from quarter_rows
    join indicators using (indicator_code)
    join periods using (period_key)
),

rolled as (
    select
        periods.period_key,
        periods.period_type,
        quarter_valued.commune_id,
        quarter_valued.indicator_code,
        quarter_valued.source,
        quarter_valued.kind,
        quarter_valued.aggregation,
        case when periods.period_type = 'quarter' then 'direct' else 'rolled_up' end as derivation,
        count(*) as quarters_covered,
        -- sums only when no quarter is blank: a sum over a blank would understate
        case when count(quarter_valued.numerator) = count(*) then sum(quarter_valued.numerator) end
            as sum_numerator,
        case when count(quarter_valued.denominator) = count(*) then sum(quarter_valued.denominator) end
            as sum_denominator,
        {{ latest_of('quarter_valued.numerator', 'quarter_valued.quarter_starts_on') }} as latest_numerator,
        {{ latest_of('quarter_valued.denominator', 'quarter_valued.quarter_starts_on') }} as latest_denominator,
        {{ latest_of('quarter_valued.quarter_value', 'quarter_valued.quarter_starts_on') }} as latest_value,
        -- a quarter's own row: one quarter, one value
        max(quarter_valued.reported_rate) filter (where periods.period_type = 'quarter') as reported_rate,
        max(quarter_valued.reported_rate_text) filter (where periods.period_type = 'quarter')
            as reported_rate_text,
        max(quarter_valued.submission_id) filter (where periods.period_type = 'quarter') as submission_id,
        max(quarter_valued.submitted_on) filter (where periods.period_type = 'quarter') as submitted_on
    from quarter_valued
    join periods on quarter_valued.period_key = any(periods.quarter_keys)
    group by
        periods.period_key, periods.period_type, quarter_valued.commune_id, quarter_valued.indicator_code,
        quarter_valued.source, quarter_valued.kind, quarter_valued.aggregation
    having count(*) = max(periods.quarters_expected)
),

rolled_figures as (
    select
        period_key, period_type, commune_id, indicator_code, source, kind, aggregation, derivation,
        quarters_covered, reported_rate, reported_rate_text, submission_id, submitted_on,
        case when aggregation in ('sum', 'ratio_of_sums') then sum_numerator else latest_numerator end
            as numerator,
        case
            when aggregation = 'ratio_of_sums' then sum_denominator
            when aggregation in ('ratio_of_latest', 'latest') then latest_denominator
        end as denominator,
        latest_value
    from rolled
),

-- forms filed for a 9-month or year period themselves
direct_longer as (
    select
        reported.period_key, reported.period_type, reported.commune_id, reported.indicator_code,
        'reported' as source, indicators.kind, indicators.aggregation, 'direct' as derivation,
        null::bigint as quarters_covered,
        reported.reported_rate, reported.reported_rate_text, reported.submission_id, reported.submitted_on,
        reported.numerator, reported.denominator,
        case when indicators.kind = 'rate' and reported.denominator is null then reported.reported_rate end
            as latest_value
    from reported
    join indicators using (indicator_code)
    where reported.period_type <> 'quarter'
),

-- figures read out of narrative reports, for the period each report covers
extracted as (
    select
        extracted.period_key, periods.period_type, extracted.commune_id, extracted.indicator_code,
        'extracted' as source, indicators.kind, indicators.aggregation, 'direct' as derivation,
        null::bigint as quarters_covered,
        extracted.printed_rate as reported_rate, extracted.printed_rate_text as reported_rate_text,
        extracted.report_id as submission_id, null::date as submitted_on,
        extracted.numerator, extracted.denominator,
        case when indicators.kind = 'rate' and extracted.denominator is null then extracted.rate_value end
            as latest_value
    from {{ ref('int_indicators_extracted') }} as extracted
    join indicators using (indicator_code)
    join periods using (period_key)
),

commune_rows as (
    select {{ one_per('period_key, commune_id, indicator_code, source') }} *
    from (
        select period_key, period_type, commune_id, indicator_code, source, kind, aggregation, derivation, quarters_covered,
        reported_rate, reported_rate_text, submission_id, submitted_on, numerator, denominator, latest_value from direct_longer
        union all
        select period_key, period_type, commune_id, indicator_code, source, kind, aggregation, derivation, quarters_covered,
        reported_rate, reported_rate_text, submission_id, submitted_on, numerator, denominator, latest_value from rolled_figures
        union all
        select period_key, period_type, commune_id, indicator_code, source, kind, aggregation, derivation, quarters_covered,
        reported_rate, reported_rate_text, submission_id, submitted_on, numerator, denominator, latest_value from extracted
    ) as candidates
    {{ first_by('period_key, commune_id, indicator_code, source', "case derivation when 'direct' then 0 else 1 end") }}
),

commune_valued as (
    select
        'commune' as scope,
        period_key, period_type, commune_id, indicator_code, source, kind, aggregation, derivation, quarters_covered,
        reported_rate, reported_rate_text, submission_id, submitted_on, numerator, denominator,
        case
            when kind <> 'rate' then numerator
            when denominator > 0 then 100.0 * numerator / denominator
            when denominator is null then latest_value
        end as value,
        1::bigint as communes_covered
    from commune_rows
),

-- province rows: communes' numerators and denominators summed; a rate counts only the communes that give
-- both parts (a commune that printed a rate without its fraction cannot be weighted)
province as (
    select
        'province' as scope,
        period_key,
        period_type,
        null::varchar as commune_id,
        indicator_code,
        source,
        kind,
        aggregation,
        'communes_summed' as derivation,
        min(quarters_covered) as quarters_covered,
        null::float8 as reported_rate,
        null::varchar as reported_rate_text,
        null::varchar as submission_id,
        null::date as submitted_on,
        case
            when kind = 'rate' then sum(numerator) filter (where denominator is not null)
            else sum(numerator)
        end as numerator,
        sum(denominator) filter (where numerator is not null) as denominator,
        case
            when kind = 'rate' then count(*) filter (where numerator is not null and denominator is not null)
            else count(numerator)
        end as communes_covered
    from commune_valued
    group by period_key, period_type, indicator_code, source, kind, aggregation
),

province_valued as (
    select
        *,
        case
            when kind = 'rate' and denominator > 0 then 100.0 * numerator / denominator
            when kind <> 'rate' then numerator
        end as value
    from province
),

combined as (
    select scope, period_key, period_type, commune_id, indicator_code, source, kind, aggregation, derivation, quarters_covered,
        reported_rate, reported_rate_text, submission_id, submitted_on, numerator, denominator, value, communes_covered from commune_valued
    union all
    select scope, period_key, period_type, commune_id, indicator_code, source, kind, aggregation, derivation, quarters_covered,
        reported_rate, reported_rate_text, submission_id, submitted_on, numerator, denominator, value, communes_covered from province_valued
)

select
    concat_ws('|', scope, coalesce(commune_id, '*'), period_key, indicator_code, source) as fact_key,
    scope,
    commune_id,
    period_key,
    period_type,
    indicator_code,
    source,
    derivation,
    numerator::float8 as numerator,
    denominator::float8 as denominator,
    {{ round_to('value', 6) }}::float8 as value,
    reported_rate::float8 as reported_rate,
    reported_rate_text,
    case when kind = 'rate' and denominator > 0 then {{ round_to('100.0 * numerator / denominator', 6) }} end::float8
        as recomputed_rate,
    submission_id,
    submitted_on,
    quarters_covered::bigint as quarters_covered,
    communes_covered::bigint as communes_covered,
    -- the same figures as whole numbers, for analysts who count (null when not whole, or for a rate's %)
    {{ whole_number('numerator') }} as numerator_count,
    {{ whole_number('denominator') }} as denominator_count,
    case when kind <> 'rate' then {{ whole_number('value') }} end as value_count
from combined
