"""The main job materialises end to end on a small generated sample in a temporary folder, and the online
rate in the mart equals a hand recomputation from the generated export files."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest
from dagster import AssetKey, DagsterInstance, Definitions

from pipelines.definitions import build_definitions, main_job, run_main_job
from pipelines.quality.checks import build_suite_check
from pipelines.quality.suites import load_suites
from pipelines.reference import default_resolver, read_seed

from .conftest import settings_for


def _hand_count(sources: Path) -> dict[tuple[str, str], list[int]]:
    """(commune_id, quarter) -> [online, received], counting each dossier code once."""
    quarters = [p for p in read_seed("ref_reporting_calendar") if p["period_type"] == "quarter"]
    resolve = default_resolver().resolve
    rows = []
    for path in sorted((sources / "dossiers").glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as handle:
            rows.extend(csv.DictReader(handle))
    for path in sorted((sources / "dossiers").glob("*.xlsx")):
        values = openpyxl.load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True)
        headers = next(values)
        rows.extend(dict(zip(headers, r, strict=True)) for r in values)
    seen, counts = set(), defaultdict(lambda: [0, 0])
    for row in rows:
        if row["Mã hồ sơ"] in seen:
            continue
        seen.add(row["Mã hồ sơ"])
        commune = resolve(row["Đơn vị tiếp nhận"])
        if commune is None:
            continue
        day = datetime.strptime(row["Ngày tiếp nhận"], "%d/%m/%Y %H:%M:%S").date().isoformat()
        quarter = next(q["period_key"] for q in quarters if q["starts_on"] <= day <= q["ends_on"])
        counts[(commune, quarter)][0] += row["Hình thức nộp"] == "Trực tuyến"
        counts[(commune, quarter)][1] += 1
    return counts


@pytest.fixture(scope="module")
def pipeline_run(small_sample: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("run")
    settings = settings_for(small_sample, root)
    result = run_main_job(settings, DagsterInstance.ephemeral())
    return settings, result


def test_the_main_job_succeeds_and_its_checks_pass(pipeline_run):
    _, result = pipeline_run
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert any(e.check_name == "gx_fct_commune_indicator" and e.passed for e in evaluations)
    assert all(e.passed for e in evaluations), [e.check_name for e in evaluations if not e.passed]


def test_online_rate_equals_a_hand_recount_of_the_export(pipeline_run, small_sample: Path):
    settings, _ = pipeline_run
    expected = _hand_count(small_sample)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.execute(
            """select commune_id, period_key, numerator, denominator, value from marts.fct_commune_indicator
               where indicator_code = 'DOS_ONLINE_RATE' and scope = 'commune' and period_key like '%-Q%'"""
        ).fetchall()
        province = dict(
            con.execute(
                """select period_key, value from marts.fct_commune_indicator
               where indicator_code = 'DOS_ONLINE_RATE' and scope = 'province'"""
            ).fetchall()
        )
    assert {(c, p): [n, d] for c, p, n, d, _ in rows} == dict(expected)
    for _, _, n, d, value in rows:
        assert value == pytest.approx(100 * n / d, abs=1e-6)
    online = sum(v[0] for k, v in expected.items() if k[1] == "2025-Q1")
    received = sum(v[1] for k, v in expected.items() if k[1] == "2025-Q1")
    assert province["2025-Q1"] == pytest.approx(100 * online / received, abs=1e-6)  # ratio of sums
    both = [sum(v[i] for v in expected.values()) for i in (0, 1)]
    assert province["2025-9M"] == pytest.approx(100 * both[0] / both[1], abs=1e-6)


def test_the_report_is_published_in_vietnamese(pipeline_run):
    settings, _ = pipeline_run
    html = (settings.reports_dir / "2025-Q1" / "report.html").read_text(encoding="utf-8")
    assert "Tỷ lệ hồ sơ tiếp nhận trực tuyến" in html
    assert "Xếp hạng các xã" in html
    assert " %</td>" in html and "," in html  # decimal comma and spaced percent sign


def test_a_failing_error_check_blocks_the_report(pipeline_run, small_sample: Path):
    """Same graph with a suite that the data cannot pass: the report must not be published."""
    settings, _ = pipeline_run
    real = next(s for s in load_suites() if s.name == "fct_commune_indicator")
    impossible = real.__class__(
        name="impossible",
        description="no rate can exceed 1 %",
        asset_key=real.asset_key,
        schema=real.schema,
        table=real.table,
        expectations=[
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "value", "max_value": 1},
                "meta": {"rule_code": "TEST_IMPOSSIBLE", "severity": "error", "message_vi": "thử"},
            }
        ],
    )
    base = build_definitions(settings)
    defs = Definitions(
        assets=list(base.assets),
        asset_checks=[build_suite_check(impossible)],
        jobs=[main_job],
        resources=base.resources,
    )
    result = run_main_job(settings, DagsterInstance.ephemeral(), defs, raise_on_error=False)
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    assert [e.check_name for e in failed] == ["gx_impossible"]
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert AssetKey(["marts", "fct_commune_indicator"]) in materialized
    assert AssetKey(["reports", "provincial_report"]) not in materialized


def test_every_source_file_is_registered_and_balanced(pipeline_run, small_sample: Path):
    settings, _ = pipeline_run
    from pipelines.ingest.assets import conservation_violations

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        registered = con.execute(
            "select source_kind, status, count(*) from raw.ingested_files group by all"
        ).fetchall()
        for kind in ("dossier_export", "submission_form", "staffing_list"):
            assert conservation_violations(con, kind) == []
        rejected = con.execute("""select q.reason_code from raw.quarantine q
                                  join raw.ingested_files f on f.sha256 = q.file_sha256""").fetchall()
    counts = {(k, s): n for k, s, n in registered}
    forms = [p for p in (small_sample / "submissions").rglob("*.xlsx") if p.name != "template.xlsx"]
    assert counts[("submission_form", "loaded")] + counts.get(("submission_form", "rejected"), 0) == len(
        forms
    )
    assert ("unknown_commune",) in rejected  # the form from another province
    assert counts[("staffing_list", "loaded")] == 2


def test_ingesting_the_same_sources_again_changes_nothing(pipeline_run):
    settings, _ = pipeline_run
    query = """select (select count(*) from raw.dossiers), (select count(*) from raw.submission_values),
                      (select count(*) from raw.staffing), (select count(*) from raw.quarantine)"""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        before = con.execute(query).fetchall()
    result = run_main_job(settings, DagsterInstance.ephemeral())
    assert result.success
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.execute(query).fetchall() == before


def test_no_personal_field_reaches_an_analyst_facing_schema(pipeline_run):
    settings, _ = pipeline_run
    personal = ("full_name", "birth_date", "phone", "citizen_id")
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        columns = con.execute(
            """select table_schema, table_name, column_name from information_schema.columns
               where column_name in ('full_name', 'birth_date', 'phone', 'citizen_id')"""
        ).fetchall()
        staged = con.execute(
            "select count(*), count(distinct person_key) from staging.stg_staffing__officials"
        )
        rows, people = staged.fetchone()
    assert {schema for schema, _, _ in columns} == {"restricted"}
    assert {column for _, _, column in columns} == set(personal)
    assert rows > 0 and people > 0
