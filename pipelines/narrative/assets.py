"""The narrative domain's Dagster asset: communes' narrative reports read, their figures judged, and the
review decisions people took on figures that waited, landed in the raw tables (one multi-asset, since one
reading of each report fills all four)."""

from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from pipelines.core.markdown import md_list, md_text
from pipelines.ingest.assets import PARTITIONED, conservation_check, files_of_run, summarize
from pipelines.ingest.guards import inbox_files
from pipelines.ingest.register import IngestError
from pipelines.narrative.figures import indicator_units
from pipelines.narrative.ingest import RAW_DDL, extract_for_ingest, ingest_report
from pipelines.narrative.reviews import REVIEW_LIST, land_decisions, read_decisions
from pipelines.partitions import quarter_in_path, quarter_of_period
from pipelines.resources import ReferenceResource, SourcesResource, WarehouseResource
from pipelines.runs import OWNERS

RAW_NARRATIVE_REPORTS = AssetKey(["raw", "narrative_reports"])
RAW_NARRATIVE_FIGURES = AssetKey(["raw", "narrative_figures"])
RAW_NARRATIVE_DATES = AssetKey(["raw", "narrative_dates"])
RAW_FIGURE_REVIEWS = AssetKey(["raw", "figure_reviews"])


def quarter_of_report_period(period_key: str | None) -> str | None:
    """The quarter a report's period ends in; a 6-month report (not a calendar period) ends in Q2."""
    if period_key and period_key.endswith("-6M"):
        return quarter_of_period(f"{period_key[:4]}-Q2")
    return quarter_of_period(period_key)


def _extraction_row(path: Path, extraction) -> str:
    """A report's line in the asset's metadata; what the rules found in it is in the asset checks
    `dq_raw_narrative_reports` and `dq_raw_narrative_figures` (one run of the rules, in quality/)."""
    facts = extraction.facts
    waiting = sum(f.needs_review for f in extraction.mapped)
    return (
        f"| {md_text(path.name)} | {md_text(facts.commune_id)} | {md_text(facts.period_key)} | "
        f"{len(extraction.figures)} | "
        f"{len(extraction.mapped)} | {waiting} |"
    )


@multi_asset(
    specs=[
        AssetSpec(
            RAW_NARRATIVE_REPORTS,
            owners=OWNERS,
            group_name="ingest",
            kinds={"duckdb", "docx", "pdf"},
            description="Communes' narrative reports (DOCX, PDF, TXT): one row per report with the commune, "
            "period, coverage dates, request letter and signer read out of it.",
        ),
        AssetSpec(
            RAW_NARRATIVE_FIGURES,
            owners=OWNERS,
            group_name="ingest",
            kinds={"duckdb"},
            description="Every figure found in a narrative report, mapped to an indicator through the "
            "catalogue's keywords (or kept as an unmapped claim), with its confidence and sentence.",
        ),
        AssetSpec(
            RAW_NARRATIVE_DATES,
            owners=OWNERS,
            group_name="ingest",
            kinds={"duckdb"},
            description="Every date a narrative report cites, as written and as read (null when impossible).",
        ),
        AssetSpec(
            RAW_FIGURE_REVIEWS,
            owners=OWNERS,
            group_name="ingest",
            kinds={"duckdb", "csv", "xlsx"},
            description="People's decisions on extracted figures waiting for review (accept, reject, remap): "
            "expectations/reviewed_figures.csv and filled review sheets under sources/reviews/.",
        ),
    ],
    **PARTITIONED,
)
def raw_narrative_reports(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    sources: SourcesResource,
    reference: ReferenceResource,
):
    extractions: dict[Path, object] = {}

    def extracted(path: Path):
        if path not in extractions:
            extractions[path] = extract_for_ingest(path, reference.path)
        return extractions[path]

    def quarter_of(path: Path) -> str | None:
        """A report's quarter: from its path, else from the period in its title."""
        quarter = quarter_in_path(path, sources.narrative_dir)
        if quarter is None and not isinstance(extraction := extracted(path), IngestError):
            quarter = quarter_of_report_period(extraction.facts.period_key)
        return quarter

    files, placement = files_of_run(context, inbox_files(sources.narrative_dir), quarter_of)
    with warehouse.connect() as con:
        con.execute(RAW_DDL)
        results = [ingest_report(con, p, sources.archive_dir, extracted) for p in files]
        read = [extractions[r.path] for r in results if r.status == "loaded"]
        summary = summarize(context, results, "raw.narrative_figures", con, placement)
        decisions, refused = read_decisions(
            REVIEW_LIST, Path(sources.sources_dir) / "reviews", set(indicator_units(str(reference.path)))
        )
        land_decisions(con, decisions)
        for message in refused:
            context.log.error(f"Quyết định xem xét bị từ chối (review decisions refused): {message}")
        counts = con.execute(
            """select (select count(*) from raw.narrative_reports),
                      (select count(*) from raw.narrative_figures where indicator_code is not null),
                      (select count(*) from raw.narrative_dates)"""
        ).fetchall()[0]
    rows = [_extraction_row(e.path, e) for e in read]
    header = "| report | commune | period | figures | mapped | to review |\n|---|---|---|---|---|---|"
    extraction_table = MetadataValue.md("\n".join([header, *rows]) if rows else "no new report")
    yield MaterializeResult(
        asset_key=RAW_NARRATIVE_REPORTS,
        metadata={**summary.metadata, "rows_in_table": counts[0], "extraction": extraction_table},
    )
    yield MaterializeResult(
        asset_key=RAW_NARRATIVE_FIGURES,
        metadata={**summary.metadata, "mapped_figures_in_table": counts[1]},
    )
    yield MaterializeResult(asset_key=RAW_NARRATIVE_DATES, metadata={"rows_in_table": counts[2]})
    yield MaterializeResult(
        asset_key=RAW_FIGURE_REVIEWS,
        metadata={
            "decisions": len(decisions),
            "refused_files": len(refused),
            "refusals": MetadataValue.md(md_list(refused)),
        },
    )


assets = [raw_narrative_reports]
checks = [conservation_check(RAW_NARRATIVE_REPORTS, "narrative_report")]
