"""Rows into raw tables, and the one type every raw table gives a figure.

A figure as landed (a form's numerator, a number read out of a report) is `decimal(24, 6)` in every raw
table: 18 whole digits, six decimals. A number with more whole digits than `FIGURE_LIMIT` allows is set
aside as `number_too_large` before it is inserted, never rounded and never an aborted transaction. Rates
as printed are `decimal(12, 6)` (`RATE_LIMIT`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

import duckdb

from pipelines.core.sqltext import quote_ident, quote_qualified

FIGURE = "decimal(24, 6)"
FIGURE_LIMIT = Decimal(10) ** 18
RATE = "decimal(12, 6)"
RATE_LIMIT = Decimal(10) ** 6


def use_column_types(con: duckdb.DuckDBPyConnection, table: str, types: dict[str, str]) -> None:
    """Bring the columns of a raw table an earlier version created to `types` (widening a decimal is
    lossless); a column already of its type is left alone, so this costs nothing on every later run."""
    schema, _, name = table.partition(".")
    current = dict(
        con.execute(
            """select column_name, data_type from information_schema.columns
               where table_schema = ? and table_name = ?""",
            [schema, name],
        ).fetchall()
    )
    for column, wanted in types.items():
        if column in current and current[column].replace(" ", "").lower() != wanted.replace(" ", "").lower():
            # sql-checked: names quoted; the type is one of this module's constants
            con.execute(f"alter table {quote_qualified(table)} alter {quote_ident(column)} type {wanted}")


def insert_rows(
    con: duckdb.DuckDBPyConnection, table: str, rows: Iterable[Sequence[object]], chunk: int = 10_000
) -> int:
    """Bulk insert in chunks through a small DataFrame, the fastest way into DuckDB from Python rows
    (executemany is ~1 ms a row, multi-row VALUES ~0.1 ms; a frame ~3 µs). Only chunks are ever held."""
    import pandas as pd  # here, not at start-up: a run with nothing new inserts nothing

    count = 0
    for batch in _batches(rows, chunk):
        _insert_rows_frame = pd.DataFrame(batch, dtype=object)  # noqa: F841 (read by name, below)
        # DuckDB finds the frame by its variable name (a replacement scan): registering and unregistering
        # a view per call cost ~1,5 ms, a third of landing a 30-row form.
        con.execute(f"insert into {quote_qualified(table)} select * from _insert_rows_frame")
        count += len(batch)
    return count


def _batches(rows: Iterable[Sequence[object]], size: int) -> Iterator[list[Sequence[object]]]:
    batch: list[Sequence[object]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
