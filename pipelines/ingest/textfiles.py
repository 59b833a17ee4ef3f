"""Text tables (CSV exports and forms) as offices really save them: the encoding, the delimiter and where
the header row is, found out before anything parses the file.

Encodings, by trial in this order: a byte-order mark (UTF-8, UTF-16 LE/BE); strict UTF-8; UTF-16 without a
mark (every other byte zero); then Windows-1258 (Vietnamese) against Windows-1252 (Western), judged by
`charset-normalizer` on a sample. The first two are read by DuckDB as they are; any other encoding is
re-written once, streamed, as UTF-8 beside the raw archive (never held in memory). Delimiters: `,` `;`,
tab or `|`, whichever splits the header row into the most known columns.
"""

from __future__ import annotations

import codecs
import csv
import html
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from pipelines.ingest.register import IngestError

SAMPLE_BYTES = 1 << 20
csv.field_size_limit(64 * 1024 * 1024)  # a real export can hold a long free-text cell; DuckDB's limit rules
HEADER_SEARCH_LINES = 30
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
# Vietnamese letters only Windows-1258 (not 1252) gives from those bytes: Ă Đ Ơ Ư ă đ ơ ư and its tone marks
_CP1258_ONLY = set("ĂĐƠƯăđơư\u0300\u0301\u0303\u0309\u0323")


@dataclass(frozen=True)
class TextEncoding:
    name: str  # a Python codec name
    bom: bool

    @property
    def duckdb_native(self) -> bool:
        """UTF-8 (with or without a BOM) is what DuckDB reads directly."""
        return self.name in ("utf-8", "utf-8-sig")

    def __str__(self) -> str:
        return self.name + (" (BOM)" if self.bom else "")


def detect_encoding(path: Path) -> TextEncoding:
    with open(path, "rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    return detect_encoding_of(sample, path, complete=len(sample) < SAMPLE_BYTES)


def detect_encoding_of(sample: bytes, path: Path, complete: bool = True) -> TextEncoding:
    if sample.startswith(codecs.BOM_UTF8):
        return TextEncoding("utf-8-sig", True)
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return TextEncoding("utf-16", True)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
        return TextEncoding("utf-8", False)
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(sample) or utf8_and_other_lines(sample, mostly=True):
        # a stray bad byte in a UTF-8 file, or lines typed in another encoding under UTF-8 ones (two files
        # joined): those lines are set aside with their reason, not the file
        return TextEncoding("utf-8", False)
    utf16 = utf16_without_bom(sample)
    if utf16:
        return TextEncoding(utf16, False)
    if sample.count(0) > len(sample) // 100:
        raise IngestError(
            path,
            None,
            None,
            "tệp không phải văn bản (có ký tự nhị phân) ở bất kỳ bảng mã nào đã biết",
            "the file is not text in any known encoding",
            reason="unreadable_text",
        )
    return TextEncoding(_windows_code_page(sample), False)


def _valid_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def utf8_and_other_lines(raw: bytes, mostly: bool = False) -> bool:
    """Some lines are UTF-8 with letters beyond ASCII and others are not UTF-8 at all: two files joined
    (`type cu.txt >> moi.txt`). A one-byte file has no valid multi-byte UTF-8 line; a UTF-8 file no invalid
    one. With `mostly`, the UTF-8 lines are at least half of them (a file read as UTF-8 sets the others
    aside: a one-byte file with one UTF-8 line pasted in is read in its own code page)."""
    lines = [line for line in raw.splitlines() if max(line, default=0) > 0x7F]
    valid = sum(_valid_utf8(line) for line in lines)
    return 0 < valid < len(lines) and (not mostly or 2 * valid >= len(lines))


def _mostly_utf8(sample: bytes) -> bool:
    """Valid UTF-8 but for a few bytes: many multi-byte letters decode, and the bytes that do not are
    fewer than one in a thousand of them (a real Windows-1258 file fails on most of its letters)."""
    text = sample.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    letters = sum(1 for ch in text if ord(ch) > 127) - bad
    return letters >= 20 and bad <= max(2, letters // 1000)


def utf16_without_bom(sample: bytes) -> str | None:
    """`utf-16-le` or `-be` when the bytes are UTF-16 text without a byte-order mark (a zero beside
    every Latin letter, decoding to printable text); None otherwise."""
    head = sample[: 8192 - 8192 % 2]
    even, odd = head[0::2], head[1::2]
    if len(head) < 4:
        return None
    for codec, zeros, letters in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros.count(0) > 0.4 * len(zeros) and letters.count(0) < 0.05 * len(letters):
            try:
                text = head.decode(codec)
            except UnicodeDecodeError:
                continue
            printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
            if printable >= 0.95 * len(text):
                return codec
    return None


def _windows_code_page(sample: bytes) -> str:
    """Windows-1258 or Windows-1252: charset-normalizer's judgement, confirmed by letters only 1258 has;
    but never 1258 when its tone marks would mostly sit on consonants."""
    best = from_bytes(sample, cp_isolation=["cp1258", "cp1252"]).best()
    try:
        as_1258 = sample.decode("cp1258", errors="replace")
    except LookupError:  # pragma: no cover - the codec ships with Python
        as_1258 = ""
    if _misplaced_marks(as_1258):
        return "cp1252"
    if _CP1258_ONLY & set(as_1258) or best is None or best.encoding == "cp1258":
        return "cp1258"
    return "cp1252"


_VOWELS = set("aăâeêioôơuưyAĂÂEÊIOÔƠUƯY")
_TONE_MARKS = set("\u0300\u0301\u0303\u0309\u0323")


def _misplaced_marks(text: str) -> bool:
    """Windows-1258 writes a tone as a combining mark after its vowel (`hiê` + dot below), so a Vietnamese
    text read so has its marks on vowels. Western text read so puts them on consonants: Notepad's "ANSI"
    on an English Windows keeps `XÃ BA VÌ` as C3 CC, which Windows-1258 reads `XĂ BA V` + a grave."""
    on_vowels = on_others = 0
    for before, char in zip(text, text[1:], strict=False):
        if char in _TONE_MARKS:
            if before in _VOWELS:
                on_vowels += 1
            else:
                on_others += 1
    return on_others > on_vowels


def open_text(path: Path, encoding: TextEncoding) -> io.TextIOWrapper:
    """The file as text, NFC not yet applied; undecodable bytes become U+FFFD (and are judged per row)."""
    return open(path, encoding=encoding.name, errors="replace", newline="")


def transcode_to_utf8(
    path: Path, encoding: TextEncoding, target: Path, newlines: bool = False, references: bool = False
) -> Path:
    """Re-write a text file as UTF-8 (NFC), streamed in 1 MiB pieces; with `newlines`, every line break
    (CRLF, LF, a lone CR) becomes LF, for a file that mixes them; with `references`, HTML's character
    references become their characters (`R&#7901; K&#417;i` is `Rờ Kơi`), line by line."""
    source_newline = None if newlines else ""
    with (
        open(path, encoding=encoding.name, errors="replace", newline=source_newline) as source,
        open(target, "w", encoding="utf-8", newline="") as out,
    ):
        if references:
            for line in source:
                out.write(unicodedata.normalize("NFC", html.unescape(line)))
            return target
        while piece := source.read(1 << 20):
            out.write(unicodedata.normalize("NFC", piece))
    return target


# HTML's numeric character references, as a web system that escapes every letter beyond ASCII exports its
# text (`R&#7901; K&#417;i`): what tells such a file (the standard library's `html.unescape` decodes it)
_REFERENCE = re.compile(r"&#(?:[0-9]{2,7}|[xX][0-9a-fA-F]{2,6});")


def html_references(path: Path, sample: int = 1 << 16) -> bool:
    """Whether the file's text spells letters as HTML character references (three or more at its head)."""
    with open(path, "rb") as handle:
        head = handle.read(sample).decode("latin-1")
    return len(_REFERENCE.findall(head)) >= 3


@dataclass(frozen=True)
class TextTable:
    encoding: TextEncoding
    delimiter: str
    header_line: int  # 1-based line of the header row (its last line, when a quoted cell breaks it)
    headers: list[str]
    header_record: int = 1  # 1-based record of the header row: what DuckDB's `skip` counts

    def describe(self) -> dict[str, str]:
        return {
            "encoding": str(self.encoding),
            "delimiter": DELIMITER_NAMES[self.delimiter],
            "header_line": str(self.header_line),
        }


def first_lines(path: Path, encoding: TextEncoding, count: int = HEADER_SEARCH_LINES) -> list[str]:
    with open_text(path, encoding) as handle:
        lines = []
        for line in handle:
            lines.append(line.lstrip("\ufeff") if not lines else line)
            if len(lines) == count:
                break
    return lines


def find_header_at_end(
    path: Path, score: Callable[[list[str]], int], encoding: TextEncoding, tail_bytes: int = 1 << 16
) -> TextTable | None:
    """The header row as the file's last line, where a clerk sorted the whole sheet, header and all, before
    saving it as CSV; None when that line is not a header. Its line number counts the line breaks before it
    (the file is read in pieces, never whole)."""
    breaks, size = 0, path.stat().st_size
    with open(path, "rb") as handle:
        while piece := handle.read(1 << 22):
            breaks += piece.count(b"\n")
        handle.seek(max(0, size - tail_bytes))
        tail = handle.read().decode(encoding.name, errors="replace")
    lines = tail.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        return None
    trailing = len(tail) - len(tail.rstrip("\r\n \t"))
    number = breaks + 1 - tail[len(tail) - trailing :].count("\n")  # the last filled line's number
    best: tuple[int, str, list[str]] | None = None
    for delimiter in DELIMITERS:
        row = next(csv.reader([lines[-1].lstrip("\ufeff")], delimiter=delimiter), [])
        cells = [" ".join(unicodedata.normalize("NFC", c).split()) for c in row]
        points = score(cells)
        if points > 0 and (best is None or points > best[0]):
            best = (points, delimiter, cells)
    if best is None:
        return None
    _, delimiter, cells = best
    return TextTable(encoding, delimiter, number, cells, number)


def find_header(
    path: Path, score: Callable[[list[str]], int], encoding: TextEncoding | None = None
) -> TextTable | None:
    """The (delimiter, line) whose row `score` rates best among the first lines: title lines above the
    header are skipped. None when no line scores above zero."""
    encoding = encoding or detect_encoding(path)
    lines = first_lines(path, encoding)
    best: tuple[int, int, int, str, list[str]] | None = None
    for delimiter in DELIMITERS:
        reader = csv.reader(lines, delimiter=delimiter)
        try:
            for record, row in enumerate(reader, start=1):
                number = reader.line_num  # the record's last line: a quoted cell may hold a line break
                cells = [" ".join(unicodedata.normalize("NFC", c).split()) for c in row]
                points = score(cells)
                if points > 0 and (best is None or points > best[0]):
                    best = (points, number, record, delimiter, cells)
        except csv.Error:  # an unclosed quote among the first lines: the other delimiters may still do
            continue
    if best is None:
        return None
    _, number, record, delimiter, cells = best
    return TextTable(encoding, delimiter, number, cells, record)
