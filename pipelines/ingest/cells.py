"""Spreadsheet cells read by their type before their text, and header rows found wherever they are.

openpyxl hands over typed values: a date cell is a `datetime`, TRUE/FALSE a `bool`, a percentage cell the
fraction (0.936 for a cell showing 93,6 %) with a number format that says so. Every reader of a workbook
goes through here, so a value means the same thing in every source.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook, SheetTypeEnum

from pipelines.core.vietnamese import compat, name_key, nfc
from pipelines.ingest.register import IngestError
from pipelines.reference import ascii_fold

HEADER_SEARCH_ROWS = 30
LOOKUP_CACHE_SIZE = 10_000


def cell_text(value: object) -> str | None:
    """One cell as text for a text column: NFC, trimmed; whole floats without `.0`; dates in ISO form;
    booleans as TRUE / FALSE. Empty is None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, float):
        value = float(format(value, ".15g"))  # Excel's 15 digits: 428.99999999999994 is the 429 it shows
        if value.is_integer() and abs(value) < 1e15:
            value = int(value)
    text = nfc(_XML_ESCAPE.sub(_unescaped, str(value))).strip()
    return text or None


# OOXML's escape of a character XML cannot hold (ST_Xstring: `_x000D_` is a carriage return pasted with a
# line); calamine decodes it, openpyxl hands over the seven characters. `_x005F_` escapes a literal `_x`.
_XML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescaped(match: re.Match) -> str:
    return chr(int(match.group(1), 16))


def ooxml_text(value: object) -> object:
    """A cell value with OOXML's `_xHHHH_` escapes decoded (text only; anything else as it is)."""
    if isinstance(value, str) and "_x" in value:
        return _XML_ESCAPE.sub(_unescaped, value)
    return value


# A rich text's runs (`<r>…</r>`) in a shared string (`<si>`) or a cell's inline string (`<is>`), a run's
# text, and the mark of a superscript run
_RICH_TEXT = re.compile(rb"<(?:\w+:)?(?:si|is)\b[^>]*>(.*?)</(?:\w+:)?(?:si|is)>", re.S)
_RUN = re.compile(rb"<(?:\w+:)?r\b[^>]*>(.*?)</(?:\w+:)?r>", re.S)
_RUN_TEXT = re.compile(rb"<(?:\w+:)?t\b[^>]*>(.*?)</(?:\w+:)?t>", re.S)
_SUPERSCRIPT = re.compile(rb"<(?:\w+:)?vertAlign\s+val=[\"']superscript[\"']")


def superscript_footnotes(path: Path) -> dict[str, str]:
    """Text cells whose rich text ends in a footnote mark typed as superscript (`74` + superscript `2`):
    the whole text -> the text without the superscript runs. Read as plain text, `74²` would be 742. A text
    that is also a cell without the mark elsewhere is left out (which cell is which cannot be told). Read
    from the shared strings (desktop Excel) and the sheets' inline strings (other writers)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = [
                archive.read(name)
                for name in archive.namelist()
                if name == "xl/sharedStrings.xml"
                or (name.startswith("xl/worksheets/") and name.endswith(".xml"))
            ]
    except (zipfile.BadZipFile, OSError):
        return {}
    if not any(_SUPERSCRIPT.search(part) for part in parts):
        return {}
    marked: dict[str, str] = {}
    plain: set[str] = set()
    for item in (item for part in parts for item in _RICH_TEXT.findall(part)):
        runs = _RUN.findall(item)
        if not any(_SUPERSCRIPT.search(run) for run in runs):
            plain.add(_xml_text(b"".join(_RUN_TEXT.findall(item))))
            continue
        whole = _xml_text(b"".join(t for run in runs for t in _RUN_TEXT.findall(run)))
        kept = [t for run in runs if not _SUPERSCRIPT.search(run) for t in _RUN_TEXT.findall(run)]
        marked[whole] = _xml_text(b"".join(kept))
    return {whole: kept for whole, kept in marked.items() if whole not in plain}


def _xml_text(raw: bytes) -> str:
    import html

    return html.unescape(raw.decode("utf-8", "replace"))


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_controls(text: str | None) -> str | None:
    """Free text (a note) without NUL and other control characters: the text after a stray NUL is kept."""
    return CONTROL_CHARACTERS.sub("", text) if text else text


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: how a spreadsheet user names a column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def blank_header_error(file: Path, header_row: int, index: int, filled: int) -> IngestError:
    letter = column_letter(index)
    return IngestError(
        file,
        header_row,
        f"cột {letter}",
        f"cột {letter} có {filled} giá trị nhưng không có tiêu đề (dòng tiêu đề {header_row}): "
        "hãy ghi tên cột hoặc xóa các giá trị đó",
        f"column {letter} holds {filled} values but has no header (header row {header_row})",
        reason="blank_header",
    )


# A header of words run together, each capitalised (`MaHoSo`, `NgayTiepNhan`): a vendor's database column
# names, as its "export the raw table" writes them
_RUN_TOGETHER = re.compile(r"(?:[A-Z][a-z0-9]+){2,}")


def header_key(text: str) -> str:
    """A column header compared on its words: case, spacing, a trailing colon, underscores for spaces
    (`HO_VA_TEN`: headers renamed for a mail merge, whose fields hold no spaces) and words run together
    with capitals (`MaHoSo`) do not count."""
    text = compat(text or "").replace("_", " ").strip()
    if _RUN_TOGETHER.fullmatch(text):
        text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)
    return name_key(text).rstrip(":").strip()


# A parenthesised note saying a column is not the current one: `Tử số (cũ)` (a copy of the old figures the
# clerk kept beside the corrected ones), `Tử số (kỳ trước)`, `(không dùng)`: another column, not this one
# (matched with its diacritics: `(cư trú)` and `(bộ phận)` are other words; a note typed without them only
# when it is the bare word, `(cu)`)
_SUPERSEDED_NOTE = re.compile(
    r"\([^)]*(?<!\w)(?:cũ|old|kỳ trước|quý trước|trước khi sửa|không dùng|bỏ|hủy|huỷ)(?!\w)[^)]*\)"
    r"|\(\s*cu\s*\)"
)


class HeaderAliases:
    """The spellings offices give a column, matched on `header_key`: as written, without a parenthesised
    note (`Tỷ lệ (%)`, `Tử số (1)`), and without diacritics (old exports type `Ma ho so`)."""

    def __init__(
        self,
        variants: dict[str, tuple[str, ...]],
        words: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = (),
    ):
        self.variants = variants
        self._exact = {header_key(v): k for k, vs in variants.items() for v in vs}
        self._folded = {ascii_fold(key): k for key, k in self._exact.items()}
        self._words = words
        self._seen: dict[str, str | None] = {}  # a form's labels repeat across hundreds of files

    def lookup(self, text: str | None) -> str | None:
        text = text or ""
        if text not in self._seen:
            if len(self._seen) >= LOOKUP_CACHE_SIZE:
                self._seen.clear()
            self._seen[text] = self._lookup(text)
        return self._seen[text]

    def _lookup(self, text: str) -> str | None:
        key = header_key(text)
        if not key or _SUPERSEDED_NOTE.search(key):
            return None
        return self.spelled(text) or self._by_words(ascii_fold(key.split("(")[0].strip()))

    def spelled(self, text: str | None) -> str | None:
        """The field a header names by one of its known spellings (not by its words alone)."""
        key = header_key(text or "")
        if not key or _SUPERSEDED_NOTE.search(key):
            return None
        bare = key.split("(")[0].strip()
        return (
            self._exact.get(key)
            or self._exact.get(bare)
            or self._folded.get(ascii_fold(key))
            or self._folded.get(ascii_fold(bare))
        )

    def _by_words(self, folded: str) -> str | None:
        """A spelling no list has (another vendor's export): the first field whose every group of words
        has one in the header, compared on whole words without diacritics (`Ngày hẹn trả kết quả` is a
        due date: `hẹn` comes before `trả kết quả` in the rules)."""
        padded = " " + " ".join(re.findall(r"\w+", folded)) + " "
        for field, groups in self._words:
            if all(any(f" {phrase} " in padded for phrase in group) for group in groups):
                return field
        return None


def is_blank(row: tuple | list) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


@dataclass(frozen=True)
class SheetHeader:
    sheet: str
    sheet_index: int
    row: int  # 1-based row of the header
    headers: list[str]
    points: int

    def describe(self) -> dict[str, str]:
        return {"sheet": self.sheet, "header_row": str(self.row)}


@contextlib.contextmanager
def _values_only(path: Path):
    """The workbook opened by openpyxl, streamed, cell values only; closed on leaving."""
    from openpyxl import load_workbook  # here, not at start-up (0,2–0,4 s)

    workbook = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        yield workbook
    finally:
        workbook.close()


_DATE1904 = re.compile(rb"<(?:\w+:)?workbookPr\b[^>]*\bdate1904\s*=\s*[\"'](?:1|true)[\"']")
EPOCH_1900 = datetime(1899, 12, 30)  # Excel's day 0, as its 1900 leap-year bug makes it
EPOCH_1904 = datetime(1904, 1, 1)


def workbook_epoch(path: Path) -> datetime:
    """The day a bare serial number counts from: 1904-01-01 in a workbook saved in the 1904 date system (old
    Mac Excel; `workbookPr date1904`), else Excel's usual day 0. Date cells are converted by the readers
    already; a serial typed into a General cell is not."""
    try:
        with zipfile.ZipFile(path) as archive:
            name = next((n for n in archive.namelist() if n.lower() == "xl/workbook.xml"), None)
            head = archive.open(name).read(65_536) if name else b""
    except (zipfile.BadZipFile, OSError, KeyError):
        return EPOCH_1900
    return EPOCH_1904 if _DATE1904.search(head) else EPOCH_1900


class ValueReader:
    """One workbook's values, read once for both the header search and the data rows: by calamine, or by
    openpyxl when calamine cannot tell them (see `_calamine_sheets`)."""

    def __init__(self, path: Path):
        self.path = path
        self._sheets = _calamine_sheets(path)
        self.epoch = workbook_epoch(path)

    def header(self, score: Callable[[list[str]], int], two_rows: bool = False) -> SheetHeader | None:
        """The row, on any sheet, whose cells `score` rates best among each sheet's first rows (title rows
        above it are skipped); the first sheet wins a tie. None when no row scores above zero. With
        `two_rows`, a header over two rows is found too (`best_header`)."""
        with self._first_rows() as sheets:
            return best_header(sheets, score, two_rows)

    def pages(self, found: SheetHeader) -> list[SheetHeader]:
        """The sheets after `found`'s that repeat its header row (the same cells) among their first rows:
        one export that its system paged into `Trang 1`, `Trang 2`… A sheet with another header (a lookup
        list, a summary) is no page of it."""
        wanted = [cell.strip() for cell in found.headers]

        def same(cells: list[str]) -> int:
            return 1 if [c.strip() for c in cells[: len(wanted)]] == wanted else 0

        with self._first_rows() as sheets:
            later = itertools.islice(enumerate(sheets), found.sheet_index + 1, None)
            return [h for index, (title, rows) in later if (h := sheet_header(index, title, rows, same))]

    @contextlib.contextmanager
    def _first_rows(self) -> Iterator[Iterator[tuple[str, Iterable[tuple]]]]:
        """(title, its first rows) of every sheet, read by calamine or, failing it, openpyxl."""
        if self._sheets is not None:
            yield (
                (name, itertools.islice(_calamine_rows(sheet), HEADER_SEARCH_ROWS))
                for name, sheet in self._sheets
            )
            return
        with _values_only(self.path) as workbook:
            yield (
                (sheet.title, sheet.iter_rows(values_only=True, max_row=HEADER_SEARCH_ROWS))
                for sheet in workbook.worksheets
            )

    def rows(self, sheet_index: int, after_row: int) -> Iterator[tuple[int, tuple]]:
        """(row number, values) of every non-blank row below `after_row`: blank rows, formatted or not (a
        template copied down 5,000 rows), are not rows. They are still read through, never cut off: a value
        after a gap is a value."""
        if self._sheets is not None:
            sheet = self._sheets[sheet_index][1]
            rows = _calamine_rows(sheet)
            merged = [
                (r0 + 1, c0 + 1, r1 + 1, c1 + 1)
                for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []
                if r1 + 1 > after_row
            ]
            if merged:  # a unit or a procedure merged down the rows it covers: its value in each
                rows = _filled_down(rows, merged)
            for number, row in enumerate(itertools.islice(rows, after_row, None), after_row + 1):
                if not is_blank(row):
                    yield number, row
            return
        with _values_only(self.path) as workbook:
            sheet = workbook.worksheets[sheet_index]
            merged = [m for m in _merge_refs(self.path, sheet._worksheet_path) if m[2] > after_row]
            rows = sheet.iter_rows(values_only=True)
            if merged:  # as calamine's rows above: a merged range's value in each of its cells
                rows = _filled_down(rows, merged)
            for number, row in enumerate(itertools.islice(rows, after_row, None), after_row + 1):
                if not is_blank(row):
                    yield number, row


def find_sheet_header(path: Path, score: Callable[[list[str]], int]) -> SheetHeader | None:
    """`ValueReader.header` of a workbook read for that alone."""
    return ValueReader(path).header(score)


def sheet_header(
    index: int, title: str, rows: Iterable[tuple], score: Callable[[list[str]], int]
) -> SheetHeader | None:
    """`best_header` of one sheet, the `index`-th of its workbook."""
    found = best_header([(title, rows)], score)
    return replace(found, sheet_index=index) if found else None


def best_header(
    sheets: Iterable[tuple[str, Iterable[tuple]]],
    score: Callable[[list[str]], int],
    two_rows: bool = False,
) -> SheetHeader | None:
    """The row, on any sheet, whose cells `score` rates best among each sheet's first rows. With
    `two_rows`, a header over two rows counts too (`Ngày` merged over `tiếp nhận | hẹn trả | hoàn thành`):
    each column named by its row above and below (`two_row_names`), the header then ending on the second
    row; it is taken only when it scores better than either row alone."""
    best: SheetHeader | None = None
    for index, (title, rows) in enumerate(sheets):
        above: list[str] | None = None
        for number, row in enumerate(rows, start=1):
            if number > HEADER_SEARCH_ROWS:
                break
            cells = [cell_text(v) or "" for v in row]
            candidates = [(number, cells)]
            if two_rows and above is not None:
                candidates.append((number, two_row_names(above, cells)))
            for row_number, names in candidates:
                points = score(names)
                if points > 0 and (best is None or points > best.points):
                    best = SheetHeader(title, index, row_number, names, points)
            above = cells
    return best


def two_row_names(above: list[str], below: list[str]) -> list[str]:
    """Column names of a header over two rows: a cell merged across columns in the row above (its text in
    the first of them) names each column under it (`Ngày tiếp nhận`, `Ngày hẹn trả kết quả`), a cell merged
    down both rows names its column alone."""
    names, parent = [], ""
    for i in range(max(len(above), len(below))):
        top = above[i].strip() if i < len(above) else ""
        bottom = below[i].strip() if i < len(below) else ""
        if top:
            parent = top if bottom else ""
        elif not bottom:
            parent = ""
        name = top or parent
        names.append(f"{name} {bottom}".strip() if bottom else name)
    return names


def filled_sheets(path: Path) -> list[tuple[str, list[tuple]]]:
    """Every sheet's rows with each merged range's value in all of its cells (a unit or department merged
    down several officials, `STT` merged over a two-row header). Read whole, not streamed: for the
    small workbooks that merge cells over data (staffing lists), where read-only mode sees only the range's
    first cell."""
    sheets = _calamine_sheets(path)
    if sheets is not None:
        filled = []
        for name, sheet in sheets:
            ranges = sheet.merged_cell_ranges or []
            merged = [(r0 + 1, c0 + 1, r1 + 1, c1 + 1) for (r0, c0), (r1, c1) in ranges]
            rows = [list(r) for r in _calamine_rows(sheet)]
            # openpyxl's rows reach the last merged cell; calamine's stop at the last value
            rows.extend([] for _ in range(max((m[2] for m in merged), default=0) - len(rows)))
            filled.append((name, _fill_merged(rows, merged)))
        return filled
    from openpyxl import load_workbook

    workbook = load_workbook(path, data_only=True, keep_links=False)
    try:
        return [
            (
                sheet.title,
                _fill_merged(
                    [list(r) for r in sheet.iter_rows(values_only=True)],
                    [(m.min_row, m.min_col, m.max_row, m.max_col) for m in sheet.merged_cells.ranges],
                ),
            )
            for sheet in workbook.worksheets
        ]
    finally:
        workbook.close()


_MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _merge_refs(path: Path, member: str) -> list[tuple[int, int, int, int]]:
    """The merged ranges (1-based min row, min col, max row, max col) of one worksheet part, found by
    streaming its XML (openpyxl's read-only mode does not read them; they sit after the rows)."""
    from openpyxl.utils import column_index_from_string

    found, tail = [], b""
    with zipfile.ZipFile(path) as archive, archive.open(member.lstrip("/")) as part:
        while chunk := part.read(1 << 20):
            text = tail + chunk
            found += _MERGE_CELL.findall(text)
            tail = text[-200:]
    return sorted(
        {
            (int(r0), column_index_from_string(c0.decode()), int(r1), column_index_from_string(c1.decode()))
            for c0, r0, c1, r1 in found
        }
    )


def _filled_down(rows: Iterator[tuple], merged: list[tuple[int, int, int, int]]) -> Iterator[tuple]:
    """`_fill_merged` streamed: each merged range's top-left value in all its cells, row by row. A row with
    no value of its own stays blank (a unit merged down past the last dossier makes no dossier). The ranges
    are swept in order of their first row, so each row looks only at the ranges covering it."""
    waiting = sorted(merged)  # by first row
    covering: list[tuple[int, int, int, int]] = []
    values: dict[tuple[int, int, int, int], object] = {}
    start = 0
    for number, row in enumerate(rows, start=1):
        while start < len(waiting) and waiting[start][0] <= number:
            m = waiting[start]
            values[m] = row[m[1] - 1] if m[0] == number and m[1] - 1 < len(row) else None
            covering.append(m)
            start += 1
        covering = [m for m in covering if m[2] >= number]
        if not covering or is_blank(row):
            yield row
            continue
        cells = list(row) + [None] * max(0, max(m[3] for m in covering) - len(row))
        for m in covering:
            for column in range(m[1], m[3] + 1):
                cells[column - 1] = values[m]
        yield tuple(cells)


def _fill_merged(rows: list[list], merged: list[tuple[int, int, int, int]]) -> list[tuple]:
    """Each merged range's (1-based min row, min col, max row, max col) top-left value in all its cells."""
    for min_row, min_col, max_row, max_col in merged:
        top = (
            rows[min_row - 1][min_col - 1]
            if min_row <= len(rows) and min_col <= len(rows[min_row - 1])
            else None
        )
        for r in range(min_row, min(max_row, len(rows)) + 1):
            row = rows[r - 1]
            row.extend([None] * (max_col - len(row)))
            for c in range(min_col, max_col + 1):
                row[c - 1] = top
    return [tuple(r) for r in rows]


def data_rows(path: Path, sheet_index: int, after_row: int) -> Iterator[tuple[int, tuple]]:
    """`ValueReader.rows` of a workbook read for that alone."""
    return ValueReader(path).rows(sheet_index, after_row)


# An error cell (`<c r="B7" t="e"><v>#N/A</v></c>`): calamine gives it as an empty string, openpyxl as its
# text. A workbook holding one is read by openpyxl, so `#N/A` under a date is quarantined as written,
# never taken for a blank.
_ERROR_CELL = re.compile(rb"""<c\b[^>]*?\st\s*=\s*["']e["']""")
_SCAN_CHUNK = 1 << 20


def has_error_cells(path: Path) -> bool:
    """Whether any worksheet of the workbook holds an error cell, scanning each sheet's XML in chunks."""
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            with archive.open(name) as stream:
                tail = b""
                while chunk := stream.read(_SCAN_CHUNK):
                    if _ERROR_CELL.search(tail + chunk):
                        return True
                    tail = chunk[-512:]  # a cell's opening tag cut between two chunks
    return False


def _calamine_sheets(path: Path) -> list[tuple[str, CalamineSheet]] | None:
    """Every worksheet read by calamine (Rust, ~10x faster than openpyxl on values), or None when openpyxl
    must read the workbook: it holds error cells, which calamine cannot tell from blanks, or calamine
    refuses the package (openpyxl then gives its own, usual error)."""
    try:
        if has_error_cells(path):
            return None
        book = CalamineWorkbook.from_path(str(path))
        with contextlib.closing(book):
            return [(name, book.get_sheet_by_name(name)) for name in _worksheet_names(book)]
    except (CalamineError, zipfile.BadZipFile):
        return None


def vertical_merges(path: Path) -> dict[str, list[tuple[int, int, int]]]:
    """Sheet title → (first row, last row, column), 0-based, of each cell merged down over rows in one
    column (an indicator's code or unit merged over the sub-rows a clerk split it into). Read by calamine,
    which gives the ranges openpyxl's streaming mode does not; none where calamine cannot read the file."""
    try:
        book = CalamineWorkbook.from_path(str(path))
        with contextlib.closing(book):
            return {
                name: [
                    (r0, r1, c0)
                    for (r0, c0), (r1, c1) in book.get_sheet_by_name(name).merged_cell_ranges or []
                    if c0 == c1 and r1 > r0
                ]
                for name in _worksheet_names(book)
            }
    except (CalamineError, zipfile.BadZipFile):
        return {}


def _worksheet_names(book: CalamineWorkbook) -> list[str]:
    """The worksheets in order, as openpyxl's `workbook.worksheets` lists them (no chart sheets)."""
    return [m.name for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]


def _calamine_rows(sheet: CalamineSheet) -> Iterator[tuple]:
    """Rows from A1 with the values openpyxl's data-only reading gives: empty is None, a date cell a
    `datetime`, a whole number an `int` (calamine hands over `5.0`, `date(2025, 1, 5)` and `''`)."""
    if sheet.start is None:
        return
    # calamine's rows start at row 1 but at the first column with a value
    lead = (None,) * sheet.start[1]
    for row in sheet.iter_rows():
        yield lead + tuple(_as_openpyxl(v) for v in row)


def _as_openpyxl(value: object) -> object:
    if value == "":
        return None
    if type(value) is float and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if type(value) is date:
        return datetime(value.year, value.month, value.day)
    if isinstance(value, (datetime, time)):
        return _whole_second(value)
    return value


def _whole_second(value: datetime | time) -> datetime | time:
    """calamine's conversion of Excel's day fraction can land a millisecond off a whole second (08:00:00.001
    where openpyxl reads 08:00:00): within 2 ms of one, the whole second."""
    micro = value.microsecond
    if 0 < micro <= 2_000:
        return value.replace(microsecond=0)
    if micro >= 998_000:
        if isinstance(value, datetime):
            return value.replace(microsecond=0) + timedelta(seconds=1)
        moved = datetime.combine(date.min, value).replace(microsecond=0) + timedelta(seconds=1)
        return moved.time() if moved.date() == date.min else value
    return value
