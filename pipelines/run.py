"""The main job run in this process, over the quarters that have source files: what `cds run`, the tests and
the benchmark do (the daemon's runs go through the code location instead)."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path

from dagster import DagsterInstance, Definitions, ExecuteInProcessResult

from pipelines.definitions import build_definitions
from pipelines.ingest import assets as ingest
from pipelines.partitions import quarter_range_tags
from pipelines.resources import build_resources
from pipelines.runs import MAIN_JOB_NAME, process_tags
from pipelines.settings import Settings
from pipelines.warehouse.dbt import reporting_dbt_assets, warehouse_dbt_assets
from pipelines.warehouse.state import promote_pending


def main_job_tags(settings: Settings) -> dict[str, str]:
    """One run over every quarter that has source files (with a dossier database, every quarter begun)."""
    sources = build_resources(settings)["sources"]
    quarters = ingest.run_quarters(
        ingest.files_by_quarter(sources), date.today(), database=bool(settings.dossier_db_url)
    )
    return quarter_range_tags(quarters)


def run_main_job(
    settings: Settings,
    instance: DagsterInstance,
    defs: Definitions | None = None,
    raise_on_error: bool = True,
    full_refresh: bool = False,
    rebuild: bool = False,
    console_level: str | None = None,
) -> ExecuteInProcessResult:
    """The main job in this process over the quarters `main_job_tags` chooses (what `cds run` does).
    `rebuild`: build, check and publish even when nothing changed since the last successful run.
    `console_level`: `DEBUG` shows every Dagster event (Dagster's console logger); another level shows a
    line per step and the pipeline's messages from that level up (the `brief` logger), Dagster's DEBUG
    events staying in the run's event log; None keeps Dagster's default console."""
    defs = defs or build_definitions(settings)
    job = defs.resolve_job_def(MAIN_JOB_NAME)
    dbt_config = {"full_refresh": full_refresh, "rebuild": rebuild}
    run_config: dict = {}
    if any(dbt_config.values()):
        run_config["ops"] = {
            op.name: {"config": dbt_config} for op in (warehouse_dbt_assets.op, reporting_dbt_assets.op)
        }
    if console_level == "DEBUG":
        run_config["loggers"] = {"console": {"config": {"log_level": console_level}}}
    elif console_level:  # a line per step and the pipeline's messages (pipelines/console.py)
        run_config["loggers"] = {"brief": {"config": {"log_level": console_level}}}
    result = job.execute_in_process(
        instance=instance,
        tags={**main_job_tags(settings), **process_tags()},
        raise_on_error=raise_on_error,
        run_config=run_config or None,
    )
    if result.success:  # the inputs this run built from become the last build's: the next may skip
        promote_pending(settings.outputs_dir, result.run_id, datetime.now().isoformat(timespec="seconds"))
    return result


def skipped_as_unchanged(result: ExecuteInProcessResult) -> bool:
    """Whether the run found nothing new and skipped the build (the dbt step yielded nothing)."""
    return not result.asset_materializations_for_node(warehouse_dbt_assets.op.name)


KEEP_RUN_LOGS = 100


def write_run_log(instance: DagsterInstance, run_id: str, folder: Path) -> Path:
    """Every event of the run, DEBUG included, as text lines in `folder/run-<id>.log` (what the terminal
    leaves out; the Dagster UI shows the same events)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"run-{run_id}.log"
    with open(path, "w", encoding="utf-8") as out:
        for entry in instance.all_logs(run_id):
            when = datetime.fromtimestamp(entry.timestamp).isoformat(sep=" ", timespec="milliseconds")
            level = logging.getLevelName(entry.level)
            step = f" {entry.step_key}" if entry.step_key else ""
            out.write(f"{when} {level}{step} - {entry.user_message or entry.message}\n")
    logs = sorted(folder.glob("run-*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in logs[KEEP_RUN_LOGS:]:  # the Dagster instance keeps every run's events; the files are a view
        old.unlink(missing_ok=True)
    return path
