"""Commune submission forms (the Department's XLSX indicator appendix, or the same table as CSV).

`parse_form` is pure: a file in, a `ParsedForm` out, or an `IngestError` when the file cannot be
attributed (unreadable, no header block, unknown commune, period outside the calendar). Row-level problems
(unknown indicator code, unreadable number, duplicate row) hold back only that row. Every numeric cell
keeps its text as written beside the parsed value: the rate as the commune printed it matters later.

Landing rules: a figure that is merely wrong (negative, numerator above denominator, a rate that does not
match its fraction) lands as written; judging it is the data-quality layer's job, not the parser's.
"""

from __future__ import annotations

import contextlib
import csv
import math
import multiprocessing
import re
import zipfile
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import duckdb

from pipelines.core.rows import FIGURE, FIGURE_LIMIT, RATE, RATE_LIMIT, use_column_types
from pipelines.core.vietnamese import (
    NumberProblem,
    compat,
    format_number,
    name_key,
    named_scale,
    names_quarter,
    nfc,
    parse_period,
    read_number,
)
from pipelines.ingest.cells import (
    EPOCH_1900,
    HEADER_SEARCH_ROWS,
    HeaderAliases,
    blank_header_error,
    cell_text,
    ooxml_text,
    superscript_footnotes,
    vertical_merges,
    without_controls,
)
from pipelines.ingest.guards import (
    MAX_FORM_BYTES,
    MAX_FORM_ROWS,
    check_extension,
    check_size,
    check_xlsx,
    content_kind,
    inbox_files,
    refuse_by_content,
    transitional,
)
from pipelines.ingest.register import (
    Detected,
    FileResult,
    IngestError,
    ensure_register,
    file_sha256,
    ingest_file,
    insert_rows,
    quarantine_rows,
    registered_among,
)
from pipelines.ingest.textfiles import DELIMITER_NAMES, detect_encoding, find_header, open_text
from pipelines.reference import CommuneResolver, read_seed

SOURCE_KIND = "submission_form"
PARALLEL_FROM = 40  # below this many new forms, starting worker processes costs more than it saves
HEADER_FIELDS = {
    "đơn vị báo cáo:": "commune",
    "kỳ báo cáo:": "period",
    "số liệu tính từ ngày:": "coverage_from",
    "đến ngày:": "coverage_to",
    "ngày gửi báo cáo:": "submitted_on",
    "tên đơn vị báo cáo:": "commune",
    "đơn vị gửi báo cáo:": "commune",
    "kỳ:": "period",
    "thời gian báo cáo:": "period",
    "từ ngày:": "coverage_from",
    "ngày gửi:": "submitted_on",
    "ngày báo cáo:": "submitted_on",
}

RAW_DDL = f"""
create schema if not exists raw;
create table if not exists raw.submissions (
    file_sha256 varchar primary key,
    source_file varchar not null,
    commune_id varchar not null,
    commune_written varchar not null,
    period_key varchar not null,
    period_written varchar,
    coverage_from date,
    coverage_from_text varchar,
    coverage_to date,
    coverage_to_text varchar,
    submitted_on date,
    submitted_on_text varchar,
    ingested_at timestamp not null
);
create table if not exists raw.submission_values (
    file_sha256 varchar not null,
    source_row integer not null,
    indicator_code varchar not null,
    numerator {FIGURE},
    numerator_text varchar,
    denominator {FIGURE},
    denominator_text varchar,
    reported_rate {RATE},
    reported_rate_text varchar,
    note varchar,
    has_formula boolean not null,
    primary key (file_sha256, indicator_code)
);
"""


VALUE_COLUMNS = [
    "file_sha256",
    "source_row",
    "indicator_code",
    "numerator",
    "numerator_text",
    "denominator",
    "denominator_text",
    "reported_rate",
    "reported_rate_text",
    "note",
    "has_formula",
]


@dataclass
class FormValue:
    source_row: int
    indicator_code: str
    numerator_text: str | None
    denominator_text: str | None
    rate_text: str | None
    note: str | None
    has_formula: bool = False
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    rate: Decimal | None = None


@dataclass
class ParsedForm:
    commune_id: str
    commune_written: str
    period_key: str
    period_written: str
    dates: dict[str, tuple[date | None, str | None]]
    values: list[FormValue] = field(default_factory=list)
    problems: list[IngestError] = field(default_factory=list)


def parse_date(value: object, epoch: date | None = None) -> tuple[date | None, str | None]:
    """(parsed date or None, the text as written). Impossible dates (year 20205) parse to None; an Excel
    serial day number (45931) is the date it counts from the workbook's day 0 (`epoch`: 1904-01-01 in a
    workbook saved in the 1904 date system, as old Mac Excel writes it)."""
    if value is None or value == "":
        return None, None
    if isinstance(value, datetime):
        return value.date(), value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value, value.strftime("%d/%m/%Y")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 20_000 <= value <= 80_000:
        day = (epoch or EXCEL_EPOCH) + timedelta(days=int(value))
        return day, day.strftime("%d/%m/%Y")
    text = nfc(str(value)).strip()
    # a leading apostrophe is Excel's mark of text (`'03/04/2025` in a CSV), the 12-hour clock's SA/CH
    # (sáng/chiều) are AM/PM
    readable = _TWELVE_HOUR.sub(
        lambda m: " AM" if m.group(1).upper() == "SA" else " PM", text.removeprefix("'")
    )
    # four-digit years first (Python's %Y takes exactly four), then a script's two-digit ones (`31-3-25`);
    # an ISO date with a time of day is that date
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(readable, fmt).date(), text
        except ValueError:
            continue
    words = _DATE_IN_WORDS.search(name_key(text))  # "ngày 03 tháng 4 năm 2025", as a letter dates itself
    if words:
        try:
            return date(int(words.group(3)), int(words.group(2)), int(words.group(1))), text
        except ValueError:
            return None, text
    return None, text


_DATE_FORMATS = (
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %I:%M %p",
    "%d/%m/%Y %I:%M:%S %p",
    "%d-Thg%m-%Y",  # Excel's Vietnamese short month (`01-Thg1-2025`)
    "%d/%m/%y",
    "%d-%m-%y",
    "%d.%m.%y",
)
_TWELVE_HOUR = re.compile(r"\s+(SA|CH)$", re.IGNORECASE)
_DATE_IN_WORDS = re.compile(r"ngày\s*(\d{1,2})\s*tháng\s*(\d{1,2})\s*năm\s*(\d{4})")


EXCEL_EPOCH = EPOCH_1900.date()  # Excel's day 0, as its 1900 leap-year bug makes it


def _same(one: FormValue, other: FormValue | None) -> bool:
    """Two statements of one indicator give the same figures."""
    return other is not None and (one.numerator, one.denominator, one.rate) == (
        other.numerator,
        other.denominator,
        other.rate,
    )


@dataclass(frozen=True)
class Cell:
    """A sheet cell: its typed value (the cached one for a formula), its number format, and whether it
    holds a formula."""

    value: object = None
    number_format: str = "General"
    formula: bool = False
    merged_from: int | None = None  # in a range merged down over rows: the 0-based row of its top cell

    @property
    def blank(self) -> bool:
        return self.value is None or (isinstance(self.value, str) and not self.value.strip())


@dataclass(frozen=True)
class Sheet:
    title: str
    rows: list[list[Cell]]  # every row, 1-based row r is rows[r - 1]
    hidden: bool = False  # a sheet the workbook hides (a draft kept beside the form)
    epoch: date = EXCEL_EPOCH  # the workbook's day 0 for serial day numbers


# The table's columns, found by their header (compared on `header_key`), with the spellings offices use.
FORM_COLUMNS: dict[str, tuple[str, ...]] = {
    "stt": ("STT", "TT", "Số thứ tự"),
    "code": ("Mã chỉ tiêu", "Mã số chỉ tiêu", "Mã CT", "Mã số", "Mã"),
    "name": ("Tên chỉ tiêu", "Chỉ tiêu", "Nội dung", "Nội dung chỉ tiêu"),
    "unit": ("Đơn vị tính", "ĐVT", "Đơn vị"),
    "numerator": ("Tử số", "Số lượng", "Số liệu", "Giá trị", "Kết quả", "Kết quả thực hiện", "Thực hiện"),
    "denominator": ("Mẫu số", "Tổng số"),
    "rate": ("Tỷ lệ (%)", "Tỷ lệ", "Tỉ lệ", "Tỷ lệ %", "Tỉ lệ (%)"),
    "note": ("Ghi chú",),
}
_FORM_HEADERS = HeaderAliases(FORM_COLUMNS)
NUMBER_COLUMNS = ("numerator", "denominator", "rate")
MAX_SHEETS = 30


def _form_column(text: str) -> str | None:
    return _FORM_HEADERS.lookup(text)


def _table_score(row: list[Cell]) -> int:
    """A row is the table's header when it names the indicator code and a figure column."""
    found = {_form_column(t) for t in (cell_text(c.value) for c in row) if t}
    if "code" not in found or not found & set(NUMBER_COLUMNS):
        return 0
    return len(found - {None})


# What a number format prints as it is: quoted text (`0.00"%"`), an escaped character (`0.00\%`), a
# colour, condition or locale in brackets (`[Red]`, `[$-42A]`)
_FORMAT_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


def _format_code(number_format: str) -> str:
    """The first section of a number format without its literal text: what decides how a number shows."""
    return _FORMAT_LITERALS.sub("", number_format.split(";")[0])


def _is_percent_format(number_format: str) -> bool:
    """A percentage format shows the value times 100; a `%` in quotes or escaped is only a sign printed
    after the number (a clerk's `0.00"%"` around a rate typed as 75,26)."""
    return "%" in _format_code(number_format)


def _number_format_decimals(number_format: str) -> int | None:
    """Decimals a number format prints (`0.00%` → 2, `#,##0` → 0); None for General."""
    section = _format_code(number_format)
    if "0" not in section and "#" not in section:
        return None
    _, dot, fraction = section.partition(".")
    return sum(ch in "0#" for ch in fraction) if dot else 0


def _shown(value: Decimal, decimals: int | None, percent: bool) -> str:
    """The text a typed cell shows, written the Vietnamese way (`93,6%`, `1059`)."""
    if decimals is None:
        text = format(value.normalize(), "f").replace(".", ",")
    else:
        text = format_number(value, decimals).replace(".", "")
    return text + ("%" if percent else "")


class RowProblem(Exception):
    def __init__(self, field: str, reason: str, message_vi: str, message_en: str, raw_value: str | None):
        super().__init__(message_en)
        self.field, self.reason, self.raw_value = field, reason, raw_value
        self.message_vi, self.message_en = message_vi, message_en


# What offices write in a cell that has no figure: a dash, "not applicable".
_NO_VALUE = {"-", "–", "—", "n/a", "na", "n.a", "n.a.", "#n/a", "không áp dụng", "kad", "x"}
_TRAILING_NOTE = re.compile(r"\s*\([^()]*[^\W\d_][^()]*\)\s*$")
_LIMITS = {"numerator": FIGURE_LIMIT, "denominator": FIGURE_LIMIT, "rate": RATE_LIMIT}
_FLAG_WORDS = {"có": 1, "x": 1, "sẵn sàng": 1, "đã sẵn sàng": 1, "không": 0, "chưa": 0, "chưa sẵn sàng": 0}


# A money row whose unit column the commune changed (`triệu đồng`, and 100 typed for 100 million)
_TYPED_IN_DONG = 1_000_000


def _in_dong(parsed: tuple[Decimal | None, str | None], unit: Cell) -> tuple[Decimal | None, str | None]:
    """A money figure in đồng, read with the row's unit: 100 under `triệu đồng` is 100.000.000 đồng. A
    figure that names its own scale (`100 triệu`) is read so already, and one of a million or more was
    typed in đồng whatever the unit column says."""
    value, text = parsed
    factor = named_scale(cell_text(unit.value) or "")
    if value is None or factor is None or abs(value) >= _TYPED_IN_DONG or named_scale(text or ""):
        return parsed
    return value * factor, text


def read_cell_number(cell: Cell, column: str, kind: str) -> tuple[Decimal | None, str | None]:
    """(value, text as written or shown) of a number cell of an indicator of `kind` (count, stock, rate,
    flag, money). The cell's type comes before its text: a percentage cell holds the fraction, a boolean
    is 1/0 for a flag. Raises `RowProblem` for anything that cannot be read as meant."""
    value = cell.value
    if cell.blank:
        return None, None
    role = "rate" if column == "rate" else ("money" if kind == "money" else "count")
    if isinstance(value, bool):
        if kind != "flag":
            raise RowProblem(
                column,
                "invalid_number",
                f"ô '{column}' là TRUE/FALSE, không phải số",
                f"{column} is a boolean, not a number",
                str(value).upper(),
            )
        return Decimal(int(value)), "TRUE" if value else "FALSE"
    if isinstance(value, (datetime, date)):
        shown = value.strftime("%d/%m/%Y")
        raise RowProblem(
            column,
            "invalid_number",
            f"ô số liệu chứa ngày '{shown}', không phải số",
            f"the number cell holds a date ({shown})",
            shown,
        )
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise RowProblem(
                column,
                "invalid_number",
                "ô số liệu không phải số hữu hạn",
                "the number cell is not finite",
                str(value),
            )
        # a float as Excel shows it, to 15 significant digits: arithmetic noise (`=SUM` of parts giving
        # 428.99999999999994) is no fraction
        number = Decimal(format(value, ".15g")) if isinstance(value, float) else Decimal(value)
        percent = _is_percent_format(cell.number_format)
        if percent:
            if role != "rate":
                raise RowProblem(
                    column,
                    "ambiguous_number",
                    f"ô '{column}' định dạng phần trăm nhưng chỉ tiêu này là số đếm",
                    f"{column} is formatted as a percentage but counts units",
                    str(value),
                )
            number *= 100
        text = _shown(number, _number_format_decimals(cell.number_format), percent)
        _bounded(number, column, text)
        if role != "rate" and number != number.to_integral_value():
            raise RowProblem(
                column,
                "not_whole_number",
                f"giá trị '{text}' có phần thập phân, nhưng chỉ tiêu này đếm số nguyên",
                f"value {text!r} has decimals, but this indicator counts whole units",
                text,
            )
        return number.quantize(Decimal("0.000001")) if role == "rate" else number, text
    text = cell_text(value) or ""
    if text.startswith("'"):  # Excel's mark of text, kept by a CSV (`'570`): not part of the number
        text = text[1:]
    if kind == "flag" and column == "numerator" and name_key(text) in _FLAG_WORDS:
        return Decimal(_FLAG_WORDS[name_key(text)]), text
    if name_key(text) in _NO_VALUE:
        return None, text
    try:
        # a figure with its note after it (`570 (tạm tính)`, `429 (số liệu đến 25/6)`): the figure
        number = read_number(_TRAILING_NOTE.sub("", text) or text, role)
    except NumberProblem as problem:
        raise RowProblem(column, problem.reason, problem.message_vi, problem.message_en, text) from None
    _bounded(number, column, text)
    return number, text


def _rate_as_percent(
    rate: tuple[Decimal | None, str | None], numerator: Decimal | None, denominator: Decimal | None
) -> tuple[Decimal | None, str | None]:
    """A rate typed as a fraction in a cell without the percent format (`0,9981` beside 1057 / 1059, a
    computed share pasted as a value): the percentage its own fraction says it is. Only where the row's
    numerator and denominator agree with it as a fraction, to the digits written, and not as written."""
    value, text = rate
    if value is None or not 0 < value <= 1 or numerator is None or not denominator:
        return rate
    share = numerator / denominator * 100
    decimals = max(-value.normalize().as_tuple().exponent, 0)
    within = Decimal(5) * Decimal(10) ** (1 - decimals)  # half the last written digit, as a percentage
    if abs(value * 100 - share) <= within and abs(value - share) > within:
        return (value * 100).quantize(Decimal("0.000001")), _shown(value * 100, None, False)
    return rate


def _bounded(number: Decimal, column: str, text: str) -> None:
    if abs(number) >= _LIMITS[column]:
        raise RowProblem(
            column,
            "number_too_large",
            f"giá trị '{text}' quá lớn (nhiều chữ số hơn cột có thể chứa)",
            f"value {text!r} has more digits than the column holds",
            text[:100],
        )


def _xlsx_sheets(path: Path) -> list[Sheet]:
    """Every worksheet's cells with their number formats; formulas read as Excel's cached values (never
    evaluated) and flagged."""
    check_xlsx(path)
    with transitional(path) as readable:
        merges = vertical_merges(readable)  # read once, for both loads
        footnotes = superscript_footnotes(readable)
        formulas = _load_cells(readable, merges, data_only=False, footnotes=footnotes)
        if not any(c.formula for sheet in formulas for row in sheet.rows for c in row):
            return formulas
        cached = _load_cells(readable, merges, data_only=True, footnotes=footnotes)
    return [
        Sheet(
            f.title,
            hidden=f.hidden,
            epoch=f.epoch,
            rows=[
                [
                    Cell(cv.value, fc.number_format, fc.formula, fc.merged_from)
                    for fc, cv in zip(frow, crow + [Cell()] * (len(frow) - len(crow)), strict=False)
                ]
                for frow, crow in zip(f.rows, c.rows + [[]] * (len(f.rows) - len(c.rows)), strict=False)
            ],
        )
        for f, c in zip(formulas, cached, strict=True)
    ]


def _load_cells(
    path: Path,
    merges: dict[str, list[tuple[int, int, int]]],
    data_only: bool,
    footnotes: dict[str, str] | None = None,
) -> list[Sheet]:
    """Every sheet's cells; a text ending in a superscript footnote mark (`superscript_footnotes`) without
    the mark."""
    footnotes = footnotes or {}
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=data_only, keep_links=False)
    try:
        if not workbook.worksheets:
            raise IngestError(
                path,
                None,
                None,
                "tệp Excel không có trang tính nào",
                "workbook has no sheet",
                reason="missing_sheet",
            )
        sheets, filled = [], 0
        for sheet in workbook.worksheets[:MAX_SHEETS]:
            rows: list[list[Cell]] = []
            for row in sheet.iter_rows():
                cells = [
                    Cell(
                        _without_footnote(
                            ooxml_text(_cached_value(c) if data_only else getattr(c, "value", None)),
                            footnotes,
                        ),
                        getattr(c, "number_format", None) or "General",
                        getattr(c, "data_type", None) == "f",
                    )
                    for c in row
                ]
                rows.append(cells)
                if not all(c.blank for c in cells):
                    filled += 1
                    if filled > MAX_FORM_ROWS:  # rows with a value: trailing empty formatted rows are no rows
                        raise IngestError(
                            path,
                            None,
                            None,
                            f"biểu mẫu có hơn {MAX_FORM_ROWS} dòng có số liệu",
                            f"form has more than {MAX_FORM_ROWS} rows with values",
                            reason="too_many_rows",
                        )
            while rows and all(c.blank for c in rows[-1]):
                rows.pop()
            _fill_down(rows, merges.get(sheet.title, []))
            hidden = getattr(sheet, "sheet_state", "visible") != "visible"
            sheets.append(Sheet(sheet.title, rows, hidden, workbook.epoch.date()))
        return sheets
    finally:
        workbook.close()


def _without_footnote(value: object, footnotes: dict[str, str]) -> object:
    return footnotes.get(value, value) if footnotes and isinstance(value, str) else value


def _fill_down(rows: list[list[Cell]], merges: list[tuple[int, int, int]]) -> None:
    """A cell merged down over rows is its value in each of them, as Excel shows it: a code merged over two
    sub-rows names both, so the indicator is there twice (and held back), never once with one sub-figure.
    Each cell of the range remembers its top row (a figure merged over two indicators' rows is held back)."""
    for first, last, column in merges:
        if first >= len(rows) or column >= len(rows[first]):
            continue
        top = rows[first][column] = replace(rows[first][column], merged_from=first)
        for number in range(first + 1, min(last, len(rows) - 1) + 1):
            row = rows[number]
            if column < len(row) and row[column].blank:
                row[column] = Cell(top.value, row[column].number_format, top.formula, first)


def _code_key(written: str | None) -> str | None:
    """An indicator code as meant (a zero-width space or full-width letters do not make another code)."""
    return compat(written).strip().upper() if written else None


def _figures_over_indicators(rows: list[list[Cell]], at) -> set[int]:
    """The top rows of number cells merged down over the rows of more than one indicator code: one figure
    for two indicators, which no reading can split (Excel shows it once, between them)."""
    codes: dict[int, set[str | None]] = {}
    for row in rows:
        code = cell_text(at(row, "code").value)
        for column in NUMBER_COLUMNS:
            top = at(row, column).merged_from
            if top is not None:
                codes.setdefault(top, set()).add(_code_key(code))
    return {top for top, found in codes.items() if len(found) > 1}


def _not_shared(row: list[Cell], at, shared: set[int]) -> None:
    """Raise `RowProblem` for a number cell of `row` merged with other indicators' rows (`shared`)."""
    for column in NUMBER_COLUMNS:
        cell = at(row, column)
        if cell.merged_from in shared:
            shown = cell_text(cell.value)
            raise RowProblem(
                column,
                "ambiguous_number",  # the contract's code for a figure that reads two ways
                f"ô '{column}' được gộp (merge) chung với dòng của chỉ tiêu khác: một số cho nhiều chỉ tiêu, "
                "hãy bỏ gộp ô và ghi số liệu riêng cho từng dòng",
                f"the {column} cell is merged with another indicator's row (one figure, several indicators)",
                shown,
            )


def _cached_value(cell) -> object:
    """A cell's value as Excel last computed it. A formula that computed an empty text (`=IF(F10="","",…)`,
    as templates fill a column) is stored `t="str"` with an empty value: blank, as Excel shows it, not a
    formula without a value (that one has no cached value at all)."""
    value = getattr(cell, "value", None)
    if value is None and getattr(cell, "data_type", None) == "str":
        return ""
    return value


def _csv_sheets(path: Path, detected: Detected) -> list[Sheet]:
    kind = content_kind(path)
    if kind != "text":
        raise refuse_by_content(path, kind, "tệp CSV", ".csv")
    encoding = detect_encoding(path)
    table = find_header(path, lambda cells: _table_score([Cell(c) for c in cells]), encoding)
    delimiter = table.delimiter if table else ","
    detected.note("encoding", encoding)
    detected.note("delimiter", DELIMITER_NAMES[delimiter])
    with open_text(path, encoding) as handle:
        rows = []
        for row in csv.reader(handle, delimiter=delimiter):
            rows.append([Cell(nfc(v).lstrip("\ufeff") if v else None) for v in row])
            if len(rows) > MAX_FORM_ROWS * 2:
                raise IngestError(
                    path,
                    None,
                    None,
                    f"biểu mẫu có hơn {MAX_FORM_ROWS} dòng",
                    f"form has more than {MAX_FORM_ROWS} rows",
                    reason="too_many_rows",
                )
    return [Sheet("csv", rows)]


@dataclass(frozen=True)
class Table:
    sheet: Sheet
    header_row: int  # last header row (a two-row header ends here)
    columns: dict[str, int]  # form column -> 0-based position


def _find_table(sheets: list[Sheet], path: Path) -> Table:
    """The indicator table's header on any sheet, under any title rows; its columns by header text. A
    second header row (`Số liệu` over `Tử số | Mẫu số`) is read with the first."""
    best: tuple[bool, bool, bool, int, int, int] | None = None  # filled, shown, named, points, sheet, row
    folder = re.search(r"\d{4}-Q([1-4])", path.parent.name)
    for s, sheet in enumerate(sheets):
        # a workbook of the year, a sheet per quarter: the sheet of the folder's quarter first
        named = bool(folder) and names_quarter(sheet.title, folder.group(1))
        for r, row in enumerate(sheet.rows[:200], start=1):
            points = _table_score(row)
            if not points:
                continue
            # a table with figures before an empty one (the blank template left visible, the filled form
            # hidden); then a visible sheet's before a hidden sheet's (a draft the clerk hid, old figures)
            rank = (_has_figures(sheet, r), not sheet.hidden, named, points)
            if best is None or rank > best[:4]:
                best = (*rank, s, r)
    if best is None:
        _refuse_header_without_codes(sheets, path)
        looked = ", ".join(f"'{sheet.title}'" for sheet in sheets)
        raise IngestError(
            path,
            None,
            "header",
            f"không tìm thấy bảng chỉ tiêu (dòng tiêu đề có 'Mã chỉ tiêu' và 'Tử số' hoặc 'Tỷ lệ') trên "
            f"trang tính {looked}",
            "indicator table (a header row naming the indicator code and a figure column) not found",
            reason="missing_header_block",
        )
    *_, s, r = best
    sheet = sheets[s]
    headers = [cell_text(c.value) or "" for c in sheet.rows[r - 1]]
    below = [cell_text(c.value) or "" for c in (sheet.rows[r] if r < len(sheet.rows) else [])]
    header_row = r
    if below and any(_form_column(t) for t in below) and not any(_looks_like_code(t) for t in below):
        headers = [
            b or h for h, b in zip(headers + [""] * len(below), below + [""] * len(headers), strict=False)
        ]
        header_row = r + 1
    columns: dict[str, int] = {}
    for index, header in enumerate(headers):
        column = _form_column(header) if header else None
        if column is None:
            continue
        if column in columns:
            first = headers[columns[column]]
            raise IngestError(
                path,
                header_row,
                header,
                f"hai cột cùng chỉ '{column}': '{first}' và '{header}' (trang tính '{sheet.title}'); "
                "hãy giữ một cột",
                f"two columns for {column}: {first!r} and {header!r}",
                reason="duplicate_header",
                raw_value=header,
            )
        columns[column] = index
    _refuse_unnamed_values(sheet, header_row, headers, columns, path)
    return Table(sheet, header_row, columns)


def _has_figures(sheet: Sheet, header_row: int) -> bool:
    """Whether any row under a header row holds a figure in one of its figure columns."""
    header = sheet.rows[header_row - 1]
    figure_columns = [
        i for i, c in enumerate(header) if _form_column(cell_text(c.value) or "") in NUMBER_COLUMNS
    ]
    return any(
        i < len(row) and _holds_a_figure(row[i])
        for row in sheet.rows[header_row : header_row + MAX_FORM_ROWS]
        for i in figure_columns
    )


def _refuse_header_without_codes(sheets: list[Sheet], path: Path) -> None:
    """A header row naming the figure columns (`Tử số`, `Mẫu số`, `Tỷ lệ`) but no code column is the table
    with its code header lost (a cell deleted with `Shift cells left`): say which column is missing, and
    where, rather than that no table was found."""
    for sheet in sheets:
        for r, row in enumerate(sheet.rows[:200], start=1):
            found = {_form_column(t) for t in (cell_text(c.value) for c in row) if t}
            if "code" not in found and len(found & set(NUMBER_COLUMNS)) >= 2:
                raise IngestError(
                    path,
                    r,
                    "code",
                    f"dòng tiêu đề {r} (trang tính '{sheet.title}') có các cột số liệu nhưng thiếu cột bắt "
                    "buộc 'Mã chỉ tiêu': hãy kiểm tra tiêu đề có bị xóa hoặc lệch cột không",
                    f"header row {r} names the figure columns but not the indicator code column",
                    reason="missing_required_column",
                )


def _refuse_unnamed_values(sheet: Sheet, header_row: int, headers: list[str], columns: dict[str, int], path):
    """A value beside an indicator row under no header: nobody can say what it means."""
    code_at = columns.get("code")
    unnamed: dict[int, int] = {}
    for row in sheet.rows[header_row:]:
        if code_at is None or code_at >= len(row) or row[code_at].blank:
            continue
        for index, cell in enumerate(row):
            if (index >= len(headers) or not headers[index]) and not cell.blank:
                unnamed[index] = unnamed.get(index, 0) + 1
    if unnamed:
        index = min(unnamed)
        raise blank_header_error(path, header_row, index, unnamed[index])


def _holds_a_figure(cell: Cell) -> bool:
    if cell.formula or isinstance(cell.value, (int, float)):
        return True
    return isinstance(cell.value, str) and any(ch.isdigit() for ch in cell.value)


_CODE_SHAPE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


def _looks_like_code(text: str) -> bool:
    return bool(_CODE_SHAPE.match(text.strip().upper())) and "_" in text


def _quarter_covering(start: date | None, end: date | None) -> str | None:
    """The quarter a span of days lies wholly in (`2025-Q2` for 01/04/2025 - 30/06/2025), else None."""
    if start is None or end is None or start > end or start.year != end.year:
        return None
    quarter = (start.month - 1) // 3 + 1
    return f"{start.year}-Q{quarter}" if (end.month - 1) // 3 + 1 == quarter else None


class FormParser:
    def __init__(
        self,
        resolver: CommuneResolver,
        periods: set[str],
        indicators: dict[str, str],
        names: dict[str, str] | None = None,
    ):
        self.resolver, self.periods, self.indicators = resolver, periods, indicators
        self.named = {name_key(name): code for code, name in (names or {}).items()}  # catalogue name -> code

    @classmethod
    def from_seeds(cls, seeds_dir: Path | None = None) -> FormParser:
        """The parser of a reference folder (the project's seeds when None)."""
        return cls(
            CommuneResolver.from_seeds(seeds_dir),
            {p["period_key"] for p in read_seed("ref_reporting_calendar", seeds_dir)},
            {i["indicator_code"]: i["kind"] for i in read_seed("ref_indicators", seeds_dir)},
            {i["indicator_code"]: i["name_vi"] for i in read_seed("ref_indicators", seeds_dir)},
        )

    def parse(self, path: Path, detected: Detected | None = None) -> ParsedForm:
        # openpyxl here, not at start-up: a run with no new form loads no workbook
        from openpyxl.utils import get_column_letter

        from pipelines.ingest.form_template import read_version

        detected = detected if detected is not None else Detected()
        check_extension(path, (".xlsx", ".csv"))
        check_size(path, MAX_FORM_BYTES)
        suffix = path.suffix.lower()
        try:
            sheets = _xlsx_sheets(path) if suffix == ".xlsx" else _csv_sheets(path, detected)
        except IngestError:
            raise
        except (
            KeyError,
            ValueError,
            TypeError,
            OSError,
            zipfile.BadZipFile,
            ElementTree.ParseError,
        ) as error:
            raise IngestError(
                path,
                None,
                None,
                "tệp Excel bị hỏng, không đọc được: hãy mở lại trên máy, lưu lại và gửi lại",
                f"unreadable workbook: {type(error).__name__}: {error}",
                reason="corrupt_file",
            ) from error
        table = _find_table(sheets, path)
        if suffix == ".xlsx":
            detected.note("sheet", table.sheet.title)
            for key, value in read_version(sheets).items():  # a form `cds form` issued: which version
                detected.note(key, value)
        detected.note("header_row", table.header_row)
        # where each figure is, for messages that name a cell (`cds check`: Phụ lục!G14)
        detected.note(
            "columns",
            ",".join(
                f"{k}={get_column_letter(i + 1)}" for k, i in table.columns.items() if k in NUMBER_COLUMNS
            ),
        )
        ignored = [
            cell_text(c.value)
            for i, c in enumerate(table.sheet.rows[table.header_row - 1])
            if cell_text(c.value) and i not in table.columns.values()
        ]
        if ignored:
            detected.note("ignored_columns", ", ".join(ignored))
        header = self._header(table, sheets)
        commune_written = header.get("commune")
        if not commune_written or not header.get("period"):
            missing = "đơn vị báo cáo" if not commune_written else "kỳ báo cáo"
            raise IngestError(
                path,
                None,
                "header",
                f"thiếu phần đầu biểu mẫu: không thấy ô '{missing}' phía trên bảng chỉ tiêu "
                f"(trang tính '{table.sheet.title}')",
                "form header block (commune, period) not found above the indicator table",
                reason="missing_header_block",
            )
        commune_id = self.resolver.resolve(str(commune_written))
        if commune_id is None:
            raise IngestError(
                path,
                None,
                "commune",
                f"không xác định được đơn vị báo cáo '{commune_written}': tên không có trong danh sách "
                "xã, phường của tỉnh",
                f"unknown commune {commune_written!r}",
                reason="unknown_commune",
                raw_value=str(commune_written),
            )
        period_key = self._period(header.get("period"), path)
        dates = {
            k: parse_date(header.get(k), table.sheet.epoch)
            for k in ("coverage_from", "coverage_to", "submitted_on")
        }
        covered = _quarter_covering(dates["coverage_from"][0], dates["coverage_to"][0])
        if (
            covered in self.periods
            and covered != period_key
            and "-Q" in period_key
            and path.parent.name == covered
        ):
            # `Kỳ báo cáo: Quý III` typed on 2 July over a form whose figures run 01/04 - 30/06, filed under
            # 2025-Q2/: the quarter the clerk was living in; the dates and the folder agree on the other one
            period_key = covered
        form = ParsedForm(commune_id, str(commune_written), period_key, str(header["period"]), dates)
        self._values(table, path, form)
        return form

    def _period(self, written: object, path: Path) -> str:
        if isinstance(written, (date, datetime, int, float)):
            shown = written.strftime("%d/%m/%Y") if isinstance(written, (date, datetime)) else str(written)
            raise IngestError(
                path,
                None,
                "period",
                f"ô kỳ báo cáo ghi '{shown}' (một ngày hoặc một số), không phải một kỳ: hãy ghi như "
                "'Quý III năm 2025'",
                f"the period cell holds {shown!r} (a date or number), not a period",
                reason="period_unreadable",
                raw_value=shown,
            )
        period_key = parse_period(str(written))
        if period_key is None:
            raise IngestError(
                path,
                None,
                "period",
                f"không đọc được kỳ báo cáo '{written}': hãy ghi như 'Quý III năm 2025'",
                f"period {written!r} is not readable",
                reason="period_unreadable",
                raw_value=str(written),
            )
        if period_key not in self.periods:
            raise IngestError(
                path,
                None,
                "period",
                f"kỳ báo cáo '{written}' không có trong lịch báo cáo",
                f"period {written!r} is not in the reporting calendar",
                reason="period_not_in_calendar",
                raw_value=str(written),
            )
        return period_key

    @staticmethod
    def _header(table: Table, sheets: list[Sheet]) -> dict[str, object]:
        """The header block's fields: above the table on its sheet first, then on the other sheets."""
        header: dict[str, object] = {}
        above = table.sheet.rows[: table.header_row - 1]
        others = [sheet.rows[:HEADER_SEARCH_ROWS] for sheet in sheets if sheet is not table.sheet]
        for rows in [above, *others]:
            for row in rows:
                for c, cell in enumerate(row):
                    text = cell_text(cell.value)
                    if not text:
                        continue
                    label, _, rest = text.partition(":")
                    field = HEADER_FIELDS.get(name_key(label) + ":")
                    if field is None or field in header:
                        continue
                    if rest.strip():  # "Đơn vị báo cáo: Xã An Phú" in one cell
                        header[field] = rest.strip()
                        continue
                    value = next((v.value for v in row[c + 1 :] if not v.blank), None)
                    if value is not None:
                        header[field] = value if not isinstance(value, str) else nfc(value).strip()
        return header

    def _values(self, table: Table, path: Path, form: ParsedForm) -> None:
        seen: set[str] = set()
        first: dict[str, tuple[int, FormValue]] = {}  # code -> the row that stated it first, its value
        conflicting: set[str] = set()
        columns = table.columns
        width = max(columns.values()) + 1

        def at(row: list[Cell], column: str) -> Cell:
            index = columns.get(column)
            return row[index] if index is not None and index < len(row) else Cell()

        shared = _figures_over_indicators(table.sheet.rows[table.header_row :], at)
        for r in range(table.header_row + 1, len(table.sheet.rows) + 1):
            row = table.sheet.rows[r - 1] + [Cell()] * width
            code_text = cell_text(at(row, "code").value)
            numbers = [at(row, c) for c in NUMBER_COLUMNS]
            if code_text is None and not any(_holds_a_figure(c) for c in numbers):
                continue  # a section heading, a signature line or a blank row: no figure to hold back
            code = _code_key(code_text)  # the quarantine keeps it as written
            problem = self._row_problem(path, r, code, seen, code_text) or self._named_otherwise(
                path, r, code, cell_text(at(row, "name").value)
            )
            if problem is None:
                try:
                    _not_shared(row, at, shared)
                    value = self._value(path, r, row, code, at)
                except RowProblem as bad:
                    problem = IngestError(
                        path,
                        r,
                        bad.field,
                        bad.message_vi,
                        bad.message_en,
                        reason=bad.reason,
                        raw_value=bad.raw_value,
                    )
            if problem:
                form.problems.append(problem)
                if (
                    problem.reason == "duplicate_indicator"
                    and code in first
                    and not _same(first[code][1], self._value_or_none(path, r, row, code, at))
                ):
                    conflicting.add(code)
                continue
            seen.add(code)
            first[code] = (r, value)
            form.values.append(value)
        # one indicator with two different figures: which is meant is not the ingest's to choose, so neither
        # lands (the same figure twice keeps one)
        for code in sorted(conflicting):
            r, value = first[code]
            form.values.remove(value)
            form.problems.append(
                IngestError(
                    path,
                    r,
                    "indicator_code",
                    f"chỉ tiêu {code} được khai báo hai lần với số liệu khác nhau: không giữ số nào",
                    f"indicator {code} appears twice with different figures: neither is kept",
                    reason="duplicate_indicator",
                    raw_value=code,
                )
            )

    def _value_or_none(self, path: Path, r: int, row: list[Cell], code: str, at) -> FormValue | None:
        try:
            return self._value(path, r, row, code, at)
        except RowProblem:
            return None

    def _value(self, path: Path, r: int, row: list[Cell], code: str, at) -> FormValue:
        kind = self.indicators[code]
        parsed: dict[str, tuple[Decimal | None, str | None]] = {}
        for column in NUMBER_COLUMNS:
            cell = at(row, column)
            if cell.formula and cell.value is None:
                raise RowProblem(
                    column,
                    "formula_without_value",
                    "ô có công thức nhưng không có giá trị đã tính (tệp chưa được Excel tính lại): hãy mở "
                    "tệp bằng Excel, lưu lại rồi gửi, hoặc ghi số thay cho công thức",
                    "the cell holds a formula without a cached value; it is never evaluated here",
                    None,
                )
            parsed[column] = read_cell_number(cell, column, kind)
        if kind == "money":
            parsed["numerator"] = _in_dong(parsed["numerator"], at(row, "unit"))
        parsed["rate"] = _rate_as_percent(parsed["rate"], parsed["numerator"][0], parsed["denominator"][0])
        note = at(row, "note")
        return FormValue(
            r,
            code,
            parsed["numerator"][1],
            parsed["denominator"][1],
            parsed["rate"][1],
            None if note.formula and note.value is None else without_controls(cell_text(note.value)),
            has_formula=any(c.formula for c in row),
            numerator=parsed["numerator"][0],
            denominator=parsed["denominator"][0],
            rate=parsed["rate"][0],
        )

    def _named_otherwise(self, path: Path, r: int, code: str | None, name: str | None) -> IngestError | None:
        """A row whose name is, word for word, the catalogue's name of another indicator than its code's: the
        code column was sorted or pasted on its own (Excel's "Continue with the current selection"), so the
        figure would land under the wrong indicator. Held back naming both."""
        other = self.named.get(name_key(name or ""))
        if other is None or other == code:
            return None
        return IngestError(
            path,
            r,
            "indicator_code",
            f"mã chỉ tiêu '{code}' không khớp tên chỉ tiêu '{name}' (là tên của chỉ tiêu {other}): cột mã "
            "có thể đã bị sắp xếp hoặc dán lệch, hãy kiểm tra lại",
            f"indicator code {code!r} disagrees with the row's name {name!r}, which names {other}",
            reason="invalid_value",
            raw_value=code,
        )

    def _row_problem(self, path: Path, r: int, code: str | None, seen: set[str], written: str | None = None):
        if code is None or code not in self.indicators:
            return IngestError(
                path,
                r,
                "indicator_code",
                f"mã chỉ tiêu '{code}' không có trong danh mục"
                if code
                else "dòng có số liệu nhưng thiếu mã chỉ tiêu",
                f"indicator code {code!r} is not in the catalogue",
                reason="unknown_indicator",
                raw_value=written if written is not None else code,
            )
        if code in seen:
            return IngestError(
                path,
                r,
                "indicator_code",
                f"chỉ tiêu {code} được khai báo hai lần",
                f"indicator {code} appears twice",
                reason="duplicate_indicator",
                raw_value=code,
            )
        return None


def land_form(con: duckdb.DuckDBPyConnection, sha: str, path: Path, form: ParsedForm) -> None:
    con.execute(
        "insert into raw.submissions values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::timestamp)",
        [
            sha,
            str(path),
            form.commune_id,
            form.commune_written,
            form.period_key,
            form.period_written,
            *form.dates["coverage_from"],
            *form.dates["coverage_to"],
            *form.dates["submitted_on"],
        ],
    )
    insert_rows(
        con,
        "raw.submission_values",
        (
            [
                sha,
                v.source_row,
                v.indicator_code,
                v.numerator,
                v.numerator_text,
                v.denominator,
                v.denominator_text,
                v.rate,
                v.rate_text,
                v.note,
                v.has_formula,
            ]
            for v in form.values
        ),
    )


def prepare_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The register and the raw tables of forms, made or brought to today's column types."""
    ensure_register(con)
    con.execute(RAW_DDL)
    use_column_types(con, "raw.submission_values", {"numerator": FIGURE, "denominator": FIGURE})


def ingest_form(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    archive_dir: Path,
    parser: FormParser,
    parsed: tuple[ParsedForm | IngestError, Detected] | None = None,
    sha: str | None = None,
    prepared: bool = False,
) -> FileResult:
    """Land one form (every version is kept: a resubmission is a new file with its own submission date).
    `parsed` is the form already parsed elsewhere (see `ingest_forms`); otherwise it is parsed here.
    `prepared`: the raw tables are known to be there (`ingest_forms` makes them once for all its forms)."""
    if not prepared:
        prepare_tables(con)
    detected = parsed[1] if parsed else Detected()

    def read() -> ParsedForm:
        if parsed is None:
            return parser.parse(path, detected)
        if isinstance(parsed[0], IngestError):
            raise parsed[0]
        return parsed[0]

    def land(sha: str, form: ParsedForm) -> tuple[int, int]:
        land_form(con, sha, path, form)
        quarantine_rows(con, sha, form.problems)
        return len(form.values), len({p.row for p in form.problems})

    return ingest_file(con, path, SOURCE_KIND, archive_dir, read, land, sha, detected, register_ready=True)


_worker_parser: FormParser | None = None


def _init_worker(parser: FormParser) -> None:
    global _worker_parser
    _worker_parser = parser


def parse_or_error(parser: FormParser, path: Path) -> tuple[ParsedForm | IngestError, Detected]:
    """One form's parse inside the per-file boundary: whatever goes wrong is that form's rejection."""
    detected = Detected()
    try:
        return parser.parse(path, detected), detected
    except IngestError as error:
        return error, detected
    except Exception as error:
        return IngestError.unexpected(path, error), detected


def _parse_in_worker(path: Path) -> tuple[ParsedForm | IngestError, Detected]:
    return parse_or_error(_worker_parser, path)


def ingest_forms(
    con: duckdb.DuckDBPyConnection, paths: list[Path], archive_dir: Path, parser: FormParser, workers: int = 2
) -> list[FileResult]:
    """Parse new forms in parallel (openpyxl is ~20 ms a form, all CPU), land them one by one in order.
    Each form is parsed on its own: one form's failure, even a worker process dying, costs only that
    form (the forms a dead worker held are parsed again here, each inside the boundary)."""
    prepare_tables(con)
    hashes = {p: file_sha256(p) for p in paths if not p.is_symlink()}  # each file read once for its hash
    known = registered_among(con, hashes.values())
    new = [p for p in paths if p in hashes and hashes[p] not in known]
    if workers > 1 and len(new) >= PARALLEL_FROM:
        # spawn, not fork: this process holds a DuckDB connection and its threads
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_init_worker, initargs=(parser,)
        ) as pool:
            futures = {p: pool.submit(_parse_in_worker, p) for p in new}
            # each form lands, in order, as soon as it is parsed: landing overlaps the parsing of the rest
            return [
                _land_parsed(con, path, archive_dir, parser, futures.get(path), hashes.get(path), path in new)
                for path in paths
            ]
    return [_land_parsed(con, p, archive_dir, parser, None, hashes.get(p), p in new) for p in paths]


def _land_parsed(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    archive_dir: Path,
    parser: FormParser,
    future: Future | None,
    sha: str | None,
    parse: bool,
) -> FileResult:
    """Land one form of `ingest_forms`: with a worker's parse when there is one (a form a dead worker held
    is parsed here, inside the boundary), else parsed here if it is new."""
    parsed = None
    if future is not None:
        with contextlib.suppress(BrokenProcessPool):
            parsed = future.result()
    if parsed is None and parse:
        parsed = parse_or_error(parser, path)
    return ingest_form(con, path, archive_dir, parser, parsed, sha, prepared=True)


def form_files(folder: Path) -> list[Path]:
    """Every file under the submissions folder except the Department's empty template."""
    return inbox_files(folder, leave_out=("template.xlsx",))
