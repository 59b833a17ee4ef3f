"""The DOCX report in the layout of a Vietnamese administrative report (Decree 30/2020/NĐ-CP): letterhead,
title and opening, every section that has a DOCX part under its numbered heading, the recipients block and
signer, then the appendices. Same model, same wording as the HTML; charts as PNG."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from docx import Document
from docx.shared import Pt, RGBColor

from pipelines.core.vietnamese import format_date, format_number
from pipelines.reports.charts import Chart
from pipelines.reports.docx import (
    CENTER,
    JUSTIFY,
    page_setup,
    save_document,
    write_closing,
    write_heading,
    write_letterhead,
    write_page_numbers,
    write_paragraph,
    write_table,
)
from pipelines.reports.editions import CHANGE_HEADERS, CHANGES_PRINTED, FIRST_EDITION, Edition, change_rows
from pipelines.reports.model import PeriodReport
from pipelines.reports.sections import numbered
from pipelines.reports.summary import summary_points
from pipelines.reports.text import (
    LETTERHEAD,
    PROVISIONAL_MARK,
    WITHHELD,
    Letterhead,
    lower_first,
    status_of,
)


def _changes(document, edition: Edition) -> None:
    """What changed since the edition this one replaces: the first rows, the rest counted."""
    write_paragraph(
        document,
        f"Số liệu thay đổi so với lần công bố trước (lần {edition.replaces} ngày "
        f"{format_date(edition.replaces_issued_on)})",
        bold=True,
        space_after=2,
    )
    rows = change_rows(edition)
    if rows:
        write_table(
            document,
            CHANGE_HEADERS,
            rows[:CHANGES_PRINTED],
            numeric={2, 3},
            size=9,
            widths=[2.4, 3.9, 2.1, 2.1, 4.2, 1.8],
        )
    else:
        write_paragraph(document, "Không có số liệu nào thay đổi.", align=JUSTIFY, space_after=2)
    if len(rows) > CHANGES_PRINTED:
        write_paragraph(
            document,
            f"… và {format_number(len(rows) - CHANGES_PRINTED)} số liệu thay đổi khác (đầy đủ trong tệp "
            "Excel, trang «Thay đổi»).",
            italic=True,
            space_after=2,
        )
    if edition.other_changes:
        write_paragraph(
            document, f"Thay đổi khác: {'; '.join(edition.other_changes)}.", italic=True, align=JUSTIFY
        )


def _opening(document, report: PeriodReport, issued_on: date, edition: Edition = FIRST_EDITION) -> None:
    """Title, the period's dates and request letter, the opening sentence and, with held figures, why."""
    period = report.period
    write_paragraph(
        document, "BÁO CÁO", bold=True, size=14, align=CENTER, space_after=0
    ).paragraph_format.space_before = Pt(12)
    write_paragraph(
        document,
        f"Kết quả thực hiện chuyển đổi số cấp xã {lower_first(period.label)}",
        bold=True,
        align=CENTER,
        space_after=0,
    )
    basis = f"(Số liệu từ ngày {format_date(period.starts_on)} đến ngày {format_date(period.ends_on)}"
    basis += f"; thực hiện Văn bản số {period.request_letter})" if period.request_letter else ")"
    write_paragraph(document, basis, italic=True, align=CENTER, space_after=2)
    write_paragraph(document, status_of(report, issued_on).sentence, bold=True, align=CENTER, space_after=2)
    write_paragraph(document, edition.sentence, italic=True, align=CENTER, space_after=8)
    write_paragraph(
        document,
        "Trên cơ sở số liệu của hệ thống thông tin giải quyết thủ tục hành chính, danh sách cán bộ, "
        f"công chức và báo cáo của {format_number(len(report.communes))} xã, phường, đặc khu, Sở Khoa học "
        f"và Công nghệ tổng hợp kết quả chuyển đổi số cấp xã {lower_first(period.label)} như sau.",
        align=JUSTIFY,
    )
    write_paragraph(document, "Tóm tắt", bold=True, space_after=2)
    for point in summary_points(report):
        write_paragraph(document, f"- {point}", align=JUSTIFY, space_after=2)
    if edition.replaces:
        _changes(document, edition)
    if report.withheld_communes:
        write_paragraph(
            document,
            f"Số liệu tạm thời: {format_number(len(report.withheld_communes))} đơn vị có số liệu bị tạm "
            "giữ do còn lỗi chưa được xử lý hoặc chấp nhận (chi tiết tại Phụ lục). Các số liệu bị tạm giữ "
            f"ghi «{WITHHELD}» và không được xếp hạng; số liệu toàn tỉnh có đánh dấu {PROVISIONAL_MARK} vẫn "
            "cộng cả các số liệu đó.",
            italic=True,
            align=JUSTIFY,
        ).runs[0].font.color.rgb = RGBColor(0x99, 0, 0)


def build_document(
    report: PeriodReport,
    charts: list[Chart],
    issued_on: date,
    letterhead: Letterhead = LETTERHEAD,
    edition: Edition = FIRST_EDITION,
) -> Document:
    document = Document()
    page_setup(document)
    write_letterhead(document, issued_on, letterhead)
    _opening(document, report, issued_on, edition)
    body, appendices = numbered("docx")
    for numeral, section in body:
        write_heading(document, f"{numeral}. {section.docx_title}")
        section.docx(document, report, charts)
    write_closing(document, letterhead)
    for section in appendices:
        section.docx(document, report, charts)
    write_page_numbers(document)
    return document


def write_document(
    report: PeriodReport,
    charts: list[Chart],
    issued_on: date,
    path: Path,
    letterhead: Letterhead = LETTERHEAD,
    edition: Edition = FIRST_EDITION,
) -> None:
    save_document(build_document(report, charts, issued_on, letterhead, edition), report, issued_on, path)
