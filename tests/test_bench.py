"""The benchmark's own parts: the measurement, the national reference data, and the Markdown summary."""

from __future__ import annotations

import sys
from datetime import date, timedelta

from pipelines.reference import CommuneResolver, ascii_fold, read_seed
from pipelines.tools.bench.harness import markdown, ratios
from pipelines.tools.bench.measure import run_measured
from pipelines.tools.bench.national import national_calendar, write_national_reference


def test_peak_memory_counts_what_a_process_really_held():
    # 300 MB held for a moment: the kernel's peak and the sampled tree both see it; wall time is real.
    grab = "import time; b = bytearray(300 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); time.sleep(0.3)"
    m = run_measured([sys.executable, "-c", grab])
    assert m.returncode == 0
    assert 300 <= m.peak_rss_mb < 450
    assert m.wall_s >= 0.3


def test_a_child_process_memory_is_counted_in_the_stage():
    child = (
        "import time; b = bytearray(200 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); time.sleep(0.3)"
    )
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}], check=True)"
    assert run_measured([sys.executable, "-c", parent]).peak_rss_mb >= 200


def test_the_national_reference_resolves_every_commune_by_name(tmp_path):
    folder = write_national_reference(tmp_path / "reference", communes=3_321)
    communes = read_seed("ref_communes", folder)
    assert len(communes) == 3_321 and len({c["commune_id"] for c in communes}) == 3_321
    assert len({ascii_fold(c["commune_name"]).lower() for c in communes}) == 3_321
    resolver = CommuneResolver.from_seeds(folder)
    assert all(resolver.resolve(c["name_with_type"]) == c["commune_id"] for c in communes)
    assert resolver.resolve("Xã Hòa Bình") is None  # the sample's commune from elsewhere stays unknown


def test_the_national_calendar_covers_eight_quarters_without_gaps():
    rows = national_calendar()
    quarters = [r for r in rows if r["period_type"] == "quarter"]
    assert [r["period_key"] for r in quarters][0] == "2024-Q1" and len(quarters) == 8
    for before, after in zip(quarters, quarters[1:], strict=False):
        assert date.fromisoformat(before["ends_on"]) + timedelta(days=1) == date.fromisoformat(
            after["starts_on"]
        )
    assert {r["period_key"] for r in rows if r["period_type"] != "quarter"} == {
        "2024-9M",
        "2024-Y",
        "2025-9M",
        "2025-Y",
    }
    assert len({r["request_letter"] for r in rows}) == len(rows)


def _stage(wall: float, peak: float) -> dict:
    return {"wall_s": wall, "peak_rss_mb": peak}


def test_ratios_and_table_are_computed_from_the_measurements():
    pipeline = {
        "wall_s": 40.0,
        "peak_rss_mb": 900.0,
        "stages": {
            "startup": _stage(4.0, 250.0),
            "ingest": _stage(10.0, 600.0),
            "warehouse": _stage(12.0, 900.0),
            "checks": _stage(8.0, 700.0),
            "reports": _stage(10.0, 500.0),
        },
        "full_run": _stage(30.0, 900.0),
        "incremental_run": _stage(6.0, 800.0),
        "incremental_share": 0.2,
    }
    limit = {"wall_s": 6.0, "peak_rss_mb": 500.0, "stages": {"load": 3.0, "transform": 2.0, "checks": 1.0}}
    peer = {"wall_s": 60.0, "peak_rss_mb": 2700.0, "stages": {"load": 40.0, "transform": 15.0, "checks": 5.0}}
    r = ratios(pipeline, limit, peer)
    assert r["pipeline_over_limit"] == {"ingest": 3.33, "warehouse": 6.0, "checks": 8.0, "total": 5.0}
    assert r["pandas_over_pipeline"]["total"] == 2.0 and r["pandas_over_pipeline"]["memory"] == 3.0
    report = {
        "measured_at": "2026-11-23T00:00:00+07:00",
        "machine": {"cpus": 2, "cpu": "test", "memory_gib": 24, "python": "3.11", "duckdb": "2.0.0"},
        "scales": [
            {
                "scale": "1m",
                "dossiers": 1_000_000,
                "results_agree": True,
                "pipeline": pipeline,
                "limit": limit,
                "pandas": peer,
                "ratios": r,
                "generate": _stage(9.0, 300.0),
            }
        ],
    }
    table = markdown(report)
    assert (
        "| 1m | 1,000,000 | **total** | **40.0** | **900** | **6.0** | **500** | **60.0** | **2,700** "
        "| **5.00** | **2.00** |" in table
    )
    assert "| 1m | 9.0 | 30.0 | 6.0 | 20% |" in table


def test_another_reference_folder_reaches_dbt_relative_to_its_project(tmp_path):
    from pathlib import Path

    import pytest

    from pipelines.settings import DBT_PROJECT_DIR, PROJECT_ROOT
    from pipelines.warehouse.manifest import seed_path_env

    assert seed_path_env(DBT_PROJECT_DIR / "seeds") == {}
    inside = PROJECT_ROOT / "outputs" / "bench" / "work" / "national" / "reference"
    assert seed_path_env(inside) == {
        "CDS_DBT_SEED_PATH": str(Path("..", "outputs", "bench", "work", "national", "reference"))
    }
    with pytest.raises(ValueError, match="must be inside"):
        seed_path_env(Path("/") / "elsewhere" / "reference")


def test_the_bench_stages_cover_every_asset_of_the_main_job_once():
    """A stage that lost an asset (one moved to another package) would time a pipeline that fails."""
    from pipelines.definitions import defs
    from pipelines.tools.bench.stages import STAGES, stage_selection

    graph = defs.resolve_asset_graph()
    chosen = [stage_selection(s).resolve(graph) for s in STAGES if s != "startup"]
    assert set().union(*chosen) == graph.get_all_asset_keys()
    assert sum(len(c) for c in chosen) == len(graph.get_all_asset_keys())


def test_with_a_server_the_bench_times_the_server_step_as_a_stage_of_its_own():
    from dataclasses import replace

    from pipelines.definitions import build_definitions
    from pipelines.settings import get_settings
    from pipelines.tools.bench.stages import stage_selection, stages_for
    from pipelines.warehouse.server import SERVER_WAREHOUSE

    assert stages_for(False)[-1] == "reports" and stages_for(True)[-1] == "server"
    served = replace(get_settings(), postgres_url="postgresql://cds@127.0.0.1:5432/cds")
    graph = build_definitions(served).resolve_asset_graph()
    chosen = [stage_selection(s).resolve(graph) for s in stages_for(True) if s != "startup"]
    assert chosen[-1] == {SERVER_WAREHOUSE}
    assert set().union(*chosen) == graph.get_all_asset_keys()
    assert sum(len(c) for c in chosen) == len(graph.get_all_asset_keys())
    checks = stage_selection("server").resolve_checks(graph)
    assert {key.name for key in checks} == {"same_checks_on_server", "same_report_on_server"}
