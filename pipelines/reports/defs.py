"""The reports domain's Dagster pieces: the publication asset, the publish job and its schedules (which
depend on the configured publication days), and the reminders job with its schedule."""

from dagster import Definitions

from pipelines.reports import assets, remind
from pipelines.settings import Settings


def build_defs(settings: Settings) -> Definitions:
    return Definitions(
        assets=assets.assets,
        jobs=[*assets.jobs, remind.remind_job],
        schedules=[*assets.build_schedules(settings), remind.build_remind_schedule(settings.reference_dir)],
    )
