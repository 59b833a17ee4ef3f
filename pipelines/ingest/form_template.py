"""The Department's indicator form (phụ lục chỉ tiêu): the one XLSX layout communes fill and the ingest reads.

`cds form` issues it empty, one per commune and period, with the header block filled and locked; the sample
generator writes its filled forms with the same `write_form`. The layout:

- sheet «Phụ lục»: title rows, the header block (commune, period, coverage dates, submission date) from row
  4, the due date on row 3, then the table from row 9: one row per indicator of the catalogue with numerator,
  denominator, the rate as the commune prints it, and a note. Excel validation on the figure cells (whole
  numbers ≥ 0; a rate 0–100) with a Vietnamese input message; everything but the cells a commune fills is
  locked (sheet protection without a password: against slips, not against a determined user);
- sheet «Hướng dẫn»: what each indicator means and how its rate is computed;
- a very hidden, protected sheet with the form's version and the fingerprint of the catalogue rows it was
  made from, which the ingest records (`form_version`, `catalogue` in `raw.ingested_files.detected`).
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, Protection
from openpyxl.worksheet.datavalidation import DataValidation

from pipelines.core.vietnamese import format_date, period_label
from pipelines.core.zipfiles import write_reproducible_zip
from pipelines.reference import ascii_fold, read_seed

FORM_VERSION = "2025.2"  # bump when the layout changes; the catalogue has its own fingerprint
FORM_TITLE = "PHỤ LỤC CHỈ TIÊU CHUYỂN ĐỔI SỐ CẤP XÃ"
FORM_SUBTITLE = "(Kèm theo báo cáo định kỳ gửi Sở Khoa học và Công nghệ tỉnh Quảng Ngãi)"
HEADER_LABELS = {
    "commune": "Đơn vị báo cáo:",
    "period": "Kỳ báo cáo:",
    "coverage": "Số liệu tính từ ngày:",
    "submitted": "Ngày gửi báo cáo:",
}
COVERAGE_TO_LABEL = "đến ngày:"
DUE_LABEL = "Hạn gửi báo cáo:"
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
FORM_SHEET = "Phụ lục"
GUIDE_SHEET = "Hướng dẫn"
VERSION_SHEET = "phien_ban"  # very hidden: not listed in Excel's "Unhide"
VERSION_KEYS = ("form_version", "catalogue", "commune_id", "period_key")
FIXED_TIME = datetime(2025, 1, 1)  # the workbook's stored dates: the same form is the same bytes
# the catalogue columns a form is made from: a change to any of them is a new catalogue fingerprint
CATALOGUE_COLUMNS = (
    "indicator_code",
    "form_order",
    "name_vi",
    "unit",
    "kind",
    "numerator_vi",
    "denominator_vi",
)
KIND_NAMES = {
    "count": "số lượng trong kỳ (cộng dồn các quý)",
    "stock": "số hiện có cuối kỳ",
    "rate": "tỷ lệ phần trăm",
    "flag": "có (1) / không (0)",
    "money": "số tiền (đồng)",
}


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
    """A form's content: what the header block and the table say (text as a commune would write it)."""

    commune_written: str
    period_key: str
    coverage_from: str
    coverage_to: str
    submitted_on: str
    rows: list[FormRow] = field(default_factory=list)
    nfd: bool = False
    commune_id: str = ""
    due_on: str = ""

    def row(self, code: str) -> FormRow:
        return next(r for r in self.rows if r.indicator_code == code)


def form_indicators(indicators: list[dict[str, str]]) -> list[dict[str, str]]:
    """The catalogue rows that belong on the form, in the form's order."""
    return sorted((i for i in indicators if i["reported_on"] == "form"), key=lambda i: int(i["form_order"]))


def catalogue_fingerprint(indicators: list[dict[str, str]]) -> str:
    """16 hex digits of the on-form catalogue rows: two forms with the same fingerprint ask the same."""
    text = "\n".join("|".join(i.get(c, "") for c in CATALOGUE_COLUMNS) for i in form_indicators(indicators))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def issued_form(commune: dict[str, str], period: dict[str, str]) -> Form:
    """The empty form of one commune (a `ref_communes` row) for one period (`ref_reporting_calendar`)."""
    return Form(
        commune_written=commune["name_with_type"],
        period_key=period["period_key"],
        coverage_from=format_date(date.fromisoformat(period["starts_on"])),
        coverage_to=format_date(date.fromisoformat(period["ends_on"])),
        submitted_on="",
        commune_id=commune["commune_id"],
        due_on=format_date(date.fromisoformat(period["due_on"])),
    )


def issue_forms(
    period_key: str, commune_ids: list[str] | None, out_dir: Path, reference_dir: Path | None = None
) -> list[Path]:
    """The empty form of each commune asked for (every commune when None) for a period that expects forms,
    written into `out_dir` as `<commune id>_<name>_<period>.xlsx`. An unknown period or commune is a
    ValueError that lists the valid ones; nothing is written then."""
    periods = {p["period_key"]: p for p in read_seed("ref_reporting_calendar", reference_dir)}
    with_forms = [key for key, p in periods.items() if p["expects_form"] == "true"]
    if period_key not in with_forms:
        raise ValueError(
            f"Kỳ {period_key!r} không có biểu mẫu. Các kỳ có biểu mẫu: {', '.join(with_forms)} "
            f"(no form for period {period_key!r}; periods with forms: {', '.join(with_forms)})"
        )
    communes = {c["commune_id"]: c for c in read_seed("ref_communes", reference_dir)}
    unknown = [c for c in commune_ids or [] if c not in communes]
    if unknown:
        raise ValueError(
            f"Mã đơn vị không có trong danh mục: {', '.join(unknown)}. Mã hợp lệ, ví dụ: "
            f"{', '.join(list(communes)[:5])}… ({len(communes)} mã trong ref_communes.csv) "
            f"(unknown commune id {', '.join(unknown)})"
        )
    indicators = read_seed("ref_indicators", reference_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for commune_id in commune_ids or list(communes):
        commune = communes[commune_id]
        slug = "-".join(ascii_fold(commune["commune_name"]).lower().split())
        path = out_dir / f"{commune_id}_{slug}_{period_key}.xlsx"
        write_form(issued_form(commune, periods[period_key]), path, indicators)
        written.append(path)
    return written


def _text(value: object, nfd: bool) -> object:
    if isinstance(value, str) and nfd:
        return unicodedata.normalize("NFD", value)
    return value


_UNLOCKED = Protection(locked=False)


def _validations(sheet, kinds: list[str]) -> None:
    """Whole numbers ≥ 0 in the figure cells (0 or 1 for a yes/no), a rate between 0 and 100."""
    whole = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    whole.promptTitle, whole.prompt = "Số liệu", "Nhập số nguyên không âm (ví dụ 1059), không nhập chữ."
    whole.errorTitle, whole.error = "Số liệu không hợp lệ", "Tử số và mẫu số là số nguyên không âm."
    flag = DataValidation(type="whole", operator="between", formula1="0", formula2="1", allow_blank=True)
    flag.promptTitle, flag.prompt = "Có/Không", "Nhập 1 nếu có, 0 nếu không."
    flag.errorTitle, flag.error = "Giá trị không hợp lệ", "Chỉ nhập 1 (có) hoặc 0 (không)."
    rate = DataValidation(type="decimal", operator="between", formula1="0", formula2="100", allow_blank=True)
    rate.promptTitle, rate.prompt = "Tỷ lệ (%)", "Nhập tỷ lệ phần trăm từ 0 đến 100, ví dụ 99,82."
    rate.errorTitle, rate.error = "Tỷ lệ không hợp lệ", "Tỷ lệ phải nằm trong khoảng 0–100."
    for validation in (whole, flag, rate):
        validation.showInputMessage = validation.showErrorMessage = True
        sheet.add_data_validation(validation)
    for offset, kind in enumerate(kinds):
        row = TABLE_HEADER_ROW + 1 + offset
        (flag if kind == "flag" else whole).add(f"E{row}:F{row}")
        if kind == "rate":
            rate.add(f"G{row}")


def _guide(workbook: Workbook, indicators: list[dict[str, str]]) -> None:
    sheet = workbook.create_sheet(GUIDE_SHEET)
    sheet.append(["Hướng dẫn điền phụ lục chỉ tiêu"])
    sheet["A1"].font = Font(bold=True, size=12)
    sheet.append(["Chỉ điền các ô trống của trang «Phụ lục»; các ô khác đã khóa. Số liệu ghi bằng số."])
    sheet.append([])
    sheet.append(["Mã", "Chỉ tiêu", "Đơn vị tính", "Loại số liệu", "Cách tính"])
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for i in form_indicators(indicators):
        how = i["numerator_vi"]
        if i["denominator_vi"]:
            how = f"{i['numerator_vi']} ÷ {i['denominator_vi']} × 100"
        kind = KIND_NAMES.get(i["kind"], i["kind"])
        sheet.append([i["indicator_code"], i["name_vi"], i["unit"], kind, how])
    for letter, width in zip("ABCDE", (28, 60, 12, 30, 70), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.protection.sheet = True


def _version(workbook: Workbook, form: Form | None, indicators: list[dict[str, str]]) -> None:
    sheet = workbook.create_sheet(VERSION_SHEET)
    issued_for = (form.commune_id, form.period_key) if form else ("", "")
    values = (FORM_VERSION, catalogue_fingerprint(indicators), *issued_for)
    for key, value in zip(VERSION_KEYS, values, strict=True):
        sheet.append([key, value])
    sheet.sheet_state = "veryHidden"
    sheet.protection.sheet = True


def read_version(sheets: list) -> dict[str, str]:
    """`form_version` and `catalogue` from the hidden version sheet of a form this module wrote (sheets as
    the form reader loads them: `.title`, `.rows` of cells with `.value`); empty for any other workbook.
    Values are cut to 64 characters: the sheet is as untrusted as the rest of the file."""
    found: dict[str, str] = {}
    for sheet in sheets:
        if sheet.title != VERSION_SHEET:
            continue
        for row in sheet.rows[: len(VERSION_KEYS)]:
            if len(row) >= 2 and row[0].value in ("form_version", "catalogue") and row[1].value is not None:
                found[str(row[0].value)] = str(row[1].value)[:64]
    return found


def write_form(form: Form | None, path: Path, indicators: list[dict[str, str]]) -> None:
    """The form, filled as `form` says, or the Department's empty template when `form` is None;
    `indicators` is the catalogue (`ref_indicators`). The same content gives the same bytes."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = FORM_SHEET
    nfd = form.nfd if form else False
    sheet["A1"] = FORM_TITLE
    sheet["A1"].font = Font(bold=True, size=13)
    sheet["A2"] = FORM_SUBTITLE
    sheet["A2"].font = Font(italic=True)
    if form and form.due_on:
        sheet["B3"] = _text(DUE_LABEL, nfd)
        sheet["B3"].font = Font(bold=True)
        sheet["C3"] = form.due_on
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
        if key == "submitted":
            sheet.cell(row=row, column=3).protection = _UNLOCKED
    for col, title in enumerate(TABLE_HEADER, start=1):
        cell = sheet.cell(row=TABLE_HEADER_ROW, column=col, value=_text(title, nfd))
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    on_form = form_indicators(indicators)
    rows = (form.rows if form else []) or [
        FormRow(i["indicator_code"], i["name_vi"], i["unit"]) for i in on_form
    ]
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
        for column in range(5, 9):  # numerator, denominator, rate, note: the commune's cells
            sheet.cell(row=sheet.max_row, column=column).protection = _UNLOCKED
    kinds = {i["indicator_code"]: i["kind"] for i in indicators}
    _validations(sheet, [kinds.get(item.indicator_code, "count") for item in rows])
    for letter, width in zip("ABCDEFGH", (6, 28, 60, 12, 14, 14, 12, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.protection.sheet = True
    _guide(workbook, indicators)
    _version(workbook, form, indicators)
    workbook.active = 0
    save_reproducibly(workbook, path)


def save_reproducibly(workbook: Workbook, path: Path, creator: str = "cds") -> None:
    """Save with fixed stored dates and zip times: the same workbook is the same bytes."""
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    workbook.properties.creator = creator
    buffer = io.BytesIO()
    workbook.save(buffer)
    write_reproducible_zip(buffer.getvalue(), path, FIXED_TIME)
