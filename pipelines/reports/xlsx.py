"""The XLSX workbook of a period's publication: one sheet per table, typed cells, Excel number formats.

Numbers are numbers (rates as fractions with a percent format, so Excel sums and charts them), held-back
figures are the text «Tạm giữ» on grey, headers are frozen, and every text that came from an input
(names, messages, evidence) is written as a string cell with a quote prefix: a commune note starting with
`=` stays text and is never evaluated as a formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from pipelines.reports.model import Figure, Indicator, PeriodReport
from pipelines.reports.text import SEVERITY_NAMES, SOURCE_NAMES, SUBMISSION_STATUS, WITHHELD, target_text
from pipelines.vietnamese import period_label
from pipelines.zipfiles import write_reproducible_zip

INTEGER = "#,##0"
DECIMAL = "#,##0.00"
PERCENT = "0.00%"
DATE = "dd/mm/yyyy"
_HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
_HELD_FILL = PatternFill("solid", fgColor="E7E6E6")
_HEADER_FONT = Font(bold=True)
_HELD_FONT = Font(italic=True, color="595959")


@dataclass(frozen=True)
class Column:
    title: str
    number_format: str | None = None
    width: int | None = None


def _cell_value(indicator: Indicator, figure: Figure | None) -> tuple[object, str | None]:
    """The typed value and number format of a figure; a held-back figure is the text «Tạm giữ»."""
    if figure is None or (figure.value is None and not figure.withheld):
        return None, None
    if figure.withheld:
        return WITHHELD, None
    if indicator.kind == "rate":
        return figure.value / 100, PERCENT
    return figure.value, INTEGER


def _write(ws, row: int, column: int, value: object, number_format: str | None = None):
    cell = ws.cell(row=row, column=column)
    cell.value = value
    if isinstance(value, str):
        # openpyxl turns any string starting with "=" into a formula: force a plain string cell.
        cell.data_type = "s"
        cell.quotePrefix = value[:1] in "=+-@\t\r"
        if value == WITHHELD:
            cell.fill, cell.font = _HELD_FILL, _HELD_FONT
    elif number_format:
        cell.number_format = number_format
    return cell


def _sheet(
    workbook: Workbook,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence],
    freeze_columns: int = 0,
) -> None:
    ws = workbook.create_sheet(title)
    for j, column in enumerate(columns, start=1):
        cell = _write(ws, 1, j, column.title)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    widths = [len(c.title) // 2 + 2 for c in columns]
    for i, row in enumerate(rows, start=2):
        for j, (column, item) in enumerate(zip(columns, row, strict=True), start=1):
            value, number_format = item if isinstance(item, tuple) else (item, column.number_format)
            _write(ws, i, j, value, number_format)
            widths[j - 1] = max(widths[j - 1], min(len(str(value)) + 2, 60) if value is not None else 0)
    for j, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = column.width or max(8, min(widths[j - 1], 60))
    ws.row_dimensions[1].height = 45
    ws.freeze_panes = ws.cell(row=2, column=freeze_columns + 1)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(ws.max_row, 1)}"


def build_workbook(report: PeriodReport, issued_on: date) -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    period = report.period

    _sheet(
        workbook,
        "Toàn tỉnh",
        [
            Column("STT", INTEGER, 5),
            Column("Mã chỉ tiêu", width=26),
            Column("Chỉ tiêu", width=50),
            Column("Đơn vị tính", width=11),
            Column(f"Kỳ này ({period.key})", width=16),
            Column("Tử số", INTEGER, 13),
            Column("Mẫu số", INTEGER, 13),
            Column(f"Kỳ trước ({report.previous_period_key or '-'})", width=16),
            Column("Chỉ tiêu kế hoạch", width=12),
            Column("Đánh giá", width=10),
            Column("Nguồn", width=12),
            Column("Gồm số liệu tạm giữ", width=12),
        ],
        (
            (
                n,
                line.indicator.code,
                line.indicator.name,
                line.indicator.unit,
                _cell_value(line.indicator, line.figure),
                line.figure.numerator,
                line.figure.denominator,
                _cell_value(line.indicator, Figure(line.previous)),
                _cell_value(line.indicator, Figure(line.indicator.target))
                if line.indicator.kind == "rate"
                else line.indicator.target,
                target_text(line.meets_target),
                SOURCE_NAMES[line.indicator.source],
                "Có" if line.figure.provisional else "",
            )
            for n, line in enumerate(report.province, start=1)
        ),
        freeze_columns=3,
    )

    _sheet(
        workbook,
        "Các xã",
        [Column("Mã đơn vị", width=10), Column("Đơn vị", width=28)]
        + [Column(f"{i.name} ({i.code})", width=16) for i in report.indicators],
        (
            (
                commune.commune_id,
                commune.name,
                *(
                    _cell_value(i, report.figures.get(commune.commune_id, {}).get(i.code))
                    for i in report.indicators
                ),
            )
            for commune in report.communes
        ),
        freeze_columns=2,
    )

    _sheet(
        workbook,
        "Chỉ số phục vụ 766",
        [Column("Hạng", INTEGER, 7), Column("Mã đơn vị", width=10), Column("Đơn vị", width=28)]
        + [Column(f"{g.name} (tối đa {g.max_points:g})", DECIMAL, 16) for g in report.service_groups]
        + [Column("Tổng điểm", DECIMAL, 12), Column("Điểm tối đa", DECIMAL, 12)],
        (
            (
                line.rank,
                line.commune_id,
                line.name,
                *((WITHHELD if line.withheld else p) for p in line.points),
                WITHHELD if line.withheld else line.total,
                line.max_points,
            )
            for line in report.service_index
        ),
        freeze_columns=3,
    )

    _sheet(
        workbook,
        "Chưa đạt chỉ tiêu",
        [
            Column("Mã chỉ tiêu", width=26),
            Column("Chỉ tiêu", width=50),
            Column("Mã đơn vị", width=10),
            Column("Đơn vị", width=28),
            Column("Kết quả", PERCENT, 12),
            Column("Chỉ tiêu kế hoạch", PERCENT, 12),
        ],
        (
            (i.code, i.name, item.commune_id, item.name, item.count / 100, i.target / 100)
            for i, missed in report.below_target()
            for item in missed
        ),
    )

    lists = (
        [("Chưa có công chức chuyên trách chuyển đổi số", n) for n in report.without_it_official()]
        + [("Chưa sẵn sàng điểm cầu hội nghị truyền hình", n) for n in report.terminal_not_ready()]
        + [("Có thôn chưa có Tổ công nghệ số cộng đồng", n) for n in report.villages_without_team()]
    )
    _sheet(
        workbook,
        "Danh sách cần lưu ý",
        [
            Column("Danh sách", width=45),
            Column("Mã đơn vị", width=10),
            Column("Đơn vị", width=28),
            Column("Số thôn chưa có tổ", INTEGER, 12),
            Column("Tổng số thôn", INTEGER, 12),
        ],
        (
            (name, item.commune_id, item.name, *((item.count, item.total) if item.total else (None, None)))
            for name, item in lists
        ),
    )

    _sheet(
        workbook,
        "Gửi báo cáo",
        [
            Column("Kỳ", width=18),
            Column("Mã đơn vị", width=10),
            Column("Đơn vị", width=28),
            Column("Tình trạng", width=12),
            Column("Hạn gửi", DATE, 12),
            Column("Ngày gửi", DATE, 12),
            Column("Số ngày trễ", INTEGER, 10),
        ],
        (
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
        ),
    )

    _sheet(
        workbook,
        "Chất lượng số liệu",
        [
            Column("STT", INTEGER, 6),
            Column("Mức", width=10),
            Column("Mã quy tắc", width=28),
            Column("Quy tắc", width=40),
            Column("Mã đơn vị", width=10),
            Column("Đơn vị", width=26),
            Column("Kỳ", width=9),
            Column("Chỉ tiêu", width=36),
            Column("Nội dung", width=70),
            Column("Tệp", width=40),
            Column("Dòng", INTEGER, 7),
            Column("Nội dung ghi trong tệp", width=40),
        ],
        (
            (
                n,
                SEVERITY_NAMES[f.severity],
                f.rule_code,
                f.rule_title,
                f.commune_id,
                f.commune_name,
                f.period_key,
                f.indicator_name,
                f.message,
                f.evidence_file,
                f.evidence_row,
                f.evidence_text,
            )
            for n, f in enumerate(report.findings, start=1)
        ),
    )

    _sheet(
        workbook,
        "Thông tin",
        [Column("Mục", width=30), Column("Giá trị", width=70)],
        [
            ("Kỳ báo cáo", period.label),
            ("Mã kỳ", period.key),
            ("Từ ngày", (period.starts_on, DATE)),
            ("Đến ngày", (period.ends_on, DATE)),
            ("Văn bản yêu cầu", period.request_letter),
            ("Ngày lập", (issued_on, DATE)),
            ("Phiên bản dữ liệu", report.fingerprint),
            ("Số đơn vị có số liệu tạm giữ", len(report.withheld_communes)),
            (
                "Cách tính",
                "Tỷ lệ toàn tỉnh và cả kỳ = tổng tử số ÷ tổng mẫu số; số liệu tồn lấy giá trị cuối kỳ. "
                "Tỷ lệ lưu dạng phần trăm của Excel.",
            ),
        ],
    )
    return workbook


def write_workbook(report: PeriodReport, issued_on: date, path: Path) -> None:
    workbook = build_workbook(report, issued_on)
    when = datetime.combine(issued_on, time())
    workbook.properties.created = workbook.properties.modified = when
    workbook.properties.creator = "Sở Khoa học và Công nghệ"
    workbook.properties.title = f"Báo cáo chuyển đổi số cấp xã – {report.period.label}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    write_reproducible_zip(buffer.getvalue(), path, when)
