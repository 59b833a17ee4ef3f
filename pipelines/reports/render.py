"""Render the provincial report for a period from the marts (pure: a connection in, HTML out)."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
from jinja2 import Environment, PackageLoader, select_autoescape

from pipelines.vietnamese import format_number, format_percent, period_label

_env = Environment(
    loader=PackageLoader("pipelines.reports", "templates"),
    autoescape=select_autoescape(["html", "xml", "j2"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["vn_number"] = format_number
_env.filters["vn_percent"] = format_percent
_env.filters["period_label"] = period_label
_env.filters["vn_date"] = lambda d: d.strftime("%d/%m/%Y") if d else "-"


@dataclass(frozen=True)
class CommuneRow:
    rank: int | None  # None: the figure is held back and not ranked
    commune_name: str
    numerator: int
    denominator: int
    value: float | None
    below_target: bool
    withheld: bool = False


def _has_table(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """Whether the data-quality run has created this table or view yet (a warehouse built before it)."""
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchone()[0]
    )


def _withheld_communes(con: duckdb.DuckDBPyConnection, period_key: str, indicator_code: str) -> set[str]:
    """Communes whose system figure of the indicator an open data-quality error holds back."""
    if not _has_table(con, "quality", "dq_blocked_figures"):
        return set()
    rows = con.execute(
        """select distinct commune_id from quality.dq_blocked_figures
           where period_key = ? and source = 'system' and (indicator_code is null or indicator_code = ?)""",
        [period_key, indicator_code],
    ).fetchall()
    return {commune for (commune,) in rows}


def _quality_summary(con: duckdb.DuckDBPyConnection, period_key: str) -> dict[str, int]:
    """Open findings (errors, warnings) on the quarters of the period."""
    if not _has_table(con, "quality", "dq_findings"):
        return {"errors": 0, "warnings": 0, "accepted": 0}
    errors, warnings, accepted = con.execute(
        """select count(*) filter (where status = 'open' and severity = 'error'),
                  count(*) filter (where status = 'open' and severity = 'warning'),
                  count(*) filter (where status = 'accepted')
           from quality.dq_findings f join marts.dim_period p on list_contains(p.quarter_keys, f.period_key)
           where p.period_key = ?""",
        [period_key],
    ).fetchone()
    return {"errors": errors, "warnings": warnings, "accepted": accepted}


def report_context(con: duckdb.DuckDBPyConnection, period_key: str) -> dict:
    period = con.execute(
        "select period_key, period_type, starts_on, ends_on, request_letter, due_on from marts.dim_period"
        " where period_key = ?",
        [period_key],
    ).fetchone()
    if period is None:
        raise ValueError(f"Kỳ báo cáo {period_key} không có trong lịch báo cáo (unknown period)")
    indicator = con.execute(
        "select name_vi, target_value from marts.dim_indicator where indicator_code = 'DOS_ONLINE_RATE'"
    ).fetchone()
    province = con.execute(
        """select numerator::bigint, denominator::bigint, value from marts.fct_commune_indicator
           where scope = 'province' and period_key = ? and indicator_code = 'DOS_ONLINE_RATE'
             and source = 'system'""",
        [period_key],
    ).fetchone()
    previous = con.execute(
        """select f.value from marts.fct_commune_indicator f join marts.dim_period p using (period_key)
           where f.scope = 'province' and f.indicator_code = 'DOS_ONLINE_RATE' and f.source = 'system'
             and p.period_type = ? and p.ends_on < ? order by p.ends_on desc limit 1""",
        [period[1], period[2]],
    ).fetchone()
    rows = con.execute(
        """select c.commune_id, c.name_with_type, f.numerator::bigint, f.denominator::bigint, f.value
           from marts.fct_commune_indicator f join marts.dim_commune c using (commune_id)
           where f.scope = 'commune' and f.period_key = ? and f.indicator_code = 'DOS_ONLINE_RATE'
             and f.source = 'system'
           order by f.value desc nulls last, c.commune_name""",
        [period_key],
    ).fetchall()
    target = indicator[1]
    withheld = _withheld_communes(con, period_key, "DOS_ONLINE_RATE")
    published = [row for row in rows if row[0] not in withheld]
    communes = [
        CommuneRow(i, name, num, den, value, target is not None and value is not None and value < target)
        for i, (_, name, num, den, value) in enumerate(published, start=1)
    ] + [
        CommuneRow(None, name, num, den, None, False, withheld=True)
        for commune, name, num, den, _ in rows
        if commune in withheld
    ]
    return {
        "period": dict(
            zip(("key", "type", "starts_on", "ends_on", "request_letter", "due_on"), period, strict=True)
        ),
        "indicator_name": indicator[0],
        "target": target,
        "province": dict(zip(("numerator", "denominator", "value"), province, strict=True))
        if province
        else None,
        "previous_value": previous[0] if previous else None,
        "communes": communes,
        "below_target": [c for c in communes if c.below_target],
        "withheld_count": len([c for c in communes if c.withheld]),
        "quality": _quality_summary(con, period_key),
    }


def render_report(context: dict, generated_on: date) -> str:
    return _env.get_template("provincial_report.html.j2").render(**context, generated_on=generated_on)


def publish(html: str, target_dir: Path, filename: str = "report.html") -> Path:
    """Write into a temporary folder beside the target, then swap it in: readers never see half a report."""
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}-", dir=target_dir.parent))
    (staging / filename).write_text(html, encoding="utf-8")
    if target_dir.exists():
        old = target_dir.with_name(f".{target_dir.name}-old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target_dir, old)
        os.replace(staging, target_dir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staging, target_dir)
    return target_dir / filename
