"""The GX suite runs in DuckDB through the isolated workaround, reports bad rows, and frees the file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.quality.suites import load_suites, run_suite


def _warehouse(path: Path, rows: list[tuple], source: str = "system") -> str:
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.dim_indicator as select 'DOS_ONLINE_RATE' as indicator_code, 'rate' as kind"
    )
    con.execute(
        """create table marts.fct_commune_indicator (fact_key varchar, scope varchar,
           commune_id varchar, period_key varchar, indicator_code varchar, source varchar,
           numerator bigint, denominator bigint, value double)"""
    )
    con.executemany(
        "insert into marts.fct_commune_indicator values (?, 'commune', 'C', '2025-Q1', "
        "'DOS_ONLINE_RATE', ?, ?, ?, ?)",
        [(key, source, *figures) for key, *figures in rows],
    )
    con.close()
    return f"duckdb:///{path}"


@pytest.fixture(scope="module")
def suite():
    return next(s for s in load_suites() if s.name == "fct_commune_indicator")


def test_clean_rows_pass(tmp_path: Path, suite):
    result = run_suite(suite, _warehouse(tmp_path / "w.duckdb", [("a", 429, 570, 75.26), ("b", 0, 5, 0.0)]))
    assert all(r.success for r in result.rules), [(r.rule_code, r.error) for r in result.rules]


def test_a_known_bad_row_is_reported_as_unexpected(tmp_path: Path, suite):
    """Fails loudly if a GX upgrade breaks the DuckDB workaround (every rule would error, none report)."""
    url = _warehouse(tmp_path / "w.duckdb", [("ok", 429, 570, 75.26), ("bad", 545, 544, 100.18)])
    rules = {r.rule_code: r for r in run_suite(suite, url).rules}
    assert not rules["NUMERATOR_LE_DENOMINATOR"].success
    assert rules["NUMERATOR_LE_DENOMINATOR"].unexpected_count == 1
    assert rules["NUMERATOR_LE_DENOMINATOR"].error is None
    assert not rules["RATE_WITHIN_0_100"].success
    assert rules["RATE_WITHIN_0_100"].unexpected_count == 1
    assert rules["COUNT_NON_NEGATIVE"].success


def test_only_the_rows_the_suite_names_are_judged(tmp_path: Path, suite):
    """The suite judges system rows; a commune's own bad figure is left to the data-quality rules."""
    assert suite.where == "source = 'system'"
    url = _warehouse(tmp_path / "w.duckdb", [("bad", 545, 544, 100.18)], source="reported")
    assert all(r.success and r.error is None for r in run_suite(suite, url).rules)


def test_negative_counts_fail(tmp_path: Path, suite):
    rules = {
        r.rule_code: r
        for r in run_suite(suite, _warehouse(tmp_path / "w.duckdb", [("neg", -1, 5, -20.0)])).rules
    }
    assert not rules["COUNT_NON_NEGATIVE"].success


def test_the_file_is_free_after_validation(tmp_path: Path, suite):
    path = tmp_path / "w.duckdb"
    run_suite(suite, _warehouse(path, [("a", 1, 2, 50.0)]))
    duckdb.connect(str(path), read_only=True).close()  # raises if GX still holds the file
