"""The HTML outputs: the provincial report and the communes' scorecards, from Jinja2 templates.

Autoescape is on for every template; the only markup inserted unescaped is the charts' SVG, which
matplotlib writes from our own labels (XML-escaped by matplotlib).
"""

from __future__ import annotations

from datetime import date

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from pipelines.core.vietnamese import format_date, format_number, format_percent, period_label
from pipelines.reports.charts import Chart
from pipelines.reports.editions import CHANGE_HEADERS, CHANGES_PRINTED, FIRST_EDITION, Edition, change_rows
from pipelines.reports.model import PeriodReport
from pipelines.reports.sections import numbered
from pipelines.reports.summary import summary_points
from pipelines.reports.text import (
    DOSSIER_DEFINITIONS,
    LETTERHEAD,
    PROVISIONAL_MARK,
    SEVERITY_NAMES,
    SOURCE_NAMES,
    STATUS_LABELS,
    SUBMISSION_STATUS,
    WITHHELD,
    Letterhead,
    annex_cut_text,
    change_text,
    evidence_location,
    figure_text,
    fraction_text,
    group_heading,
    lower_first,
    more_findings_text,
    more_rules_text,
    status_of,
    target_text,
    target_value_text,
    value_text,
)

ENV = Environment(
    loader=PackageLoader("pipelines.reports", "templates"),
    autoescape=select_autoescape(["html", "xml", "j2"], default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
ENV.filters.update(
    vn_number=format_number,
    vn_percent=format_percent,
    vn_date=format_date,
    period_label=period_label,
    lower_first=lower_first,
    iso_date=lambda text: format_date(date.fromisoformat(text)) if text else "-",
)
ENV.globals.update(
    figure_text=figure_text,
    value_text=value_text,
    fraction_text=fraction_text,
    evidence_location=evidence_location,
    target_text=target_text,
    target_value_text=target_value_text,
    letterhead=LETTERHEAD,
    WITHHELD=WITHHELD,
    PROVISIONAL_MARK=PROVISIONAL_MARK,
    DOSSIER_DEFINITIONS=DOSSIER_DEFINITIONS,
    SOURCE_NAMES=SOURCE_NAMES,
    STATUS_LABELS=STATUS_LABELS,
    SEVERITY_NAMES=SEVERITY_NAMES,
    SUBMISSION_STATUS=SUBMISSION_STATUS,
    group_heading=group_heading,
    more_findings_text=more_findings_text,
    more_rules_text=more_rules_text,
    change_text=change_text,
    annex_cut_text=annex_cut_text,
)


def _common(
    report: PeriodReport, issued_on: date, files: dict[str, str], letterhead: Letterhead = LETTERHEAD
) -> dict:
    return {
        "letterhead": letterhead,
        "report": report,
        "period": report.period,
        "issued_on": issued_on,
        "status": status_of(report, issued_on),
        "files": files,
        "index_held": {line.commune_id for line in report.service_index if line.withheld},
        "rank_of": {line.commune_id: line for line in report.service_index if line.rank is not None},
        "province_of": {line.indicator.code: line.figure for line in report.province},
    }


def _numbered_templates() -> list[tuple[str, str]]:
    """(numeral, template) of every section with an HTML form, in order; appendices unnumbered."""
    body, appendices = numbered("html")
    return [(numeral, s.html) for numeral, s in body] + [("", s.html) for s in appendices]


def render_report(
    report: PeriodReport,
    charts: list[Chart],
    issued_on: date,
    files: dict[str, str] | None = None,
    pending_review: int = 0,
    letterhead: Letterhead = LETTERHEAD,
    edition: Edition = FIRST_EDITION,
) -> str:
    rows = change_rows(edition)
    return ENV.get_template("provincial_report.html.j2").render(
        **_common(report, issued_on, files or {}, letterhead),
        charts=[(chart.title, Markup(chart.svg)) for chart in charts],
        sections=_numbered_templates(),
        pending_review=pending_review,
        summary=summary_points(report),
        edition=edition,
        change_headers=CHANGE_HEADERS,
        change_rows=rows[:CHANGES_PRINTED],
        changes_not_printed=len(rows) - min(len(rows), CHANGES_PRINTED),
    )


def render_scorecards(report: PeriodReport, issued_on: date, letterhead: Letterhead = LETTERHEAD) -> str:
    return ENV.get_template("scorecards.html.j2").render(**_common(report, issued_on, {}, letterhead))


def render_index(entries: list[dict], locked: dict[str, dict] | None = None) -> str:
    """The list of every published edition of every period, the newest period first and, within it, the
    latest edition first (`entries`: manifests, each with the `href` of its folder); `locked`: period →
    its lock and the figures waiting for the next edition."""
    return ENV.get_template("index.html.j2").render(entries=entries, locked=locked or {})
