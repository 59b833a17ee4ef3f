"""XLSX primitives of a period's publication: one sheet per table, typed cells, Excel number formats.

Numbers are numbers (rates as fractions with a percent format, so Excel sums and charts them), held-back
figures are the text «Tạm giữ» on grey, headers are frozen, and every text that came from an input
(names, messages, evidence) is written as a string cell with a quote prefix: a commune note starting with
`=` stays text and is never evaluated as a formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from pipelines.core.zipfiles import write_reproducible_zip
from pipelines.reports.model import Figure, Indicator, PeriodReport
from pipelines.reports.text import LETTERHEAD, WITHHELD

INTEGER = "#,##0"
DECIMAL = "#,##0.00"
PERCENT = "0.00%"
DATE = "dd/mm/yyyy"
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
_HELD_FILL = PatternFill("solid", fgColor="E7E6E6")
_HEADER_FONT = Font(bold=True)
_HELD_FONT = Font(italic=True, color="595959")


@dataclass(frozen=True)
class Column:
    title: str
    number_format: str | None = None
    width: int | None = None


@dataclass(frozen=True)
class Sheet:
    """One sheet: its columns and rows; an item of a row given as (value, number format) overrides the
    column's format; the first `freeze_columns` columns stay in view."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence]
    freeze_columns: int = 0


def cell_value(indicator: Indicator, figure: Figure | None) -> tuple[object, str | None]:
    """The typed value and number format of a figure; a held-back figure is the text «Tạm giữ»."""
    if figure is None or (figure.value is None and not figure.withheld):
        return None, None
    if figure.withheld:
        return WITHHELD, None
    if indicator.kind == "rate":
        return figure.value / 100, PERCENT
    return figure.value, INTEGER


# A change from the previous period: percentage points for a rate, per cent (as an Excel fraction) otherwise
POINTS_CHANGE = '+0.00" điểm %";-0.00" điểm %";0.00" điểm %"'
PERCENT_CHANGE = "+0.0%;-0.0%;0.0%"
CHANGE_UNITS = {True: "điểm %", False: "%"}  # keyed by "is a rate"


def change_cell(indicator: Indicator, delta: float | None) -> tuple[object, str | None]:
    """A change (`model.change`: points for a rate, per cent otherwise) as a typed cell; empty when none."""
    if delta is None:
        return None, None
    if indicator.kind == "rate":
        return round(delta, 6), POINTS_CHANGE
    return round(delta / 100, 8), PERCENT_CHANGE


def _write(ws, row: int, column: int, value: object, number_format: str | None = None):
    cell = ws.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str):
        # openpyxl turns any string starting with "=" into a formula: force a plain string cell.
        cell.data_type = "s"
        cell.quotePrefix = value[:1] in "=+-@\t\r"
        if value == WITHHELD:
            cell.fill, cell.font = _HELD_FILL, _HELD_FONT
    elif number_format:
        cell.number_format = number_format
    return cell


def add_sheet(workbook: Workbook, sheet: Sheet, page_title: str = "") -> None:
    """The sheet with its table from A1 (a header row, then data: what a program reading it expects), and a
    print setup: A4, fitted to the page width, header row repeated on every page, landscape when the table
    is wide, and the issuing body, `page_title` and page number in the printed page's header."""
    columns, freeze_columns = sheet.columns, sheet.freeze_columns
    ws = workbook.create_sheet(sheet.title)
    for j, column in enumerate(columns, start=1):
        cell = _write(ws, 1, j, column.title)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    widths = [len(c.title) // 2 + 2 for c in columns]
    for i, row in enumerate(sheet.rows, start=2):
        for j, (column, item) in enumerate(zip(columns, row, strict=True), start=1):
            value, number_format = item if isinstance(item, tuple) else (item, column.number_format)
            _write(ws, i, j, value, number_format)
            widths[j - 1] = max(widths[j - 1], min(len(str(value)) + 2, 60) if value is not None else 0)
    for j, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = column.width or max(8, min(widths[j - 1], 60))
    ws.row_dimensions[1].height = 45
    ws.freeze_panes = ws.cell(row=2, column=freeze_columns + 1)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(ws.max_row, 1)}"
    _print_setup(ws, len(columns), page_title)


def append_row(ws, values: Sequence) -> None:
    """One more row under a sheet's table (typed as `add_sheet` types them), inside its print area."""
    row = ws.max_row + 1
    for j, value in enumerate(values, start=1):
        _write(ws, row, j, value)
    last = get_column_letter(ws.max_column)
    ws.print_area = f"A1:{last}{row}"
    ws.auto_filter.ref = f"A1:{last}{row}"


# Wider than this (in Excel's character widths) a table prints landscape; A4 portrait holds about 90.
LANDSCAPE_FROM_WIDTH = 95


def _print_setup(ws, column_count: int, page_title: str) -> None:
    last = get_column_letter(column_count)
    ws.print_area = f"A1:{last}{max(ws.max_row, 1)}"
    ws.print_title_rows = "1:1"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    width = sum(ws.column_dimensions[get_column_letter(j)].width or 8 for j in range(1, column_count + 1))
    ws.page_setup.orientation = "landscape" if width > LANDSCAPE_FROM_WIDTH else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0  # one page wide, as many pages long as needed
    ws.page_margins.left, ws.page_margins.right = 0.6, 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.print_options.horizontalCentered = True
    ws.oddHeader.left.text = f"{LETTERHEAD.authority}\n{LETTERHEAD.issuer}"
    ws.oddHeader.left.size = 9
    ws.oddHeader.center.text = page_title.replace("&", "&&")  # & starts a header code in Excel
    ws.oddHeader.center.size = 10
    ws.oddHeader.center.font = "Times New Roman,Bold"
    ws.oddFooter.right.text = "Trang &P/&N"
    ws.oddFooter.right.size = 9


def save_workbook(workbook: Workbook, report: PeriodReport, issued_on: date, path: Path) -> None:
    """Save with the Department as author and the issue date as every timestamp: the same data gives the
    same bytes."""
    when = datetime.combine(issued_on, time())
    workbook.properties.created = workbook.properties.modified = when
    workbook.properties.creator = "Sở Khoa học và Công nghệ"
    workbook.properties.title = f"Báo cáo chuyển đổi số cấp xã – {report.period.label}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    write_reproducible_zip(buffer.getvalue(), path, when)
