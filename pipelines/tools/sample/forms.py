"""The Department's indicator appendix (phụ lục chỉ tiêu), as an XLSX form per commune and period.

The layout is what the ingest reads: a header block (commune, period, coverage dates, submission date)
then one row per indicator with numerator, denominator, the rate as the commune printed it, and a note.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from pipelines.core.vietnamese import format_number, period_label
from pipelines.tools.sample.xlsx import save_reproducibly

FORM_TITLE = "PHỤ LỤC CHỈ TIÊU CHUYỂN ĐỔI SỐ CẤP XÃ"
FORM_SUBTITLE = "(Kèm theo báo cáo định kỳ gửi Sở Khoa học và Công nghệ tỉnh Quảng Ngãi)"
HEADER_LABELS = {
    "commune": "Đơn vị báo cáo:",
    "period": "Kỳ báo cáo:",
    "coverage": "Số liệu tính từ ngày:",
    "submitted": "Ngày gửi báo cáo:",
}
COVERAGE_TO_LABEL = "đến ngày:"
TABLE_HEADER = [
    "STT",
    "Mã chỉ tiêu",
    "Tên chỉ tiêu",
    "Đơn vị tính",
    "Tử số",
    "Mẫu số",
    "Tỷ lệ (%)",
    "Ghi chú",
]
TABLE_HEADER_ROW = 9


def printed_rate(numerator: int, denominator: int, decimals: int = 2, truncate: bool = False) -> str:
    """The rate as an official prints it: `99,82%`, or `100%` when exact."""
    if denominator == 0:
        return ""
    exact = Decimal(numerator) * 100 / Decimal(denominator)
    if exact == exact.to_integral_value():
        return f"{int(exact)}%"
    quantum = Decimal(1).scaleb(-decimals)
    value = exact.quantize(quantum, rounding=ROUND_DOWN if truncate else ROUND_HALF_UP)
    return f"{format_number(float(value), decimals)}%"


@dataclass
class FormRow:
    indicator_code: str
    name_vi: str
    unit: str
    numerator: int | str | None = None
    denominator: int | str | None = None
    rate: str | None = None
    note: str = ""


@dataclass
class Form:
    commune_written: str
    period_key: str
    coverage_from: str
    coverage_to: str
    submitted_on: str
    rows: list[FormRow] = field(default_factory=list)
    nfd: bool = False

    def row(self, code: str) -> FormRow:
        return next(r for r in self.rows if r.indicator_code == code)


def _text(value: object, nfd: bool) -> object:
    if isinstance(value, str) and nfd:
        return unicodedata.normalize("NFD", value)
    return value


def write_form(form: Form | None, path: Path, indicators: list[dict[str, str]]) -> None:
    """Write a filled form, or the empty template when `form` is None."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Phụ lục"
    nfd = form.nfd if form else False
    sheet["A1"] = FORM_TITLE
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A2"] = FORM_SUBTITLE
    sheet["A2"].font = Font(italic=True)
    values = {
        "commune": form.commune_written if form else "",
        "period": period_label(form.period_key) if form else "",
        "coverage": form.coverage_from if form else "",
        "submitted": form.submitted_on if form else "",
    }
    for offset, (key, label) in enumerate(HEADER_LABELS.items()):
        row = 4 + offset
        sheet.cell(row=row, column=2, value=_text(label, nfd)).font = Font(bold=True)
        sheet.cell(row=row, column=3, value=_text(values[key], nfd))
        if key == "coverage":
            sheet.cell(row=row, column=4, value=_text(COVERAGE_TO_LABEL, nfd)).font = Font(bold=True)
            sheet.cell(row=row, column=5, value=form.coverage_to if form else "")
    for col, title in enumerate(TABLE_HEADER, start=1):
        cell = sheet.cell(row=TABLE_HEADER_ROW, column=col, value=_text(title, nfd))
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    rows = form.rows if form else [FormRow(i["indicator_code"], i["name_vi"], i["unit"]) for i in indicators]
    for n, item in enumerate(rows, start=1):
        sheet.append(
            [
                n,
                item.indicator_code,
                _text(item.name_vi, nfd),
                _text(item.unit, nfd),
                _text(item.numerator, nfd),
                _text(item.denominator, nfd),
                item.rate,
                _text(item.note, nfd),
            ]
        )
    for letter, width in zip("ABCDEFGH", (6, 28, 60, 12, 14, 14, 12, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    save_reproducibly(workbook, path)
