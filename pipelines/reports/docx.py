"""The DOCX report in the layout of a Vietnamese administrative report (Decree 30/2020/NĐ-CP): issuing
body and national motto side by side, number/symbol line, place and date, title, body, recipients block
and signer. Same model, same wording as the HTML; charts as PNG."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from pipelines.reports.charts import Chart
from pipelines.reports.model import PeriodReport
from pipelines.reports.text import (
    LETTERHEAD,
    PROVISIONAL_MARK,
    SEVERITY_NAMES,
    SOURCE_NAMES,
    SUBMISSION_STATUS,
    WITHHELD,
    annex_cut_text,
    evidence_location,
    figure_text,
    finding_text,
    fraction_text,
    group_heading,
    lower_first,
    more_findings_text,
    target_text,
    target_value_text,
    value_text,
)
from pipelines.vietnamese import format_date, format_number, format_percent, period_label
from pipelines.zipfiles import write_reproducible_zip

FONT = "Times New Roman"
_CENTER, _RIGHT, _JUSTIFY = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT, WD_ALIGN_PARAGRAPH.JUSTIFY


def _paragraph(
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
    run = paragraph.add_run(text)
    run.bold, run.italic = bold, italic
    run.font.size = Pt(size)
    if colour:
        run.font.color.rgb = RGBColor.from_string(colour)
    paragraph.paragraph_format.space_after = Pt(0)
    if align is not None:
        paragraph.alignment = align


@dataclass(frozen=True)
class _Span:
    """A table row that is one merged cell (a group heading or a note)."""

    text: str
    bold: bool = False
    italic: bool = False


def _table(
    document,
    headers: list[str],
    rows: list[list | _Span],
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
        _cell_text(cells[j], header, bold=True, size=size, align=_CENTER)
    for i, row in enumerate(rows, start=1):
        if isinstance(row, _Span):
            merged = cells[i * width].merge(cells[i * width + width - 1])
            _cell_text(merged, row.text, bold=row.bold, italic=row.italic, size=size)
            continue
        for j, item in enumerate(row):
            text, colour = item if isinstance(item, tuple) else (item, None)
            _cell_text(
                cells[i * width + j],
                "" if text is None else str(text),
                size=size,
                align=_RIGHT if j in numeric else None,
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


def _borderless(document, cols: int):
    table = document.add_table(rows=1, cols=cols)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _set_widths(table, [16.5 / cols] * cols)
    return table.rows[0].cells


def _letterhead(document, issued_on: date) -> None:
    left, right = _borderless(document, 2)
    for cell, lines in (
        (left, [(LETTERHEAD.authority, False, False), (LETTERHEAD.issuer, True, False)]),
        (
            right,
            [
                ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", True, False),
                ("Độc lập - Tự do - Hạnh phúc", True, True),
            ],
        ),
    ):
        cell.paragraphs[0].alignment = _CENTER
        for n, (text, bold, underline) in enumerate(lines):
            paragraph = cell.paragraphs[0] if n == 0 else cell.add_paragraph()
            paragraph.alignment = _CENTER
            paragraph.paragraph_format.space_after = Pt(0)
            run = paragraph.add_run(text)
            run.bold, run.underline = bold, underline
            run.font.size = Pt(12 if cell is left else 12)
    _paragraph(left, "―――――", align=_CENTER, space_after=0)
    _paragraph(left, LETTERHEAD.number_line, align=_CENTER, space_after=0)
    _paragraph(right, "", space_after=0)
    _paragraph(
        right, LETTERHEAD.place_and_date(issued_on), italic=True, size=13, align=_CENTER, space_after=0
    )


def _closing(document) -> None:
    left, right = _borderless(document, 2)
    paragraph = left.paragraphs[0]
    run = paragraph.add_run("Nơi nhận:")
    run.bold, run.italic = True, True
    run.font.size = Pt(12)
    for recipient in LETTERHEAD.recipients:
        _paragraph(left, f"- {recipient}", size=11, space_after=0)
    right.paragraphs[0].alignment = _CENTER
    role = right.paragraphs[0].add_run(LETTERHEAD.signer_role)
    role.bold = True
    role.font.size = Pt(13)


def _heading(document, text: str) -> None:
    _paragraph(document, text, bold=True, size=13, space_after=4).paragraph_format.space_before = Pt(8)


def build_document(report: PeriodReport, charts: list[Chart], issued_on: date) -> Document:
    document = Document()
    style = document.styles["Normal"]
    style.font.name, style.font.size = FONT, Pt(13)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)
    period = report.period

    _letterhead(document, issued_on)
    _paragraph(
        document, "BÁO CÁO", bold=True, size=14, align=_CENTER, space_after=0
    ).paragraph_format.space_before = Pt(12)
    _paragraph(
        document,
        f"Kết quả thực hiện chuyển đổi số cấp xã {lower_first(period.label)}",
        bold=True,
        align=_CENTER,
        space_after=0,
    )
    basis = f"(Số liệu từ ngày {format_date(period.starts_on)} đến ngày {format_date(period.ends_on)}"
    basis += f"; thực hiện Văn bản số {period.request_letter})" if period.request_letter else ")"
    _paragraph(document, basis, italic=True, align=_CENTER, space_after=8)
    _paragraph(
        document,
        "Trên cơ sở số liệu của hệ thống thông tin giải quyết thủ tục hành chính, danh sách cán bộ, "
        f"công chức và báo cáo của {format_number(len(report.communes))} xã, phường, đặc khu, Sở Khoa học "
        f"và Công nghệ tổng hợp kết quả chuyển đổi số cấp xã {lower_first(period.label)} như sau.",
        align=_JUSTIFY,
    )
    if report.withheld_communes:
        _paragraph(
            document,
            f"Số liệu tạm thời: {format_number(len(report.withheld_communes))} đơn vị có số liệu bị tạm "
            "giữ do còn lỗi chưa được xử lý hoặc chấp nhận (chi tiết tại Phụ lục). Các số liệu bị tạm giữ "
            f"ghi «{WITHHELD}» và không được xếp hạng; số liệu toàn tỉnh có đánh dấu {PROVISIONAL_MARK} vẫn "
            "cộng cả các số liệu đó.",
            italic=True,
            align=_JUSTIFY,
        ).runs[0].font.color.rgb = RGBColor(0x99, 0, 0)

    _heading(document, "I. KẾT QUẢ CHUNG TOÀN TỈNH")
    _table(
        document,
        ["STT", "Chỉ tiêu", "Kỳ này", "Tử số/Mẫu số", "Kỳ trước", "Kế hoạch", "Đánh giá", "Nguồn"],
        [
            [
                n,
                line.indicator.name,
                figure_text(line.indicator, line.figure, province=True),
                fraction_text(line.figure),
                value_text(line.indicator, line.previous),
                target_value_text(line.indicator),
                (target_text(line.meets_target), "A00000" if line.meets_target is False else None),
                SOURCE_NAMES[line.indicator.source],
            ]
            for n, line in enumerate(report.province, start=1)
        ],
        numeric={0, 2, 3, 4, 5},
        size=9,
        widths=[1.0, 4.5, 2.1, 2.5, 1.8, 1.6, 1.3, 1.7],
    )
    for n, chart in enumerate(charts, start=1):
        document.add_picture(io.BytesIO(chart.png), width=Cm(15.5))
        document.paragraphs[-1].alignment = _CENTER
        _paragraph(
            document, f"Biểu đồ {n}. {chart.title}", italic=True, size=11, align=_CENTER, space_after=8
        )

    _heading(document, "II. XẾP HẠNG CHỈ SỐ PHỤC VỤ NGƯỜI DÂN, DOANH NGHIỆP (QUYẾT ĐỊNH 766/QĐ-TTg)")
    if report.service_index:
        _table(
            document,
            ["Hạng", "Đơn vị", *(f"{g.name} ({g.max_points:g})" for g in report.service_groups), "Tổng điểm"],
            [
                [
                    "-" if line.rank is None else line.rank,
                    line.name,
                    *((WITHHELD if line.withheld else format_number(p, 2)) for p in line.points),
                    WITHHELD if line.withheld else format_number(line.total, 2),
                ]
                for line in report.service_index
            ],
            numeric={0, *range(2, len(report.service_groups) + 3)},
            size=9,
            widths=[1.1, 4.4, *([9.0 / len(report.service_groups)] * len(report.service_groups)), 2.0],
        )
    else:
        _paragraph(document, "Chưa có số liệu hồ sơ để tính điểm cho kỳ này.")

    _heading(document, "III. CÁC ĐƠN VỊ CẦN LƯU Ý")
    _paragraph(document, "1. Đơn vị chưa đạt chỉ tiêu kế hoạch", bold=True, italic=True)
    for indicator, missed in report.below_target():
        names = "; ".join(f"{m.name} ({format_percent(m.count)})" for m in missed) or "tất cả đơn vị đều đạt"
        _paragraph(
            document,
            f"- {indicator.name} (kế hoạch {target_value_text(indicator)}): "
            f"{format_number(len(missed))} đơn vị{': ' if missed else ', '}{names}.",
            size=12,
            align=_JUSTIFY,
        )
    for title, items, empty in (
        (
            "2. Đơn vị chưa có công chức chuyên trách chuyển đổi số",
            report.without_it_official(),
            "Tất cả các đơn vị đều đã có công chức chuyên trách.",
        ),
        (
            "3. Đơn vị chưa sẵn sàng điểm cầu hội nghị truyền hình",
            report.terminal_not_ready(),
            "Tất cả các đơn vị báo cáo đều đã sẵn sàng điểm cầu.",
        ),
    ):
        _paragraph(document, f"{title} ({format_number(len(items))})", bold=True, italic=True)
        _paragraph(
            document, "; ".join(i.name for i in items) + "." if items else empty, size=12, align=_JUSTIFY
        )
    villages = report.villages_without_team()
    _paragraph(document, "4. Thôn, tổ dân phố chưa có Tổ công nghệ số cộng đồng", bold=True, italic=True)
    _paragraph(
        document,
        "; ".join(f"{v.name}: {format_number(v.count)}/{format_number(v.total)} thôn" for v in villages) + "."
        if villages
        else "Theo báo cáo của các xã, tất cả các thôn, tổ dân phố đều đã có Tổ công nghệ số cộng đồng.",
        size=12,
        align=_JUSTIFY,
    )

    _heading(document, "IV. TÌNH HÌNH GỬI BÁO CÁO CỦA CÁC ĐƠN VỊ")
    if report.submission_summary:
        for s in report.submission_summary:
            _paragraph(
                document,
                f"- {period_label(s.period_key)}: {format_number(s.submitted)}/{format_number(s.expected)} "
                f"đơn vị đã gửi ({format_percent(s.completeness_rate)}), {format_number(s.on_time)} đúng hạn "
                f"({format_percent(s.timeliness_rate)}), {format_number(s.late)} trễ hạn, "
                f"{format_number(s.missing)} chưa gửi.",
                size=12,
            )
    else:
        _paragraph(document, "Kỳ này không yêu cầu các xã gửi biểu mẫu riêng.", size=12)
    if report.submission_attention:
        _table(
            document,
            ["Kỳ", "Đơn vị", "Tình trạng", "Hạn gửi", "Ngày gửi", "Số ngày trễ"],
            [
                [
                    period_label(s.period_key),
                    s.name,
                    SUBMISSION_STATUS[s.status],
                    format_date(s.due_on),
                    format_date(s.first_submitted_on),
                    format_number(s.days_late),
                ]
                for s in report.submission_attention
            ],
            numeric={5},
            size=9,
            widths=[3.0, 4.5, 2.2, 2.2, 2.2, 2.4],
        )

    _closing(document)

    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    _paragraph(document, "PHỤ LỤC", bold=True, size=13, align=_CENTER, space_after=0)
    _paragraph(document, "KIỂM TRA CHẤT LƯỢNG SỐ LIỆU", bold=True, size=13, align=_CENTER, space_after=0)
    _paragraph(
        document,
        f"(Kèm theo báo cáo {lower_first(period.label)})",
        italic=True,
        align=_CENTER,
        space_after=6,
    )
    errors = report.open_errors
    accepted = (
        f"; {format_number(report.accepted_findings)} trường hợp đã được xem xét và chấp nhận"
        if report.accepted_findings
        else ""
    )
    cut = annex_cut_text(report)
    _paragraph(
        document,
        f"Còn {format_number(errors)} lỗi và {format_number(len(report.findings) - errors)} cảnh báo chưa "
        f"xử lý{accepted}. Lỗi làm tạm giữ số liệu liên quan; cảnh báo cần đơn vị kiểm tra lại nhưng không "
        f"tạm giữ số liệu.{' ' if cut else ''}{cut}",
        align=_JUSTIFY,
    )
    if report.findings:
        rows: list[list | _Span] = []
        for group in report.annex:
            rows.append(_Span(group_heading(group), bold=True))
            rows += [
                [
                    n,
                    SEVERITY_NAMES[f.severity],
                    f.commune_name or "-",
                    finding_text(f),
                    "\n".join(
                        part
                        for part in (evidence_location(f), f.evidence_text and f"«{f.evidence_text}»")
                        if part
                    ),
                ]
                for n, f in enumerate(group.shown, start=1)
            ]
            if group.hidden:
                rows.append(_Span(more_findings_text(group), italic=True))
        _table(
            document,
            ["STT", "Mức", "Đơn vị", "Nội dung", "Căn cứ"],
            rows,
            numeric={0},
            size=8,
            widths=[0.9, 1.3, 2.8, 6.5, 5.0],
        )
    footer = section.footer.paragraphs[0]
    footer.text = f"Báo cáo lập tự động; phiên bản dữ liệu {report.fingerprint[:12]}"
    footer.runs[0].font.size = Pt(9)
    return document


def write_document(report: PeriodReport, charts: list[Chart], issued_on: date, path: Path) -> None:
    document = build_document(report, charts, issued_on)
    when = datetime.combine(issued_on, time())
    properties = document.core_properties
    properties.created = properties.modified = when
    properties.last_printed = when
    properties.author = properties.last_modified_by = "Sở Khoa học và Công nghệ"
    properties.title = f"Báo cáo chuyển đổi số cấp xã – {report.period.label}"
    properties.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    write_reproducible_zip(buffer.getvalue(), path, when)
