"""DOCX primitives of the report in the layout of a Vietnamese administrative report (Decree 30/2020/NĐ-CP):
paragraphs and bordered tables in Times New Roman, the letterhead (issuing body and national motto side by
side, number/symbol line, place and date) and the closing (recipients block and signer)."""

from __future__ import annotations

import io
from copy import deepcopy
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path

from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from pipelines.core.zipfiles import write_reproducible_zip
from pipelines.reports.model import PeriodReport
from pipelines.reports.text import (
    LETTERHEAD,
    WITHHELD,
    Letterhead,
)

FONT = "Times New Roman"
CENTER, RIGHT, JUSTIFY = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT, WD_ALIGN_PARAGRAPH.JUSTIFY


def write_paragraph(
    container,
    text: str = "",
    *,
    bold=False,
    italic=False,
    underline=False,
    size=13,
    align=None,
    space_after=3,
):
    paragraph = container.add_paragraph()
    if text:
        run = paragraph.add_run(text)
        run.bold, run.italic, run.underline = bold, italic, underline
        run.font.size = Pt(size)
    paragraph.paragraph_format.space_after = Pt(space_after)
    paragraph.paragraph_format.space_before = Pt(0)
    if align is not None:
        paragraph.alignment = align
    return paragraph


def _cell_text(cell, text: str, *, bold=False, italic=False, size=10, align=None, colour: str | None = None):
    paragraph = cell.paragraphs[0]
    _format(paragraph, paragraph.add_run(text), bold, italic, size, align, colour)


def _format(paragraph, run, bold: bool, italic: bool, size: int, align, colour: str | None) -> None:
    run.bold, run.italic = bold, italic
    run.font.size = Pt(size)
    if colour:
        run.font.color.rgb = RGBColor.from_string(colour)
    paragraph.paragraph_format.space_after = Pt(0)
    if align is not None:
        paragraph.alignment = align


@lru_cache(maxsize=64)
def _cell_format(bold: bool, italic: bool, size: int, align, colour: str | None):
    """(pPr, rPr) of a table cell's paragraph and run in this format, made once through python-docx's own
    API on a scratch paragraph: the XML is the same as `_cell_text` writes, at a fraction of the cost."""
    paragraph = Paragraph(OxmlElement("w:p"), None)
    _format(paragraph, paragraph.add_run("x"), bold, italic, size, align, colour)
    return paragraph._p.pPr, paragraph.runs[0]._r.rPr


def _fill_cell(cell, text: str, *, bold=False, italic=False, size=10, align=None, colour: str | None = None):
    """`_cell_text` for a fresh cell (one empty paragraph), by copying the format's prepared elements:
    tables of thousands of cells are most of the DOCX's time (a cell: ~0,8 ms → ~0,1 ms)."""
    p_pr, r_pr = _cell_format(bold, italic, size, align, colour)
    p = cell._tc.p_lst[0]
    p.insert(0, deepcopy(p_pr))
    r = p.add_r()
    if text:
        r.text = text
    r.insert(0, deepcopy(r_pr))


@dataclass(frozen=True)
class Span:
    """A table row that is one merged cell (a group heading or a note)."""

    text: str
    bold: bool = False
    italic: bool = False


def write_table(
    document,
    headers: list[str],
    rows: list[list | Span],
    numeric: set[int] = frozenset(),
    size=10,
    widths: list[float] | None = None,
):
    """A bordered table; `numeric` columns right-aligned; a cell given as (text, colour) is coloured."""
    table = document.add_table(rows=len(rows) + 1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    cells = table._cells  # one pass over the grid: `rows[i].cells` rebuilds it every call
    width = len(headers)
    for j, header in enumerate(headers):
        _fill_cell(cells[j], header, bold=True, size=size, align=CENTER)
    for i, row in enumerate(rows, start=1):
        if isinstance(row, Span):
            merged = cells[i * width].merge(cells[i * width + width - 1])
            _cell_text(merged, row.text, bold=row.bold, italic=row.italic, size=size)
            continue
        for j, item in enumerate(row):
            text, colour = item if isinstance(item, tuple) else (item, None)
            _fill_cell(
                cells[i * width + j],
                "" if text is None else str(text),
                size=size,
                align=RIGHT if j in numeric else None,
                italic=text == WITHHELD,
                colour="7F7F7F" if text == WITHHELD else colour,
            )
    header_row = table.rows[0]._tr.get_or_add_trPr()
    header_row.append(header_row.makeelement(qn("w:tblHeader"), {}))  # header repeats on every page
    if widths:
        _set_widths(table, widths)
    document.add_paragraph().paragraph_format.space_after = Pt(0)
    return table


def _set_widths(table, widths: list[float]) -> None:
    """Fixed column widths in the grid and in every cell: Word reads the cells, LibreOffice the grid."""
    table.autofit = False
    for column, cm in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
        column.set(qn("w:w"), str(Cm(cm).twips))
    count = len(widths)
    for n, cell in enumerate(table._cells):
        cell.width = Cm(widths[n % count])


def _borderless(document, cols: int, widths: list[float] | None = None):
    table = document.add_table(rows=1, cols=cols)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _set_widths(table, widths or [16.5 / cols] * cols)
    return table.rows[0].cells


# The motto in bold 12 pt Times is about 9,4 cm wide: its column gets 10,5 cm so that it stays on one line.
LETTERHEAD_WIDTHS_CM = [6.0, 10.5]


def write_letterhead(document, issued_on: date, letterhead: Letterhead = LETTERHEAD) -> None:
    left, right = _borderless(document, 2, LETTERHEAD_WIDTHS_CM)
    for cell, lines in (
        (left, [(letterhead.authority, False, False), (letterhead.issuer, True, False)]),
        (
            right,
            [
                ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", True, False),
                ("Độc lập - Tự do - Hạnh phúc", True, True),
            ],
        ),
    ):
        cell.paragraphs[0].alignment = CENTER
        for n, (text, bold, underline) in enumerate(lines):
            paragraph = cell.paragraphs[0] if n == 0 else cell.add_paragraph()
            paragraph.alignment = CENTER
            paragraph.paragraph_format.space_after = Pt(0)
            run = paragraph.add_run(text)
            run.bold, run.underline = bold, underline
            run.font.size = Pt(12)
    write_paragraph(left, "―――――", align=CENTER, space_after=0)
    write_paragraph(left, letterhead.number_line, align=CENTER, space_after=0)
    write_paragraph(right, "", space_after=0)
    write_paragraph(
        right, letterhead.place_and_date(issued_on), italic=True, size=13, align=CENTER, space_after=0
    )


def write_closing(document, letterhead: Letterhead = LETTERHEAD) -> None:
    left, right = _borderless(document, 2)
    paragraph = left.paragraphs[0]
    run = paragraph.add_run("Nơi nhận:")
    run.bold, run.italic = True, True
    run.font.size = Pt(12)
    for recipient in letterhead.recipients:
        write_paragraph(left, f"- {recipient}", size=11, space_after=0)
    right.paragraphs[0].alignment = CENTER
    role = right.paragraphs[0].add_run(letterhead.signer_role)
    role.bold = True
    role.font.size = Pt(13)
    # the space the signature and seal take, then the signer's full name (left for the clerk in a draft)
    for _ in range(4):
        write_paragraph(right, "", size=13, space_after=0)
    write_paragraph(right, letterhead.signer_name, bold=True, size=13, align=CENTER, space_after=0)


def write_page_numbers(document) -> None:
    """The page number centred at the top of every page but the first (Decree 30/2020, Appendix I), as a
    PAGE field the word processor fills in."""
    section = document.sections[0]
    section.different_first_page_header_footer = True
    paragraph = section.header.paragraphs[0]
    paragraph.alignment = CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "2"  # what a reader without field updates sees on page 2; Word and LibreOffice recompute it
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def page_setup(document) -> None:
    """A4 portrait, Times New Roman 13, margins of Decree 30."""
    style = document.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(13)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)


def write_heading(document, text: str) -> None:
    write_paragraph(document, text, bold=True, size=13, space_after=4).paragraph_format.space_before = Pt(8)


def save_document(document, report: PeriodReport, issued_on: date, path: Path) -> None:
    """The period's report, saved by `save_dated` with its data version in the comments."""
    save_dated(
        document,
        issued_on,
        path,
        f"Báo cáo chuyển đổi số cấp xã – {report.period.label}",
        f"Báo cáo lập tự động; phiên bản dữ liệu {report.fingerprint[:12]}",
    )


def save_dated(document, issued_on: date, path: Path, title: str, comments: str | None = None) -> None:
    """Save with the Department as author and the issue date as every timestamp: the same content gives
    the same bytes."""
    when = datetime.combine(issued_on, time())
    properties = document.core_properties
    properties.created = properties.modified = when
    properties.last_printed = when
    properties.author = properties.last_modified_by = "Sở Khoa học và Công nghệ"
    properties.title = title
    properties.revision = 1
    if comments is not None:
        properties.comments = comments
    buffer = io.BytesIO()
    document.save(buffer)
    write_reproducible_zip(buffer.getvalue(), path, when)
