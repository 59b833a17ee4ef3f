-- Totals a narrative report states must equal the sum of the parts it states: received = online + in person
-- + postal, received = resolved + in progress + withdrawn, resolved = early + on time + late, VNeID installed
-- = activated + not activated. Each indicator is taken at its first, most certain statement in the report;
-- judged when the total and at least two of its parts are stated.
with identities (indicator_code, identity, part_codes, total_name, parts_name) as (
    values
        ('DOS_RECEIVED', 'received=online+in_person+postal',
         ['DOS_ONLINE', 'DOS_IN_PERSON', 'DOS_POSTAL'],
         'Tổng số hồ sơ tiếp nhận', 'trực tuyến + trực tiếp + bưu chính công ích'),
        ('DOS_RECEIVED', 'received=resolved+in_progress+withdrawn',
         ['DOS_RESOLVED', 'DOS_IN_PROGRESS', 'DOS_WITHDRAWN'],
         'Tổng số hồ sơ tiếp nhận', 'đã giải quyết + đang giải quyết + rút/trả lại'),
        ('DOS_RESOLVED', 'resolved=early+on_time+late',
         ['DOS_EARLY', 'DOS_ON_TIME', 'DOS_LATE'],
         'Số hồ sơ đã giải quyết', 'trước hạn + đúng hạn + trễ hạn'),
        ('VNEID_INSTALLED', 'installed=activated+not_activated',
         ['VNEID_ACTIVATED', 'VNEID_NOT_ACTIVATED'],
         'Số tài khoản VNeID đã cài đặt', 'đã kích hoạt + chưa kích hoạt')
),

stated as (
    select *
    from {batch}
    where indicator_code is not null and value is not null and figure_kind <> 'rate'
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
    totals.block_index as evidence_row,
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
