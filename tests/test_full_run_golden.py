"""The same sources give the same published bytes and the same marts, before and after a change meant to
keep behaviour (a refactoring): the main job's outputs on the small sample, published on a fixed date,
are compared with the digests recorded in tests/fixtures/golden/full_run.json.

A change that means to alter outputs records them again: `CDS_UPDATE_GOLDEN=1 pytest
tests/test_full_run_golden.py`, and the diff of the JSON shows which outputs changed."""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date
from pathlib import Path

import duckdb

from pipelines.reports.publish import MANIFEST, publish_period

GOLDEN = Path(__file__).parent / "fixtures" / "golden" / "full_run.json"
ISSUED_ON = date(2025, 10, 10)
# Columns that say where this run's files happen to be (a temporary folder) or when it ran, not what the
# data says.
_PATH_COLUMNS = {"source_file", "evidence_file", "path"}
_WHEN_COLUMNS = {"loaded_at", "ingested_at", "first_seen_at", "last_seen_at", "resolved_at", "validated_at"}


def _table_digest(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> str:
    columns = [
        name
        for (name,) in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "order by ordinal_position",
            [schema, table],
        ).fetchall()
        if name not in _PATH_COLUMNS | _WHEN_COLUMNS
    ]
    select = ", ".join(f'"{c}"' for c in columns)  # sql-checked: names from the catalog, quoted
    rows = con.execute(f'select {select} from "{schema}"."{table}" order by all').fetchall()  # sql-checked
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _digests(warehouse: Path, out: Path) -> dict[str, str]:
    digests = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for schema, table in con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('marts', 'quality') and table_type = 'BASE TABLE' order by all"
        ).fetchall():
            digests[f"{schema}.{table}"] = _table_digest(con, schema, table)
        periods = [
            p
            for (p,) in con.execute(
                "select distinct period_key from marts.fct_commune_indicator order by 1"
            ).fetchall()
        ]
        for period in periods:
            publication = publish_period(con, period, out, "golden", today=ISSUED_ON, force=True)
            for path in sorted(publication.folder.iterdir()):
                if path.name != MANIFEST:
                    digests[f"reports/{period}/{path.name}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def test_a_full_run_gives_the_recorded_outputs(pipeline_run, tmp_path: Path):
    settings, _ = pipeline_run
    digests = _digests(settings.warehouse_path, tmp_path / "reports")
    if os.environ.get("CDS_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(json.dumps(digests, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    recorded = json.loads(GOLDEN.read_text(encoding="utf-8"))
    changed = sorted(k for k in recorded.keys() | digests.keys() if recorded.get(k) != digests.get(k))
    assert not changed, f"outputs differ from the recorded run: {changed}"
