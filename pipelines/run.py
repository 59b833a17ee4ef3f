"""The main job run in this process, over the quarters that have source files: what `cds run`, the tests and
the benchmark do (the daemon's runs go through the code location instead)."""

from __future__ import annotations

from datetime import date

from dagster import DagsterInstance, Definitions, ExecuteInProcessResult

from pipelines.definitions import build_definitions
from pipelines.ingest import assets as ingest
from pipelines.partitions import quarter_range_tags
from pipelines.resources import build_resources
from pipelines.runs import MAIN_JOB_NAME, process_tags
from pipelines.settings import Settings
from pipelines.warehouse.dbt import warehouse_dbt_assets


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
) -> ExecuteInProcessResult:
    """The main job in this process over the quarters `main_job_tags` chooses (what `cds run` does)."""
    defs = defs or build_definitions(settings)
    job = defs.resolve_job_def(MAIN_JOB_NAME)
    run_config = (
        {"ops": {warehouse_dbt_assets.op.name: {"config": {"full_refresh": True}}}} if full_refresh else None
    )
    return job.execute_in_process(
        instance=instance,
        tags={**main_job_tags(settings), **process_tags()},
        raise_on_error=raise_on_error,
        run_config=run_config,
    )
