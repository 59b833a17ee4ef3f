-- Every mapped figure of a narrative report with what becomes of it, in one place: it lands in the marts
-- when it is the unit's own result or stock (role actual) and the reader was sure of it (no doubt about
-- its role or noun, confidence at least the `narrative_review_threshold` var), or when the commune's form
-- in force or the dossier system / staffing list says the same value for the same period and indicator,
-- or when a person accepted or remapped
-- it; a rejected figure never does. Proposals, targets, changes, parts, norms, equipment received and
-- other periods' figures stay out, whatever their confidence.
with figures as (
    select * from {{ ref('stg_narrative__figures') }}
    where indicator_code is not null and value is not null
),

reviews as (
    select * from {{ ref('stg_narrative__figure_reviews') }}
),

reports as (
    select report_id, commune_id, period_key from {{ ref('stg_narrative__reports') }}
),

indicators as (
    select indicator_code, kind from {{ ref('ref_indicators') }}
),

-- What the other sources say, to confirm a figure in doubt: the form as reported, the system as computed.
others as (
    select 'form' as other_source, period_key, commune_id, indicator_code, numerator, denominator,
        reported_rate
    from {{ ref('int_indicators_reported') }}
    union all
    select 'system', period_key, commune_id, indicator_code, numerator, denominator, null::float8
    from {{ ref('int_indicators_system') }}
),

judged as (
    select
        figures.*,
        reports.commune_id,
        reports.period_key,
        figures.role = 'actual'
            and (figures.needs_review or figures.confidence < {{ var('narrative_review_threshold') }})
            as actual_in_doubt,
        (
            select min(others.other_source) from others
            where others.commune_id = reports.commune_id
              and others.period_key = reports.period_key
              and others.indicator_code = figures.indicator_code
              and case when indicators.kind = 'rate'
                  then abs(figures.value - coalesce(
                      others.reported_rate, 100.0 * others.numerator / nullif(others.denominator, 0))) < 0.01
                  else figures.value = others.numerator
              end
        ) as agreeing_source,
        reviews.decision,
        reviews.remapped_indicator_code,
        reviews.reviewed_by,
        reviews.reviewed_on,
        reviews.review_reason_given
    from figures
    join reports using (report_id)
    left join indicators using (indicator_code)
    left join reviews using (figure_key)
)

select
    judged.*,
    -- waits for (or had) a person's look: an actual figure in doubt, or one whose role is uncertain
    actual_in_doubt or (needs_review and role <> 'actual') as needs_review_in_warehouse,
    coalesce(remapped_indicator_code, indicator_code) as landing_indicator_code,
    case
        when decision = 'reject' then 'rejected'
        when decision = 'accept' then 'accepted'
        when decision = 'remap' then 'remapped'
        when role = 'actual' and not actual_in_doubt then 'landed'
        when actual_in_doubt and agreeing_source is not null then 'agrees_with_' || agreeing_source
        when actual_in_doubt or needs_review then 'pending'
        else 'not_actual'
    end as status
from judged
