"""The ingest domain's Dagster pieces: the raw source assets, their conservation checks and the inbox sensor,
which starts the main job by name."""

from dagster import Definitions

from pipelines.ingest import assets
from pipelines.runs import MAIN_JOB_NAME

defs = Definitions(
    assets=assets.assets,
    asset_checks=assets.checks,
    sensors=[assets.build_inbox_sensor(MAIN_JOB_NAME)],
)
