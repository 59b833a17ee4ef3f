"""A writer that waits: while another process (a BI tool, a duckdb shell) holds warehouse.duckdb, the
pipeline retries with backoff for a bounded time, then fails naming the process that holds the lock."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.core.dbfile import WarehouseLockedError, connect_waiting, lock_holder
from pipelines.resources import WarehouseResource

HOLDER = (
    "import duckdb, sys, time\n"
    "con = duckdb.connect(sys.argv[1])\n"
    "print('holding', flush=True)\n"
    "time.sleep(float(sys.argv[2]))\n"
    "con.close()\n"
    "time.sleep(60)\n"
)


def _hold(path: Path, seconds: float) -> subprocess.Popen:
    """Another process that opens `path` for writing and keeps it `seconds` (then lives on, unlocked)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "holding"
    return holder


def test_a_lock_held_past_the_wait_fails_naming_the_process(tmp_path: Path):
    path = tmp_path / "warehouse.duckdb"
    holder = _hold(path, 60)
    try:
        started = time.monotonic()
        with pytest.raises(WarehouseLockedError) as raised:
            connect_waiting(path, wait_seconds=1.5)
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert 1.0 <= waited < 10  # it retried for about the bound, then gave up
    message = str(raised.value)
    assert f"tiến trình {holder.pid}" in message and f"process {holder.pid}" in message
    assert "-c import duckdb" in message  # the holder's command line, so the operator knows what to close
    assert "CDS_WAREHOUSE_LOCK_WAIT" in message


def test_the_writer_gets_the_file_once_the_other_process_lets_go(tmp_path: Path):
    path = tmp_path / "warehouse.duckdb"
    holder = _hold(path, 1.0)
    try:
        warehouse = WarehouseResource(path=str(path), lock_wait_seconds=30)
        started = time.monotonic()
        with warehouse.connect() as con:
            con.execute("create table t as select 1 as x")
        assert time.monotonic() - started >= 0.5  # it did wait
        warehouse.wait_until_free()  # free now: returns at once
    finally:
        holder.kill()
        holder.wait()


def test_other_errors_are_not_retried(tmp_path: Path):
    started = time.monotonic()
    with pytest.raises(Exception) as raised:
        connect_waiting(tmp_path / "absent.duckdb", read_only=True, wait_seconds=30)
    assert time.monotonic() - started < 5 and not isinstance(raised.value, WarehouseLockedError)
    assert lock_holder(raised.value) is None


def test_the_lock_wait_is_a_setting():
    from pipelines.settings import Settings

    assert Settings.from_env({"CDS_WAREHOUSE_LOCK_WAIT": "5"}).warehouse_lock_wait == 5.0
    with pytest.raises(ValueError, match="CDS_WAREHOUSE_LOCK_WAIT"):
        Settings.from_env({"CDS_WAREHOUSE_LOCK_WAIT": "soon"})
