"""The XLSX workbook of a period's publication: every section's sheets, in the sections' order.

Numbers are numbers (rates as fractions with a percent format, so Excel sums and charts them), held-back
figures are the text «Tạm giữ» on grey, headers are frozen, and every text that came from an input
(names, messages, evidence) is written as a string cell with a quote prefix: a commune note starting with
`=` stays text and is never evaluated as a formula (`xlsx.py`).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import Workbook

from pipelines.reports.model import PeriodReport
from pipelines.reports.sections import SECTIONS
from pipelines.reports.xlsx import add_sheet, save_workbook


def build_workbook(report: PeriodReport, issued_on: date) -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for section in SECTIONS:
        for sheet in section.xlsx(report, issued_on) if section.xlsx else ():
            add_sheet(workbook, sheet, page_title=f"{report.period.label}: {sheet.title}")
    return workbook


def write_workbook(report: PeriodReport, issued_on: date, path: Path) -> None:
    save_workbook(build_workbook(report, issued_on), report, issued_on, path)
