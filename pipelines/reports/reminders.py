"""Reminders (công văn đôn đốc): one letter to each commune that, some days after a quarter's due date, has
sent no form, sent it late, or has open errors in what it sent, and a one-page list for the Department.

The facts come from the warehouse as the last main job left it: the calendar (`marts.dim_period`), who
sent what when (`marts.fct_submission`, judged here against the date the reminders are for, not the day
the warehouse was built) and the open errors (`reporting.report_findings`). The same warehouse and date
give the same bytes: every document is dated the day the reminders are for.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import duckdb
from docx import Document

from pipelines.core.vietnamese import format_date, format_number, period_label
from pipelines.reports.docx import (
    CENTER,
    JUSTIFY,
    page_setup,
    save_dated,
    write_closing,
    write_letterhead,
    write_paragraph,
    write_table,
)
from pipelines.reports.read import rule_titles
from pipelines.reports.text import LETTERHEAD, Letterhead, lower_first

DEADLINE_DAYS = 7  # the new deadline a reminder sets, counted from its date
RULES_NAMED = 5  # a letter names at most this many of the unit's error rules, then counts the rest
REMINDER_SYMBOL = "SKHCN-KH&ĐMST"


@dataclass(frozen=True)
class Unit:
    commune_id: str
    name: str  # `xã Ba Động`, `đặc khu Lý Sơn`: as it follows «Ủy ban nhân dân»
    missing: bool  # no form by the reminders' date
    submitted_on: date | None
    days_late: int  # days its first form came after the due date (0: on time, or missing)
    open_errors: int
    rules: tuple[str, ...]  # the Vietnamese titles of its open errors' rules, most frequent first


@dataclass(frozen=True)
class ChaseList:
    period_key: str
    request_letter: str
    requested_on: date
    due_on: date
    as_of: date
    units: tuple[Unit, ...]

    @property
    def label(self) -> str:
        return period_label(self.period_key)

    @property
    def new_deadline(self) -> date:
        return self.as_of + timedelta(days=DEADLINE_DAYS)

    @property
    def due(self) -> bool:
        """Whether the due date has passed on the reminders' date (before it nobody is late)."""
        return self.as_of > self.due_on


def quarters(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select period_key from marts.dim_period where period_type = 'quarter' order by starts_on"
        ).fetchall()
    ]


def read_chase_list(con: duckdb.DuckDBPyConnection, period_key: str, as_of: date) -> ChaseList:
    """Who to remind for a quarter on `as_of`; a ValueError naming the quarters for any other period."""
    known = quarters(con)
    if period_key not in known:
        raise ValueError(
            f"Kỳ {period_key!r} không phải quý có biểu mẫu. Các quý: {', '.join(known)} "
            f"(not a quarter with forms; quarters: {', '.join(known)})"
        )
    letter, requested_on, due_on = con.execute(
        "select request_letter, requested_on, due_on from marts.dim_period where period_key = ?", [period_key]
    ).fetchall()[0]
    rows = con.execute(
        """with errors as (
               select commune_id, rule_code, count(*) as n
               from reporting.report_findings f
               where f.period_key = ? and f.severity = 'error' and f.status = 'open'
                   and f.commune_id is not null
                   -- what the commune itself sent (its form, its narrative report): what it can mend
                   and split_part(f.evidence_file, '/', 1) in ('submissions', 'narrative_reports')
               group by commune_id, rule_code
           )
           -- `xã Ba Động`: the unit's type in lower case, as it reads after «Ủy ban nhân dân»
           select c.commune_id,
                  lower(left(c.name_with_type, length(c.name_with_type) - length(c.commune_name)))
                      || c.commune_name as name,
                  s.first_submitted_on is null or s.first_submitted_on > ? as missing,
                  case when s.first_submitted_on <= ? then s.first_submitted_on end as submitted_on,
                  coalesce(sum(e.n), 0)::bigint as open_errors,
                  list(e.rule_code order by e.n desc, e.rule_code)
                      filter (where e.rule_code is not null) as rules
           from marts.fct_submission s
           join marts.dim_commune c using (commune_id)
           left join errors e using (commune_id)
           where s.period_key = ?
           group by c.commune_id, c.name_with_type, c.commune_name, c.name_order, s.first_submitted_on
           order by c.name_order""",
        [period_key, as_of, as_of, period_key],
    ).fetchall()
    due = as_of > due_on
    titles = rule_titles()
    units = tuple(
        Unit(
            cid,
            name,
            missing,
            submitted,
            max((submitted - due_on).days, 0) if submitted else 0,
            0 if missing else errors,
            () if missing else tuple(titles.get(code, code) for code in rules or ()),
        )
        for cid, name, missing, submitted, errors, rules in rows
        if due and (missing or errors or (submitted and submitted > due_on))
    )
    return ChaseList(period_key, letter, requested_on, due_on, as_of, units)


def _letterhead(letterhead: Letterhead) -> Letterhead:
    return replace(letterhead, number_symbol=REMINDER_SYMBOL, recipients=("Như trên;", "Lưu: VT, KH&ĐMST."))


def letter_text(chase: ChaseList, unit: Unit) -> list[str]:
    """The letter's paragraphs after «Kính gửi»."""
    request = (
        f"Thực hiện Công văn số {chase.request_letter} ngày {format_date(chase.requested_on)} của Sở "
        f"Khoa học và Công nghệ về việc báo cáo kết quả chuyển đổi số {lower_first(chase.label)}, "
        f"thời hạn gửi báo cáo là ngày {format_date(chase.due_on)}."
    )
    if unit.missing:
        state = (
            f"Đến ngày {format_date(chase.as_of)}, Sở chưa nhận được báo cáo và phụ lục chỉ tiêu của "
            f"Ủy ban nhân dân {unit.name}."
        )
        ask = "khẩn trương hoàn thành, gửi báo cáo và phụ lục chỉ tiêu"
    elif unit.open_errors:
        named = "; ".join(lower_first(rule) for rule in unit.rules[:RULES_NAMED])
        more = len(unit.rules) - RULES_NAMED
        rest = f" và {format_number(more)} loại lỗi khác" if more > 0 else ""
        state = (
            f"Báo cáo, phụ lục chỉ tiêu do Ủy ban nhân dân {unit.name} gửi ngày "
            f"{format_date(unit.submitted_on)}{_late(unit)} còn {format_number(unit.open_errors)} lỗi số "
            f"liệu chưa được xử lý ({named}{rest}); các số liệu có lỗi đang bị tạm giữ, chưa được công bố. "
            "Chi tiết từng lỗi (tệp, dòng, nội dung) có trong phụ lục kiểm tra số liệu của báo cáo kỳ này."
        )
        ask = "kiểm tra, sửa và gửi lại phụ lục chỉ tiêu (hoặc gửi văn bản giải trình)"
    else:  # sent late, no open error: a reminder of the deadline for the next periods
        state = (
            f"Ủy ban nhân dân {unit.name} gửi báo cáo ngày {format_date(unit.submitted_on)}{_late(unit)}, "
            "làm chậm việc tổng hợp, báo cáo Ủy ban nhân dân tỉnh."
        )
        return [
            request,
            state,
            f"Sở Khoa học và Công nghệ đề nghị Ủy ban nhân dân {unit.name} rút kinh nghiệm, gửi báo cáo "
            "đúng thời hạn trong các kỳ tiếp theo.",
            "Trân trọng./.",
        ]
    return [
        request,
        state,
        f"Sở Khoa học và Công nghệ đề nghị Ủy ban nhân dân {unit.name} {ask} về Sở trước ngày "
        f"{format_date(chase.new_deadline)} để tổng hợp, báo cáo Ủy ban nhân dân tỉnh.",
        "Trân trọng./.",
    ]


def _late(unit: Unit) -> str:
    return f", chậm {format_number(unit.days_late)} ngày so với thời hạn" if unit.days_late else ""


def unit_state(unit: Unit) -> str:
    """One line on the unit for the Department's list and the run's metadata."""
    if unit.missing:
        return "Chưa gửi báo cáo"
    late = f", chậm {format_number(unit.days_late)} ngày" if unit.days_late else ""
    errors = f", còn {format_number(unit.open_errors)} lỗi" if unit.open_errors else ""
    return f"Đã gửi ngày {format_date(unit.submitted_on)}{late}{errors}"


def write_letter(chase: ChaseList, unit: Unit, path: Path, letterhead: Letterhead = LETTERHEAD) -> Path:
    document = Document()
    page_setup(document)
    head = _letterhead(letterhead)
    write_letterhead(document, chase.as_of, head)
    write_paragraph(
        document, f"V/v đôn đốc gửi báo cáo chuyển đổi số {lower_first(chase.label)}", size=12, space_after=8
    )
    write_paragraph(document, f"Kính gửi: Ủy ban nhân dân {unit.name}.", align=CENTER, space_after=8)
    for text in letter_text(chase, unit):
        write_paragraph(document, text, align=JUSTIFY, space_after=6)
    write_closing(document, head)
    save_dated(document, chase.as_of, path, f"Đôn đốc báo cáo {chase.label} – {unit.name}")
    return path


def write_list(chase: ChaseList, path: Path, letterhead: Letterhead = LETTERHEAD) -> Path:
    """The Department's one-page list of the units reminded."""
    document = Document()
    page_setup(document)
    write_paragraph(document, letterhead.issuer, bold=True, size=12, space_after=0)
    write_paragraph(
        document,
        f"DANH SÁCH ĐƠN VỊ ĐƯỢC ĐÔN ĐỐC BÁO CÁO {chase.label.upper()}",
        bold=True,
        align=CENTER,
        space_after=0,
    )
    write_paragraph(
        document,
        f"(hạn gửi {format_date(chase.due_on)}; tình hình đến ngày {format_date(chase.as_of)}; "
        f"hạn mới {format_date(chase.new_deadline)})",
        italic=True,
        align=CENTER,
        space_after=8,
    )
    if not chase.units:
        write_paragraph(document, "Không có đơn vị nào phải đôn đốc.", space_after=0)
    else:
        write_table(
            document,
            ["STT", "Đơn vị", "Tình trạng", "Lỗi chưa xử lý"],
            [
                [
                    str(n),
                    unit.name,
                    unit_state(unit),
                    "-" if unit.missing else format_number(unit.open_errors),
                ]
                for n, unit in enumerate(chase.units, start=1)
            ],
            size=11,
            widths=[1.2, 6.0, 6.0, 3.0],
        )
    save_dated(document, chase.as_of, path, f"Danh sách đôn đốc {chase.label}")
    return path


def reminders_folder(outputs_dir: Path, chase: ChaseList) -> Path:
    return outputs_dir / "reminders" / chase.period_key / chase.as_of.isoformat()


def file_name(unit: Unit, period_key: str) -> str:
    return f"don-doc-{period_key}-{unit.commune_id}.docx"


def write_reminders(chase: ChaseList, out_dir: Path, letterhead: Letterhead = LETTERHEAD) -> list[Path]:
    """Every letter and the list into `out_dir` (made if missing); the list first."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [write_list(chase, out_dir / f"danh-sach-don-doc-{chase.period_key}.docx", letterhead)]
    for unit in chase.units:
        written.append(write_letter(chase, unit, out_dir / file_name(unit, chase.period_key), letterhead))
    return written
