"""Read the dossier system directly from its database, incrementally, through SQLAlchemy.

Any SQLAlchemy URL works (tests use a generated SQLite file as a stand-in for the real system). Rows are
pulled in batches ordered by the updated-at column, strictly after the stored watermark, streamed into a
DuckDB staging table and landed by the same typing and quarantine SQL as the file exports. Each pull is
registered like a file (its sha256 is the hash of the rows pulled), so the conservation check covers it.
A dossier updated later (resolved, withdrawn) comes again with a newer updated-at and a newer load time;
the warehouse keeps the latest row per dossier code.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipelines.ingest.dossier_exports import RAW_DDL, _land, map_header
from pipelines.ingest.register import FileResult, ensure_register, register_file, stage_text_rows
from pipelines.partitions import quarter_bounds, quarter_keys

if TYPE_CHECKING:
    import sqlalchemy as sa

SOURCE_KIND = "dossier_db"
BATCH_ROWS = 50_000
WATERMARK_DDL = """
create table if not exists raw.source_watermarks (
    source varchar primary key,
    watermark varchar not null,
    updated_at timestamp not null
);
"""


@dataclass(frozen=True)
class DossierTable:
    """Where the dossiers live in the source database and which column orders their changes."""

    table: str = "ho_so"
    updated_at_column: str = "ngay_cap_nhat"


@dataclass(frozen=True)
class Window:
    """One quarter's share of the database, by received date, with its own watermark. The first window is
    open towards the past (and takes rows without a received date, which then land in quarantine), the last
    towards the future, so every row of the system belongs to exactly one window."""

    quarter: str
    starts_on: date | None
    next_starts_on: date | None


def _redacted(url: str) -> str:
    import sqlalchemy as sa  # here and below, not at start-up: only a database pull needs it

    return sa.engine.make_url(url).render_as_string(hide_password=True)


def _watermark(con: duckdb.DuckDBPyConnection, source: str) -> str | None:
    rows = con.execute("select watermark from raw.source_watermarks where source = ?", [source]).fetchall()
    return rows[0][0] if rows else None


def pull_dossier_db(
    con: duckdb.DuckDBPyConnection,
    url: str,
    spec: DossierTable = DossierTable(),
    batch_rows: int = BATCH_ROWS,
    window: Window | None = None,
) -> list[FileResult]:
    """Pull every row changed since the watermark (of the window, when given); one register entry per
    batch."""
    import sqlalchemy as sa

    con.execute(RAW_DDL)
    ensure_register(con)
    con.execute(WATERMARK_DDL)
    source = f"{_redacted(url)}#{spec.table}" + (f"#{window.quarter}" if window else "")
    engine = sa.create_engine(url)
    results: list[FileResult] = []
    try:
        with engine.connect() as db:
            table = sa.Table(spec.table, sa.MetaData(), autoload_with=db)
            headers = [c.name for c in table.columns]
            mapping = map_header(headers, Path(source))
            stamp = table.c[spec.updated_at_column]
            query = sa.select(table).order_by(stamp)
            watermark = _watermark(con, source)
            if watermark is not None:
                query = query.where(stamp > watermark)
            if window is not None:
                query = query.where(_in_window(table.c[mapping.columns["received_at"]], window))
            # sql-checked: a SQLAlchemy Core select, compiled with bound parameters and quoted names
            cursor = db.execution_options(stream_results=True).execute(query)
            pulled = 0
            while batch := cursor.fetchmany(batch_rows):
                results.append(_land_batch(con, source, headers, mapping, batch, pulled, spec))
                pulled += len(batch)
    finally:
        engine.dispose()
    return results


def _in_window(received: sa.ColumnElement, window: Window) -> sa.ColumnElement[bool]:
    import sqlalchemy as sa

    conditions = []
    if window.starts_on is not None:
        conditions.append(received >= window.starts_on.isoformat())
    if window.next_starts_on is not None:
        conditions.append(received < window.next_starts_on.isoformat())
    if window.starts_on is None:
        return sa.or_(received.is_(None), sa.and_(*conditions)) if conditions else sa.true()
    return sa.and_(*conditions)


def _land_batch(con, source: str, headers, mapping, batch, pulled: int, spec: DossierTable) -> FileResult:
    digest = hashlib.sha256(repr((source, [tuple(r) for r in batch])).encode()).hexdigest()
    newest = str(batch[-1][headers.index(spec.updated_at_column)])
    stage_text_rows(con, len(headers), ((pulled + 1 + i, row) for i, row in enumerate(batch)))
    label = Path(f"{source}@{newest}")
    con.begin()  # rows, register line and watermark move together
    try:
        loaded, held = _land(con, mapping, digest)
        register_file(con, digest, label, SOURCE_KIND, loaded + held, loaded, held, "loaded", size=0)
        con.execute(
            "insert or replace into raw.source_watermarks values (?, ?, ?)", [source, newest, datetime.now()]
        )
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        con.execute("drop table if exists _staged")
    return FileResult(label, digest, "loaded", loaded, held)


def window_for(quarter: str) -> Window:
    """The calendar quarter's window; the first and last quarters of the calendar stay open outwards."""
    order = quarter_keys()
    i = order.index(quarter)
    return Window(
        quarter,
        quarter_bounds(quarter)[0] if i > 0 else None,
        quarter_bounds(order[i + 1])[0] if i + 1 < len(order) else None,
    )
