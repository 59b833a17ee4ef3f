"""The limit: the pipeline's dossier work written as plain DuckDB SQL in one process, no orchestration.

`python -m pipelines.tools.bench.limit SOURCES DATABASE` loads the dossier exports, types them and sets
the bad rows aside, keeps the latest row per dossier, resolves communes through the alias seed, classifies
each dossier by Decision 766, counts per commune × quarter, and runs the main checks (duplicate rows in one
export, impossible dates, unknown units). It is what the work costs on this engine: the pipeline's ingest,
dbt build and checks stages do the same and more (forms, staffing, every other model and rule, metadata),
so the ratio says how much the orchestration and the extra work cost on top.

It prints one JSON line: per-stage seconds and the totals the harness compares with the pipeline's.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb
import pandas
from openpyxl import load_workbook

from pipelines.ingest.dossier_exports import TIMESTAMP_FORMATS_SQL
from pipelines.settings import get_settings

# The export's Vietnamese headers, as the sample writes them.
COLUMNS = {
    "Mã hồ sơ": "dossier_code",
    "Đơn vị tiếp nhận": "commune_name",
    "Ngày tiếp nhận": "received_at",
    "Hình thức nộp": "channel",
    "Hạn xử lý": "due_at",
    "Ngày hoàn thành": "finished_at",
    "Trạng thái": "status",
}

_TEXT_COLUMNS = ", ".join(f"nullif(trim(\"{k}\"), '') as {v}" for k, v in COLUMNS.items())
LOAD = f"""
create or replace table typed as
with text_rows as (
    select {_TEXT_COLUMNS}, filename as source_file
    from (
        from read_csv(
            getvariable('dossier_files'),
            all_varchar = true, header = true, filename = true, union_by_name = true
        )
        union all by name
        from xlsx_text
    )
)
select
    dossier_code, commune_name, source_file,
    try_strptime(received_at, {TIMESTAMP_FORMATS_SQL}) as received_at,
    try_strptime(due_at, {TIMESTAMP_FORMATS_SQL}) as due_at,
    try_strptime(finished_at, {TIMESTAMP_FORMATS_SQL}) as finished_at,
    finished_at as finished_text,
    case lower(channel) when 'trực tuyến' then 'online' when 'trực tiếp' then 'in_person'
        when 'qua bưu chính công ích' then 'postal' end as channel,
    case lower(status) when 'đã giải quyết' then 'resolved' when 'đang giải quyết' then 'in_progress'
        when 'rút hồ sơ' then 'withdrawn' when 'trả lại' then 'returned' end as status
from text_rows;
create or replace table quarantine as
    select * from typed
    where dossier_code is null or received_at is null or due_at is null or channel is null or status is null
       or (finished_text is not null and finished_at is null);
create or replace table dossiers as
    select * exclude (finished_text) from typed
    where not (dossier_code is null or received_at is null or due_at is null or channel is null
               or status is null or (finished_text is not null and finished_at is null));
drop table typed;
"""

TRANSFORM = """
create or replace table aliases as
    select alias_key, commune_id from read_csv(getvariable('aliases_file'), all_varchar = true);
create or replace table classified as
-- as the pipeline does it: only codes loaded more than once are ordered to find their latest load, and the
-- unit's name key is worked out once per distinct name
with repeated as (
    select dossier_code from dossiers group by dossier_code having count(*) > 1
),
latest as (
    select * from dossiers anti join repeated using (dossier_code)
    union all
    select * from (select * from dossiers semi join repeated using (dossier_code))
    qualify row_number() over (partition by dossier_code order by source_file desc) = 1
),
unit_keys as (
    select commune_name, regexp_replace(trim(regexp_replace(
        regexp_replace(lower(nfc_normalize(commune_name)),
            '[\\x{00AD}\\x{200B}-\\x{200F}\\x{2060}-\\x{2064}\\x{FEFF}]', '', 'g'),
        '[\\x{0009}-\\x{000D}\\x{001C}-\\x{0020}\\x{0085}\\x{00A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}'
        || '\\x{202F}\\x{205F}\\x{3000}]+', ' ', 'g')),
        '\\s*[,;(–-]\\s*(?:huyện|tỉnh|thị xã|thành phố|quận|tp\\.|tx\\.|h\\.|t\\.)\\s?.*$', '') as alias_key
    from (select distinct commune_name from dossiers)
)
select latest.*, aliases.commune_id,
    case
        when status in ('withdrawn', 'returned') then 'withdrawn'
        when status = 'in_progress' or finished_at is null then 'open'
        when finished_at < received_at then 'invalid_dates'
        when finished_at::date < due_at::date then 'early'
        when finished_at::date = due_at::date then 'on_time'
        else 'late'
    end as outcome,
    date_trunc('quarter', received_at) as quarter_start
from latest
-- the dbt macro unit_name_key, compiled: invisible characters removed, every kind of space one space, a
-- district or province written after the name cut
left join unit_keys using (commune_name)
left join aliases using (alias_key);
create or replace table quarter_counts as
select commune_id, quarter_start,
    count(*) as received,
    count(*) filter (channel = 'online') as online,
    count(*) filter (outcome not in ('withdrawn', 'open')
                     and finished_at < quarter_start + interval 3 month) as resolved,
    count(*) filter (outcome in ('early', 'on_time')
                     and finished_at < quarter_start + interval 3 month) as on_time,
    count(*) filter (outcome = 'late' and finished_at < quarter_start + interval 3 month) as late,
    round(100 * online / received, 2) as online_rate,
    round(100 * on_time / nullif(resolved, 0), 2) as on_time_rate
from classified
where commune_id is not null
group by all;
"""

CHECKS = {
    "duplicate_rows": """select count(*) from (select 1 from dossiers
                          group by dossier_code, source_file having count(*) > 1)""",
    "impossible_dates": """select count(*) filter (finished_at < received_at)
                                + count(*) filter (due_at < received_at) from classified""",
    "unknown_commune": """select count(*) from (select 1 from classified where commune_id is null
                           group by source_file, commune_name)""",
    "rates_out_of_range": """select count(*) from quarter_counts
                              where online_rate not between 0 and 100
                                 or on_time_rate not between 0 and 100""",
}

TOTALS = """
select
    (select count(*) from dossiers) as rows_loaded,
    (select count(*) from quarantine) as rows_quarantined,
    sum(received) as received, sum(online) as online, sum(resolved) as resolved,
    sum(on_time) as on_time, sum(late) as late
from quarter_counts
"""


def aliases_csv() -> Path:
    """The alias seed the pipeline resolves communes with (CDS_REFERENCE_DIR for the national scale)."""
    return get_settings().reference_dir / "ref_commune_aliases.csv"


def one_row(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, int]:
    """A one-row query as {column: integer}."""
    cursor = con.execute(sql)
    return {d[0]: int(v) for d, v in zip(cursor.description, cursor.fetchone(), strict=True)}


def _timed(seconds: dict[str, float], stage: str, work) -> object:
    started = time.perf_counter()
    result = work()
    seconds[stage] = round(time.perf_counter() - started, 2)
    return result


def _load(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    # DuckDB reads XLSX only through an extension it would download; the few small XLSX exports (only at
    # the default scale) go through openpyxl as the pipeline's do, CSV straight into the typed table.
    frames = []
    for path in sorted(folder.glob("*.xlsx")):
        rows = load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True)
        header = list(next(rows))
        frame = pandas.DataFrame(
            ([None if v is None else str(v) for v in row] for row in rows), columns=header, dtype=str
        )
        frames.append(frame.assign(filename=str(path)))
    empty = pandas.DataFrame({**{k: pandas.Series(dtype=str) for k in COLUMNS}, "filename": []}, dtype=str)
    con.register("xlsx_text", pandas.concat(frames) if frames else empty)
    con.execute("set variable dossier_files = ?", [sorted(str(p) for p in folder.glob("*.csv"))])
    con.execute(LOAD)
    con.unregister("xlsx_text")


def run_limit(sources: Path, database: Path) -> dict:
    seconds: dict[str, float] = {}
    database.unlink(missing_ok=True)
    with duckdb.connect(str(database)) as con:
        _timed(seconds, "load", lambda: _load(con, sources / "dossiers"))
        _timed(
            seconds,
            "transform",
            lambda: con.execute("set variable aliases_file = ?", [str(aliases_csv())]).execute(TRANSFORM),
        )
        checks = _timed(
            seconds,
            "checks",
            lambda: {name: con.execute(sql).fetchone()[0] for name, sql in CHECKS.items()},
        )
        totals = one_row(con, TOTALS)
    return {"stages": seconds, "totals": totals, "checks": checks}


if __name__ == "__main__":
    print(json.dumps(run_limit(Path(sys.argv[1]), Path(sys.argv[2]))))
