"""What one period's publication says, read from the warehouse: plain data, no formatting.

Every format (HTML, XLSX, DOCX) renders this one model, so the numbers cannot differ between them, and its
fingerprint is the data version written in the manifest. The figure of record for an indicator is the
dossier system's or the staffing list's where one can compute it (`dim_indicator.system_source`), else
the commune's own form. A figure an open, unaccepted data-quality error holds back is `withheld`: it is
shown as held, never as a clean number, and not ranked; a province figure that still sums such figures is
`provisional`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import cache, cached_property

import duckdb

from pipelines.quality.suites import load_suites
from pipelines.vietnamese import period_label

# Printed findings per rule: the provincial report's annex and each commune's scorecard (XLSX: all of them).
ANNEX_ROWS_PER_RULE = 20
SCORECARD_ROWS_PER_RULE = 5

# The rates a commune's scorecard and the trend chart follow quarter by quarter.
KEY_RATES = (
    "DOS_ONLINE_RATE",
    "DOS_EARLY_OR_ON_TIME_RATE",
    "DOS_INTAKE_DIGITISED_RATE",
    "DOS_RESULT_DIGITISED_RATE",
    "DOS_ONLINE_PAYMENT_RATE",
)


@dataclass(frozen=True)
class Period:
    key: str
    period_type: str
    label: str
    starts_on: date
    ends_on: date
    request_letter: str | None
    due_on: date | None
    quarter_keys: tuple[str, ...]


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    unit: str
    kind: str  # rate, count, stock, flag, money
    target: float | None
    higher_is_better: bool | None
    source: str  # the source of record: system or reported

    def meets_target(self, value: float | None) -> bool | None:
        if self.target is None or value is None or self.kind == "flag":
            return None
        return value >= self.target if self.higher_is_better is not False else value <= self.target


@dataclass(frozen=True)
class Figure:
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    withheld: bool = False  # commune figure held back by an open error
    provisional: bool = False  # province figure that still sums held-back commune figures


@dataclass(frozen=True)
class ProvinceLine:
    indicator: Indicator
    figure: Figure
    previous: float | None
    communes_covered: int | None
    meets_target: bool | None


@dataclass(frozen=True)
class Commune:
    commune_id: str
    name: str


@dataclass(frozen=True)
class ServiceGroup:
    code: str
    name: str
    max_points: float


@dataclass(frozen=True)
class ServiceIndexLine:
    rank: int | None
    commune_id: str
    name: str
    points: tuple[float | None, ...]  # in the order of `PeriodReport.service_groups`
    total: float | None
    max_points: float | None
    withheld: bool


@dataclass(frozen=True)
class SubmissionSummary:
    period_key: str
    expected: int
    submitted: int
    on_time: int
    late: int
    missing: int
    not_yet_due: int
    completeness_rate: float | None
    timeliness_rate: float | None


@dataclass(frozen=True)
class SubmissionLine:
    period_key: str
    commune_id: str
    name: str
    status: str  # late or missing
    due_on: date | None
    first_submitted_on: date | None
    days_late: int | None


@dataclass(frozen=True)
class Finding:
    severity: str
    rule_code: str
    rule_title: str
    commune_id: str | None
    commune_name: str | None
    period_key: str | None
    indicator_name: str | None
    message: str
    evidence_file: str | None
    evidence_row: int | None
    evidence_text: str | None


@dataclass(frozen=True)
class FindingGroup:
    """One rule's open findings: how many, and the first few to print (the XLSX carries them all)."""

    severity: str
    rule_code: str
    rule_title: str
    total: int
    shown: tuple[Finding, ...]

    @property
    def hidden(self) -> int:
        return self.total - len(self.shown)


def group_findings(findings: tuple[Finding, ...] | list[Finding], per_rule: int) -> list[FindingGroup]:
    """Findings (already ordered errors first, then by rule) grouped by rule, each cut to `per_rule` rows:
    at ten million dossiers a rule can flag thousands of rows, which no printed annex can hold."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.rule_code, []).append(finding)
    return [
        FindingGroup(rows[0].severity, code, rows[0].rule_title, len(rows), tuple(rows[:per_rule]))
        for code, rows in groups.items()
    ]


@dataclass(frozen=True)
class NamedCount:
    commune_id: str
    name: str
    count: float | None = None
    total: float | None = None


@dataclass(frozen=True)
class PeriodReport:
    period: Period
    previous_period_key: str | None
    indicators: tuple[Indicator, ...]
    province: tuple[ProvinceLine, ...]
    communes: tuple[Commune, ...]
    figures: dict[str, dict[str, Figure]]  # commune_id → indicator_code → figure of record
    service_groups: tuple[ServiceGroup, ...]
    service_index: tuple[ServiceIndexLine, ...]
    trend_quarters: tuple[str, ...]
    province_trend: dict[str, tuple[Figure | None, ...]]  # KEY_RATES → one figure per trend quarter
    commune_trend: dict[str, dict[str, tuple[Figure | None, ...]]]
    submission_summary: tuple[SubmissionSummary, ...]
    submission_attention: tuple[SubmissionLine, ...]
    findings: tuple[Finding, ...]  # open, on the period's quarters
    accepted_findings: int
    withheld_communes: tuple[str, ...] = field(default=())

    # --- lists officials ask for, derived from the figures above so they cannot disagree with them ---
    def indicator(self, code: str) -> Indicator:
        return next(i for i in self.indicators if i.code == code)

    def below_target(self) -> list[tuple[Indicator, list[NamedCount]]]:
        """Per rate with a target: the communes whose published figure misses it (the dedicated IT official
        and the video-conference terminal have lists of their own)."""
        out = []
        for indicator in self.indicators:
            if indicator.target is None or indicator.kind != "rate":
                continue
            missed = [
                NamedCount(c.commune_id, c.name, figure.value)
                for c in self.communes
                if (figure := self.figures.get(c.commune_id, {}).get(indicator.code))
                and not figure.withheld
                and indicator.meets_target(figure.value) is False
            ]
            out.append((indicator, missed))
        return out

    def _where(self, code: str, test) -> list[NamedCount]:
        return [
            NamedCount(c.commune_id, c.name, figure.numerator, figure.denominator)
            for c in self.communes
            if (figure := self.figures.get(c.commune_id, {}).get(code))
            and not figure.withheld
            and test(figure)
        ]

    def without_it_official(self) -> list[NamedCount]:
        return self._where("IT_DEDICATED", lambda f: f.value == 0)

    def terminal_not_ready(self) -> list[NamedCount]:
        return self._where("VC_TERMINAL_READY", lambda f: f.value == 0)

    def villages_without_team(self) -> list[NamedCount]:
        """(commune, villages without a team, villages): `count` is the gap, `total` the villages."""
        return [
            NamedCount(n.commune_id, n.name, n.total - n.count, n.total)
            for n in self._where(
                "CDT_VILLAGE_RATE",
                lambda f: (
                    f.denominator is not None and f.numerator is not None and f.numerator < f.denominator
                ),
            )
        ]

    @property
    def open_errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @cached_property
    def annex(self) -> list[FindingGroup]:
        return group_findings(self.findings, ANNEX_ROWS_PER_RULE)

    @cached_property
    def _findings_by_commune(self) -> dict[str, list[FindingGroup]]:
        own: dict[str, list[Finding]] = {}
        for finding in self.findings:
            if finding.commune_id:
                own.setdefault(finding.commune_id, []).append(finding)
        return {c: group_findings(rows, SCORECARD_ROWS_PER_RULE) for c, rows in own.items()}

    def findings_of(self, commune_id: str) -> list[FindingGroup]:
        """The commune's own open findings for its scorecard, grouped by rule."""
        return self._findings_by_commune.get(commune_id, [])

    @cached_property
    def fingerprint(self) -> str:
        """sha256 of the model: the same data gives the same files, so this is the data version (computed
        once: the manifest and every format print it)."""
        text = json.dumps(asdict(self), sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def periods_with_data(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Periods the warehouse holds figures for, oldest first (a 9-month period after its third quarter)."""
    return [
        key
        for (key,) in con.execute(
            "select period_key from reporting.publication_periods where has_data order by publication_order"
        ).fetchall()
    ]


def _period(con: duckdb.DuckDBPyConnection, period_key: str) -> tuple[Period, str | None, list[str]]:
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


def _figure_rows(con: duckdb.DuckDBPyConnection, period_keys: list[str]) -> list[dict]:
    return _rows(
        con,
        "select * from reporting.published_figures where list_contains(?::varchar[], period_key)",
        [period_keys],
    )


@cache
def _rule_titles() -> dict[str, str]:
    """Rule code → Vietnamese title, from the suites (read once per process, not once per period)."""
    return {
        e["meta"]["rule_code"]: e["meta"].get("title_vi", e["meta"]["rule_code"])
        for suite in load_suites(tier="findings")
        for e in suite.expectations
    }


def _findings(con: duckdb.DuckDBPyConnection, period: Period) -> tuple[list[Finding], int]:
    titles = _rule_titles()
    rows = _rows(
        con,
        """select * from reporting.report_findings where list_contains(?::varchar[], period_key)
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


def _service_index(
    con: duckdb.DuckDBPyConnection, period: Period
) -> tuple[list[ServiceGroup], list[ServiceIndexLine]]:
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
        )
        for cid, r in by_commune.items()
    ]
    return groups, lines


def _submissions(
    con: duckdb.DuckDBPyConnection, period: Period
) -> tuple[list[SubmissionSummary], list[SubmissionLine]]:
    quarters = list(period.quarter_keys)
    summary = [
        SubmissionSummary(**r)
        for r in _rows(
            con,
            """select period_key, expected, submitted, on_time, late, missing, not_yet_due,
                      completeness_rate, timeliness_rate
               from marts.fct_submission_summary where list_contains(?::varchar[], period_key)
               order by period_key""",
            [quarters],
        )
    ]
    attention = [
        SubmissionLine(**r)
        for r in _rows(
            con,
            """select * exclude (print_order) from reporting.late_or_missing_submissions
               where list_contains(?::varchar[], period_key) order by print_order""",
            [quarters],
        )
    ]
    return summary, attention


def build_report(con: duckdb.DuckDBPyConnection, period_key: str) -> PeriodReport:
    """Everything the period's publication says, from the marts and the data-quality findings."""
    period, previous_key, trend = _period(con, period_key)
    indicators = tuple(
        Indicator(
            code=r["indicator_code"],
            name=r["name_vi"],
            unit=r["unit"],
            kind=r["kind"],
            target=r["target_value"],
            higher_is_better=r["higher_is_better"],
            source="system" if r["system_source"] else "reported",
        )
        for r in _rows(
            con,
            """select indicator_code, name_vi, unit, kind, target_value, higher_is_better, system_source
               from marts.dim_indicator where reported_on = 'form' order by form_order""",
        )
    )
    by_code = {i.code: i for i in indicators}
    keys = sorted({period.key, *trend, *([previous_key] if previous_key else [])})
    rows = _figure_rows(con, keys)

    figures: dict[str, dict[str, Figure]] = {}
    trend_figures: dict[tuple[str | None, str, str], Figure] = {}
    province: dict[str, dict] = {}
    previous: dict[str, float | None] = {}
    held_somewhere: set[tuple[str, str]] = set()  # (period, indicator) with a commune held back
    for r in rows:
        figure = Figure(r["value"], r["numerator"], r["denominator"], withheld=r["withheld"])
        if r["scope"] == "commune" and r["withheld"]:
            held_somewhere.add((r["period_key"], r["indicator_code"]))
        if r["period_key"] in trend and r["indicator_code"] in KEY_RATES:
            trend_figures[(r["commune_id"], r["period_key"], r["indicator_code"])] = figure
        if r["period_key"] == previous_key and r["scope"] == "province":
            previous[r["indicator_code"]] = r["value"]
        if r["period_key"] != period.key:
            continue
        if r["scope"] == "commune":
            figures.setdefault(r["commune_id"], {})[r["indicator_code"]] = figure
        else:
            province[r["indicator_code"]] = r

    province_lines = []
    for indicator in indicators:
        r = province.get(indicator.code)
        figure = (
            Figure(
                r["value"],
                r["numerator"],
                r["denominator"],
                provisional=(period.key, indicator.code) in held_somewhere,
            )
            if r
            else Figure(None)
        )
        province_lines.append(
            ProvinceLine(
                indicator=indicator,
                figure=figure,
                previous=previous.get(indicator.code),
                communes_covered=r["communes_covered"] if r else None,
                # Targets of counts and flags are per commune (one IT official each): judged on commune rows.
                meets_target=indicator.meets_target(figure.value) if indicator.kind == "rate" else None,
            )
        )

    communes = tuple(
        Commune(r["commune_id"], r["name_with_type"])
        for r in _rows(con, "select commune_id, name_with_type from marts.dim_commune order by commune_id")
    )
    withheld = {cid for cid, by in figures.items() for f in by.values() if f.withheld}
    groups, index_lines = _service_index(con, period)
    summary, attention = _submissions(con, period)
    findings, accepted = _findings(con, period)

    def series(commune_id: str | None, code: str) -> tuple[Figure | None, ...]:
        figure_of = trend_figures.get
        if commune_id is None:
            return tuple(
                (
                    Figure(f.value, f.numerator, f.denominator, provisional=(q, code) in held_somewhere)
                    if (f := figure_of((None, q, code)))
                    else None
                )
                for q in trend
            )
        return tuple(figure_of((commune_id, q, code)) for q in trend)

    return PeriodReport(
        period=period,
        previous_period_key=previous_key,
        indicators=indicators,
        province=tuple(province_lines),
        communes=communes,
        figures=figures,
        service_groups=tuple(groups),
        service_index=tuple(index_lines),
        trend_quarters=tuple(trend),
        province_trend={code: series(None, code) for code in KEY_RATES if code in by_code},
        commune_trend={
            c.commune_id: {code: series(c.commune_id, code) for code in KEY_RATES} for c in communes
        },
        submission_summary=tuple(summary),
        submission_attention=tuple(attention),
        findings=tuple(findings),
        accepted_findings=accepted,
        withheld_communes=tuple(sorted(withheld)),
    )
