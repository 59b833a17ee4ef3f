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

from xlsxwriter import Workbook

from pipelines.core.zipfiles import write_reproducible_zip
from pipelines.reports.model import Figure, Indicator, PeriodReport
from pipelines.reports.text import LETTERHEAD, WITHHELD

INTEGER = "#,##0"
DECIMAL = "#,##0.00"
PERCENT = "0.00%"
DATE = "dd/mm/yyyy"
_HEADER = {"bold": True, "bg_color": "#DCE6F1", "text_wrap": True, "valign": "vcenter", "align": "center"}
_HELD = {"italic": True, "font_color": "#595959", "bg_color": "#E7E6E6"}


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


_QUOTED = "=+-@\t\r"  # a text starting so would be read as a formula (or a DDE call) when retyped


class _Styles:
    """The workbook's cell formats, one object per combination (XlsxWriter keeps each one it is given)."""

    def __init__(self, workbook: Workbook):
        self.workbook, self.made = workbook, {}

    def get(self, number_format: str | None = None, quoted: bool = False, held: bool = False, header=False):
        key = (number_format, quoted, held, header)
        if key not in self.made:
            spec: dict[str, object] = {}
            if number_format:
                spec["num_format"] = number_format
            if quoted:
                spec["quote_prefix"] = True
            if held:
                spec.update(_HELD)
            if header:
                spec.update(_HEADER)
            self.made[key] = self.workbook.add_format(spec) if spec else None
        return self.made[key]


def _write(
    ws, styles: _Styles, row: int, column: int, value: object, number_format: str | None = None, **style
):
    """One typed cell (0-based): text is always a string cell, never a formula, with a quote prefix where it
    starts like one; a number or date takes its number format; «Tạm giữ» is grey."""
    if isinstance(value, str) and value:
        quoted = value[0] in _QUOTED
        ws.write_string(row, column, value, styles.get(None, quoted, value == WITHHELD, **style))
    elif value is None or value == "":
        if number_format or style:
            ws.write_blank(row, column, None, styles.get(number_format, **style))
    elif isinstance(value, bool):
        ws.write_boolean(row, column, value, styles.get(number_format, **style))
    elif isinstance(value, datetime | date | time):
        default = "yyyy-mm-dd h:mm:ss" if isinstance(value, datetime) else "yyyy-mm-dd"
        ws.write_datetime(row, column, value, styles.get(number_format or default, **style))
    else:
        ws.write_number(row, column, value, styles.get(number_format, **style))


def add_sheet(workbook: Workbook, styles: _Styles, sheet: Sheet, page_title: str = "") -> None:
    """The sheet with its table from A1 (a header row, then data: what a program reading it expects), and a
    print setup: A4, fitted to the page width, header row repeated on every page, landscape when the table
    is wide, and the issuing body, `page_title` and page number in the printed page's header."""
    columns, freeze_columns = sheet.columns, sheet.freeze_columns
    ws = workbook.add_worksheet(sheet.title)
    for j, column in enumerate(columns):
        _write(ws, styles, 0, j, column.title, header=True)
    widths = [len(c.title) // 2 + 2 for c in columns]
    last_row = 0
    for i, row in enumerate(sheet.rows, start=1):
        for j, (column, item) in enumerate(zip(columns, row, strict=True)):
            value, number_format = item if isinstance(item, tuple) else (item, column.number_format)
            _write(ws, styles, i, j, value, number_format)
            widths[j] = max(widths[j], min(len(str(value)) + 2, 60) if value is not None else 0)
        last_row = i
    chosen = [column.width or max(8, min(widths[j], 60)) for j, column in enumerate(columns)]
    for j, width in enumerate(chosen):
        ws.set_column(j, j, width)
    ws.set_row(0, 45)
    ws.freeze_panes(1, freeze_columns)
    ws.autofilter(0, 0, last_row, len(columns) - 1)
    ws.print_area(0, 0, last_row, len(columns) - 1)
    _print_setup(ws, sum(chosen), page_title)


# Wider than this (in Excel's character widths) a table prints landscape; A4 portrait holds about 90.
LANDSCAPE_FROM_WIDTH = 95
# Excel keeps at most this many characters of a page header (codes included)
_HEADER_LIMIT = 255


def _print_setup(ws, width: float, page_title: str) -> None:
    ws.repeat_rows(0)
    ws.set_paper(9)  # A4
    if width > LANDSCAPE_FROM_WIDTH:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.fit_to_pages(1, 0)  # one page wide, as many pages long as needed
    ws.set_margins(left=0.6, right=0.4, top=0.75, bottom=0.75)
    ws.center_horizontally()
    left = f"&L&9{_header_text(LETTERHEAD.authority)}\n{_header_text(LETTERHEAD.issuer)}"
    center = '&C&"Times New Roman,Bold"&10'
    title = page_title
    while len(left) + len(center) + len(_header_text(title)) > _HEADER_LIMIT:
        title = title[:-1]
    ws.set_header(left + center + _header_text(title), {"margin": 0.5})
    ws.set_footer("&R&9Trang &P/&N", {"margin": 0.5})


def _header_text(text: str) -> str:
    return text.replace("&", "&&")  # & starts a header code in Excel


def write_sheets(
    sheets: Iterable[tuple[Sheet, str]], report: PeriodReport, issued_on: date, path: Path
) -> None:
    """The workbook of `sheets` (each with its printed page title), saved with the Department as author and
    the issue date as every timestamp: the same data gives the same bytes."""
    when = datetime.combine(issued_on, time())
    buffer = io.BytesIO()
    workbook = Workbook(buffer, {"in_memory": True})
    workbook.set_properties(
        {
            "title": f"Báo cáo chuyển đổi số cấp xã – {report.period.label}",
            "author": "Sở Khoa học và Công nghệ",
            "created": when,
        }
    )
    styles = _Styles(workbook)
    for sheet, page_title in sheets:
        add_sheet(workbook, styles, sheet, page_title)
    workbook.close()
    write_reproducible_zip(buffer.getvalue(), path, when)
