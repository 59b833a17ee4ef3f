"""The units that need attention: communes below a plan target, without a dedicated IT official, without a
ready video-conference terminal, and villages without a community digital-technology team."""

from __future__ import annotations

from datetime import date

from pipelines.core.vietnamese import format_number, format_percent
from pipelines.reports.charts import Chart
from pipelines.reports.docx import JUSTIFY, write_paragraph
from pipelines.reports.model import PeriodReport
from pipelines.reports.sections.section import Section
from pipelines.reports.text import lower_first, target_value_text
from pipelines.reports.xlsx import INTEGER, PERCENT, Column, Sheet

NO_IT_OFFICIAL = "Chưa có công chức chuyên trách chuyển đổi số"
TERMINAL_NOT_READY = "Chưa sẵn sàng điểm cầu hội nghị truyền hình"


def _subheading(document, text: str) -> None:
    write_paragraph(document, text, bold=True, italic=True)


def _text(document, text: str) -> None:
    write_paragraph(document, text, size=12, align=JUSTIFY)


def docx(document, report: PeriodReport, charts: list[Chart]) -> None:
    _subheading(document, "1. Đơn vị chưa đạt chỉ tiêu kế hoạch")
    for indicator, missed in report.below_target():
        names = "; ".join(f"{m.name} ({format_percent(m.count)})" for m in missed) or "tất cả đơn vị đều đạt"
        _text(
            document,
            f"- {indicator.name} (kế hoạch {target_value_text(indicator)}): "
            f"{format_number(len(missed))} đơn vị{': ' if missed else ', '}{names}.",
        )
    for title, items, empty in (
        (
            f"2. Đơn vị {lower_first(NO_IT_OFFICIAL)}",
            report.without_it_official(),
            "Tất cả các đơn vị đều đã có công chức chuyên trách.",
        ),
        (
            f"3. Đơn vị {lower_first(TERMINAL_NOT_READY)}",
            report.terminal_not_ready(),
            "Tất cả các đơn vị báo cáo đều đã sẵn sàng điểm cầu.",
        ),
    ):
        _subheading(document, f"{title} ({format_number(len(items))})")
        _text(document, "; ".join(i.name for i in items) + "." if items else empty)
    villages = report.villages_without_team()
    _subheading(document, "4. Thôn, tổ dân phố chưa có Tổ công nghệ số cộng đồng")
    _text(
        document,
        "; ".join(f"{v.name}: {format_number(v.count)}/{format_number(v.total)} thôn" for v in villages) + "."
        if villages
        else "Theo báo cáo của các xã, tất cả các thôn, tổ dân phố đều đã có Tổ công nghệ số cộng đồng.",
    )


def xlsx(report: PeriodReport, issued_on: date) -> list[Sheet]:
    below = Sheet(
        "Chưa đạt chỉ tiêu",
        [
            Column("Mã chỉ tiêu", width=26),
            Column("Chỉ tiêu", width=50),
            Column("Mã đơn vị", width=10),
            Column("Đơn vị", width=28),
            Column("Kết quả", PERCENT, 12),
            Column("Chỉ tiêu kế hoạch", PERCENT, 12),
        ],
        [
            (i.code, i.name, item.commune_id, item.name, item.count / 100, i.target / 100)
            for i, missed in report.below_target()
            for item in missed
        ],
    )
    lists = (
        [(NO_IT_OFFICIAL, n) for n in report.without_it_official()]
        + [(TERMINAL_NOT_READY, n) for n in report.terminal_not_ready()]
        + [("Có thôn chưa có Tổ công nghệ số cộng đồng", n) for n in report.villages_without_team()]
    )
    named = Sheet(
        "Danh sách cần lưu ý",
        [
            Column("Danh sách", width=45),
            Column("Mã đơn vị", width=10),
            Column("Đơn vị", width=28),
            Column("Số thôn chưa có tổ", INTEGER, 12),
            Column("Tổng số thôn", INTEGER, 12),
        ],
        [
            (name, item.commune_id, item.name, *((item.count, item.total) if item.total else (None, None)))
            for name, item in lists
        ],
    )
    return [below, named]


SECTION = Section(
    "attention",
    html="sections/attention.html.j2",
    docx=docx,
    docx_title="CÁC ĐƠN VỊ CẦN LƯU Ý",
    xlsx=xlsx,
)
