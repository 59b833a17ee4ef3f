"""The narrative rules run on reports without the warehouse: what `cds extract` and `cds check` print.

The reports are landed in an in-memory DuckDB with the same raw tables the pipeline writes and the reference
seeds the rules read, and every rule of the narrative suites (`expectations/raw_narrative_*.json`) runs on
them once, rows and evidence together: the very SQL Great Expectations runs in the pipeline, so the command
and the warehouse never disagree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from pipelines.core.files import file_sha256
from pipelines.narrative.extract import Extraction
from pipelines.narrative.ingest import RAW_DDL, land_extraction
from pipelines.quality.findings import rule_findings
from pipelines.quality.suites import SuiteSpec, load_suites
from pipelines.reference import SEEDS_DIR

NARRATIVE_SUITES = ("raw_narrative_figures", "raw_narrative_reports")
REFERENCE_SEEDS = ("ref_indicators", "ref_indicator_identities", "ref_reporting_calendar")


def narrative_suites() -> list[SuiteSpec]:
    return [spec for spec in load_suites(tier="findings") if spec.name in NARRATIVE_SUITES]


def findings_by_report(
    extractions: list[Extraction], reference_dir: Path | None = None
) -> dict[Path, list[dict[str, Any]]]:
    """The findings of the narrative rules on these reports, errors first, by report file. One in-memory
    database for all of them: setting one up costs ~80 ms, a report ~1 ms."""
    reference_dir = reference_dir or SEEDS_DIR
    found: dict[Path, list[dict[str, Any]]] = {e.path: [] for e in extractions}
    with duckdb.connect() as con:
        con.execute(RAW_DDL)
        con.execute("create schema reference")
        for seed in REFERENCE_SEEDS:
            con.execute(
                f"create table reference.{seed} as select * from read_csv(?, header = true)",
                [str(reference_dir / f"{seed}.csv")],
            )
        for extraction in extractions:
            land_extraction(con, file_sha256(extraction.path), extraction)
        for spec in narrative_suites():
            for expectation in spec.expectations:
                for finding in rule_findings(con, spec, expectation["meta"]["rule_code"]):
                    found[Path(finding["evidence_file"])].append(finding)
    return {path: sorted(findings, key=_errors_first) for path, findings in found.items()}


def _errors_first(finding: dict[str, Any]) -> tuple:
    return finding["severity"] != "error", finding["rule_code"], finding["finding_key"]


def report_findings(extraction: Extraction, reference_dir: Path | None = None) -> list[dict[str, Any]]:
    """The findings of the narrative rules on this one report, errors first."""
    return findings_by_report([extraction], reference_dir)[extraction.path]
