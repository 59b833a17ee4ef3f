"""The main job materialises end to end on a small generated sample in a temporary folder, and the online
rate in the mart equals a hand recomputation from the generated export files."""

from __future__ import annotations

import csv
import os
import shutil
from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest
from dagster import AssetKey, DagsterInstance, Definitions

from pipelines.core.sqltext import quote_qualified
from pipelines.definitions import build_definitions, main_job
from pipelines.quality.checks import build_suite_check
from pipelines.quality.recall import markdown, read_defects, score
from pipelines.quality.suites import load_suites
from pipelines.reference import default_resolver, read_seed
from pipelines.reports.read import build_report
from pipelines.run import run_main_job
from pipelines.tools.sample.generator import generate_sample
from pipelines.warehouse.dbt import BUILD_MARKS, INCREMENTAL_GENERATION
from pipelines.warehouse.inprocess import run_dbt_command
from pipelines.warehouse.manifest import dbt_env

from .conftest import SMALL, settings_for
from .later_run import dossier_state


def _dossier_rows(sources: Path) -> list[dict]:
    """Every row of every export file (CSV and XLSX), each dossier code once."""
    rows = []
    for path in sorted((sources / "dossiers").glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as handle:
            rows.extend(csv.DictReader(handle))
    for path in sorted((sources / "dossiers").glob("*.xlsx")):
        values = openpyxl.load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True)
        headers = next(values)
        rows.extend(dict(zip(headers, r, strict=True)) for r in values)
    seen, unique = set(), []
    for row in rows:
        if row["Mã hồ sơ"] not in seen:
            seen.add(row["Mã hồ sơ"])
            unique.append(row)
    return unique


def _timestamp(text: str | None) -> datetime | None:
    return datetime.strptime(text, "%d/%m/%Y %H:%M:%S") if text else None


def _hand_count(sources: Path) -> dict[tuple[str, str], dict[str, int]]:
    """(commune_id, quarter) -> dossier counts, from the export files, for dossiers received in the quarter
    and judged on the quarter's last day: a dossier finished after it is still in progress."""
    quarters = [p for p in read_seed("ref_reporting_calendar") if p["period_type"] == "quarter"]
    resolve = default_resolver().resolve
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(
        lambda: {"online": 0, "received": 0, "resolved": 0, "dated": 0, "early_or_on_time": 0}
    )
    for row in _dossier_rows(sources):
        commune = resolve(row["Đơn vị tiếp nhận"])
        if commune is None:
            continue
        received, due = _timestamp(row["Ngày tiếp nhận"]), _timestamp(row["Hạn xử lý"])
        finished = _timestamp(row["Ngày hoàn thành"])
        quarter = next(q for q in quarters if q["starts_on"] <= received.date().isoformat() <= q["ends_on"])
        count = counts[(commune, quarter["period_key"])]
        count["received"] += 1
        count["online"] += row["Hình thức nộp"] == "Trực tuyến"
        resolved_by_quarter_end = (
            row["Trạng thái"] == "Đã giải quyết"
            and finished is not None
            and finished.date().isoformat() <= quarter["ends_on"]
        )
        if resolved_by_quarter_end:
            count["resolved"] += 1
            # finished on or before the due date (the day counts, not the hour); a dossier finished before
            # it was received has invalid dates: resolved, but out of the timeliness rates
            count["dated"] += received <= finished
            count["early_or_on_time"] += received <= finished and finished.date() <= due.date()
    return counts


def _hand_count_staffing(sources: Path) -> dict[tuple[str, str], dict[str, int]]:
    """(commune_id, period) -> officials and officials trained in basic digital skills, each person once."""
    resolve = default_resolver().resolve
    people: dict[tuple[str, str], dict[str, bool]] = defaultdict(dict)
    for path in sorted((sources / "staffing").glob("staffing_*.xlsx")):
        period = path.stem.removeprefix("staffing_")
        values = openpyxl.load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True)
        headers = next(values)
        for row in (dict(zip(headers, r, strict=True)) for r in values):
            person = row["Số CCCD"] or (row["Họ và tên"], row["Ngày sinh"])
            trained = people[(resolve(row["Đơn vị"]), period)]
            trained[person] = trained.get(person, False) or row["Tập huấn kỹ năng số"] == "Có"
    return {key: {"officials": len(p), "trained": sum(p.values())} for key, p in people.items()}


def test_the_main_job_succeeds_and_its_checks_pass(pipeline_run):
    """Ingest and integrity checks pass; every data-quality suite reports on its asset (the sample has
    defects, so those fail, as they should: their recall is tested below)."""
    _, result = pipeline_run
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert any(e.check_name == "gx_fct_commune_indicator" and e.passed for e in evaluations)
    # dbt's tests arrive as the checks of their models (dbt runs in this process; dagster-dbt maps its events)
    assert any(e.check_name == "unique_ref_communes_commune_id" and e.passed for e in evaluations)
    pipeline_checks = [e for e in evaluations if not e.check_name.startswith("dq_")]
    assert all(e.passed for e in pipeline_checks), [e.check_name for e in pipeline_checks if not e.passed]
    reported = {e.check_name for e in evaluations if e.check_name.startswith("dq_")}
    assert reported == {f"dq_{spec.name}" for spec in load_suites(tier="findings")}


def test_the_findings_checks_run_in_one_step_and_a_subset_runs_only_the_chosen(pipeline_run):
    """The thirteen `dq_<suite>` checks are one step (`quality_dq_checks`); choosing one of them, as in the
    UI, evaluates that one only, with the same outcome as in the main job."""
    from dagster import AssetCheckKey, AssetSelection, define_asset_job

    settings, result = pipeline_run
    steps = {e.step_key for e in result.all_events if e.step_key}
    assert "quality_dq_checks" in steps and not any(s.endswith("_dq_raw_dossiers") for s in steps)
    spec = next(s for s in load_suites(tier="findings") if s.name == "raw_dossiers")
    key = AssetCheckKey(AssetKey(spec.asset_key), "dq_raw_dossiers")
    defs = build_definitions(settings)
    job = define_asset_job("one_check", selection=AssetSelection.checks(key)).resolve(
        asset_graph=defs.resolve_asset_graph()
    )
    alone = job.execute_in_process(instance=DagsterInstance.ephemeral(), resources=defs.resources)
    (evaluation,) = alone.get_asset_check_evaluations()
    (before,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "dq_raw_dossiers"]
    assert (evaluation.asset_check_key, evaluation.passed) == (key, before.passed)


def test_online_rate_equals_a_hand_recount_of_the_export(pipeline_run, small_sample: Path):
    settings, _ = pipeline_run
    expected = _hand_count(small_sample)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.execute(
            """select commune_id, period_key, numerator, denominator, value from marts.fct_commune_indicator
               where indicator_code = 'DOS_ONLINE_RATE' and scope = 'commune' and source = 'system'
                 and period_type = 'quarter'"""
        ).fetchall()
        province = dict(
            con.execute(
                """select period_key, value from marts.fct_commune_indicator
               where indicator_code = 'DOS_ONLINE_RATE' and scope = 'province' and source = 'system'"""
            ).fetchall()
        )
    # every commune of the province has a row; the ones the small sample gives no dossier read 0 of 0
    assert {(c, p): [n, d] for c, p, n, d, _ in rows if d} == {
        key: [count["online"], count["received"]] for key, count in expected.items()
    }
    assert all(value is None for *_, d, value in rows if not d)
    for _, _, n, d, value in (row for row in rows if row[3]):
        assert value == pytest.approx(100 * n / d, abs=1e-6)
    online = sum(v["online"] for k, v in expected.items() if k[1] == "2025-Q1")
    received = sum(v["received"] for k, v in expected.items() if k[1] == "2025-Q1")
    assert province["2025-Q1"] == pytest.approx(100 * online / received, abs=1e-6)  # ratio of sums
    # the sample covers two quarters: no 9-month or year figure is made from a part of its quarters
    assert "2025-9M" not in province and "2025-Y" not in province


def test_three_indicators_for_three_communes_equal_a_hand_recount_to_the_last_digit(
    pipeline_run, small_sample: Path
):
    """Online share and early-or-on-time share from the export files, trained share from the staffing
    lists: numerators and denominators equal, values equal to the mart's six decimals."""
    settings, _ = pipeline_run
    dossiers, staffing = _hand_count(small_sample), _hand_count_staffing(small_sample)
    communes = sorted({commune for commune, _ in dossiers})[:3]
    expected = {}
    for (commune, period), count in dossiers.items():
        if commune in communes:
            expected[(commune, period, "DOS_ONLINE_RATE")] = (count["online"], count["received"])
            expected[(commune, period, "DOS_EARLY_OR_ON_TIME_RATE")] = (
                count["early_or_on_time"],
                count["dated"],
            )
    for (commune, period), count in staffing.items():
        if commune in communes:
            expected[(commune, period, "STAFF_BASIC_SKILLS_RATE")] = (count["trained"], count["officials"])
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        rows = con.execute(
            """select commune_id, period_key, indicator_code, numerator, denominator, value
               from marts.fct_commune_indicator
               where scope = 'commune' and source = 'system' and period_type = 'quarter'
                 and commune_id in (select unnest(?::varchar[]))
                 and indicator_code in ('DOS_ONLINE_RATE', 'DOS_EARLY_OR_ON_TIME_RATE',
                                        'STAFF_BASIC_SKILLS_RATE')""",
            [communes],
        ).fetchall()
    actual = {(c, p, i): (n, d) for c, p, i, n, d, _ in rows}
    assert len(expected) == 3 * 2 * 3 and actual == expected
    for *_, n, d, value in rows:
        assert value == round(100 * n / d, 6)


def _identity_breaks(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, list], int]:
    """Per dossier identity of the catalogue, the system figures (scope, commune, period) whose total is not
    the sum of its parts, or that lack a part; and how many totals were checked."""
    identities = con.execute(
        """select identity, total_code, string_split(part_codes, ';')
           from reference.ref_indicator_identities"""
    ).fetchall()
    broken, checked = {}, 0
    for identity, total, parts in identities:
        if not total.startswith("DOS_"):
            continue
        broken[identity] = con.execute(
            """with figures as (
                   select scope, commune_id, period_key, indicator_code, numerator
                   from marts.fct_commune_indicator where source = 'system'
               )
               select t.scope, t.commune_id, t.period_key, t.numerator,
                      sum(p.numerator), count(p.numerator)
               from figures t
               left join figures p
                 on p.scope = t.scope and p.commune_id is not distinct from t.commune_id
                and p.period_key = t.period_key and list_contains(?::varchar[], p.indicator_code)
               where t.indicator_code = ?
               group by all
               having count(p.numerator) <> len(?::varchar[]) or t.numerator <> sum(p.numerator)""",
            [parts, total, parts],
        ).fetchall()
        checked += con.execute(
            """select count(*) from marts.fct_commune_indicator
               where source = 'system' and indicator_code = ?""",
            [total],
        ).fetchall()[0][0]
    return broken, checked


def test_the_system_figures_satisfy_every_identity_of_the_catalogue(pipeline_run):
    """resolved = early + on time + late + invalid dates, received = resolved + in progress + withdrawn,
    received = online + in person + postal: on the dossier system's own figures, for every commune and
    period (quarters, 9 months, year) and the province, with invalid-date dossiers in the sample."""
    settings, _ = pipeline_run
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        invalid = con.execute(
            """select sum(numerator) from marts.fct_commune_indicator
               where scope = 'commune' and period_type = 'quarter' and indicator_code = 'DOS_INVALID_DATES'"""
        ).fetchall()[0][0]
        assert invalid and invalid > 0, "the sample should hold dossiers finished before they were received"
        broken, checked = _identity_breaks(con)
    for identity, rows in broken.items():
        assert not rows, (identity, rows[:5])
    assert checked > 100


def test_the_identity_check_sees_a_figure_that_does_not_add_up(pipeline_run, tmp_path: Path):
    """The bad case: one commune's invalid-date count off by one breaks resolved = its parts there only."""
    settings, _ = pipeline_run
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(settings.warehouse_path, copy)
    with duckdb.connect(str(copy)) as con:
        (commune, period) = con.execute(
            """select commune_id, period_key from marts.fct_commune_indicator
               where scope = 'commune' and source = 'system' and indicator_code = 'DOS_INVALID_DATES'
               order by all limit 1"""
        ).fetchall()[0]
        con.execute(
            """update marts.fct_commune_indicator set numerator = numerator + 1
               where scope = 'commune' and source = 'system' and indicator_code = 'DOS_INVALID_DATES'
                 and commune_id = ? and period_key = ?""",
            [commune, period],
        )
        broken, _ = _identity_breaks(con)
    resolved = next(rows for identity, rows in broken.items() if identity.startswith("resolved="))
    assert [(scope, c, p) for scope, c, p, *_ in resolved] == [("commune", commune, period)]
    assert all(not rows for identity, rows in broken.items() if not identity.startswith("resolved="))


def test_every_mart_materialisation_carries_its_row_count_and_column_schema(pipeline_run):
    settings, result = pipeline_run
    counts = {}
    for event in result.get_asset_materialization_events():
        key = event.asset_key.path
        if len(key) == 2 and key[0] == "marts":
            counts[key[1]] = event.materialization.metadata["dagster/row_count"].value
    assert {"fct_commune_indicator", "fct_dossier", "dim_commune"} <= counts.keys()
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        for table, count in counts.items():
            assert con.execute(f"select count(*) from marts.{table}").fetchall()[0][0] == count, table
    specs = {s.key: s for s in build_definitions(settings).resolve_all_asset_specs()}
    schema = specs[AssetKey(["marts", "fct_commune_indicator"])].metadata["dagster/column_schema"]
    assert {"commune_id", "period_key", "indicator_code", "value"} <= {c.name for c in schema.columns}
    assert all(c.description for c in schema.columns)


def test_counts_reach_analysts_as_integers(pipeline_run):
    """Every whole figure of the sample is in the BIGINT columns, equal to its DOUBLE; rates' percents are
    not (the unit test `counts_are_whole_numbers_for_analysts` feeds a fractional count)."""
    settings, _ = pipeline_run
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'marts' and table_name = 'fct_commune_indicator' "
                "and column_name like '%_count'"
            ).fetchall()
        )
        wrong = con.execute(
            """select count(*) filter (where numerator is distinct from numerator_count),
                      count(*) filter (where denominator is distinct from denominator_count),
                      count(*) filter (where kind <> 'rate' and value is distinct from value_count),
                      count(*) filter (where kind = 'rate' and value_count is not null),
                      count(*) filter (where kind <> 'rate' and value_count is not null)
               from marts.fct_commune_indicator join marts.dim_indicator using (indicator_code)"""
        ).fetchall()[0]
    assert {types[c] for c in ("numerator_count", "denominator_count", "value_count")} == {"BIGINT"}
    assert wrong[:4] == (0, 0, 0, 0) and wrong[4] > 1000


def test_the_report_is_published_in_vietnamese(pipeline_run):
    settings, _ = pipeline_run
    html = (settings.reports_dir / "2025-Q1" / "bao-cao-2025-Q1.html").read_text(encoding="utf-8")
    assert "Tỷ lệ hồ sơ tiếp nhận trực tuyến" in html
    assert "Xếp hạng Chỉ số phục vụ" in html
    assert " %</td>" in html and "," in html  # decimal comma and spaced percent sign
    published = {p.parent.name for p in settings.reports_dir.glob("*/manifest.json")}
    assert published == {"2025-Q1", "2025-Q2"}  # every period of the sample (two quarters)
    assert (settings.reports_dir / "index.html").exists()


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
    result = run_main_job(settings, DagsterInstance.ephemeral(), defs, raise_on_error=False, rebuild=True)
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


def test_a_later_export_updates_a_dossier_incrementally(later_run):
    """A dossier open at the end of Q1 is resolved in Q2 and comes again in a later export: the next run
    replaces its row (no duplicate), and Q1 still counts it in progress (judged on Q1's last day)."""
    dossiers_before, (status, outcome, _), q1_before = later_run.dossiers_before
    assert (status, outcome) == ("in_progress", "open")
    assert later_run.succeeded
    dossiers_after, (status, outcome, finished_in), q1_after = dossier_state(
        later_run.settings.warehouse_path, later_run.dossier_code, later_run.dossier_commune
    )
    assert dossiers_after == dossiers_before
    assert status == "resolved" and outcome in ("early", "on_time", "late") and finished_in == "2025-Q2"
    assert q1_after == q1_before
    # the analysts' copy followed the same delete+insert from its previous edition, and holds the same rows
    settings = later_run.settings
    every_dossier = "select * from marts.fct_dossier order by dossier_code"
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        in_warehouse = con.execute(every_dossier).fetchall()
        generation = con.execute(
            f"select digest from {BUILD_MARKS} where name = ?", [INCREMENTAL_GENERATION]
        ).fetchall()
    with duckdb.connect(str(settings.analyst_path), read_only=True) as con:
        assert con.execute(every_dossier).fetchall() == in_warehouse
        assert con.execute("select generation from main.about").fetchall() == generation


def _model_rows(path: Path) -> dict[str, list]:
    """Every seed, view and table dbt builds: its rows in a fixed order, without the time each row was
    loaded (a rebuild loads them again)."""
    rows = {}
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute(
            """select table_schema, table_name from information_schema.tables
               where table_schema in ('reference', 'staging', 'intermediate', 'marts') order by all"""
        ).fetchall()
        for schema, name in tables:
            cursor = con.execute(
                f"select * from {quote_qualified(f'{schema}.{name}')}"
            )  # sql-checked: catalog
            keep = [i for i, d in enumerate(cursor.description) if d[0] != "loaded_at"]
            rows[f"{schema}.{name}"] = sorted(
                (tuple(r[i] for i in keep) for r in cursor.fetchall()), key=repr
            )
    return rows


def test_a_refresh_rebuilds_only_what_the_new_files_feed_and_equals_a_full_build(later_run, tmp_path: Path):
    """The later run brought dossiers and a form: the models downstream of them were rebuilt, those of the
    staffing lists, the narrative reports and the seeds were kept, and every model then holds what a build
    from scratch over the same raw tables holds (a copy of the warehouse rebuilt with `--full-refresh`)."""
    assert later_run.succeeded
    kept = {"/".join(key.path) for key in later_run.kept}
    assert {"marts/fct_staffing", "reference/ref_communes", "staging/stg_narrative__figures"} <= kept
    assert not kept & {"marts/fct_dossier", "marts/fct_submission", "marts/fct_commune_indicator"}

    warehouse = later_run.settings.warehouse_path
    rebuilt = tmp_path / "rebuilt.duckdb"
    shutil.copyfile(warehouse, rebuilt)
    run_dbt_command(
        [
            "build",
            "--full-refresh",
            "--exclude",
            "tag:reporting tag:logic",
            "--exclude-resource-type",
            "unit_test",
        ],
        env=dbt_env(rebuilt, later_run.settings.duckdb_memory_limit, later_run.settings.reference_dir),
        target_path=tmp_path / "target",
    )

    assert _model_rows(warehouse) == _model_rows(rebuilt)


def _findings(warehouse: Path) -> list[dict]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute("select * from quality.dq_findings where status <> 'resolved'")
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def test_findings_catch_every_injected_defect(pipeline_run, small_sample: Path):
    """Recall 100 % for every detectable defect kind the generator injected into the small sample."""
    settings, _ = pipeline_run
    scores = score(_findings(settings.warehouse_path), read_defects(small_sample / "defects.csv"))
    injected = {s.kind for s in scores if s.defects}
    assert {"rate_mismatch", "parts_mismatch", "late_submission", "duplicate_dossier_row"} <= injected
    assert {s.kind: s.recall for s in scores if s.defects} == dict.fromkeys(sorted(injected), 1.0), markdown(
        scores
    )


def test_every_finding_speaks_vietnamese_and_names_its_evidence(pipeline_run):
    settings, _ = pipeline_run
    findings = _findings(settings.warehouse_path)
    assert findings and all(f["message_vi"] and "{" not in f["message_vi"] for f in findings)
    form_findings = [f for f in findings if f["rule_code"] == "RATE_FRACTION_MISMATCH"]
    assert form_findings and all(
        f["evidence_file"].startswith("submissions/") and f["evidence_row"] for f in form_findings
    )


def test_a_clean_sample_raises_no_error_finding(tmp_path_factory: pytest.TempPathFactory):
    sources = tmp_path_factory.mktemp("clean_sources")
    generate_sample(sources, replace(SMALL, clean=True))
    settings = settings_for(sources, tmp_path_factory.mktemp("clean_run"))
    assert run_main_job(settings, DagsterInstance.ephemeral()).success
    errors = [f["finding_key"] for f in _findings(settings.warehouse_path) if f["severity"] == "error"]
    assert errors == []


def test_an_open_error_holds_back_the_figure_until_accepted(pipeline_run, tmp_path: Path):
    """A commune's online share with an open error is withheld from the ranking; accepted, it is back."""
    settings, _ = pipeline_run
    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(settings.warehouse_path, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        commune = con.execute(
            """select commune_id from marts.fct_commune_indicator
               where scope = 'commune' and source = 'system' and period_key = '2025-Q1'
                 and indicator_code = 'DOS_ONLINE_RATE' and denominator > 0
               order by commune_id limit 1"""
        ).fetchone()[0]
        con.execute(
            """insert into quality.dq_findings (finding_key, rule_code, severity, affects, suite, asset_key,
               commune_id, period_key, indicator_code, message_vi, first_seen_at, last_seen_at, status)
               values ('TEST|x', 'TEST', 'error', 'system', 'test', 'marts/fct_dossier', ?, '2025-Q1',
                       'DOS_ONLINE_RATE', 'thử', now(), now(), 'open')""",
            [commune],
        )
        report = build_report(con, "2025-Q1")
        held = [c for c, by in report.figures.items() if by["DOS_ONLINE_RATE"].withheld]
        assert held == [commune] and commune in report.withheld_communes
        ranked = {line.commune_id: line for line in report.service_index}
        assert ranked[commune].rank is None and ranked[commune].withheld
        online = next(line for line in report.province if line.indicator.code == "DOS_ONLINE_RATE")
        assert online.figure.provisional  # the province total still sums the held figure: marked
        con.execute("update quality.dq_findings set status = 'accepted' where finding_key = 'TEST|x'")
        report = build_report(con, "2025-Q1")
        assert not report.figures[commune]["DOS_ONLINE_RATE"].withheld
        assert not next(
            line for line in report.province if line.indicator.code == "DOS_ONLINE_RATE"
        ).figure.provisional


def test_rerunning_does_not_duplicate_findings(pipeline_run):
    settings, _ = pipeline_run
    query = """select count(*), min(first_seen_at), count(*) filter (where status = 'open')
               from quality.dq_findings"""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        before = con.execute(query).fetchone()
    assert run_main_job(settings, DagsterInstance.ephemeral(), rebuild=True).success  # the rules run again
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.execute(query).fetchone() == before


def test_narrative_reports_are_read_into_the_warehouse_with_their_summary_in_the_run(
    pipeline_run, small_sample: Path
):
    """Every sample report lands (the unknown unit's quarantined), its figures are `extracted` facts that
    equal the commune's own form where the report was written without a defect, and the run metadata shows
    one summary row per report read."""
    settings, result = pipeline_run
    reports = sorted((small_sample / "narrative_reports").rglob("*.*"))
    events = [  # one per quarter of the run, with the run's metadata
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key == AssetKey(["raw", "narrative_reports"])
    ]
    assert len(events) == SMALL.quarters
    table = events[0].materialization.metadata["extraction"].value
    assert [line.split("|")[1].strip() for line in table.splitlines()[2:]] == [
        p.name for p in reports if not p.name.startswith("hoa-binh")
    ]
    defective = {d["file"] for d in read_defects(small_sample / "defects.csv")}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        statuses = dict(
            con.execute(
                "select original_path, status from raw.ingested_files where source_kind = 'narrative_report'"
            ).fetchall()
        )
        disagreements = con.execute(
            """select reports.source_file, extracted.indicator_code, extracted.value, reported.value
               from marts.fct_commune_indicator as extracted
               join raw.narrative_reports as reports on reports.file_sha256 = extracted.submission_id
               join marts.fct_commune_indicator as reported
                 on reported.source = 'reported' and reported.scope = 'commune'
                 and reported.commune_id = extracted.commune_id and reported.period_key = extracted.period_key
                 and reported.indicator_code = extracted.indicator_code
               where extracted.source = 'extracted' and extracted.scope = 'commune'
                 and abs(extracted.value - reported.value) > 0.01"""
        ).fetchall()
        extracted = con.execute(
            """select count(*) from marts.fct_commune_indicator
               where source = 'extracted' and scope = 'commune'"""
        ).fetchone()[0]
    assert {Path(p).name: s for p, s in statuses.items()} == {
        p.name: "rejected" if p.name.startswith("hoa-binh") else "loaded" for p in reports
    }
    assert extracted >= 30
    assert {str(Path(f).relative_to(small_sample)) for f, *_ in disagreements} <= defective


def test_a_run_leaves_the_process_environment_as_it_found_it(pipeline_run):
    """dbt is handed the run's warehouse path for its own call only: later code in the same process (a CLI
    command, another test) must not inherit it."""
    import os

    settings, _ = pipeline_run
    assert os.environ.get("CDS_WAREHOUSE_PATH") != str(settings.warehouse_path)


def test_a_run_with_nothing_new_skips_the_build_and_says_so(pipeline_run, tmp_path: Path):
    """The same sources again: the dbt step yields nothing and every step after it (checks, reporting
    views, reports, copy) is skipped; what was published stays as it was. A change to what the outputs are
    made of (here a new day) builds again."""
    from pipelines.run import skipped_as_unchanged
    from pipelines.warehouse import state

    settings, _ = pipeline_run
    manifests = {p: p.read_bytes() for p in settings.reports_dir.glob("*/manifest.json")}
    result = run_main_job(settings, DagsterInstance.ephemeral())
    assert result.success and skipped_as_unchanged(result)
    ran = {e.step_key for e in result.all_events if e.is_step_success}
    assert "reports__provincial_report" not in ran and "quality__dq_findings" not in ran
    assert "analysts__warehouse_copy" not in ran and "reporting_dbt_assets" not in ran
    assert {p: p.read_bytes() for p in settings.reports_dir.glob("*/manifest.json")} == manifests

    # the fingerprint changes with the day (a form not yet sent becomes missing at midnight) and the data
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        today = state.inputs_fingerprint(con, settings.reference_dir, date(2025, 10, 10))
        tomorrow = state.inputs_fingerprint(con, settings.reference_dir, date(2025, 10, 11))
    copy = tmp_path / "w.duckdb"
    shutil.copyfile(settings.warehouse_path, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("update raw.submissions set source_file = source_file || ' ' where rowid = 0")
        changed = state.inputs_fingerprint(con, settings.reference_dir, date(2025, 10, 10))
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        signed = state.inputs_fingerprint(
            con, settings.reference_dir, date(2025, 10, 10), "GIÁM ĐỐC|Lê Văn C"
        )
    assert len({today, tomorrow, changed, signed}) == 4  # a new signer is a new version of the documents


def test_cds_run_launches_nothing_when_no_source_code_or_setting_changed(
    pipeline_run, small_sample, tmp_path
):
    """After a successful `cds run`, the same inbox (files, code, settings, day) launches no Dagster run;
    a file touched or added, another setting or another day does, and the main job decides as before."""
    from pipelines import cli
    from pipelines.warehouse import state

    settings, _ = pipeline_run
    sources, root = tmp_path / "sources", tmp_path / "run"
    shutil.copytree(small_sample, sources)
    shutil.copytree(settings.outputs_dir, root / "outputs", symlinks=True)
    ours = replace(settings_for(sources, root), pseudonym_key="test-key")
    inbox = cli._inbox(ours)
    needed = [ours.warehouse_path, ours.analyst_path, ours.reports_dir / "index.html"]
    assert state.inbox_unchanged(ours.outputs_dir, inbox, needed) is None  # no `cds run` recorded it yet
    state.remember_inbox(ours.outputs_dir, inbox)  # what a successful `cds run` does after its run
    assert state.inbox_unchanged(ours.outputs_dir, inbox, needed)["inbox"] == inbox
    assert cli._inbox(ours) == inbox  # computed again: the same

    form = next((sources / "submissions").rglob("*.xlsx"))
    os.utime(form, ns=(form.stat().st_atime_ns, form.stat().st_mtime_ns + 1_000_000_000))
    assert cli._inbox(ours) != inbox  # a file touched (or sent again under the same name)
    assert cli._inbox(replace(ours, signer_name="Lê Văn C")) != inbox
    assert cli._inbox(replace(ours, dossier_db_url="sqlite:///x.db")) is None  # a database: always run
    (ours.reports_dir / "index.html").unlink()
    assert state.inbox_unchanged(ours.outputs_dir, inbox, needed) is None  # an output gone: run

    # a build that starts stops the last record from holding: if it is cut off, the next run builds again
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    (outputs / state.PENDING).write_text('{"fingerprint": "a", "run_id": "r1"}', encoding="utf-8")
    assert state.promote_pending(outputs, "r1", "2025-10-10T00:00:00")
    assert state.unchanged_since_last_build(outputs, "a", []) is not None
    state.note_pending(outputs, "a", "r2")  # r2 starts building from the same inputs, then dies
    assert state.unchanged_since_last_build(outputs, "a", []) is None
