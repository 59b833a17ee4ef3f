"""The generator is deterministic and its defect manifest tells the truth about the files it wrote."""

from __future__ import annotations

import csv
import filecmp
import unicodedata
from collections import Counter
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from pipelines.core.vietnamese import parse_number
from pipelines.reference import read_seed
from pipelines.tools.sample.forms import printed_rate
from pipelines.tools.sample.generator import FORM_DEFECT_SHARES, SampleConfig, form_stems, generate_sample

from .conftest import SMALL


def _read_defects(root: Path) -> list[dict[str, str]]:
    with open(root / "defects.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _read_form(path: Path) -> tuple[dict[str, str], dict[str, dict[str, object]]]:
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    header, rows = {}, {}
    for row in sheet.iter_rows(values_only=True):
        cells = [unicodedata.normalize("NFC", c) if isinstance(c, str) else c for c in row]
        if cells[1] and str(cells[1]).endswith(":"):
            header[cells[1]] = cells[2]
            if cells[3]:
                header[cells[3]] = cells[4]
        elif isinstance(cells[0], int):
            rows[cells[1]] = {"num": parse_number(cells[4]), "den": parse_number(cells[5]), "rate": cells[6]}
    return header, rows


def _export_rows(root: Path) -> list[dict[str, str]]:
    rows = []
    for path in sorted((root / "dossiers").glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as handle:
            rows.extend(dict(r, _file=path.name) for r in csv.DictReader(handle))
    for path in sorted((root / "dossiers").glob("*.xlsx")):
        sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        values = sheet.iter_rows(values_only=True)
        headers = next(values)
        rows.extend(dict(zip(headers, r, strict=True), _file=path.name) for r in values)
    return rows


def test_same_seed_gives_the_same_bytes(tmp_path: Path, small_sample: Path):
    again = tmp_path / "again"
    generate_sample(again, SMALL)
    comparison = filecmp.dircmp(small_sample, again)
    files = [p.relative_to(small_sample) for p in small_sample.rglob("*") if p.is_file()]
    assert files, "the sample wrote no files"
    match, mismatch, errors = filecmp.cmpfiles(small_sample, again, [str(f) for f in files], shallow=False)
    assert not mismatch and not errors, mismatch + errors
    assert not comparison.left_only and not comparison.right_only


def test_a_different_seed_gives_different_data(tmp_path: Path, small_sample: Path):
    other = tmp_path / "other"
    generate_sample(
        other, SampleConfig(seed=8, communes=SMALL.communes, quarters=SMALL.quarters, dossiers=SMALL.dossiers)
    )
    assert not filecmp.cmp(
        small_sample / "dossiers" / "dossiers_2025-Q1.csv",
        other / "dossiers" / "dossiers_2025-Q1.csv",
        shallow=False,
    )


def test_every_defect_kind_is_injected_and_every_listed_file_exists(small_sample: Path):
    defects = _read_defects(small_sample)
    kinds = Counter(d["defect_kind"] for d in defects)
    expected = set(FORM_DEFECT_SHARES) | {
        "duplicate_dossier_row",
        "finished_before_received",
        "unknown_commune",
    }
    assert expected <= set(kinds), expected - set(kinds)
    for defect in defects:
        if defect["file"]:
            assert (small_sample / defect["file"]).exists(), defect


def test_form_defects_are_really_in_the_forms(small_sample: Path):
    calendar = {p["period_key"]: p for p in read_seed("ref_reporting_calendar")}
    stems = form_stems(read_seed("ref_communes"))
    checked = Counter()
    for d in _read_defects(small_sample):
        kind, path = d["defect_kind"], small_sample / d["file"]
        if kind == "missing_submission":
            folder = small_sample / "submissions" / d["period_key"]
            assert not list(folder.glob(f"{stems[d['commune']]}_*.xlsx")), d
        elif kind == "late_submission":
            header, _ = _read_form(path)
            submitted = datetime.strptime(header["Ngày gửi báo cáo:"], "%d/%m/%Y").date()
            assert submitted.isoformat() > calendar[d["period_key"]]["due_on"], d
        elif kind == "rate_mismatch":
            row = _read_form(path)[1][d["indicator_code"]]
            assert row["rate"] != printed_rate(int(row["num"]), int(row["den"])), d
        elif kind == "parts_mismatch":
            rows = _read_form(path)[1]
            assert (
                rows["VNEID_INSTALLED"]["num"]
                != rows["VNEID_ACTIVATED"]["num"] + rows["VNEID_NOT_ACTIVATED"]["num"]
            )
        elif kind == "numerator_gt_denominator":
            row = _read_form(path)[1][d["indicator_code"]]
            assert row["num"] > row["den"], d
        elif kind == "impossible_date":
            header, _ = _read_form(path)
            assert len(header["đến ngày:"].split("/")[-1]) != 4, d
        elif kind == "resubmission":
            first = path.with_name(path.name.replace("_lan2", ""))
            assert _read_form(first)[1]["DOS_RECEIVED"]["num"] != _read_form(path)[1]["DOS_RECEIVED"]["num"]
        else:
            continue
        checked[kind] += 1
    assert len(checked) == 7, checked


def test_dossier_defects_are_really_in_the_exports_and_reports_differ_where_listed(small_sample: Path):
    rows = _export_rows(small_sample)
    codes = Counter(r["Mã hồ sơ"] for r in rows)
    defects = _read_defects(small_sample)
    for d in defects:
        code = d["detail"].split(":")[0]
        if d["defect_kind"] == "duplicate_dossier_row":
            assert codes[code] == 2, d
        elif d["defect_kind"] == "finished_before_received":
            row = next(r for r in rows if r["Mã hồ sơ"] == code)
            fmt = "%d/%m/%Y %H:%M:%S"
            assert datetime.strptime(row["Ngày hoàn thành"], fmt) < datetime.strptime(
                row["Ngày tiếp nhận"], fmt
            )
    listed_duplicates = sum(d["defect_kind"] == "duplicate_dossier_row" for d in defects)
    assert sum(n - 1 for n in codes.values() if n > 1) == listed_duplicates
    assert any(r["Đơn vị tiếp nhận"] == "Xã Hòa Bình" for r in rows)


def test_clean_mode_writes_the_same_shape_without_defects(tmp_path: Path):
    clean = tmp_path / "clean"
    generate_sample(clean, SampleConfig(seed=7, communes=6, quarters=2, dossiers=1_500, clean=True))
    assert _read_defects(clean) == []
    codes = Counter(r["Mã hồ sơ"] for r in _export_rows(clean))
    assert max(codes.values()) == 1
    forms = list((clean / "submissions").glob("*/*.xlsx"))
    assert len(forms) == 6 * 2
    for form in forms:
        rows = _read_form(form)[1]
        for code, row in rows.items():
            if row["rate"] and row["den"]:
                assert row["rate"] == printed_rate(int(row["num"]), int(row["den"])), (form, code)


def test_rejects_impossible_sizes(tmp_path: Path):
    with pytest.raises(ValueError, match="communes"):
        generate_sample(tmp_path, SampleConfig(communes=200))
