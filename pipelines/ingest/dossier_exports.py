"""Land dossier-system exports (CSV, XLSX) in `raw.dossiers`, streamed through DuckDB.

Headers vary between exports, so each file's header is mapped to one schema by `name_key`. CSV never
passes through pandas: DuckDB reads it (all text), and one SQL statement types every row and splits the
rows into landed (`raw.dossiers`) and quarantined (`raw.quarantine`, with file, row, field and reason).
XLSX is streamed with openpyxl in read-only mode into the same staging shape.
"""

from __future__ import annotations

import csv
import itertools
import re
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import duckdb

from pipelines.core.sqltext import quote_ident
from pipelines.core.zipfiles import SCRATCH_PREFIX
from pipelines.ingest import guards
from pipelines.ingest.cells import (
    EPOCH_1900,
    HeaderAliases,
    SheetHeader,
    ValueReader,
    blank_header_error,
    cell_text,
    column_letter,
    header_key,
)
from pipelines.ingest.register import (
    Detected,
    FileResult,
    IngestError,
    ingest_file,
    stage_text_rows,
    staged_column,
)
from pipelines.ingest.textfiles import (
    HEADER_SEARCH_LINES,
    TextEncoding,
    TextTable,
    detect_encoding,
    find_header,
    find_header_at_end,
    first_lines,
    html_references,
    transcode_to_utf8,
)
from pipelines.reference import ascii_fold

SOURCE_KIND = "dossier_export"
MAX_EXPORT_BYTES = 20 * 1024**3  # a national export for a year is a few GB; beyond this it is a mistake

# canonical column -> header spellings seen in exports and database columns (compared on name_key)
HEADER_VARIANTS: dict[str, tuple[str, ...]] = {
    "dossier_code": (
        "Mã hồ sơ",
        "Số hồ sơ",
        "Mã HS",
        "ma_ho_so",
        "Số biên nhận",
        "Mã biên nhận",
        "Mã số hồ sơ",
        "Số hiệu hồ sơ",
    ),
    "commune_name": (
        "Đơn vị tiếp nhận",
        "Xã/Phường",
        "Đơn vị",
        "Cơ quan tiếp nhận",
        "don_vi",
        "Cơ quan/đơn vị",
        "Cơ quan giải quyết",
        "Đơn vị giải quyết",
        "Đơn vị xử lý",
        "Tên đơn vị",
        "Xã, phường",
    ),
    "procedure_name": ("Tên thủ tục", "Thủ tục hành chính", "Thủ tục", "thu_tuc", "Tên thủ tục hành chính"),
    "field_name": ("Lĩnh vực", "linh_vuc", "Tên lĩnh vực"),
    "received_at": (
        "Ngày tiếp nhận",
        "Thời gian tiếp nhận",
        "Ngày nhận",
        "ngay_tiep_nhan",
        "Ngày nhận hồ sơ",
        "Ngày nộp",
        "Ngày nộp hồ sơ",
        "Thời điểm tiếp nhận",
    ),
    "channel": (
        "Hình thức nộp",
        "Kênh nộp",
        "Hình thức tiếp nhận",
        "hinh_thuc_nop",
        "Kênh tiếp nhận",
        "Phương thức nộp",
        "Phương thức tiếp nhận",
        "Hình thức nộp hồ sơ",
    ),
    "due_at": (
        "Hạn xử lý",
        "Ngày hẹn trả",
        "Hạn giải quyết",
        "han_xu_ly",
        "Ngày hẹn trả kết quả",
        "Hạn trả kết quả",
        "Thời hạn giải quyết",
        "Ngày hẹn",
    ),
    "finished_at": (
        "Ngày hoàn thành",
        "Ngày có kết quả",
        "Ngày trả kết quả",
        "ngay_hoan_thanh",
        "Ngày kết thúc",
        "Ngày giải quyết xong",
        "Thời gian hoàn thành",
        "Ngày xử lý xong",
    ),
    "status": (
        "Trạng thái",
        "Tình trạng",
        "trang_thai",
        "Tình trạng hồ sơ",
        "Trạng thái hồ sơ",
        "Trạng thái xử lý",
    ),
    "is_fee_bearing": ("Có thu phí", "Thu phí", "co_thu_phi", "Có phí, lệ phí"),
    "is_intake_digitised": (
        "Số hóa khi tiếp nhận",
        "Số hóa hồ sơ",
        "Số hóa thành phần hồ sơ",
        "so_hoa_tiep_nhan",
        "Đã số hóa hồ sơ",
    ),
    "is_result_digitised": ("Số hóa kết quả", "so_hoa_ket_qua", "Đã số hóa kết quả"),
    "is_paid_online": (
        "Thanh toán trực tuyến",
        "Thanh toán trực tuyến (có/không)",
        "thanh_toan_truc_tuyen",
        "Thanh toán qua DVC",
    ),
}
# The same fields as a system with an English interface (or a consultant's script) heads them; the values
# stay Vietnamese and are read as usual.
ENGLISH_HEADERS: dict[str, tuple[str, ...]] = {
    "dossier_code": ("Dossier code", "Dossier ID", "Dossier no", "Dossier number", "Application code"),
    "commune_name": ("Receiving unit", "Receiving agency", "Commune", "Unit"),
    "procedure_name": ("Procedure name", "Procedure", "Administrative procedure"),
    "field_name": ("Field", "Sector", "Procedure field"),
    "received_at": ("Received at", "Received", "Received date", "Date received", "Receipt date"),
    "channel": ("Channel", "Submission channel", "Submitted via"),
    "due_at": ("Due at", "Due date", "Deadline", "Appointment date"),
    "finished_at": ("Finished at", "Finished", "Finished date", "Completed at", "Completion date"),
    "status": ("Status", "Processing status"),
    "is_fee_bearing": ("Fee-bearing", "Fee bearing", "Has fee", "Fee"),
    "is_intake_digitised": ("Intake digitised", "Intake digitized"),
    "is_result_digitised": ("Result digitised", "Result digitized"),
    "is_paid_online": ("Paid online", "Online payment"),
}
for _field, _english in ENGLISH_HEADERS.items():
    HEADER_VARIANTS[_field] = (*HEADER_VARIANTS[_field], *_english)
REQUIRED = ("dossier_code", "commune_name", "received_at", "channel", "due_at", "status")
CANONICAL = tuple(HEADER_VARIANTS)
LOW_CARDINALITY = (
    "commune_name",
    "procedure_name",
    "field_name",
    "channel",
    "status",
    "is_fee_bearing",
    "is_intake_digitised",
    "is_result_digitised",
    "is_paid_online",
)
# Words that name a field in headers no list above has, tried in this order (folded, whole words).
HEADER_WORDS: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = (
    ("is_result_digitised", (("so hoa",), ("ket qua",))),
    ("is_intake_digitised", (("so hoa",),)),
    ("is_paid_online", (("thanh toan",),)),
    ("is_fee_bearing", (("phi", "le phi"),)),
    ("dossier_code", (("ma", "so", "so hieu"), ("ho so", "bien nhan", "hs"))),
    ("due_at", (("hen", "han"),)),
    ("finished_at", (("hoan thanh", "tra ket qua", "tra kq", "co ket qua", "ket thuc", "xong"),)),
    ("received_at", (("ngay", "thoi gian", "thoi diem"), ("tiep nhan", "nhan", "nop"))),
    ("channel", (("hinh thuc", "kenh", "phuong thuc"),)),
    ("status", (("trang thai", "tinh trang"),)),
    ("procedure_name", (("thu tuc",),)),
    ("field_name", (("linh vuc",),)),
    ("commune_name", (("don vi", "co quan", "xa", "phuong"),)),
)
_HEADERS = HeaderAliases(HEADER_VARIANTS, HEADER_WORDS)

RAW_DDL = """
create schema if not exists raw;
create table if not exists raw.dossiers (
    dossier_code varchar not null,
    commune_name varchar,
    procedure_name varchar,
    field_name varchar,
    received_at timestamp not null,
    channel varchar not null,
    due_at timestamp not null,
    finished_at timestamp,
    status varchar not null,
    is_fee_bearing boolean,
    is_intake_digitised boolean,
    is_result_digitised boolean,
    is_paid_online boolean,
    extra_columns json,
    source_file_sha256 varchar not null,
    source_row integer not null,
    loaded_at timestamp not null
);
"""

# How exports write dates and times (tried in this order); the benchmark's limit and peer use the same.
TIMESTAMP_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")
# Year first, tried only on a value that opens with four digits and a `-`: strptime's %Y takes
# any number of digits, so `14-4-25` (a script's day-month-year) would otherwise be the 25th of April, 14.
ISO_TIMESTAMP_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
)
_DAY_FIRST_FORMATS = tuple(f for f in TIMESTAMP_FORMATS if not f.startswith("%Y"))
# An export whose system ran in a US locale writes the month first (`5/22/2025 5:00:00 PM`): decided for the
# whole file (`_month_first`), never value by value, so that `5/6/2025` is read as its neighbours are.
MONTH_FIRST_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
)
MONTH_FIRST_SAMPLE_ROWS = 20_000  # a sample: 0,13 s a file (measured on the 1 M bench's exports)


def _sql_list(formats: tuple[str, ...]) -> str:
    return "[" + ", ".join(f"'{f}'" for f in formats) + "]"


TIMESTAMP_FORMATS_SQL = _sql_list(TIMESTAMP_FORMATS)


@dataclass(frozen=True)
class HeaderMapping:
    columns: dict[str, int]  # canonical -> position of its column in the file
    extras: list[tuple[str, int]]  # (header as written, position) kept as extra columns
    blank: list[int]  # positions of columns without a header (refused if they hold a value)
    header_row: int = 1
    # date field -> position of its time of day, where an export keeps them apart (`Giờ tiếp nhận`)
    times: dict[str, int] = field(default_factory=dict)
    # date field -> hours to add for Vietnam's time, where its header names another zone (`… (UTC)`)
    shifts: dict[str, int] = field(default_factory=dict)


def header_score(cells: list[str]) -> int:
    """How many distinct schema columns a row names (below two, it is not a header row)."""
    found = {c for c in map(_HEADERS.lookup, cells) if c}
    return len(found) if len(found) >= 2 else 0


def map_header(headers: list[str], file: Path, header_row: int = 1) -> HeaderMapping:
    """Map a file's headers to the schema. A missing required column, a header given twice (or two
    headers for the same field) reject the file, naming them."""
    columns: dict[str, int] = {}
    extras: list[tuple[str, int]] = []
    blank: list[int] = []
    times: dict[str, int] = {}
    seen: dict[str, int] = {}
    duplicate: IngestError | None = None  # raised after the required columns: a file that has none of
    # them (a summary sent for the dossier list) is named for that, not for two of its columns
    zones: dict[int, int] = {}  # position -> the UTC offset its header names
    by_words: set[str] = set()  # fields found by a header's words only, not by a known spelling
    clashes: dict[str, list[tuple[str, int]]] = {}  # more headers sharing only the words of one field
    for index, header in enumerate(headers):
        header = (header or "").strip()
        if zone := _ZONE.search(header):
            header = header[: zone.start()].strip()
            zones[index] = int(f"{zone['sign'] or '+'}{zone['hours'] or 0}")
        if not header:
            blank.append(index)
            continue
        key = header_key(header)
        beside = next((b for b in blank if seen.get(key, index) < b), None) if key in seen else None
        if beside is not None and all(i < beside for i in [*columns.values(), *times.values()]):
            # a second table beside the export, past an empty column, that repeats a header of it (a summary
            # by field built to the right of the dossiers): not the export's, its columns left alone
            extras = [(h, i) for h, i in extras if i < beside]
            blank = [b for b in blank if b < beside]
            break
        if key in seen:
            duplicate = duplicate or _duplicate(
                file, header_row, headers[seen[key]], seen[key], header, index
            )
            continue
        seen[key] = index
        dated = _time_of(header)
        if dated and dated not in times:
            times[dated] = index
            continue
        if _names_personal_data(header):  # never read, never kept (`note_personal_columns` names them)
            continue
        canonical = _HEADERS.lookup(header)
        if canonical in BOOLEANS and _names_an_amount(header):
            canonical = None  # `Phí (đồng)`, `Số tiền thanh toán`: the money, not the yes/no flag
        if canonical in _DATE_COLUMNS and _names_a_duration(header):
            canonical = None  # `Thời hạn giải quyết (ngày)`: how many days are allowed, not the due date
        spelled = canonical is not None and _HEADERS.spelled(header) == canonical
        if canonical and canonical in columns:
            first = columns[canonical]
            if spelled and canonical in by_words:
                # a known spelling of the field (`Mã hồ sơ`) over a header that only shares its words
                # (`Mã hồ sơ liên thông`, `Số trang hồ sơ`): that one is another column of the portal's
                extras.append((headers[first].strip(), first))
                by_words.discard(canonical)
                columns[canonical] = index
            elif not spelled and canonical not in by_words:
                extras.append((header, index))
            elif not spelled:  # two headers sharing the field's words: decided once all are seen
                clashes.setdefault(canonical, []).append((header, index))
            elif _secondary(canonical, headers[first]) and not _secondary(canonical, header):
                # `Ngày trả kết quả` (collected) before `Ngày hoàn thành` (resolved): the resolution is it
                extras.append((headers[first].strip(), first))
                columns[canonical] = index
            elif _secondary(canonical, header) and not _secondary(canonical, headers[first]):
                extras.append((header, index))  # the result handed over, after the resolution: kept apart
            else:
                duplicate = duplicate or _duplicate(file, header_row, headers[first], first, header, index)
            continue
        if canonical:
            columns[canonical] = index
            if not spelled:
                by_words.add(canonical)
        else:
            extras.append((header, index))
    for canonical, others in clashes.items():
        if canonical in by_words:  # no known spelling among them: which one is the field is not clear
            first, (header, index) = columns[canonical], others[0]
            duplicate = duplicate or _duplicate(file, header_row, headers[first], first, header, index)
        else:  # the field's known spelling came later: these are other columns of the export
            extras.extend(others)
    for canonical in list(times):
        if canonical not in columns:  # no date column beside it: the header names the field itself
            columns[canonical] = times.pop(canonical)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        spelled = ", ".join(f"'{HEADER_VARIANTS[c][0]}'" for c in missing)
        raise IngestError(
            file,
            header_row,
            missing[0],
            f"tệp thiếu cột bắt buộc {spelled} (dòng tiêu đề {header_row})",
            f"file lacks required column(s) {', '.join(missing)} (header row {header_row})",
            reason="missing_required_column",
        )
    if duplicate is not None:
        raise duplicate
    shifts = {
        canonical: LOCAL_UTC_OFFSET_HOURS - zones[index]
        for canonical, index in {**columns, **times}.items()
        if canonical in _DATE_COLUMNS and index in zones and zones[index] != LOCAL_UTC_OFFSET_HOURS
    }
    extras.sort(key=lambda extra: extra[1])  # in the file's order, whatever was decided late
    return HeaderMapping(columns, extras, blank, header_row, times, shifts)


# A column of the applicant's personal data, as a portal's export puts beside each dossier (`Chủ hồ sơ`, `Số
# giấy tờ tùy thân (CCCD)`, `Số điện thoại chủ hồ sơ`, `Địa chỉ`): the warehouse keeps no personal data of
# citizens, so it is neither a field nor an extra column (matched on whole words without diacritics)
_PERSONAL_WORDS = re.compile(
    r"\b(?:chu ho so|nguoi nop|nguoi de nghi|nguoi yeu cau|cong dan|ho ten|ho va ten|cccd|cmnd|can cuoc"
    r"|giay to tuy than|dinh danh ca nhan|dien thoai|email|thu dien tu|dia chi|ngay sinh|applicant"
    r"|citizen|phone|address)\b"
)


def _folded(header: str) -> str:
    """A header as the word patterns below compare it: its key without diacritics."""
    return ascii_fold(header_key(header))


def _names_personal_data(header: str) -> bool:
    return bool(_PERSONAL_WORDS.search(" ".join(re.findall(r"\w+", _folded(header)))))


# A header of an amount of money (`Phí (đồng)`, `Lệ phí (VNĐ)`, `Số tiền thanh toán`): a portal's column of
# what was paid, beside the yes/no flags the words `phí` and `thanh toán` also name
_AMOUNT = re.compile(r"\((?:dong|vnd|d|nghin dong|trieu dong)\)|\b(?:so tien|thanh tien|muc thu|muc phi)\b")


def _names_an_amount(header: str) -> bool:
    return bool(_AMOUNT.search(_folded(header)))


# A header of a number of days or hours (`Thời hạn giải quyết (ngày)`, `(ngày làm việc)`, `Số ngày xử lý`): an
# older system's time allowed for the procedure, where the template has the due date itself
_DURATION = re.compile(r"\((?:so )?(?:ngay|ngay lam viec|ngay lv|gio)\)|\bso (?:ngay|gio)\b")


# Of two known spellings of one field, the one that is the field only when the other is missing: the day the
# result was handed over (`Ngày trả kết quả`) beside the day the dossier was resolved (`Ngày hoàn thành`)
_SECONDARY = {"finished_at": re.compile(r"\btra (?:ket qua|kq)\b")}


def _secondary(canonical: str, header: str) -> bool:
    pattern = _SECONDARY.get(canonical)
    return bool(pattern and pattern.search(_folded(header)))


def _names_a_duration(header: str) -> bool:
    return bool(_DURATION.search(_folded(header)))


PERSONAL_NOTE = "personal_columns_left_out"


def note_personal_columns(headers: list[str], detected: Detected) -> None:
    """Name the columns of applicants' personal data in the register, whether or not the file lands: its raw
    copy is then kept in the restricted archive."""
    personal = [h.strip() for h in headers if h and _names_personal_data(h)]
    if personal:
        detected.note(PERSONAL_NOTE, ", ".join(personal))


# A time zone a header names after the field (`Ngày tiếp nhận (UTC)`, `Hạn xử lý (GMT+7)`): the times of
# that column are in it
_ZONE = re.compile(
    r"\s*[(\[]?\s*(?:utc|gmt)\s*(?:(?P<sign>[+-])\s*(?P<hours>\d{1,2})(?::?00)?)?\s*[)\]]?\s*$", re.I
)


# `Giờ tiếp nhận`, `Giờ hoàn thành`: the time of day of a date field another column holds
_TIME_HEADER = re.compile(r"^(?:giờ|gio)\s+(?P<rest>.+)$")


def _time_of(header: str) -> str | None:
    """The date field whose time of day `header` names (`Giờ tiếp nhận` → received_at), else None."""
    match = _TIME_HEADER.match(header_key(header))
    if not match:
        return None
    for written in (f"ngày {match['rest']}", match["rest"]):
        canonical = _HEADERS.lookup(written)
        if canonical in _DATE_COLUMNS:
            return canonical
    return None


def _duplicate(file: Path, row: int, first: str, first_at: int, second: str, second_at: int) -> IngestError:
    same = "trùng nhau" if header_key(first) == header_key(second) else "cùng chỉ một trường"
    return IngestError(
        file,
        row,
        second,
        f"hai cột {same}: '{first}' (cột {column_letter(first_at)}) và '{second}' "
        f"(cột {column_letter(second_at)}); hãy giữ một cột",
        f"two columns for one field: {first!r} ({column_letter(first_at)}) and {second!r} "
        f"({column_letter(second_at)})",
        reason="duplicate_header",
        raw_value=second,
    )


def refuse_blank_headers(con: duckdb.DuckDBPyConnection, mapping: HeaderMapping, file: Path) -> None:
    """A column without a header is ignored when empty and refused when it holds a value: nobody can say
    what that value means."""
    for index in mapping.blank:
        filled = con.execute(f"select count({staged_column(index)}) from _staged").fetchall()[0][0]
        if filled:
            raise blank_header_error(file, mapping.header_row, index, filled)


_YES = ("có", "co", "x", "1", "true", "yes", "y", "t", "đã", "da", "rồi", "roi")  # `t`/`f`: PostgreSQL's COPY
_NO = ("không", "khong", "0", "false", "no", "n", "f", "chưa", "chua", "")


def _bool(expr: str) -> str:
    yes = ", ".join(f"'{v}'" for v in _YES)
    no = ", ".join(f"'{v}'" for v in _NO if v)
    key = f"lower(trim({expr}))"
    return f"case when {key} in ({yes}) then true when {key} in ({no}) then false end"


# NUL and other control characters, and U+FFFD (a byte the encoding could not read): never landed as text
CONTROL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x{fffd}]"
BOOLEANS = ("is_fee_bearing", "is_intake_digitised", "is_result_digitised", "is_paid_online")


# Rarer spellings, tried only when the usual ones fail: ISO with a T, dashes, 12-hour clocks with the
# Vietnamese SA/CH (sáng/chiều: AM/PM).
OTHER_TIMESTAMP_FORMATS = (
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%d/%m/%Y %I:%M %p",
    "%d/%m/%Y %I:%M:%S %p",
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M",
    # matched on the upper-cased text: Excel's Vietnamese month (`20-Thg4-2025 07:40`), a one-stop
    # receipt's `07 giờ 43 phút, ngày 23/04/2025`, a year first with slashes (`2025/04/21 07:41:00`)
    "%d-THG%m-%Y %H:%M:%S",
    "%d-THG%m-%Y %H:%M",
    "%d-THG%m-%Y",
    "%H GIỜ %M PHÚT, NGÀY %d/%m/%Y",
    "%H GIỜ %M PHÚT NGÀY %d/%m/%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
)
# An ISO time with its UTC offset (`2025-04-20T07:40:00+07:00`, `…Z`, `2025-04-22 07:42:00.000 +0700`):
# moved to the province's time, UTC+7 all year, on which due dates are judged.
ZONED_TIMESTAMP_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S.%f%z",
    "%Y-%m-%dT%H:%M%z",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H:%M:%S.%f%z",
    "%Y-%m-%d %H:%M:%S.%f %z",
)
LOCAL_UTC_OFFSET_HOURS = 7


_OTHER_FORMATS_SQL = _sql_list(OTHER_TIMESTAMP_FORMATS)


def _timestamp(expr: str, month_first: bool = False) -> str:
    """A date as exports write it, or an Excel serial day number (45931 is 01/10/2025); with `month_first`,
    slashed dates are month first, as a whole export in a US locale writes them."""
    day = f"try_cast({expr} as double)"
    serial = (
        f"case when {day} between 20000 and 80000 "
        f"then timestamp '1899-12-30' + to_microseconds(round({day} * 86400000000)::bigint) end"
    )
    twelve_hour = f"regexp_replace(regexp_replace(upper({expr}), '\\bSA$', 'AM'), '\\bCH$', 'PM')"
    first = MONTH_FIRST_FORMATS if month_first else _DAY_FIRST_FORMATS
    parsed = (
        f"case when substr({expr}, 5, 1) = '-' and try_cast(left({expr}, 4) as usmallint) is not null "
        f"then coalesce(try_strptime({expr}, {_sql_list(ISO_TIMESTAMP_FORMATS)}), "
        f"make_timestamp(epoch_us(try_strptime(replace({expr}, 'Z', '+00:00'), "
        f"{_sql_list(ZONED_TIMESTAMP_FORMATS)}))) + interval {LOCAL_UTC_OFFSET_HOURS} hour) "
        f"else coalesce(try_strptime({twelve_hour if month_first else expr}, {_sql_list(first)}), "
        f"try_strptime({twelve_hour}, {_OTHER_FORMATS_SQL})) end"
    )
    # strptime's %Y takes a two-digit year as it stands (`14-4-25` would be the year 25): a script's
    # two-digit year is this century's. One comparison a row, not a regular expression.
    this_century = f"case when year({parsed}) < 100 then {parsed} + interval 2000 year else {parsed} end"
    return f"coalesce({this_century}, {serial})"


def _time_of_day(expr: str) -> str:
    """A time of day as a time column holds it: `08:30`, `08:30:00`, a time cell (`1899-12-30 08:30:00`
    from some readers) or Excel's fraction of a day (0,354166…)."""
    fraction = f"try_cast({expr} as double)"
    return (
        f"coalesce(try_cast({expr} as time), try_cast(try_cast({expr} as timestamp) as time), "
        f"case when {fraction} >= 0 and {fraction} < 1 "
        f"then time '00:00:00' + to_microseconds(round({fraction} * 86400000000)::bigint) end)"
    )


def _dated(column: str, mapping: HeaderMapping, month_first: bool) -> str:
    """A date field typed; where its time of day is a column of its own, the day of the one at the time of
    the other (an unreadable time leaves the field unreadable, so the row is held back naming it)."""
    typed = _timestamp(f"t_{column}", month_first)
    if column in mapping.times:
        time = f"t_{column}_time"
        typed = f"case when {time} is null then {typed} else {typed}::date + {_time_of_day(time)} end"
    if column in mapping.shifts:  # a header naming another time zone: the time in Vietnam
        typed = f"({typed}) + interval ({int(mapping.shifts[column])}) hour"
    return typed


# Invisible characters offices' systems leave around values: soft hyphens (a web page's break points),
# zero-width spaces and joiners, a stray BOM;
# a no-break space is a space.
_INVISIBLE_CODES = (0x00AD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF)


def _clean_text(expr: str) -> str:
    # plain replace() calls: a regular expression here costs ~1.5 s per million rows, these a tenth of it
    cleaned = expr
    for code in _INVISIBLE_CODES:
        cleaned = f"replace({cleaned}, chr({code}), '')"
    # `\N` is how MySQL's SELECT … INTO OUTFILE writes NULL, never a value of its own
    # a tab is white space (a PHP export pads codes with one against Excel's reading: `\tR9D-006-01`); a
    # replace, not trim's list of characters: 0,07 s against 0,30 s a column at 10 million rows
    full = f"trim(replace(replace({cleaned}, chr(160), ' '), chr(9), ' '))"
    # a value of ASCII only (its bytes as many as its characters: most codes and dates) holds none of the
    # characters above but the tab: one replace, not seven (~1 s a column at 10 million rows)
    ascii_only = f"trim(replace({expr}, chr(9), ' '))"
    chosen = f"case when strlen({expr}) = length({expr}) then {ascii_only} else {full} end"
    return f"nullif(nullif({chosen}, ''), '\\N')"


# Columns whose values are codes or dates, never prose: a leading apostrophe there is Excel's mark of text.
_APOSTROPHE_MARKED = ("dossier_code", "received_at", "due_at", "finished_at")


# What a system writes in a date column that has no date yet (`Chưa có`: none yet): empty, not unreadable
# and what a program writes for a missing timestamp: pandas' `NaT` and `nan` after astype(str), `None`, `NULL`
_NO_DATE = ("chưa có", "chưa", "không có", "không", "-", "--", "—", "n/a", "nat", "nan", "none", "null")
_DATE_COLUMNS = ("received_at", "due_at", "finished_at")


def _unwrapped(column: str, apostrophe: bool, dated: bool = False) -> str:
    """A cleaned value without what Excel users add to keep it as typed: the formula `="0004250420001"`
    some systems write so that Excel keeps a code's leading zeros, and, in a code or date column, a
    leading apostrophe, Excel's mark of text (`'22/04/2025`). Prose keeps its apostrophe as written.
    In a date column, the words for no date yet are empty. Applied to a column, so the cleaning above is
    computed once."""
    marked = f"when starts_with({column}, '''') then nullif(substr({column}, 2), '') " if apostrophe else ""
    if dated:
        marked = f"when list_contains({_sql_list(_NO_DATE)}, lower({column})) then null " + marked
    return (
        f"case {marked}"
        f"when starts_with({column}, '=\"') and ends_with({column}, '\"') and length({column}) > 3 "
        f"then substr({column}, 3, length({column}) - 3) else {column} end"
    )


def _cleaned_ctes(mapping: HeaderMapping, staged: str, values_from: str) -> tuple[str, list[object]]:
    """The first step of `_typed_select`: common table expressions ending in `cleaned` (every canonical
    column's cleaned text `t_<c>` and meaning `m_<c>`, the extra columns as JSON, `has_control`), and the
    parameters they take (the extra columns' header names). The distinct values are read from
    `values_from`, the staged table itself or an unfiltered table under it (a superset: a value only there
    is never joined)."""
    # NFC-normalising millions of strings is the costliest step, and most columns repeat a handful of
    # values: normalise each distinct value once and join it back (10M rows: ~8 s saved).
    repeated = [c for c in LOW_CARDINALITY if c in mapping.columns]
    position = {c: staged_column(i) for c, i in mapping.columns.items()}
    # what each distinct value means (its channel or status code, its yes/no, whether it holds a control
    # character) is worked out once per distinct value too, not once per row
    meaning = {"channel": f"case {name_key_sql('clean')} {_cases(CHANNELS)} end"}
    meaning["status"] = f"case {name_key_sql('clean')} {_cases(STATUSES)} end"
    meaning.update({c: _bool("clean") for c in BOOLEANS})
    dictionaries = "".join(
        f"""d_{c} as (
            select raw, clean, {meaning.get(c, "null")} as meant,
                   coalesce(regexp_matches(raw, '{CONTROL_CHARACTERS}'), false) as bad
            from (select raw, {_unwrapped("clean_text", c in _APOSTROPHE_MARKED)} as clean
                  from (select raw, {_clean_text("nfc_normalize(raw)")} as clean_text
                        from (select distinct {position[c]} as raw from {values_from})))
        ),
        """
        for c in repeated
    )
    joins = " ".join(f"left join d_{c} on d_{c}.raw = s.{position[c]}" for c in repeated)

    def text(c: str) -> str:
        if c in repeated:
            return f"d_{c}.clean as t_{c}, d_{c}.meant as m_{c}"
        if c in mapping.columns:
            return f"{_clean_text(f's.{position[c]}')} as t_{c}, null as m_{c}"
        return f"null::varchar as t_{c}, null as m_{c}"

    text_columns = ", ".join(
        [text(c) for c in CANONICAL]
        + [f"{_clean_text(f's.{staged_column(i)}')} as t_{c}_time" for c, i in mapping.times.items()]
    )
    params: list[object] = []
    if mapping.extras:
        pairs = []
        for name, index in mapping.extras:
            pairs.append(f"?, s.{staged_column(index)}")
            params.append(name)
        extras = f"json_object({', '.join(pairs)})"
    else:
        extras = "null::json"
    # control characters: per row only in the columns of many values, from the dictionaries for the rest
    per_row = [position[c] for c in mapping.columns if c not in repeated]
    extra_positions = [staged_column(index) for _, index in mapping.extras]
    row_text = "concat_ws('|', " + ", ".join(f"s.{p}" for p in per_row + extra_positions) + ")"
    has_control = " or ".join(
        [f"coalesce(regexp_matches({row_text}, '{CONTROL_CHARACTERS}'), false)"]
        + [f"coalesce(d_{c}.bad, false)" for c in repeated]
    )
    per_row_text = [c for c in CANONICAL if c in mapping.columns and c not in repeated]
    unwrapped = ", ".join(
        f"{_unwrapped(f't_{c}', c in _APOSTROPHE_MARKED, c in _DATE_COLUMNS)} as t_{c}" for c in per_row_text
    )
    ctes = f"""{dictionaries}cleaned_text as (
            select {text_columns}, {extras} as extra_columns,
                   {has_control} as has_control,
                   s.source_row
            from {staged} s {joins}
        ),
        cleaned as (
            select * {f"replace ({unwrapped})" if unwrapped else ""} from cleaned_text
        )"""
    return ctes, params


_DAY_FIRST_SQL = _sql_list(_DAY_FIRST_FORMATS + OTHER_TIMESTAMP_FORMATS)
_MONTH_FIRST_SQL = _sql_list(MONTH_FIRST_FORMATS)


def _month_first(con: duckdb.DuckDBPyConnection, mapping: HeaderMapping) -> bool:
    """The staged export (`_staged`) writes its slashed dates month first: among its first rows some date
    reads only month first (`5/22/2025`) and none only day first (`22/5/2025`)."""
    dated = [staged_column(mapping.columns[c]) for c in _DATE_COLUMNS if c in mapping.columns]
    if not dated:
        return False
    values = " union all ".join(f"select upper(trim({c})) as v from sample" for c in dated)
    month_only, day_only = con.execute(
        f"""with sample as (select * from _staged limit {MONTH_FIRST_SAMPLE_ROWS}),
            dates as ({values})
            select count(*) filter (where try_strptime(v, {_MONTH_FIRST_SQL}) is not null
                                      and try_strptime(v, {_DAY_FIRST_SQL}) is null),
                   count(*) filter (where try_strptime(v, {_DAY_FIRST_SQL}) is not null
                                      and try_strptime(v, {_MONTH_FIRST_SQL}) is null)
            from dates where v like '%/%'"""
    ).fetchall()[0]
    return month_only > 0 and day_only == 0


def _typed_select(
    mapping: HeaderMapping, staged: str, sha: str, month_first: bool = False, values_from: str = ""
) -> tuple[str, list[object]]:
    """SQL (and its parameters) that types the staged text rows once; `problem` names the first field
    that failed, if any. Three steps so every expression is computed once per row: clean the text, type
    it, judge it. Columns are named by position; header text only ever travels as a parameter."""
    cleaned, params = _cleaned_ctes(mapping, staged, values_from or staged)
    booleans = [c for c in BOOLEANS if c in mapping.columns]
    bool_problems = "".join(f"when t_{c} is not null and m_{c} is null then '{c}' " for c in booleans)
    bool_values = "".join(f"when '{c}' then t_{c} " for c in booleans)
    params.append(sha)
    sql = f"""
        with {cleaned},
        typed as (
            select *,
                {_dated("received_at", mapping, month_first)} as received_at,
                {_dated("due_at", mapping, month_first)} as due_at,
                {_dated("finished_at", mapping, month_first)} as finished_at,
                m_channel as channel,
                m_status as status
            from cleaned
        ),
        judged as (
            select *,
                case
                    when has_control then 'control_character'
                    when t_dossier_code is null then 'dossier_code'
                    when regexp_full_match(t_dossier_code, '{_EXPONENT_CODE}') then 'dossier_code_exponent'
                    when starts_with(t_dossier_code, {_FORMATTED_CODE_SQL}) then 'dossier_code_format'
                    when received_at is null then 'received_at'
                    when channel is null then 'channel'
                    when due_at is null then 'due_at'
                    when status is null then 'status'
                    when t_finished_at is not null and finished_at is null then 'finished_at'
                    {bool_problems}
                end as problem
            from typed
        )
        select
            t_dossier_code as dossier_code,
            t_commune_name as commune_name,
            t_procedure_name as procedure_name,
            t_field_name as field_name,
            received_at, channel, due_at, finished_at, status,
            m_is_fee_bearing::boolean as is_fee_bearing,
            m_is_intake_digitised::boolean as is_intake_digitised,
            m_is_result_digitised::boolean as is_result_digitised,
            m_is_paid_online::boolean as is_paid_online,
            extra_columns,
            ?::varchar as source_file_sha256,
            source_row::integer as source_row,
            now()::timestamp as loaded_at,
            problem,
            problem in ('dossier_code', 'received_at', 'channel', 'due_at', 'status') and case problem
                when 'dossier_code' then true when 'received_at' then t_received_at is null
                when 'channel' then t_channel is null when 'due_at' then t_due_at is null
                when 'status' then t_status is null end as empty_required,
            case problem
                when 'received_at' then t_received_at when 'channel' then t_channel
                when 'due_at' then t_due_at when 'status' then t_status
                when 'finished_at' then t_finished_at when 'dossier_code' then null
                when 'dossier_code_exponent' then t_dossier_code
                when 'dossier_code_format' then substr(t_dossier_code, 2)
                {bool_values}
                when 'control_character' then left(replace(concat_ws(' | ', t_dossier_code, t_commune_name,
                    t_received_at, t_status), chr(0), '\\x00'), 500)
            end as problem_value
        from judged
    """
    return sql, params


def name_key_sql(expr: str) -> str:
    """A value compared on its letters: lower case, single spaces, and without diacritics, so that an old
    export's `Da giai quyet` is `Đã giải quyết` (the statuses and channels stay distinct when folded)."""
    return f"replace(strip_accents(trim(regexp_replace(lower({expr}), '\\s+', ' ', 'g'))), 'đ', 'd')"


# How exports spell the channel and the status, compared folded (see `name_key_sql`).
CHANNELS = {
    "trực tuyến": "online",
    "online": "online",
    "dvc trực tuyến": "online",
    "trực tiếp": "in_person",
    "tại quầy": "in_person",
    "qua bưu chính công ích": "postal",
    "bưu chính": "postal",
    "bưu chính công ích": "postal",
    "in person": "in_person",
    "postal": "postal",
}
STATUSES = {
    "đã giải quyết": "resolved",
    "đã trả kết quả": "resolved",
    "hoàn thành": "resolved",
    "đang giải quyết": "in_progress",
    "đang xử lý": "in_progress",
    "rút hồ sơ": "withdrawn",
    "đã rút": "withdrawn",
    "trả lại": "returned",
    # other vendors' words, and English
    "đã xử lý xong": "resolved",
    "đã giải quyết xong": "resolved",
    "chờ bổ sung": "in_progress",
    "đang thụ lý": "in_progress",
    "công dân rút hồ sơ": "withdrawn",
    "resolved": "resolved",
    "completed": "resolved",
    "in progress": "in_progress",
    "processing": "in_progress",
    "pending": "in_progress",
    "withdrawn": "withdrawn",
    "returned": "returned",
}


def _cases(spellings: dict[str, str]) -> str:
    return " ".join(f"when '{ascii_fold(written)}' then '{code}'" for written, code in spellings.items())


_PROBLEM_MESSAGES = {
    "dossier_code": ("thiếu mã hồ sơ", "dossier code is empty"),
    "received_at": ("ngày tiếp nhận không đọc được", "received date unreadable"),
    "channel": ("hình thức nộp không xác định", "unknown submission channel"),
    "due_at": ("hạn xử lý không đọc được", "due date unreadable"),
    "status": ("trạng thái hồ sơ không xác định", "unknown dossier status"),
    "finished_at": ("ngày hoàn thành không đọc được", "finished date unreadable"),
    "is_fee_bearing": ("giá trị 'có thu phí' không phải Có/Không", "fee-bearing is not yes/no"),
    "is_intake_digitised": (
        "giá trị 'số hóa khi tiếp nhận' không phải Có/Không",
        "intake digitised not yes/no",
    ),
    "is_result_digitised": ("giá trị 'số hóa kết quả' không phải Có/Không", "result digitised is not yes/no"),
    "is_paid_online": ("giá trị 'thanh toán trực tuyến' không phải Có/Không", "paid online is not yes/no"),
    "control_character": (
        "dòng có ký tự điều khiển (NUL…) hoặc ký tự không đọc được: tệp có thể bị hỏng, hãy xuất lại",
        "the row holds a NUL or other control character, or an unreadable byte",
    ),
    "dossier_code_exponent": (
        "mã hồ sơ bị Excel đổi thành số dạng lũy thừa (như 7,7E+12): các chữ số cuối đã mất; hãy xuất lại "
        "tệp từ hệ thống, không mở và lưu lại bằng Excel",
        "the dossier code was turned by Excel into a number in scientific notation (7.7E+12): its last "
        "digits are lost; export the file again without saving it in Excel",
    ),
    "dossier_code_format": (
        'mã hồ sơ là một số mà định dạng ô hiển thị thành mã khác (như "R9D-007-"00): giá trị trong ô không '
        "phải mã; hãy xuất lại cột mã hồ sơ dạng văn bản",
        'the dossier code cell holds a number that a cell format prints as a code ("R9D-007-"00): the value '
        "is not the code; export the code column as text",
    ),
}
# A problem recorded under another field than its own name
_PROBLEM_FIELDS = {"dossier_code_exponent": "dossier_code", "dossier_code_format": "dossier_code"}
# Marks, at staging, a code cell that holds a number in a workbook printing numbers with a prefix; an
# invisible separator no export writes (and the cleaning keeps)
FORMATTED_CODE_MARK = "\u2063"
_FORMATTED_CODE_SQL = f"chr({ord(FORMATTED_CODE_MARK)})"
# A number format that prints a number behind a text (`"R9D-007-"00`, `\H\S0000`): a code made of a number
_PREFIX_FORMAT = re.compile(r'formatCode="(?:&quot;[^&]+&quot;|\\.)+[0#]+"')


def _prints_prefixed_numbers(path: Path) -> bool:
    """The workbook defines a number format that prints a prefix before a zero-padded number."""
    try:
        with zipfile.ZipFile(path) as archive:
            styles = archive.read("xl/styles.xml").decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, OSError):
        return False
    return _PREFIX_FORMAT.search(styles) is not None


# A long numeric code as Excel's General format shows it once it is a number: one digit, a fraction, E+nn
_EXPONENT_CODE = r"[0-9]([.,][0-9]+)?[eE]\+[0-9]{1,3}"
_PROBLEM_REASONS = {"dossier_code": "missing_value", "control_character": "control_character"}
_FIELD_VI = {field: HEADER_VARIANTS[field][0] for field in REQUIRED}


def _land(
    con: duckdb.DuckDBPyConnection,
    mapping: HeaderMapping,
    sha: str,
    lines: bool = False,
    detected: Detected | None = None,
) -> tuple[int, int]:
    """Type and land the staged rows (`_staged`); with `lines`, the CSV lines that did not parse are
    quarantined too."""
    month_first = _month_first(con, mapping)
    if month_first and detected is not None:
        detected.note("dates", "month first (US)")
    # a CSV's `_staged` is a view that filters out rows of delimiters only, over all columns: each
    # dictionary reads its values from the table under it (2 M rows: 5,0 → 3,2 s)
    sql, params = _typed_select(mapping, "_staged", sha, month_first, "_staged_text" if lines else "")
    # sql-checked: _typed_select builds from staging positions (c0…) and constants; values are parameters
    con.execute(f"create or replace temp table _typed as {sql}", params)
    columns = (
        "dossier_code, commune_name, procedure_name, field_name, received_at, channel, due_at, "
        "finished_at, status, is_fee_bearing, is_intake_digitised, is_result_digitised, "
        "is_paid_online, extra_columns, source_file_sha256, source_row, loaded_at"
    )
    con.execute(f"insert into raw.dossiers select {columns} from _typed where problem is null")
    messages = [
        (
            problem,
            _PROBLEM_REASONS.get(problem, "invalid_value"),
            vi,
            en,
            _FIELD_VI.get(problem, problem),
            _PROBLEM_FIELDS.get(problem, problem),
        )
        for problem, (vi, en) in _PROBLEM_MESSAGES.items()
    ]
    con.execute(
        "create or replace temp table _problem_messages"
        " (problem varchar, reason varchar, vi varchar, en varchar, field_vi varchar, field varchar)"
    )
    con.executemany("insert into _problem_messages values (?, ?, ?, ?, ?, ?)", messages)
    con.execute(
        """insert into raw.quarantine
            select t.source_file_sha256, t.source_row, m.field, t.problem_value,
                   case when t.empty_required then 'missing_value' else m.reason end,
                   case when t.empty_required then 'thiếu giá trị bắt buộc: ' || m.field_vi else m.vi end,
                   case when t.empty_required then 'required value missing: ' || t.problem else m.en end,
                   now()::timestamp
            from _typed t join _problem_messages m using (problem) where t.problem is not null"""
    )
    loaded, quarantined = con.execute(
        "select count(*) filter (where problem is null), count(*) filter (where problem is not null)"
        " from _typed"
    ).fetchone()
    con.execute("drop table _typed")
    con.execute("drop table _problem_messages")
    return loaded, quarantined + (quarantine_lines(con, sha) if lines else 0)


_LINE_ERRORS = {
    "TOO MANY COLUMNS": (
        "dòng có nhiều trường hơn số cột của tiêu đề "
        "(có thể có dấu phẩy/chấm phẩy không nằm trong ngoặc kép)",
        "the line has more fields than the header (an unquoted delimiter?)",
    ),
    "MISSING COLUMNS": (
        "dòng có ít trường hơn số cột của tiêu đề",
        "the line has fewer fields than the header",
    ),
    "UNQUOTED VALUE": ("dòng có dấu ngoặc kép không đóng", "the line has an unterminated quote"),
    "INVALID ENCODING": ("dòng có byte không đọc được theo bảng mã UTF-8", "the line is not valid UTF-8"),
    "LINE SIZE OVER MAXIMUM": ("dòng quá dài", "the line is too long"),
}
MAX_LINE_TEXT = 1_000  # of a malformed line, the quarantine keeps this many characters


def _stage_csv(
    con: duckdb.DuckDBPyConnection, path: Path, detected: Detected, work_dir: Path
) -> HeaderMapping:
    encoding = detect_encoding(path)
    detected.note("encoding", encoding)
    work_dir.mkdir(parents=True, exist_ok=True)
    scratch: list[Path] = []
    source = path
    if html_references(path):  # letters as `&#7901;`: decoded once, line for line, then read as any file
        source = transcode_to_utf8(
            path, encoding, work_dir / f"{SCRATCH_PREFIX}{path.stem}.text.csv", references=True
        )
        scratch.append(source)
        encoding = TextEncoding("utf-8", False)
        detected.note("html_references", "decoded")
    try:
        return _stage_text(con, path, source, encoding, detected, work_dir, scratch)
    finally:
        for file in scratch:
            file.unlink(missing_ok=True)


def _stage_text(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    source: Path,
    encoding: TextEncoding,
    detected: Detected,
    work_dir: Path,
    scratch: list[Path],
) -> HeaderMapping:
    table = find_header(source, header_score, encoding)
    # the header among the rows, not above them: sorted to the bottom with them (a clerk sorted the whole
    # sheet before saving it), or under rows pasted above it; the file opens with a row, not a title
    among = False
    if table is None:
        last = find_header_at_end(source, header_score, encoding)
        if last is not None and _opens_with_a_row(source, last):
            table, among = last, True
    elif table.header_line > 1 and table.header_line == table.header_record:
        among = _opens_with_a_row(source, table)
    if table is None:
        raise IngestError(
            path,
            None,
            "header",
            "không tìm thấy dòng tiêu đề (Mã hồ sơ, Đơn vị tiếp nhận, Ngày tiếp nhận…) trong "
            f"{HEADER_SEARCH_LINES} dòng đầu của tệp",
            f"no header row (dossier code, unit, received…) in the first {HEADER_SEARCH_LINES} lines",
            reason="missing_required_column",
        )
    for key, value in table.describe().items():
        detected.note(key, value)
    note_personal_columns(table.headers, detected)  # before the mapping may refuse the file
    mapping = map_header(table.headers, path, table.header_line)
    readable = source
    try:
        if not encoding.duckdb_native:
            readable = transcode_to_utf8(path, encoding, work_dir / f"{SCRATCH_PREFIX}{path.stem}.utf8.csv")
            scratch.append(readable)
        skip = 0 if among else table.header_record
        if table.header_line != table.header_record:  # a header cell holds a line break: DuckDB's skip
            # counts lines there, so the rows below the header are copied out once and read from the top
            below = work_dir / f"{SCRATCH_PREFIX}{path.stem}.rows.csv"
            scratch.append(below)
            readable, skip = _rows_below_header(readable, table.header_line, below), 0
        try:
            _read_staged(con, readable, table, skip)
        except duckdb.InvalidInputException:
            # DuckDB takes one kind of line break per file; a file that mixes CRLF and LF is re-written
            # once with one kind (line numbers unchanged) and read again
            mixed = work_dir / f"{SCRATCH_PREFIX}{path.stem}.lf.csv"
            scratch.append(mixed)
            readable = transcode_to_utf8(readable, TextEncoding("utf-8", False), mixed, newlines=True)
            detected.note("line_breaks", "mixed, normalised")
            _read_staged(con, readable, table, skip)
    finally:
        for file in scratch:
            file.unlink(missing_ok=True)
    above = 0 if among else table.header_line  # the lines before the first row
    if among:  # the header read as a row: not a row (it keeps its line's place in the numbering)
        detected.note("header_line", f"{table.header_line} (among the rows)")
        same = " and ".join(f"trim({staged_column(i)}) = ?" for i in range(len(table.headers)))
        con.execute(f"delete from _staged_text where {same}", table.headers)  # sql-checked: positions
    _collect_rejected_lines(con, path, above, above if skip == 0 else 0)
    first = int(above) + 1
    set_aside = con.execute("select count(*) from _csv_lines").fetchall()[0][0]
    # each good row's line: its rowid past the header, plus the lines set aside before it
    before = "(select count(*) from _csv_lines l where l.good_before <= s.rowid)" if set_aside else "0"
    # a line of nothing but delimiters (`,,,,,,`: what a spreadsheet writes for formatted empty rows) is no
    # row, as a blank row of a workbook is none
    filled = (
        "coalesce("
        + ", ".join(f"nullif(trim(s.{staged_column(i)}), '')" for i in range(len(table.headers)))
        + ")"
    )
    # a first cell that starts with other than a space is filled: the trims of every cell only for the rest
    # (0,3 s a scan at 10 million rows, and the view is scanned once per column of few values)
    first_filled = f"(s.{staged_column(0)} <> '' and not starts_with(s.{staged_column(0)}, ' '))"
    con.execute(
        f"""create or replace temp view _staged as
            select s.*, (s.rowid + {first} + {before})::integer as source_row from _staged_text s
            where {first_filled} or {filled} is not null"""
    )
    _read_below_reordered_headers(con, table.headers, detected)
    refuse_blank_headers(con, mapping, path)
    return mapping


def _read_below_reordered_headers(
    con: duckdb.DuckDBPyConnection, headers: list[str], detected: Detected
) -> None:
    """An export appended below another (`copy a.csv+b.csv`, Notepad) repeats its header among the rows.
    Where that header names the same columns in another order (the system's export changed between the two:
    `Hạn xử lý` now before `Ngày tiếp nhận`), the rows under it, up to the next header, are read by it: moved
    into the first header's order, so that a due date never lands as a received one. The header line itself
    stays a row that is held back, as a header repeated in the same order is."""
    first = [header_key(h) for h in headers]
    # compared as written (the header's own cells, and trimmed): a trim of every first cell costs ~0,5 s at
    # 10 million rows, the plain comparison ~0,15 s
    candidates = con.execute(
        f"select rowid, * from _staged_text where {staged_column(0)} in (select unnest(?::varchar[]))"
        " order by rowid",
        [sorted({h for h in headers if h} | {h.strip() for h in headers if h})],
    ).fetchall()
    keyed = [(row[0], [header_key(c or "") for c in row[1:]]) for row in candidates]
    repeated = [(rowid, keys) for rowid, keys in keyed if sorted(keys) == sorted(first)]
    for (rowid, keys), (next_rowid, _) in zip(repeated, [*repeated[1:], (None, None)], strict=False):
        if keys == first or len(set(keys)) != len(keys):
            continue
        moved = ", ".join(
            f"{staged_column(i)} = {staged_column(keys.index(key))}" for i, key in enumerate(first)
        )
        con.execute(
            f"update _staged_text set {moved} where rowid > ? and rowid < coalesce(?, rowid + 1)",
            [rowid, next_rowid],
        )
        detected.note("header_again", "another column order among the rows: the rows under it read by it")


def _opens_with_a_row(source: Path, table: TextTable) -> bool:
    """The file's first line is a row of the table, not a title (`_a_row`)."""
    opening = next(csv.reader(first_lines(source, table.encoding, 1), delimiter=table.delimiter), [])
    return len(opening) == len(table.headers) and _a_row(opening, table.headers)


_DATE_LIKE = re.compile(r"\d{1,4}\s*[/.\-]\s*\d{1,2}")


def _a_row(cells: list[str], headers: list[str]) -> bool:
    """A line of the table, not a title: at least half of the header's width filled (a title padded with
    delimiters to the sheet's width fills one cell), no header itself, and a date under the header's
    received date (a letterhead spread over the columns, or Power Query's `Column1 … Column13`, has none)."""
    filled = sum(bool(cell.strip()) for cell in cells[: len(headers)])
    if filled < max(3, len(headers) // 2) or header_score([c.strip() for c in cells]):
        return False
    received = next((i for i, h in enumerate(headers) if _HEADERS.lookup(h) == "received_at"), None)
    return received is not None and received < len(cells) and bool(_DATE_LIKE.search(cells[received]))


def _rows_below_header(readable: Path, header_line: int, target: Path) -> Path:
    """The UTF-8 file's lines after `header_line`, streamed into `target`."""
    with open(readable, "rb") as source, open(target, "wb") as out:
        for _ in range(header_line):
            source.readline()
        shutil.copyfileobj(source, out, 1 << 20)
    return target


def _read_staged(con: duckdb.DuckDBPyConnection, readable: Path, table: TextTable, skip: int) -> None:
    """Load the rows below the header as text. A fresh table keeps the file's order, so a row's line
    number follows from its rowid and the lines set aside before it, without a window over the whole
    file. Lines that do not parse go to DuckDB's rejects table, with their line number and text."""
    con.execute(
        """create or replace temp table _staged_text as
           select * from read_csv(?, header = false, skip = ?, columns = ?, auto_detect = false,
                                  delim = ?, quote = '"', escape = '"', encoding = 'utf-8',
                                  strict_mode = true, null_padding = false, ignore_errors = true,
                                  store_rejects = true, rejects_table = '_csv_reject_errors',
                                  rejects_scan = '_csv_reject_scans', max_line_size = 10000000)""",
        [
            str(readable),
            skip,
            {staged_column(i): "VARCHAR" for i in range(len(table.headers))},
            table.delimiter,
        ],
    )


def _collect_rejected_lines(
    con: duckdb.DuckDBPyConnection, path: Path, header_line: int, line_offset: int = 0
) -> None:
    """Lines DuckDB could not parse, one row each (a blank line is no row), with the number of good rows
    before each, which places every good row on its line. The last line of a file that does not end with a
    line break, when it does not parse, is the file cut off there."""
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 1))
        cut_off = handle.read(1) not in (b"\n", b"\r")
    con.execute(
        """create or replace temp table _csv_lines as
           with lines as (
               select line + ? as line, min(error_type::varchar) as error_type, min(csv_line) as csv_line,
                      max(byte_position) as byte_position
               from _csv_reject_errors where trim(coalesce(csv_line, ''), ' \t\r\n') <> ''
               group by line
           )
           select line::integer as line, error_type, left(csv_line, ?) as csv_line,
                  line - ? - row_number() over (order by line) as good_before,
                  ? and byte_position = max(byte_position) over ()
                    and error_type in ('MISSING COLUMNS', 'UNQUOTED VALUE') as cut_off
           from lines""",
        [line_offset, MAX_LINE_TEXT, header_line, cut_off],
    )
    for table in ("_csv_reject_errors", "_csv_reject_scans"):
        con.execute(f"drop table if exists {table}")


def quarantine_lines(con: duckdb.DuckDBPyConnection, sha: str) -> int:
    """The lines that did not parse, into the quarantine; returns how many."""
    rows = con.execute("select line, error_type, csv_line, cut_off from _csv_lines order by line").fetchall()
    problems = []
    for line, error_type, text, cut_off in rows:
        if cut_off:
            vi = f"tệp bị cắt ngang sau dòng {line - 1}: dòng {line} không trọn vẹn; hãy xuất lại tệp"
            en = f"the file is cut off after line {line - 1}: line {line} is incomplete; export it again"
            reason = "truncated_line"
        else:
            vi, en = _LINE_ERRORS.get(error_type, ("dòng không đọc được", "the line does not parse"))
            vi, en = f"dòng {line}: {vi}", f"line {line}: {en}"
            reason = "malformed_line"
        problems.append([sha, line, "line", text, reason, vi, en])
    if problems:
        con.executemany("insert into raw.quarantine values (?, ?, ?, ?, ?, ?, ?, now()::timestamp)", problems)
    return len(problems)


def _stage_xlsx(con: duckdb.DuckDBPyConnection, path: Path, detected: Detected) -> HeaderMapping:
    reader = ValueReader(path)  # the workbook is read once, for the header and the rows
    found = reader.header(header_score, two_rows=True)
    if found is None:
        raise IngestError(
            path,
            None,
            "header",
            "không tìm thấy dòng tiêu đề (Mã hồ sơ, Đơn vị tiếp nhận, Ngày tiếp nhận…) trên trang tính nào",
            "no header row (dossier code, unit, received…) on any sheet",
            reason="missing_required_column",
        )
    for key, value in found.describe().items():
        detected.note(key, value)
    note_personal_columns(found.headers, detected)  # before the mapping may refuse the file
    mapping = map_header(found.headers, path, found.row)
    width = len(found.headers)
    # a serial day number typed into a date column counts from the workbook's own day 0 (the 1904 system
    # shifts it four years); the SQL that types the column reads serials from Excel's usual day 0
    dates = {mapping.columns[c] for c in ("received_at", "due_at", "finished_at") if c in mapping.columns}
    epoch = reader.epoch if reader.epoch != EPOCH_1900 else None
    # a workbook that prints codes through a number format (`"R9D-007-"00`): a code cell holding a number
    # shows another text than its value, so it is marked for the quarantine, never landed as `1`
    printed_codes = mapping.columns.get("dossier_code") if _prints_prefixed_numbers(path) else None
    if printed_codes is not None:
        detected.note("code_format", "số hiển thị qua định dạng ô")

    def text(index: int, value: object) -> str | None:
        if index in dates and type(value) in (int, float):
            value = epoch + timedelta(days=value)
        if index == printed_codes and type(value) in (int, float):
            return FORMATTED_CODE_MARK + cell_text(value)
        return cell_text(value)

    rows = _paged_rows(reader, found, detected, mapping.columns.get("dossier_code"))
    if epoch is None and printed_codes is None:  # the usual workbook: no call per cell
        staged = ((n, [cell_text(v) for v in row[:width]]) for n, row in rows)
    else:
        staged = ((n, [text(i, v) for i, v in enumerate(row[:width])]) for n, row in rows)
    stage_text_rows(con, width, staged)
    refuse_blank_headers(con, mapping, path)
    return mapping


def _paged_rows(
    reader: ValueReader, found: SheetHeader, detected: Detected, code_column: int | None
) -> Iterator[tuple[int, tuple]]:
    """The data rows of the header's sheet, then of every later sheet that repeats the header (an export
    paged into `Trang 1`, `Trang 2`…: one table, so none of its rows is left unread). A later page's rows
    are numbered on from the page before, as if the pages were one sheet, so that each row keeps one
    number; the pages are noted with the row each starts at. A later sheet that holds the same dossier
    codes in the same order is a copy of the first, not a page (a print view of formulas over a hidden sheet
    of the export, `Sheet1 (2)`): its rows are the same dossiers, and it is noted, not read again."""
    last = 0
    if found.row > 1:  # rows above the header (pasted there, or the header sorted among them): rows too
        above = list(itertools.takewhile(lambda r: r[0] < found.row, reader.rows(found.sheet_index, 0)))
        if above and above[0][0] == 1 and _a_row([cell_text(v) or "" for v in above[0][1]], found.headers):
            detected.note("header_row", f"{found.row} (rows above it too)")
            yield from above

    def code(row: tuple) -> str | None:
        return cell_text(row[code_column]) if code_column is not None and code_column < len(row) else None

    codes = []
    for number, row in reader.rows(found.sheet_index, found.row):
        codes.append(code(row))
        last = number
        yield last, row
    read = [found.sheet]
    for page in reader.pages(found):
        rows = list(reader.rows(page.sheet_index, page.row))
        if code_column is not None and codes and [code(row) for _, row in rows] == codes:
            detected.note(f"copy {page.sheet}", f"the same {len(codes)} dossier codes as {found.sheet}")
            continue
        offset = last - page.row
        detected.note(f"page {page.sheet}", f"rows from {last + 1}")
        read.append(page.sheet)
        for number, row in rows:
            last = number + offset
            yield last, row
    if len(read) > 1:
        detected.note("pages", ", ".join(read))


def _drop_staged(con: duckdb.DuckDBPyConnection) -> None:
    staged = con.execute(
        "select table_name, table_type from information_schema.tables"
        " where table_name in ('_staged', '_staged_text', '_csv_lines') order by table_type = 'VIEW' desc"
    ).fetchall()
    for name, kind in staged:  # the view first: it reads the table
        con.execute(f"drop {'view' if kind == 'VIEW' else 'table'} {quote_ident(name)}")


def ingest_dossier_file(
    con: duckdb.DuckDBPyConnection, path: Path, archive_dir: Path, archive_key: str = ""
) -> FileResult:
    """Land one export. The same bytes twice is a no-op; a rejected file is quarantined whole. An export
    with columns of the applicants' personal data (a portal's `Chủ hồ sơ`, `CCCD`, phone, address) lands
    without them, and its raw copy goes to the restricted archive (encrypted with `archive_key` if set)."""
    con.execute(RAW_DDL)
    detected = Detected()
    is_csv = path.suffix.lower() != ".xlsx"

    def stage() -> HeaderMapping:
        guards.check_extension(path, (".csv", ".xlsx"))
        guards.check_size(path, MAX_EXPORT_BYTES)
        if not is_csv:
            guards.check_xlsx(path)
            mapping = _stage_xlsx(con, path, detected)
        else:
            kind = guards.content_kind(path)
            if kind != "text":
                raise guards.refuse_by_content(path, kind, "tệp CSV", ".csv")
            mapping = _stage_csv(con, path, detected, archive_dir.parent / "tmp")
        return mapping

    try:
        return ingest_file(
            con,
            path,
            SOURCE_KIND,
            archive_dir,
            stage,
            lambda sha, mapping: _land(con, mapping, sha, lines=is_csv, detected=detected),
            detected=detected,
            personal=lambda: PERSONAL_NOTE in detected.items,
            archive_key=archive_key,
        )
    finally:
        _drop_staged(con)


def export_files(folder: Path) -> list[Path]:
    """Every file in the exports folder and the folders under it (`dossiers/2025-Q3/…`, as a clerk copies
    the forms folder's habit); one of a type this source does not take is refused by name."""
    return guards.inbox_files(folder)
