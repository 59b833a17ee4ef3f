"""The benchmark's scales (kept apart from the harness so `cds --help` imports nothing heavy)."""

from __future__ import annotations

from dataclasses import dataclass

NATIONAL_COMMUNES = 3_321


@dataclass(frozen=True)
class Scale:
    name: str
    communes: int
    quarters: int
    dossiers: int
    note: str
    # runs on the national reference (pipelines/tools/bench/national.py), not the province's
    national: bool = False


SCALES = {
    "default": Scale("default", 96, 4, 80_000, "the sample `make run` uses"),
    "1m": Scale("1m", 96, 4, 1_000_000, "a busy province's year"),
    "10m": Scale("10m", 96, 4, 10_000_000, "ten years of a province, or a year of a region"),
    # For a manual run (hours, ~12 GB of disk): every commune of the country over two years.
    "national": Scale(
        "national", NATIONAL_COMMUNES, 8, 20_000_000, "3,321 communes × 8 quarters (2024–2025)", national=True
    ),
}
DEFAULT_SCALES = ("default", "1m", "10m")
