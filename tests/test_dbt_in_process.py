"""dbt run inside the Dagster process (pipelines/warehouse/inprocess.py): a failed command names dbt's
error, the warehouse file is free afterwards for this process's own connections (DuckDB refuses a second
configuration of an open file), and a command stopped midway stops dbt and frees the file too."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pytest

from pipelines.settings import DBT_PROJECT_DIR
from pipelines.warehouse import inprocess, manifest
from pipelines.warehouse.inprocess import DbtCommandFailed, run_dbt_command
from pipelines.warehouse.manifest import dbt_env


def _env(warehouse: Path) -> dict[str, str]:
    return dbt_env(warehouse, "1GB", DBT_PROJECT_DIR / "seeds")


def _opens_read_only(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute("select count(*) from reference.ref_communes").fetchall()


def _dbt_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("dbt-")]


def test_a_command_that_succeeds_leaves_the_warehouse_file_free(tmp_path: Path):
    warehouse = tmp_path / "w.duckdb"
    run_dbt_command(["seed", "--select", "ref_communes"], env=_env(warehouse), target_path=tmp_path / "t")
    communes = sum(1 for _ in (DBT_PROJECT_DIR / "seeds" / "ref_communes.csv").open(encoding="utf-8")) - 1
    assert _opens_read_only(warehouse) == [(communes,)]  # read-only, in this very process
    assert (tmp_path / "t" / "run_results.json").exists()
    assert not _dbt_threads()


def test_a_failed_command_raises_with_dbts_own_message_and_frees_the_file(tmp_path: Path):
    warehouse = tmp_path / "w.duckdb"
    run_dbt_command(["seed", "--select", "ref_communes"], env=_env(warehouse), target_path=tmp_path / "t1")
    # the staffing model reads raw.staffing, which this warehouse has never landed
    with pytest.raises(DbtCommandFailed, match=r"(?s)stg_staffing__officials.*raw.*staffing"):
        run_dbt_command(
            ["run", "--select", "stg_staffing__officials"], env=_env(warehouse), target_path=tmp_path / "t2"
        )
    assert _opens_read_only(warehouse)
    assert not _dbt_threads()


def test_a_command_stopped_midway_stops_dbt_and_frees_the_file(tmp_path: Path, monkeypatch):
    """The UI's stop arrives in the thread that reads dbt's events, as an exception: the open queries are
    interrupted, dbt's thread is waited for, and the exception goes on."""
    warehouse = tmp_path / "w.duckdb"
    cancelled = []
    real_cancel = inprocess._cancel_queries

    def stop(events):
        raise KeyboardInterrupt

    def cancel():
        cancelled.append(True)
        real_cancel()

    monkeypatch.setattr(inprocess, "_next", stop)
    monkeypatch.setattr(inprocess, "_cancel_queries", cancel)
    with pytest.raises(KeyboardInterrupt):
        run_dbt_command(["seed"], env=_env(warehouse), target_path=tmp_path / "t")
    assert cancelled == [True]
    assert not _dbt_threads()
    with duckdb.connect(str(warehouse), read_only=True) as con:  # free, whatever dbt got done
        con.execute("select 1").fetchall()


def test_a_warehouse_elsewhere_is_parsed_in_full_once_then_partially(tmp_path: Path, monkeypatch):
    """The project's partial-parse state is saved with the default profile; a command whose profile differs
    (here the warehouse's path) parses the whole project. The state it leaves is kept for the next command
    with the same profile, which then parses only what changed (~2 s a command less)."""
    monkeypatch.setattr(manifest, "PARSE_STATES", tmp_path / "states")
    env = _env(tmp_path / "elsewhere.duckdb")

    def parsed_in_full(target: Path) -> bool:
        run_dbt_command(["seed", "--select", "ref_communes"], env=env, target_path=target)
        return "Unable to do partial parsing" in (target / "dbt.log").read_text(encoding="utf-8")

    assert parsed_in_full(tmp_path / "first")
    assert not parsed_in_full(tmp_path / "second")
    # another profile (a different memory budget) does not take this one's state
    env = _env(tmp_path / "elsewhere.duckdb") | {"CDS_DUCKDB_MEMORY_LIMIT": "512MB"}
    assert parsed_in_full(tmp_path / "third")
