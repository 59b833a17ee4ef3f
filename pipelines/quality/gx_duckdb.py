"""The one workaround that lets Great Expectations 1.x validate DuckDB tables with SQL pushed down.

GX closes its SQLAlchemy connection before fetching results for most dialects, and duckdb-engine then
returns no rows: every expectation fails with `MetricResolutionError: list index out of range`
(great_expectations #11579 / #10738). GX keeps the connection open for the dialects listed in the
private `_PERSISTED_CONNECTION_DIALECTS`; adding DuckDB there fixes it. This module is the only place
that touches that private name; `tests/test_gx_duckdb.py` fails loudly if an upgrade breaks it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

import sqlalchemy as sa
from great_expectations.execution_engine import sqlalchemy_execution_engine as _engine


class _DuckDBDialect:
    """Stands in for a `GXSqlDialect` member: GX compares with `==` and with `.value.startswith`."""

    value = "duckdb"

    def __eq__(self, other: object) -> bool:
        return str(getattr(other, "value", other)).lower() == self.value

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return "<DuckDB dialect (kept connected, see pipelines/quality/gx_duckdb.py)>"


def keep_duckdb_connections_open() -> None:
    """Idempotent: register DuckDB as a dialect whose connection GX keeps open."""
    dialects = _engine._PERSISTED_CONNECTION_DIALECTS
    if not any(d == "duckdb" for d in dialects if isinstance(d, _DuckDBDialect)):
        _engine._PERSISTED_CONNECTION_DIALECTS = (*dialects, _DuckDBDialect())


@contextmanager
def duckdb_connections_closed() -> Iterator[None]:
    """Close every DuckDB connection GX opens inside the block, so the file is free afterwards.

    GX creates engines for the datasource and for the execution engine and has no close step that
    reaches both (the persisted connection above is never closed). A DuckDB file left open blocks the
    next writer (dbt) and any read-only reader in this process, so the DB-API connections are tracked
    as they are opened and closed on the way out.
    """
    opened: list[sa.engine.Connection] = []

    def track(connection: sa.engine.Connection) -> None:
        opened.append(connection)

    sa.event.listen(sa.engine.Engine, "engine_connect", track)
    try:
        yield
    finally:
        sa.event.remove(sa.engine.Engine, "engine_connect", track)
        engines = {id(c.engine): c.engine for c in opened}
        for connection in opened:
            with suppress(Exception):
                connection.close()  # back to its pool, reset while the DB-API connection still lives
        for engine in engines.values():
            engine.dispose()  # closes the pooled DB-API connections: the file is released
