"""People's decisions on extracted figures that wait for review, and the review sheet they fill in.

A figure the reader is not sure of (low confidence, a role cue too far away, a noun that does not fit the
indicator's unit) is `needs_review`: it stays out of the marts until someone decides. Decisions live in
`expectations/reviewed_figures.csv` (reviewed in git like the accept list of findings) and in filled review
sheets (`xem-xet-<period>.xlsx`, published with each period) put back under `sources/reviews/`: both are
read the same way, row by row, and land in `raw.figure_reviews`. A decision names the figure by its key
(`<first 12 hex of the report's sha256>#<figure number>`) and says `accept`, `reject` or `remap` (with the
right indicator), who decided, when and why. A row without a person, a date or a reason is refused with its
file and line: a decision nobody can trace is not one.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from pipelines.core.vietnamese import name_key
from pipelines.settings import EXPECTATIONS_DIR

REVIEW_LIST = EXPECTATIONS_DIR / "reviewed_figures.csv"
REVIEW_COLUMNS = ("figure_key", "decision", "indicator_code", "reviewed_by", "reviewed_on", "reason")
SHEET_NAME = "Xem xét"
# The review sheet's columns, in order; the last five are the reviewer's.
SHEET_COLUMNS = (
    "Mã số liệu",
    "Đơn vị",
    "Báo cáo",
    "Vị trí",
    "Câu trích",
    "Số liệu",
    "Chỉ tiêu đề xuất",
    "Vai trò",
    "Độ tin cậy",
    "Lý do chờ xem xét",
    "Quyết định (chấp nhận / loại / đổi chỉ tiêu)",
    "Chỉ tiêu đúng (khi đổi)",
    "Người xem xét",
    "Ngày (dd/mm/yyyy)",
    "Lý do quyết định",
)
_DECISIONS = {
    "accept": "accept",
    "chấp nhận": "accept",
    "đồng ý": "accept",
    "reject": "reject",
    "loại": "reject",
    "không chấp nhận": "reject",
    "remap": "remap",
    "đổi chỉ tiêu": "remap",
    "đổi": "remap",
}
_KEY = re.compile(r"[0-9a-f]{12}#\d+")


class ReviewError(ValueError):
    """A decision that cannot be applied: names the file, the line and what is wrong."""


@dataclass(frozen=True)
class Decision:
    figure_key: str
    decision: str  # accept | reject | remap
    indicator_code: str | None
    reviewed_by: str
    reviewed_on: date
    reason: str
    source: str  # the file and line it came from


def _day(text: str) -> date:
    text = text.strip()
    for parse in (date.fromisoformat, lambda t: datetime.strptime(t, "%d/%m/%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    raise ValueError(text)


def _decision(values: dict[str, str], where: str, indicators: set[str]) -> Decision:
    missing = [c for c in ("figure_key", "decision", "reviewed_by", "reviewed_on", "reason") if not values[c]]
    if missing:
        raise ReviewError(f"{where}: thiếu {', '.join(missing)} (missing {', '.join(missing)})")
    key = values["figure_key"].strip()
    if not _KEY.fullmatch(key):
        raise ReviewError(f"{where}: mã số liệu «{key}» không đúng dạng <12 ký tự hex>#<số> (bad figure key)")
    decision = _DECISIONS.get(name_key(values["decision"]))
    if decision is None:
        raise ReviewError(
            f"{where}: quyết định «{values['decision']}» phải là chấp nhận, loại hoặc đổi chỉ tiêu "
            "(decision must be accept, reject or remap)"
        )
    code = (values.get("indicator_code") or "").strip().upper() or None
    if decision == "remap" and code not in indicators:
        raise ReviewError(
            f"{where}: đổi chỉ tiêu cần một mã chỉ tiêu của danh mục, nhận «{code or ''}» "
            "(remap needs an indicator code of the catalogue)"
        )
    try:
        reviewed_on = _day(values["reviewed_on"])
    except ValueError as error:
        raise ReviewError(f"{where}: ngày «{values['reviewed_on']}» không đọc được (dd/mm/yyyy)") from error
    return Decision(
        key,
        decision,
        code if decision == "remap" else None,
        values["reviewed_by"].strip(),
        reviewed_on,
        values["reason"].strip(),
        where,
    )


def read_review_list(path: Path, indicators: set[str]) -> list[Decision]:
    if not path.exists():
        return []
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != REVIEW_COLUMNS:
            raise ReviewError(f"{path}: the header must be {','.join(REVIEW_COLUMNS)}")
        return [
            _decision({k: (v or "") for k, v in row.items()}, f"{path}, dòng {line}", indicators)
            for line, row in enumerate(reader, start=2)
        ]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def read_review_sheet(path: Path, indicators: set[str]) -> list[Decision]:
    """The filled rows of a review sheet (a row whose decision cell is empty is still pending)."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        if SHEET_NAME not in workbook.sheetnames:
            raise ReviewError(f"{path}: không có trang «{SHEET_NAME}» (not a review sheet)")
        rows = workbook[SHEET_NAME].iter_rows(values_only=True)
        header_at, header = next(
            ((n, r) for n, r in enumerate(rows, start=1) if r and _text(r[0]) == SHEET_COLUMNS[0]), (0, None)
        )
        if header is None or tuple(_text(c) for c in header[: len(SHEET_COLUMNS)]) != SHEET_COLUMNS:
            raise ReviewError(f"{path}: hàng tiêu đề của trang «{SHEET_NAME}» đã bị sửa (header changed)")
        decisions = []
        for n, row in enumerate(rows, start=header_at + 1):
            cells = [_text(c) for c in (row or ())][: len(SHEET_COLUMNS)]
            cells += [""] * (len(SHEET_COLUMNS) - len(cells))
            if not cells[10]:
                continue
            values = dict(
                figure_key=cells[0],
                decision=cells[10],
                indicator_code=cells[11],
                reviewed_by=cells[12],
                reviewed_on=cells[13],
                reason=cells[14],
            )
            decisions.append(_decision(values, f"{path}, {SHEET_NAME}!K{n}", indicators))
        return decisions
    finally:
        workbook.close()


def read_decisions(
    review_list: Path, reviews_dir: Path, indicators: set[str]
) -> tuple[list[Decision], list[str]]:
    """Every decision: the list in git, then the filled sheets (by name), and the refusals (a file with a
    bad row is left out whole, with the row named). The latest decision on a figure wins (by date, then by
    the order read)."""
    sources: list[tuple[Path, object]] = [(review_list, read_review_list)]
    if reviews_dir.is_dir():
        sources += [
            (path, read_review_sheet)
            for path in sorted(reviews_dir.glob("*.xlsx"))
            if not path.name.startswith(("~$", ".")) and not path.is_symlink()
        ]
    decisions: list[Decision] = []
    refused: list[str] = []
    for path, read in sources:
        try:
            decisions += read(path, indicators)
        except ReviewError as error:
            refused.append(str(error))
        except Exception as error:  # a damaged workbook: refused by name, the others still count
            refused.append(f"{path}: không đọc được ({type(error).__name__}: {error})")
    latest: dict[str, tuple[date, int, Decision]] = {}
    for order, decision in enumerate(decisions):
        current = latest.get(decision.figure_key)
        if current is None or (decision.reviewed_on, order) >= current[:2]:
            latest[decision.figure_key] = (decision.reviewed_on, order, decision)
    return [d for _, _, d in sorted(latest.values(), key=lambda t: t[2].figure_key)], refused


RAW_REVIEWS_DDL = """
create schema if not exists raw;
create or replace table raw.figure_reviews (
    figure_key varchar primary key,
    decision varchar not null,
    indicator_code varchar,
    reviewed_by varchar not null,
    reviewed_on date not null,
    reason varchar not null,
    source varchar not null
);
"""


def land_decisions(con, decisions: list[Decision]) -> int:
    """Replace `raw.figure_reviews` with the decisions (the files are the record; the table mirrors them)."""
    con.execute(RAW_REVIEWS_DDL)
    if decisions:
        con.executemany(
            "insert into raw.figure_reviews values (?, ?, ?, ?, ?, ?, ?)",
            [
                [d.figure_key, d.decision, d.indicator_code, d.reviewed_by, d.reviewed_on, d.reason, d.source]
                for d in decisions
            ],
        )
    return len(decisions)
