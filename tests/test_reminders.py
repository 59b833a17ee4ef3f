"""Reminders (`cds remind`, `remind_job`): the right units, judged on the letters' date; the letter says what
is missing or in error and by when; the same state gives the same bytes; the schedule fires three days after
each quarter's due date."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import docx
import duckdb
import pytest
from dagster import DagsterInstance, build_schedule_context

from pipelines.cli import main
from pipelines.definitions import build_definitions
from pipelines.reference import read_seed
from pipelines.reports.remind import REMIND_AFTER_DAYS, build_remind_schedule, remind_run_config
from pipelines.reports.reminders import file_name, read_chase_list, write_reminders

PERIOD = "2025-Q2"


@pytest.fixture(scope="module")
def warehouse(pipeline_run) -> Path:
    settings, _ = pipeline_run
    return settings.warehouse_path


def _chase(warehouse: Path, as_of: date):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return read_chase_list(con, PERIOD, as_of)


def _due(warehouse: Path) -> date:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        sql = "select due_on from marts.dim_period where period_key = ?"
        return con.execute(sql, [PERIOD]).fetchall()[0][0]


def _expected(warehouse: Path, as_of: date) -> dict[str, bool]:
    """commune → missing, recomputed here from the marts and the findings table themselves."""
    if as_of <= _due(warehouse):
        return {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        submitted = con.execute(
            "select commune_id, first_submitted_on from marts.fct_submission where period_key = ?", [PERIOD]
        ).fetchall()
        errors = con.execute(
            """select distinct commune_id from quality.dq_findings
               where period_key = ? and severity = 'error' and status = 'open'
                 and (evidence_file like 'submissions/%' or evidence_file like 'narrative_reports/%')""",
            [PERIOD],
        ).fetchall()
    with_errors = {r[0] for r in errors}
    out = {}
    due = _due(warehouse)
    for commune, first in submitted:
        missing = first is None or first > as_of
        if missing or commune in with_errors or first > due:
            out[commune] = missing
    return out


def test_reminders_go_to_units_without_a_form_or_with_open_errors(warehouse):
    as_of = _due(warehouse) + timedelta(days=REMIND_AFTER_DAYS)
    chase = _chase(warehouse, as_of)
    expected = _expected(warehouse, as_of)
    assert {u.commune_id: u.missing for u in chase.units} == expected
    assert any(expected.values()) and not all(expected.values())  # the sample has both kinds
    assert all(u.open_errors > 0 and u.rules for u in chase.units if not u.missing)


def test_every_unit_the_warehouse_reports_late_or_missing_gets_a_letter(warehouse, tmp_path):
    """Once every form has come, the letters go exactly to the units `reporting.late_or_missing_submissions`
    names, and to those with open errors in what they sent."""
    chase = _chase(warehouse, date(2026, 1, 31))
    write_reminders(chase, tmp_path)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        late_or_missing = {
            r[0]
            for r in con.execute(
                "select commune_id from reporting.late_or_missing_submissions where period_key = ?", [PERIOD]
            ).fetchall()
        }
    lettered = {p.stem.rsplit("-", 1)[-1] for p in tmp_path.glob(f"don-doc-{PERIOD}-*.docx")}
    assert late_or_missing and late_or_missing <= lettered
    assert lettered - late_or_missing == {
        u.commune_id for u in chase.units if u.open_errors and not u.days_late
    }
    late = next(u for u in chase.units if u.days_late and not u.missing)
    text = "\n".join(p.text for p in docx.Document(str(tmp_path / file_name(late, PERIOD))).paragraphs)
    assert f"chậm {late.days_late} ngày so với thời hạn" in text


def test_nobody_is_reminded_before_the_due_date_has_passed(warehouse):
    due = _due(warehouse)
    assert _chase(warehouse, due).units == () and not _chase(warehouse, due).due
    assert _chase(warehouse, due + timedelta(days=1)).units


def test_a_form_that_came_after_the_letters_date_was_missing_on_that_date(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        late = con.execute(
            "select commune_id, first_submitted_on from marts.fct_submission "
            "where period_key = ? and status = 'late' order by first_submitted_on desc limit 1",
            [PERIOD],
        ).fetchall()
    assert late, "the sample has a late unit"
    commune, arrived = late[0]
    before = {u.commune_id: u for u in _chase(warehouse, arrived - timedelta(days=1)).units}
    assert before[commune].missing
    after = {u.commune_id: u for u in _chase(warehouse, arrived).units}
    assert commune not in after or not after[commune].missing


def test_the_letter_names_the_request_the_deadlines_and_the_errors(warehouse, tmp_path):
    as_of = _due(warehouse) + timedelta(days=REMIND_AFTER_DAYS)
    chase = _chase(warehouse, as_of)
    paths = write_reminders(chase, tmp_path)
    assert len(paths) == len(chase.units) + 1
    with_errors = next(u for u in chase.units if not u.missing)
    text = "\n".join(p.text for p in docx.Document(str(tmp_path / file_name(with_errors, PERIOD))).paragraphs)
    assert f"Kính gửi: Ủy ban nhân dân {with_errors.name}." in text
    assert chase.request_letter in text and f"{chase.due_on:%d/%m/%Y}" in text
    assert f"trước ngày {as_of + timedelta(days=7):%d/%m/%Y}" in text
    assert f"còn {with_errors.open_errors} lỗi số liệu" in text
    missing = next(u for u in chase.units if u.missing)
    text = "\n".join(p.text for p in docx.Document(str(tmp_path / file_name(missing, PERIOD))).paragraphs)
    assert "chưa nhận được báo cáo" in text and "lỗi số liệu" not in text
    listing = docx.Document(str(paths[0]))
    names = {row.cells[1].text for row in listing.tables[0].rows[1:]}
    assert names == {u.name for u in chase.units}


def test_the_same_state_gives_the_same_bytes(warehouse, tmp_path):
    chase = _chase(warehouse, _due(warehouse) + timedelta(days=REMIND_AFTER_DAYS))
    chase = replace(chase, units=chase.units[:4])  # the small sample's 84 communes with no form: a few do
    first = [p.read_bytes() for p in write_reminders(chase, tmp_path / "a")]
    assert first == [p.read_bytes() for p in write_reminders(chase, tmp_path / "b")]


def test_the_schedule_fires_three_days_after_each_due_date_only():
    schedule = build_remind_schedule(Path(__file__).parent.parent / "dbt_project" / "seeds")
    zone = ZoneInfo("Asia/Ho_Chi_Minh")

    def tick(day: date):
        when = datetime(day.year, day.month, day.day, 7, tzinfo=zone)
        return schedule.evaluate_tick(build_schedule_context(scheduled_execution_time=when))

    quarters = [p for p in read_seed("ref_reporting_calendar") if p["expects_form"] == "true"]
    assert len(quarters) == 4
    for quarter in quarters:
        day = date.fromisoformat(quarter["due_on"]) + timedelta(days=REMIND_AFTER_DAYS)
        [request] = tick(day).run_requests
        assert request.run_config == remind_run_config(quarter["period_key"], day)
        assert request.run_key == f"remind-{quarter['period_key']}-{day.isoformat()}"
        assert not tick(day - timedelta(days=1)).run_requests
        assert day.isoformat() not in (tick(day - timedelta(days=1)).skip_message or "")


def test_the_remind_job_writes_the_letters_and_lists_the_units_in_its_metadata(pipeline_run, warehouse):
    settings, _ = pipeline_run
    as_of = _due(warehouse) + timedelta(days=REMIND_AFTER_DAYS)
    job = build_definitions(settings).resolve_job_def("remind_job")
    result = job.execute_in_process(
        instance=DagsterInstance.ephemeral(), run_config=remind_run_config(PERIOD, as_of)
    )
    assert result.success
    metadata = result.output_for_node("send_reminders") is None and next(
        e.event_specific_data.metadata for e in result.all_events if e.event_type_value == "STEP_OUTPUT"
    )
    expected = _expected(warehouse, as_of)
    assert metadata["units"].value == len(expected)
    assert all(f"| {u.name} |" in metadata["reminded"].value for u in _chase(warehouse, as_of).units)
    folder = settings.outputs_dir / "reminders" / PERIOD / as_of.isoformat()
    assert len(list(folder.glob("*.docx"))) == len(expected) + 1


def test_cds_remind_refuses_a_period_without_forms_and_a_bad_date(pipeline_run, monkeypatch, capsys):
    import pipelines.cli as cli

    settings, _ = pipeline_run
    monkeypatch.setattr(cli, "get_settings", lambda: settings)
    assert main(["remind", "--period", "2025-9M"]) == 2
    assert "2025-Q1" in capsys.readouterr().err
    assert main(["remind", "--period", PERIOD, "--as-of", "2025-13-01"]) == 2
    out = str(settings.outputs_dir / "r")
    assert main(["remind", "--period", PERIOD, "--as-of", "2025-07-08", "--out", out]) == 0
    assert "Chưa gửi báo cáo" in capsys.readouterr().out
