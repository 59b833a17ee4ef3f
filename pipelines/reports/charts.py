"""Charts for the publication, drawn with matplotlib: SVG (text kept as text) for HTML, PNG for DOCX.

Both outputs are byte-for-byte reproducible: the SVG id salt and the file metadata (date, software) are
pinned, so unchanged data re-publishes unchanged files.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from pipelines.core.vietnamese import format_number, period_label  # noqa: E402
from pipelines.reports.model import PeriodReport  # noqa: E402

_STYLE = {
    "svg.hashsalt": "cds-report",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",  # ships with matplotlib and covers Vietnamese
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
_PERCENT = FuncFormatter(lambda value, _: f"{format_number(value)} %")
_COLOURS = ("#1f4e79", "#c55a11", "#548235", "#7030a0", "#bf9000")


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str
    png: bytes


def _render(figure: plt.Figure, title: str) -> Chart:
    svg, png = io.StringIO(), io.BytesIO()
    figure.savefig(svg, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    figure.savefig(png, format="png", dpi=150, metadata={"Software": None}, bbox_inches="tight")
    plt.close(figure)
    text = svg.getvalue()
    return Chart(title=title, svg=text[text.index("<svg") :], png=png.getvalue())


def trend_chart(report: PeriodReport) -> Chart | None:
    """The province's key rates over the year's quarters up to the period (ratios of sums)."""
    quarters = report.trend_quarters
    if not quarters:
        return None
    title = f"Các tỷ lệ chính toàn tỉnh theo quý năm {report.period.ends_on.year}"
    with plt.rc_context(_STYLE):
        figure, axes = plt.subplots(figsize=(7.5, 3.4))
        labels = [period_label(q).replace(f" năm {report.period.ends_on.year}", "") for q in quarters]
        for colour, (code, series) in zip(_COLOURS, report.province_trend.items(), strict=False):
            values = [f.value if f else None for f in series]
            if all(v is None for v in values):
                continue
            axes.plot(labels, values, marker="o", color=colour, label=report.indicator(code).name)
        axes.set_ylim(0, 105)
        axes.yaxis.set_major_formatter(_PERCENT)
        axes.grid(axis="y", color="#dddddd")
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False, fontsize=8)
        axes.set_title(title, fontsize=10)
        return _render(figure, title)


def distribution_chart(report: PeriodReport, code: str = "DOS_ONLINE_RATE") -> Chart | None:
    """How many communes fall in each 10-point band of a rate, with the target marked."""
    indicator = report.indicator(code)
    values = [
        f.value
        for by in report.figures.values()
        if (f := by.get(code)) is not None and not f.withheld and f.value is not None
    ]
    if not values:
        return None
    bands = [0] * 10
    for value in values:
        bands[min(int(value // 10), 9)] += 1
    title = f"Số đơn vị theo mức {indicator.name[0].lower()}{indicator.name[1:]} – {report.period.label}"
    with plt.rc_context(_STYLE):
        figure, axes = plt.subplots(figsize=(7.5, 3.0))
        axes.bar([i * 10 + 5 for i in range(10)], bands, width=9, color=_COLOURS[0])
        for i, count in enumerate(bands):
            if count:
                axes.text(i * 10 + 5, count, format_number(count), ha="center", va="bottom", fontsize=8)
        if indicator.target is not None:
            axes.axvline(indicator.target, color="#c00000", linestyle="--", linewidth=1)
            axes.text(
                indicator.target,
                max(bands) * 1.12,
                f" chỉ tiêu {format_number(indicator.target)} %",
                color="#c00000",
                fontsize=8,
            )
        axes.set_ylim(0, max(bands) * 1.25 + 1)
        axes.set_xlim(0, 100)
        axes.set_xticks(range(0, 101, 10))
        axes.xaxis.set_major_formatter(_PERCENT)
        axes.set_ylabel("Số đơn vị")
        axes.set_title(title, fontsize=10)
        return _render(figure, title)


def charts_for(report: PeriodReport) -> list[Chart]:
    return [chart for chart in (trend_chart(report), distribution_chart(report)) if chart is not None]
