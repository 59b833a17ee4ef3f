"""The review loop: decisions read from the list in git and from filled review sheets, refused by file and
line when they cannot be traced, and a published sheet that, filled in, is read back as decisions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest

from pipelines.narrative.reviews import (
    REVIEW_COLUMNS,
    SHEET_NAME,
    ReviewError,
    read_decisions,
    read_review_list,
    read_review_sheet,
)
from pipelines.reports.review_sheet import review_page, write_review_sheet

INDICATORS = {"DOS_RECEIVED", "VILLAGE_COUNT", "CDT_TEAMS"}
ROW = dict(
    figure_key="0123456789ab#7",
    commune_id="QNG056",
    source_file="/x/son-ky_quy-3-2025.docx",
    position="đoạn 12",
    printed="18 tổ",
    value=18.0,
    proposed_indicator_code="CDT_TEAMS",
    role="actual",
    role_cue=None,
    confidence=0.65,
    review_reason="noun,confidence",
    evidence_sentence='=HYPERLINK("http://x") Xã có 18 tổ <b>công nghệ</b> cộng đồng.',
)


def _list(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "reviewed_figures.csv"
    path.write_text(",".join(REVIEW_COLUMNS) + "\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_decisions_from_the_list(tmp_path: Path):
    path = _list(
        tmp_path,
        "0123456789ab#7,remap,VILLAGE_COUNT,Nguyễn Văn A,2025-10-12,18 is the number of villages",
        "0123456789ab#8,chấp nhận,,Nguyễn Văn A,12/10/2025,checked against the form",
    )
    remap, accept = read_review_list(path, INDICATORS)
    assert (remap.decision, remap.indicator_code, remap.reviewed_on) == (
        "remap",
        "VILLAGE_COUNT",
        date(2025, 10, 12),
    )
    assert (accept.decision, accept.indicator_code) == ("accept", None)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("0123456789ab#7,accept,,,2025-10-12,why", "reviewed_by"),
        ("0123456789ab#7,accept,,A,2025-10-12,", "reason"),
        ("0123456789ab#7,maybe,,A,2025-10-12,why", "chấp nhận, loại hoặc đổi chỉ tiêu"),
        ("0123456789ab#7,remap,NOT_A_CODE,A,2025-10-12,why", "remap needs an indicator code"),
        ("figure-7,accept,,A,2025-10-12,why", "bad figure key"),
        ("0123456789ab#7,accept,,A,hôm qua,why", "dd/mm/yyyy"),
    ],
)
def test_a_decision_nobody_can_trace_is_refused_by_file_and_line(tmp_path: Path, row, message):
    path = _list(tmp_path, row)
    with pytest.raises(ReviewError, match=message) as raised:
        read_review_list(path, INDICATORS)
    assert f"{path}, dòng 2" in str(raised.value)


def test_a_published_sheet_filled_in_is_read_back_as_decisions(tmp_path: Path):
    sheet = tmp_path / "xem-xet-2025-Q3.xlsx"
    write_review_sheet([ROW], "2025-Q3", date(2025, 10, 10), sheet)
    workbook = openpyxl.load_workbook(sheet)
    ws = workbook[SHEET_NAME]
    assert ws["A4"].value == "0123456789ab#7" and ws["E4"].data_type == "s"  # report text is never a formula
    assert ws["E4"].value.startswith("=HYPERLINK")
    assert read_review_sheet(sheet, INDICATORS) == []  # nothing decided yet: still pending
    ws["K4"], ws["L4"], ws["M4"], ws["N4"], ws["O4"] = (
        "đổi chỉ tiêu",
        "VILLAGE_COUNT",
        "Trần B",
        "15/10/2025",
        "villages",
    )
    reviews = tmp_path / "reviews"
    reviews.mkdir()
    workbook.save(reviews / sheet.name)
    decisions, refused = read_decisions(tmp_path / "absent.csv", reviews, INDICATORS)
    assert refused == []
    (decision,) = decisions
    assert (decision.figure_key, decision.decision, decision.indicator_code) == (
        "0123456789ab#7",
        "remap",
        "VILLAGE_COUNT",
    )
    assert decision.source.endswith("Xem xét!K4")


def test_a_bad_sheet_is_refused_by_name_and_the_list_still_counts(tmp_path: Path):
    reviews = tmp_path / "reviews"
    reviews.mkdir()
    (reviews / "broken.xlsx").write_bytes(b"not a workbook")
    path = _list(tmp_path, "0123456789ab#8,reject,,A,2025-10-12,a proposal, not a stock")
    decisions, refused = read_decisions(path, reviews, INDICATORS)
    assert [d.decision for d in decisions] == ["reject"] and "broken.xlsx" in refused[0]


def test_the_latest_decision_on_a_figure_wins(tmp_path: Path):
    path = _list(
        tmp_path,
        "0123456789ab#7,accept,,A,2025-10-20,second look",
        "0123456789ab#7,reject,,A,2025-10-12,first look",
    )
    (decision,) = read_decisions(path, tmp_path / "none", INDICATORS)[0]
    assert decision.decision == "accept"


def test_the_review_page_highlights_the_figure_and_escapes_the_text():
    html = review_page([ROW], "2025-Q3")
    assert "<mark>18 tổ</mark>" in html and "<b>công nghệ</b>" not in html and "&lt;b&gt;" in html


REVIEWED_REPORT = """UBND XÃ SƠN KỲ
Số: 12/BC-UBND
BÁO CÁO
Kết quả chuyển đổi số Quý I năm 2025

Đã có 46 cán bộ được cấp chứng thư số.
Kích hoạt được 210 hồ sơ định danh điện tử.
Có 35 người trong tổ công nghệ số.
Đề nghị tỉnh trang bị thêm 12 máy tính cho bộ phận một cửa.
Toàn xã có 230 hộ sử dụng thanh toán không dùng tiền mặt.
"""


def _extracted(warehouse: Path) -> dict[str, float]:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            """select indicator_code, value from marts.fct_commune_indicator
               where source = 'extracted' and commune_id = 'QNG056' and period_key = '2025-Q1'"""
        ).fetchall()
    return dict(rows)


def test_the_review_loop_end_to_end(small_sample: Path, tmp_path: Path):
    """A doubtful figure waits in the published sheet; filled in and put back, it lands (accepted or
    remapped) or never does (rejected); a proposal never reaches the sheet nor the marts."""
    import shutil

    from dagster import DagsterInstance

    from pipelines.run import run_main_job
    from tests.conftest import settings_for

    sources = tmp_path / "sources"
    shutil.copytree(small_sample, sources)
    (sources / "narrative_reports" / "2025-Q1").mkdir(parents=True, exist_ok=True)
    (sources / "narrative_reports" / "2025-Q1" / "son-ky-review.txt").write_text(
        REVIEWED_REPORT, encoding="utf-8"
    )
    settings = settings_for(sources, tmp_path)
    assert run_main_job(settings, DagsterInstance.ephemeral()).success

    landed = _extracted(settings.warehouse_path)
    assert landed.get("EPAY_HOUSEHOLDS") == 230  # sure of it: landed without review
    assert not {"DSIG_TOTAL", "VNEID_ACTIVATED", "CDT_TEAMS", "CDT_MEMBERS", "PC_COUNT"} & landed.keys()
    sheet = settings.reports_dir / "2025-Q1" / "xem-xet-2025-Q1.xlsx"
    workbook = openpyxl.load_workbook(sheet)
    ws = workbook[SHEET_NAME]
    rows = {ws.cell(r, 6).value: r for r in range(4, ws.max_row + 1) if ws.cell(r, 2).value == "QNG056"}
    assert {"46 cán bộ", "210 hồ sơ", "35 người"} <= rows.keys() and "12 máy tính" not in rows
    decisions = {
        "46 cán bộ": ("chấp nhận", None),
        "210 hồ sơ": ("loại", None),
        "35 người": ("đổi chỉ tiêu", "CDT_MEMBERS"),
    }
    for printed, (decision, code) in decisions.items():
        r = rows[printed]
        ws.cell(r, 11).value, ws.cell(r, 12).value = decision, code
        ws.cell(r, 13).value, ws.cell(r, 14).value, ws.cell(r, 15).value = "Lê C", "20/04/2025", "read again"
    (sources / "reviews").mkdir()
    workbook.save(sources / "reviews" / sheet.name)

    assert run_main_job(settings, DagsterInstance.ephemeral()).success
    landed = _extracted(settings.warehouse_path)
    assert landed["DSIG_TOTAL"] == 46 and landed["CDT_MEMBERS"] == 35
    assert "VNEID_ACTIVATED" not in landed and "CDT_TEAMS" not in landed and "PC_COUNT" not in landed
    again = openpyxl.load_workbook(settings.reports_dir / "2025-Q1" / "xem-xet-2025-Q1.xlsx")[SHEET_NAME]
    assert not any(again.cell(r, 2).value == "QNG056" for r in range(4, again.max_row + 1))  # nothing pending


def test_every_reason_a_figure_waits_for_has_its_words_in_vietnamese():
    """The review sheet names each reason in Vietnamese: every reason the reader gives has them."""
    import re

    from pipelines.narrative import figures
    from pipelines.reports.review_sheet import _REASONS_VI

    given = set(re.findall(r'reasons\.append\("(\w+)"\)', Path(figures.__file__).read_text(encoding="utf-8")))
    assert {"confidence", "ocr", "number_in_words"} <= given
    assert given | {"conflict"} <= _REASONS_VI.keys()
