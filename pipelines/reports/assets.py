"""Dagster asset that publishes the provincial report for every period with data."""

from datetime import date
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from pipelines.reports.render import publish, render_report, report_context
from pipelines.resources import SourcesResource, WarehouseResource


@asset(
    key=AssetKey(["reports", "provincial_report"]),
    group_name="reports",
    kinds={"html", "jinja"},
    deps=[
        *(
            AssetKey(["marts", k])
            for k in ("fct_commune_indicator", "dim_commune", "dim_period", "dim_indicator")
        ),
        AssetKey(["quality", "dq_findings"]),
    ],
    description="The provincial report (HTML, Vietnamese) for every period with data, "
    "in outputs/reports/<period>/.",
)
def provincial_report(
    context: AssetExecutionContext, warehouse: WarehouseResource, sources: SourcesResource
) -> MaterializeResult:
    published: dict[str, str] = {}
    with warehouse.connect(read_only=True) as con:
        periods = [
            r[0]
            for r in con.execute(
                """select distinct p.period_key, p.ends_on from marts.dim_period p
               join marts.fct_commune_indicator f using (period_key) order by p.ends_on, p.period_key"""
            ).fetchall()
        ]
        contexts = {key: report_context(con, key) for key in periods}
    for key, report in contexts.items():
        path = publish(render_report(report, date.today()), Path(sources.reports_dir) / key)
        published[key] = str(path)
        context.log.info(f"Đã xuất báo cáo kỳ {key}: {path}")
    return MaterializeResult(
        metadata={
            "periods": list(published),
            "reports": MetadataValue.md("\n".join(f"- {k}: `{v}`" for k, v in published.items())),
        }
    )


assets = [provincial_report]
