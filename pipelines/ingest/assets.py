"""Dagster assets that pull the three sources into the raw schema, the conservation check, and the
sensor that launches ingestion when new files arrive."""

import hashlib
from collections.abc import Iterable
from pathlib import Path

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    DefaultSensorStatus,
    MaterializeResult,
    MetadataValue,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    asset,
    asset_check,
    multi_asset,
    sensor,
)

from pipelines.ingest.dossier_db import DossierTable, pull_dossier_db
from pipelines.ingest.dossier_exports import export_files, ingest_dossier_file
from pipelines.ingest.register import FileResult
from pipelines.ingest.staffing import ingest_staffing, staffing_files
from pipelines.ingest.submissions import FormParser, form_files, ingest_forms
from pipelines.reference import CommuneResolver
from pipelines.resources import DossierDatabaseResource, SourcesResource, WarehouseResource

RAW_DOSSIERS = AssetKey(["raw", "dossiers"])
RAW_SUBMISSIONS = AssetKey(["raw", "submissions"])
RAW_SUBMISSION_VALUES = AssetKey(["raw", "submission_values"])
RAW_STAFFING = AssetKey(["raw", "staffing"])


def _summary(context: AssetExecutionContext, results: list[FileResult], table: str, con) -> MaterializeResult:
    """Log what happened to each file and return the run metadata the UI shows."""
    # Only files that need a person's attention get a log line: every log event is a write to Dagster's
    # run storage, and 400 routine lines cost seconds.
    for result in results:
        if result.status == "rejected" or result.rows_quarantined:
            context.log.warning(
                f"{result.path.name}: {result.status}, {result.rows_loaded} dòng nạp, "
                f"{result.rows_quarantined} dòng cách ly {result.message}"
            )
    total = con.execute(f"select count(*) from {table}").fetchall()[0][0]
    rejected = [r for r in results if r.status == "rejected"]
    context.log.info(
        f"{len(results)} tệp: {sum(r.status == 'loaded' for r in results)} nạp mới, "
        f"{sum(r.status == 'skipped' for r in results)} đã có, {len(rejected)} bị từ chối"
    )
    return MaterializeResult(
        metadata={
            "files_seen": len(results),
            "files_loaded": sum(r.status == "loaded" for r in results),
            "files_skipped_already_ingested": sum(r.status == "skipped" for r in results),
            "files_rejected": len(rejected),
            "rejections": MetadataValue.md("\n".join(f"- {r.message}" for r in rejected) or "none"),
            "rows_loaded_this_run": sum(r.rows_loaded for r in results),
            "rows_quarantined_this_run": sum(r.rows_quarantined for r in results),
            "rows_in_table": total,
        }
    )


@asset(
    key=RAW_DOSSIERS,
    group_name="ingest",
    kinds={"duckdb", "csv", "xlsx"},
    description="Dossier-system exports (CSV, XLSX) landed row by row in raw.dossiers; bad rows quarantined.",
)
def raw_dossiers(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    sources: SourcesResource,
    dossier_db: DossierDatabaseResource,
) -> MaterializeResult:
    files = export_files(sources.dossiers_dir)
    if not files and not dossier_db.url:
        raise FileNotFoundError(
            f"Không có tệp xuất hồ sơ trong {sources.dossiers_dir} và chưa cấu hình CDS_DOSSIER_DB_URL "
            "(no dossier exports and no dossier database configured)"
        )
    with warehouse.connect() as con:
        pulls = (
            pull_dossier_db(con, dossier_db.url, DossierTable(dossier_db.table, dossier_db.updated_at_column))
            if dossier_db.url
            else []
        )
        results = pulls + [ingest_dossier_file(con, p, sources.archive_dir) for p in files]
        return _summary(context, results, "raw.dossiers", con)


@multi_asset(
    specs=[
        AssetSpec(
            RAW_SUBMISSIONS,
            group_name="ingest",
            kinds={"duckdb", "xlsx"},
            description="Commune indicator forms: one row per form version (a resubmission is a new row "
            "with its own submission date).",
        ),
        AssetSpec(
            RAW_SUBMISSION_VALUES,
            group_name="ingest",
            kinds={"duckdb"},
            description="One row per indicator row of a form: the text as written and the parsed value.",
        ),
    ],
)
def raw_submissions(context: AssetExecutionContext, warehouse: WarehouseResource, sources: SourcesResource):
    parser = FormParser.from_seeds()
    with warehouse.connect() as con:
        results = ingest_forms(con, form_files(sources.submissions_dir), sources.archive_dir, parser)
        summary = _summary(context, results, "raw.submission_values", con)
        forms = con.execute("select count(*) from raw.submissions").fetchall()[0][0]
    yield MaterializeResult(asset_key=RAW_SUBMISSIONS, metadata={**summary.metadata, "rows_in_table": forms})
    yield MaterializeResult(asset_key=RAW_SUBMISSION_VALUES, metadata=summary.metadata)


@asset(
    key=RAW_STAFFING,
    group_name="ingest",
    kinds={"duckdb", "xlsx"},
    description="Staffing lists, pseudonymised: raw.staffing holds a keyed person_key, never names or IDs; "
    "clear values only in the restricted schema.",
)
def raw_staffing(
    context: AssetExecutionContext, warehouse: WarehouseResource, sources: SourcesResource
) -> MaterializeResult:
    resolver, secret = CommuneResolver.from_seeds(), sources.pseudonym_secret()
    with warehouse.connect() as con:
        results = [
            ingest_staffing(con, p, sources.archive_dir, resolver, secret)
            for p in staffing_files(sources.staffing_dir)
        ]
        return _summary(context, results, "raw.staffing", con)


CONSERVATION_SQL = """
with held as (
    select file_sha256, count(distinct source_row) as held_rows, count(*) as entries
    from raw.quarantine group by file_sha256
)
select f.original_path, f.status, f.rows_in, f.rows_loaded, f.rows_quarantined, h.held_rows
from raw.ingested_files f
left join held h on h.file_sha256 = f.sha256
where list_contains(?, f.source_kind)
  and (f.rows_in <> f.rows_loaded + f.rows_quarantined
       or (f.status = 'loaded' and f.rows_quarantined <> coalesce(h.held_rows, 0))
       or (f.status = 'rejected' and h.entries is null))
"""


def conservation_violations(con, *source_kinds: str) -> list[tuple]:
    """Files out of balance: rows in ≠ loaded + quarantined, the register and the quarantine disagree on
    how many rows were held back, or a rejected file left no reason in the quarantine."""
    return con.execute(CONSERVATION_SQL, [list(source_kinds)]).fetchall()


def _conservation_check(asset_key: AssetKey, *source_kinds: str):
    @asset_check(
        asset=asset_key,
        name="every_row_landed_or_quarantined",
        blocking=True,
        description="For every file: rows in = rows loaded + rows quarantined, and the quarantine "
        "holds exactly the rows the register says it holds.",
    )
    def _check(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
        with warehouse.connect(read_only=True) as con:
            bad = conservation_violations(con, *source_kinds)
        return AssetCheckResult(
            passed=not bad,
            severity=AssetCheckSeverity.ERROR,
            metadata={
                "files_out_of_balance": len(bad),
                "examples": MetadataValue.md("\n".join(f"- {b}" for b in bad[:10]) or "none"),
            },
        )

    return _check


checks = [
    _conservation_check(RAW_DOSSIERS, "dossier_export", "dossier_db"),
    _conservation_check(RAW_SUBMISSIONS, "submission_form"),
    _conservation_check(RAW_STAFFING, "staffing_list"),
]


def _fingerprint(folders: Iterable[Path]) -> str:
    """Names, sizes and modification times of every source file: cheap, and never opens the warehouse."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []:
            stat = path.stat()
            digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def build_inbox_sensor(job):
    @sensor(
        job=job,
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.STOPPED,
        description="Watches submissions/, dossiers/ and staffing/ under CDS_SOURCES_DIR and runs the main "
        "job when files arrive or change (files already ingested are skipped by their hash).",
    )
    def source_inbox_sensor(context: SensorEvaluationContext, sources: SourcesResource):
        fingerprint = _fingerprint([sources.submissions_dir, sources.dossiers_dir, sources.staffing_dir])
        if fingerprint == context.cursor:
            return SkipReason("Không có tệp mới (no new or changed source files).")
        context.update_cursor(fingerprint)
        return RunRequest(run_key=fingerprint)

    return source_inbox_sensor


assets = [raw_dossiers, raw_submissions, raw_staffing]
