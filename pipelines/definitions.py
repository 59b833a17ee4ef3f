"""The Dagster code location: merges the per-domain assets, checks, jobs and resources."""

from __future__ import annotations

from datetime import date

from dagster import (
    AssetSelection,
    DagsterInstance,
    Definitions,
    ExecuteInProcessResult,
    define_asset_job,
    in_process_executor,
)

from pipelines.ingest import assets as ingest
from pipelines.partitions import quarter_range_tags
from pipelines.quality import assets as quality_findings
from pipelines.quality import checks as quality
from pipelines.reports import assets as reports
from pipelines.resources import build_resources
from pipelines.runs import process_tags
from pipelines.settings import Settings, get_settings
from pipelines.warehouse import analyst as analyst_copy
from pipelines.warehouse import dbt as warehouse
from pipelines.warehouse import docs as warehouse_docs

# One process for the whole graph: steps share the DuckDB file one after another (one writer at a time),
# and the multiprocess executor would pay the imports again for every step.
main_job = define_asset_job(
    "main_job",
    selection=AssetSelection.all(),
    description="Sources in, warehouse built, checks run, reports published.",
    executor_def=in_process_executor,
)


def build_definitions(settings: Settings | None = None) -> Definitions:
    return Definitions(
        assets=[
            *ingest.assets,
            *warehouse.assets,
            *warehouse_docs.assets,
            *analyst_copy.assets,
            *quality_findings.assets,
            *reports.assets,
        ],
        asset_checks=[*ingest.checks, *quality.checks, *quality_findings.checks],
        jobs=[main_job, *reports.jobs],
        schedules=reports.build_schedules(settings or get_settings()),
        sensors=[ingest.build_inbox_sensor(main_job)],
        resources=build_resources(settings),
    )


defs = build_definitions()


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
    job = defs.resolve_job_def("main_job")
    run_config = (
        {"ops": {warehouse.warehouse_dbt_assets.op.name: {"config": {"full_refresh": True}}}}
        if full_refresh
        else None
    )
    return job.execute_in_process(
        instance=instance,
        tags={**main_job_tags(settings), **process_tags()},
        raise_on_error=raise_on_error,
        run_config=run_config,
    )
