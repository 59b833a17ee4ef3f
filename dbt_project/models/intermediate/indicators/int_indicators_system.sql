-- Indicators the Department can compute itself, per commune and quarter: dossier figures from the dossier
-- system, staffing figures from the staffing lists. Long format: one row per indicator, numerator and
-- denominator (null for counts and stocks).
-- A dossier finished before it was received (outcome invalid_dates) is resolved, but neither early, on time
-- nor late: it is counted in DOS_INVALID_DATES, which the identity resolved = early + on time + late +
-- invalid dates includes, and left out of the timeliness rates, whose denominator is early + on time + late.
with dossiers as (
    select * from {{ ref('int_dossier_quarter_counts') }}
),

staffing as (
    select staffing.*
    from {{ ref('int_staffing_commune_period') }} as staffing
    join {{ ref('int_periods') }} as periods using (period_key)
    where periods.period_type = 'quarter'
),

dossier_indicators as (
    {% set dossier_rows = [
        ('DOS_RECEIVED', 'received', none),
        ('DOS_ONLINE', 'online', none),
        ('DOS_IN_PERSON', 'in_person', none),
        ('DOS_POSTAL', 'postal', none),
        ('DOS_RESOLVED', 'resolved', none),
        ('DOS_IN_PROGRESS', 'in_progress', none),
        ('DOS_WITHDRAWN', 'withdrawn', none),
        ('DOS_EARLY', 'early', none),
        ('DOS_ON_TIME', 'on_time', none),
        ('DOS_LATE', 'late', none),
        ('DOS_INVALID_DATES', 'invalid_dates', none),
        ('DOS_ONLINE_RATE', 'online', 'received'),
        ('DOS_EARLY_OR_ON_TIME_RATE', 'early + on_time', 'early + on_time + late'),
        ('DOS_LATE_RATE', 'late', 'early + on_time + late'),
        ('DOS_INTAKE_DIGITISED_RATE', 'intake_digitised', 'received'),
        ('DOS_RESULT_DIGITISED_RATE', 'result_digitised', 'resolved'),
        ('DOS_ONLINE_PAYMENT_RATE', 'paid_online', 'fee_bearing'),
    ] %}
    {% for code, numerator, denominator in dossier_rows %}
    select
        period_key,
        commune_id,
        '{{ code }}' as indicator_code,
        ({{ numerator }})::float8 as numerator,
        {{ '(' ~ denominator ~ ')::float8' if denominator else 'null::float8' }} as denominator
    from dossiers
    {{ 'union all' if not loop.last }}
    {% endfor %}
),

staffing_indicators as (
    select
        period_key, commune_id, 'STAFF_BASIC_SKILLS_RATE' as indicator_code,
        trained_digital_skills::float8 as numerator, officials::float8 as denominator
    from staffing
    union all
    select
        period_key, commune_id, 'IT_DEDICATED' as indicator_code,
        dedicated_it::float8 as numerator, null::float8 as denominator
    from staffing
)

select * from dossier_indicators
union all
select * from staffing_indicators
