"""Crash safety: a run killed with SIGKILL is marked failed by the next run's sweep, so the one-run-at-a-
time queue is never blocked by a dead run."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

from pipelines.core.files import file_sha256
from pipelines.reports import publish as publishing
from pipelines.reports.publish import (
    EDITIONS,
    INDEX,
    clean_reports_dir,
    publish_period,
    read_manifest,
    write_index,
)
from pipelines.runs import IN_PROGRESS, fail_stale_runs, stale_runs
from pipelines.settings import Settings
from tests.conftest import settings_for

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


# --- The publisher killed at every step ----------------------------------------------------------------
# Every file-system effect of a publication (folders made, files written, renames, links, removals) is a
# step; a forked child publishes and dies with os._exit (no clean-up, no finally: as under SIGKILL) just
# before step k, for k = 1, 2, … until a child gets to the end.

KILLED = 137
_EFFECTS = [
    (os, "mkdir"),
    (os, "replace"),
    (os, "rename"),
    (os, "symlink"),
    (os, "unlink"),
    (os, "chmod"),
    (shutil, "rmtree"),
    (Path, "write_text"),
    (Path, "write_bytes"),
]
PERIOD = "2025-Q1"


def _publish(warehouse: Path, reports: Path, run_id: str, today: date, force: bool) -> None:
    """What the report asset does: clear what killed runs left, publish, then write the index."""
    clean_reports_dir(reports)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        publish_period(con, PERIOD, reports, run_id, today=today, force=force)
    write_index(reports)


def _publish_killed_at(step: int, warehouse: Path, reports: Path) -> bool:
    """Publish (forced, same data) in a child that dies before its `step`-th effect; True if it died."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            count = 0
            for owner, name in _EFFECTS:
                real = getattr(owner, name)

                def deadly(*args, _real=real, **kwargs):
                    nonlocal count
                    count += 1
                    if count == step:
                        os._exit(KILLED)
                    return _real(*args, **kwargs)

                setattr(owner, name, deadly)
            _publish(warehouse, reports, "run-killed", date(2025, 5, 1), force=True)
            os._exit(0)
        except BaseException:
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    assert code in (0, KILLED), f"the publishing child failed (exit {code}) at step {step}"
    return code == KILLED


def _tree(reports: Path) -> dict[str, str]:
    """What a reader sees: every file under each published period and the index, with its digest."""
    seen = {}
    for entry in sorted(reports.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            for f in sorted(entry.iterdir()):
                seen[f"{entry.name}/{f.name}"] = hashlib.sha256(f.read_bytes()).hexdigest()
        else:
            seen[entry.name] = hashlib.sha256(entry.read_bytes()).hexdigest()
    return seen


def _assert_complete(reports: Path) -> None:
    """Every period a reader can open matches its manifest; the index links only such periods."""
    for entry in reports.iterdir():
        if entry.name.startswith(".") or entry.name == INDEX:
            continue
        manifest = read_manifest(entry)
        assert manifest is not None, f"{entry.name} is published without a manifest"
        for f in manifest["files"]:
            assert file_sha256(entry / f["name"]) == f["sha256"], f"{entry.name}/{f['name']} is not whole"
    if (reports / INDEX).exists():
        for period in re.findall(r'data-period="([^"]+)"', (reports / INDEX).read_text(encoding="utf-8")):
            assert read_manifest(reports / period) is not None, f"the index links {period}, not published"


def _assert_no_leftovers(reports: Path) -> None:
    """No scratch left, and every edition kept is in force or listed by one in force as an earlier one."""
    links = [e for e in reports.iterdir() if e.is_symlink()]
    live = {os.readlink(e) for e in links}
    live |= {earlier["folder"] for e in links for earlier in (read_manifest(e) or {}).get("editions", [])}
    hidden = {e.name for e in reports.iterdir() if e.name.startswith(".")}
    assert hidden <= {EDITIONS}, f"left behind: {hidden - {EDITIONS}}"
    editions = {f"{EDITIONS}/{e.name}" for e in (reports / EDITIONS).iterdir()}
    assert editions == live, f"editions nobody points at: {editions - live}"


@pytest.fixture(scope="module")
def reference(pipeline_run, tmp_path_factory) -> tuple[Path, Path, dict[str, str]]:
    settings, _ = pipeline_run
    reports = tmp_path_factory.mktemp("reference") / "reports"
    _publish(settings.warehouse_path, reports, "run-1", date(2025, 4, 10), force=False)
    return settings.warehouse_path, reports, _tree(reports)


@pytest.fixture
def fast_rendering(reference, monkeypatch):
    """The report model read once, and rendering that writes the reference edition's files one by one:
    the steps under test are the publisher's; the real rendering is killed in the `cds run` test below."""
    warehouse, published, _ = reference
    with duckdb.connect(str(warehouse), read_only=True) as con:
        report = publishing.build_report(con, PERIOD)
    names = list(publishing.file_names(PERIOD).values())  # in the order the real rendering lists them
    rendered = {name: (published / PERIOD / name).read_bytes() for name in names}

    def render_all(report, issued_on, folder, reviews=None, letterhead=None, edition=None):
        for name in names:
            (folder / name).write_bytes(rendered[name])
        return [folder / name for name in names]

    monkeypatch.setattr(publishing, "build_report", lambda con, key: report)
    monkeypatch.setattr(publishing, "render_all", render_all)


@pytest.mark.parametrize("first_time", [False, True], ids=["republication", "first-publication"])
def test_the_publisher_killed_at_every_step_leaves_whole_periods_and_the_next_run_converges(
    reference, fast_rendering, tmp_path: Path, first_time: bool
):
    warehouse, published, expected = reference
    step, deaths = 1, 0
    while True:
        reports = tmp_path / f"step-{step}" / "reports"
        if first_time:
            reports.mkdir(parents=True)
        else:
            shutil.copytree(published, reports, symlinks=True)
        died = _publish_killed_at(step, warehouse, reports)
        _assert_complete(reports)
        if not first_time:
            assert (reports / PERIOD).is_symlink() and read_manifest(reports / PERIOD), "the period vanished"
        # The next run (not forced, a later day) converges to the same bytes, dated as first published.
        _publish(
            warehouse, reports, "run-next", date(2025, 6, 1) if not first_time else date(2025, 4, 10), False
        )
        _assert_complete(reports)
        _assert_no_leftovers(reports)
        if first_time:  # a new run's first publication: its own run id, so other bytes; the same data
            fresh, original = read_manifest(reports / PERIOD), read_manifest(published / PERIOD)
            assert fresh["data_version"] == original["data_version"]
            assert sorted(_tree(reports)) == sorted(expected)
        else:
            assert _tree(reports) == expected, f"killed before step {step}: the next run did not converge"
        if not first_time:
            manifest = read_manifest(reports / PERIOD)
            assert (manifest["run_id"], manifest["issued_on"]) == ("run-1", "2025-04-10")
        if not died:
            break
        deaths += 1
        step += 1
        assert step < 200, "the publication never finished"
    print(f"{deaths} kills")
    assert deaths >= 10  # the publication has many steps, and it was killed before each of them


# --- A real `cds run` killed at several moments ---------------------------------------------------------
# Each kill takes the whole process group (the report helper too) with SIGKILL at a moment of the main job:
# while dbt builds, while reports are being rendered and switched in. After each:
# what is published is whole; the dead run is found stale. Then a full run must start (not blocked by the
# dead runs), leave no leftovers, and publish the same bytes as a run that was never killed.

# (A kill while ingesting is left to the per-file tests: each file lands in one transaction and its archive
# copy is whole or absent, tests/test_personal_at_rest.py; two kills here keep the suite's time in bounds.)
MOMENTS = [
    ("warehouse", lambda step, outputs: step == "warehouse_dbt_assets"),
    ("publication", lambda step, outputs: any((outputs / "reports").glob(".cds-tmp-*"))),
]


def _cds_run(env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "w") as out:  # a file, not a pipe nobody reads (a full pipe would stall the run)
        return subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "run"],
            env=env,
            cwd=Path(__file__).parent.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the kill takes the report helper as well
        )


def _started_steps(instance: DagsterInstance) -> list[str]:
    from dagster import DagsterEventType

    steps = []
    for run in _in_progress(instance):
        steps += [
            e.step_key or "" for e in instance.all_logs(run.run_id, of_type=DagsterEventType.STEP_START)
        ]
    return steps


def _kill_when(
    env: dict[str, str], home: Path, outputs: Path, moment, deadline_s: float = 240
) -> tuple[str, Path]:
    """Start `cds run`, SIGKILL its process group once `moment` holds; the killed run's id, and its log."""
    log = outputs.parent / f"cds-run-{time.monotonic_ns()}.log"
    process = _cds_run(env, log)
    instance = DagsterInstance.from_config(str(home))
    deadline = time.monotonic() + deadline_s
    try:
        while True:
            assert process.poll() is None, f"the run ended before it could be killed:\n{log.read_text()}"
            assert time.monotonic() < deadline, "the moment to kill never came"
            steps = _started_steps(instance)
            if any(moment(step, outputs) for step in steps):
                (run,) = _in_progress(instance)
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
                return run.run_id, log
            time.sleep(0.05)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_cds_run_killed_at_several_moments_never_publishes_half_and_the_next_run_converges(
    small_sample: Path, pipeline_run, tmp_path: Path
):
    settings = settings_for(small_sample, tmp_path)
    home = settings.prepare_dagster_home()
    env = {
        # Not this process's CDS_* (the in-process runs of other tests set CDS_WAREHOUSE_PATH for dbt).
        **{k: v for k, v in os.environ.items() if not k.startswith("CDS_")},
        "CDS_SOURCES_DIR": str(small_sample),
        "CDS_OUTPUTS_DIR": str(settings.outputs_dir),
        "DAGSTER_HOME": str(home),
    }
    outputs, reports = settings.outputs_dir, settings.reports_dir
    killed, logs = [], []
    for name, moment in MOMENTS:
        run_id, log = _kill_when(env, home, outputs, moment)
        killed.append(run_id)
        logs.append(log.read_text())
        if reports.is_dir():
            _assert_complete(reports)
        instance = DagsterInstance.from_config(str(home))
        assert killed[-1] in {r.run_id for r in stale_runs(instance)}, (
            f"killed during {name}: not found stale"
        )
    with pytest.raises(AssertionError, match="left behind|nobody points at"):
        _assert_no_leftovers(reports)  # the kill during publication left a scratch folder or an edition

    finished = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run"],
        env=env,
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    # Each dead run is named, and marked failed, by the run that starts after it.
    for run_id, next_output in zip(killed, [*logs[1:], finished.stdout], strict=True):
        assert f"Lượt chạy {run_id} bị dừng đột ngột" in next_output
    instance = DagsterInstance.from_config(str(home))
    assert all(instance.get_run_by_id(r).status == DagsterRunStatus.FAILURE for r in killed)
    assert _in_progress(instance) == []  # the queue is free: the next scheduled run launches
    _assert_complete(reports)
    _assert_no_leftovers(reports)
    assert not list(outputs.glob(".cds-tmp-*"))
    # The same bytes as the run that was never killed (same sources, same day): every rendered file, and
    # every field of each manifest but the run's own id and time.
    unkilled = pipeline_run[0].reports_dir
    periods = sorted(p.name for p in reports.iterdir() if p.is_symlink())
    assert periods == sorted(p.name for p in unkilled.iterdir() if p.is_symlink())
    for period in periods:
        ours, theirs = read_manifest(reports / period), read_manifest(unkilled / period)
        for manifest in (ours, theirs):
            del manifest["run_id"], manifest["generated_at"]
        assert ours == theirs, f"{period} did not converge"
