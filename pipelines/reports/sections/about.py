"""The workbook's last sheet: what the publication is (period, dates, request letter, issue date, data
version) and how its figures are computed."""

from __future__ import annotations

from datetime import date

from pipelines.reports.model import PeriodReport
from pipelines.reports.sections.section import Section
from pipelines.reports.text import DOSSIER_DEFINITIONS, status_of
from pipelines.reports.xlsx import DATE, Column, Sheet

SHEET = "Thông tin"  # the workbook's last sheet (workbook.py appends the edition to it)


def xlsx(report: PeriodReport, issued_on: date) -> list[Sheet]:
    period = report.period
    status = status_of(report, issued_on)
    rows = [
        ("Kỳ báo cáo", period.label),
        ("Mã kỳ", period.key),
        ("Từ ngày", (period.starts_on, DATE)),
        ("Đến ngày", (period.ends_on, DATE)),
        ("Văn bản yêu cầu", period.request_letter),
        ("Ngày lập", (issued_on, DATE)),
        ("Phiên bản dữ liệu", report.fingerprint),
        ("Số đơn vị có số liệu tạm giữ", len(report.withheld_communes)),
        ("Tình trạng số liệu", f"{status.label}: {status.reason}"),
        (
            "Cách tính",
            "Tỷ lệ toàn tỉnh và cả kỳ = tổng tử số ÷ tổng mẫu số; số liệu tồn lấy giá trị cuối kỳ. "
            "Tỷ lệ lưu dạng phần trăm của Excel.",
        ),
        ("Hồ sơ", DOSSIER_DEFINITIONS),
    ]
    return [Sheet(SHEET, [Column("Mục", width=30), Column("Giá trị", width=70)], rows)]


SECTION = Section("about", xlsx=xlsx)
