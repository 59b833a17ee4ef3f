"""The warehouse on a PostgreSQL server (`CDS_WAREHOUSE=postgres`): what lands in the local DuckDB file is
copied, table by table, into the same schemas on the server, where dbt's `postgres` target builds the models.

The ingest keeps DuckDB as its working engine (typing every field of a dossier export in one `read_csv` pass,
setting bad rows aside) and its file as the landing buffer; the server receives the landed rows by `COPY`,
streamed through a temporary CSV file: no table is ever held in memory whole. A table is replaced in one
transaction, so a reader on the server sees the old rows or the new ones, never half.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.core.sqltext import quote_ident

log = logging.getLogger("cds.warehouse")

# The schemas the Python steps write and dbt reads as sources: the landed rows, the personal columns, the
# findings of the checks. Everything else on the server is dbt's.
COPIED_SCHEMAS = ("raw", "restricted", "quality")

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
            return f"case when {name} is null then null else '{{' || array_to_string(list_transform({name}, lambda x: {element}), ',') || '}}' end"
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
    seconds: float


def copy_to_postgres(
    duck: duckdb.DuckDBPyConnection, pg_url: str, schemas: Iterable[str] = COPIED_SCHEMAS
) -> list[CopiedTable]:
    """Replace each table of `schemas` on the server with the DuckDB file's rows (same names, same types)."""
    import psycopg2

    copied = []
    with tempfile.TemporaryDirectory(prefix="cds-pg-copy-") as folder, psycopg2.connect(pg_url) as pg:
        for schema, table in _tables(duck, schemas):
            started = time.perf_counter()
            columns = _columns(duck, schema, table)
            path = Path(folder) / "rows.csv"
            select = ", ".join(f"{c.export_expression()} as {quote_ident(c.name)}" for c in columns)
            duck.execute(  # sql-checked: names from our own warehouse's catalog, quoted; a temporary path of ours
                f"copy (select {select} from {quote_ident(schema)}.{quote_ident(table)}) to "
                f"'{_sql_string(str(path))}' (format csv, header false, force_quote *)"
            )
            target = f"{quote_ident(schema)}.{quote_ident(table)}"
            definition = ", ".join(f"{quote_ident(c.name)} {postgres_type(c.duckdb_type)}" for c in columns)
            with pg.cursor() as cur:
                cur.execute(f"create schema if not exists {quote_ident(schema)}")
                cur.execute(f"drop table if exists {target} cascade")
                # sql-checked: names from our own warehouse's catalog, quoted; types from the fixed map above
                cur.execute(f"create table {target} ({definition})")
                with open(path, encoding="utf-8") as rows:
                    cur.copy_expert(f"copy {target} from stdin with (format csv)", rows)
                count = cur.rowcount
            pg.commit()
            copied.append(CopiedTable(schema, table, count, time.perf_counter() - started))
            log.info("copied %s.%s to PostgreSQL: %d rows", schema, table, count)
    return copied


def _sql_string(text: str) -> str:
    """A path of ours (a temporary folder) as an SQL string literal: DuckDB's COPY takes no parameter."""
    return text.replace("'", "''")
