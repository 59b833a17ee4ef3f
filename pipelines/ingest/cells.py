"""Spreadsheet cells read by their type before their text, and header rows found wherever they are.

openpyxl hands over typed values: a date cell is a `datetime`, TRUE/FALSE a `bool`, a percentage cell the
fraction (0.936 for a cell showing 93,6 %) with a number format that says so. Every reader of a workbook
goes through here, so a value means the same thing in every source.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from openpyxl import load_workbook

from pipelines.core.vietnamese import name_key, nfc
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
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    text = nfc(str(value)).strip()
    return text or None


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


def header_key(text: str) -> str:
    """A column header compared on its words: case, spacing and a trailing colon do not count."""
    return name_key(text or "").rstrip(":").strip()


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
        if not key:
            return None
        bare = key.split("(")[0].strip()
        return (
            self._exact.get(key)
            or self._exact.get(bare)
            or self._folded.get(ascii_fold(key))
            or self._folded.get(ascii_fold(bare))
            or self._by_words(ascii_fold(bare))
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


def find_sheet_header(path: Path, score: Callable[[list[str]], int]) -> SheetHeader | None:
    """The row, on any sheet, whose cells `score` rates best among each sheet's first rows (title rows
    above it are skipped); the first sheet wins a tie. None when no row scores above zero."""
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        return best_header(
            (
                (sheet.title, sheet.iter_rows(values_only=True, max_row=HEADER_SEARCH_ROWS))
                for sheet in workbook.worksheets
            ),
            score,
        )
    finally:
        workbook.close()


def best_header(
    sheets: Iterable[tuple[str, Iterable[tuple]]], score: Callable[[list[str]], int]
) -> SheetHeader | None:
    best: SheetHeader | None = None
    for index, (title, rows) in enumerate(sheets):
        for number, row in enumerate(rows, start=1):
            if number > HEADER_SEARCH_ROWS:
                break
            cells = [cell_text(v) or "" for v in row]
            points = score(cells)
            if points > 0 and (best is None or points > best.points):
                best = SheetHeader(title, index, number, cells, points)
    return best


def filled_sheets(path: Path) -> list[tuple[str, list[tuple]]]:
    """Every sheet's rows with each merged range's value in all of its cells (a unit or department merged
    down several officials, `STT` merged over a two-row header). Read whole, not streamed: for the
    small workbooks that merge cells over data (staffing lists), where read-only mode sees only the range's
    first cell."""
    workbook = load_workbook(path, data_only=True)
    try:
        sheets = []
        for sheet in workbook.worksheets:
            rows = [list(r) for r in sheet.iter_rows(values_only=True)]
            for merged in sheet.merged_cells.ranges:
                top = rows[merged.min_row - 1][merged.min_col - 1] if merged.min_row <= len(rows) else None
                for r in range(merged.min_row, min(merged.max_row, len(rows)) + 1):
                    row = rows[r - 1]
                    row.extend([None] * (merged.max_col - len(row)))
                    for c in range(merged.min_col, merged.max_col + 1):
                        row[c - 1] = top
            sheets.append((sheet.title, [tuple(r) for r in rows]))
        return sheets
    finally:
        workbook.close()


def data_rows(path: Path, sheet_index: int, after_row: int) -> Iterator[tuple[int, tuple]]:
    """(row number, values) of every non-blank row below `after_row`: blank rows, formatted or not (a
    template copied down 5,000 rows), are not rows. They are still read through, never cut off: a value
    after a gap is a value."""
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[sheet_index]
        for number, row in enumerate(sheet.iter_rows(values_only=True, min_row=after_row + 1), after_row + 1):
            if not is_blank(row):
                yield number, row
    finally:
        workbook.close()
