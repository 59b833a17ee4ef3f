"""Section I: the province's figures this period beside the previous period and the plan, with the trend
charts; in XLSX also every commune's figure of every indicator (the full table the HTML's section of
communes only samples)."""

from __future__ import annotations

import io
from datetime import date

from docx.shared import Cm

from pipelines.reports.charts import Chart
from pipelines.reports.docx import CENTER, write_paragraph, write_table
from pipelines.reports.model import Figure, PeriodReport, change
from pipelines.reports.sections.section import Section
from pipelines.reports.text import (
    DOSSIER_DEFINITIONS,
    SOURCE_NAMES,
    change_text,
    figure_text,
    fraction_text,
    target_text,
    target_value_text,
    value_text,
)
from pipelines.reports.xlsx import CHANGE_UNITS, INTEGER, Column, Sheet, cell_value, change_cell


def docx(document, report: PeriodReport, charts: list[Chart]) -> None:
    write_table(
        document,
        [
            "STT",
            "Chỉ tiêu",
            "Đơn vị tính",
            "Kỳ này",
            "Tử số/Mẫu số",
            "Kỳ trước",
            "Thay đổi",
            "Kế hoạch",
            "Đánh giá",
            "Nguồn",
        ],
        [
            [
                n,
                line.indicator.name,
                line.indicator.unit,
                figure_text(line.indicator, line.figure, province=True),
                fraction_text(line.figure),
                value_text(line.indicator, line.previous),
                change_text(line.indicator, line.figure.value, line.previous),
                target_value_text(line.indicator),
                (target_text(line.meets_target), "A00000" if line.meets_target is False else None),
                SOURCE_NAMES[line.indicator.source],
            ]
            for n, line in enumerate(report.province, start=1)
        ],
        numeric={0, 3, 4, 5, 6, 7},
        size=11,
        widths=[0.9, 3.5, 1.3, 1.9, 2.1, 1.6, 1.6, 1.3, 1.1, 1.2],
    )
    write_paragraph(document, DOSSIER_DEFINITIONS, italic=True, size=11, space_after=8)
    for n, chart in enumerate(charts, start=1):
        document.add_picture(io.BytesIO(chart.png), width=Cm(15.5))
        document.paragraphs[-1].alignment = CENTER
        write_paragraph(
            document, f"Biểu đồ {n}. {chart.title}", italic=True, size=11, align=CENTER, space_after=8
        )


def _province_sheet(report: PeriodReport) -> Sheet:
    return Sheet(
        "Toàn tỉnh",
        [
            Column("STT", INTEGER, 5),
            Column("Mã chỉ tiêu", width=26),
            Column("Chỉ tiêu", width=50),
            Column("Đơn vị tính", width=11),
            Column(f"Kỳ này ({report.period.key})", width=16),
            Column("Tử số", INTEGER, 13),
            Column("Mẫu số", INTEGER, 13),
            Column(f"Kỳ trước ({report.previous_period_key or '-'})", width=16),
            Column("Thay đổi", width=16),
            Column("Chỉ tiêu kế hoạch", width=12),
            Column("Đánh giá", width=10),
            Column("Nguồn", width=12),
            Column("Gồm số liệu tạm giữ", width=12),
        ],
        [
            (
                n,
                line.indicator.code,
                line.indicator.name,
                line.indicator.unit,
                cell_value(line.indicator, line.figure),
                line.figure.numerator,
                line.figure.denominator,
                cell_value(line.indicator, Figure(line.previous)),
                change_cell(line.indicator, change(line.indicator, line.figure.value, line.previous)),
                cell_value(line.indicator, Figure(line.indicator.target))
                if line.indicator.kind == "rate"
                else line.indicator.target,
                target_text(line.meets_target),
                SOURCE_NAMES[line.indicator.source],
                "Có" if line.figure.provisional else "",
            )
            for n, line in enumerate(report.province, start=1)
        ],
        freeze_columns=3,
    )


def _communes_sheet(report: PeriodReport) -> Sheet:
    return Sheet(
        "Các xã",
        [Column("Mã đơn vị", width=10), Column("Đơn vị", width=28)]
        + [Column(f"{i.name} ({i.code})", width=16) for i in report.indicators],
        [
            (
                commune.commune_id,
                commune.name,
                *(
                    cell_value(i, report.figures.get(commune.commune_id, {}).get(i.code))
                    for i in report.indicators
                ),
            )
            for commune in report.communes
        ],
        freeze_columns=2,
    )


def _changes_sheet(report: PeriodReport) -> Sheet:
    """Each commune's change from the previous period, one column per indicator as in «Các xã» (flags,
    which have no change, left out): percentage points for rates, per cent for the others."""
    shown = [i for i in report.indicators if i.kind != "flag"]
    return Sheet(
        "Các xã - thay đổi",
        [Column("Mã đơn vị", width=10), Column("Đơn vị", width=28)]
        + [
            Column(f"{i.name} ({i.code}): thay đổi, {CHANGE_UNITS[i.kind == 'rate']}", width=16)
            for i in shown
        ],
        [
            (
                commune.commune_id,
                commune.name,
                *(change_cell(i, report.commune_change(commune.commune_id, i)) for i in shown),
            )
            for commune in report.communes
        ],
        freeze_columns=2,
    )


def xlsx(report: PeriodReport, issued_on: date) -> list[Sheet]:
    changes = [_changes_sheet(report)] if report.previous_period_key else []
    return [_province_sheet(report), _communes_sheet(report), *changes]


SECTION = Section(
    "province",
    html="sections/province.html.j2",
    docx=docx,
    docx_title="KẾT QUẢ CHUNG TOÀN TỈNH",
    xlsx=xlsx,
)
