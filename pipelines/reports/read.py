"""A period's publication read from the warehouse: the reporting models (`dbt_project/models/reporting/`)
and a few marts, assembled into the `PeriodReport` every format renders (`model.py`). The SQL is what DuckDB
and PostgreSQL share, so the same report can be read from the server warehouse."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

from pipelines.core.vietnamese import period_label
from pipelines.quality.suites import load_suites
from pipelines.reports.model import (
    KEY_RATES,
    Commune,
    Figure,
    Finding,
    Indicator,
    Period,
    PeriodReport,
    ProvinceLine,
    ServiceGroup,
    ServiceIndexLine,
    SubmissionLine,
    SubmissionSummary,
)


class Reader(Protocol):
    """What a publication is read through: a DuckDB connection to the warehouse file, or one to the server
    warehouse (`pipelines.warehouse.postgres.QmarkConnection`). The queries here are written for both."""

    def execute(self, query: str, parameters: list | None = None, /) -> Any: ...


def _rows(con: Reader, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def periods_with_data(con: Reader) -> list[str]:
    """Periods the warehouse holds figures for, oldest first (a 9-month period after its third quarter)."""
    return [
        key
        for (key,) in con.execute(
            "select period_key from reporting.publication_periods where has_data order by publication_order"
        ).fetchall()
    ]


def _period(con: Reader, period_key: str) -> tuple[Period, str | None, list[str]]:
    """The period, the previous one of its type and the year's quarters up to its end."""
    rows = _rows(con, "select * from reporting.publication_periods where period_key = ?", [period_key])
    if not rows:
        raise ValueError(f"Kỳ báo cáo {period_key} không có trong lịch báo cáo (unknown period)")
    r = rows[0]
    period = Period(
        key=r["period_key"],
        period_type=r["period_type"],
        label=period_label(r["period_key"]),
        starts_on=r["starts_on"],
        ends_on=r["ends_on"],
        request_letter=r["request_letter"],
        due_on=r["due_on"],
        quarter_keys=tuple(r["quarter_keys"]),
    )
    return period, r["previous_period_key"], list(r["trend_quarter_keys"])


def _figure_rows(con: Reader, period_keys: list[str]) -> list[dict]:
    return _rows(
        con,
        # ordered: the figures' dictionaries are filled in this order, and a publication must come out the
        # same bytes however the engine happened to scan
        """select * from reporting.published_figures where period_key in (select unnest(?::varchar[]))
           order by period_key, scope, commune_id nulls first, indicator_code""",
        [period_keys],
    )


@cache
def rule_titles() -> dict[str, str]:
    """Rule code → Vietnamese title, from the suites (read once per process, not once per period)."""
    return {
        e["meta"]["rule_code"]: e["meta"].get("title_vi", e["meta"]["rule_code"])
        for suite in load_suites(tier="findings")
        for e in suite.expectations
    }


def _findings(con: Reader, period: Period) -> tuple[list[Finding], int]:
    titles = rule_titles()
    rows = _rows(
        con,
        """select * from reporting.report_findings where period_key in (select unnest(?::varchar[]))
           order by print_order""",
        [list(period.quarter_keys)],
    )
    open_ = [
        Finding(
            severity=r["severity"],
            rule_code=r["rule_code"],
            rule_title=titles.get(r["rule_code"], r["rule_code"]),
            commune_id=r["commune_id"],
            commune_name=r["commune_name"],
            period_key=r["period_key"],
            indicator_name=r["indicator_name"],
            message=r["message_vi"],
            evidence_file=r["evidence_file"],
            evidence_row=r["evidence_row"],
            evidence_text=r["evidence_text"],
        )
        for r in rows
        if r["status"] == "open"
    ]
    return open_, sum(1 for r in rows if r["status"] == "accepted")


def _service_index(con: Reader, period: Period) -> tuple[list[ServiceGroup], list[ServiceIndexLine]]:
    groups = [
        ServiceGroup(code, name, max_points)
        for code, name, max_points in con.execute(
            """select group_code, group_name, max_points from reporting.service_index_groups
               order by group_order"""
        ).fetchall()
    ]
    by_commune: dict[str, dict] = {}
    for r in _rows(
        con,
        "select * from reporting.service_index_board where period_key = ? order by board_order, group_code",
        [period.key],
    ):
        by_commune.setdefault(r["commune_id"], {**r, "points": {}})["points"][r["group_code"]] = r["points"]
    lines = [
        ServiceIndexLine(
            rank=r["rank"],
            commune_id=cid,
            name=r["name"],
            points=tuple(r["points"].get(g.code) for g in groups),
            total=r["total"],
            max_points=r["max_points"],
            withheld=r["withheld"],
            ranked_count=r["ranked_count"],
            tied=r["tied"],
        )
        for cid, r in by_commune.items()
    ]
    return groups, lines


def _submissions(con: Reader, period: Period) -> tuple[list[SubmissionSummary], list[SubmissionLine]]:
    quarters = list(period.quarter_keys)
    summary = [
        SubmissionSummary(**r)
        for r in _rows(
            con,
            """select period_key, expected, submitted, on_time, late, missing, not_yet_due,
                      completeness_rate, timeliness_rate
               from marts.fct_submission_summary where period_key in (select unnest(?::varchar[]))
               order by period_key""",
            [quarters],
        )
    ]
    attention = [
        SubmissionLine(**{name: value for name, value in r.items() if name != "print_order"})
        for r in _rows(
            con,
            """select * from reporting.late_or_missing_submissions
               where period_key in (select unnest(?::varchar[])) order by print_order""",
            [quarters],
        )
    ]
    return summary, attention


def _indicators(con: Reader) -> tuple[Indicator, ...]:
    """The published indicators with their source of record: the commune form's, in the form's order, and
    the system-only ones (`reported_on = 'system'`), each right after the last part of the identity it
    completes (DOS_INVALID_DATES after DOS_LATE)."""
    rows = _rows(
        con,
        """select indicator_code, name_vi, unit, kind, target_value, higher_is_better, system_source,
                  reported_on, form_order
           from marts.dim_indicator where reported_on in ('form', 'system')
           order by form_order nulls last, indicator_code""",
    )
    identities = [
        codes.split(";")
        for (codes,) in con.execute("select part_codes from reference.ref_indicator_identities").fetchall()
    ]
    part_before = {parts[-1]: parts[-2] for parts in identities if len(parts) >= 2}
    ordered = [r for r in rows if r["reported_on"] == "form"]
    for r in (r for r in rows if r["reported_on"] == "system"):
        before = part_before.get(r["indicator_code"])
        codes = [o["indicator_code"] for o in ordered]
        ordered.insert(codes.index(before) + 1 if before in codes else len(ordered), r)
    return tuple(
        Indicator(
            code=r["indicator_code"],
            name=r["name_vi"],
            unit=r["unit"],
            kind=r["kind"],
            target=r["target_value"],
            higher_is_better=r["higher_is_better"],
            source="system" if r["system_source"] else "reported",
        )
        for r in ordered
    )


@dataclass
class _Figures:
    """The published figures of the period, its previous period and its trend quarters, sorted out."""

    period_key: str
    previous_key: str | None
    trend: list[str]
    by_commune: dict[str, dict[str, Figure]] = field(default_factory=dict)  # this period's
    province: dict[str, dict] = field(default_factory=dict)  # this period's province rows
    previous: dict[str, float | None] = field(default_factory=dict)  # the previous period's province values
    previous_by_commune: dict[str, dict[str, float]] = field(default_factory=dict)  # published, not held
    trend_figures: dict[tuple[str | None, str, str], Figure] = field(default_factory=dict)
    held_somewhere: set[tuple[str, str]] = field(
        default_factory=set
    )  # (period, indicator) with a held commune

    def add(self, r: dict) -> None:
        figure = Figure(r["value"], r["numerator"], r["denominator"], withheld=r["withheld"])
        if r["scope"] == "commune" and r["withheld"]:
            self.held_somewhere.add((r["period_key"], r["indicator_code"]))
        if r["period_key"] in self.trend and r["indicator_code"] in KEY_RATES:
            self.trend_figures[(r["commune_id"], r["period_key"], r["indicator_code"])] = figure
        if r["period_key"] == self.previous_key and r["scope"] == "province":
            self.previous[r["indicator_code"]] = r["value"]
        elif r["period_key"] == self.previous_key and not r["withheld"] and r["value"] is not None:
            self.previous_by_commune.setdefault(r["commune_id"], {})[r["indicator_code"]] = r["value"]
        if r["period_key"] != self.period_key:
            return
        if r["scope"] == "commune":
            self.by_commune.setdefault(r["commune_id"], {})[r["indicator_code"]] = figure
        else:
            self.province[r["indicator_code"]] = r

    def province_line(self, indicator: Indicator) -> ProvinceLine:
        r = self.province.get(indicator.code)
        provisional = (self.period_key, indicator.code) in self.held_somewhere
        figure = (
            Figure(r["value"], r["numerator"], r["denominator"], provisional=provisional)
            if r
            else Figure(None)
        )
        return ProvinceLine(
            indicator=indicator,
            figure=figure,
            previous=self.previous.get(indicator.code),
            communes_covered=r["communes_covered"] if r else None,
            # Targets of counts and flags are per commune (one IT official each): judged on commune rows.
            meets_target=indicator.meets_target(figure.value) if indicator.kind == "rate" else None,
        )

    def series(self, commune_id: str | None, code: str) -> tuple[Figure | None, ...]:
        """One figure per trend quarter; the province's marked provisional where a commune is held."""
        figure_of = self.trend_figures.get
        if commune_id is None:
            return tuple(
                (
                    Figure(f.value, f.numerator, f.denominator, provisional=(q, code) in self.held_somewhere)
                    if (f := figure_of((None, q, code)))
                    else None
                )
                for q in self.trend
            )
        return tuple(figure_of((commune_id, q, code)) for q in self.trend)


def build_report(con: Reader, period_key: str) -> PeriodReport:
    """Everything the period's publication says, from the reporting models and the marts."""
    period, previous_key, trend = _period(con, period_key)
    indicators = _indicators(con)
    keys = sorted({period.key, *trend, *([previous_key] if previous_key else [])})
    figures = _Figures(period.key, previous_key, trend)
    for r in _figure_rows(con, keys):
        figures.add(r)
    communes = tuple(
        Commune(r["commune_id"], r["name_with_type"])
        for r in _rows(con, "select commune_id, name_with_type from marts.dim_commune order by name_order")
    )
    withheld = {cid for cid, by in figures.by_commune.items() for f in by.values() if f.withheld}
    groups, index_lines = _service_index(con, period)
    summary, attention = _submissions(con, period)
    findings, accepted = _findings(con, period)
    codes = {i.code for i in indicators}
    return PeriodReport(
        period=period,
        previous_period_key=previous_key,
        indicators=indicators,
        province=tuple(figures.province_line(i) for i in indicators),
        communes=communes,
        figures=figures.by_commune,
        service_groups=tuple(groups),
        service_index=tuple(index_lines),
        trend_quarters=tuple(trend),
        province_trend={code: figures.series(None, code) for code in KEY_RATES if code in codes},
        commune_trend={
            c.commune_id: {code: figures.series(c.commune_id, code) for code in KEY_RATES} for c in communes
        },
        submission_summary=tuple(summary),
        submission_attention=tuple(attention),
        findings=tuple(findings),
        accepted_findings=accepted,
        withheld_communes=tuple(sorted(withheld)),
        previous_figures=figures.previous_by_commune,
    )
