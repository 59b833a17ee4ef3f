"""How the communes sent their forms: per quarter, how many were due, sent, on time, late and missing, and
the late or missing units by name."""

from __future__ import annotations

from datetime import date

from pipelines.core.vietnamese import format_date, format_number, format_percent, period_label
from pipelines.reports.charts import Chart
from pipelines.reports.docx import write_paragraph, write_table
from pipelines.reports.model import PeriodReport
from pipelines.reports.sections.section import Section
from pipelines.reports.text import SUBMISSION_STATUS
from pipelines.reports.xlsx import DATE, INTEGER, Column, Sheet


def docx(document, report: PeriodReport, charts: list[Chart]) -> None:
    for s in report.submission_summary:
        write_paragraph(
            document,
            f"- {period_label(s.period_key)}: {format_number(s.submitted)}/{format_number(s.expected)} "
            f"đơn vị đã gửi ({format_percent(s.completeness_rate)}), {format_number(s.on_time)} đúng hạn "
            f"({format_percent(s.timeliness_rate)}), {format_number(s.late)} trễ hạn, "
            f"{format_number(s.missing)} chưa gửi.",
            size=12,
        )
    if not report.submission_summary:
        write_paragraph(document, "Kỳ này không yêu cầu các xã gửi biểu mẫu riêng.", size=12)
    if report.submission_attention:
        write_table(
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
            size=11,
            widths=[3.0, 4.5, 2.2, 2.2, 2.2, 2.4],
        )


def xlsx(report: PeriodReport, issued_on: date) -> list[Sheet]:
    columns = [
        Column("Kỳ", width=18),
        Column("Mã đơn vị", width=10),
        Column("Đơn vị", width=28),
        Column("Tình trạng", width=12),
        Column("Hạn gửi", DATE, 12),
        Column("Ngày gửi", DATE, 12),
        Column("Số ngày trễ", INTEGER, 10),
    ]
    rows = [
        (
            period_label(s.period_key),
            s.commune_id,
            s.name,
            SUBMISSION_STATUS[s.status],
            s.due_on,
            s.first_submitted_on,
            s.days_late,
        )
        for s in report.submission_attention
    ]
    return [Sheet("Gửi báo cáo", columns, rows)]


SECTION = Section(
    "submissions",
    html="sections/submissions.html.j2",
    docx=docx,
    docx_title="TÌNH HÌNH GỬI BÁO CÁO CỦA CÁC ĐƠN VỊ",
    xlsx=xlsx,
)
