-- Totals a narrative report states must equal the sum of the parts it states (the identities of the
-- catalogue, ref_indicator_identities, as on the forms). Each indicator is taken at its first, most certain statement in the report;
-- judged when the total and at least two of its parts are stated.
with identities as (
    select
        total_code as indicator_code,
        identity,
        string_split(part_codes, ';') as part_codes,
        total_name,
        parts_name
    from reference.ref_indicator_identities
),

stated as (
    select *
    from {batch}
    where indicator_code is not null and value is not null and figure_kind <> 'rate' and role = 'actual'
    qualify row_number() over (
        partition by file_sha256, indicator_code order by confidence desc, figure_no
    ) = 1
),

totals as (
    select identities.*, stated.file_sha256, stated.value as total, stated.printed as total_text,
        stated.block_index, stated.position, stated.evidence
    from identities
    join stated using (indicator_code)
),

parts as (
    select
        totals.file_sha256,
        totals.identity,
        count(*) as parts_given,
        sum(stated.value) as parts_sum,
        string_agg(stated.printed, ' + ' order by stated.figure_no) as parts_text
    from totals
    join stated
        on stated.file_sha256 = totals.file_sha256 and list_contains(totals.part_codes, stated.indicator_code)
    group by totals.file_sha256, totals.identity
)

select
    reports.commune_id,
    reports.period_key,
    totals.indicator_code,
    totals.file_sha256 || '|' || totals.identity as subject,
    totals.total::varchar as observed_value,
    parts.parts_sum::varchar as expected_value,
    reports.source_file as evidence_file,
    null::integer as evidence_row,  -- the position is in the evidence text
    concat(totals.total_text, ' ≠ ', parts.parts_text, ' (', totals.position, ': ', totals.evidence, ')')
        as evidence_text,
    totals.total_name,
    totals.parts_name,
    totals.total,
    parts.parts_sum,
    abs(totals.total - parts.parts_sum) as gap
from totals
join parts using (file_sha256, identity)
join raw.narrative_reports as reports using (file_sha256)
where parts.parts_given >= 2 and totals.total <> parts.parts_sum
