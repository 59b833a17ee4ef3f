-- A dossier finished, or due, before it was received: the dossier system holds a wrong date, and the
-- dossier cannot be judged on time or late.
with judged as (
    select *, 'finished_before_received' as problem, finished_at as wrong_at,
        'Ngày hoàn thành trước ngày tiếp nhận' as problem_vi
    from {batch}
    where finished_at < received_at
    union all
    select *, 'due_before_received', due_at, 'Hạn xử lý trước ngày tiếp nhận'
    from {batch}
    where due_at < received_at
)

select
    judged.commune_id,
    judged.received_period_key as period_key,
    null::varchar as indicator_code,
    concat(judged.dossier_code, '|', judged.problem) as subject,
    strftime(judged.wrong_at, '%d/%m/%Y %H:%M') as observed_value,
    concat('sau ', strftime(judged.received_at, '%d/%m/%Y %H:%M')) as expected_value,
    files.original_path as evidence_file,
    judged.source_row as evidence_row,
    judged.dossier_code as evidence_text,
    judged.dossier_code,
    judged.problem_vi
from judged
left join raw.ingested_files as files on files.sha256 = judged.source_file_sha256
