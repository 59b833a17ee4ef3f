"""What one period's publication says: plain data, no formatting (read from the warehouse by `read.py`).

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
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from functools import cached_property

# Printed findings per rule: the provincial report's annex and each commune's scorecard (XLSX: all of them).
ANNEX_ROWS_PER_RULE = 20
SCORECARD_ROWS_PER_RULE = 3
# A scorecard is one A4 page: under its indicator and trend tables there is room for this many finding rows;
# the rules beyond are counted in one line that points to the annex.
SCORECARD_FINDING_ROWS = 3

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


def change(indicator: Indicator, value: float | None, previous: float | None) -> float | None:
    """The change from the previous period: percentage points for a rate, per cent for a count, stock or
    amount; None where either is missing or the change means nothing (a yes/no flag, a previous 0)."""
    if value is None or previous is None or indicator.kind == "flag":
        return None
    if indicator.kind == "rate":
        return value - previous
    if previous == 0:
        return None
    return 100 * (value - previous) / previous


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
    rank: int | None  # competition rank (1, 1, 3) on the printed total; None when not ranked
    commune_id: str
    name: str
    points: tuple[float | None, ...]  # in the order of `PeriodReport.service_groups`
    total: float | None
    max_points: float | None
    withheld: bool
    ranked_count: int | None = None  # how many communes are ranked in the period
    tied: bool = False  # another commune has the same printed total

    @property
    def rank_text(self) -> str:
        """`3/96`, `Đồng hạng 1/96`, or `-` when not ranked."""
        if self.rank is None:
            return "-"
        of = f"{self.rank}/{self.ranked_count}" if self.ranked_count else str(self.rank)
        return f"Đồng hạng {of}" if self.tied else of


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


def group_findings(
    findings: tuple[Finding, ...] | list[Finding], per_rule: int, budget: int | None = None
) -> list[FindingGroup]:
    """Findings (already ordered errors first, then by rule) grouped by rule, each cut to `per_rule` rows:
    at ten million dossiers a rule can flag thousands of rows, which no printed annex can hold. With
    `budget`, at most that many rows are shown in all; the groups past it show none."""
    groups: dict[str, list[Finding]] = {}
    for finding in findings:
        groups.setdefault(finding.rule_code, []).append(finding)
    left = budget if budget is not None else sum(len(rows) for rows in groups.values())
    out = []
    for code, rows in groups.items():
        shown = tuple(rows[: min(per_rule, left)])
        left -= len(shown)
        out.append(FindingGroup(rows[0].severity, code, rows[0].rule_title, len(rows), shown))
    return out


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
    # commune_id → indicator_code → the previous period's published value (held-back ones left out)
    previous_figures: dict[str, dict[str, float]] = field(default_factory=dict)

    # --- lists officials ask for, derived from the figures above so they cannot disagree with them ---
    def indicator(self, code: str) -> Indicator:
        return next(i for i in self.indicators if i.code == code)

    def commune_change(self, commune_id: str, indicator: Indicator) -> float | None:
        """The commune's change from the previous period (`change`); None when either figure is missing or
        held back."""
        figure = self.figures.get(commune_id, {}).get(indicator.code)
        if figure is None or figure.withheld:
            return None
        return change(indicator, figure.value, self.previous_figures.get(commune_id, {}).get(indicator.code))

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
        per_rule, budget = SCORECARD_ROWS_PER_RULE, SCORECARD_FINDING_ROWS
        return {c: group_findings(rows, per_rule, budget) for c, rows in own.items()}

    def findings_of(self, commune_id: str) -> list[FindingGroup]:
        """The commune's own open findings for its scorecard, grouped by rule."""
        return self._findings_by_commune.get(commune_id, [])

    @cached_property
    def fingerprint(self) -> str:
        """sha256 of the model: the same data gives the same files, so this is the data version (computed
        once: the manifest and every format print it)."""
        text = json.dumps(self, sort_keys=True, default=_plain, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value: object) -> object:
    """What `json.dumps` cannot write: a dataclass as the dict of its fields (the same text as
    `dataclasses.asdict` gives, without its deep copy of every value: 1,2 s for a year's 25 thousand
    findings), anything else (dates, decimals) as its text."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    return str(value)
