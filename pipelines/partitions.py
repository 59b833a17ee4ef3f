"""Quarter partitions of the source assets, taken from the reporting calendar.

A source file belongs to the quarter its data covers: a `2025-Q3` token in its file name or in the name of a
folder under the inbox (the Department's convention for exports and staffing lists), or, for a commune form
without one, the period written in its header (a 9-month form belongs to Q3, a year form to Q4: the quarter
its period ends in). A file whose quarter cannot be told is taken by the next run of any quarter, so nothing
is ever left behind in the inbox; the run says so in its metadata.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from functools import cache
from pathlib import Path

from dagster import StaticPartitionsDefinition

from pipelines.reference import read_seed
from pipelines.settings import get_settings

_PERIOD_TOKEN = re.compile(r"(?<!\d)(20\d\d)[-_ .]?(q[1-4]|9m|y)(?![0-9a-z])", re.IGNORECASE)

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


@cache
def calendar() -> tuple[dict[str, str], ...]:
    """The reporting calendar of the configured reference folder. The quarter partitions are part of the
    code location's definitions, fixed when it loads: this is the one place below the root that reads the
    settings, and only for that."""
    return tuple(read_seed("ref_reporting_calendar", get_settings().reference_dir))


@cache
def quarter_keys() -> tuple[str, ...]:
    """Quarters of the reporting calendar, in time order."""
    rows = [r for r in calendar() if r["period_type"] == "quarter"]
    return tuple(r["period_key"] for r in sorted(rows, key=lambda r: r["starts_on"]))


QUARTERS = StaticPartitionsDefinition(list(quarter_keys()))


def quarter_of_period(period_key: str | None) -> str | None:
    """The calendar quarter a reporting period ends in: 2025-9M → 2025-Q3, 2025-Y → 2025-Q4."""
    ends = {r["period_key"]: r["ends_on"] for r in calendar()}
    if period_key not in ends:
        return None
    return next((q for q in quarter_keys() if ends[q] == ends[period_key]), None)


def quarter_bounds(quarter: str) -> tuple[date, date]:
    row = next(r for r in calendar() if r["period_key"] == quarter)
    return date.fromisoformat(row["starts_on"]), date.fromisoformat(row["ends_on"])


def quarter_in_path(path: Path, root: Path) -> str | None:
    """The quarter of the period token (`2025-Q3`, `2025-9M`, `2025-Y`) in the file name, else in the nearest
    folder name between the file and `root`."""
    parts = [path.name, *(p.name for p in path.parents if root in p.parents)]
    for part in parts:
        match = _PERIOD_TOKEN.search(part)
        if match:
            return quarter_of_period(f"{match.group(1)}-{match.group(2).upper()}")
    return None


def select_files(
    paths: Iterable[Path],
    quarters: Iterable[str],
    quarter_of: Callable[[Path], str | None],
) -> tuple[list[Path], list[Path]]:
    """The files of the given quarters, plus those whose quarter cannot be told (returned apart as well)."""
    wanted = set(quarters)
    selected, unplaced = [], []
    for path in paths:
        quarter = quarter_of(path)
        if quarter is None:
            unplaced.append(path)
        if quarter is None or quarter in wanted:
            selected.append(path)
    return selected, unplaced


def quarter_range_tags(quarters: Iterable[str]) -> dict[str, str]:
    """Run tags for one run over the contiguous calendar range covering `quarters`."""
    order = quarter_keys()
    chosen = sorted(set(quarters) & set(order), key=order.index)
    if not chosen:
        raise ValueError("no calendar quarter to run")
    return {RANGE_START_TAG: chosen[0], RANGE_END_TAG: chosen[-1]}


def started_quarters(today: date) -> list[str]:
    """Calendar quarters that have begun by `today` (what a database-only deployment runs over)."""
    return [q for q in quarter_keys() if quarter_bounds(q)[0] <= today]
