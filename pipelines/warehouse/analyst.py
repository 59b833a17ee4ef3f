"""The analysts' copy of the warehouse: a separate DuckDB file, replaced after each successful run.

DuckDB lets one process write a database file or many read it, never both at once. The pipeline holds
`warehouse.duckdb` while it runs, so analysts and BI tools read `analyst.duckdb` instead: it is written to a
temporary file beside the destination and renamed over it in one step. A reader that has the old file
open keeps reading the old version (the rename does not touch an open file) and the next connection sees
the new one; nobody waits for anybody.

What it holds is what an analyst should see: the marts, the data-quality findings, the reference data and
the file register with its quarantine. It never holds the `restricted` schema (names, birth dates,
citizen IDs of officials) nor the raw landing tables and staging views, which are the pipeline's internals.
It is written in the storage format of DuckDB 1.5, so the `duckdb` command line (`make sql`) and BI drivers
that lag behind the Python package can open it.

The dossier table is nearly all of the file (10 million rows at a country's scale, 11 s to write). It is an
incremental model: a run deletes and inserts the dossiers loaded since the previous one. So when the copy in
place was made from the same generation of the incremental tables (no full rebuild since, recorded by
warehouse/dbt.py), the scratch file starts as a byte copy of it, and those tables follow by the same
delete+insert; every other table is small and is written again, every view made again.
"""

import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from pipelines.core.dbfile import connect_waiting
from pipelines.core.sqltext import quote_ident
from pipelines.core.zipfiles import atomic_path
from pipelines.quality.assets import FINDINGS
from pipelines.resources import WarehouseResource
from pipelines.runs import OWNERS
from pipelines.warehouse.dbt import (
    recorded_generation,
    reporting_dbt_assets,
    warehouse_dbt_assets,
    warehouse_incremental_tables,
)

ANALYST_COPY = AssetKey(["analysts", "warehouse_copy"])
ANALYST_SCHEMAS = ("marts", "quality", "reference", "reporting")
ANALYST_EXTRA_TABLES = (("raw", "ingested_files"), ("raw", "quarantine"))
# The oldest storage format that holds everything the marts use; readable by DuckDB 1.5 and later.
STORAGE_VERSION = "v1.5.0"
ALIAS = "analyst"
# The load time the incremental models replace rows by (dbt_project/macros/loaded_since_last_run.sql).
LOADED_AT = "loaded_at"


@dataclass(frozen=True)
class AnalystCopy:
    path: Path
    tables: int
    views: int
    rows: int
    bytes: int
    followed: list[str]  # incremental tables brought up to date from the previous copy, not written whole


def _selected(con: duckdb.DuckDBPyConnection, catalog: str, kind: str) -> list[tuple]:
    """Tables (schema, name) or views (schema, name, sql) of the warehouse that belong in the copy."""
    tables = kind == "tables"
    columns = "schema_name, table_name" if tables else "schema_name, view_name, sql"
    name = "table_name" if tables else "view_name"
    listing = "duckdb_tables()" if tables else "duckdb_views()"
    extra = [{"s": s, "t": t} for s, t in ANALYST_EXTRA_TABLES]
    return con.execute(
        f"""select {columns} from {listing}
            where database_name = $catalog and not internal
              and (schema_name in (select unnest($schemas))
                   or struct_pack(s := schema_name, t := {name}) in (select unnest($extra)))
            order by schema_name, {name}""",
        {"catalog": catalog, "schemas": list(ANALYST_SCHEMAS), "extra": extra},
    ).fetchall()


def publish_analyst_copy(
    warehouse_path: Path,
    destination: Path,
    run_id: str = "",
    config: dict[str, str] | None = None,
    lock_wait_seconds: float = 0.0,
    incremental: Mapping[tuple[str, str], str] | None = None,
) -> AnalystCopy:
    """Copy the analyst-facing part of the warehouse into `destination`, atomically replacing it.

    `incremental` names the warehouse's incremental tables ((schema, table) -> unique key). When the copy in
    place was made from the same generation of them (no full rebuild since), it is the starting point: those
    tables take only the rows loaded since (delete+insert on the key, as dbt did), and everything else is
    written again. A copy whose row count then differs from the warehouse's is written whole."""
    with atomic_path(destination) as staged:
        tables, views, rows, reused = _write_copy(
            warehouse_path, staged, run_id, config or {}, lock_wait_seconds, incremental or {}, destination
        )
    return AnalystCopy(destination, tables, views, rows, destination.stat().st_size, reused)


def _previous_generation(path: Path) -> str | None:
    """The incremental generation the copy at `path` was made from; None when there is no usable copy."""
    if not path.is_file():
        return None
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute("select generation from main.about").fetchall()[0][0]
    except duckdb.Error:  # an older copy without the column, or not a DuckDB file: written whole
        return None


def _write_copy(
    warehouse_path: Path,
    staged: Path,
    run_id: str,
    config: dict[str, str],
    lock_wait_seconds: float,
    incremental: Mapping[tuple[str, str], str],
    previous: Path,
) -> tuple[int, int, int, list[str]]:
    """Write the copy into `staged`; return how many tables, views and rows it holds, and the tables that
    were brought up to date from the previous copy instead of written whole."""
    # Read-only on the warehouse: this step must not change it, and it then needs no write lock.
    con = connect_waiting(warehouse_path, True, config, lock_wait_seconds)
    try:
        catalog = con.execute("select current_database()").fetchone()[0]
        tables = _selected(con, catalog, "tables")
        views = _selected(con, catalog, "views")
        generation = recorded_generation(con)
        follow = bool(incremental) and generation is not None and _previous_generation(previous) == generation
        if follow:
            shutil.copyfile(previous, staged)
        con.execute(
            f"attach ? as {ALIAS} (read_only false, storage_version '{STORAGE_VERSION}')", [str(staged)]
        )
        if follow:
            _drop_all_but(con, {(s, t) for s, t in tables if (s, t) in incremental})
        for schema in sorted({s for s, *_ in tables} | {s for s, *_ in views}):
            con.execute(f"create schema if not exists {ALIAS}.{quote_ident(schema)}")
        rows, reused = 0, []
        for schema, table in tables:
            name = f"{quote_ident(schema)}.{quote_ident(table)}"
            key = incremental.get((schema, table))
            if follow and key and _followed(con, catalog, schema, table, key):
                reused.append(f"{schema}.{table}")
            else:
                con.execute(f"create or replace table {ALIAS}.{name} as from {quote_ident(catalog)}.{name}")
            rows += con.execute(f"select count(*) from {ALIAS}.{name}").fetchone()[0]
        # Views are defined with schema-qualified names only, so they resolve inside the copy.
        con.execute(f"use {ALIAS}")
        _create_views([sql for _, _, sql in views], con)
        con.execute(
            """create table main.about as select
                   $published_at::timestamptz as published_at, $run_id as run_id, $tables as tables,
                   $generation as generation,
                   'Bản sao chỉ đọc của kho dữ liệu, thay mới sau mỗi lần chạy.' as note""",
            {
                "published_at": datetime.now(UTC),
                "run_id": run_id,
                "tables": len(tables),
                "generation": generation,
            },
        )
        con.execute(f"use {quote_ident(catalog)}")
        con.execute(f"detach {ALIAS}")  # checkpoints: the file is complete, with no write-ahead log beside it
    finally:
        con.close()
    return len(tables), len(views), rows, reused


def _drop_all_but(con: duckdb.DuckDBPyConnection, kept: set[tuple[str, str]]) -> None:
    """Empty the previous copy of every view and table but `kept` (written again below, or gone)."""
    for schema, view in con.execute(
        "select schema_name, view_name from duckdb_views() where database_name = ? and not internal", [ALIAS]
    ).fetchall():
        con.execute(f"drop view {ALIAS}.{quote_ident(schema)}.{quote_ident(view)}")
    for schema, table in con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = ?", [ALIAS]
    ).fetchall():
        if (schema, table) not in kept:
            con.execute(f"drop table {ALIAS}.{quote_ident(schema)}.{quote_ident(table)}")


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        """select column_name, data_type from duckdb_columns()
           where database_name = ? and schema_name = ? and table_name = ? order by column_index""",
        [catalog, schema, table],
    ).fetchall()


def _followed(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str, key: str) -> bool:
    """Bring the previous copy of an incremental table up to date as dbt did the warehouse's: replace the
    rows whose key was loaded since the copy's latest load. False (nothing changed) when the columns differ;
    False after the change when the row counts still differ (the caller then writes the table whole)."""
    columns = _columns(con, catalog, schema, table)
    if columns != _columns(con, ALIAS, schema, table) or (LOADED_AT, "TIMESTAMP") not in columns:
        return False
    copy = f"{ALIAS}.{quote_ident(schema)}.{quote_ident(table)}"
    source = f"{quote_ident(catalog)}.{quote_ident(schema)}.{quote_ident(table)}"
    since = con.execute(f"select max({LOADED_AT}) from {copy}").fetchall()[0][0]
    newer = f"(select * from {source} where {LOADED_AT} > coalesce(?, '-infinity'::timestamp))"
    con.execute(
        f"delete from {copy} where {quote_ident(key)} in (select {quote_ident(key)} from {newer})", [since]
    )
    con.execute(f"insert into {copy} from {newer}", [since])
    counts = con.execute(f"select (select count(*) from {copy}), (select count(*) from {source})").fetchall()
    return counts[0][0] == counts[0][1]


def _create_views(definitions: list[str], con: duckdb.DuckDBPyConnection) -> None:
    """Create the views, each after the views it reads (a view is bound when it is created)."""
    pending = list(definitions)
    while pending:
        failed: list[tuple[str, duckdb.Error]] = []
        for sql in pending:
            try:
                con.execute(sql)  # sql-checked: view definitions from our own warehouse's catalog (dbt's)
            except duckdb.CatalogException as error:
                failed.append((sql, error))
        if len(failed) == len(pending):
            raise failed[0][1]
        pending = [sql for sql, _ in failed]


@asset(
    owners=OWNERS,
    key=ANALYST_COPY,
    group_name="analysts",
    kinds={"duckdb"},
    deps=[*warehouse_dbt_assets.keys, FINDINGS, *reporting_dbt_assets.keys],
    description="The analysts' read-only copy of the warehouse (marts, quality, reference, reporting; never "
    "the restricted schema), replaced atomically after each run: open it with `make sql`.",
)
def warehouse_copy(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    started = time.perf_counter()
    copy = publish_analyst_copy(
        Path(warehouse.path),
        Path(warehouse.analyst_path),
        context.run_id,
        warehouse.config,
        warehouse.lock_wait_seconds,
        warehouse_incremental_tables(),
    )
    return MaterializeResult(
        metadata={
            "path": MetadataValue.path(str(copy.path)),
            "connection": MetadataValue.text(connection_url(copy.path)),
            "tables": copy.tables,
            "views": copy.views,
            "rows": copy.rows,
            "size_mb": round(copy.bytes / 1e6, 1),
            "followed": MetadataValue.text(", ".join(copy.followed) or "-"),
            "seconds": round(time.perf_counter() - started, 2),
        }
    )


def connection_url(path: Path) -> str:
    """SQLAlchemy URL for BI tools and notebooks (duckdb-engine), read-only."""
    return f"duckdb:///{path}?access_mode=read_only"


assets = [warehouse_copy]
