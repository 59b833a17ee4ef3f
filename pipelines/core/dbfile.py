"""Open the warehouse file, waiting a bounded time while another process holds its lock.

DuckDB takes one writer XOR many readers per file, across processes. An analyst's BI tool or a `duckdb`
shell left open on `warehouse.duckdb` would otherwise make the run fail at once. The pipeline waits with a
growing pause (0.2 s up to 5 s) for at most `CDS_WAREHOUSE_LOCK_WAIT` seconds, then fails with a message that
names the process holding the lock, so the operator knows what to close.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import duckdb

_LOCK_HELD = re.compile(
    r"Could not set lock on file .*?Conflicting lock is held in (?P<program>.*?) \(PID (?P<pid>\d+)\)"
)
FIRST_PAUSE = 0.2
LONGEST_PAUSE = 5.0

log = logging.getLogger("cds.warehouse")


class WarehouseLockedError(RuntimeError):
    """Another process kept the warehouse file locked for longer than the pipeline waits."""


def lock_holder(error: Exception) -> tuple[int, str] | None:
    """(pid, program) of the process DuckDB says holds the lock, or None when the error is another one."""
    match = _LOCK_HELD.search(str(error))
    return (int(match["pid"]), match["program"]) if match else None


def _command_line(pid: int, program: str) -> str:
    """The holder's command line when this machine shows it (Linux /proc), else its program."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return program
    return raw.replace(b"\0", b" ").decode("utf-8", "replace").strip() or program


def connect_waiting(
    path: str | Path, read_only: bool = False, config: dict[str, str] | None = None, wait_seconds: float = 0.0
) -> duckdb.DuckDBPyConnection:
    """`duckdb.connect`, retried with backoff while another process holds the file's lock."""
    deadline = time.monotonic() + wait_seconds
    pause = FIRST_PAUSE
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=config or {})
        except duckdb.IOException as error:
            holder = lock_holder(error)
            if holder is None:
                raise
            if time.monotonic() + pause > deadline:
                pid, program = holder
                command = _command_line(pid, program)
                raise WarehouseLockedError(
                    f"Kho dữ liệu {path} đang bị tiến trình {pid} ({command}) giữ khóa quá "
                    f"{wait_seconds:g} giây: hãy đóng chương trình đó (công cụ BI, cửa sổ duckdb) "
                    f"rồi chạy lại (the warehouse {path} has been locked by process {pid} for more "
                    f"than {wait_seconds:g} s; close that program, or raise CDS_WAREHOUSE_LOCK_WAIT, "
                    "and run again)"
                ) from error
            log.warning("warehouse %s locked by process %s; retrying in %.1f s", path, holder[0], pause)
            time.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE)


def wait_until_free(
    path: str | Path, config: dict[str, str] | None = None, wait_seconds: float = 0.0
) -> None:
    """Return once the file can be opened for writing (before handing it to dbt or GX, which do not wait)."""
    if Path(path).exists():
        connect_waiting(path, config=config, wait_seconds=wait_seconds).close()
