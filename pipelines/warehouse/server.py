"""The server warehouse: the same warehouse on a PostgreSQL server, for a data centre where analysts and BI
tools stay connected all day (CDS_POSTGRES_URL; README "Deploying on a server").

After each run that built the local warehouse, this step
1. copies the landed rows and the checks' findings (`raw`, `quality`; never `restricted`) to the server,
   table by table, by COPY, skipping a table whose rows did not change;
2. runs `dbt build --target postgres`: every model, seed and data test of the project, on the server;
3. lets the analysts' role (CDS_POSTGRES_ANALYST_ROLE) read `marts`, `quality`, `reference` and
   `reporting`, and nothing else: no grant on `raw`, and no personal data on the server at all.

The local DuckDB file stays the pipeline's working engine (ingest, checks, publication); the server's
tables are built by dbt from the same landed rows, and a test holds them equal to the local ones.
"""

import contextlib
import os
import subprocess
import time
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    Definitions,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from pipelines.core.dbfile import connect_waiting
from pipelines.core.sqltext import quote_ident
from pipelines.quality.assets import FINDINGS
from pipelines.quality.suites import SuiteResult, load_suites, run_suites
from pipelines.resources import ReferenceResource, ServerWarehouseResource, WarehouseResource
from pipelines.runs import OWNERS
from pipelines.settings import DBT_PROJECT_DIR, DEFAULT_LOCK_WAIT_SECONDS, DEFAULT_MEMORY_LIMIT, Settings
from pipelines.warehouse.analyst import ANALYST_SCHEMAS
from pipelines.warehouse.dbt import LOGIC_TESTS, reporting_dbt_assets, warehouse_dbt_assets
from pipelines.warehouse.manifest import dbt_command, seed_path_env
from pipelines.warehouse.postgres import (
    COPIED_SCHEMAS,
    copy_to_postgres,
    lock_timeout_options,
    locked_error,
    sessions_holding,
)

SERVER_WAREHOUSE = AssetKey(["analysts", "server_warehouse"])
# dbt's own files for the server target, apart from the local build's (each keeps its partial parse)
SERVER_TARGET = DBT_PROJECT_DIR / "target" / "postgres"


def postgres_env(url: str) -> dict[str, str]:
    """libpq's variables (PGHOST, PGPORT, …) for dbt's postgres profile, from a connection URL."""
    from psycopg2.extensions import parse_dsn

    parts = parse_dsn(url)
    names = {
        "host": "PGHOST",
        "port": "PGPORT",
        "user": "PGUSER",
        "password": "PGPASSWORD",
        "dbname": "PGDATABASE",
    }
    return {variable: parts[key] for key, variable in names.items() if parts.get(key)}


@dataclass(frozen=True)
class ServerBuild:
    copied: list[str]  # schema.table copied this time
    unchanged: int  # tables whose rows were already on the server
    rows_copied: int
    dbt_seconds: float
    granted: bool  # the analysts' role exists and was given its grants


def prepare_grants(url: str, role: str, lock_wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS) -> bool:
    """The analysts' schemas exist, the role may use them and reads every table in them, those there now
    and, by default privileges set before dbt runs, every table dbt swaps in (readable the moment it
    appears). False when the role does not exist: the database's administrator creates it (README)."""
    import psycopg2

    options = lock_timeout_options(lock_wait_seconds)
    with contextlib.closing(psycopg2.connect(url, options=options)) as pg, pg, pg.cursor() as cur:
        return _grant(cur, role)


def _grant(cur, role: str) -> bool:
    cur.execute("select 1 from pg_roles where rolname = %s", [role])
    if cur.fetchone() is None:
        return False
    grantee = quote_ident(role)
    for schema in ANALYST_SCHEMAS:
        name = quote_ident(schema)
        cur.execute(f"create schema if not exists {name}")
        cur.execute(f"grant usage on schema {name} to {grantee}")
        cur.execute(f"alter default privileges in schema {name} grant select on tables to {grantee}")
        cur.execute(f"grant select on all tables in schema {name} to {grantee}")
    return True


def build_on_server(
    warehouse_path: Path,
    url: str,
    analyst_role: str,
    reference_dir: Path,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
    lock_wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
    log=None,
) -> ServerBuild:
    """Copy what changed, build the project on the server, grant the analysts their schemas."""
    duck = connect_waiting(warehouse_path, True, {"memory_limit": memory_limit}, lock_wait_seconds)
    try:
        copied = copy_to_postgres(duck, url, COPIED_SCHEMAS, True, lock_wait_seconds)
    finally:
        duck.close()
    granted = prepare_grants(url, analyst_role, lock_wait_seconds)
    if not granted and log:
        log.warning(
            f"vai trò {analyst_role} chưa có trên máy chủ PostgreSQL: cán bộ phân tích chưa đọc được kho "
            f"(the analysts' role {analyst_role} does not exist on the server: create it, README)"
        )
    started = time.perf_counter()
    command = dbt_command(
        "build",
        "--target",
        "postgres",
        "--target-path",
        str(SERVER_TARGET),
        "--exclude-resource-type",
        "unit_test",
        "--exclude",
        LOGIC_TESTS,
        # the incremental dossier models in full every time: the copy replaces raw tables whole, so rows the
        # local warehouse no longer has (it was rebuilt, or its sources changed) must leave the server's
        # models too; incremental, they stayed, and the server's checks found 479 impossible dates for 33
        "--full-refresh",
    )
    # dbt's sessions wait for a table's lock as long as the copy's do, then fail (PGOPTIONS, read by libpq)
    options = lock_timeout_options(lock_wait_seconds)
    env = {**os.environ, **seed_path_env(reference_dir), **postgres_env(url), "PGOPTIONS": options}
    done = subprocess.run(command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        if "lock timeout" in done.stdout:
            holders = sessions_holding(url, ANALYST_SCHEMAS)
            raise locked_error("bảng của kho", holders, lock_wait_seconds)
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-40:])
        raise RuntimeError(f"dbt build on the PostgreSQL server failed:\n{tail}")
    moved = [c for c in copied if not c.unchanged]
    return ServerBuild(
        [f"{c.schema}.{c.table}" for c in moved],
        len(copied) - len(moved),
        sum(c.rows for c in moved),
        time.perf_counter() - started,
        granted,
    )


@asset(
    owners=OWNERS,
    key=SERVER_WAREHOUSE,
    group_name="analysts",
    kinds={"postgres", "dbt"},
    deps=[*warehouse_dbt_assets.keys, FINDINGS, *reporting_dbt_assets.keys],
    description="The warehouse on the PostgreSQL server (CDS_POSTGRES_URL): the landed rows and the findings "
    "copied there, every model built there by dbt, the analysts' role reading marts, quality, reference and "
    "reporting only.",
)
def server_warehouse(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    server: ServerWarehouseResource,
    reference: ReferenceResource,
) -> MaterializeResult:
    started = time.perf_counter()
    build = build_on_server(
        Path(warehouse.path),
        server.url,
        server.analyst_role,
        reference.path,
        warehouse.memory_limit,
        warehouse.lock_wait_seconds,
        context.log,
    )
    return MaterializeResult(
        metadata={
            "tables_copied": MetadataValue.json(build.copied),
            "tables_unchanged": build.unchanged,
            "rows_copied": build.rows_copied,
            "dbt_seconds": round(build.dbt_seconds, 2),
            "analyst_role": server.analyst_role,
            "analyst_grants": build.granted,
            "seconds": round(time.perf_counter() - started, 2),
        }
    )


def judge_on_server(url: str) -> list[SuiteResult]:
    """Every Great Expectations suite of `expectations/`, run on the server through SQLAlchemy (GX's own
    PostgreSQL path), its rule SQL translated from DuckDB's dialect."""
    return run_suites([spec.in_dialect("postgres") for spec in load_suites()], url)


@dataclass(frozen=True)
class Disagreement:
    suite: str
    rule_code: str
    local: str  # what the run found on the DuckDB file, as quality.dq_rule_results holds it
    server: str


def _outcome(success: bool | None, unexpected: int | None, error: str | None) -> str:
    if error:
        return f"lỗi SQL: {error.splitlines()[0][:200]}"
    if success is None:
        return "không có kết quả"
    return "đạt" if success else f"{unexpected if unexpected is not None else '?'} dòng không đạt"


def disagreements(results: list[SuiteResult], local: dict[tuple[str, str], tuple]) -> list[Disagreement]:
    """Rules whose outcome on the server differs from the run's. An `integrity` suite keeps no results
    (it blocks the run instead), so it must pass; a rule that could not run is never agreement."""
    found = []
    for suite in results:
        for rule in suite.rules:
            ours = _outcome(rule.success, rule.unexpected_count, rule.error)
            success, unexpected = local.get((suite.suite, rule.rule_code), (True, 0))
            theirs = _outcome(success, unexpected, None)
            if rule.error or ours != theirs:
                found.append(Disagreement(suite.suite, rule.rule_code, theirs, ours))
    return found


@asset_check(
    asset=SERVER_WAREHOUSE,
    name="same_checks_on_server",
    description="Every Great Expectations suite run again on the server warehouse, through SQLAlchemy: each "
    "rule must find there what the run found in the DuckDB file (quality.dq_rule_results), and every "
    "integrity rule must pass.",
    blocking=False,
)
def same_checks_on_server(server: ServerWarehouseResource) -> AssetCheckResult:
    import psycopg2

    started = time.perf_counter()
    results = judge_on_server(server.url)
    with contextlib.closing(psycopg2.connect(server.url)) as pg, pg, pg.cursor() as cur:
        cur.execute("select suite, rule_code, success, unexpected_count from quality.dq_rule_results")
        local = {(suite, rule): (success, count) for suite, rule, success, count in cur.fetchall()}
    found = disagreements(results, local)
    table = ["| suite | rule | in the run | on the server |", "|---|---|---|---|"]
    table += [f"| {d.suite} | {d.rule_code} | {d.local} | {d.server} |" for d in found]
    return AssetCheckResult(
        passed=not found,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "rules_run": sum(len(r.rules) for r in results),
            "disagreements": len(found),
            "details": MetadataValue.md("\n".join(table) if found else "Mọi quy tắc cho cùng kết quả."),
            "seconds": round(time.perf_counter() - started, 2),
        },
    )


def report_differences(warehouse_path: Path, url: str, lock_wait_seconds: float) -> dict[str, list[str]]:
    """Period → the parts of its publication (`PeriodReport` fields) that read differently from the server
    than from the local file; every period with data is read from both."""
    import psycopg2

    from pipelines.reports.read import build_report, periods_with_data
    from pipelines.warehouse.postgres import QmarkConnection

    differences = {}
    local = connect_waiting(warehouse_path, True, {}, lock_wait_seconds)
    try:
        with contextlib.closing(psycopg2.connect(url)) as pg:
            server = QmarkConnection(pg)
            periods = periods_with_data(local)
            if periods_with_data(server) != periods:
                differences["*"] = ["periods_with_data"]
            for period in periods:
                ours, theirs = build_report(local, period), build_report(server, period)
                fields = [
                    f.name for f in dataclass_fields(ours) if getattr(ours, f.name) != getattr(theirs, f.name)
                ]
                if fields:
                    differences[period] = fields
    finally:
        local.close()
    return differences


@asset_check(
    asset=SERVER_WAREHOUSE,
    name="same_report_on_server",
    description="Every period's publication read again from the server warehouse (the report reader's SQL "
    "runs on both engines): every figure, finding and submission line must equal what the local file gives.",
    blocking=False,
)
def same_report_on_server(warehouse: WarehouseResource, server: ServerWarehouseResource) -> AssetCheckResult:
    started = time.perf_counter()
    differences = report_differences(Path(warehouse.path), server.url, warehouse.lock_wait_seconds)
    return AssetCheckResult(
        passed=not differences,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "periods_differing": len(differences),
            "details": MetadataValue.md(
                "\n".join(f"- {period}: {', '.join(fields)}" for period, fields in differences.items())
                or "Mọi kỳ báo cáo đọc từ máy chủ đều giống bản công bố."
            ),
            "seconds": round(time.perf_counter() - started, 2),
        },
    )


def build_defs(settings: Settings) -> Definitions:
    """The server step and its checks, only where a server is configured."""
    if not settings.postgres_url:
        return Definitions()
    return Definitions(assets=[server_warehouse], asset_checks=[same_checks_on_server, same_report_on_server])
