"""The warehouse on a PostgreSQL server (`CDS_POSTGRES_URL`, pipelines/warehouse/server.py): what lands in
the local DuckDB file is copied, table by table, into the same schemas on the server, where dbt's `postgres`
target builds the models.

The ingest keeps DuckDB as its working engine (typing every field of a dossier export in one `read_csv` pass,
setting bad rows aside) and its file as the landing buffer; the server receives the landed rows by `COPY`,
streamed through a temporary CSV file: no table is ever held in memory whole. A table is replaced in one
transaction, so a reader on the server sees the old rows or the new ones, never half.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.core.sqltext import quote_ident, quote_qualified
from pipelines.settings import DEFAULT_LOCK_WAIT_SECONDS
from pipelines.warehouse.state import rows_digest

log = logging.getLogger("cds.warehouse")

# The schemas the Python steps write and dbt reads as sources: the landed rows and the findings of the
# checks. Never `restricted` (names, birth dates, citizen IDs): no model reads it, and personal data stays
# off the server. Everything else on the server is dbt's.
COPIED_SCHEMAS = ("raw", "quality")

_SIMPLE_TYPES = {
    "VARCHAR": "text",
    "BOOLEAN": "boolean",
    "TINYINT": "smallint",
    "SMALLINT": "smallint",
    "INTEGER": "integer",
    "BIGINT": "bigint",
    "HUGEINT": "numeric(38, 0)",
    "FLOAT": "real",
    "DOUBLE": "double precision",
    "DATE": "date",
    "TIME": "time",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "JSON": "jsonb",
    "BLOB": "bytea",
    "UUID": "uuid",
}


def postgres_type(duckdb_type: str) -> str:
    """The PostgreSQL column type that holds a DuckDB column's values unchanged."""
    if duckdb_type in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[duckdb_type]
    if duckdb_type.startswith("DECIMAL("):
        return "numeric" + duckdb_type[len("DECIMAL") :]
    if duckdb_type.endswith("[]"):
        return postgres_type(duckdb_type[:-2]) + "[]"
    raise ValueError(f"no PostgreSQL type for the DuckDB type {duckdb_type}")


@dataclass(frozen=True)
class Column:
    name: str
    duckdb_type: str

    def export_expression(self) -> str:
        """How DuckDB writes the value so that PostgreSQL's CSV `COPY` reads it back as the same value."""
        name = quote_ident(self.name)
        if self.duckdb_type.endswith("[]"):
            # PostgreSQL's array literal: {"a","b"}, each element quoted with \ and " escaped; NULL stays NULL
            element = "'\"' || replace(replace(x, '\\', '\\\\'), '\"', '\\\"') || '\"'"
            elements = f"list_transform({name}, lambda x: {element})"
            return f"case when {name} is not null then '{{' || array_to_string({elements}, ',') || '}}' end"
        if self.duckdb_type == "BLOB":
            return f"'\\x' || hex({name})"
        return name


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[Column]:
    rows = con.execute(
        "select column_name, data_type from duckdb_columns() where schema_name = ? and table_name = ? "
        "order by column_index",
        [schema, table],
    ).fetchall()
    return [Column(name, data_type) for name, data_type in rows]


def _tables(con: duckdb.DuckDBPyConnection, schemas: Iterable[str]) -> list[tuple[str, str]]:
    wanted = list(schemas)
    return con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = current_database() "
        "and schema_name in (select unnest(?::varchar[])) order by schema_name, table_name",
        [wanted],
    ).fetchall()


@dataclass(frozen=True)
class CopiedTable:
    schema: str
    table: str
    rows: int
    unchanged: bool = False  # its rows were on the server already: nothing copied


# What the server holds of each copied table: its columns and a fingerprint of its rows, so that a run
# copies only the tables that changed (a nothing-new run copies nothing).
COPIES = "main.cds_copies"


def _shape(columns: list[Column]) -> str:
    """The columns a table is made with, kept as the server table's comment."""
    return "cds-columns: " + ", ".join(f"{c.name} {c.duckdb_type}" for c in columns)


def _fingerprint(duck: duckdb.DuckDBPyConnection, schema: str, table: str, columns: list[Column]) -> str:
    """Row count, the order-free sum of the rows' hashes, and the column definitions."""
    count, total = rows_digest(duck, schema, table)
    return f"{count}|{total}|{_shape(columns)}"


class ServerLockedError(RuntimeError):
    """A session on the server kept a table the run must replace for longer than the run waits."""


def lock_timeout_options(seconds: float) -> str:
    """libpq's PGOPTIONS for the pipeline's sessions: wait at most `seconds` for a table's lock (an
    analyst's session left inside a transaction holds its tables until it ends), then fail."""
    return f"-c lock_timeout={max(1, int(seconds * 1000))}"


def sessions_holding(pg_url: str, schemas: Iterable[str]) -> str:
    """Who holds a table of `schemas` (pid, user, application, state, how long its transaction has been
    open), as the server tells: what an operator needs to end the session that blocks a run."""
    import psycopg2

    with contextlib.closing(psycopg2.connect(pg_url)) as pg, pg, pg.cursor() as cur:
        cur.execute(
            """select distinct a.pid, a.usename, coalesce(nullif(a.application_name, ''), '?'), a.state,
                      date_trunc('second', now() - a.xact_start)
               from pg_locks l
               join pg_class c on c.oid = l.relation
               join pg_namespace n on n.oid = c.relnamespace
               join pg_stat_activity a on a.pid = l.pid
               where l.granted and n.nspname = any(%s) and a.pid <> pg_backend_pid()
                 and a.backend_type = 'client backend' and a.xact_start is not null""",
            [list(schemas)],
        )
        found = cur.fetchall()
    listed = [
        f"pid {pid} ({user}, {app}, {state}, giao dịch mở {age})" for pid, user, app, state, age in found
    ]
    return "; ".join(listed) or "?"


def locked_error(what: str, holders: str, seconds: float) -> ServerLockedError:
    return ServerLockedError(
        f"{what} trên máy chủ PostgreSQL bị phiên khác giữ quá {seconds:g} giây: {holders}. Hãy kết thúc "
        f"giao dịch đang mở của phiên đó (công cụ BI, cửa sổ SQL) rồi chạy lại ({what} was held by another "
        f"session for more than {seconds:g} s: end its open transaction, or raise CDS_WAREHOUSE_LOCK_WAIT, "
        "and run again)"
    )


def copy_to_postgres(
    duck: duckdb.DuckDBPyConnection,
    pg_url: str,
    schemas: Iterable[str] = COPIED_SCHEMAS,
    only_changed: bool = False,
    lock_wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
) -> list[CopiedTable]:
    """Put each table of `schemas` on the server with the DuckDB file's rows (same names, same types). A
    table of the same columns is emptied and filled in one transaction (a reader waits, then sees the new
    rows); a table whose columns changed is made again. `only_changed`: leave a table whose rows the
    server has already. A table another session holds for longer than `lock_wait_seconds` stops the copy
    with `ServerLockedError`, naming that session."""
    import psycopg2
    from psycopg2 import errors

    copied = []
    options = lock_timeout_options(lock_wait_seconds)
    with (
        tempfile.TemporaryDirectory(prefix="cds-pg-copy-") as folder,
        contextlib.closing(psycopg2.connect(pg_url, options=options)) as pg,
    ):
        with pg.cursor() as cur:
            cur.execute("create schema if not exists main")
            cur.execute(
                f"create table if not exists {COPIES} (schema_name text, table_name text, fingerprint text, "
                "primary key (schema_name, table_name))"
            )
            # a fingerprint counts only for a table still there: one dropped on the server (by hand, by a
            # restore) is copied again, never taken as unchanged
            cur.execute(
                f"""select c.schema_name, c.table_name, c.fingerprint from {COPIES} c
                    join information_schema.tables t
                      on t.table_schema = c.schema_name and t.table_name = c.table_name"""
            )
            known = {(s, t): f for s, t, f in cur.fetchall()}
        pg.commit()
        for schema, table in _tables(duck, schemas):
            columns = _columns(duck, schema, table)
            fingerprint = _fingerprint(duck, schema, table, columns)
            if only_changed and known.get((schema, table)) == fingerprint:
                copied.append(CopiedTable(schema, table, 0, unchanged=True))
                continue
            path = Path(folder) / "rows.csv"
            select = ", ".join(f"{c.export_expression()} as {quote_ident(c.name)}" for c in columns)
            # sql-checked: names from our own warehouse's catalog, quoted; a temporary path of ours
            duck.execute(
                f"copy (select {select} from {quote_qualified(f'{schema}.{table}')}) to "
                f"'{_sql_string(str(path))}' (format csv, header false, force_quote *)"
            )
            try:
                count = _replace_table(pg, schema, table, columns, path)
            except errors.LockNotAvailable as error:
                pg.rollback()
                holders = sessions_holding(pg_url, [schema])
                raise locked_error(f"bảng {schema}.{table}", holders, lock_wait_seconds) from error
            with pg.cursor() as cur:
                cur.execute(
                    f"insert into {COPIES} values (%s, %s, %s) on conflict (schema_name, table_name) "
                    "do update set fingerprint = excluded.fingerprint",
                    [schema, table, fingerprint],
                )
            pg.commit()
            path.unlink()
            copied.append(CopiedTable(schema, table, count))
            log.info("copied %s.%s to PostgreSQL: %d rows", schema, table, count)
    return copied


def _replace_table(pg, schema: str, table: str, columns: list[Column], path: Path) -> int:
    """Empty and fill one table from the CSV at `path`, uncommitted; the rows copied. A table of the same
    columns is emptied (TRUNCATE keeps the views that read it: the reporting views read the findings), one
    whose columns changed (an upgrade) is made again. The columns a table was made with are its comment."""
    target = quote_qualified(f"{schema}.{table}")
    shape = _shape(columns)
    with pg.cursor() as cur:
        cur.execute(f"create schema if not exists {quote_ident(schema)}")
        cur.execute("select obj_description(to_regclass(%s), 'pg_class')", [f"{schema}.{table}"])
        if cur.fetchone()[0] == shape:
            cur.execute(f"truncate {target}")
        else:
            definition = ", ".join(f"{quote_ident(c.name)} {postgres_type(c.duckdb_type)}" for c in columns)
            cur.execute(f"drop table if exists {target} cascade")
            # sql-checked: names from our own warehouse's catalog, quoted; types from the fixed map above
            cur.execute(f"create table {target} ({definition})")
            cur.execute(f"comment on table {target} is %s", [shape])
        with open(path, encoding="utf-8") as rows:
            cur.copy_expert(f"copy {target} from stdin with (format csv)", rows)
        return cur.rowcount


def _sql_string(text: str) -> str:
    """A path of ours (a temporary folder) as an SQL string literal: DuckDB's COPY takes no parameter."""
    return text.replace("'", "''")


class QmarkConnection:
    """A psycopg2 connection that takes `?` placeholders, as DuckDB's do, so one query text (the report
    reader's, `pipelines/reports/read.py`) runs on both engines. `execute` returns the cursor, as DuckDB's
    does."""

    def __init__(self, connection) -> None:
        self._connection = connection

    def execute(self, query: str, parameters: list | None = None, /):
        cursor = self._connection.cursor()
        # sql-checked: the report reader's own query texts; values travel as parameters
        cursor.execute(query.replace("%", "%%").replace("?", "%s"), list(parameters or []))
        return cursor
