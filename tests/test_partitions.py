"""Source assets are partitioned by the quarter their data covers: which file goes to which quarter, which
quarters a run covers, the dossier database read one quarter's window at a time, and the sensor."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, materialize

from pipelines.ingest.assets import raw_dossiers, raw_submissions, run_quarters
from pipelines.ingest.dossier_db import pull_dossier_db, window_for
from pipelines.partitions import (
    RANGE_END_TAG,
    RANGE_START_TAG,
    quarter_in_path,
    quarter_of_period,
    quarter_range_tags,
)
from pipelines.resources import build_resources

from .conftest import settings_for
from .test_ingest_dossier_db import _row, _system

ROOT = Path("/inbox/dossiers")


@pytest.mark.parametrize(
    ("path", "quarter"),
    [
        ("dossiers_2025-Q3.csv", "2025-Q3"),
        ("2025_q4/export.xlsx", "2025-Q4"),
        ("2025-Q1/an-phu.xlsx", "2025-Q1"),
        ("staffing_2025-9M.xlsx", "2025-Q3"),  # a 9-month period ends in Q3
        ("staffing_2025-Y.xlsx", "2025-Q4"),
        ("2024-Q4/old.csv", None),  # outside the calendar
        ("export.csv", None),
        ("20251-Q1.csv", None),  # not a year
    ],
)
def test_a_file_belongs_to_the_quarter_its_path_names(path: str, quarter: str | None):
    assert quarter_in_path(ROOT / path, ROOT) == quarter


def test_a_folder_above_the_inbox_does_not_place_a_file():
    assert quarter_in_path(Path("/2025-Q1/inbox/dossiers/export.csv"), ROOT) is None


def test_periods_map_to_the_quarter_they_end_in():
    assert [quarter_of_period(p) for p in ("2025-Q2", "2025-9M", "2025-Y", "2031-Q1", None)] == [
        "2025-Q2",
        "2025-Q3",
        "2025-Q4",
        None,
        None,
    ]


def test_a_full_run_covers_the_quarters_with_files_and_the_database_every_quarter_begun():
    grouped = {"2025-Q2": [Path("a")], "2025-Q3": [Path("b")], None: [Path("c")]}
    assert run_quarters(grouped, date(2026, 1, 1)) == ["2025-Q2", "2025-Q3"]
    assert run_quarters(grouped, date(2025, 5, 1), database=True) == ["2025-Q1", "2025-Q2", "2025-Q3"]
    assert run_quarters({}, date(2025, 8, 1)) == ["2025-Q1", "2025-Q2", "2025-Q3"]
    assert quarter_range_tags(["2025-Q3", "2025-Q1"]) == {
        RANGE_START_TAG: "2025-Q1",
        RANGE_END_TAG: "2025-Q3",
    }
    with pytest.raises(ValueError):
        quarter_range_tags([])


def test_the_database_is_read_one_quarters_window_at_a_time(tmp_path: Path):
    url = _system(
        tmp_path / "motcua.sqlite",
        [
            _row("OLD", "2025-01-02 08:00:00", received="2024-12-30 08:00:00"),  # before the calendar
            _row("Q3", "2025-07-01 09:00:00", received="2025-07-01 08:00:00"),
            _row("EDGE", "2025-10-01 00:00:00", received="2025-10-01 00:00:00"),  # first instant of Q4
            _row("LATE", "2026-02-01 08:00:00", received="2026-02-01 08:00:00"),  # after the calendar
        ],
    )
    con = duckdb.connect()

    def codes(quarter: str) -> list[str]:
        results = pull_dossier_db(con, url, window=window_for(quarter))
        return [
            c
            for r in results
            for (c,) in con.execute(
                "select dossier_code from raw.dossiers where source_file_sha256 = ?", [r.sha256]
            ).fetchall()
        ]

    assert codes("2025-Q3") == ["Q3"]
    assert codes("2025-Q3") == []  # its own watermark: nothing new
    assert codes("2025-Q1") == ["OLD"]
    assert codes("2025-Q2") == []
    assert sorted(codes("2025-Q4")) == ["EDGE", "LATE"]
    assert con.execute("select count(*) from raw.source_watermarks").fetchone()[0] == 3


def test_a_quarters_run_ingests_that_quarters_files_and_those_of_no_quarter(small_sample: Path, tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(small_sample / "dossiers", sources / "dossiers")
    shutil.copytree(small_sample / "submissions", sources / "submissions")
    quarterless = next((sources / "submissions" / "2025-Q1").glob("*.xlsx"))
    quarterless.rename(sources / "submissions" / "no-quarter-in-name.xlsx")  # its header says 2025-Q1
    export = next((sources / "dossiers").glob("*2025-Q2*"))
    export.rename(sources / "dossiers" / "export.csv")
    settings = settings_for(sources, tmp_path)
    resources = build_resources(settings)
    picked = {k: resources[k] for k in ("warehouse", "sources", "dossier_db", "reference")}
    result = materialize(
        [raw_dossiers, raw_submissions],
        resources=picked,
        partition_key="2025-Q2",
        instance=DagsterInstance.ephemeral(),
    )
    assert result.success
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        files = dict(
            con.execute(
                """select regexp_extract(original_path, '[^/]+/[^/]+$'), source_kind
                   from raw.ingested_files"""
            ).fetchall()
        )
    assert "dossiers/export.csv" in files  # no quarter in its name: taken by this run
    assert not any("2025-Q1" in f for f in files)  # Q1's files wait for a Q1 run
    assert "submissions/no-quarter-in-name.xlsx" not in files  # placed by its header in Q1
    assert any(f.startswith("2025-Q2/") for f in files)


def test_the_inbox_sensor_runs_the_quarters_whose_files_changed(tmp_path):
    from dagster import RunRequest, SkipReason, build_sensor_context

    from pipelines.definitions import defs
    from pipelines.resources import SourcesResource

    sources = SourcesResource(
        sources_dir=str(tmp_path), outputs_dir=str(tmp_path / "o"), pseudonym_key_file=str(tmp_path / "k")
    )
    sensor = defs.resolve_sensor_def("source_inbox_sensor")
    (tmp_path / "dossiers").mkdir()
    (tmp_path / "submissions" / "2025-Q1").mkdir(parents=True)

    def tick(cursor: str | None):
        context = build_sensor_context(cursor=cursor, resources={"sources": sources})
        return sensor(context), context.cursor

    (tmp_path / "dossiers" / "dossiers_2025-Q3.csv").write_text("x", encoding="utf-8")
    (tmp_path / "submissions" / "2025-Q1" / "form.xlsx").write_text("x", encoding="utf-8")
    first, cursor = tick(None)
    assert isinstance(first, RunRequest)
    assert (first.tags[RANGE_START_TAG], first.tags[RANGE_END_TAG]) == ("2025-Q1", "2025-Q3")
    assert isinstance(tick(cursor)[0], SkipReason)
    (tmp_path / "dossiers" / "dossiers_2025-Q4.csv").write_text("y", encoding="utf-8")
    second, cursor = tick(cursor)
    assert (second.tags[RANGE_START_TAG], second.tags[RANGE_END_TAG]) == ("2025-Q4", "2025-Q4")
    (tmp_path / "dossiers" / "export-without-quarter.csv").write_text("z", encoding="utf-8")
    third, cursor = tick(cursor)  # a file of no known quarter goes with the latest quarter that has files
    assert (third.tags[RANGE_START_TAG], third.tags[RANGE_END_TAG]) == ("2025-Q4", "2025-Q4")
    (tmp_path / "narrative_reports" / "2025-Q2").mkdir(parents=True)
    (tmp_path / "narrative_reports" / "2025-Q2" / "son-ky.docx").write_text("r", encoding="utf-8")
    fourth, _ = tick(cursor)  # a narrative report is a source file like the others
    assert (fourth.tags[RANGE_START_TAG], fourth.tags[RANGE_END_TAG]) == ("2025-Q2", "2025-Q2")


def test_a_narrative_report_without_a_quarter_in_its_path_is_placed_by_its_title(tmp_path: Path):
    from pipelines.narrative.assets import raw_narrative_reports

    folder = tmp_path / "sources" / "narrative_reports"
    folder.mkdir(parents=True)
    for name, commune, period in (
        ("son-ky.txt", "SƠN KỲ", "Quý II năm 2025"),
        ("ba-to.txt", "BA TÔ", "Quý I năm 2025"),
    ):
        (folder / name).write_text(
            f"UBND XÃ {commune}\n\nBÁO CÁO\n{period}\n\nXã tiếp nhận 12 hồ sơ.\n", encoding="utf-8"
        )
    settings = settings_for(tmp_path / "sources", tmp_path)
    resources = build_resources(settings)
    result = materialize(
        [raw_narrative_reports],
        resources={k: resources[k] for k in ("warehouse", "sources", "reference")},
        partition_key="2025-Q2",
        instance=DagsterInstance.ephemeral(),
    )
    assert result.success
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        read = con.execute("select commune_id, period_key from raw.narrative_reports").fetchall()
        files = con.execute("select count(*) from raw.ingested_files").fetchone()[0]
    assert read == [("QNG056", "2025-Q2")] and files == 1  # Ba Tô's Q1 report waits for a Q1 run
    result = materialize(
        [raw_narrative_reports],
        resources={k: resources[k] for k in ("warehouse", "sources", "reference")},
        partition_key="2025-Q1",
        instance=DagsterInstance.ephemeral(),
    )
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        read = con.execute("select commune_id, period_key from raw.narrative_reports order by 1").fetchall()
    assert read == [("QNG014", "2025-Q1"), ("QNG056", "2025-Q2")]
