"""Dagster assets that pull the sources into the raw schema."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from pipelines.ingest.dossier_exports import export_files, ingest_dossier_file
from pipelines.resources import SourcesResource, WarehouseResource

RAW_DOSSIERS = AssetKey(["raw", "dossiers"])


@asset(
    key=RAW_DOSSIERS,
    group_name="ingest",
    kinds={"duckdb", "csv", "xlsx"},
    description="Dossier-system exports (CSV, XLSX) landed row by row in raw.dossiers; bad rows quarantined.",
)
def raw_dossiers(
    context: AssetExecutionContext, warehouse: WarehouseResource, sources: SourcesResource
) -> MaterializeResult:
    files = export_files(sources.dossiers_dir)
    if not files:
        raise FileNotFoundError(
            f"Không có tệp xuất hồ sơ nào trong {sources.dossiers_dir} (no dossier exports found)"
        )
    results = []
    with warehouse.connect() as con:
        for path in files:
            result = ingest_dossier_file(con, path, sources.archive_dir)
            context.log.info(
                f"{path.name}: {result.status} {result.rows_loaded} rows, "
                f"{result.rows_quarantined} quarantined {result.message}"
            )
            results.append(result)
        total_rows = con.execute("select count(*) from raw.dossiers").fetchone()[0]
    rejected = [r for r in results if r.status == "rejected"]
    return MaterializeResult(
        metadata={
            "files_seen": len(results),
            "files_loaded": sum(r.status == "loaded" for r in results),
            "files_skipped_already_ingested": sum(r.status == "skipped" for r in results),
            "files_rejected": MetadataValue.md("\n".join(f"- {r.message}" for r in rejected) or "none"),
            "rows_loaded_this_run": sum(r.rows_loaded for r in results),
            "rows_quarantined_this_run": sum(r.rows_quarantined for r in results),
            "rows_in_table": total_rows,
        }
    )


assets = [raw_dossiers]
