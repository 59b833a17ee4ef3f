"""dbt unit tests: the tricky calculations (ratios of sums, Decision 766 on-time rules, latest values) on
hand-written rows; and the data tests that guard the models' own logic (keys, relationships, accepted values,
tag `logic`). Both run here rather than in every production build (the main job excludes them)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from pipelines.warehouse.manifest import dbt_command, dbt_env


def _dbt_test(pipeline_run, selection: str, target: Path) -> list[dict]:
    """`dbt test --select <selection>` on the warehouse the main job built; its results, all passed."""
    settings, _ = pipeline_run
    completed = subprocess.run(
        dbt_command("test", "--select", selection, "--target-path", str(target)),
        env=dbt_env(settings.warehouse_path, settings.duckdb_memory_limit, settings.reference_dir),
        capture_output=True,
        text=True,
    )
    results = json.loads((target / "run_results.json").read_text())["results"]
    failed = [r["unique_id"] for r in results if r["status"] != "pass"]
    assert completed.returncode == 0 and not failed, completed.stdout[-3000:]
    return results


def test_every_dbt_unit_test_passes(pipeline_run, tmp_path):
    results = _dbt_test(pipeline_run, "test_type:unit", tmp_path / "target")
    assert len(results) >= 8  # every unit test in the project ran
    assert all(r["unique_id"].startswith("unit_test.") for r in results)


def test_every_logic_test_of_the_models_passes_on_a_built_warehouse(pipeline_run, tmp_path):
    """Keys, relationships and accepted values of the staging, intermediate, mart and reporting models, on the
    warehouse the main job built: the production build leaves them out (they judge the code, not the data)."""
    results = _dbt_test(pipeline_run, "tag:logic", tmp_path / "target")
    assert len(results) >= 90  # the models' data tests all ran
    assert all(r["unique_id"].startswith("test.") for r in results)
