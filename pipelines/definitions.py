"""The Dagster code location: merges the per-domain assets, checks, jobs and resources."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor

from pipelines.ingest import assets as ingest
from pipelines.quality import checks as quality
from pipelines.reports import assets as reports
from pipelines.resources import build_resources
from pipelines.settings import Settings
from pipelines.warehouse import dbt as warehouse

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
        assets=[*ingest.assets, *warehouse.assets, *reports.assets],
        asset_checks=[*ingest.checks, *quality.checks],
        jobs=[main_job],
        sensors=[ingest.build_inbox_sensor(main_job)],
        resources=build_resources(settings),
    )


defs = build_definitions()
