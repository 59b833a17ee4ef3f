-- Totals must equal the sum of their parts on one form: received = resolved + in progress + withdrawn,
-- online + in person + postal = received, VNeID installed = activated + not activated,
-- early + on time + late = resolved. Judged when the total and at least two parts are given; a part
-- left blank counts as 0.
with identities (indicator_code, subject, part_codes, total_name, parts_name) as (
    values
        ('DOS_RECEIVED', 'received=resolved+in_progress+withdrawn',
         ['DOS_RESOLVED', 'DOS_IN_PROGRESS', 'DOS_WITHDRAWN'],
         'Tổng số hồ sơ tiếp nhận', 'đã giải quyết + đang giải quyết + rút/trả lại'),
        ('DOS_RECEIVED', 'received=online+in_person+postal',
         ['DOS_ONLINE', 'DOS_IN_PERSON', 'DOS_POSTAL'],
         'Tổng số hồ sơ tiếp nhận', 'trực tuyến + trực tiếp + bưu chính công ích'),
        ('VNEID_INSTALLED', 'installed=activated+not_activated',
         ['VNEID_ACTIVATED', 'VNEID_NOT_ACTIVATED'],
         'Số tài khoản VNeID đã cài đặt', 'đã kích hoạt + chưa kích hoạt'),
        ('DOS_RESOLVED', 'resolved=early+on_time+late',
         ['DOS_EARLY', 'DOS_ON_TIME', 'DOS_LATE'],
         'Số hồ sơ đã giải quyết', 'trước hạn + đúng hạn + trễ hạn')
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
