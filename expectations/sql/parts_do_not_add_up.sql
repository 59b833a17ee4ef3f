-- Totals must equal the sum of their parts on one form (the identities of the catalogue,
-- ref_indicator_identities: received = resolved + in progress + withdrawn, online + in person + postal =
-- received, VNeID installed = activated + not activated, early + on time + late = resolved). Judged when
-- the total and at least two parts are given; a part left blank counts as 0.
with identities as (
    select
        total_code as indicator_code,
        identity as subject,
        string_split(part_codes, ';') as part_codes,
        total_name,
        parts_name
    from reference.ref_indicator_identities
),

figures as (
    select * from {batch}
),

totals as (
    select
        identities.*,
        figures.submission_id,
        figures.commune_id,
        figures.period_key,
        figures.source_file,
        figures.source_row,
        figures.numerator as total,
        figures.numerator_text as total_text
    from identities
    join figures on figures.indicator_code = identities.indicator_code
    where figures.numerator is not null
),

parts as (
    select
        totals.submission_id,
        totals.subject,
        count(figures.numerator) as parts_given,
        coalesce(sum(figures.numerator), 0) as parts_sum,
        string_agg(coalesce(figures.numerator_text, '0'), ' + ' order by figures.source_row) as parts_text
    from totals
    join figures
        on figures.submission_id = totals.submission_id
        and list_contains(totals.part_codes, figures.indicator_code)
    group by totals.submission_id, totals.subject
)

select
    totals.commune_id,
    totals.period_key,
    totals.indicator_code,
    totals.subject,
    totals.total::varchar as observed_value,
    parts.parts_sum::varchar as expected_value,
    totals.source_file as evidence_file,
    totals.source_row as evidence_row,
    concat(totals.total_text, ' ≠ ', parts.parts_text) as evidence_text,
    totals.total_name,
    totals.parts_name,
    totals.total,
    parts.parts_sum,
    abs(totals.total - parts.parts_sum) as gap
from totals
join parts using (submission_id, subject)
where parts.parts_given >= 2 and totals.total <> parts.parts_sum
