"""Runs that died are marked failed, never left `STARTED`.

The instance allows one run at a time (`dagster.yaml`: DuckDB takes one writer). A run whose process was
killed (`kill -9`, a power cut) stays `STARTED` in Dagster's storage, and the queue would then wait for it
for ever: no sensor run, no scheduled publication. Every run this project starts carries the pid and host
of the process that executes it; a run still in progress whose process no longer exists on this host is
stale, and is reported failed, with a message naming the dead process. This sweep runs when `cds run`
starts, on every tick of the schedules and the sensor (so queued runs are freed without anyone looking),
and by hand with `cds runs --clean`. Runs launched by the daemon in their own process are watched by
Dagster's own run monitoring as well (`run_monitoring` in `dagster.yaml`).
"""

from __future__ import annotations

import os
import socket

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

MAIN_JOB_NAME = "main_job"  # sources in, warehouse built, checks run, reports published (definitions.py)
# Who answers for every asset (the UI's catalogue and asset pages): the Department's data team.
OWNERS = ["team:du-lieu-chuyen-doi-so"]
PID_TAG = "cds/pid"
HOST_TAG = "cds/host"
IN_PROGRESS = [DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING]


def process_tags() -> dict[str, str]:
    """Tags that name the process executing a run (this one)."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def stale_runs(instance: DagsterInstance) -> list:
    """Runs in progress, executed on this host by a process that no longer exists."""
    host = socket.gethostname()
    stale = []
    for run in instance.get_runs(filters=RunsFilter(statuses=IN_PROGRESS)):
        pid = run.tags.get(PID_TAG, "")
        if (
            run.tags.get(HOST_TAG) == host
            and pid.isdigit()
            and int(pid) != os.getpid()
            and not _alive(int(pid))
        ):
            stale.append(run)
    return stale


def fail_stale_runs(instance: DagsterInstance) -> list[str]:
    """Report every stale run failed; returns one line per run for the caller's log."""
    lines = []
    for run in stale_runs(instance):
        message = (
            f"Lượt chạy {run.run_id} bị dừng đột ngột (tiến trình {run.tags[PID_TAG]} không còn): đánh dấu "
            f"thất bại (run {run.run_id} died with its process {run.tags[PID_TAG]}; marked failed)"
        )
        instance.report_run_failed(run, message=message)
        lines.append(message)
    return lines
