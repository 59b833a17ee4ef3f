"""Staffing lists (XLSX, one row per official), pseudonymised on the way in.

Names, birth dates, phone and citizen-ID numbers never reach an analyst-facing schema in clear: each
official gets `person_key`, an HMAC-SHA256 of the citizen ID (or of name and birth date when the ID is
missing) under a secret from settings. The clear values are kept only in the `restricted` schema, which
analysts' read-only copies leave out.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from pipelines.core.rows import insert_rows
from pipelines.core.vietnamese import (
    compat,
    from_tcvn3,
    from_vni,
    looks_tcvn3,
    looks_vni,
    name_key,
    names_quarter,
)
from pipelines.ingest.cells import (
    CONTROL_CHARACTERS,
    HEADER_SEARCH_ROWS,
    HeaderAliases,
    SheetHeader,
    best_header,
    blank_header_error,
    cell_text,
    filled_sheets,
    header_key,
    is_blank,
    sheet_header,
)
from pipelines.ingest.guards import check_extension, check_size, check_xlsx, inbox_files, transitional
from pipelines.ingest.register import (
    Detected,
    FileResult,
    IngestError,
    ingest_file,
    quarantine_rows,
)
from pipelines.reference import CommuneResolver, ascii_fold

SOURCE_KIND = "staffing_list"
MAX_STAFFING_BYTES = 50 * 1024 * 1024
# Each field's headers: Vietnamese first (the first is the one messages name), then English, as personnel
# software localised only in its data exports them
HEADER_VARIANTS = {
    "full_name": (
        "Họ và tên",
        "Họ tên",
        "Họ và tên cán bộ",
        "Tên cán bộ",
        "Full name",
        "Name",
        "Employee name",
    ),
    # personnel software keeps the name in two columns, so that lists sort by the given name
    "family_name": ("Họ và chữ đệm", "Họ và tên đệm", "Họ đệm", "Họ và đệm"),
    "given_name": ("Tên",),
    "birth_date": ("Ngày sinh", "Ngày tháng năm sinh", "Ngày, tháng, năm sinh", "Năm sinh", "Date of birth"),
    "phone": ("Số điện thoại", "Điện thoại", "SĐT", "Số ĐT", "Phone number", "Phone"),
    "citizen_id": (
        "Số CCCD",
        "CCCD",
        "Số định danh cá nhân",
        "Số CCCD/CMND",
        "CCCD/CMND",
        "Số căn cước",
        "Citizen ID",
        "ID number",
    ),
    "commune": ("Đơn vị", "Xã/Phường", "Đơn vị công tác", "Xã, phường", "Unit", "Commune"),
    "department": ("Phòng ban", "Bộ phận", "Phòng, ban", "Department"),
    "position": ("Chức vụ", "Chức danh", "Position", "Job title"),
    "education": ("Trình độ chuyên môn", "Chuyên ngành đào tạo", "Chuyên ngành", "Trình độ", "Qualification"),
    "dt_role": (
        "Vai trò chuyển đổi số",
        "Vai trò về chuyển đổi số",
        "Vai trò trong chuyển đổi số",
        "Vai trò CĐS",
        "Vai trò về CĐS",
        "Nhiệm vụ chuyển đổi số",
        "Digital transformation role",
    ),
    "trained": ("Tập huấn kỹ năng số", "Đã tập huấn kỹ năng số", "Đã tập huấn", "Digital skills training"),
    "certificate": ("Chứng thư số", "Có chứng thư số", "Chữ ký số", "Digital signature certificate"),
}
REQUIRED = ("full_name", "commune", "dt_role")
_HEADERS = HeaderAliases(HEADER_VARIANTS)
CITIZEN_ID_DIGITS = 12
# A degree in an IT field, as the column writes it in full or as offices abbreviate it (`ĐH CNTT`, `Thạc sĩ
# HTTT`); a certificate (`Chứng chỉ Tin học B`, `Chứng chỉ ứng dụng CNTT cơ bản`), which every official
# holds, is no IT education
_IT_EDUCATION = re.compile(
    r"công nghệ thông tin|\bcntt\b|tin học|máy tính|điện tử viễn thông|an toàn thông tin|hệ thống thông tin"
    r"|\bhttt\b"
)
_CERTIFICATE = re.compile(r"chứng chỉ|\bcc\b")


def has_it_education(education: str | None) -> bool:
    """Whether any part of the education column (`ĐH Luật; Chứng chỉ …`) is a degree in an IT field."""
    parts = re.split(r"[;,+]|\bvà\b", name_key(education or ""))
    return any(_IT_EDUCATION.search(part) and not _CERTIFICATE.search(part) for part in parts)


_ROLES = {"chuyên trách": "dedicated", "kiêm nhiệm": "concurrent", "không": "none", "": "none"}
_PERIOD_IN_NAME = re.compile(r"(\d{4}-(?:Q[1-4]|9M|Y))", re.IGNORECASE)  # `2025-q2` as a clerk types it
# the quarter before the year, as people say it: `staffing_Q2-2025`, `q2_2025`
_QUARTER_FIRST_IN_NAME = re.compile(r"(?<![A-Za-z0-9])Q([1-4])[-_ ]?(\d{4})(?!\d)", re.IGNORECASE)

RAW_DDL = """
create schema if not exists raw;
create schema if not exists restricted;
create table if not exists raw.staffing (
    file_sha256 varchar not null,
    source_row integer not null,
    period_key varchar not null,
    commune_id varchar not null,
    person_key varchar not null,
    department varchar,
    position varchar,
    education varchar,
    has_it_education boolean not null,
    dt_role varchar not null,
    is_trained boolean,
    has_certificate boolean,
    citizen_id_status varchar,
    identity_check varchar
);
-- lists landed before the identity columns existed
alter table raw.staffing add column if not exists citizen_id_status varchar;
alter table raw.staffing add column if not exists identity_check varchar;
create table if not exists restricted.staffing_personal (
    person_key varchar not null,
    file_sha256 varchar not null,
    source_row integer not null,
    full_name varchar,
    birth_date varchar,
    phone varchar,
    citizen_id varchar
);
"""


def _keyed(secret: str, basis: str) -> str:
    return hmac.new(secret.encode(), basis.encode(), hashlib.sha256).hexdigest()[:32]


def pseudonym(secret: str, citizen_id: str | None, full_name: str, birth_date: str | None) -> str:
    """Stable keyed pseudonym: the same official gets the same key in every list, nobody can reverse it.
    The ID is normalised first (`051 090.000.001` and the number 51090000001 are one ID). Only digits are
    an ID: a masked one (`051*******01`, as Decree 13/2023 has lists that leave the office written) or a word
    (`Chưa cấp`) is shared by many people, so the official is known by name and birth date."""
    normalised, status = normalise_citizen_id(citizen_id)
    if normalised and status != "not_digits":
        return _keyed(secret, f"id:{normalised}")
    return _keyed(secret, f"name:{name_key(full_name)}|{birth_date or ''}")


def identity_check(secret: str, full_name: str, birth_date: str | None) -> str:
    """A keyed digest of who the row names (name and birth date), beside `person_key`: two different
    digests under one `person_key` are one citizen ID given to two people. Never reversible. The name is
    compared without its marks, as it is spelt either way (`Thùy`/`Thuỳ`) or typed on a phone without
    Vietnamese input (`Người Thử`/`Nguoi Thu`), so one person typed twice is not two."""
    return _keyed(secret, f"who:{ascii_fold(name_key(full_name))}|{birth_date or ''}")


_ID_SEPARATORS = re.compile(r"[\s.\-–_/]+")


def normalise_citizen_id(value: object) -> tuple[str | None, str]:
    """(the ID as 12-digit text, status). A number cell lost its leading zero (51090000001 → 051090000001);
    spaces, dots and dashes are removed. Status: `valid`, `missing`, `wrong_length` (digits, not 12;
    kept as written), `not_digits`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, "missing"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value).zfill(CITIZEN_ID_DIGITS) if value >= 0 else str(value)
    else:
        # Excel's text prefix, typed by hand; full-width digits and zero-width spaces are the same digits
        text = compat(str(value)).strip().lstrip("'’`")
        if text.startswith('="') and text.endswith('"') and len(text) > 3:
            text = text[2:-1]  # `="051090000001"`: what some systems write so that Excel keeps the zeros
        if text.endswith(".0") and text[:-2].isdigit():  # a number that passed through text once
            text = text[:-2].zfill(CITIZEN_ID_DIGITS)
        text = _ID_SEPARATORS.sub("", text)
    if not text.isdigit():
        return text, "not_digits"
    if len(text) != CITIZEN_ID_DIGITS:
        return text, "wrong_length"
    return text, "valid"


_YES_NO = {
    **dict.fromkeys(("có", "x", "1", "true", "đã", "rồi", "✓", "✔", "☑", "☒"), True),
    **dict.fromkeys(("không", "0", "false", "chưa", "✗", "✘", "☐"), False),
}


def _yes(value: str | None) -> bool | None:
    """A yes/no cell as clerks fill it: a word, a tick or a cross."""
    return _YES_NO.get(name_key(value or ""))


@dataclass
class StaffRow:
    source_row: int
    commune_id: str
    person_key: str
    department: str | None
    position: str | None
    education: str | None
    has_it_education: bool
    dt_role: str
    is_trained: bool | None
    has_certificate: bool | None
    citizen_id_status: str
    identity_check: str
    personal: tuple[str | None, str | None, str | None, str | None]


def _header_score(cells: list[str]) -> int:
    found = {_HEADERS.lookup(c) for c in cells if c} - {None}
    return len(found) if len(found) >= 2 else 0


def _period_sheet_header(sheets: list, period_key: str, detected: Detected) -> SheetHeader | None:
    """The list's header on the sheet named for the file's quarter (`Quý II`, `Q2`, `quý 2`) when the
    workbook keeps a list per quarter, one sheet each: a clerk's workbook of the year. None when no sheet
    is named so, or that sheet holds no list (then the best header of any sheet is taken, as before)."""
    quarter = re.fullmatch(r"\d{4}-Q([1-4])", period_key)
    if quarter is None:
        return None
    for index, (title, rows) in enumerate(sheets):
        if names_quarter(title, quarter.group(1)) and (
            own := sheet_header(index, title, rows, _header_score)
        ):
            detected.note("sheet_for_period", title)
            return own
    return None


def _cell(value: object) -> str | None:
    if isinstance(value, (datetime, date)):
        return value.strftime("%d/%m/%Y")
    return cell_text(value)


def parse_staffing(
    path: Path,
    resolver: CommuneResolver,
    secret: str,
    detected: Detected | None = None,
    periods: frozenset[str] | None = None,
) -> tuple[str, list[StaffRow], list[IngestError]]:
    """The list's period (from its name: one of `periods`, the reporting calendar, when given), its rows
    and the rows held back."""
    detected = detected if detected is not None else Detected()
    check_extension(path, (".xlsx",))
    check_size(path, MAX_STAFFING_BYTES)
    check_xlsx(path)
    period = _PERIOD_IN_NAME.search(path.name)
    quarter_first = _QUARTER_FIRST_IN_NAME.search(path.name)
    if not period and not quarter_first:
        raise IngestError(
            path,
            None,
            "period",
            "tên tệp danh sách cán bộ không ghi kỳ (ví dụ staffing_2025-Q3.xlsx)",
            "staffing file name carries no period (e.g. staffing_2025-Q3.xlsx)",
            reason="missing_period",
        )
    period_key = period.group(1).upper() if period else f"{quarter_first[2]}-Q{quarter_first[1]}"
    if periods is not None and period_key not in periods:
        raise IngestError(
            path,
            None,
            "period",
            f"kỳ '{period_key}' trong tên tệp không có trong lịch báo cáo",
            f"period {period_key!r} in the file name is not in the reporting calendar",
            reason="period_not_in_calendar",
            raw_value=period_key,
        )
    with transitional(path) as readable:
        sheets = _unicode_sheets(filled_sheets(readable), detected)
    found = _period_sheet_header(sheets, period_key, detected)
    lists = [found] if found else []
    if found is None:
        found = best_header(sheets, _header_score)
        lists = _lists_of_sheets(sheets, found, detected) if found else []
    headers = found.headers if found else []
    below = _row_below(sheets, found)
    columns: dict[str, int] = {}
    split: dict[str, list[int]] = {}  # a field whose header is merged over sub-columns -> the sub-columns
    for index, header in enumerate(headers):
        canonical = _HEADERS.lookup(header) if header else None
        if canonical is None:
            continue
        group = split.get(canonical, [columns[canonical]]) if canonical in columns else []
        if group and _sub_column(headers, below, group, index):
            split[canonical] = [*group, index]
            continue
        if group:
            raise IngestError(
                path,
                found.row,
                header,
                f"hai cột cùng chỉ một trường: '{headers[columns[canonical]]}' và '{header}' "
                f"(trang tính '{found.sheet}'); hãy giữ một cột",
                f"two columns for {canonical}: {headers[columns[canonical]]!r} and {header!r}",
                reason="duplicate_header",
                raw_value=header,
            )
        columns[canonical] = index
    if "dt_role" not in columns and (grouped := _role_under_its_group(headers, _row_above(sheets, found))):
        columns["dt_role"] = grouped  # `Vai trò` under a group header `Chuyển đổi số` merged over it
        detected.note("dt_role", f"'{headers[grouped]}' under a group header naming digital transformation")
    split_name = "full_name" not in columns and {"family_name", "given_name"} <= columns.keys()
    if split_name:
        detected.note("name", "two columns, joined")
    ticks = {} if "dt_role" in columns else _role_ticks(headers)
    if ticks:
        detected.note("dt_role", "two tick columns (" + " / ".join(headers[i] for i in ticks.values()) + ")")
    missing = [
        c
        for c in REQUIRED
        if c not in columns and not (c == "full_name" and split_name) and not (c == "dt_role" and ticks)
    ]
    if missing:
        where = f" (dòng tiêu đề {found.row}, trang tính '{found.sheet}')" if found else ""
        raise IngestError(
            path,
            found.row if found else None,
            missing[0],
            f"thiếu cột bắt buộc '{HEADER_VARIANTS[missing[0]][0]}'{where}",
            f"missing required column {missing[0]}",
            reason="missing_required_column",
        )
    for key, value in found.describe().items():
        detected.note(key, value)
    sub_labels = {i: below[i] for indexes in split.values() for i in indexes}
    for field, indexes in split.items():
        detected.note(
            field, "sub-columns " + " / ".join(str(below[i]) for i in indexes) + ", one value a row"
        )
    good, problems = [], []
    unnamed: dict[int, int] = {}  # position of a column without a header -> values under it
    section_role: str | None = None  # the role a heading row gives the officials under it
    departed = False  # under a heading of officials who left or were transferred
    previous: dict | None = None  # the cells of the row above (a row that only continues it is none)
    for number, row in _numbered_rows(sheets, lists, found):
        if is_blank(row):
            continue
        key = _heading_key(row)
        if _left_heading(key):
            departed = True  # a list of those who left, under the current one: none of them is counted
            continue
        heading = _section_heading(key)
        if heading is not None:
            section_role, departed = heading, False
            continue
        for index, value in enumerate(row):
            if (index >= len(headers) or not headers[index]) and cell_text(value) is not None:
                unnamed[index] = unnamed.get(index, 0) + 1
        if sub_labels and _is_sub_header(row, headers, sub_labels):
            continue
        raw_id = (
            row[columns["citizen_id"]]
            if "citizen_id" in columns and columns["citizen_id"] < len(row)
            else None
        )
        cell = {k: (_cell(row[i]) if i < len(row) else None) for k, i in columns.items()}
        for field, indexes in split.items():  # the one sub-column filled (a birth date under Nam or Nữ)
            cell[field] = next((v for i in indexes if i < len(row) and (v := _cell(row[i]))), None)
        if not any(cell.values()):
            continue
        if split_name:
            parts = (cell.pop("family_name", None), cell.pop("given_name", None))
            cell["full_name"] = " ".join(p for p in parts if p) or None
        if ticks:
            ticked = [word for word, i in ticks.items() if i < len(row) and _ticked(row[i])]
            # none ticked: no role; both: not one role, held back naming what was ticked
            cell["dt_role"] = (
                ticked[0] if len(ticked) == 1 else ("cả hai: " + ", ".join(ticked) if ticked else "không")
            )
        not_an_official = _not_an_official(cell, previous, departed, number)
        if not_an_official is not None:
            vi, en = not_an_official
            problems.append(IngestError(path, number, "full_name", vi, en, reason="invalid_value"))
            continue
        previous = cell
        if section_role is not None and not cell.get("dt_role"):
            cell["dt_role"] = section_role
        for one, one_id in _officials_in_row(cell, raw_id):
            parsed = _staff_row(path, number, one, one_id, resolver, secret)
            (problems if isinstance(parsed, IngestError) else good).append(parsed)
    if unnamed:
        index = min(unnamed)
        raise blank_header_error(path, found.row, index, unnamed[index])
    return period_key, good, problems


# A heading row over a group of officials, as Home Affairs lists are laid out: `I. CÁN BỘ, CÔNG CHỨC CHUYÊN
# TRÁCH CHUYỂN ĐỔI SỐ`, `II. … KIÊM NHIỆM …`, `III. CÁN BỘ, CÔNG CHỨC KHÁC`: one cell, a Roman numeral or a
# letter, and the role its officials have when their own role cell is empty
_SECTION = re.compile(r"^(?:[ivx]+|[a-dđ])[.)]\s+\D+$")
_SECTION_ROLES = (("chuyên trách", "chuyên trách"), ("kiêm nhiệm", "kiêm nhiệm"), ("khác", "không"))


_LEFT = re.compile(r"nghỉ việc|nghỉ hưu|thôi việc|chuyển công tác|đã nghỉ|chuyển đi")


# A post listed with nobody in it, as a staffing plan by job position keeps it: `Khuyết`, `(Vị trí khuyết)`,
# `Chưa tuyển dụng (chỉ tiêu năm 2025)`, `Chưa bố trí`, `Còn trống`
_VACANT = re.compile(
    r"^\W*(?:vị trí\s+)?(?:khuyết|chưa tuyển(?: dụng)?|chưa bố trí|chưa có người|còn trống|trống)\b"
)


def _not_an_official(
    cell: dict, previous: dict | None, departed: bool, number: int
) -> tuple[str, str] | None:
    """Why a row of the list is no official of the unit (Vietnamese, English), else None: one who left,
    listed under their heading; the row above again (a Word cell's second paragraph); a total line; a
    vacant post."""
    name = cell.get("full_name")
    if departed:
        return (
            "cán bộ thuộc danh sách đã nghỉ việc, chuyển công tác (ghi dưới danh sách hiện tại): "
            "không tính vào cán bộ của đơn vị",
            "an official listed under a heading of those who left or were transferred: not counted",
        )
    if _continues(cell, previous):
        return (
            f"dòng {number} lặp lại cán bộ ở dòng trên, chỉ khác một ô (đoạn thứ hai của một ô trong bảng "
            "Word dán sang Excel): không phải một cán bộ khác",
            "the official of the row above again, one cell apart (a Word table cell's second paragraph "
            "pasted as a row of its own): not another official",
        )
    if isinstance(name, str) and _TOTAL.match(name_key(name)):
        return f"dòng tổng cộng ('{name}'), không phải một cán bộ", "a total line, not an official"
    if _vacant(name):
        return (
            f"vị trí còn khuyết ('{name}'), chưa có người: không phải cán bộ của đơn vị",
            "a vacant post, with nobody in it: not an official",
        )
    return None


def _continues(cell: dict, previous: dict | None) -> bool:
    """A row that is the row above again but for one cell: the same name, birth date and ID (merged cells
    filled down), one other field different (the second paragraph of a Word table's cell, pasted into Excel
    as a row of its own)."""
    if previous is None or not cell.get("full_name"):
        return False
    if any(cell.get(f) != previous.get(f) for f in ("full_name", "birth_date", "citizen_id")):
        return False
    return sum(cell.get(f) != previous.get(f) for f in cell.keys() | previous.keys()) == 1


# A total line typed under the list, in the name column: `Tổng cộng: 12 người`, `Cộng: 12`, `Tổng số 12 người`
_TOTAL = re.compile(r"^\W*(?:tổng cộng|tổng số|cộng|tổng)\s*[:\-–]?\s*\d")


def _vacant(name: object) -> bool:
    return isinstance(name, str) and bool(_VACANT.match(name_key(name)))


def _heading_key(row: tuple | list) -> str | None:
    """The name key of a heading row's one text (in one cell, or merged across the row), else None."""
    filled = {cell_text(v) for v in row} - {None}
    return name_key(filled.pop()) if len(filled) == 1 else None


def _left_heading(key: str | None) -> bool:
    """A heading over officials who left or were transferred."""
    return key is not None and len(key) > 15 and bool(_LEFT.search(key))


def _section_heading(key: str | None) -> str | None:
    """The role word of a section heading (`I. … CHUYÊN TRÁCH …`), else None."""
    if key is None or not _SECTION.match(key):
        return None
    return next((role for word, role in _SECTION_ROLES if word in key), None)


# The cells that name one person: a row whose name cell holds several lines (Alt+Enter), with as many lines
# in its citizen-ID or birth-date cell, is that many officials sharing the row's other cells
_PERSONAL = ("full_name", "birth_date", "phone", "citizen_id")


def _lines(value: object) -> list[str]:
    return (
        [line.strip() for line in str(value).splitlines() if line.strip()] if isinstance(value, str) else []
    )


def _officials_in_row(cell: dict, raw_id: object) -> list[tuple[dict, object]]:
    """The officials one row names: one, or each line of a row a Word table's merged cells made hold two
    (`Nguyễn Văn A\nTrần Thị B` over two IDs and two birth dates), never one official with both names."""
    names = _lines(cell.get("full_name"))
    count = len(names)
    if count < 2 or count not in (len(_lines(raw_id)), len(_lines(cell.get("birth_date")))):
        return [(cell, raw_id)]
    split = {field: lines for field in _PERSONAL if len(lines := _lines(cell.get(field))) == count}
    ids = _lines(raw_id)
    officials = []
    for k in range(count):
        one = {**cell, **{field: lines[k] for field, lines in split.items()}}
        officials.append((one, ids[k] if len(ids) == count else raw_id))
    return officials


# An older list gives the role as two tick columns (`Chuyên trách CĐS`, `Kiêm nhiệm CĐS`) instead of one
_TICK_HEADERS = ("chuyên trách", "kiêm nhiệm")
_TICKS = {"x", "v", "✓", "✔", "√", "có", "1", "true"}


def _role_ticks(headers: list[str]) -> dict[str, int]:
    """The role word -> position of its tick column, when both columns are there (else none)."""
    found = {}
    for index, header in enumerate(headers):
        key = name_key(header or "")
        for word in _TICK_HEADERS:
            if (key == word or key.startswith(word + " ")) and word not in found:
                found[word] = index
    return found if len(found) == len(_TICK_HEADERS) else {}


def _ticked(value: object) -> bool:
    return value is True or name_key(cell_text(value) or "") in _TICKS


def _row_below(sheets: list, found: SheetHeader | None) -> list[str | None]:
    """The texts of the row under the header (a sub-header row when the header spans two rows)."""
    if found is None:
        return []
    rows = sheets[found.sheet_index][1]
    return [_cell(v) for v in rows[found.row]] if found.row < len(rows) else []


def _row_above(sheets: list, found: SheetHeader | None) -> list[str | None]:
    """The texts of the row over the header (group headers merged over its columns), if any."""
    if found is None or found.row < 2:
        return []
    return [_cell(v) for v in sheets[found.sheet_index][1][found.row - 2]]


# A group header over the role's column (`Chuyển đổi số` merged over `Vai trò | Tập huấn | Chứng thư số`)
_DT_GROUP = re.compile(r"chuyển đổi số|\bcđs\b|\bcds\b")


def _role_under_its_group(headers: list[str], above: list[str | None]) -> int | None:
    """The column headed only `Vai trò` whose group header above names digital transformation."""
    for index, header in enumerate(headers):
        group = above[index] if index < len(above) else None
        if header_key(header) == "vai trò" and group and _DT_GROUP.search(name_key(group)):
            return index
    return None


def _sub_column(headers: list[str], below: list[str | None], group: list[int], index: int) -> bool:
    """Column `index` repeats the header of the columns `group` because one merged header cell spans them
    all (the personnel template's 'Ngày, tháng, năm sinh' over 'Nam' and 'Nữ'): it follows the group, with
    the same header text, and every column of it has its own, different label in the row below."""
    labels = [below[i] if i < len(below) else None for i in [*group, index]]
    return (
        index == group[-1] + 1
        and headers[index] == headers[group[0]]
        and all(labels)
        and len(set(labels)) == len(labels)
    )


def _is_sub_header(row: tuple, headers: list[str], sub_labels: dict[int, str | None]) -> bool:
    """The sub-header row itself (`Nam`, `Nữ` under their merged header, the other headers merged down
    into it): no official's row."""
    filled = {i: text for i, v in enumerate(row) if (text := _cell(v)) is not None}
    return any(i in sub_labels for i in filled) and all(
        sub_labels.get(i) == text or (i < len(headers) and headers[i] == text) for i, text in filled.items()
    )


def _unicode_sheets(sheets: list, detected: Detected) -> list:
    """The sheets as they are, or, where a list was typed in the old TCVN3 fonts (`.VnTime`: `Hä vµ tªn`) or
    VNI's (`VNI-Times`: `Hoï vaø teân`), with every text converted to Unicode (`Họ và tên`), which is what
    the clerk saw on screen."""
    texts = [v for _, rows in sheets for row in rows[:HEADER_SEARCH_ROWS] for v in row if isinstance(v, str)]
    if looks_vni(texts):  # before TCVN3: the two share bytes, and the VNI reading was found the better one
        detected.note("encoding", "VNI (VNI-Times)")
        decode = from_vni
    elif looks_tcvn3(texts):
        detected.note("encoding", "TCVN3 (.VnTime)")
        decode = from_tcvn3
    else:
        return sheets
    return [
        (title, [tuple(decode(v) if isinstance(v, str) else v for v in row) for row in rows])
        for title, rows in sheets
    ]


def _fields(headers: list[str]) -> list[str | None]:
    return [_HEADERS.lookup(h) if h else None for h in headers]


def _numbered_rows(sheets: list, lists: list[SheetHeader], found: SheetHeader) -> Iterator[tuple[int, tuple]]:
    """The rows under each list's header, a later sheet's numbered on from the sheet before (as the pages
    of a dossier export are), so that every row of the file keeps one number; a sheet whose columns come
    in another order has its cells put in `found`'s order."""
    last = 0
    wanted = _fields(found.headers)
    for n, listed in enumerate(lists):
        offset = last - listed.row if n else 0
        own = _fields(listed.headers)
        order = None
        if own != wanted:
            order = [
                own.index(field) if field and field in own else _same_header(listed.headers, header)
                for field, header in zip(wanted, found.headers, strict=True)
            ]
        for number, row in enumerate(sheets[listed.sheet_index][1][listed.row :], start=listed.row + 1):
            last = number + offset
            yield (
                last,
                row
                if order is None
                else tuple(row[j] if j is not None and j < len(row) else None for j in order),
            )


def _same_header(headers: list[str], header: str) -> int | None:
    return headers.index(header) if header and header in headers else None


def _lists_of_sheets(sheets: list, found: SheetHeader, detected: Detected) -> list[SheetHeader]:
    """The list under `found`, and the lists of the other sheets with the same columns (in any order) when
    each sheet lists other people than the rest: an office that compiles for two communes sends a sheet for
    each, a commune's departments keep a sheet each. A sheet that repeats people of another (a copy kept as
    a backup, a draft) is not read twice."""
    wanted = _fields(found.headers)
    if "commune" not in wanted:
        return [found]
    lists = [found]
    for index, (title, rows) in enumerate(sheets):
        own = sheet_header(index, title, rows, _header_score) if index != found.sheet_index else None
        if own and sorted(f for f in _fields(own.headers) if f) == sorted(f for f in wanted if f):
            lists.append(own)
    if len(lists) == 1:
        return lists
    key = "full_name" if "full_name" in wanted else "commune"  # who a sheet lists

    def listed(h: SheetHeader) -> set[str]:
        where = _fields(h.headers).index(key)
        rows = sheets[h.sheet_index][1][h.row :]
        return {name_key(cell_text(row[where]) or "") for row in rows if len(row) > where} - {""}

    people = [listed(h) for h in lists]
    if any(a & b for i, a in enumerate(people) for b in people[i + 1 :]):
        return [found]
    lists.sort(key=lambda h: h.sheet_index)
    detected.note("sheets", ", ".join(h.sheet for h in lists))
    return lists


def dt_role(text: str | None) -> str | None:
    """The role as written, or by its leading words when the clerk wrote more (`Chuyên trách CĐS`,
    `Kiêm nhiệm (Văn phòng)`, `Không kiêm nhiệm`: no role); None when it is none of them."""
    key = name_key(text or "")
    if key in _ROLES:
        return _ROLES[key]
    return next((role for word, role in _ROLES.items() if word and key.startswith(word + " ")), None)


def _staff_row(path: Path, number: int, cell: dict, raw_id: object, resolver: CommuneResolver, secret: str):
    broken = next((k for k, v in cell.items() if v and CONTROL_CHARACTERS.search(v)), None)
    if broken:
        return IngestError(
            path,
            number,
            broken,
            "ô có ký tự điều khiển (NUL…): tệp có thể bị hỏng, hãy kiểm tra và gửi lại",
            "the cell holds a NUL or other control character",
            reason="control_character",
        )
    if not cell.get("full_name"):
        return IngestError(
            path,
            number,
            "full_name",
            "thiếu họ tên cán bộ",
            "official's name is empty",
            reason="missing_value",
        )
    if not cell.get("commune"):
        return IngestError(
            path,
            number,
            "commune",
            "thiếu đơn vị công tác của cán bộ",
            "the official's unit is empty",
            reason="missing_value",
        )
    commune_id = resolver.resolve(cell.get("commune"))
    if commune_id is None:
        return IngestError(
            path,
            number,
            "commune",
            f"không xác định được đơn vị '{cell.get('commune')}'",
            f"unknown commune {cell.get('commune')!r}",
            reason="unknown_commune",
            raw_value=cell.get("commune"),
        )
    role = dt_role(cell.get("dt_role"))
    if role is None:
        return IngestError(
            path,
            number,
            "dt_role",
            f"vai trò chuyển đổi số '{cell.get('dt_role')}' không hợp lệ",
            f"unknown digital-transformation role {cell.get('dt_role')!r}",
            reason="invalid_value",
            raw_value=cell.get("dt_role"),
        )
    education = cell.get("education")
    citizen_id, id_status = normalise_citizen_id(raw_id)
    return StaffRow(
        number,
        commune_id,
        pseudonym(secret, citizen_id, cell["full_name"], cell.get("birth_date")),
        cell.get("department"),
        cell.get("position"),
        education,
        has_it_education(education),
        role,
        _yes(cell.get("trained")),
        _yes(cell.get("certificate")),
        id_status,
        identity_check(secret, cell["full_name"], cell.get("birth_date")),
        (cell["full_name"], cell.get("birth_date"), cell.get("phone"), citizen_id or cell.get("citizen_id")),
    )


# A run of nine or more digits (a citizen ID, an old ID card, a phone number), with the separators clerks type
_ID_LIKE = re.compile(r"(?<!\d)\d(?:[\s.\-]?\d){8,}(?!\d)")
HIDDEN = "[số đã ẩn]"


def without_ids(problem: IngestError) -> IngestError:
    """A row's problem with every ID-like number hidden from its value and messages: a row shifted a column
    puts a citizen ID under the unit (`không xác định được đơn vị '0516…'`), and the quarantine, which
    officials read, never shows one."""
    texts = (problem.raw_value, problem.message_vi, problem.message_en)
    if not any(t and _ID_LIKE.search(t) for t in texts):
        return problem
    raw_value, message_vi, message_en = (_ID_LIKE.sub(HIDDEN, t) if t else t for t in texts)
    hidden = IngestError(
        problem.file,
        problem.row,
        problem.field,
        message_vi,
        message_en,
        problem.reason,
        raw_value,
        problem.detail,
    )
    return hidden


def ingest_staffing(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    archive_dir: Path,
    resolver: CommuneResolver,
    secret: str,
    archive_key: str = "",
    periods: frozenset[str] | None = None,
) -> FileResult:
    con.execute(RAW_DDL)
    detected = Detected()

    def land(sha: str, parsed: tuple[str, list[StaffRow], list[IngestError]]) -> tuple[int, int]:
        period_key, good, problems = parsed
        if good:
            _insert(con, sha, period_key, good)
        quarantine_rows(con, sha, [without_ids(p) for p in problems])
        return len(good), len(problems)

    return ingest_file(
        con,
        path,
        SOURCE_KIND,
        archive_dir,
        lambda: parse_staffing(path, resolver, secret, detected, periods),
        land,
        detected=detected,
        personal=True,
        archive_key=archive_key,
    )


def _insert(con: duckdb.DuckDBPyConnection, sha: str, period_key: str, rows: list[StaffRow]) -> None:
    insert_rows(
        con,
        "raw.staffing",
        (
            [
                sha,
                r.source_row,
                period_key,
                r.commune_id,
                r.person_key,
                r.department,
                r.position,
                r.education,
                r.has_it_education,
                r.dt_role,
                r.is_trained,
                r.has_certificate,
                r.citizen_id_status,
                r.identity_check,
            ]
            for r in rows
        ),
    )
    insert_rows(
        con, "restricted.staffing_personal", ([r.person_key, sha, r.source_row, *r.personal] for r in rows)
    )


def staffing_files(folder: Path) -> list[Path]:
    """Every file in the staffing folder and the folders under it: none passed over in silence."""
    return inbox_files(folder)
