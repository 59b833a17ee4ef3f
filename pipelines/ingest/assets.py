"""Dagster assets that pull the three sources into the raw schema, the conservation check, and the
sensor that launches ingestion when new files arrive."""

import hashlib
import json
import warnings
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    BackfillPolicy,
    BetaWarning,
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

from pipelines.core.markdown import md_list
from pipelines.core.sqltext import quote_qualified
from pipelines.ingest.dossier_db import DossierTable, pull_dossier_db, window_for
from pipelines.ingest.dossier_exports import export_files, ingest_dossier_file
from pipelines.ingest.guards import inbox_files
from pipelines.ingest.register import FileResult, archived_shas, restrict_archived
from pipelines.ingest.staffing import RAW_DDL as STAFFING_DDL
from pipelines.ingest.staffing import ingest_staffing, staffing_files
from pipelines.ingest.submissions import FormParser, form_files, ingest_forms
from pipelines.partitions import (
    QUARTERS,
    quarter_in_path,
    quarter_of_period,
    quarter_range_tags,
    select_files,
    started_quarters,
)
from pipelines.reference import read_seed
from pipelines.resources import DossierDatabaseResource, ReferenceResource, SourcesResource, WarehouseResource
from pipelines.runs import OWNERS, fail_stale_runs

RAW_DOSSIERS = AssetKey(["raw", "dossiers"])
RAW_SUBMISSIONS = AssetKey(["raw", "submissions"])
RAW_SUBMISSION_VALUES = AssetKey(["raw", "submission_values"])
RAW_STAFFING = AssetKey(["raw", "staffing"])

# Partitioned by the quarter the data covers; one run takes a whole range of quarters (`cds run`, the sensor).
warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=BetaWarning)
PARTITIONED = {"partitions_def": QUARTERS, "backfill_policy": BackfillPolicy.single_run()}


def files_of_run(
    context: AssetExecutionContext, paths: Iterable[Path], quarter_of: Callable[[Path], str | None]
) -> tuple[list[Path], dict]:
    """The run's quarters' files and those of no known quarter, with metadata saying which were which."""
    quarters = context.partition_keys
    selected, unplaced = select_files(paths, quarters, quarter_of)
    if unplaced:
        context.log.warning(
            f"{len(unplaced)} tệp không xác định được quý, được nạp trong lượt này: "
            + ", ".join(p.name for p in unplaced[:10])
        )
    return selected, {
        "quarters": ", ".join(quarters),
        "files_without_quarter": MetadataValue.md(md_list(p.name for p in unplaced)),
    }


def summarize(
    context: AssetExecutionContext, results: list[FileResult], table: str, con, placement: dict
) -> MaterializeResult:
    """Log what happened to each file and return the run metadata the UI shows."""
    # Only files that need a person's attention get a log line: every log event is a write to Dagster's
    # run storage, and 400 routine lines cost seconds.
    for result in results:
        if result.status == "rejected" or result.rows_quarantined:
            context.log.warning(
                f"{result.path.name}: {result.status}, {result.rows_loaded} dòng nạp, "
                f"{result.rows_quarantined} dòng cách ly {result.message}"
            )
    total = con.execute(f"select count(*) from {quote_qualified(table)}").fetchall()[0][0]
    rejected = [r for r in results if r.status == "rejected"]
    context.log.info(
        f"{len(results)} tệp: {sum(r.status == 'loaded' for r in results)} nạp mới, "
        f"{sum(r.status == 'skipped' for r in results)} đã có, {len(rejected)} bị từ chối"
    )
    return MaterializeResult(
        metadata={
            **placement,
            "files_seen": len(results),
            "files_loaded": sum(r.status == "loaded" for r in results),
            "files_skipped_already_ingested": sum(r.status == "skipped" for r in results),
            "files_rejected": len(rejected),
            "rejections": MetadataValue.md(md_list(r.message for r in rejected)),
            "rows_loaded_this_run": sum(r.rows_loaded for r in results),
            "rows_quarantined_this_run": sum(r.rows_quarantined for r in results),
            "rows_in_table": total,
        }
    )


@asset(
    owners=OWNERS,
    key=RAW_DOSSIERS,
    group_name="ingest",
    kinds={"duckdb", "csv", "xlsx"},
    description="Dossier-system exports (CSV, XLSX) and the dossier database landed row by row in "
    "raw.dossiers; bad rows quarantined. A quarter takes the export files named for it and the database rows "
    "received in it (each quarter with its own updated-at watermark).",
    **PARTITIONED,
)
def raw_dossiers(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    sources: SourcesResource,
    dossier_db: DossierDatabaseResource,
) -> MaterializeResult:
    files, placement = files_of_run(
        context, export_files(sources.dossiers_dir), lambda p: quarter_in_path(p, sources.dossiers_dir)
    )
    if not files and not dossier_db.url:
        raise FileNotFoundError(
            f"Không có tệp xuất hồ sơ trong {sources.dossiers_dir} và chưa cấu hình CDS_DOSSIER_DB_URL "
            "(no dossier exports and no dossier database configured)"
        )
    with warehouse.connect() as con:
        table = DossierTable(dossier_db.table, dossier_db.updated_at_column)
        pulls = [
            result
            for quarter in (context.partition_keys if dossier_db.url else [])
            for result in pull_dossier_db(con, dossier_db.url, table, window=window_for(quarter))
        ]
        results = pulls + [
            ingest_dossier_file(con, p, sources.archive_dir, sources.archive_key) for p in files
        ]
        return summarize(context, results, "raw.dossiers", con, placement)


@multi_asset(
    specs=[
        AssetSpec(
            RAW_SUBMISSIONS,
            owners=OWNERS,
            group_name="ingest",
            kinds={"duckdb", "xlsx"},
            description="Commune indicator forms: one row per form version (a resubmission is a new row "
            "with its own submission date).",
        ),
        AssetSpec(
            RAW_SUBMISSION_VALUES,
            owners=OWNERS,
            group_name="ingest",
            kinds={"duckdb"},
            description="One row per indicator row of a form: the text as written and the parsed value.",
        ),
    ],
    **PARTITIONED,
)
def raw_submissions(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    sources: SourcesResource,
    reference: ReferenceResource,
):
    parser = FormParser.from_seeds(reference.path)

    def quarter_of(path: Path) -> str | None:
        """A form's quarter: from its path, else from the period in its header."""
        quarter = quarter_in_path(path, sources.submissions_dir)
        if quarter is None and not path.is_symlink():
            try:
                quarter = quarter_of_period(parser.parse(path).period_key)
            except Exception:  # an unreadable form has no quarter: it is rejected with its reason later
                return None
        return quarter

    files, placement = files_of_run(context, form_files(sources.submissions_dir), quarter_of)
    with warehouse.connect() as con:
        results = ingest_forms(con, files, sources.archive_dir, parser)
        summary = summarize(context, results, "raw.submission_values", con, placement)
        forms = con.execute("select count(*) from raw.submissions").fetchall()[0][0]
    yield MaterializeResult(asset_key=RAW_SUBMISSIONS, metadata={**summary.metadata, "rows_in_table": forms})
    yield MaterializeResult(asset_key=RAW_SUBMISSION_VALUES, metadata=summary.metadata)


@asset(
    owners=OWNERS,
    key=RAW_STAFFING,
    group_name="ingest",
    kinds={"duckdb", "xlsx"},
    description="Staffing lists, pseudonymised: raw.staffing holds a keyed person_key, never names or IDs; "
    "clear values only in the restricted schema.",
    **PARTITIONED,
)
def raw_staffing(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    sources: SourcesResource,
    reference: ReferenceResource,
) -> MaterializeResult:
    resolver, secret = reference.resolver(), sources.pseudonym_secret()
    files, placement = files_of_run(
        context, staffing_files(sources.staffing_dir), lambda p: quarter_in_path(p, sources.staffing_dir)
    )
    with warehouse.connect() as con:
        con.execute(STAFFING_DDL)  # a quarter before any staffing list: an empty table, not a failed step
        key = sources.archive_key
        moved = restrict_archived(sources.archive_dir, archived_shas(con, "staffing_list"), key)
        if moved:
            context.log.info(
                f"{moved} danh sách cán bộ đã lưu được chuyển vào kho lưu hạn chế (mode 0600)"
                + (" và mã hóa" if key else "")
            )
        periods = frozenset(p["period_key"] for p in read_seed("ref_reporting_calendar", reference.path))
        archive = sources.archive_dir
        results = [ingest_staffing(con, p, archive, resolver, secret, key, periods) for p in files]
        return summarize(context, results, "raw.staffing", con, placement)


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


def conservation_check(asset_key: AssetKey, *source_kinds: str):
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
                "examples": MetadataValue.md(md_list(bad[:10])),
            },
        )

    return _check


checks = [
    conservation_check(RAW_DOSSIERS, "dossier_export", "dossier_db"),
    conservation_check(RAW_SUBMISSIONS, "submission_form"),
    conservation_check(RAW_STAFFING, "staffing_list"),
]


def files_by_quarter(sources: SourcesResource) -> dict[str | None, list[Path]]:
    """Every source file under the inbox by the quarter its path names (None: no quarter in the path).
    Cheap: looks at paths only, never opens a file or the warehouse."""
    grouped: dict[str | None, list[Path]] = {}
    listings = (
        (sources.submissions_dir, form_files),
        (sources.dossiers_dir, export_files),
        (sources.staffing_dir, staffing_files),
        (sources.narrative_dir, inbox_files),
    )
    for folder, listed in listings:
        for path in listed(folder) if folder.is_dir() else []:
            grouped.setdefault(quarter_in_path(path, folder), []).append(path)
    return grouped


def run_quarters(
    grouped: dict[str | None, list[Path]],
    today: date,
    changed: Iterable[str | None] | None = None,
    database: bool = False,
) -> list[str]:
    """Quarters a run covers. A full run (`changed` None): every quarter with files, and every quarter begun
    by today when the dossier database is read. A sensor run: the quarters whose files changed; changed files
    of no known quarter go with the latest quarter that has files."""
    placed = sorted(q for q in grouped if q is not None)
    begun = started_quarters(today)
    if changed is None:
        wanted = set(placed) | set(begun if database or not placed else [])
    else:
        changed = set(changed)
        wanted = {q for q in changed if q is not None}
        if None in changed and not wanted:
            wanted = set(placed[-1:] or begun[-1:])
    return sorted(wanted)


def _fingerprints(sources: SourcesResource) -> dict[str, str]:
    """Per quarter, a digest of the names, sizes and modification times of its files."""
    digests = {}
    for quarter, paths in files_by_quarter(sources).items():
        digest = hashlib.sha256()
        for path in sorted(paths):
            stat = path.stat()
            digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
        digests[quarter or "?"] = digest.hexdigest()
    return digests


def build_inbox_sensor(job_name: str):
    @sensor(
        job_name=job_name,
        minimum_interval_seconds=60,
        default_status=DefaultSensorStatus.STOPPED,
        description="Watches submissions/, dossiers/, staffing/ and narrative_reports/ under CDS_SOURCES_DIR "
        "and runs the main job over the quarters whose files arrived or changed (files already ingested "
        "are skipped by hash).",
    )
    def source_inbox_sensor(context: SensorEvaluationContext, sources: SourcesResource):
        for line in fail_stale_runs(context.instance) if context.instance_ref else []:
            context.log.warning(line)  # a dead run must not hold the queue
        current = _fingerprints(sources)
        previous = json.loads(context.cursor) if context.cursor else {}
        changed = [None if q == "?" else q for q, d in current.items() if previous.get(q) != d]
        if not changed:
            return SkipReason("Không có tệp mới (no new or changed source files).")
        context.update_cursor(json.dumps(current, sort_keys=True))
        quarters = run_quarters(files_by_quarter(sources), date.today(), changed)
        return RunRequest(
            run_key=hashlib.sha256(json.dumps(current, sort_keys=True).encode()).hexdigest(),
            tags=quarter_range_tags(quarters),
        )

    return source_inbox_sensor


assets = [raw_dossiers, raw_submissions, raw_staffing]
