"""The server warehouse (CDS_POSTGRES_URL): the main job's last step builds the same warehouse on a PostgreSQL
server, where the analysts' role reads marts, quality, reference and reporting while runs write, and nothing
personal. Runs against a throwaway cluster of Debian's PostgreSQL (tests/postgres.py), installed by `.ci/run`
when missing."""

from __future__ import annotations

import contextlib
import math
import os
import subprocess
import threading
from dataclasses import replace
from decimal import Decimal

import duckdb
import pytest

ANALYST = "cds_analyst"
COMPARED_SCHEMAS = ("staging", "intermediate", "marts", "reference", "reporting")


@pytest.fixture(scope="module")
def served(postgres_url, pipeline_run):
    """The server step materialised by Dagster after the main job on the small sample, then once more with
    nothing new."""
    import psycopg2
    from dagster import materialize

    from pipelines.resources import build_resources
    from pipelines.warehouse.server import server_warehouse

    with contextlib.closing(psycopg2.connect(postgres_url)) as pg, pg, pg.cursor() as cur:
        cur.execute(f"create role {ANALYST} login")
    settings, _ = pipeline_run
    server_settings = replace(settings, postgres_url=postgres_url)
    before = os.environ.get("CDS_POSTGRES_URL")
    os.environ["CDS_POSTGRES_URL"] = postgres_url  # the resource reads the URL as an EnvVar
    try:
        results = [
            materialize([server_warehouse], resources=build_resources(server_settings)) for _ in range(2)
        ]
    finally:
        if before is None:
            os.environ.pop("CDS_POSTGRES_URL", None)
        else:
            os.environ["CDS_POSTGRES_URL"] = before
    metadata = [r.asset_materializations_for_node("analysts__server_warehouse")[0].metadata for r in results]
    return server_settings, metadata


def _analyst_url(url: str) -> str:
    return url.replace("postgres@", f"{ANALYST}@", 1)


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list):
        return tuple(value)
    return value


def _rows(rows) -> list[tuple]:
    return sorted((tuple(_plain(v) for v in row) for row in rows), key=repr)


def test_the_server_holds_the_same_warehouse_as_the_local_file(served, postgres_url):
    """Every table and view dbt builds, row for row and value for value (floats exactly), on both."""
    import psycopg2

    settings, metadata = served
    assert metadata[0]["analyst_grants"].value is True
    assert metadata[0]["rows_copied"].value > 0
    # nothing new: nothing copied the second time
    assert metadata[1]["rows_copied"].value == 0 and metadata[1]["tables_copied"].value == []
    local = duckdb.connect(str(settings.warehouse_path), read_only=True)
    relations = local.execute(
        """select schema_name, table_name from duckdb_tables() where schema_name in (select unnest(?))
           union all
           select schema_name, view_name from duckdb_views() where schema_name in (select unnest(?))
             and not internal
           order by 1, 2""",
        [list(COMPARED_SCHEMAS), list(COMPARED_SCHEMAS)],
    ).fetchall()
    assert len(relations) > 40
    compared = 0
    with contextlib.closing(psycopg2.connect(postgres_url)) as pg, pg, pg.cursor() as cur:
        for schema, table in relations:
            columns = [
                c
                for (c,) in local.execute(
                    "select column_name from duckdb_columns() where schema_name = ? and table_name = ? "
                    "order by column_index",
                    [schema, table],
                ).fetchall()
            ]
            listed = ", ".join(f'"{c}"' for c in columns)
            ours = _rows(local.execute(f'select {listed} from "{schema}"."{table}"').fetchall())
            cur.execute(f'select {listed} from "{schema}"."{table}"')
            theirs = _rows(cur.fetchall())
            assert ours == theirs, f"{schema}.{table} differs on the server"
            compared += len(ours)
    local.close()
    assert compared > 20_000


def test_the_published_figures_agree_by_hand(served, postgres_url):
    """One province rate recomputed as a ratio of sums from the server's commune rows."""
    import psycopg2

    with contextlib.closing(psycopg2.connect(_analyst_url(postgres_url))) as pg, pg, pg.cursor() as cur:
        cur.execute(
            """select period_key, numerator, denominator, value from marts.fct_commune_indicator
               where scope = 'province' and source = 'system' and indicator_code = 'DOS_ONLINE_RATE'
               order by period_key limit 1"""
        )
        period, numerator, denominator, value = cur.fetchone()
        cur.execute(
            """select sum(numerator), sum(denominator) from marts.fct_commune_indicator
               where scope = 'commune' and source = 'system' and indicator_code = 'DOS_ONLINE_RATE'
                 and period_key = %s and numerator is not null and denominator is not null""",
            [period],
        )
        summed_numerator, summed_denominator = cur.fetchone()
    assert (numerator, denominator) == (summed_numerator, summed_denominator)
    assert math.isclose(value, 100 * numerator / denominator, abs_tol=5e-7)  # stored to 6 decimals


def test_the_analysts_role_reads_its_schemas_and_nothing_else(served, postgres_url):
    import psycopg2
    from psycopg2 import errors

    with contextlib.closing(psycopg2.connect(_analyst_url(postgres_url))) as pg:
        pg.autocommit = True
        with pg.cursor() as cur:
            for relation in (
                "marts.fct_commune_indicator",
                "quality.dq_findings",
                "reference.ref_communes",
                "reporting.published_figures",
            ):
                cur.execute(f"select count(*) from {relation}")
                assert cur.fetchone()[0] > 0, relation
            for relation in ("raw.staffing", "staging.stg_staffing__officials", "intermediate.int_periods"):
                with pytest.raises(errors.InsufficientPrivilege):
                    cur.execute(f"select count(*) from {relation}")
            # no personal data on the server at all: no restricted schema, no such column anywhere
            cur.execute("select count(*) from information_schema.schemata where schema_name = 'restricted'")
            assert cur.fetchone()[0] == 0
    with contextlib.closing(psycopg2.connect(postgres_url)) as pg, pg, pg.cursor() as cur:
        cur.execute(
            """select table_schema, table_name, column_name from information_schema.columns
               where column_name ~ '(full_name|birth|cccd|ho_ten)' or column_name = 'citizen_id'"""
        )
        assert cur.fetchall() == []


def test_analysts_read_without_error_while_the_server_is_rebuilt(served, postgres_url):
    """A reader loops over the marts while every table is copied again and dbt swaps every model."""
    import psycopg2

    from pipelines.warehouse.postgres import COPIES
    from pipelines.warehouse.server import build_on_server

    settings, _ = served
    with contextlib.closing(psycopg2.connect(postgres_url)) as pg, pg, pg.cursor() as cur:
        cur.execute(f"delete from {COPIES}")  # forget what the server holds: every table is copied again
        cur.execute("select count(*) from marts.fct_commune_indicator")
        expected = cur.fetchone()[0]
    stop, seen, failures = threading.Event(), [], []

    def read() -> None:
        pg = psycopg2.connect(_analyst_url(postgres_url))
        pg.autocommit = True  # each query its own transaction, as a BI tool's refresh
        try:
            with pg.cursor() as cur:
                while not stop.is_set():
                    try:
                        cur.execute("select count(*) from marts.fct_commune_indicator")
                        seen.append(cur.fetchone()[0])
                        cur.execute("select count(*) from reporting.published_figures")
                        cur.fetchone()
                    except Exception as error:  # noqa: BLE001 - any error is the failure under test
                        failures.append(repr(error))
        finally:
            pg.close()

    reader = threading.Thread(target=read)
    reader.start()
    try:
        build = build_on_server(settings.warehouse_path, postgres_url, ANALYST, settings.reference_dir)
    finally:
        stop.set()
        reader.join()
    assert failures == []
    assert len(build.copied) >= 10 and len(seen) > 10
    assert set(seen) == {expected}


def test_a_session_left_in_a_transaction_stops_the_copy_with_its_name_not_forever(served, postgres_url):
    """An analyst's tool that opened a transaction and walked away holds the table it read, which dbt must
    swap: the run waits CDS_WAREHOUSE_LOCK_WAIT seconds, then fails saying which session to end."""
    import psycopg2

    from pipelines.warehouse.postgres import COPIES, ServerLockedError
    from pipelines.warehouse.server import build_on_server

    settings, _ = served
    with contextlib.closing(psycopg2.connect(postgres_url)) as pg, pg, pg.cursor() as cur:
        cur.execute(f"delete from {COPIES} where schema_name = 'quality'")
    holder = psycopg2.connect(_analyst_url(postgres_url), application_name="bi-tool")
    try:
        with holder.cursor() as cur:
            cur.execute("select count(*) from reporting.published_figures")  # the transaction stays open
        with pytest.raises(ServerLockedError, match=r"bi-tool") as failure:
            build_on_server(
                settings.warehouse_path, postgres_url, ANALYST, settings.reference_dir, lock_wait_seconds=1
            )
        assert f"pid {holder.get_backend_pid()}" in str(failure.value)
    finally:
        holder.close()
    build_on_server(settings.warehouse_path, postgres_url, ANALYST, settings.reference_dir)  # then it goes


def test_every_unit_and_logic_test_of_the_models_passes_on_postgres(served, postgres_url, tmp_path):
    from pipelines.settings import DBT_PROJECT_DIR
    from pipelines.warehouse.manifest import dbt_command
    from pipelines.warehouse.server import postgres_env

    command = dbt_command(
        "test",
        "--target",
        "postgres",
        "--target-path",
        str(tmp_path / "target"),
        "--select",
        "test_type:unit tag:logic",
    )
    done = subprocess.run(
        command,
        cwd=DBT_PROJECT_DIR,
        env={**os.environ, **postgres_env(postgres_url)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert " PASS=" in done.stdout and " ERROR=0 " in done.stdout


def test_great_expectations_finds_on_the_server_what_the_run_found(served, postgres_url):
    """Every suite, its SQL translated to PostgreSQL, run by GX through SQLAlchemy on the server: the same
    outcome, rule by rule, as the run's on the DuckDB file; findings among them, so agreement is not empty."""
    from pipelines.resources import ServerWarehouseResource
    from pipelines.warehouse.server import judge_on_server, same_checks_on_server

    results = judge_on_server(postgres_url)
    rules = [rule for suite in results for rule in suite.rules]
    assert len(rules) >= 30 and not [rule.rule_code for rule in rules if rule.error]
    assert sum(rule.unexpected_count or 0 for rule in rules) > 0, (
        "the sample's defects are found on the server"
    )
    check = same_checks_on_server(server=ServerWarehouseResource(url=postgres_url))
    assert check.passed, check.metadata["details"]
    assert check.metadata["rules_run"].value == len(rules)


def test_the_server_check_fails_where_the_server_finds_otherwise(served, postgres_url):
    """Bad case: the run's record of one rule no longer matches what GX finds on the server."""
    import psycopg2

    from pipelines.resources import ServerWarehouseResource
    from pipelines.warehouse.server import same_checks_on_server

    record = "update quality.dq_rule_results set unexpected_count = %s where suite = %s and rule_code = %s"
    with contextlib.closing(psycopg2.connect(postgres_url)) as pg, pg, pg.cursor() as cur:
        cur.execute(
            """select suite, rule_code, unexpected_count from quality.dq_rule_results
               where unexpected_count > 0 order by suite, rule_code limit 1"""
        )
        suite, rule, count = cur.fetchone()
        cur.execute(record, [count + 1, suite, rule])
    try:
        check = same_checks_on_server(server=ServerWarehouseResource(url=postgres_url))
    finally:
        with contextlib.closing(psycopg2.connect(postgres_url)) as pg, pg, pg.cursor() as cur:
            cur.execute(record, [count, suite, rule])
    assert not check.passed
    assert check.metadata["disagreements"].value == 1
    assert f"| {suite} | {rule} | {count + 1} dòng không đạt | {count} dòng không đạt |" in str(
        check.metadata["details"].value
    )


def test_every_publication_reads_the_same_from_the_server(served, postgres_url):
    """The report reader on the server (its SQL is both engines'): every period's report model equal to the
    local file's; then, bad case, one figure changed on the server is named with its period."""
    import psycopg2

    from pipelines.resources import ServerWarehouseResource, WarehouseResource
    from pipelines.warehouse.server import same_report_on_server

    settings, _ = served
    resources = {
        "warehouse": WarehouseResource(path=str(settings.warehouse_path)),
        "server": ServerWarehouseResource(url=postgres_url),
    }
    check = same_report_on_server(**resources)
    assert check.passed, check.metadata["details"]
    with contextlib.closing(psycopg2.connect(postgres_url)) as pg, pg, pg.cursor() as cur:
        cur.execute(
            """select period_key, commune_id, indicator_code, value from reporting.published_figures
               where commune_id is not null and value > 0 order by period_key desc, commune_id limit 1"""
        )
        period, commune, code, value = cur.fetchone()
        cur.execute(
            """update reporting.published_figures set value = %s
               where period_key = %s and commune_id = %s and indicator_code = %s""",
            [value + 1, period, commune, code],
        )
    try:
        check = same_report_on_server(**resources)
    finally:
        with contextlib.closing(psycopg2.connect(postgres_url)) as pg, pg, pg.cursor() as cur:
            cur.execute(
                """update reporting.published_figures set value = %s
                   where period_key = %s and commune_id = %s and indicator_code = %s""",
                [value, period, commune, code],
            )
    assert not check.passed
    assert f"- {period}: " in str(check.metadata["details"].value)
    assert "figures" in str(check.metadata["details"].value)


def test_a_table_dropped_on_the_server_is_copied_again_not_taken_as_unchanged(served, postgres_url):
    import psycopg2

    from pipelines.warehouse.server import build_on_server

    settings, _ = served
    with contextlib.closing(psycopg2.connect(postgres_url)) as pg, pg, pg.cursor() as cur:
        cur.execute("select count(*) from raw.narrative_reports")
        (rows,) = cur.fetchone()
        cur.execute("drop table raw.narrative_reports cascade")  # by hand, or a partial restore
    build = build_on_server(
        settings.warehouse_path, postgres_url, ANALYST, settings.reference_dir, lock_wait_seconds=5
    )
    assert build.copied == ["raw.narrative_reports"]
    with contextlib.closing(psycopg2.connect(postgres_url)) as pg, pg, pg.cursor() as cur:
        cur.execute("select count(*) from raw.narrative_reports")
        assert cur.fetchone() == (rows,) and rows > 0


def test_a_dossier_the_local_warehouse_no_longer_has_leaves_the_server(served, postgres_url):
    """The server's incremental dossier models are rebuilt from the copied rows: a row left from earlier
    data (a local warehouse rebuilt from other sources) does not stay on the server."""
    import psycopg2

    from pipelines.warehouse.server import build_on_server

    settings, _ = served
    with contextlib.closing(psycopg2.connect(postgres_url)) as pg, pg, pg.cursor() as cur:
        cur.execute("select count(*) from marts.fct_dossier")
        (rows,) = cur.fetchone()
        cur.execute("create temporary table left_over as select * from marts.fct_dossier limit 1")
        cur.execute("update left_over set dossier_code = dossier_code || '-LEFT-OVER'")
        cur.execute("insert into marts.fct_dossier select * from left_over")
    build_on_server(
        settings.warehouse_path, postgres_url, ANALYST, settings.reference_dir, lock_wait_seconds=5
    )
    with contextlib.closing(psycopg2.connect(postgres_url)) as pg, pg, pg.cursor() as cur:
        cur.execute("select count(*) from marts.fct_dossier where dossier_code like '%-LEFT-OVER'")
        assert cur.fetchone() == (0,)
        cur.execute("select count(*) from marts.fct_dossier")
        assert cur.fetchone() == (rows,)


def test_the_main_job_has_the_server_step_only_where_a_server_is_set(pipeline_run):
    from dagster import AssetCheckKey

    from pipelines.definitions import build_definitions
    from pipelines.warehouse.server import SERVER_WAREHOUSE

    settings, _ = pipeline_run
    served = replace(settings, postgres_url="postgresql://cds@127.0.0.1:5432/cds")
    with_server, without = build_definitions(served), build_definitions(settings)
    assert SERVER_WAREHOUSE in with_server.resolve_all_asset_keys()
    for name in ("same_checks_on_server", "same_report_on_server"):
        check = AssetCheckKey(SERVER_WAREHOUSE, name)
        assert check in with_server.resolve_job_def("main_job").asset_layer.asset_graph.asset_check_keys
    assert SERVER_WAREHOUSE not in without.resolve_all_asset_keys()


def test_a_connection_url_becomes_libpq_variables():
    from pipelines.warehouse.server import postgres_env

    assert postgres_env("postgresql://cds:s%40cret@db.example:6432/warehouse") == {
        "PGHOST": "db.example",
        "PGPORT": "6432",
        "PGUSER": "cds",
        "PGPASSWORD": "s@cret",
        "PGDATABASE": "warehouse",
    }


def test_cds_warehouse_postgres_takes_the_url_or_libpq_variables_and_refuses_neither():
    from pipelines.settings import LIBPQ_URL, Settings

    assert Settings.from_env({}).postgres_url == ""
    url = "postgresql://cds@db.example:5432/cds"
    assert Settings.from_env({"CDS_WAREHOUSE": "postgres", "CDS_POSTGRES_URL": url}).postgres_url == url
    assert Settings.from_env({"CDS_POSTGRES_URL": url}).postgres_url == url  # the URL alone, as before
    libpq = Settings.from_env({"CDS_WAREHOUSE": "postgres", "PGHOST": "db.example", "PGDATABASE": "cds"})
    assert libpq.postgres_url == LIBPQ_URL
    with pytest.raises(ValueError, match="CDS_WAREHOUSE=postgres needs"):
        Settings.from_env({"CDS_WAREHOUSE": "postgres"})
    with pytest.raises(ValueError, match="duckdb or postgres"):
        Settings.from_env({"CDS_WAREHOUSE": "mysql"})


def test_the_libpq_variables_reach_the_server_step(served, postgres_url, monkeypatch):
    """CDS_WAREHOUSE=postgres with PGHOST/PGPORT/PGUSER/PGDATABASE and no URL: the checks connect through
    libpq's variables."""
    from psycopg2.extensions import parse_dsn

    from pipelines.resources import ServerWarehouseResource
    from pipelines.settings import LIBPQ_URL
    from pipelines.warehouse.server import same_checks_on_server

    parts = parse_dsn(postgres_url)
    for key, variable in (
        ("host", "PGHOST"),
        ("port", "PGPORT"),
        ("user", "PGUSER"),
        ("dbname", "PGDATABASE"),
    ):
        monkeypatch.setenv(variable, parts[key])
    check = same_checks_on_server(server=ServerWarehouseResource(url=LIBPQ_URL))
    assert check.passed, check.metadata["details"]
