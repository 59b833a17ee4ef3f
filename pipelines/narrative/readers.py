"""Read a commune's narrative report (DOCX, PDF with a text layer, plain text) into positioned text blocks.

Every block is Unicode NFC (Word files from different machines mix composed and decomposed Vietnamese) and
keeps where it came from, so a figure found in it can be shown to an official with its place in the
document: page and paragraph, table row and cell, or footnote. A file that cannot be read raises an
`IngestError` naming the file and the reason in Vietnamese, like every other source.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from itertools import groupby
from pathlib import Path

from pipelines.core.vietnamese import common_syllables, from_tcvn3, from_vni, looks_tcvn3, looks_vni
from pipelines.ingest.cells import CONTROL_CHARACTERS
from pipelines.ingest.guards import (
    IMAGE_AND_ARCHIVE_KINDS,
    check_extension,
    check_package,
    check_size,
    content_kind,
    refuse_by_content,
    transitional,
)
from pipelines.ingest.register import IngestError
from pipelines.ingest.textfiles import detect_encoding_of, utf8_and_other_lines

MAX_REPORT_BYTES = 30 * 1024 * 1024
SUPPORTED = (".docx", ".pdf", ".txt")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Markup compatibility: a text box is written twice, as DrawingML and as a VML fallback for old readers
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_SPACES = re.compile(r"[ \t\u00a0\u2007\u202f]+")
# A PDF line that ends a paragraph: sentence punctuation, or a heading numbered like "I." / "1." / "a)".
_QUOTE_MARK = re.compile(r"^\s*(?:>\s?)+")  # e-mail quoting of the message replied to or forwarded
_PARAGRAPH_END = re.compile(r"[.:;!?]\s*$")
_STARTS_ITEM = re.compile(r"^\s*(?:[IVXLC]+\.|\d+(?:\.\d+)*\.|[a-zđ]\)|[-–•+*])\s")
_NUMBERED = re.compile(r"^\s*(?:[IVXLC]+\.|\d+(?:\.\d+)*\.|[a-zđ]\))\s")


@dataclass(frozen=True)
class Block:
    """One paragraph, table cell or footnote of a document, in reading order."""

    text: str
    kind: str  # paragraph | cell | footnote | page_header
    index: int  # 1-based position among the document's blocks of this kind
    page: int | None = None  # PDF only
    table: int | None = None
    row: int | None = None
    cell: int | None = None
    quoted: bool = False  # an earlier message quoted in an e-mail (`> …` lines): not this report's word
    # a table whose cells came out one per line (a PDF's text layer): a figure's neighbours may be another
    # row's row number, unit or note, so its figures wait for a person
    scattered: bool = False

    @property
    def position(self) -> str:
        """Where an official finds it, in Vietnamese ("trang 2, đoạn 14", "bảng 1, dòng 3, cột 2")."""
        if self.quoted:
            return f"đoạn {self.index} (thư trước được trích lại)"
        if self.kind == "cell":
            return f"bảng {self.table}, dòng {self.row}, cột {self.cell}"
        if self.kind == "footnote":
            return f"chú thích {self.index}"
        if self.kind == "page_header":
            return f"đầu trang, đoạn {self.index}"
        return f"trang {self.page}, đoạn {self.index}" if self.page else f"đoạn {self.index}"


@dataclass(frozen=True)
class ReportDocument:
    path: Path
    kind: str  # docx | pdf | txt
    blocks: tuple[Block, ...]

    @property
    def text(self) -> str:
        return "\n".join(b.text for b in self.blocks)


# The full-width forms a Chinese or Japanese input method types (`３４８ hồ sơ`, `５８,９１％`, `ＵＳＢ`, its
# wide space): the ASCII characters they stand for
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# A percent sign typed before its number (`%99,50`): after it, as it is read
_PERCENT_FIRST = re.compile(r"(?<![\w%])%\s?(\d+(?:[.,]\d+)?)(?![\d.,]*\s?%)")


def clean(text: str) -> str:
    """NFC, one space between words, no soft hyphens, zero-width or control characters (a stray NUL is
    dropped, the text after it kept), no dot leaders: a survey's blanks filled in (`……31…… máy`) read as
    the figure alone. Full-width digits and signs are the ASCII ones; `%99,50` is `99,50%`."""
    text = (
        unicodedata.normalize("NFC", text.translate(_FULL_WIDTH)).replace("\u00ad", "").replace("\u200b", "")
    )
    text = _PERCENT_FIRST.sub(r"\1%", text)
    text = _LEADERS.sub(" ", CONTROL_CHARACTERS.sub("", text))
    text = _SPLIT_DECIMAL.sub(",", text)
    return _SPACES.sub(" ", text).strip()


# a space typed before a rate's decimal comma (`đạt 98 ,5%`): one number
_SPLIT_DECIMAL = re.compile(r"(?<=\d) ,(?=\d{1,2}\s?%)")
# the blanks of a form to fill in by hand, and an ellipsis: never part of a figure or a word
_LEADERS = re.compile(r"…+|\.{3,}|_{3,}")


def _error(path: Path, vi: str, en: str, reason: str) -> IngestError:
    return IngestError(path, None, None, vi, en, reason=reason)


# Unicode's mathematical letters and digits (bold, italic, script …), which "fancy text" sites put in chat
# messages for bold: each is its plain letter under compatibility folding (NFKC)
_STYLED = re.compile("[\U0001d400-\U0001d7ff]")


def unstyled(text: str) -> str:
    """The text with every styled letter or digit made plain, marks recomposed (NFC)."""
    plain = _STYLED.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)
    return unicodedata.normalize("NFC", plain)


def _page_text(page) -> str:
    """A PDF page's text in reading order. pypdf gives it in the order it was drawn, which is top-down for
    what Word and LibreOffice write; a page drawn from the bottom up (some online converters) is read by the
    place of its lines instead (pypdf's layout mode)."""
    heights: list[float] = []

    def visit(text, cm, tm, font, size) -> None:
        if text.strip():
            heights.append(cm[1] * tm[4] + cm[3] * tm[5] + cm[5])

    text = page.extract_text(visitor_text=visit) or ""
    steps = [b - a for a, b in itertools.pairwise(heights)]
    up, down = sum(step > 1 for step in steps), sum(step < -1 for step in steps)
    if up >= 3 and up > 2 * down:
        return page.extract_text(extraction_mode="layout") or text
    return text


def read_report(path: Path) -> ReportDocument:
    """The report's blocks, by the file's type."""
    suffix = path.suffix.lower()
    check_extension(path, SUPPORTED)
    check_size(path, MAX_REPORT_BYTES)
    reader = {".docx": _read_docx, ".pdf": _read_pdf, ".txt": _read_txt}[suffix]
    blocks = tuple(reader(path))
    if any(_STYLED.search(b.text) for b in blocks):  # `𝐔̉𝐘 𝐁𝐀𝐍`: a chat's bold, letters of another block
        blocks = tuple(replace(b, text=unstyled(b.text)) for b in blocks)
    texts = [b.text for b in blocks]
    if looks_vni(texts):  # typed in the VNI-Times font: `Kính göûi` is `Kính gửi`
        blocks = tuple(replace(b, text=from_vni(b.text)) for b in blocks)
    elif looks_tcvn3(texts):  # the .VnTime fonts (TCVN3) kept in a PDF's text layer: `KÕt qu¶` is `Kết quả`
        converted = tuple(replace(b, text=from_tcvn3(b.text)) for b in blocks)
        if common_syllables(" ".join(b.text for b in converted)) > common_syllables(" ".join(texts)):
            blocks = converted
    if not any(b.kind != "page_header" for b in blocks):  # a letterhead template in the page header only
        raise _error(path, "tệp báo cáo không có nội dung chữ", "report has no text", "empty_report")
    return ReportDocument(path, suffix[1:], blocks)


# ----------------------------------------------------------------- plain text


def _decode(path: Path) -> str:
    """UTF-8 (with or without a BOM), UTF-16, Windows-1258 (what old machines still save) or 1252, by
    the same trial as the CSV exports; one-byte text that reads as more Vietnamese in the old TCVN3 fonts
    is read so. A Word, RTF, PDF or other known package under a .txt name is refused as what it is."""
    kind = content_kind(path)
    if kind in ("zip", "pdf", "ole2", "ole2_word", "encrypted_office", "rtf", *IMAGE_AND_ARCHIVE_KINDS):
        raise refuse_by_content(path, kind, "tệp văn bản", ".txt")
    if kind == "binary":
        raise _error(
            path,
            "tệp không phải văn bản (có ký tự nhị phân) ở bất kỳ bảng mã nào đã biết",
            "the file is not text in any known encoding",
            "unreadable_text",
        )
    raw = path.read_bytes()
    if utf8_and_other_lines(raw):
        # a UTF-8 letterhead and a body appended from an old Windows-1258 file (`type cu.txt >> …`): each
        # line read in the encoding it was written in
        return unicodedata.normalize("NFC", "".join(_line_text(line) for line in raw.splitlines(True)))
    encoding = detect_encoding_of(raw, path)
    try:
        text = raw.decode(encoding.name)
    except UnicodeDecodeError as error:
        raise _error(
            path,
            "không đọc được bảng mã của tệp văn bản: hãy lưu lại với bảng mã UTF-8",
            f"undecodable text: {error}",
            "unreadable_text",
        ) from error
    if _is_mail_message(text):
        raise _error(
            path,
            "đây là thư điện tử (e-mail) lưu thành tệp văn bản, không phải báo cáo: hãy lưu tệp báo cáo đính "
            "kèm thư (.docx, .pdf) rồi gửi tệp đó",
            "this is an e-mail message saved as text (headers, MIME parts), not a report",
            "wrong_file_type",
        )
    if encoding.name.startswith("cp"):  # one byte a letter: maybe the old TCVN3 fonts (`KÕt qu¶ thùc hiÖn`)
        bytes_as_codes = raw.decode("latin-1")
        if looks_tcvn3([bytes_as_codes]):
            tcvn3 = from_tcvn3(bytes_as_codes)
            if common_syllables(tcvn3) > common_syllables(text):
                return tcvn3
    return text


def _line_text(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("cp1258", errors="replace")


# The header lines an e-mail message opens with (RFC 5322), and the one a MIME message always has
_MAIL_HEADER = re.compile(
    r"(?:from|to|cc|subject|date|message-id|received|return-path|mime-version|content-type|"
    r"content-transfer-encoding|x-[\w-]+):\s",
    re.IGNORECASE,
)


def _is_mail_message(text: str) -> bool:
    """A raw e-mail saved as text: its first lines are mail headers, a MIME version among them."""
    head = [line for line in text.lstrip("\ufeff").splitlines()[:30] if line.strip()][:15]
    headers = [line for line in head if _MAIL_HEADER.match(line)]
    return len(headers) >= 4 and any(line.lower().startswith("mime-version:") for line in headers)


def _read_txt(path: Path) -> Iterator[Block]:
    """Paragraphs are separated by blank lines or by lines that start a numbered item; text copied out of
    Word wraps long paragraphs over several lines, which are joined. Text copied out of a PDF often comes
    double-spaced (a blank line after every line): there a blank line is only a wrap."""
    lines = _without_page_furniture(_decode(path))
    if _double_spaced(lines):
        lines = [line for line in lines if line.strip()]
    counts = {"paragraph": 0, "table": 0}
    for quoted, run in groupby(lines, key=lambda line: bool(_QUOTE_MARK.match(line))):
        run = [_QUOTE_MARK.sub("", line) for line in run] if quoted else list(run)
        yield from _line_blocks(run, counts, quoted=quoted)


def _line_blocks(lines: list[str], counts: dict[str, int], **where) -> Iterator[Block]:
    """The paragraphs and the tables typed in plain text (`_table_separator`) of a text's lines, numbered on
    from `counts` (`where`: the page, whether quoted)."""
    for separator, part in groupby(lines, key=_table_separator):
        part = list(part)
        if separator and len(part) >= 2:
            counts["table"] += 1
            yield from _text_table(part, separator, counts["table"], **where)
            continue
        for text, scattered in _paragraphs(part):
            counts["paragraph"] += 1
            yield Block(text, "paragraph", counts["paragraph"], scattered=scattered, **where)


def _table_separator(line: str) -> str | None:
    """`|` for a row of a table drawn with bars (`| Tiếp nhận | 204 | 231 |`, its outer bars left out when
    a PDF's text layer gives it), a tab for one pasted from a spreadsheet (two cells or more either way);
    None for any other line."""
    text = line.strip()
    if text.count("|") >= 2:
        return "|"
    if line.strip("\r\n").count("\t") >= 2 and text:
        return "\t"
    return None


def _text_table(lines: list[str], separator: str, table: int, **where) -> Iterator[Block]:
    """The cells of a table typed in plain text, row by row, as a Word table's are read (a rule of dashes
    between the header and the rows is no row)."""
    cells = 0
    rows = [line.strip().strip("|") if separator == "|" else line.strip("\r\n") for line in lines]
    rows = [row for row in rows if not re.fullmatch(r"[\s|:+=─-]*", row)]
    for r, row in enumerate(rows, start=1):
        for c, text in enumerate(row.split(separator), start=1):
            text = clean(text)
            if text:
                cells += 1
                yield Block(text, "cell", cells, table=table, row=r, cell=c, **where)


# A page number as a PDF's text or a scan prints it on a line of its own: `- 2 -`, `Trang 2/4`, `Page 3`.
_PAGE_NUMBER = re.compile(
    r"\s*(?:[-–—]\s*\d{1,3}\s*[-–—]|(?:trang|page)\s*\d{1,3}(?:\s*(?:/|of|trên)\s*\d{1,3})?)\s*", re.I
)
_SENTENCE_DONE = re.compile(r"[.!?:;]\s*$")


def _without_page_furniture(text: str) -> list[str]:
    """The lines of text copied out of a PDF or a scan, without what each page repeats: form feeds, page
    numbers on a line of their own, and a running header (the line that opens two or more pages). Where the
    page broke a sentence (`… trả kết quả bản điện tử là 1.264` / page 2 / `hồ sơ, đạt 66,14%`), the blank
    lines around the furniture go too, so the sentence is one paragraph again; after a finished sentence
    one stays."""
    pages = [page.splitlines() for page in text.split("\f")]
    openers = [next((line.strip() for line in page if line.strip()), "") for page in pages[1:]]
    running = {line for line in openers if line and openers.count(line) >= 2}
    lines = [line for page in pages for line in page]
    kept: list[str] = []
    removed = False
    for line in lines:
        if _PAGE_NUMBER.fullmatch(line) or (running and line.strip() in running):
            removed = True
            continue
        if removed and not line.strip():
            continue  # the blank lines around furniture: decided when the text resumes
        if removed:
            while kept and not kept[-1].strip():
                kept.pop()
            if kept and _SENTENCE_DONE.search(kept[-1]):
                kept.append("")
            removed = False
        kept.append(line)
    return kept


def _double_spaced(lines: list[str]) -> bool:
    """Most lines with text are followed by exactly one blank line, and few by none."""
    filled = [i for i, line in enumerate(lines[:-1]) if line.strip()]
    if len(filled) < 10:
        return False
    single_blank = sum(
        1 for i in filled if not lines[i + 1].strip() and (i + 2 >= len(lines) or lines[i + 2].strip())
    )
    return single_blank >= 0.8 * len(filled)


# A paragraph joined from this many lines or more, most of a few words and many only a number (a row
# number, a value): a table's cells one per line. A list of `label: value` lines keeps each value beside
# its label, so it is not one.
_SCATTERED_LINES = 8
_SCATTERED_WORDS = 3
_SCATTERED_SHORT_SHARE = 0.6
_SCATTERED_NUMBER_SHARE = 0.25


def _scattered(lines: list[str]) -> bool:
    short = sum(1 for line in lines if len(line.split()) <= _SCATTERED_WORDS)
    numbers = sum(1 for line in lines if _is_value_line(line.strip()))
    return (
        len(lines) >= _SCATTERED_LINES
        and short >= _SCATTERED_SHORT_SHARE * len(lines)
        and numbers >= _SCATTERED_NUMBER_SHARE * len(lines)
    )


def _paragraphs(lines: list[str]) -> Iterator[tuple[str, bool]]:
    """(text, whether it is a table scattered one cell a line) of each paragraph of `lines`."""
    for lines_of_one in _paragraph_lines(lines):
        yield " ".join(lines_of_one), _scattered(lines_of_one)


def _paragraph_lines(lines: list[str]) -> Iterator[list[str]]:
    texts = [clean(line) for line in lines]
    short = 0.85 * max((len(t) for t in texts), default=0)  # a line the layout did not wrap
    pairs = _label_value_pairs(texts)
    current: list[str] = []
    for i, text in enumerate(texts):
        if i in pairs:
            if current:
                yield current
            current = []
            if pairs[i] is not None:
                yield [pairs[i]]
            continue
        if _DECORATION.fullmatch(text):  # a rule drawn with characters (`=====`, `────`): a break, no text
            text = ""
        heading = _is_caps_heading(text)
        if (
            not text
            or heading
            or (current and _is_caps_heading(current[-1]) and not heading)
            or (current and (_STARTS_ITEM.match(text) or _ends_paragraph(current, text, short)))
        ):
            if current:
                yield current
            current = []
        if text:
            current.append(text)
    if current:
        yield current


# a line drawn with characters, with at most a few words inside (`===== Trang chiếu 2 =====`)
_DECORATION = re.compile(r"[=─━—_*#~-]{3,}(?:[^=─━—_*#~]{0,30}[=─━—_*#~-]{3,})?")


def _is_caps_heading(text: str) -> bool:
    """A line in capitals (`HỒ SƠ THỦ TỤC HÀNH CHÍNH`, `I. KẾT QUẢ THỰC HIỆN`): a heading of its own, never
    the start of the wrapped paragraph below it."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and text.isupper() and len(text.split()) <= 16


# a line that is only a figure: digits with their separators, a rate sign, a fraction, a short unit
_VALUE_LINE = re.compile(
    r"^[~≈≥≤<>+]?\s*\d[\d.,  ]*(?:\s*(?:%|‰)|\s*/\s*\d[\d.,]*)?(?:\s*[^\W\d_][\w.]{0,5})?$"
)
_LABEL_LINE_LONGEST = 90
_FEWEST_PAIRS = 3


def _is_value_line(text: str) -> bool:
    return bool(_VALUE_LINE.match(text))


def _is_label_line(text: str) -> bool:
    """A short line of words that closes no sentence and is no note (`(*) Tính trên …`)."""
    return (
        bool(text)
        and not _is_value_line(text)
        and len(text) <= _LABEL_LINE_LONGEST
        and not _PARAGRAPH_END.search(text)
        and text[0] not in "(*[-–•+"
        and not text[0].isdigit()
    )


def _label_value_pairs(texts: list[str]) -> dict[int, str | None]:
    """Dashboards and slides copied as text put a figure and its label on lines of their own: `Tiếp nhận
    trong kỳ⏎2.148⏎Trực tuyến⏎1.512` (label first) or `1.284⏎hồ sơ tiếp nhận⏎853⏎nộp trực tuyến` (figure
    first). Joined as one wrapped paragraph, each figure sits between two labels and reads the wrong one.
    A run of at least three such pairs, alternating line by line, is read pair by pair: line index of
    each pair's first line → the pair as one paragraph (`label: figure`, or `figure label`), the second
    line → None. A run that starts and ends with the same kind of line is ambiguous (a heading before
    figure-first pairs, or label-first pairs and a last label) and is left alone, unless its first line is
    a heading in capitals."""
    pairs: dict[int, str | None] = {}
    i = 0
    while i < len(texts):
        kinds = []
        j = i
        while j < len(texts) and texts[j]:
            kind = "value" if _is_value_line(texts[j]) else "label" if _is_label_line(texts[j]) else None
            if kind is None or (kinds and kind == kinds[-1]):
                break
            kinds.append(kind)
            j += 1
        if len(kinds) % 2 and texts[i].isupper():  # a heading, then the pairs
            kinds, i = kinds[1:], i + 1
        count = len(kinds) // 2
        if count >= _FEWEST_PAIRS and len(kinds) % 2 == 0:
            label_first = kinds[0] == "label"
            for k in range(i, i + 2 * count, 2):
                first, second = texts[k], texts[k + 1]
                pairs[k] = f"{first}: {second}" if label_first else f"{first} {second}"
                pairs[k + 1] = None
            i += 2 * count
        else:
            i = max(j, i + 1)
    return pairs


def _ends_paragraph(current: list[str], next_line: str, short: float) -> bool:
    """The paragraph so far ends before `next_line`: its last line closes a sentence, or it is a numbered
    heading (`b) Công tác tham mưu …`: one line, numbered, shorter than the lines the layout wrapped, no
    closing punctuation) and the next line starts with a capital."""
    if _PARAGRAPH_END.search(current[-1]):
        return True
    heading = len(current) == 1 and _NUMBERED.match(current[0]) and len(current[0]) < short
    return bool(heading) and next_line[:1].isupper()


# ----------------------------------------------------------------- DOCX


def _check_docx_package(path: Path) -> None:
    check_package(path, "Word")


def _read_docx(path: Path) -> Iterator[Block]:
    import docx
    from docx.table import Table

    _check_docx_package(path)
    try:
        with transitional(path) as readable:  # a "Strict Open XML Document" read as the usual kind
            document = docx.Document(str(readable))
    except Exception as error:  # python-docx and lxml fail many ways on a damaged package
        raise _error(
            path,
            "tệp Word bị hỏng (nội dung không đọc được): hãy mở lại trên máy, lưu lại và gửi lại",
            f"corrupt Word document: {type(error).__name__}: {error}",
            "corrupt_file",
        ) from error
    yield from _page_header(document)
    caps = _caps_styles(document)
    paragraphs = tables = 0
    for element in document.element.body.iterchildren():  # body order: paragraphs and tables interleaved
        if element.tag == f"{_W}p":
            text = clean(_paragraph_text(element, caps))
            if text:
                paragraphs += 1
                yield Block(text, "paragraph", paragraphs)
        elif element.tag == f"{_W}altChunk":  # a part Word imports on opening (a web portal's HTML)
            for text in _alt_chunk_paragraphs(document, element):
                paragraphs += 1
                yield Block(text, "paragraph", paragraphs)
        elif element.tag == f"{_W}tbl":
            tables += 1
            cells = 0
            for r, row in enumerate(Table(element, document).rows, start=1):
                seen: set[int] = set()
                for c, cell in enumerate(row.cells, start=1):
                    if id(cell._tc) in seen:  # a merged cell repeats across the columns it spans
                        continue
                    seen.add(id(cell._tc))
                    text = clean("\n".join(_paragraph_text(p, caps) for p in cell._tc.iter(f"{_W}p")))
                    if text:
                        cells += 1
                        yield Block(text, "cell", cells, table=tables, row=r, cell=c)
    yield from _docx_footnotes(document)


_R_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def _alt_chunk_paragraphs(document, element) -> list[str]:
    """The paragraphs of an imported chunk (`<w:altChunk r:id=…>`): an HTML page, or MHTML (a MIME message
    holding one, quoted-printable), as web portals build their "download as Word" files. Word shows its
    text as the document's; anything else is left unread."""
    rel = document.part.rels.get(element.get(_R_ID))
    if rel is None or rel.is_external:
        return []
    blob = rel.target_part.blob
    html = None
    if blob.lstrip()[:100].lower().startswith((b"mime-version", b"content-type")):
        import email

        message = email.message_from_bytes(blob)
        for part in message.walk():
            if part.get_content_type() == "text/html":
                payload = part.get_payload(decode=True) or b""
                html = payload.decode(part.get_content_charset() or "utf-8", errors="replace")
                break
    elif b"<html" in blob[:2048].lower() or b"<body" in blob[:4096].lower():
        html = blob.decode("utf-8", errors="replace")
    return [text for line in _html_lines(html) if (text := clean(line))] if html else []


def _html_lines(html: str) -> list[str]:
    """An HTML page's text, a line per block element (paragraph, heading, list item, table row); the cells
    of a row joined by ` | `, as the plain-text rendering of a table reads."""
    from html.parser import HTMLParser

    class Lines(HTMLParser):
        BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "br", "table", "title"}

        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.lines: list[str] = []
            self.current: list[str] = []
            self.skip = 0

        def handle_starttag(self, tag, attrs) -> None:
            if tag in ("script", "style", "head"):
                self.skip += 1
            elif tag in self.BLOCKS:
                self.flush()
            elif tag in ("td", "th") and self.current:
                self.current.append(" | ")

        def handle_endtag(self, tag) -> None:
            if tag in ("script", "style", "head"):
                self.skip = max(0, self.skip - 1)
            elif tag in self.BLOCKS:
                self.flush()

        def handle_data(self, data) -> None:
            if not self.skip:
                self.current.append(data)

        def flush(self) -> None:
            if "".join(self.current).strip():
                self.lines.append(" ".join("".join(self.current).split()))
            self.current = []

    parser = Lines()
    parser.feed(html)
    parser.close()
    parser.flush()
    return parser.lines


def _page_header(document) -> Iterator[Block]:
    """The first section's page header (its first-page header too), where many templates keep the
    letterhead: «UBND XÃ …» repeated on every page, the body naming no unit."""
    if not document.sections:
        return
    section = document.sections[0]
    index = 0
    for header in (section.first_page_header, section.header):
        if header.is_linked_to_previous:
            continue
        for element in header._element.iter(f"{_W}p"):
            if element.getparent().tag == f"{_W}txbxContent":
                continue  # read with the paragraph that anchors its text box
            text = clean(_paragraph_text(element))
            if text:
                index += 1
                yield Block(text, "page_header", index)


def _paragraph_text(paragraph, caps_styles: frozenset[str] = frozenset()) -> str:
    """A paragraph's text as Word shows it: runs inside tracked insertions, hyperlinks and fields
    included (python-docx's `text` skips them), deleted text and field codes left out. A text box anchored
    in it (a letterhead in a floating box) is read once, a line per paragraph, not again from its VML
    fallback. Hidden text (Font > Hidden: an old unit's name kept out of sight) is not shown: not read.
    Text typed in lower case under Font > All caps or Small caps (the run's or its style's) is shown in
    capitals: read so (`xã long phụng` shown as `XÃ LONG PHỤNG`)."""
    parts = []
    boxed = paragraph.find(f".//{_W}txbxContent") is not None
    style = paragraph.find(f"{_W}pPr/{_W}pStyle")
    paragraph_caps = style is not None and style.get(f"{_W}val") in caps_styles
    for node in paragraph.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}cr", f"{_W}p"):
        if boxed and any(a.tag == _MC_FALLBACK for a in node.iterancestors()):
            continue
        if node.tag != f"{_W}p" and _run_flag(node, "vanish") is True:
            continue
        if node.tag == f"{_W}t":
            text = node.text or ""
            caps = _run_flag(node, "caps", "smallCaps", styles=caps_styles)
            parts.append(text.upper() if caps or (caps is None and paragraph_caps) else text)
        elif node.tag == f"{_W}p":
            if node is not paragraph:
                parts.append("\n")
        else:
            parts.append(" ")
    return "".join(parts)


def _run_flag(node, *names: str, styles: frozenset[str] = frozenset()) -> bool | None:
    """Whether the run holding `node` turns one of the toggles `names` on (`<w:vanish/>`, `<w:caps/>`),
    directly or by its character style among `styles`; False when it turns them off, None when silent."""
    run = node.getparent()
    properties = run.find(f"{_W}rPr") if run is not None and run.tag == f"{_W}r" else None
    if properties is None:
        return None
    for name in names:
        flag = properties.find(f"{_W}{name}")
        if flag is not None:
            return flag.get(f"{_W}val", "true") not in ("0", "false", "off")
    style = properties.find(f"{_W}rStyle")
    return True if style is not None and style.get(f"{_W}val") in styles else None


def _caps_styles(document) -> frozenset[str]:
    """The styles whose font is All caps or Small caps, set on them or on a style they are based on."""
    found = set()
    for style in document.styles:
        based = style
        while based is not None and getattr(based, "font", None) is not None:
            caps = based.font.all_caps if based.font.all_caps is not None else based.font.small_caps
            if caps is not None:
                if caps:
                    found.add(style.style_id)
                break
            based = based.base_style
    return frozenset(found)


def _docx_footnotes(document) -> Iterator[Block]:
    part = next((p for p in document.part.package.parts if p.partname == "/word/footnotes.xml"), None)
    if part is None:
        return
    from lxml import etree

    root = etree.fromstring(part.blob)
    number = 0
    for note in root.iter(f"{_W}footnote"):
        if note.get(f"{_W}type") in ("separator", "continuationSeparator", "continuationNotice"):
            continue
        text = clean("".join(t.text or "" for t in note.iter(f"{_W}t")))
        if text:
            number += 1
            yield Block(text, "footnote", number)


# ----------------------------------------------------------------- PDF


def _opens_without_password(reader) -> bool:
    try:
        return bool(reader.decrypt(""))
    except (NotImplementedError, ValueError):  # an algorithm pypdf cannot run without its extra
        return False


def _read_pdf(path: Path) -> Iterator[Block]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        # a PDF locked by an owner password only (copying "not allowed") opens without one, as in any viewer
        if reader.is_encrypted and not _opens_without_password(reader):
            raise _error(
                path,
                "tệp PDF được đặt mật khẩu: hãy gỡ mật khẩu rồi gửi lại",
                "the PDF is password-protected: send it without a password",
                "password_protected",
            )
        pages = [_page_text(page) for page in reader.pages]
    except (PdfReadError, OSError, ValueError) as error:
        raise _error(
            path, "tệp PDF bị hỏng, không đọc được", f"corrupt PDF: {error}", "corrupt_file"
        ) from error
    if not any(p.strip() for p in pages):
        raise _error(
            path,
            "tệp PDF không có lớp chữ (bản scan): đề nghị gửi tệp Word hoặc PDF xuất từ Word",
            "PDF without a text layer (scanned)",
            "no_text_layer",
        )
    counts = {"paragraph": 0, "table": 0}
    for page_number, page in enumerate(pages, start=1):
        yield from _line_blocks(page.splitlines(), counts, page=page_number)
