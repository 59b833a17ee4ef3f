"""The server deployment's Dagster instance: with CDS_DAGSTER_POSTGRES_URL, runs, their events and schedule
states are kept in PostgreSQL (dagster-postgres), where another process (the webserver, the daemon, the next
`cds run`) reads them, and nothing of them in SQLite files under DAGSTER_HOME. Runs against a throwaway
cluster of Debian's PostgreSQL (tests/postgres.py), installed by `.ci/run` when missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import yaml

PROJECT = Path(__file__).parent.parent


def _probe(home: Path, url: str, run_id: str) -> dict:
    """What a fresh process sees in the instance: the run, its events, the schedules' states."""
    code = """
import json, sys
from dagster import DagsterInstance
with DagsterInstance.get() as instance:
    run = instance.get_run_by_id(sys.argv[1])
    print(json.dumps({
        "storage": type(instance.run_storage).__name__,
        "status": run.status.value if run else None,
        "events": len(instance.all_logs(sys.argv[1])),
        "schedules": {s.name: s.status.value for s in instance.all_instigator_state()},
    }))
"""
    env = {**os.environ, "DAGSTER_HOME": str(home), "CDS_DAGSTER_POSTGRES_URL": url}
    done = subprocess.run(
        [sys.executable, "-c", code, run_id], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_runs_events_and_schedules_persist_in_postgres(postgres_url, pipeline_run, tmp_path, monkeypatch):
    from dagster import DagsterInstance

    from pipelines.definitions import build_definitions
    from pipelines.reports.remind import remind_run_config

    settings, _ = pipeline_run
    monkeypatch.setenv("DAGSTER_HOME", os.environ.get("DAGSTER_HOME", ""))  # restored after the test
    monkeypatch.setenv("CDS_DAGSTER_POSTGRES_URL", "")
    server_settings = replace(
        settings,
        dagster_home=tmp_path / "home",
        outputs_dir=tmp_path / "outputs",
        dagster_postgres_url=postgres_url,
    )
    home = server_settings.prepare_dagster_home()
    config = yaml.safe_load((home / "dagster.yaml").read_text(encoding="utf-8"))
    assert config["storage"] == {"postgres": {"postgres_url": {"env": "CDS_DAGSTER_POSTGRES_URL"}}}
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 1  # the project's settings kept

    with DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        job = build_definitions(server_settings).resolve_job_def("remind_job")
        result = job.execute_in_process(
            run_config=remind_run_config("2025-Q1", date(2025, 4, 20)), instance=instance
        )
        assert result.success
    stopped = subprocess.run(
        [
            str(Path(sys.executable).parent / "dagster"),
            "schedule",
            "stop",
            "publish_quarter_report",
            "-w",
            "workspace.yaml",
        ],
        cwd=PROJECT,
        env={**os.environ, "DAGSTER_HOME": str(home), "CDS_DAGSTER_POSTGRES_URL": postgres_url},
        capture_output=True,
        text=True,
    )
    assert stopped.returncode == 0, stopped.stderr[-2000:]

    seen = _probe(home, postgres_url, result.run_id)
    assert seen["storage"] == "PostgresRunStorage" and seen["status"] == "SUCCESS"
    assert seen["events"] > 5  # the run's event log, read back from the database
    assert seen["schedules"].get("publish_quarter_report") == "STOPPED"
    assert not list(home.rglob("*.db")), "a SQLite storage was written under DAGSTER_HOME"


def test_the_storage_follows_the_setting_and_an_operators_file_is_kept(tmp_path, monkeypatch):
    from pipelines.settings import POSTGRES_STORAGE, Settings

    monkeypatch.setenv("DAGSTER_HOME", os.environ.get("DAGSTER_HOME", ""))
    monkeypatch.setenv("CDS_DAGSTER_POSTGRES_URL", "")
    home = tmp_path / "home"
    plain = Settings.from_env({"DAGSTER_HOME": str(home)})
    served = replace(plain, dagster_postgres_url="postgresql://cds@127.0.0.1:5432/dagster")
    instance_yaml = plain.prepare_dagster_home() / "dagster.yaml"
    assert "postgres" not in instance_yaml.read_text(encoding="utf-8")
    served.prepare_dagster_home()
    assert instance_yaml.read_text(encoding="utf-8").endswith(POSTGRES_STORAGE)
    plain.prepare_dagster_home()  # the setting unset: back to the files under DAGSTER_HOME
    assert "postgres" not in instance_yaml.read_text(encoding="utf-8")
    instance_yaml.write_text("telemetry:\n  enabled: false\n", encoding="utf-8")  # the operator's own
    served.prepare_dagster_home()
    assert instance_yaml.read_text(encoding="utf-8") == "telemetry:\n  enabled: false\n"
