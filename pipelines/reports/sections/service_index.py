"""Section II: the Decision 766 service index, ranked (a commune with held-back dossier figures is shown
held and not ranked)."""

from __future__ import annotations

from datetime import date

from pipelines.core.vietnamese import format_number
from pipelines.reports.charts import Chart
from pipelines.reports.docx import write_paragraph, write_table
from pipelines.reports.model import PeriodReport
from pipelines.reports.sections.section import Section
from pipelines.reports.text import WITHHELD
from pipelines.reports.xlsx import DECIMAL, INTEGER, Column, Sheet


def docx(document, report: PeriodReport, charts: list[Chart]) -> None:
    if not report.service_index:
        write_paragraph(document, "Chưa có số liệu hồ sơ để tính điểm cho kỳ này.")
        return
    groups = report.service_groups
    write_table(
        document,
        ["Hạng", "Đơn vị", *(f"{g.name} ({g.max_points:g})" for g in groups), "Tổng điểm"],
        [
            [
                line.rank_text,
                line.name,
                *((WITHHELD if line.withheld else format_number(p, 2)) for p in line.points),
                WITHHELD if line.withheld else format_number(line.total, 2),
            ]
            for line in report.service_index
        ],
        numeric={0, *range(2, len(groups) + 3)},
        size=11,
        widths=[1.6, 4.0, *([8.9 / len(groups)] * len(groups)), 2.0],
    )


def xlsx(report: PeriodReport, issued_on: date) -> list[Sheet]:
    columns = [
        Column("Hạng", INTEGER, 7),
        Column("Trên số đơn vị xếp hạng", INTEGER, 12),
        Column("Đồng hạng", width=11),
        Column("Mã đơn vị", width=10),
        Column("Đơn vị", width=28),
    ]
    columns += [Column(f"{g.name} (tối đa {g.max_points:g})", DECIMAL, 16) for g in report.service_groups]
    columns += [Column("Tổng điểm", DECIMAL, 12), Column("Điểm tối đa", DECIMAL, 12)]
    rows = [
        (
            line.rank,
            line.ranked_count,
            "Đồng hạng" if line.tied else None,
            line.commune_id,
            line.name,
            *((WITHHELD if line.withheld else p) for p in line.points),
            WITHHELD if line.withheld else line.total,
            line.max_points,
        )
        for line in report.service_index
    ]
    return [Sheet("Chỉ số phục vụ 766", columns, rows, freeze_columns=5)]


SECTION = Section(
    "service_index",
    html="sections/service_index.html.j2",
    docx=docx,
    docx_title="XẾP HẠNG CHỈ SỐ PHỤC VỤ NGƯỜI DÂN, DOANH NGHIỆP (QUYẾT ĐỊNH 766/QĐ-TTg)",
    xlsx=xlsx,
)
