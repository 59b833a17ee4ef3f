"""The consistency rules on one narrative report: each fed a report that breaks it and one that keeps it;
the same SQL through Great Expectations on a warehouse file; and `cds extract` for a person and as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from pipelines.narrative.extract import extract_report
from pipelines.narrative.ingest import RAW_DDL, ingest_report
from pipelines.quality.report_check import REFERENCE_SEEDS, narrative_suites, report_findings
from pipelines.quality.suites import run_suites

HEAD = """UBND XÃ SƠN KỲ

BÁO CÁO
Kết quả chuyển đổi số Quý III năm 2025

Ủy ban nhân dân xã báo cáo như sau:

"""


def _findings(tmp_path: Path, body: str) -> list[dict]:
    path = tmp_path / "son-ky.txt"
    path.write_text(HEAD + body, encoding="utf-8")
    return report_findings(extract_report(path))


def _codes(findings: list[dict]) -> list[str]:
    return sorted(f["rule_code"] for f in findings)


CASES = {
    "NARRATIVE_RATE_FRACTION_MISMATCH": (
        "Tỷ lệ hồ sơ giải quyết trước hạn và đúng hạn: 543/544 = 99,81%.",
        "Tỷ lệ hồ sơ giải quyết trước hạn và đúng hạn: 543/544 = 99,82%.",
    ),
    "NARRATIVE_RATE_IMPOSSIBLE": (
        "Số hồ sơ được số hóa khi tiếp nhận đạt 580/570 hồ sơ.",
        "Số hồ sơ được số hóa khi tiếp nhận đạt 570/570 hồ sơ.",
    ),
    "NARRATIVE_PARTS_DO_NOT_ADD_UP": (
        "Đã có 6.639 công dân cài đặt VNeID, trong đó 6.158 tài khoản đã kích hoạt và 458 tài khoản chưa "
        "kích hoạt.",
        "Đã có 6.616 công dân cài đặt VNeID, trong đó 6.158 tài khoản đã kích hoạt và 458 tài khoản chưa "
        "kích hoạt.",
    ),
    "NARRATIVE_SAME_FIGURE_TWO_VALUES": (
        "Xã tiếp nhận 570 hồ sơ.\n\nTổng số hồ sơ tiếp nhận trong quý là 575 hồ sơ.",
        "Xã tiếp nhận 570 hồ sơ.\n\nTổng số hồ sơ tiếp nhận trong quý là 570 hồ sơ.",
    ),
    "NARRATIVE_DATE_IMPOSSIBLE": (
        "Báo cáo thay thế Báo cáo số 80/BC-UBND ngày 28/9/20205.",
        "Báo cáo thay thế Báo cáo số 80/BC-UBND ngày 28/9/2025.",
    ),
    "NARRATIVE_COVERAGE_OUTSIDE_PERIOD": (
        "Số liệu tính từ ngày 01/6 đến ngày 30/9/2025: tiếp nhận 570 hồ sơ.",
        "Số liệu tính từ ngày 01/7 đến ngày 30/9/2025: tiếp nhận 570 hồ sơ.",
    ),
    "NARRATIVE_COVERAGE_PARTIAL": (
        "Số liệu tính từ ngày 01/7 đến ngày 10/9/2025: tiếp nhận 570 hồ sơ.",
        "Số liệu tính từ ngày 01/7 đến ngày 30/9/2025: tiếp nhận 570 hồ sơ.",
    ),
}


def test_every_narrative_rule_has_a_case():
    rules = {e["meta"]["rule_code"] for spec in narrative_suites() for e in spec.expectations}
    assert rules == set(CASES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_a_rule_fails_on_its_bad_case_and_passes_on_the_good_one(tmp_path: Path, rule: str):
    bad, good = CASES[rule]
    assert rule in _codes(_findings(tmp_path, bad))
    assert rule not in _codes(_findings(tmp_path, good))


def test_a_finding_carries_the_sentence_and_a_vietnamese_message(tmp_path: Path):
    (finding,) = [
        f
        for f in _findings(tmp_path, CASES["NARRATIVE_PARTS_DO_NOT_ADD_UP"][0])
        if f["rule_code"] == "NARRATIVE_PARTS_DO_NOT_ADD_UP"
    ]
    assert finding["message_vi"] == (
        "Báo cáo nêu Số tài khoản VNeID đã cài đặt là 6.639 nhưng đã kích hoạt + chưa kích hoạt = 6.616: "
        "chênh 23"
    )
    assert "Đã có 6.639 công dân cài đặt VNeID" in finding["evidence_text"]
    assert finding["commune_id"] == "QNG056" and finding["period_key"] == "2025-Q3"


def test_the_same_rules_run_through_great_expectations_on_the_warehouse(tmp_path: Path):
    """GX on a warehouse file flags what the in-memory run flags (the SQL is pushed down to DuckDB)."""
    from pipelines.settings import get_settings

    warehouse = tmp_path / "warehouse.duckdb"
    bad = tmp_path / "reports" / "son-ky.txt"
    bad.parent.mkdir()
    bad.write_text(HEAD + CASES["NARRATIVE_RATE_FRACTION_MISMATCH"][0], encoding="utf-8")
    with duckdb.connect(str(warehouse)) as con:
        con.execute(RAW_DDL)
        assert ingest_report(con, bad, tmp_path / "archive").status == "loaded"
        con.execute("create schema reference")
        for seed in REFERENCE_SEEDS:
            con.execute(
                f"create table reference.{seed} as select * from read_csv(?)",
                [str(get_settings().reference_dir / f"{seed}.csv")],
            )
    results = {r.suite: r for r in run_suites(narrative_suites(), f"duckdb:///{warehouse}")}
    rules = {rule.rule_code: rule for rule in results["raw_narrative_figures"].rules}
    assert not any(rule.error for result in results.values() for rule in result.rules)
    assert not rules["NARRATIVE_RATE_FRACTION_MISMATCH"].success
    assert rules["NARRATIVE_RATE_FRACTION_MISMATCH"].unexpected_count == 1
    assert rules["NARRATIVE_PARTS_DO_NOT_ADD_UP"].success


def test_cds_extract_prints_the_commune_figures_and_findings(tmp_path: Path, capsys):
    path = tmp_path / "son-ky.txt"
    path.write_text(HEAD + CASES["NARRATIVE_RATE_FRACTION_MISMATCH"][0], encoding="utf-8")
    assert main(["extract", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Đơn vị: Xã Sơn Kỳ (QNG056)" in out
    assert "Kỳ báo cáo: Quý III năm 2025 (2025-Q3)" in out
    assert "DOS_EARLY_OR_ON_TIME_RATE" in out and "99,81 %" in out
    assert "[LỖI] NARRATIVE_RATE_FRACTION_MISMATCH" in out
    assert "vai trò: số thực hiện; đưa vào kho" in out

    assert main(["extract", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["commune"]["id"] == "QNG056" and data["period_key"] == "2025-Q3"
    assert (data["coverage_start"], data["coverage_end"]) == (None, None)
    (figure,) = data["figures"]
    assert figure == {
        **figure,
        "indicator_code": "DOS_EARLY_OR_ON_TIME_RATE",
        "value": 99.81,
        "numerator": 543,
        "denominator": 544,
        "printed": "543/544 = 99,81%",
        "evidence": "Tỷ lệ hồ sơ giải quyết trước hạn và đúng hạn: 543/544 = 99,81%.",
        "role": "actual",
        "needs_review": False,
    }
    assert figure["confidence"] >= 0.8 and figure["review_reason"] is None
    assert [(f["rule_code"], f["severity"]) for f in data["findings"]] == [
        ("NARRATIVE_RATE_FRACTION_MISMATCH", "error")
    ]
    assert "543/544 = 99,81%" in data["findings"][0]["evidence"]


def test_cds_extract_refuses_an_unknown_commune(tmp_path: Path, capsys):
    path = tmp_path / "hoa-phu.txt"
    path.write_text("ỦY BAN NHÂN DÂN\n\nXÃ HÒA PHÚ\n\nBÁO CÁO quý III năm 2025\n", encoding="utf-8")
    assert main(["extract", str(path)]) == 2
    err = capsys.readouterr().err
    assert "hoa-phu.txt" in err and "XÃ HÒA PHÚ" in err
    assert main(["extract", str(tmp_path / "missing.docx")]) == 2


def test_cds_extract_shows_a_report_without_a_period_and_says_the_warehouse_would_refuse_it(
    tmp_path: Path, capsys
):
    path = tmp_path / "son-ky.txt"
    path.write_text("UBND XÃ SƠN KỲ\n\nBÁO CÁO\nVề công tác chuyển đổi số\n\nXã tiếp nhận 12 hồ sơ.\n")
    assert main(["extract", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Kỳ báo cáo: không xác định" in out and "sẽ bị cách ly" in out
    with duckdb.connect() as con:
        con.execute(RAW_DDL)
        result = ingest_report(con, path, tmp_path / "archive")
        reason = con.execute("select reason_code from raw.quarantine").fetchone()[0]
    assert (result.status, reason) == ("rejected", "period_not_found")


def test_cds_extract_shows_a_proposal_and_a_figure_waiting_for_review(tmp_path: Path, capsys):
    path = tmp_path / "son-ky.txt"
    body = (
        "Đề nghị tỉnh trang bị thêm 12 máy tính cho bộ phận một cửa.\n"
        "Đã tiếp nhận 4 hồ sơ dự tuyển viên chức.\n"
    )
    path.write_text(HEAD + body, encoding="utf-8")
    assert main(["extract", str(path), "--json"]) == 0
    figures = {f["printed"]: f for f in json.loads(capsys.readouterr().out)["figures"]}
    proposal = figures["12 máy tính"]
    assert (proposal["role"], proposal["role_cue"], proposal["indicator_code"]) == (
        "proposal",
        "trang bị thêm",
        "PC_COUNT",
    )
    assert all({"role", "confidence", "needs_review"} <= f.keys() for f in figures.values())
    assert main(["extract", str(path)]) == 0
    assert "vai trò: đề xuất, kiến nghị («trang bị thêm»); không đưa vào kho" in capsys.readouterr().out
