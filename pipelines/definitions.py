"""The Dagster code location: each domain's Definitions merged, with the main job and the resources."""

from __future__ import annotations

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor
from dagster._loggers import default_loggers

from pipelines.console import brief_console
from pipelines.ingest.defs import defs as ingest
from pipelines.narrative.defs import defs as narrative
from pipelines.quality.defs import defs as quality
from pipelines.reports.defs import build_defs as reports
from pipelines.resources import build_resources
from pipelines.runs import MAIN_JOB_NAME
from pipelines.settings import Settings, get_settings
from pipelines.warehouse.defs import defs as warehouse
from pipelines.warehouse.server import build_defs as server

# One process for the whole graph: steps share the DuckDB file one after another (one writer at a time),
# and the multiprocess executor would pay the imports again for every step.
main_job = define_asset_job(
    MAIN_JOB_NAME,
    selection=AssetSelection.all(),
    description="Sources in, warehouse built, checks run, reports published.",
    executor_def=in_process_executor,
)


def build_definitions(settings: Settings | None = None) -> Definitions:
    settings = settings or get_settings()
    # `console` stays the default; `cds run` picks `brief` (pipelines/console.py)
    loggers = {**default_loggers(), "brief": brief_console}
    own = Definitions(jobs=[main_job], resources=build_resources(settings), loggers=loggers)
    return Definitions.merge(ingest, narrative, warehouse, quality, reports(settings), server(settings), own)


defs = build_definitions()
