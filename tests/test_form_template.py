"""The official form (`cds form`): what it asks, what it locks and validates, and that the ingest reads what
a commune fills in it, recording the form's version; a form of another catalogue version is still read."""

from __future__ import annotations

import csv
import shutil
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl

from pipelines.cli import main
from pipelines.ingest.form_template import (
    FORM_VERSION,
    TABLE_HEADER_ROW,
    VERSION_SHEET,
    catalogue_fingerprint,
    form_indicators,
    issue_forms,
)
from pipelines.ingest.register import Detected
from pipelines.ingest.submissions import FormParser, ingest_form
from pipelines.reference import read_seed
from pipelines.settings import DBT_PROJECT_DIR

SEEDS = DBT_PROJECT_DIR / "seeds"


def _fill(path: Path, figures: dict[str, tuple[object, object, object]], submitted: object) -> Path:
    """Fill the form as a commune would in Excel: figures typed as numbers, the rate as printed."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["Phụ lục"]
    sheet["C7"] = submitted
    for row in sheet.iter_rows(min_row=TABLE_HEADER_ROW + 1):
        if row[1].value in figures:
            row[4].value, row[5].value, row[6].value = figures[row[1].value]
    workbook.save(path)
    return path


def test_the_form_asks_the_catalogue_and_fills_and_locks_the_header(tmp_path):
    [path] = issue_forms("2025-Q3", ["QNG011"], tmp_path)
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Phụ lục", "Hướng dẫn", VERSION_SHEET]
    sheet = workbook["Phụ lục"]
    assert sheet["C4"].value == "Xã An Phú" and sheet["C5"].value == "Quý III năm 2025"
    assert (sheet["C6"].value, sheet["E6"].value, sheet["C3"].value) == (
        "01/07/2025",
        "30/09/2025",
        "05/10/2025",
    )
    codes = [r[1].value for r in sheet.iter_rows(min_row=TABLE_HEADER_ROW + 1)]
    assert codes == [i["indicator_code"] for i in form_indicators(read_seed("ref_indicators"))]
    # the header block is locked, what the commune fills is not
    assert sheet.protection.sheet
    assert sheet["C4"].protection.locked and sheet["B10"].protection.locked
    assert not sheet["C7"].protection.locked
    assert not any(sheet.cell(row=10, column=c).protection.locked for c in range(5, 9))
    # validation on every figure cell, with a Vietnamese input message
    rules = {str(r.sqref): r for r in sheet.data_validations.dataValidation}
    covered = " ".join(rules)
    for row in range(TABLE_HEADER_ROW + 1, TABLE_HEADER_ROW + 1 + len(codes)):
        assert f"E{row}:F{row}" in covered
    rate_rows = [r for r in rules.values() if r.type == "decimal"]
    assert len(rate_rows) == 1 and (rate_rows[0].formula1, rate_rows[0].formula2) == ("0", "100")
    assert all(r.showInputMessage and "Nhập" in r.prompt for r in rules.values())
    version = workbook[VERSION_SHEET]
    assert version.sheet_state == "veryHidden" and version.protection.sheet
    assert version["B1"].value == FORM_VERSION
    assert version["B2"].value == catalogue_fingerprint(read_seed("ref_indicators"))


def test_the_same_form_is_the_same_bytes(tmp_path):
    first = issue_forms("2025-Q3", ["QNG011"], tmp_path / "a")[0].read_bytes()
    assert first == issue_forms("2025-Q3", ["QNG011"], tmp_path / "b")[0].read_bytes()


def test_a_filled_form_lands_with_its_figures_and_its_version_recorded(tmp_path):
    [path] = issue_forms("2025-Q3", ["QNG011"], tmp_path)
    _fill(
        path,
        {
            "DOS_RECEIVED": (544, None, None),
            "DOS_ONLINE_RATE": (543, 544, 99.82),
            "PC_COUNT": (12, None, None),
        },
        datetime(2025, 10, 3),
    )
    detected = Detected()
    parsed = FormParser.from_seeds().parse(path, detected)
    assert (parsed.commune_id, parsed.period_key) == ("QNG011", "2025-Q3")
    values = {v.indicator_code: v for v in parsed.values}
    assert values["DOS_RECEIVED"].numerator == 544
    assert (values["DOS_ONLINE_RATE"].numerator, values["DOS_ONLINE_RATE"].denominator) == (543, 544)
    assert values["DOS_ONLINE_RATE"].rate == Decimal("99.82")
    assert values["PC_COUNT"].numerator == 12
    assert not parsed.problems, [str(p) for p in parsed.problems]
    assert detected.items["form_version"] == FORM_VERSION
    assert detected.items["catalogue"] == catalogue_fingerprint(read_seed("ref_indicators"))
    con = duckdb.connect()
    result = ingest_form(con, path, tmp_path / "archive", FormParser.from_seeds())
    assert result.status == "loaded"
    recorded = con.execute("select detected from raw.ingested_files").fetchall()[0][0]
    assert f"form_version={FORM_VERSION}" in recorded


def test_a_form_of_an_older_catalogue_is_still_read_and_says_so(tmp_path):
    """A catalogue that has since renamed an indicator: its forms carry the older fingerprint, which the
    register records, and still land."""
    older = tmp_path / "seeds"
    shutil.copytree(SEEDS, older)
    rows = read_seed("ref_indicators")
    rows[0]["name_vi"] = "Tổng số hồ sơ tiếp nhận (tên cũ)"
    with open(older / "ref_indicators.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    [path] = issue_forms("2025-Q3", ["QNG011"], tmp_path / "forms", older)
    _fill(path, {"DOS_RECEIVED": (544, None, None)}, "03/10/2025")
    detected = Detected()
    parsed = FormParser.from_seeds().parse(path, detected)
    assert {v.indicator_code: v.numerator for v in parsed.values}["DOS_RECEIVED"] == 544
    assert detected.items["catalogue"] == catalogue_fingerprint(rows)
    assert detected.items["catalogue"] != catalogue_fingerprint(read_seed("ref_indicators"))


def test_cds_form_refuses_an_unknown_period_or_commune_and_writes_nothing(tmp_path, capsys):
    assert main(["form", "--period", "2025-Q9", "--out", str(tmp_path / "a")]) == 2
    assert "2025-Q1, 2025-Q2, 2025-Q3, 2025-Q4" in capsys.readouterr().err
    assert main(["form", "--period", "2025-9M", "--out", str(tmp_path / "a")]) == 2  # no form for 9 months
    assert main(["form", "--period", "2025-Q3", "--commune", "QNG999", "--out", str(tmp_path / "a")]) == 2
    assert "QNG999" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()
    assert main(["form", "--period", "2025-Q3", "--out", str(tmp_path / "all")]) == 0
    assert len(list((tmp_path / "all").glob("*.xlsx"))) == len(read_seed("ref_communes"))


def test_a_tampered_version_sheet_is_recorded_as_text_and_cut(tmp_path):
    [path] = issue_forms("2025-Q3", ["QNG011"], tmp_path)
    workbook = openpyxl.load_workbook(path)
    workbook[VERSION_SHEET]["B1"].value = "x" * 500
    workbook[VERSION_SHEET]["B2"].value = '=HYPERLINK("http://x")'  # a formula: no cached value, not taken
    workbook.save(path)
    detected = Detected()
    FormParser.from_seeds().parse(path, detected)
    assert detected.items["form_version"] == "x" * 64 and "catalogue" not in detected.items
