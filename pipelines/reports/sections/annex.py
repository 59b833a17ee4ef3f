"""The annex: the data-quality findings still open on the period's quarters, grouped by rule (the printed
formats cut each rule to its first rows; the XLSX carries them all)."""

from __future__ import annotations

from datetime import date

from docx.enum.text import WD_BREAK

from pipelines.core.vietnamese import format_number
from pipelines.reports.charts import Chart
from pipelines.reports.docx import CENTER, JUSTIFY, Span, write_paragraph, write_table
from pipelines.reports.model import Finding, PeriodReport
from pipelines.reports.sections.section import Section
from pipelines.reports.text import (
    SEVERITY_NAMES,
    annex_cut_text,
    evidence_location,
    finding_text,
    group_heading,
    lower_first,
    more_findings_text,
)
from pipelines.reports.xlsx import INTEGER, Column, Sheet


def _docx_title(document, report: PeriodReport) -> None:
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    write_paragraph(document, "PHỤ LỤC", bold=True, size=13, align=CENTER, space_after=0)
    write_paragraph(document, "KIỂM TRA CHẤT LƯỢNG SỐ LIỆU", bold=True, size=13, align=CENTER, space_after=0)
    write_paragraph(
        document,
        f"(Kèm theo báo cáo {lower_first(report.period.label)})",
        italic=True,
        align=CENTER,
        space_after=6,
    )


def _evidence(finding: Finding) -> str:
    quoted = finding.evidence_text and f"«{finding.evidence_text}»"
    return "\n".join(part for part in (evidence_location(finding), quoted) if part)


def _docx_rows(report: PeriodReport) -> list[list | Span]:
    rows: list[list | Span] = []
    for group in report.annex:
        rows.append(Span(group_heading(group), bold=True))
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
            rows.append(Span(more_findings_text(group), italic=True))
    return rows


def docx(document, report: PeriodReport, charts: list[Chart]) -> None:
    _docx_title(document, report)
    errors = report.open_errors
    accepted = (
        f"; {format_number(report.accepted_findings)} trường hợp đã được xem xét và chấp nhận"
        if report.accepted_findings
        else ""
    )
    cut = annex_cut_text(report)
    write_paragraph(
        document,
        f"Còn {format_number(errors)} lỗi và {format_number(len(report.findings) - errors)} cảnh báo chưa "
        f"xử lý{accepted}. Lỗi làm tạm giữ số liệu liên quan; cảnh báo cần đơn vị kiểm tra lại nhưng không "
        f"tạm giữ số liệu.{' ' if cut else ''}{cut}",
        align=JUSTIFY,
    )
    if report.findings:
        write_table(
            document,
            ["STT", "Mức", "Đơn vị", "Nội dung", "Căn cứ"],
            _docx_rows(report),
            numeric={0},
            size=11,
            widths=[0.9, 1.3, 2.8, 6.5, 5.0],
        )


def xlsx(report: PeriodReport, issued_on: date) -> list[Sheet]:
    columns = [
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
    ]
    rows = [
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
    ]
    return [Sheet("Chất lượng số liệu", columns, rows)]


SECTION = Section("annex", html="sections/annex.html.j2", docx=docx, xlsx=xlsx, appendix=True)
