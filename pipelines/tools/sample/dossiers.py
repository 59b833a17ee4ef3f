"""Synthetic dossier-system exports, generated inside DuckDB.

Each dossier's randomness comes from `hash(seed, commune, quarter, row, purpose)`, so the output is
deterministic for a seed, streams straight to CSV through `COPY`, and 10 million rows need no Python loop.
Per-commune behaviour (size, online share, lateness) comes from the profiles built in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
from openpyxl import Workbook

from pipelines.tools.sample.xlsx import save_reproducibly

# Procedures a commune's one-stop shop handles: (procedure, field, fee-bearing, days allowed, weight).
PROCEDURES = [
    ("Đăng ký khai sinh", "Hộ tịch", False, 1, 30),
    ("Chứng thực bản sao từ bản chính", "Chứng thực", True, 1, 25),
    ("Đăng ký kết hôn", "Hộ tịch", False, 1, 8),
    ("Xác nhận tình trạng hôn nhân", "Hộ tịch", True, 3, 10),
    ("Đăng ký khai tử", "Hộ tịch", False, 1, 6),
    ("Đăng ký thành lập hộ kinh doanh", "Thành lập và hoạt động của hộ kinh doanh", True, 3, 6),
    ("Cấp giấy phép xây dựng nhà ở riêng lẻ", "Xây dựng", True, 15, 4),
    ("Đăng ký biến động quyền sử dụng đất", "Đất đai", True, 10, 7),
    ("Giải quyết trợ cấp xã hội hằng tháng", "Bảo trợ xã hội", False, 7, 4),
]

# Vietnamese export headers, in the order the one-stop-shop system writes them.
EXPORT_HEADERS = [
    "Mã hồ sơ",
    "Đơn vị tiếp nhận",
    "Tên thủ tục",
    "Lĩnh vực",
    "Ngày tiếp nhận",
    "Hình thức nộp",
    "Hạn xử lý",
    "Ngày hoàn thành",
    "Trạng thái",
    "Có thu phí",
    "Số hóa khi tiếp nhận",
    "Số hóa kết quả",
    "Thanh toán trực tuyến",
]

UNKNOWN_COMMUNE = "Xã Hòa Bình"  # exists in other provinces, not in Quảng Ngãi

# Shares of dossier rows carrying an injected defect (zero in clean mode).
DUPLICATE_SHARE = 0.002
FINISHED_BEFORE_RECEIVED_SHARE = 0.0005
UNKNOWN_COMMUNE_ROWS_PER_EXPORT = 3
MEMORY_LIMIT = "2GB"


@dataclass(frozen=True)
class DossierProfile:
    """How one commune's one-stop shop behaves in one quarter."""

    commune_idx: int
    commune_id: str
    written_name: str
    quarter_idx: int
    period_key: str
    starts_on: str
    ends_on: str
    dossiers: int
    p_online: float
    p_postal: float
    p_withdrawn: float
    p_late: float
    p_early: float
    p_intake_digitised: float
    p_result_digitised: float
    p_paid_online: float


_PROFILE_COLUMNS = list(DossierProfile.__dataclass_fields__)


def _u(seed: int, purpose: int) -> str:
    """A uniform number in [0, 1) for this row and purpose."""
    return f"((hash({seed}, commune_idx, quarter_idx, k, {purpose}) % 1000000) / 1000000.0)"


def _generation_sql(seed: int, defects: bool) -> str:
    """One row per dossier with its outcome category; defects decided by their own hashes."""
    dup_share = DUPLICATE_SHARE if defects else 0.0
    fbr_share = FINISHED_BEFORE_RECEIVED_SHARE if defects else 0.0
    return f"""
    with rows as (
        select p.*, unnest(range(p.dossiers)) as k from profiles p
    ), drawn as (
        select rows.*,
            {_u(seed, 1)} as u_day, {_u(seed, 2)} as u_sec, {_u(seed, 3)} as u_channel,
            {_u(seed, 4)} as u_proc, {_u(seed, 5)} as u_outcome, {_u(seed, 6)} as u_duration,
            {_u(seed, 7)} as u_intake, {_u(seed, 8)} as u_result, {_u(seed, 9)} as u_pay,
            {_u(seed, 10)} as u_dup, {_u(seed, 11)} as u_fbr
        from rows
    ), received as (
        select d.*, pr.procedure, pr.field, pr.fee_bearing, pr.days_allowed,
            starts_on::timestamp
                + to_days(floor(u_day * (date_diff('day', starts_on, ends_on) + 1))::int)
                + to_seconds(7 * 3600 + floor(u_sec * 36000)::int) as received_at
        from drawn d join procedures pr on d.u_proc >= pr.w_lo and d.u_proc < pr.w_hi
    ), timed as (
        select *,
            (received_at::date + days_allowed)::timestamp + interval 17 hour as due_at,
            case when u_channel < p_online then 'online'
                 when u_channel < p_online + p_postal then 'postal' else 'in_person' end as channel,
            case when u_outcome < p_withdrawn then 'withdrawn'
                 when u_outcome < p_withdrawn + p_late then 'late'
                 when u_outcome < p_withdrawn + p_late + (1 - p_withdrawn - p_late) * p_early then 'early'
                 else 'on_time' end as outcome
        from received
    ), finished as (
        select *,
            case outcome
                when 'withdrawn' then received_at + interval 1 day
                when 'early' then received_at + to_days(floor(u_duration * days_allowed)::int)
                                  + interval 2 hour
                when 'on_time' then due_at - interval 9 hour + to_seconds(floor(u_duration * 28800)::int)
                else due_at + to_days(1 + floor(u_duration * 10)::int)
            end as finished_raw
        from timed
    )
    select *,
        finished_raw > ends_on::timestamp + interval 1 day as open_at_export,
        u_dup < {dup_share} as duplicated,
        outcome <> 'withdrawn' and not (finished_raw > ends_on::timestamp + interval 1 day)
            and u_fbr < {fbr_share} as finished_before_received,
        u_intake < p_intake_digitised as intake_digitised,
        outcome <> 'withdrawn' and u_result < p_result_digitised as result_digitised,
        fee_bearing and u_pay < (case when channel = 'online' then p_paid_online
                                      else p_paid_online / 6 end) as paid_online
    from finished
    """


def _fmt(ts: str) -> str:
    return f"strftime({ts}, '%d/%m/%Y %H:%M:%S')"


_YES_NO = "case when {0} then 'Có' else 'Không' end"

_EXPORT_SELECT = f"""
    select
        printf('%s-%s-%05d', commune_id, strftime(received_at, '%y%m%d'), k) as "Mã hồ sơ",
        written_name as "Đơn vị tiếp nhận",
        procedure as "Tên thủ tục",
        field as "Lĩnh vực",
        {_fmt("received_at")} as "Ngày tiếp nhận",
        case channel when 'online' then 'Trực tuyến' when 'postal' then 'Qua bưu chính công ích'
             else 'Trực tiếp' end as "Hình thức nộp",
        {_fmt("due_at")} as "Hạn xử lý",
        case when open_at_export then null
             when finished_before_received then {_fmt("received_at - interval 3 day")}
             else {_fmt("finished_raw")} end as "Ngày hoàn thành",
        case when outcome = 'withdrawn' then (case when k % 2 = 0 then 'Rút hồ sơ' else 'Trả lại' end)
             when open_at_export then 'Đang giải quyết' else 'Đã giải quyết' end as "Trạng thái",
        {_YES_NO.format("fee_bearing")} as "Có thu phí",
        {_YES_NO.format("intake_digitised")} as "Số hóa khi tiếp nhận",
        {_YES_NO.format("result_digitised and not open_at_export")} as "Số hóa kết quả",
        {_YES_NO.format("paid_online")} as "Thanh toán trực tuyến",
        commune_idx, received_at, k, 0 as copy_no
    from current_quarter
"""


class DossierGenerator:
    """Holds one in-memory DuckDB connection with the profiles and procedures registered."""

    def __init__(self, profiles: list[DossierProfile], seed: int, defects: bool):
        # Bounded memory at any scale: DuckDB spills to disk beyond this rather than growing.
        self.con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT})
        self.defects = defects
        # sql-checked: column names and types from the DossierProfile dataclass, not from input
        self.con.execute(f"create table profiles ({', '.join(self._profile_ddl())})")
        self.con.executemany(
            f"insert into profiles values ({', '.join('?' * len(_PROFILE_COLUMNS))})",
            [[getattr(p, c) for c in _PROFILE_COLUMNS] for p in profiles],
        )
        total = sum(w for *_, w in PROCEDURES)
        lo, rows = 0.0, []
        for i, (name, field, fee, days, weight) in enumerate(PROCEDURES):
            hi = 1.0 if i == len(PROCEDURES) - 1 else lo + weight / total
            rows.append((name, field, fee, days, lo, hi))
            lo = hi
        self.con.execute(
            "create table procedures (procedure varchar, field varchar, fee_bearing boolean,"
            " days_allowed integer, w_lo double, w_hi double)"
        )
        self.con.executemany("insert into procedures values (?, ?, ?, ?, ?, ?)", rows)
        # sql-checked: the generation query holds only constants and numbers derived from the integer seed
        self.con.execute(f"create view generated as {_generation_sql(int(seed), defects)}")

    @staticmethod
    def _profile_ddl() -> list[str]:
        types = {"int": "integer", "str": "varchar", "float": "double"}
        return [
            f"{name} {'date' if name in ('starts_on', 'ends_on') else types[f.type]}"
            for name, f in DossierProfile.__dataclass_fields__.items()
        ]

    def _export_query(self, commune_ids: list[str] | None, stray: bool = True) -> str:
        """The export of the selected quarter (`select_quarter`); with commune ids, the query takes them as
        the parameter `$communes`."""
        where = "true" if commune_ids is None else "list_contains($communes, commune_id)"
        cols = ", ".join(f'"{h}"' for h in EXPORT_HEADERS)
        base = _EXPORT_SELECT.replace("from current_quarter", f"from current_quarter where {where}")
        parts = [base]
        if self.defects:
            parts.append(
                base.replace("0 as copy_no", "1 as copy_no").replace(
                    f"where {where}", f"where {where} and duplicated"
                )
            )
            if stray:  # the stray rows go into the main (CSV) export only
                parts.append(self._unknown_commune_rows())
        union = " union all ".join(f"({p})" for p in parts)
        # every column breaks ties last: a stray row copied from another commune's dossier shares its sort
        # keys, and DuckDB's parallel sort would otherwise order the two differently from run to run
        return f"select {cols} from ({union}) order by commune_idx, received_at, k, copy_no, {cols}"

    def unknown_commune_count(self) -> int:
        """How many dossiers of the unknown commune the quarter's export carries (0 when the commune they
        are copied from received none that quarter)."""
        if not self.defects:
            return 0
        return self.con.execute(f"select count(*) from ({self._unknown_commune_rows()})").fetchone()[0]

    def _unknown_commune_rows(self) -> str:
        """A few dossiers of a commune from another province, mixed into the export by mistake."""
        return (
            _EXPORT_SELECT.replace("written_name as", f"'{UNKNOWN_COMMUNE}' as")
            .replace("printf('%s-%s-%05d', commune_id", "printf('%s-%s-%05d', 'HBI'")
            .replace(
                "from current_quarter",
                f"from current_quarter where commune_idx = 0 and k < {UNKNOWN_COMMUNE_ROWS_PER_EXPORT}",
            )
        )

    def select_quarter(self, period_key: str) -> None:
        """Materialise one quarter's dossiers once; every export, defect list and count reads it."""
        self.con.execute(
            "create or replace temp table current_quarter as select * from generated where period_key = ?",
            [period_key],
        )

    def write_csv(self, path: Path, commune_ids: list[str] | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.con.execute(
            f"copy ({self._export_query(commune_ids)}) to $path (header, delimiter ',')",
            {"path": str(path), **({} if commune_ids is None else {"communes": commune_ids})},
        )

    def write_xlsx(self, path: Path, commune_ids: list[str]) -> None:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Danh sách hồ sơ")
        sheet.append(EXPORT_HEADERS)
        cursor = self.con.execute(self._export_query(commune_ids, stray=False), {"communes": commune_ids})
        while batch := cursor.fetchmany(10_000):
            for row in batch:
                sheet.append(list(row))
        save_reproducibly(workbook, path)

    def dossier_defects(self, period_key: str) -> list[tuple[str, str, str, str]]:
        """(defect_kind, commune_id, dossier code, detail) for every injected dossier-level defect."""
        if not self.defects:
            return []
        code = "printf('%s-%s-%05d', commune_id, strftime(received_at, '%y%m%d'), k)"
        rows = self.con.execute(
            f"""select 'duplicate_dossier_row', commune_id, {code}, 'dòng hồ sơ bị lặp lại'
                from current_quarter where period_key = ? and duplicated
                union all
                select 'finished_before_received', commune_id, {code},
                       'ngày hoàn thành trước ngày tiếp nhận'
                from current_quarter where period_key = ? and finished_before_received
                order by 1, 3""",
            [period_key, period_key],
        ).fetchall()
        return [tuple(r) for r in rows]

    def true_counts(self, period_key: str) -> dict[str, dict[str, int]]:
        """What each commune's one-stop shop itself counted for the quarter (no duplicates)."""
        rows = self.con.execute(
            """select commune_id,
                count(*) as received,
                count(*) filter (channel = 'online') as online,
                count(*) filter (channel = 'in_person') as in_person,
                count(*) filter (channel = 'postal') as postal,
                count(*) filter (outcome <> 'withdrawn' and not open_at_export) as resolved,
                count(*) filter (outcome <> 'withdrawn' and open_at_export) as in_progress,
                count(*) filter (outcome = 'withdrawn') as withdrawn,
                count(*) filter (outcome = 'early' and not open_at_export) as early,
                count(*) filter (outcome = 'on_time' and not open_at_export) as on_time,
                count(*) filter (outcome = 'late' and not open_at_export) as late,
                count(*) filter (intake_digitised) as intake_digitised,
                count(*) filter (result_digitised and not open_at_export) as result_digitised,
                count(*) filter (fee_bearing) as fee_bearing,
                count(*) filter (paid_online) as paid_online
            from current_quarter where period_key = ? group by commune_id""",
            [period_key],
        )
        names = [d[0] for d in rows.description]
        return {r[0]: dict(zip(names[1:], r[1:], strict=True)) for r in rows.fetchall()}

    def close(self) -> None:
        self.con.close()
