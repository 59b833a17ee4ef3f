"""Crash safety: a run killed with SIGKILL is marked failed by the next run's sweep, so the one-run-at-a-
time queue is never blocked by a dead run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from pipelines.runs import IN_PROGRESS, fail_stale_runs, stale_runs
from pipelines.settings import Settings

RUNNER = textwrap.dedent(
    """
    import time
    from dagster import DagsterInstance, job, op
    from pipelines.runs import process_tags

    @op
    def slow():
        time.sleep(120)

    @job
    def long_job():
        slow()

    long_job.execute_in_process(instance=DagsterInstance.get(), tags=process_tags())
    """
)


def _in_progress(instance: DagsterInstance) -> list:
    return list(instance.get_runs(filters=RunsFilter(statuses=IN_PROGRESS)))


def test_a_run_killed_with_sigkill_is_marked_failed_and_frees_the_queue(tmp_path: Path):
    settings = Settings.from_env({"DAGSTER_HOME": str(tmp_path / "home"), "CDS_OUTPUTS_DIR": str(tmp_path)})
    home = settings.prepare_dagster_home()
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    process = subprocess.Popen([sys.executable, "-c", RUNNER], env=env, cwd=Path(__file__).parent.parent)
    try:
        instance = DagsterInstance.from_config(str(home))
        deadline = time.monotonic() + 60
        while not _in_progress(instance):
            assert time.monotonic() < deadline and process.poll() is None, "the run never started"
            time.sleep(0.2)
        (running,) = _in_progress(instance)
        assert stale_runs(instance) == []  # alive: not touched
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        assert instance.get_run_by_id(running.run_id).status == DagsterRunStatus.STARTED  # left behind
        (line,) = fail_stale_runs(instance)
        assert running.run_id in line and str(process.pid) in line
        assert instance.get_run_by_id(running.run_id).status == DagsterRunStatus.FAILURE
        assert _in_progress(instance) == []  # the queue (one run at a time) is free again
    finally:
        if process.poll() is None:
            process.kill()
