"""Commune submission forms (the Department's XLSX indicator appendix, or the same table as CSV).

`parse_form` is pure: a file in, a `ParsedForm` out, or an `IngestError` when the file cannot be
attributed (unreadable, no header block, unknown commune, period outside the calendar). Row-level problems
(unknown indicator code, unreadable number, duplicate row) hold back only that row. Every numeric cell
keeps its text as written beside the parsed value: the rate as the commune printed it matters later.

Landing rules: a figure that is merely wrong (negative, numerator above denominator, a rate that does not
match its fraction) lands as written; judging it is the data-quality layer's job, not the parser's.
"""

from __future__ import annotations

import csv
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
from openpyxl import load_workbook

from pipelines.ingest.guards import MAX_FORM_BYTES, MAX_FORM_ROWS, check_size, check_xlsx
from pipelines.ingest.register import (
    FileResult,
    IngestError,
    file_sha256,
    ingest_file,
    insert_rows,
    is_registered,
    quarantine_rows,
)
from pipelines.reference import CommuneResolver, read_seed
from pipelines.vietnamese import name_key, nfc, parse_number, parse_period

SOURCE_KIND = "submission_form"
PARALLEL_FROM = 40  # below this many new forms, starting worker processes costs more than it saves
HEADER_FIELDS = {
    "đơn vị báo cáo:": "commune",
    "kỳ báo cáo:": "period",
    "số liệu tính từ ngày:": "coverage_from",
    "đến ngày:": "coverage_to",
    "ngày gửi báo cáo:": "submitted_on",
}
TABLE_START = ("stt", "mã chỉ tiêu")

RAW_DDL = """
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
    numerator decimal(20, 4),
    numerator_text varchar,
    denominator decimal(20, 4),
    denominator_text varchar,
    reported_rate decimal(12, 6),
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


def parse_date(value: object) -> tuple[date | None, str | None]:
    """(parsed date or None, the text as written). Impossible dates (year 20205) parse to None."""
    if value is None or value == "":
        return None, None
    if isinstance(value, datetime):
        return value.date(), value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value, value.strftime("%d/%m/%Y")
    text = nfc(str(value)).strip()
    for fmt in ("%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).date(), text
        except ValueError:
            continue
    return None, text


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = nfc(str(value)).strip()
    return text or None


def _read_rows(path: Path) -> tuple[list[list[object]], set[tuple[int, int]]]:
    """All rows as cached values, and the (row, column) of every formula cell (never evaluated)."""
    if path.suffix.lower() == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return [list(r) for r in csv.reader(handle)][: MAX_FORM_ROWS + 1], set()
    check_xlsx(path)
    rows = _sheet_rows(path, data_only=False)
    formulas = {
        (r, c)
        for r, row in enumerate(rows, start=1)
        for c, v in enumerate(row)
        if isinstance(v, str) and v.startswith("=")
    }
    if formulas:  # read again for the values Excel cached; a formula is never evaluated here
        rows = _sheet_rows(path, data_only=True)
    return rows, formulas


def _sheet_rows(path: Path, data_only: bool) -> list[list[object]]:
    workbook = load_workbook(path, read_only=True, data_only=data_only)
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
        sheet = workbook.worksheets[0]
        return [list(r) for r in sheet.iter_rows(values_only=True, max_row=MAX_FORM_ROWS + 1)]
    finally:
        workbook.close()


class FormParser:
    def __init__(self, resolver: CommuneResolver, periods: set[str], indicators: set[str]):
        self.resolver, self.periods, self.indicators = resolver, periods, indicators

    @classmethod
    def from_seeds(cls) -> FormParser:
        return cls(
            CommuneResolver.from_seeds(),
            {p["period_key"] for p in read_seed("ref_reporting_calendar")},
            {i["indicator_code"] for i in read_seed("ref_indicators")},
        )

    def parse(self, path: Path) -> ParsedForm:
        check_size(path, MAX_FORM_BYTES)
        if path.suffix.lower() not in (".xlsx", ".csv"):
            raise IngestError(
                path,
                None,
                None,
                "định dạng tệp không được hỗ trợ (chỉ nhận .xlsx, .csv)",
                f"unsupported file type {path.suffix}",
                reason="unsupported_extension",
            )
        try:
            rows, formulas = _read_rows(path)
        except IngestError:
            raise
        except Exception as error:  # openpyxl's many ways of failing on a damaged workbook
            raise IngestError(
                path,
                None,
                None,
                "tệp Excel bị hỏng, không đọc được",
                f"unreadable workbook: {error}",
                reason="corrupt_file",
            ) from error
        if len(rows) > MAX_FORM_ROWS:
            raise IngestError(
                path,
                None,
                None,
                f"biểu mẫu có hơn {MAX_FORM_ROWS} dòng",
                f"form has more than {MAX_FORM_ROWS} rows",
                reason="too_many_rows",
            )
        header, table_row = self._header(rows, path)
        commune_written = header.get("commune")
        commune_id = self.resolver.resolve(commune_written)
        if commune_id is None:
            raise IngestError(
                path,
                None,
                "commune",
                f"không xác định được đơn vị báo cáo '{commune_written}'",
                f"unknown commune {commune_written!r}",
                reason="unknown_commune",
                raw_value=commune_written,
            )
        period_key = parse_period(header.get("period"))
        if period_key not in self.periods:
            raise IngestError(
                path,
                None,
                "period",
                f"kỳ báo cáo '{header.get('period')}' không có trong lịch báo cáo",
                f"period {header.get('period')!r} is not in the reporting calendar",
                reason="period_not_in_calendar",
                raw_value=header.get("period"),
            )
        form = ParsedForm(
            commune_id,
            commune_written,
            period_key,
            header["period"],
            {k: parse_date(header.get(k)) for k in ("coverage_from", "coverage_to", "submitted_on")},
        )
        self._values(rows, table_row, formulas, path, form)
        return form

    @staticmethod
    def _header(rows: list[list[object]], path: Path) -> tuple[dict[str, str], int]:
        header: dict[str, str] = {}
        for r, row in enumerate(rows, start=1):
            cells = [_cell_text(v) for v in row]
            keys = [name_key(c) if c else "" for c in cells]
            if tuple(keys[:2]) == TABLE_START:
                missing = [f for f in ("commune", "period") if not header.get(f)]
                if missing:
                    break
                return header, r
            for c, key in enumerate(keys):
                if key in HEADER_FIELDS:
                    value = next((v for v in row[c + 1 :] if v not in (None, "")), None)
                    header[HEADER_FIELDS[key]] = (
                        value if isinstance(value, (date, datetime)) else _cell_text(value)
                    )
        raise IngestError(
            path,
            None,
            "header",
            "thiếu phần đầu biểu mẫu (đơn vị, kỳ báo cáo) hoặc bảng chỉ tiêu",
            "form header block (commune, period) or indicator table not found",
            reason="missing_header_block",
        )

    def _values(self, rows, table_row: int, formulas, path: Path, form: ParsedForm) -> None:
        seen: set[str] = set()
        for r in range(table_row + 1, len(rows) + 1):
            row = (rows[r - 1] + [None] * 8)[:8]
            code = _cell_text(row[1])
            if code is None and all(_cell_text(v) is None for v in row):
                continue
            problem = self._row_problem(path, r, row, code, seen)
            if problem:
                form.problems.append(problem)
                continue
            seen.add(code)
            value = FormValue(
                r,
                code,
                _cell_text(row[4]),
                _cell_text(row[5]),
                _cell_text(row[6]),
                _cell_text(row[7]),
                has_formula=any((r, c) in formulas for c in range(8)),
            )
            value.numerator = parse_number(value.numerator_text)
            value.denominator = parse_number(value.denominator_text)
            value.rate = parse_number(value.rate_text)
            form.values.append(value)

    def _row_problem(self, path: Path, r: int, row: list[object], code: str | None, seen: set[str]):
        if code is None or code.upper() not in self.indicators:
            return IngestError(
                path,
                r,
                "indicator_code",
                f"mã chỉ tiêu '{code}' không có trong danh mục",
                f"indicator code {code!r} is not in the catalogue",
                reason="unknown_indicator",
                raw_value=code,
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
        for column, name in ((4, "numerator"), (5, "denominator"), (6, "reported_rate")):
            text = _cell_text(row[column])
            try:
                parse_number(text)
            except ValueError:
                return IngestError(
                    path,
                    r,
                    name,
                    f"giá trị '{text}' không phải là số",
                    f"value {text!r} is not a number",
                    reason="invalid_number",
                    raw_value=text,
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


def ingest_form(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    archive_dir: Path,
    parser: FormParser,
    parsed: ParsedForm | IngestError | None = None,
    sha: str | None = None,
) -> FileResult:
    """Land one form (every version is kept: a resubmission is a new file with its own submission date).
    `parsed` is the form already parsed elsewhere (see `ingest_forms`); otherwise it is parsed here."""
    con.execute(RAW_DDL)

    def read() -> ParsedForm:
        if isinstance(parsed, IngestError):
            raise parsed
        return parsed if parsed is not None else parser.parse(path)

    def land(sha: str, form: ParsedForm) -> tuple[int, int]:
        land_form(con, sha, path, form)
        quarantine_rows(con, sha, form.problems)
        return len(form.values), len({p.row for p in form.problems})

    return ingest_file(con, path, SOURCE_KIND, archive_dir, read, land, sha)


_worker_parser: FormParser | None = None


def _init_worker(parser: FormParser) -> None:
    global _worker_parser
    _worker_parser = parser


def _parse_or_error(path: Path) -> ParsedForm | IngestError:
    try:
        return _worker_parser.parse(path)
    except IngestError as error:
        return error


def ingest_forms(
    con: duckdb.DuckDBPyConnection, paths: list[Path], archive_dir: Path, parser: FormParser, workers: int = 2
) -> list[FileResult]:
    """Parse new forms in parallel (openpyxl is ~20 ms a form, all CPU), land them one by one in order."""
    con.execute(RAW_DDL)
    hashes = {p: file_sha256(p) for p in paths}  # each file read once for its hash
    new = [p for p in paths if not is_registered(con, hashes[p])]
    parsed: dict[Path, ParsedForm | IngestError] = {}
    if workers > 1 and len(new) >= PARALLEL_FROM:
        # spawn, not fork: this process holds a DuckDB connection and its threads
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_init_worker, initargs=(parser,)
        ) as pool:
            parsed = dict(zip(new, pool.map(_parse_or_error, new, chunksize=16), strict=True))
    return [ingest_form(con, p, archive_dir, parser, parsed.get(p), hashes[p]) for p in paths]


def form_files(folder: Path) -> list[Path]:
    """Every file under the submissions folder except the Department's empty template."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.name != "template.xlsx" and not p.name.startswith((".", "~$"))
    )
