"""The XLSX workbook of a period's publication: every section's sheets, in the sections' order.

Numbers are numbers (rates as fractions with a percent format, so Excel sums and charts them), held-back
figures are the text «Tạm giữ» on grey, headers are frozen, and every text that came from an input
(names, messages, evidence) is written as a string cell with a quote prefix: a commune note starting with
`=` stays text and is never evaluated as a formula (`xlsx.py`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from pipelines.reports.editions import FIRST_EDITION, Edition
from pipelines.reports.model import PeriodReport
from pipelines.reports.sections import SECTIONS, about
from pipelines.reports.xlsx import DATE, Column, Sheet, write_sheets


def changes_sheet(edition: Edition) -> Sheet:
    """Every figure that changed since the edition this one replaces (the HTML and DOCX print the first)."""
    columns = [
        Column("Đơn vị", width=24),
        Column("Mã đơn vị", width=10),
        Column("Chỉ tiêu", width=48),
        Column("Mã chỉ tiêu", width=22),
        Column("Lần trước", width=22),
        Column("Lần này", width=22),
        Column("Lý do thay đổi", width=60),
        Column("Ngày", DATE, width=12),
        Column("Mã biểu mẫu (sha256)", width=20),
    ]
    rows = [
        [
            c.place,
            c.commune_id,
            c.indicator_name,
            c.indicator_code,
            c.before,
            c.after,
            c.cause,
            c.cause_on,
            c.submission_id,
        ]
        for c in edition.changes
    ]
    return Sheet("Thay đổi", columns, rows, freeze_columns=1)


def workbook_sheets(report: PeriodReport, issued_on: date, edition: Edition = FIRST_EDITION) -> list[Sheet]:
    """Every sheet of the period's workbook, in order; «Thông tin» last, with the edition's lines under it."""
    sheets = [sheet for section in SECTIONS if section.xlsx for sheet in section.xlsx(report, issued_on)]
    if edition.replaces:
        sheets.insert(len(sheets) - 1, changes_sheet(edition))  # before «Thông tin», which stays last
    edition_rows = [["Lần công bố", edition.sentence]] + [
        ["Thay đổi khác", line] for line in edition.other_changes
    ]
    return [
        replace(sheet, rows=[*sheet.rows, *edition_rows]) if sheet.title == about.SHEET else sheet
        for sheet in sheets
    ]


def write_workbook(
    report: PeriodReport, issued_on: date, path: Path, edition: Edition = FIRST_EDITION
) -> None:
    sheets = workbook_sheets(report, issued_on, edition)
    write_sheets(
        [(sheet, f"{report.period.label}: {sheet.title}") for sheet in sheets], report, issued_on, path
    )
