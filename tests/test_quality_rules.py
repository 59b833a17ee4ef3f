"""Every data-quality rule against hand-written rows: a case it must flag and a case it must pass,
including the real cases from commune reports (543/544 printed as 99,81 %, 6.639 installed vs
6.158 + 458). The rules' SQL runs straight in DuckDB here; one test runs them through GX too."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.core.vietnamese import printed_decimals
from pipelines.quality.findings import (
    DDL,
    collect_findings,
    finding_key,
    load_accept_list,
    merge_findings,
    render_message,
)
from pipelines.quality.suites import RuleResult, SuiteResult, load_suites, run_suites
from pipelines.reference import SEEDS_DIR

SUITES = {s.name: s for s in load_suites(tier="findings")}

REPORTED_COLUMNS = (
    "period_key varchar, commune_id varchar, indicator_code varchar, numerator double, denominator double,"
    " numerator_text varchar, denominator_text varchar, reported_rate double, reported_rate_text varchar,"
    " reported_rate_decimals integer, submission_id varchar, submitted_on date, versions_received bigint,"
    " source_file varchar, source_row integer"
)


def _reference(con: duckdb.DuckDBPyConnection) -> None:
    for schema in ("marts", "intermediate", "staging", "raw", "reference"):
        con.execute(f"create schema if not exists {schema}")
    con.execute(  # which figures of a form are formulas (none unless a test says so)
        "create table staging.stg_submissions__values"
        " (submission_id varchar, indicator_code varchar, has_formula boolean)"
    )
    con.execute(  # the catalogue's identities as they are
        "create table reference.ref_indicator_identities as select * from read_csv(?)",
        [str(SEEDS_DIR / "ref_indicator_identities.csv")],
    )
    con.execute(
        """create table marts.dim_period as select * from (values
           ('2025-Q1', 'quarter', date '2025-01-01', date '2025-03-31', date '2025-04-05', 2025, ['2025-Q1']),
           ('2025-Q2', 'quarter', date '2025-04-01', date '2025-06-30', date '2025-07-05', 2025, ['2025-Q2']),
           ('2025-Q3', 'quarter', date '2025-07-01', date '2025-09-30', date '2025-10-05', 2025, ['2025-Q3']),
           ('2025-9M', 'nine_months', date '2025-01-01', date '2025-09-30', date '2025-09-25', 2025,
            ['2025-Q1', '2025-Q2', '2025-Q3'])
           ) as t(period_key, period_type, starts_on, ends_on, due_on, period_year, quarter_keys)"""
    )
    con.execute(
        """create table marts.dim_indicator as select * from (values
           ('DOS_RECEIVED', 'count', 'Tổng số hồ sơ TTHC tiếp nhận', null, 'dossiers'),
           ('DOS_RESOLVED', 'count', 'Số hồ sơ đã giải quyết', null, 'dossiers'),
           ('DOS_IN_PROGRESS', 'count', 'Số hồ sơ đang giải quyết', null, 'dossiers'),
           ('DOS_WITHDRAWN', 'count', 'Số hồ sơ rút', null, 'dossiers'),
           ('DOS_ONLINE', 'count', 'Trực tuyến', null, 'dossiers'),
           ('DOS_IN_PERSON', 'count', 'Trực tiếp', null, 'dossiers'),
           ('DOS_POSTAL', 'count', 'Bưu chính', null, 'dossiers'),
           ('DOS_ONLINE_RATE', 'rate', 'Tỷ lệ hồ sơ trực tuyến', 'Tổng hồ sơ tiếp nhận', 'dossiers'),
           ('DOS_INTAKE_DIGITISED_RATE', 'rate', 'Tỷ lệ số hóa', 'Tổng hồ sơ tiếp nhận', 'dossiers'),
           ('DOS_EARLY_OR_ON_TIME_RATE', 'rate', 'Tỷ lệ đúng hạn', 'Hồ sơ đã giải quyết', 'dossiers'),
           ('PC_ANTIMALWARE_RATE', 'rate', 'Tỷ lệ máy tính có phần mềm', 'Tổng số máy tính', null),
           ('VNEID_INSTALLED', 'stock', 'Đã cài đặt', null, null),
           ('VNEID_ACTIVATED', 'stock', 'Đã kích hoạt', null, null),
           ('VNEID_NOT_ACTIVATED', 'stock', 'Chưa kích hoạt', null, null),
           ('PC_COUNT', 'stock', 'Số máy tính', null, null),
           ('DT_BUDGET', 'money', 'Kinh phí', null, null)
           ) as t(indicator_code, kind, name_vi, denominator_vi, system_source)"""
    )


def _reported(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> None:
    """rows: (commune, period, indicator, numerator, denominator, rate_text, submission)"""
    con.execute(f"create or replace table intermediate.int_indicators_reported ({REPORTED_COLUMNS})")
    for i, (commune, period, code, num, den, rate_text, submission) in enumerate(rows, start=10):
        decimals = printed_decimals(rate_text) if rate_text else None
        rate = float(rate_text.rstrip("%").replace(",", ".")) if rate_text else None
        con.execute(
            "insert into intermediate.int_indicators_reported"
            " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null, 1, ?, ?)",
            [period, commune, code, num, den, None if num is None else f"{num:,.0f}".replace(",", "."),
             None if den is None else f"{den:,.0f}".replace(",", "."), rate, rate_text,
             decimals, submission, f"forms/{submission}.xlsx", i],
        )  # fmt: skip


@pytest.fixture
def con(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "w.duckdb"))
    _reference(connection)
    yield connection
    connection.close()


def flagged(con, suite: str, rule: str) -> list[dict]:
    cursor = con.execute(SUITES[suite].rule_query(rule))
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


# ----------------------------------------------------------------- the commune's own form


@pytest.mark.parametrize(
    ("printed", "is_error"),
    [("99,81%", True), ("99,82%", False), ("99,8%", False), ("100%", True), ("99,816%", False)],
)
def test_rate_against_its_own_fraction_543_of_544(con, printed, is_error):
    _reported(con, [("A", "2025-Q1", "DOS_ONLINE_RATE", 543, 544, printed, "s1")])
    rows = flagged(con, "int_indicators_reported", "RATE_FRACTION_MISMATCH")
    assert bool(rows) is is_error
    if is_error:
        template = "Tỷ lệ ghi «{printed}» không khớp với {numerator}/{denominator} = {recomputed_pct}"
        message = render_message(template, rows[0])
        assert message == f"Tỷ lệ ghi «{printed}» không khớp với 543/544 = 99,82 %"


@pytest.mark.parametrize(("printed", "is_error"), [("59,37%", True), ("59,38%", False), ("59,4%", False)])
def test_an_exact_tie_is_rounded_half_up(con, printed, is_error):
    _reported(con, [("A", "2025-Q1", "DOS_ONLINE_PAYMENT_RATE", 19, 32, printed, "s1")])
    assert bool(flagged(con, "int_indicators_reported", "RATE_FRACTION_MISMATCH")) is is_error


def test_zero_percent_printed_for_a_nonzero_count_is_an_error(con):
    _reported(con, [("A", "2025-Q1", "DOS_ONLINE_RATE", 1, 444, "0%", "s1")])
    assert flagged(con, "int_indicators_reported", "RATE_FRACTION_MISMATCH")


def test_vneid_6639_installed_against_6158_plus_458_is_23_short(con):
    _reported(
        con,
        [
            ("A", "2025-Q1", "VNEID_INSTALLED", 6639, None, None, "s1"),
            ("A", "2025-Q1", "VNEID_ACTIVATED", 6158, None, None, "s1"),
            ("A", "2025-Q1", "VNEID_NOT_ACTIVATED", 458, None, None, "s1"),
        ],
    )
    (row,) = flagged(con, "int_indicators_reported", "PARTS_DO_NOT_ADD_UP")
    assert (row["total"], row["parts_sum"], row["gap"]) == (6639, 6616, 23)
    assert row["evidence_text"] == "6.639 ≠ 6.158 + 458"


def test_570_received_equals_its_parts_both_ways(con):
    """570 = 544 resolved + 15 in progress + 11 withdrawn; 429 online + 141 in person = 570 (no postal)."""
    _reported(
        con,
        [
            ("A", "2025-Q1", "DOS_RECEIVED", 570, None, None, "s1"),
            ("A", "2025-Q1", "DOS_RESOLVED", 544, None, None, "s1"),
            ("A", "2025-Q1", "DOS_IN_PROGRESS", 15, None, None, "s1"),
            ("A", "2025-Q1", "DOS_WITHDRAWN", 11, None, None, "s1"),
            ("A", "2025-Q1", "DOS_ONLINE", 429, None, None, "s1"),
            ("A", "2025-Q1", "DOS_IN_PERSON", 141, None, None, "s1"),
        ],
    )
    assert flagged(con, "int_indicators_reported", "PARTS_DO_NOT_ADD_UP") == []


def test_numerator_above_denominator_and_rates_above_100(con):
    _reported(
        con,
        [
            ("A", "2025-Q1", "PC_ANTIMALWARE_RATE", 74, 70, "105,71%", "s1"),
            ("B", "2025-Q1", "PC_ANTIMALWARE_RATE", 70, 74, "94,59%", "s2"),
        ],
    )
    assert [
        r["commune_id"] for r in flagged(con, "int_indicators_reported", "NUMERATOR_ABOVE_DENOMINATOR")
    ] == ["A"]
    assert [r["commune_id"] for r in flagged(con, "int_indicators_reported", "RATE_OUT_OF_RANGE")] == ["A"]


def test_negative_figures(con):
    _reported(
        con,
        [
            ("A", "2025-Q1", "PC_COUNT", -3, None, None, "s1"),
            ("B", "2025-Q1", "PC_COUNT", 0, None, None, "s2"),
        ],
    )
    assert [r["commune_id"] for r in flagged(con, "int_indicators_reported", "NEGATIVE_FIGURE")] == ["A"]


def test_a_figure_computed_by_a_formula_is_a_warning_naming_its_row(con):
    _reported(
        con,
        [
            ("A", "2025-Q1", "DOS_ONLINE_RATE", 543, 544, "99,82%", "s1"),
            ("B", "2025-Q1", "DOS_ONLINE_RATE", 543, 544, "99,82%", "s2"),
        ],
    )
    con.execute(
        "insert into staging.stg_submissions__values values"
        " ('s1', 'DOS_ONLINE_RATE', true), ('s2', 'DOS_ONLINE_RATE', false)"
    )
    rows = flagged(con, "int_indicators_reported", "FORMULA_IN_FORM")
    assert [(r["commune_id"], r["evidence_row"], r["saved"]) for r in rows] == [("A", 10, "99,82%")]
    assert SUITES["int_indicators_reported"].expectation("FORMULA_IN_FORM")["meta"]["severity"] == "warning"


def test_same_fraction_on_two_rates_with_different_denominators_is_a_warning(con):
    _reported(
        con,
        [
            # online share and antimalware share cannot honestly both be 37/40
            ("A", "2025-Q1", "DOS_ONLINE_RATE", 37, 40, "92,50%", "s1"),
            ("A", "2025-Q1", "PC_ANTIMALWARE_RATE", 37, 40, "92,50%", "s1"),
            # online and digitised share share a denominator: equal numerators can be true
            ("B", "2025-Q1", "DOS_ONLINE_RATE", 37, 40, "92,50%", "s2"),
            ("B", "2025-Q1", "DOS_INTAKE_DIGITISED_RATE", 37, 40, "92,50%", "s2"),
        ],
    )
    rows = flagged(con, "int_indicators_reported", "SAME_FRACTION_TWO_INDICATORS")
    assert [(r["commune_id"], r["indicator_code"]) for r in rows] == [("A", "PC_ANTIMALWARE_RATE")]


def test_outliers_by_modified_z_score_and_mean_deviation_when_mad_is_zero(con):
    budgets = [(f"C{i:02d}", "2025-Q1", "DT_BUDGET", 0, None, None, f"s{i}") for i in range(12)]
    budgets[3] = ("C03", "2025-Q1", "DT_BUDGET", 1_000_000_000, None, None, "s3")  # a zero too many
    computers = [(f"C{i:02d}", "2025-Q2", "PC_COUNT", 20 + i % 5, None, None, f"t{i}") for i in range(12)]
    computers[5] = ("C05", "2025-Q2", "PC_COUNT", 240, None, None, "t5")
    _reported(con, budgets + computers)
    rows = flagged(con, "int_indicators_reported", "OUTLIER_ACROSS_COMMUNES")
    assert sorted((r["commune_id"], r["indicator_code"]) for r in rows) == [
        ("C03", "DT_BUDGET"),
        ("C05", "PC_COUNT"),
    ]


def test_outliers_are_not_judged_for_dossier_counts_or_few_communes(con):
    rows = [(f"C{i:02d}", "2025-Q1", "DOS_RECEIVED", 100, None, None, f"s{i}") for i in range(12)]
    rows[0] = ("C00", "2025-Q1", "DOS_RECEIVED", 5000, None, None, "s0")  # reconciled with the system instead
    rows += [(f"D{i:02d}", "2025-Q1", "PC_COUNT", 10, None, None, f"d{i}") for i in range(5)]
    rows[-1] = ("D04", "2025-Q1", "PC_COUNT", 900, None, None, "d4")  # only 5 communes: no spread to judge
    _reported(con, rows)
    assert flagged(con, "int_indicators_reported", "OUTLIER_ACROSS_COMMUNES") == []


def test_a_stock_jumping_threefold_from_the_previous_quarter(con):
    _reported(
        con,
        [
            ("A", "2025-Q1", "PC_COUNT", 20, None, None, "a1"),
            ("A", "2025-Q2", "PC_COUNT", 200, None, None, "a2"),
            ("B", "2025-Q1", "PC_COUNT", 2, None, None, "b1"),
            ("B", "2025-Q2", "PC_COUNT", 8, None, None, "b2"),  # fourfold, but by 6: too small to mean much
            ("C", "2025-Q1", "PC_COUNT", 30, None, None, "c1"),
            ("C", "2025-Q2", "PC_COUNT", 45, None, None, "c2"),
        ],
    )
    rows = flagged(con, "int_indicators_reported", "JUMP_FROM_PREVIOUS_QUARTER")
    assert [(r["commune_id"], r["period_key"], r["previous"]) for r in rows] == [("A", "2025-Q2", 20)]


# ----------------------------------------------------------------- the form's header


def _forms(con, rows: list[tuple]) -> None:
    """rows: (submission, commune, period, from_text, from, to_text, to, signed_text, signed, ingested)"""
    con.execute(
        """create or replace table staging.stg_submissions__forms (submission_id varchar, source_file varchar,
           commune_id varchar, period_key varchar, coverage_from_text varchar, coverage_from date,
           coverage_to_text varchar, coverage_to date, submitted_on_text varchar, submitted_on date,
           ingested_at timestamp)"""
    )
    con.execute(
        "create or replace table intermediate.int_submissions_latest as"
        " select submission_id, commune_id, period_key from staging.stg_submissions__forms limit 0"
    )
    for s, commune, period, *dates in rows:
        con.execute(
            "insert into staging.stg_submissions__forms values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [s, f"forms/{s}.xlsx", commune, period, *dates],
        )
        con.execute("insert into intermediate.int_submissions_latest values (?, ?, ?)", [s, commune, period])


def test_impossible_years_on_the_form_are_errors(con):
    _forms(
        con,
        [
            ("bad", "A", "2025-Q3", "01/07/2025", date(2025, 7, 1), "30/09/20025", None, "02/10/2025",
             date(2025, 10, 2), datetime(2025, 10, 3)),
            ("ok", "B", "2025-Q3", "01/07/2025", date(2025, 7, 1), "30/09/2025", date(2025, 9, 30),
             "02/10/2025", date(2025, 10, 2), datetime(2025, 10, 3)),
        ],
    )  # fmt: skip
    rows = flagged(con, "stg_submissions__forms", "DATE_IMPLAUSIBLE")
    assert [(r["commune_id"], r["observed_value"]) for r in rows] == [("A", "30/09/20025")]


def test_coverage_outside_the_period_end_before_start_and_signed_after_receipt(con):
    _forms(
        con,
        [
            ("outside", "A", "2025-Q3", "01/06/2025", date(2025, 6, 1), "30/09/2025", date(2025, 9, 30),
             "02/10/2025", date(2025, 10, 2), datetime(2025, 10, 3)),
            ("reversed", "B", "2025-Q3", "30/09/2025", date(2025, 9, 30), "01/07/2025", date(2025, 7, 1),
             "02/10/2025", date(2025, 10, 2), datetime(2025, 10, 3)),
            ("future", "C", "2025-Q3", "01/07/2025", date(2025, 7, 1), "30/09/2025", date(2025, 9, 30),
             "20/10/2025", date(2025, 10, 20), datetime(2025, 10, 3)),
            ("fine", "D", "2025-Q3", "01/07/2025", date(2025, 7, 1), "10/09/2025", date(2025, 9, 10),
             "02/10/2025", date(2025, 10, 2), datetime(2025, 10, 3)),
        ],
    )  # fmt: skip
    rows = flagged(con, "stg_submissions__forms", "COVERAGE_OUTSIDE_PERIOD")
    assert sorted(r["subject"].split("|")[1] for r in rows) == [
        "coverage_end_before_start",
        "coverage_outside_period",
        "signed_after_received",
    ]
    assert "D" not in {r["commune_id"] for r in rows}


# ----------------------------------------------------------------- against the dossier system, and timeliness


def test_reported_against_system_outside_tolerance(con):
    _reported(con, [("A", "2025-Q1", "DOS_RECEIVED", 289, None, None, "s1")])
    con.execute(
        """create table marts.fct_reconciliation as select * from (values
           ('A', '2025-Q1', 'DOS_RECEIVED', 'reported', 'system', 289.0, 263.0, 26.0, false, 's1'),
           ('B', '2025-Q1', 'DOS_RECEIVED', 'reported', 'system', 264.0, 263.0, 1.0, true, 's2'),
           ('A', '2025-9M', 'DOS_RECEIVED', 'reported', 'system', 900.0, 870.0, 30.0, false, null),
           ('A', '2025-Q1', 'DOS_RECEIVED', 'extracted', 'system', 300.0, 263.0, 37.0, false, 'r1')
           ) as t(commune_id, period_key, indicator_code, source, compared_with, reported_value,
                  compared_value, difference, is_within_tolerance, submission_id)"""
    )
    (row,) = flagged(con, "fct_reconciliation", "REPORT_VS_SYSTEM")  # the 9-month roll-up repeats Q1's
    assert (row["commune_id"], row["reported_value"], row["system_value"], row["gap"]) == ("A", 289, 263, 26)
    assert row["evidence_file"] == "forms/s1.xlsx"

    con.execute(
        """create table intermediate.int_indicators_extracted as select * from (values
           ('r1', 'DOS_RECEIVED', 'narrative_reports/a.docx', 9, 'đoạn 9', 'Xã tiếp nhận 300 hồ sơ.')
           ) as t(report_id, indicator_code, source_file, block_index, position, evidence_sentence)"""
    )
    (row,) = flagged(con, "fct_reconciliation", "NARRATIVE_VS_OTHER_SOURCES")  # the form is not judged here
    values = (row["commune_id"], row["reported_value"], row["compared_value"], row["gap"])
    assert values == ("A", 300, 263, 37)
    assert (row["evidence_file"], row["evidence_text"]) == (
        "narrative_reports/a.docx",
        "đoạn 9: Xã tiếp nhận 300 hồ sơ.",
    )


def test_a_gap_between_two_rates_is_in_percentage_points(con):
    _reported(con, [("A", "2025-Q1", "DOS_ONLINE_RATE", 161, 200, "80,5%", "s1")])
    con.execute(
        """create table marts.fct_reconciliation as select * from (values
           ('A', '2025-Q1', 'DOS_ONLINE_RATE', 'reported', 'system', 80.5, 78.75, 1.75, false, 's1')
           ) as t(commune_id, period_key, indicator_code, source, compared_with, reported_value,
                  compared_value, difference, is_within_tolerance, submission_id)"""
    )
    (row,) = flagged(con, "fct_reconciliation", "REPORT_VS_SYSTEM")
    template = SUITES["fct_reconciliation"].expectation("REPORT_VS_SYSTEM")["meta"]["message_vi"]
    message = render_message(template, row)
    assert message.endswith("xã báo cáo 80,50 %, hệ thống ghi nhận 78,75 % (chênh 1,75 điểm phần trăm)"), (
        message
    )


def test_late_and_missing_submissions(con):
    con.execute(
        """create table marts.fct_submission as select * from (values
           ('A', '2025-Q1', 'late', date '2025-04-22', date '2025-04-05', 17, '312/SKHCN'),
           ('B', '2025-Q1', 'missing', null, date '2025-04-05', null, '312/SKHCN'),
           ('C', '2025-Q1', 'on_time', date '2025-04-05', date '2025-04-05', null, '312/SKHCN'),
           ('D', '2025-Q1', 'not_yet_due', null, date '2025-04-05', null, '312/SKHCN')
           ) as t(commune_id, period_key, status, first_submitted_on, due_on, days_late, request_letter)"""
    )
    (late,) = flagged(con, "fct_submission", "SUBMISSION_LATE")
    (missing,) = flagged(con, "fct_submission", "SUBMISSION_MISSING")
    assert (late["commune_id"], late["days_late"], missing["commune_id"]) == ("A", 17, "B")


def _dossiers(con, rows: list[tuple]) -> None:
    """rows: (code, commune, received, due, finished, file sha, source row)"""
    con.execute(
        """create or replace table raw.ingested_files as
           select 'f1' as sha256, 'dossiers/dossiers_2025-Q1.csv' as original_path"""
    )
    con.execute(
        """create or replace table marts.fct_dossier (dossier_code varchar, commune_id varchar,
           commune_name_written varchar, received_at timestamp, received_period_key varchar, due_at timestamp,
           finished_at timestamp, source_file_sha256 varchar, source_row integer)"""
    )
    con.execute(
        """create or replace table raw.dossiers (dossier_code varchar,
           received_at timestamp, source_file_sha256 varchar, source_row integer)"""
    )
    con.execute(
        "create or replace table intermediate.int_dossiers_classified"
        " (dossier_code varchar, commune_id varchar)"
    )
    for code, _, received, _, _, sha, row in rows:
        con.execute("insert into raw.dossiers values (?, ?, ?, ?)", [code, received, sha, row])
    # what the incremental model int_dossier_duplicate_rows holds for these rows (its own logic has a dbt
    # unit test): each code written more than once in one export
    copies: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for code, _, received, _, _, sha, row in rows:
        copies[(code, sha)].append((row, received))
    con.execute(
        """create or replace table intermediate.int_dossier_duplicate_rows (dossier_code varchar,
           source_file_sha256 varchar, copies bigint, first_row integer, rows_written varchar,
           received_at timestamp, loaded_at timestamp)"""
    )
    for (code, sha), written in copies.items():
        if len(written) > 1:
            numbers = sorted(r for r, _ in written)
            con.execute(
                "insert into intermediate.int_dossier_duplicate_rows values (?, ?, ?, ?, ?, ?, now())",
                [
                    code,
                    sha,
                    len(written),
                    numbers[0],
                    ", ".join(map(str, numbers)),
                    min(r for _, r in written),
                ],
            )
    for code, commune, received, due, finished, sha, row in {r[0]: r for r in rows}.values():
        con.execute(
            "insert into marts.fct_dossier values (?, ?, ?, ?, '2025-Q1', ?, ?, ?, ?)",
            [code, commune, "Xã Nơi Khác" if commune is None else commune, received, due, finished, sha, row],
        )
        con.execute("insert into intermediate.int_dossiers_classified values (?, ?)", [code, commune])


def test_dossier_dates_duplicates_and_unknown_communes(con):
    t = datetime
    _dossiers(
        con,
        [
            ("ok", "A", t(2025, 1, 5, 8), t(2025, 1, 8, 17), t(2025, 1, 7, 9), "f1", 2),
            ("finished_early", "A", t(2025, 1, 5, 8), t(2025, 1, 8, 17), t(2025, 1, 2, 9), "f1", 3),
            ("due_early", "A", t(2025, 1, 5, 8), t(2025, 1, 4, 17), None, "f1", 4),
            ("twice", "A", t(2025, 1, 6, 8), t(2025, 1, 9, 17), None, "f1", 5),
            ("twice", "A", t(2025, 1, 6, 8), t(2025, 1, 9, 17), None, "f1", 6),
            ("elsewhere", None, t(2025, 1, 6, 8), t(2025, 1, 9, 17), None, "f1", 7),
        ],
    )
    dates = flagged(con, "fct_dossier", "DOSSIER_DATES_IMPOSSIBLE")
    assert sorted(r["subject"] for r in dates) == [
        "due_early|due_before_received",
        "finished_early|finished_before_received",
    ]
    (duplicate,) = flagged(con, "raw_dossiers", "DOSSIER_DUPLICATE_ROW")
    assert (duplicate["dossier_code"], duplicate["copies"], duplicate["evidence_text"]) == (
        "twice",
        2,
        "twice ở các dòng 5, 6",
    )
    (unknown,) = flagged(con, "fct_dossier", "DOSSIER_UNKNOWN_COMMUNE")
    assert (unknown["written"], unknown["dossiers"]) == ("Xã Nơi Khác", 1)


def test_quarantined_input_is_a_finding_of_its_source(con):
    con.execute(
        """create table raw.ingested_files as select * from (values
           ('f1', 'submissions/2025-Q1/hoa-binh_2025-Q1.xlsx', 'submission_form'),
           ('f2', 'dossiers/dossiers_2025-Q1.csv', 'dossier_export'))
           as t(sha256, original_path, source_kind)"""
    )
    con.execute(
        """create table raw.quarantine as select 'f1' as file_sha256, null::integer as source_row,
           'commune' as field, 'Xã Hòa Bình' as raw_value, 'unknown_commune' as reason_code,
           'Đơn vị không thuộc tỉnh' as message_vi"""
    )
    assert len(flagged(con, "raw_quarantine_submissions", "INPUT_QUARANTINED")) == 1
    assert flagged(con, "raw_quarantine_dossiers", "INPUT_QUARANTINED") == []


# ----------------------------------------------------------------- GX, the findings table, the accept list


def test_gx_counts_what_the_rule_flags(con, tmp_path: Path):
    """The same SQL through Great Expectations (pushed down by the DuckDB workaround): one failure counted,
    and a passing rule passes."""
    _reported(
        con,
        [
            ("A", "2025-Q1", "DOS_ONLINE_RATE", 543, 544, "99,81%", "s1"),
            ("B", "2025-Q1", "DOS_ONLINE_RATE", 543, 544, "99,82%", "s2"),
        ],
    )
    con.close()
    (result,) = run_suites([SUITES["int_indicators_reported"]], f"duckdb:///{tmp_path / 'w.duckdb'}")
    rules = {r.rule_code: r for r in result.rules}
    assert (
        rules["RATE_FRACTION_MISMATCH"].unexpected_count == 1 and not rules["RATE_FRACTION_MISMATCH"].success
    )
    assert rules["NEGATIVE_FIGURE"].success and rules["NEGATIVE_FIGURE"].error is None
    assert result.broken == []


def _one_failure(rule_code: str, suite: str = "int_indicators_reported") -> SuiteResult:
    rule = RuleResult(rule_code, "error", "", "unexpected_rows_expectation", False, 1, affects="reported")
    return SuiteResult(suite, [rule])


def test_findings_are_not_duplicated_keep_first_seen_resolve_and_can_be_accepted(con, tmp_path: Path):
    con.execute(DDL)
    spec = SUITES["int_indicators_reported"]
    _reported(con, [("A", "2025-Q1", "DOS_ONLINE_RATE", 543, 544, "99,81%", "s1")])
    first, second, third = datetime(2025, 10, 6), datetime(2025, 10, 7), datetime(2025, 10, 8)
    for when in (first, second):
        findings = collect_findings(con, [spec], [_one_failure("RATE_FRACTION_MISMATCH")])
        merge_findings(con, findings, {}, when)
    rows = con.execute(
        "select finding_key, first_seen_at, last_seen_at, status from quality.dq_findings"
    ).fetchall()
    assert rows == [("RATE_FRACTION_MISMATCH|A|2025-Q1|DOS_ONLINE_RATE|s1", first, second, "open")]

    accept = tmp_path / "accepted.csv"
    accept.write_text(
        "finding_key,accepted_by,accepted_on,reason\n"
        "RATE_FRACTION_MISMATCH|A|2025-Q1|DOS_ONLINE_RATE|s1,Nguyễn Văn A,2025-10-07,"
        "xã làm tròn xuống; đã nhắc\n",
        encoding="utf-8",
    )
    merge_findings(con, findings, load_accept_list(accept), third)
    assert con.execute("select status, accepted_by from quality.dq_findings").fetchall() == [
        ("accepted", "Nguyễn Văn A")
    ]
    merge_findings(con, [], {}, third)  # the commune corrected its form
    assert con.execute("select status, resolved_at from quality.dq_findings").fetchall() == [
        ("resolved", third)
    ]


def test_an_accept_list_entry_without_a_reason_is_refused(tmp_path: Path):
    accept = tmp_path / "accepted.csv"
    accept.write_text(
        "finding_key,accepted_by,accepted_on,reason\nX|A|2025-Q1|*|*,Nguyễn Văn A,2025-10-07,\n"
    )
    with pytest.raises(ValueError, match="reason"):
        load_accept_list(accept)


def test_the_repository_accept_list_is_valid():
    load_accept_list()  # a malformed entry would stop the pipeline: catch it in review


def test_finding_keys_are_readable():
    row = {"commune_id": "QNG009", "period_key": "2025-Q1", "indicator_code": None, "subject": "late"}
    assert finding_key("SUBMISSION_LATE", row) == "SUBMISSION_LATE|QNG009|2025-Q1|*|late"


def test_a_shared_rule_file_takes_only_plain_words_as_parameters(tmp_path):
    from pipelines.quality.suites import SuiteSpec

    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "r.sql").write_text("select * from {batch} where kind = '{kind}'", encoding="utf-8")

    def suite(value: str) -> Path:
        path = tmp_path / "s.json"
        rule = {"type": "unexpected_rows_expectation", "query_file": "sql/r.sql"}
        rule["query_params"] = {"kind": value}
        path.write_text(
            json.dumps(
                {
                    "name": "s",
                    "asset_key": ["a"],
                    "table": {"schema": "raw", "name": "t"},
                    "expectations": [{**rule, "meta": {"rule_code": "R", "severity": "error"}}],
                }
            ),
            encoding="utf-8",
        )
        return path

    spec = SuiteSpec.load(suite("outside"))
    assert "kind = 'outside'" in spec.expectations[0]["kwargs"]["unexpected_rows_query"]
    with pytest.raises(ValueError, match="kind="):
        SuiteSpec.load(suite("x' or '1'='1"))


def test_check_examples_say_how_many_and_where_the_rest_are():
    from pipelines.quality.assets import examples_markdown

    text = examples_markdown(
        [
            ("RATE_FRACTION_MISMATCH", "Tỷ lệ sai", "forms/a.xlsx", 14),
            ("SUBMISSION_MISSING", "Chưa nộp", "", None),
        ],
        142,
        "fct_submission",
    )
    lines = text.splitlines()
    assert lines[0].startswith("2 of 142 open findings shown") and "quality.dq_findings" in lines[0]
    assert lines[1] == "- RATE_FRACTION_MISMATCH: Tỷ lệ sai (forms/a.xlsx, dòng 14)"
    assert lines[2] == "- SUBMISSION_MISSING: Chưa nộp"  # no stray " )" without a file
    assert examples_markdown([], 0, "fct_submission") == "No open finding."
