"""The analysts' read-only copy: what it holds, that the shell opens it read-only, and that a reader holding
it open during a whole pipeline run is never blocked and never blocks the run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from pipelines.run import run_main_job
from pipelines.warehouse.analyst import connection_url, publish_analyst_copy
from pipelines.warehouse.dbt import BUILD_MARKS, INCREMENTAL_GENERATION

COUNTS = """select (select count(*) from marts.fct_commune_indicator),
                  (select count(*) from quality.dq_findings),
                  (select count(*) from reporting.held_back_figures)"""
PERSONAL = ("full_name", "birth_date", "phone", "citizen_id", "person_key")

# Separate processes, as analysts' tools would be. `hold` keeps one connection open the whole time; `fresh`
# opens a new one every round (the moment the copy is swapped is when an open could fail). They must be two
# processes: within one, DuckDB hands a second connection to the same file the instance already open.
READER = textwrap.dedent(
    """
    import json, select, sys, duckdb
    path, mode = sys.argv[1:]
    query = "select count(*), (select run_id from main.about) from marts.fct_commune_indicator"
    held = duckdb.connect(path, read_only=True) if mode == "hold" else None
    print("ready", flush=True)
    counts, run_ids, errors, rounds = set(), set(), [], 0
    while not select.select([sys.stdin], [], [], 0.05)[0]:
        rounds += 1
        try:
            con = held or duckdb.connect(path, read_only=True)
            count, run_id = con.execute(query).fetchone()
            counts.add(count)
            run_ids.add(run_id)
            if not held:
                con.close()
        except Exception as error:
            errors.append(repr(error))
    print(json.dumps({"rounds": rounds, "counts": sorted(counts), "run_ids": sorted(run_ids),
                      "errors": errors}), flush=True)
    """
)


def _catalog(path: Path) -> dict[str, set[str]]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            """select table_schema, table_name from information_schema.tables
               where table_catalog = current_database()"""
        ).fetchall()
    catalog: dict[str, set[str]] = {}
    for schema, table in rows:
        catalog.setdefault(schema, set()).add(table)
    return catalog


def test_the_copy_holds_what_analysts_read_and_nothing_personal(pipeline_run):
    settings, result = pipeline_run
    copy = _catalog(settings.analyst_path)
    warehouse = _catalog(settings.warehouse_path)
    assert copy["marts"] == warehouse["marts"] and copy["quality"] == warehouse["quality"]
    assert copy["reference"] == warehouse["reference"]
    assert copy["raw"] == {"ingested_files", "quarantine"}
    assert "restricted" in warehouse and not {"restricted", "staging", "intermediate"} & copy.keys()
    with duckdb.connect(str(settings.analyst_path), read_only=True) as con:
        personal = con.execute(
            "select table_name, column_name from information_schema.columns where column_name in ?",
            [list(PERSONAL)],
        ).fetchall()
        about = con.execute("select run_id, tables from main.about").fetchone()
        tables = con.execute(
            """select count(*) from duckdb_tables()
               where database_name = current_database() and schema_name <> 'main'"""
        ).fetchone()[0]
        counts = con.execute(COUNTS).fetchone()
    assert personal == []
    assert about == (result.run_id, tables)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert counts == con.execute(COUNTS).fetchone()
    assert counts[0] > 0 and counts[2] > 0


def test_make_sql_opens_the_copy_read_only(pipeline_run):
    settings, _ = pipeline_run
    env = {**os.environ, "CDS_ANALYST_PATH": str(settings.analyst_path)}
    cds = Path(sys.executable).parent / "cds"
    read = subprocess.run(
        [cds, "sql", "-csv", "-c", "select count(*) from marts.dim_commune"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert read.returncode == 0, read.stderr
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        communes = con.execute("select count(*) from marts.dim_commune").fetchone()[0]
    assert int(read.stdout.split()[-1]) == communes > 0
    write = subprocess.run(
        [cds, "sql", "-c", "create table marts.scratch (a int)"], env=env, capture_output=True, text=True
    )
    assert write.returncode != 0 and "read-only" in (write.stdout + write.stderr)


def test_readers_of_the_copy_are_never_blocked_by_a_run(pipeline_run):
    settings, first = pipeline_run
    readers = {
        mode: subprocess.Popen(
            [sys.executable, "-c", READER, str(settings.analyst_path), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for mode in ("hold", "fresh")
    }
    try:
        assert all(reader.stdout.readline().strip() == "ready" for reader in readers.values())
        # the whole pipeline, readers on (rebuild: the same sources would otherwise be found unchanged)
        second = run_main_job(settings, DagsterInstance.ephemeral(), rebuild=True)
        seen = {}
        for mode, reader in readers.items():
            out, err = reader.communicate("stop\n", timeout=60)
            seen[mode] = json.loads(out.strip().splitlines()[-1])
            assert seen[mode]["errors"] == [], err
            assert seen[mode]["rounds"] > 10
            assert len(seen[mode]["counts"]) == 1  # same data in: the old and the new copy agree
    finally:
        for reader in readers.values():
            reader.kill()
    assert second.success
    # The held connection kept reading the copy it opened; new connections saw the swap happen.
    assert seen["hold"]["run_ids"] == [first.run_id]
    assert set(seen["fresh"]["run_ids"]) == {first.run_id, second.run_id}


def test_a_failed_copy_leaves_the_previous_one_in_place(tmp_path: Path):
    destination = tmp_path / "analyst.duckdb"
    destination.write_bytes(b"previous copy")
    with pytest.raises(duckdb.Error):
        publish_analyst_copy(tmp_path / "missing" / "warehouse.duckdb", destination)
    assert destination.read_bytes() == b"previous copy"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["analyst.duckdb"]


def test_the_connection_string_for_bi_tools_reads_and_cannot_write(pipeline_run):
    import sqlalchemy

    settings, _ = pipeline_run
    engine = sqlalchemy.create_engine(connection_url(settings.analyst_path))
    try:
        with engine.connect() as con:
            assert con.execute(sqlalchemy.text("select count(*) from marts.dim_period")).scalar() > 0
            with pytest.raises(sqlalchemy.exc.DBAPIError, match="read-only"):
                con.execute(sqlalchemy.text("create table marts.scratch (a int)"))
    finally:
        engine.dispose()


# A warehouse of two tables: an incremental one (replaced by key for rows loaded since the last run, as dbt's
# delete+insert does) and an ordinary one, with the build mark of the incremental tables' generation.
DOSSIERS = ("marts", "fct_dossier")
INCREMENTAL = {DOSSIERS: "dossier_code"}


def _warehouse(path: Path, generation: str) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            "create table if not exists marts.fct_dossier "
            "(dossier_code varchar, outcome varchar, loaded_at timestamp)"
        )
        con.execute(
            "create or replace table marts.dim_period as select 'Q' || range as period_key from range(4)"
        )
        con.execute(f"create table if not exists {BUILD_MARKS} (name varchar primary key, digest varchar)")
        con.execute(
            f"insert or replace into {BUILD_MARKS} values (?, ?)", [INCREMENTAL_GENERATION, generation]
        )


def _load(path: Path, rows: list[tuple[str, str]], at: str) -> None:
    """dbt's delete+insert of newly loaded rows."""
    with duckdb.connect(str(path)) as con:
        con.execute(
            "delete from marts.fct_dossier where dossier_code in (select unnest(?))", [[c for c, _ in rows]]
        )
        con.executemany("insert into marts.fct_dossier values (?, ?, ?::timestamp)", [(*r, at) for r in rows])


def _rows(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select * from marts.fct_dossier order by all").fetchall()


def test_the_copy_follows_an_incremental_table_by_the_rows_loaded_since(tmp_path: Path):
    warehouse, destination = tmp_path / "warehouse.duckdb", tmp_path / "analyst.duckdb"
    _warehouse(warehouse, "run-1")
    _load(warehouse, [("A", "open"), ("B", "late"), ("C", "early")], "2025-01-10")
    first = publish_analyst_copy(warehouse, destination, incremental=INCREMENTAL)
    assert first.followed == []  # nothing to follow yet: written whole
    # a later export: A is finished now, D is new; B and C are not in it
    _load(warehouse, [("A", "on_time"), ("D", "open")], "2025-04-02")
    second = publish_analyst_copy(warehouse, destination, incremental=INCREMENTAL)
    assert second.followed == ["marts.fct_dossier"]
    assert _rows(destination) == _rows(warehouse)
    assert [r[:2] for r in _rows(destination)] == [
        ("A", "on_time"),
        ("B", "late"),
        ("C", "early"),
        ("D", "open"),
    ]
    with duckdb.connect(str(destination), read_only=True) as con:
        assert con.execute("select count(*) from marts.dim_period").fetchall() == [(4,)]
        assert con.execute("select generation from main.about").fetchall() == [("run-1",)]


def test_the_copy_is_written_whole_after_a_full_rebuild_or_when_it_would_differ(tmp_path: Path):
    warehouse, destination = tmp_path / "warehouse.duckdb", tmp_path / "analyst.duckdb"
    _warehouse(warehouse, "run-1")
    _load(warehouse, [("A", "open"), ("B", "late")], "2025-01-10")
    publish_analyst_copy(warehouse, destination, incremental=INCREMENTAL)
    # a full rebuild (a corrected classification) changes rows that were loaded before
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update marts.fct_dossier set outcome = 'on_time' where dossier_code = 'B'")
    _warehouse(warehouse, "run-2")
    rebuilt = publish_analyst_copy(warehouse, destination, incremental=INCREMENTAL)
    assert rebuilt.followed == []
    assert _rows(destination) == _rows(warehouse)
    # rows gone from the warehouse with no newer load (never done by dbt): the counts differ, written whole
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from marts.fct_dossier where dossier_code = 'A'")
    _load(warehouse, [("E", "open")], "2025-07-01")
    diverged = publish_analyst_copy(warehouse, destination, incremental=INCREMENTAL)
    assert diverged.followed == []
    assert _rows(destination) == _rows(warehouse)
