"""Dagster: the publication asset, the job that publishes on its own, and the schedules that run it.

The main job publishes every period with data (unchanged periods are left as they are). The schedules
publish the period that has just ended, on a configurable day of the following month at 07:00
Asia/Ho_Chi_Minh time, from the warehouse as the last main job left it.
"""

import time
from datetime import date
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    Config,
    DefaultScheduleStatus,
    Failure,
    MaterializeResult,
    MetadataValue,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    asset,
    define_asset_job,
    in_process_executor,
    schedule,
)
from pydantic import Field

from pipelines.core.markdown import md_text
from pipelines.core.zipfiles import remove_leftovers
from pipelines.reports.publish import (
    TIMEZONE,
    Publication,
    clean_reports_dir,
    publish_periods,
    write_index,
)
from pipelines.reports.text import letterhead_for
from pipelines.resources import PublicationResource, SourcesResource, WarehouseResource
from pipelines.runs import OWNERS, fail_stale_runs
from pipelines.settings import Settings

REPORT = AssetKey(["reports", "provincial_report"])


class PublishConfig(Config):
    periods: list[str] = Field(
        default_factory=list,
        description="Periods to publish, e.g. ['2025-Q3']; empty: every period with data",
    )
    force: bool = Field(default=False, description="Render again even when the data version is unchanged")


@asset(
    owners=OWNERS,
    key=REPORT,
    group_name="reports",
    kinds={"html", "xlsx", "docx", "jinja"},
    deps=[
        *(AssetKey(["marts", k]) for k in ("fct_submission_summary", "dim_commune", "dim_indicator")),
        *(
            AssetKey(["reporting", k])
            for k in (
                "publication_periods",
                "published_figures",
                "report_findings",
                "service_index_board",
                "service_index_groups",
                "late_or_missing_submissions",
            )
        ),
    ],
    description="The provincial report (HTML, XLSX, DOCX) and the communes' scorecards for every period "
    "with data, published atomically in `outputs/reports/<period>/` with a manifest. A change after "
    "publication is the next edition, beside the earlier ones, with its list of changed figures; a period "
    "in expectations/locked_periods.csv is not published again. outputs/reports/index.html lists them.",
)
def provincial_report(
    context: AssetExecutionContext,
    config: PublishConfig,
    warehouse: WarehouseResource,
    sources: SourcesResource,
    publication: PublicationResource,
) -> MaterializeResult:
    from pipelines.reports.read import periods_with_data

    letterhead = letterhead_for(publication.signer_name, publication.signer_role)
    reports_dir = sources.reports_dir
    left = clean_reports_dir(reports_dir) + remove_leftovers(Path(sources.outputs_dir))
    if left:
        context.log.warning(
            f"Đã xóa {len(left)} tệp/thư mục tạm do lượt chạy bị dừng để lại: {', '.join(left)}"
        )
    with warehouse.connect(read_only=True) as con:
        available = periods_with_data(con)
        wanted = config.periods or available
        missing = [p for p in wanted if p not in available]
        if missing:
            raise Failure(
                f"Kỳ {', '.join(missing)} chưa có số liệu trong kho dữ liệu: chạy main_job sau khi có "
                "dữ liệu nguồn rồi công bố lại (periods without data in the warehouse)"
            )
        started = time.perf_counter()
        publications = publish_periods(
            con, wanted, reports_dir, context.run_id, force=config.force, letterhead=letterhead
        )
        seconds = time.perf_counter() - started  # the periods' own times overlap: two processes render
    index = write_index(reports_dir, publications)
    for p in publications:
        if p.lock is not None:
            waiting = f"; {len(p.pending)} số liệu thay đổi chờ lần công bố sau" if p.pending else ""
            context.log.warning(f"Kỳ {p.period_key} đã {p.lock.text}: không công bố lại{waiting}")
            continue
        verb = "Đã công bố" if p.changed else "Không đổi, giữ nguyên"
        context.log.info(
            f"{verb} kỳ {p.period_key} lần {p.manifest['edition']} ({p.seconds:.1f} s): {p.folder}"
        )
    shown = [p for p in publications if p.manifest is not None]
    pending = [c for p in publications for c in p.pending]
    return MaterializeResult(
        metadata={
            "periods": [p.period_key for p in publications],
            "published": [p.period_key for p in publications if p.changed],
            "unchanged": [p.period_key for p in publications if not p.changed and p.lock is None],
            "locked": [p.period_key for p in publications if p.lock is not None],
            # figures read out of narrative reports that wait for a person (xem-xet-<period>.xlsx)
            "figures_pending_review": sum(
                p.manifest["checks"].get("figures_pending_review", 0) for p in shown
            ),
            "seconds": MetadataValue.float(round(seconds, 2)),
            "index": MetadataValue.path(str(index)),
            "publications": MetadataValue.md(
                "| Kỳ | Lần | Phiên bản dữ liệu | Số liệu thay đổi | Lỗi | Cảnh báo | Đơn vị tạm giữ | s |\n"
                "|---|---|---|---|---|---|---|---|\n"
                + "\n".join(
                    f"| {p.period_key} | {p.manifest.get('edition', 1)} | `{p.manifest['data_version'][:12]}`"
                    f"{'' if p.changed else (' (đã khóa)' if p.lock else ' (không đổi)')} "
                    f"| {p.manifest.get('changes', {}).get('figures', 0) if p.changed else '-'} "
                    f"| {p.manifest['checks']['open_errors']} | {p.manifest['checks']['open_warnings']} "
                    f"| {p.manifest['checks']['withheld_communes']} | {p.seconds:.1f} |"
                    for p in shown
                )
            ),
            # locked periods: what the next edition would change
            "pending_changes": _pending_table(publications) if pending else MetadataValue.text("-"),
        }
    )


def _pending_table(publications: list[Publication]) -> MetadataValue:
    """The figures locked periods would change, the first 200 (the index lists them too)."""
    rows = [
        (p.period_key, c.place, c.indicator_name, c.before, c.after, c.cause)
        for p in publications
        for c in p.pending[:200]
    ]
    return MetadataValue.md(
        "| Kỳ | Đơn vị | Chỉ tiêu | Lần công bố | Hiện nay | Lý do |\n|---|---|---|---|---|---|\n"
        + "\n".join("| " + " | ".join(md_text(x) for x in row) + " |" for row in rows)
    )


publish_reports_job = define_asset_job(
    "publish_reports_job",
    selection=AssetSelection.assets(REPORT),
    description="Publish reports from the warehouse as it is (config: periods, force).",
    executor_def=in_process_executor,
)


def publish_run_config(periods: list[str], force: bool = False) -> dict:
    return {"ops": {provincial_report.op.name: {"config": {"periods": periods, "force": force}}}}


def quarter_just_ended(day: date) -> str:
    quarter = (day.month - 1) // 3
    return f"{day.year - 1}-Q4" if quarter == 0 else f"{day.year}-Q{quarter}"


def _period_due(kind: str, day: date) -> str:
    if kind == "quarter":
        return quarter_just_ended(day)
    return f"{day.year}-9M" if kind == "nine_months" else f"{day.year - 1}-Y"


_MONTHS = {"quarter": "1,4,7,10", "nine_months": "10", "year": "1"}


def build_report_schedule(kind: str, day_of_month: int) -> ScheduleDefinition:
    """Publishes the period of `kind` that has just ended, on `day_of_month` of the month after it."""

    @schedule(
        name=f"publish_{kind}_report",
        cron_schedule=f"0 7 {day_of_month} {_MONTHS[kind]} *",
        execution_timezone=str(TIMEZONE),
        job=publish_reports_job,
        default_status=DefaultScheduleStatus.RUNNING,
        description=f"Publishes the {kind.replace('_', '-')} report on day {day_of_month} of the month "
        "after the period ends, 07:00 Asia/Ho_Chi_Minh.",
    )
    def _schedule(context: ScheduleEvaluationContext) -> RunRequest:
        for line in fail_stale_runs(context.instance) if context.instance_ref else []:
            context.log.warning(line)  # a dead run must not hold the queue
        day = context.scheduled_execution_time.astimezone(TIMEZONE).date()
        period = _period_due(kind, day)
        return RunRequest(
            run_key=f"publish-{period}-{day.isoformat()}",
            run_config=publish_run_config([period]),
            tags={"cds/period": period},
        )

    return _schedule


def build_schedules(settings: Settings) -> list[ScheduleDefinition]:
    return [
        build_report_schedule("quarter", settings.report_day_quarter),
        build_report_schedule("nine_months", settings.report_day_nine_months),
        build_report_schedule("year", settings.report_day_year),
    ]


assets = [provincial_report]
jobs = [publish_reports_job]
