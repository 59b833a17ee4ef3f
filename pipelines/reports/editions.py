"""Editions of a period's publication, what changed between them, and the periods locked against change.

A published edition is never changed. When a later run changes what a period's publication says, the next
edition is published beside it (`outputs/reports/.editions/<period>-lan-<N>/`, the period's link switched to
it) and carries a change list: every printed figure that differs from the edition it replaces, old and new
as printed, what caused it (the commune's form version in force, from `marts.fct_reported_value_history`; a
new dossier or staffing export; a check that now holds the figure back or releases it) and that cause's
date. The comparison is against the figures the earlier edition printed, which it keeps in
`so-lieu-<period>.json` beside its documents (the reported values' own history stays in the warehouse).

A period listed in `expectations/locked_periods.csv` (who locked it, when and why; reviewed in git like the
accept list of findings) is not published again: what would change is computed the same way and shown as
pending for the next edition (the run's log and metadata, and the index).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from pipelines.core.reviewed import read_reviewed_csv
from pipelines.core.vietnamese import format_date, format_number
from pipelines.reports.model import Figure, Indicator, PeriodReport
from pipelines.reports.text import WITHHELD, Letterhead, figure_text, fraction_text
from pipelines.settings import EXPECTATIONS_DIR

LOCK_LIST = EXPECTATIONS_DIR / "locked_periods.csv"
LOCK_COLUMNS = ("period_key", "locked_by", "locked_on", "reason")
PROVINCE = "Toàn tỉnh"
# The export kinds behind a system figure (`dim_indicator.system_source` → `raw.ingested_files.source_kind`)
SYSTEM_KINDS = {"dossiers": "dossier_export", "staffing": "staffing_list"}
SYSTEM_NAMES = {"dossier_export": "tệp xuất của hệ thống hồ sơ", "staffing_list": "danh sách cán bộ"}
CHANGES_PRINTED = 40  # rows of the change list in the HTML and DOCX; the workbook carries them all


@dataclass(frozen=True)
class Lock:
    period_key: str
    locked_by: str
    locked_on: date
    reason: str

    @property
    def text(self) -> str:
        return f"khóa ngày {format_date(self.locked_on)} bởi {self.locked_by}: {self.reason}"


def load_locks(path: Path = LOCK_LIST) -> dict[str, Lock]:
    """The locked periods; a row without a person, a date or a reason is refused (it would not be
    auditable), as is a period locked twice."""
    locks: dict[str, Lock] = {}
    for line, row, day in read_reviewed_csv(path, LOCK_COLUMNS, "locked_on"):
        key = row["period_key"]
        if key in locks:
            raise ValueError(f"{path}, dòng {line}: kỳ {key} bị khóa hai lần (locked twice)")
        locks[key] = Lock(key, row["locked_by"], day, row["reason"])
    return locks


@dataclass(frozen=True)
class FigureChange:
    commune_id: str | None  # None: the province figure
    place: str
    indicator_code: str
    indicator_name: str
    before: str  # as the earlier edition printed it; "-" where it had none
    after: str
    cause: str  # in Vietnamese
    cause_on: date | None
    submission_id: str | None = None


@dataclass(frozen=True)
class Edition:
    """The edition being published: its number, the one it replaces, and what changed since."""

    number: int
    replaces: int | None = None
    replaces_issued_on: date | None = None
    changes: tuple[FigureChange, ...] = ()
    other_changes: tuple[str, ...] = ()
    snapshot: dict | None = None  # what this edition prints, kept beside it for the next comparison

    @property
    def sentence(self) -> str:
        """The line under the report's title."""
        if self.replaces is None:
            return f"Lần công bố thứ {self.number}."
        changed = (
            f"{format_number(len(self.changes))} số liệu thay đổi (xem mục «Số liệu thay đổi so với lần "
            "công bố trước»)"
            if self.changes
            else "không có số liệu nào thay đổi"
        )
        return (
            f"Lần công bố thứ {self.number}, thay thế lần {self.replaces} ngày "
            f"{format_date(self.replaces_issued_on)}: {changed}."
        )


FIRST_EDITION = Edition(1)


def _printed(indicator: Indicator, figure: Figure | None, province: bool) -> str:
    text = figure_text(indicator, figure, province)
    fraction = fraction_text(figure)
    return f"{text} ({fraction})" if fraction and indicator.kind == "rate" else text


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def read_inputs(con: duckdb.DuckDBPyConnection, report: PeriodReport) -> dict:
    """What the period's figures were built from: each commune's form version in force for each of the
    period's quarters (from `fct_reported_value_history`), and the system exports landed."""
    quarters = list(report.period.quarter_keys)
    forms = con.execute(
        """
        select distinct history.commune_id, history.period_key, history.submission_id,
               history.version_number, history.valid_from, forms.source_file
        from marts.fct_reported_value_history as history
        left join staging.stg_submissions__forms as forms using (submission_id)
        where history.is_in_force and list_contains(?::varchar[], history.period_key)
        order by 1, 2
        """,
        [quarters],
    ).fetchall()
    files = con.execute(
        """
        select source_kind, sha256, original_path
        from raw.ingested_files
        where list_contains(?::varchar[], source_kind) and rows_loaded > 0
        order by ingested_at, sha256
        """,
        [list(SYSTEM_KINDS.values())],
    ).fetchall()
    return {
        "forms": {
            f"{commune}|{quarter}": {
                "submission_id": submission,
                "version": version,
                "submitted_on": submitted_on.isoformat() if submitted_on else None,
                "file": Path(source_file).name if source_file else None,
            }
            for commune, quarter, submission, version, submitted_on, source_file in forms
        },
        "system_files": [{"kind": kind, "sha256": sha, "file": Path(path).name} for kind, sha, path in files],
    }


def snapshot(report: PeriodReport, inputs: dict, reviews: int, letterhead: Letterhead) -> dict:
    """What an edition prints, in a form the next edition compares against (`so-lieu-<period>.json`)."""
    figures = {
        f"*|{line.indicator.code}": _printed(line.indicator, line.figure, province=True)
        for line in report.province
    }
    for commune in report.communes:
        for indicator in report.indicators:
            figure = report.figures.get(commune.commune_id, {}).get(indicator.code)
            if figure is not None:
                figures[f"{commune.commune_id}|{indicator.code}"] = _printed(indicator, figure, False)
    return {
        "period_key": report.period.key,
        "figures": figures,
        "inputs": inputs,
        "checks": {
            "open_errors": report.open_errors,
            "open_warnings": len(report.findings) - report.open_errors,
            "withheld_communes": len(report.withheld_communes),
            "figures_pending_review": reviews,
        },
        # what else a publication prints, as fingerprints: a change there is named, not itemised
        "parts": {
            "previous_period": _digest(
                [report.previous_figures, [(line.indicator.code, line.previous) for line in report.province]]
            ),
            "findings": _digest(report.findings),
            "submissions": _digest([report.submission_summary, report.submission_attention]),
            "signer": _digest([letterhead.signer_role, letterhead.signer_name]),
        },
    }


_PART_NAMES = {
    "previous_period": "số liệu kỳ trước dùng để so sánh",
    "findings": "danh sách lỗi, cảnh báo của kiểm tra dữ liệu",
    "submissions": "tình hình gửi báo cáo của các xã",
    "signer": "người ký",
}
_CHECK_NAMES = {
    "open_errors": "số lỗi chưa xử lý",
    "open_warnings": "số cảnh báo",
    "withheld_communes": "số đơn vị có số liệu tạm giữ",
    "figures_pending_review": "số liệu chờ xem xét",
}


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _form_cause(commune_id: str, before: dict, after: dict) -> tuple[str, date | None, str | None] | None:
    """The commune's forms in force now that were not in force at the earlier edition, latest first."""
    old, new = before.get("forms", {}), after["forms"]
    fresh = sorted(
        (form for key, form in new.items() if key.startswith(f"{commune_id}|") and old.get(key) != form),
        key=lambda form: (form["submitted_on"] or "", form["submission_id"]),
        reverse=True,
    )
    if not fresh:
        return None
    form = fresh[0]
    submitted_on = _date(form["submitted_on"])
    when = f", nộp ngày {format_date(submitted_on)}" if submitted_on else ""
    name = form["file"] or form["submission_id"][:12]
    return (
        f"Biểu mẫu của xã, lần gửi thứ {form['version']} ({name}{when})",
        submitted_on,
        form["submission_id"],
    )


def _system_cause(
    kind: str | None, before: dict, after: dict, facts: InputFacts
) -> tuple[str, date | None] | None:
    """The exports of `kind` landed since the earlier edition, and the day the last of them landed."""
    seen = {f["sha256"] for f in before.get("system_files", [])}
    fresh = [f for f in after["system_files"] if f["sha256"] not in seen and kind in (None, f["kind"])]
    if not fresh:
        return None
    names = ", ".join(f["file"] for f in fresh)
    return f"Dữ liệu mới: {SYSTEM_NAMES[fresh[-1]['kind']]} {names}", facts.landed_on.get(fresh[-1]["sha256"])


def _cause(
    commune_id: str,
    indicator: Indicator,
    change: tuple[str, str],
    inputs: tuple[dict, dict],
    facts: InputFacts,
) -> tuple[str, date | None, str | None]:
    """Why a commune's printed figure changed: a check that holds it back or releases it, the commune's
    newer form (a figure from the forms), or a newer export (a figure the dossier system or the staffing
    list computes)."""
    old, new = change
    if new == WITHHELD:
        return "Kiểm tra dữ liệu phát hiện lỗi chưa xử lý: số liệu bị tạm giữ", None, None
    before, after = inputs
    if indicator.source == "reported":
        found = _form_cause(commune_id, before, after)
        if found:
            return found
    elif system := _system_cause(facts.kinds.get(indicator.code), before, after, facts):
        return system[0], system[1], None
    if old == WITHHELD:
        return "Lỗi đã được xử lý hoặc chấp nhận: số liệu không còn bị tạm giữ", None, None
    return "Tính lại trong kho dữ liệu (danh mục chỉ tiêu hoặc quy tắc tính đã thay đổi)", None, None


@dataclass(frozen=True)
class InputFacts:
    """What the warehouse says of the inputs, to name a change's cause: the export kind that computes each
    indicator (None for one from the forms), and the day each landed file (by sha256) landed. Kept out of
    the snapshot: the landing day is not what a publication prints."""

    kinds: dict[str, str | None]
    landed_on: dict[str, date]


def input_facts(con: duckdb.DuckDBPyConnection) -> InputFacts:
    rows = con.execute("select indicator_code, system_source from marts.dim_indicator").fetchall()
    landed = con.execute("select sha256, cast(ingested_at as date) from raw.ingested_files").fetchall()
    return InputFacts({code: SYSTEM_KINDS.get(source or "") for code, source in rows}, dict(landed))


def compare(
    report: PeriodReport, before: dict | None, after: dict, facts: InputFacts
) -> tuple[tuple[FigureChange, ...], tuple[str, ...]]:
    """Every printed figure that differs between two editions' snapshots (the province first, then the
    communes in the report's order, indicators in the catalogue's), and what else changed, in words."""
    if before is None:
        return (), ("Lần công bố trước không lưu số liệu để so sánh (công bố trước khi có đánh số lần)",)
    old, new = before["figures"], after["figures"]
    inputs = (before.get("inputs", {}), after["inputs"])

    def differs(unit: str, indicator: Indicator) -> tuple[str, str] | None:
        key = f"{unit}|{indicator.code}"
        change = (old.get(key, "-"), new.get(key, "-"))
        return change if change[0] != change[1] else None

    communes = []
    for commune in report.communes:
        for indicator in report.indicators:
            if change := differs(commune.commune_id, indicator):
                cause, on, submission = _cause(commune.commune_id, indicator, change, inputs, facts)
                communes.append(
                    FigureChange(
                        commune.commune_id,
                        commune.name,
                        indicator.code,
                        indicator.name,
                        *change,
                        cause,
                        on,
                        submission,
                    )
                )
    province = []
    for indicator in report.indicators:
        if change := differs("*", indicator):
            units = sum(1 for c in communes if c.indicator_code == indicator.code)
            cause = (
                f"Tổng hợp lại từ số liệu đã thay đổi của {format_number(units)} đơn vị"
                if units
                else "Tổng hợp lại toàn tỉnh (số liệu tạm giữ hoặc số đơn vị được tính đã thay đổi)"
            )
            province.append(
                FigureChange(None, PROVINCE, indicator.code, indicator.name, *change, cause, None)
            )
    counts = [(name, before.get("checks", {}).get(name, 0), after["checks"][name]) for name in _CHECK_NAMES]
    others = [
        f"{_CHECK_NAMES[name]}: {format_number(was)} → {format_number(now)}"
        for name, was, now in counts
        if was != now
    ]
    others += [
        f"thay đổi {_PART_NAMES[name]}"
        for name in _PART_NAMES
        if before.get("parts", {}).get(name) != after["parts"][name]
    ]
    return tuple(province + communes), tuple(others)


def read_snapshot(folder: Path, period_key: str) -> dict | None:
    try:
        return json.loads((folder / snapshot_name(period_key)).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def snapshot_name(period_key: str) -> str:
    return f"so-lieu-{period_key}.json"


def write_snapshot(edition: Edition, period_key: str, folder: Path) -> Path:
    path = folder / snapshot_name(period_key)
    path.write_text(
        json.dumps(edition.snapshot, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    return path


def change_rows(edition: Edition) -> list[list[str]]:
    """The change list as printed: unit, indicator, before, after, cause, date."""
    return [
        [
            c.place,
            c.indicator_name,
            c.before,
            c.after,
            c.cause,
            format_date(c.cause_on) if c.cause_on else "-",
        ]
        for c in edition.changes
    ]


CHANGE_HEADERS = ["Đơn vị", "Chỉ tiêu", "Lần trước", "Lần này", "Lý do thay đổi", "Ngày"]
