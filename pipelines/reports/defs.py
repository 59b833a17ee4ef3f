"""The reports domain's Dagster pieces: the publication asset, the publish job and its schedules (which
depend on the configured publication days)."""

from dagster import Definitions

from pipelines.reports import assets
from pipelines.settings import Settings


def build_defs(settings: Settings) -> Definitions:
    return Definitions(assets=assets.assets, jobs=assets.jobs, schedules=assets.build_schedules(settings))
