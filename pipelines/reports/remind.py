"""Dagster: the reminders job and the schedule that runs it some days after each quarter's due date.

The letters are written into `outputs/reminders/<period>/<date>/` from the warehouse as the last main job
left it (`pipelines/reports/reminders.py`); the run's metadata lists the units reminded. Sending them stays
with the Department's clerk (signature, number, the document system).
"""

from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from dagster import (
    Config,
    DefaultScheduleStatus,
    MetadataValue,
    OpExecutionContext,
    Output,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    job,
    op,
    schedule,
)
from pydantic import Field

from pipelines.core.markdown import md_text
from pipelines.reference import read_seed
from pipelines.reports.publish import TIMEZONE, local_today
from pipelines.reports.text import letterhead_for
from pipelines.resources import PublicationResource, SourcesResource, WarehouseResource
from pipelines.runs import fail_stale_runs

if TYPE_CHECKING:
    from pipelines.reports.reminders import ChaseList

REMIND_AFTER_DAYS = 3  # reminders go out this many days after a quarter's due date


class RemindConfig(Config):
    period: str = Field(description="The quarter, e.g. 2025-Q3")
    as_of: str = Field(default="", description="The reminders' date (YYYY-MM-DD); empty: today")


def units_table(chase: "ChaseList") -> str:
    """The units reminded, as Markdown for the run's metadata."""
    from pipelines.reports.reminders import unit_state

    lines = ["| Đơn vị | Tình trạng | Lỗi chưa xử lý |", "|---|---|---|"]
    for unit in chase.units:
        lines.append(
            f"| {md_text(unit.name)} | {unit_state(unit)} | {'-' if unit.missing else unit.open_errors} |"
        )
    return "\n".join(lines)


@op(description="One reminder letter per unit late or with open errors, and the Department's list.")
def send_reminders(
    context: OpExecutionContext,
    config: RemindConfig,
    warehouse: WarehouseResource,
    sources: SourcesResource,
    publication: PublicationResource,
):
    # the letters' module loads python-docx: here, not when the definitions load
    from pipelines.reports.reminders import read_chase_list, reminders_folder, write_reminders

    as_of = date.fromisoformat(config.as_of) if config.as_of else local_today()
    with warehouse.connect(read_only=True) as con:
        chase = read_chase_list(con, config.period, as_of)
    folder = reminders_folder(Path(sources.outputs_dir), chase)
    letterhead = letterhead_for(publication.signer_name, publication.signer_role)
    written = write_reminders(chase, folder, letterhead)
    context.log.info(
        f"Đôn đốc {chase.label}: {len(chase.units)} đơn vị ({sum(u.missing for u in chase.units)} chưa gửi), "
        f"{len(written)} tệp trong {folder}"
    )
    yield Output(
        None,
        metadata={
            "period": chase.period_key,
            "as_of": as_of.isoformat(),
            "units": len(chase.units),
            "missing": sum(u.missing for u in chase.units),
            "folder": MetadataValue.path(str(folder)),
            "reminded": MetadataValue.md(units_table(chase)),
        },
    )


@job(description="Reminder letters for one quarter (config: period, as_of).")
def remind_job():
    send_reminders()


def remind_run_config(period: str, as_of: date | None = None) -> dict:
    return {
        "ops": {"send_reminders": {"config": {"period": period, "as_of": as_of.isoformat() if as_of else ""}}}
    }


def quarter_due(calendar: list[dict[str, str]], day: date) -> str | None:
    """The quarter whose reminders fall on `day` (its due date + REMIND_AFTER_DAYS), if any."""
    for period in calendar:
        reminded_on = date.fromisoformat(period["due_on"]) + timedelta(days=REMIND_AFTER_DAYS)
        if period["expects_form"] == "true" and reminded_on == day:
            return period["period_key"]
    return None


def build_remind_schedule(reference_dir: Path):
    @schedule(
        name="remind_late_units",
        cron_schedule="0 7 * * *",
        execution_timezone=str(TIMEZONE),
        job=remind_job,
        default_status=DefaultScheduleStatus.RUNNING,
        description=f"Every day at 07:00 Asia/Ho_Chi_Minh: {REMIND_AFTER_DAYS} days after a quarter's due "
        "date (ref_reporting_calendar), the reminder letters for that quarter.",
    )
    def _schedule(context: ScheduleEvaluationContext):
        for line in fail_stale_runs(context.instance) if context.instance_ref else []:
            context.log.warning(line)
        day = context.scheduled_execution_time.astimezone(TIMEZONE).date()
        period = quarter_due(read_seed("ref_reporting_calendar", reference_dir), day)
        if period is None:
            return SkipReason(f"no quarter's reminders fall on {day.isoformat()}")
        return RunRequest(
            run_key=f"remind-{period}-{day.isoformat()}",
            run_config=remind_run_config(period, day),
            tags={"cds/period": period},
        )

    return _schedule
