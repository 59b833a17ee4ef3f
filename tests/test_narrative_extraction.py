"""Figures out of narrative reports: facts of each labelled fixture, precision and recall of mapped figures
against the labels, the number shapes officials write, and refusals for what cannot be attributed."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.ingest.register import IngestError
from pipelines.narrative.extract import extract_document, extract_report
from pipelines.narrative.figures import KeywordRule, keyword_rules
from pipelines.narrative.readers import Block, ReportDocument
from pipelines.reference import SEEDS_DIR, read_seed
from tests.narrative_fixtures import build_fixtures, read_labels, score


@pytest.fixture(scope="module")
def extractions(tmp_path_factory: pytest.TempPathFactory) -> dict:
    paths = build_fixtures(tmp_path_factory.mktemp("narrative"))
    return {p.name: extract_report(p) for p in paths}


def _report(text: str, name: str = "bao-cao.txt") -> ReportDocument:
    """A report held in memory: one paragraph per line."""
    blocks = tuple(Block(line, "paragraph", n) for n, line in enumerate(text.strip().splitlines(), 1))
    return ReportDocument(Path(name), "txt", blocks)


HEAD = "UBND XÃ SƠN KỲ\nBÁO CÁO\nKết quả chuyển đổi số Quý III năm 2025\n"


def test_the_fixtures_cover_the_shapes_the_issue_asks_for(extractions):
    labels = read_labels()
    assert len(labels) >= 60 and len({r["file"] for r in labels}) >= 6
    kinds = {name.rsplit(".", 1)[1] for name in extractions}
    periods = {e.facts.period_key[5:] for e in extractions.values()}
    assert {"txt", "docx", "pdf"} <= kinds
    assert {"Q1", "Q2", "Q3", "Q4", "9M", "Y", "6M"} <= periods
    assert any(f.block.kind == "cell" for e in extractions.values() for f in e.figures)  # a DOCX table


def test_precision_and_recall_of_mapped_figures_against_the_labels(extractions):
    result = score(extractions, read_labels())
    print(
        f"\nnarrative extraction: {result.correct} correct of {result.predicted_mapped} mapped and "
        f"{result.labelled_mapped} labelled; precision {result.precision:.3f}, recall {result.recall:.3f}, "
        f"claims found {result.claims_found}/{result.labelled}"
    )
    assert result.precision >= 0.95
    assert result.recall >= 0.90
    assert result.claim_recall == 1.0  # unmapped claims are kept, not dropped


def test_the_scorer_counts_a_wrong_mapping_against_precision_and_recall(extractions):
    from dataclasses import replace

    name = "son-ky_quy-3-2025.txt"
    broken = dict(extractions)
    figures = list(broken[name].figures)
    index = next(i for i, f in enumerate(figures) if f.indicator_code == "DOS_ONLINE")
    figures[index] = replace(figures[index], indicator_code="DOS_IN_PERSON")
    broken[name] = replace(broken[name], figures=tuple(figures))
    good, bad = score(extractions, read_labels()), score(broken, read_labels())
    assert bad.correct == good.correct - 1
    assert bad.precision < good.precision and bad.recall < good.recall


@pytest.mark.parametrize(
    ("name", "commune", "period", "coverage", "letter", "signer"),
    [
        ("son-ky_quy-3-2025.txt", "QNG056", "2025-Q3", (date(2025, 7, 1), date(2025, 9, 30)),
         "1502/SKHCN-KH&ĐMST", "Phó chủ tịch"),
        ("ba-to_9-thang-2025.docx", "QNG014", "2025-9M", (None, None), "1464/SKHCN-KH&ĐMST", "Chủ tịch"),
        ("cam-thanh_nam-2025.pdf", "QNG002", "2025-Y", (None, None), "2011/SKHCN-KH&ĐMST", "Chủ tịch"),
        ("dak-ha_nhan-su-quy-4-2025.txt", "QNG082", "2025-Q4", (None, None), "2010/SKHCN-KH&ĐMST",
         "Chủ tịch"),
        ("ly-son_quy-2-2025.docx", "QNG001", "2025-Q2", (date(2025, 4, 1), date(2025, 6, 30)),
         "845/SKHCN-KH&ĐMST", "Chủ tịch"),
        ("tra-bong_6-thang-2025.txt", "QNG067", "2025-6M", (None, None), None, "Phó chủ tịch"),
        ("mang-den_quy-1-2025.pdf", "QNG039", "2025-Q1", (None, None), "312/SKHCN-KH&ĐMST", "Chủ tịch"),
        ("nghia-hanh_quy-3-2025.docx", "QNG043", "2025-Q3", (None, None), "1502/SKHCN-KH&ĐMST",
         "Phó chủ tịch"),
        ("sa-thay_9-thang-2025.txt", "QNG053", "2025-9M", (None, None), "1464/SKHCN-KH&ĐMST", "Chủ tịch"),
    ],
)  # fmt: skip
def test_document_facts(extractions, name, commune, period, coverage, letter, signer):
    facts = extractions[name].facts
    assert (facts.commune_id, facts.period_key) == (commune, period)
    assert (facts.coverage_start, facts.coverage_end) == coverage
    assert (facts.request_letter, facts.signer_role) == (letter, signer)


def test_the_real_cases_are_read_as_written(extractions):
    figures = extractions["son-ky_quy-3-2025.txt"].figures
    by_printed = {f.printed: f for f in figures}
    both = by_printed["543/544 = 99,81%"], by_printed["543/544 = 99,82%"]
    assert [(f.numerator, f.denominator, f.rate_text) for f in both] == [
        (543, 544, "99,81%"),
        (543, 544, "99,82%"),
    ]
    vneid = {f.indicator_code: f.value for f in figures if f.indicator_code and "VNEID" in f.indicator_code}
    assert vneid == {"VNEID_INSTALLED": 6639, "VNEID_ACTIVATED": 6158, "VNEID_NOT_ACTIVATED": 458}
    evidence = by_printed["6.639 công dân"]
    assert evidence.sentence.startswith("Đến ngày 30/9/2025, toàn xã có 6.639 công dân")
    assert evidence.position == "đoạn 20"  # headings in capitals are paragraphs of their own


def test_numbers_money_and_leading_zeros_in_vietnamese_format():
    document = _report(
        HEAD
        + "Kinh phí chuyển đổi số năm nay là 100.000.000đ, dự kiến bổ sung 85 triệu đồng.\n"
        + "Xã phân công 01 công chức chuyên trách chuyển đổi số.\n"
        + "Toàn xã có 1.059 văn bản đi được gửi điện tử, đạt 99,8 %.\n"
    )
    figures = extract_document(document).figures
    assert [(f.kind, f.value) for f in figures] == [
        ("money", Decimal(100_000_000)),
        ("money", Decimal(85_000_000)),
        ("count", Decimal(1)),
        ("count", Decimal(1059)),
        ("rate", Decimal("99.8")),
    ]
    assert [f.indicator_code for f in figures] == [
        "DT_BUDGET",
        "DT_BUDGET",
        "IT_DEDICATED",
        None,
        "DOC_ELECTRONIC_RATE",
    ]


def test_numbers_as_spreadsheets_and_other_offices_write_them():
    """Thousands after a space or a no-break space, a count with a comma before its thousands (a count has
    no decimals), a rate with a dot or in words; three numbers of a row typed with single spaces stay
    three."""
    document = _report(
        HEAD
        + "Trong quý tiếp nhận 2 316 hồ sơ; trực tuyến 1,742 hồ sơ; kích hoạt 10\u00a0764 tài khoản.\n"
        + "Tỷ lệ giải quyết đúng hạn 99.55%; tỷ lệ dân số có tài khoản mức độ 2 đạt 78 phần trăm.\n"
        + "Kinh phí 1,5 triệu đồng; dự toán 120 000 000 đồng.\n"
        + "Bảng: 120 115 95,8% hồ sơ.\n"
    )
    values = [(f.kind, f.value) for f in extract_document(document).figures]
    assert values[:7] == [
        ("count", Decimal(2316)),
        ("count", Decimal(1742)),
        ("count", Decimal(10764)),
        ("rate", Decimal("99.55")),
        ("rate", Decimal(78)),
        ("money", Decimal(1_500_000)),
        ("money", Decimal(120_000_000)),
    ]
    assert Decimal(120115) not in {v for _, v in values}


def test_a_number_after_its_label_without_a_noun_waits_for_a_person():
    """A terse report (`đã giải quyết 583, đang giải quyết 23`) names no noun: the figure is read and mapped
    but never lands on its own; numbering (`thôn 5,`, `tổ 3;`) and years are no figures."""
    document = _report(
        HEAD
        + "TTHC: tiếp nhận 612 hồ sơ, trực tuyến 404 (66,01%); đã giải quyết 583, đang giải quyết 23.\n"
        + "Thôn 5, tổ 3; năm 2025, Kế hoạch 12.\n"
    )
    figures = extract_document(document).figures
    bare = [f for f in figures if f.bare]
    assert [f.value for f in bare] == [Decimal(404), Decimal(583), Decimal(23)]
    assert all(f.needs_review and "no_noun" in f.review_reason for f in bare if f.indicator_code)
    assert {f.indicator_code for f in bare} >= {"DOS_RESOLVED", "DOS_IN_PROGRESS"}
    assert not any(f.value in (Decimal(5), Decimal(3), Decimal(2025), Decimal(12)) for f in figures)


def test_a_budget_estimate_and_the_tasks_of_a_year_to_come_are_targets():
    document = _report(
        HEAD
        + "Kinh phí chi cho chuyển đổi số trong quý: 65,5 triệu đồng; "
        + "dự toán được giao cả năm: 120 triệu đồng.\n"
        + "IV. NHIỆM VỤ NĂM 2026\n"
        + "Phủ sóng 4G 100% diện tích xã; 100% hồ sơ được số hóa.\n"
    )
    roles = {(f.value, f.role) for f in extract_document(document).figures}
    assert (Decimal(65_500_000), "actual") in roles and (Decimal(120_000_000), "target") in roles
    assert {role for value, role in roles if value == 100} == {"target"}


def test_a_correction_lands_the_corrected_figure_not_the_one_it_replaces():
    document = _report(
        HEAD
        + 'Tại mục I, đã ghi: "đã kích hoạt 9.582 tài khoản VNeID"; nay đính chính lại là: "đã kích hoạt '
        + '9.852 tài khoản VNeID".\n'
    )
    figures = [f for f in extract_document(document).figures if f.indicator_code == "VNEID_ACTIVATED"]
    assert [(f.value, f.role) for f in figures] == [(Decimal(9582), "other"), (Decimal(9852), "actual")]


def test_dates_document_numbers_and_years_are_not_figures():
    document = _report(
        HEAD
        + "Thực hiện Kế hoạch số 22/KH-UBND ngày 18/8/2025 và Nghị quyết số 57-NQ/TW, số liệu từ 01/7 đến "
        + "10/9/2025, trong tháng 9/2025 tại Điều 11, phiên họp thứ 2 năm 2025.\n"
    )
    assert extract_document(document).figures == ()


def test_a_figure_nobody_s_keywords_match_is_kept_unmapped():
    document = _report(HEAD + "Xã đã tổ chức 12 lớp cho 340 người dân về kỹ năng mua bán trên mạng.\n")
    figures = extract_document(document).figures
    assert [(f.printed, f.indicator_code) for f in figures] == [("12 lớp", None), ("340 người dân", None)]


def test_a_tie_between_two_indicators_is_no_answer():
    rules = (
        KeywordRule("DOS_ONLINE", "count", (("trực tuyến",),), ()),
        KeywordRule("DOS_ONLINE_PAYMENT_RATE", "count", (("trực tuyến",),), ()),
    )
    figure = extract_document(_report(HEAD + "Có 40 hồ sơ trực tuyến.\n"), rules=rules).figures[0]
    assert figure.indicator_code is None
    assert figure.candidates == ("DOS_ONLINE", "DOS_ONLINE_PAYMENT_RATE")


def test_impossible_dates_are_kept_for_the_checks():
    text = HEAD + "Theo Quyết định ngày 31/11/2025 và báo cáo ngày 28/9/20205.\n"
    dates = extract_document(_report(text)).dates
    assert [(d.printed, d.parsed) for d in dates] == [("31/11/2025", None), ("28/9/20205", None)]


@pytest.mark.parametrize(
    ("head", "reason", "written"),
    [
        ("ỦY BAN NHÂN DÂN\nXÃ HÒA PHÚ\nBÁO CÁO\nQuý III năm 2025", "unknown_commune", "XÃ HÒA PHÚ"),
        ("UBND TỈNH ĐẮK LẮK\nUBND XÃ MINH LONG\nBÁO CÁO\nQuý III năm 2025", "commune_of_another_province",
         "XÃ MINH LONG, tỉnh ĐẮK LẮK"),
        ("BÁO CÁO\nKết quả chuyển đổi số Quý III năm 2025", "commune_not_found", None),
        # a former commune's last report names the new commune it joined: still not that commune's report
        ("UBND HUYỆN MỘ ĐỨC\nUBND XÃ ĐỨC NHUẬN\nBÁO CÁO\nQuý II năm 2025\nTrước khi sáp nhập vào xã Mộ Đức",
         "unknown_commune", "XÃ ĐỨC NHUẬN"),
    ],
)  # fmt: skip
def test_a_report_of_an_unknown_commune_is_refused_not_guessed(head, reason, written):
    with pytest.raises(IngestError) as caught:
        extract_document(_report(head + "\nĐã tiếp nhận 12 hồ sơ.", name="hoa-phu.txt"))
    assert caught.value.reason == reason
    assert caught.value.raw_value == written
    assert "hoa-phu.txt" in str(caught.value)


@pytest.mark.parametrize(
    "letterhead",
    ["XÃ TU MƠ RỒNG", "XÃ TU MO RONG", "XÃ TU MƠ RÔNGXÃ TU MƠ RÔNG"],  # a slip, no marks, a doubled print
)
def test_a_letterhead_that_writes_its_unit_wrongly_is_the_unit_its_opening_names(letterhead):
    document = _report(
        f"ỦY BAN NHÂN DÂN\n{letterhead}\nBÁO CÁO\nQuý I năm 2025\nỦy ban nhân dân xã Tu Mơ Rông báo cáo."
    )
    assert extract_document(document).facts.commune_id == "QNG070"


def test_a_commune_of_the_former_kon_tum_province_may_cite_it():
    document = _report("UBND XÃ MĂNG ĐEN\nBÁO CÁO\nQuý I năm 2025\nXã thuộc tỉnh Kon Tum cũ báo cáo như sau.")
    assert extract_document(document).facts.commune_id == "QNG039"


def test_every_keyword_rule_names_an_indicator_of_the_catalogue():
    codes = {row["indicator_code"] for row in read_seed("ref_indicators")}
    rules = keyword_rules()
    assert rules and {r.indicator_code for r in rules} <= codes
    assert all(r.all_of for r in rules)


def test_a_keyword_row_for_an_unknown_indicator_is_refused(tmp_path: Path):
    from pipelines.narrative.figures import _rules_from_seeds

    shutil.copy(SEEDS_DIR / "ref_indicators.csv", tmp_path)
    (tmp_path / "ref_indicator_keywords.csv").write_text(
        "indicator_code,all_of,none_of,note\nNO_SUCH_CODE,hồ sơ,,\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="NO_SUCH_CODE"):
        _rules_from_seeds(str(tmp_path))


def test_a_table_with_a_title_row_above_its_header_is_read_by_its_columns(tmp_path: Path):
    import docx

    path = tmp_path / "son-ky.docx"
    document = docx.Document()
    for text in ("UBND XÃ SƠN KỲ", "BÁO CÁO", "Kết quả chuyển đổi số Quý III năm 2025"):
        document.add_paragraph(text)
    table = document.add_table(rows=4, cols=4)
    table.cell(0, 0).merge(table.cell(0, 3)).text = "PHỤ LỤC: SỐ LIỆU CHUYỂN ĐỔI SỐ"
    for r, row in enumerate(
        [
            ["STT", "Chỉ tiêu", "Đơn vị tính", "Tỷ lệ (%)"],
            ["1", "Hồ sơ tiếp nhận trực tuyến", "hồ sơ", "80,03"],
            ["2", "Máy tính có phần mềm diệt virus bản quyền", "máy", "100"],
        ],
        start=1,
    ):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    document.save(path)
    figures = extract_report(path).figures
    assert [(f.indicator_code, f.value, f.is_percent) for f in figures] == [
        ("DOS_ONLINE_RATE", Decimal("80.03"), True),
        ("PC_ANTIMALWARE_RATE", Decimal(100), True),
    ]


def test_answers_written_in_table_cells_are_read_with_their_row_label(tmp_path: Path):
    """From the fourteenth blind set: a questionnaire answered in a Word table whose cells state figures in
    words (`1.318 hồ sơ`, `Trực tuyến: 894; trực tiếp: 420`) is read cell by cell with the row's label; two
    labels and two figures parted by `;` pair in order; a note that restates the value cell's figure
    (`39/39 người` beside `100`) is not a second figure; the title's `quý III và 9 tháng đầu năm 2025` is
    the quarter's report, so its 9-month cumulative figures are another period's."""
    import docx

    path = tmp_path / "xa-son-ky_quy-3-2025.docx"
    document = docx.Document()
    for text in ("UBND XÃ SƠN KỲ", "BÁO CÁO", "Kết quả chuyển đổi số quý III và 9 tháng đầu năm 2025"):
        document.add_paragraph(text)
    document.add_paragraph("Lũy kế 9 tháng, xã tiếp nhận 3.402 hồ sơ.")
    rows = [
        ["Nội dung", "Câu hỏi", "Trả lời", "Ghi chú"],
        ["Nội dung 1.1", "Tổng số hồ sơ TTHC tiếp nhận trong kỳ", "1.318 hồ sơ", ""],
        ["Nội dung 1.2", "Hồ sơ theo hình thức tiếp nhận", "Trực tuyến: 894; trực tiếp: 420", ""],
        ["Nội dung 1.3", "Tỷ lệ giải quyết trước hạn, đúng hạn; tỷ lệ trễ hạn", "99,61%; 0,39%", ""],
        ["Nội dung 1.4", "Tỷ lệ CBCC có máy tính kết nối mạng (%)", "100", "39/39 người"],
    ]
    table = document.add_table(rows=len(rows), cols=4)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    document.save(path)
    figures = extract_report(path).figures
    actual = {(f.indicator_code, f.value) for f in figures if f.role == "actual"}
    assert {("DOS_RECEIVED", 1318), ("DOS_ONLINE", 894)} <= actual
    assert next(f for f in figures if f.value == 420).indicator_code in (None, "DOS_IN_PERSON")
    assert {("DOS_EARLY_OR_ON_TIME_RATE", Decimal("99.61")), ("DOS_LATE_RATE", Decimal("0.39"))} <= actual
    assert len([f for f in figures if "máy tính kết nối mạng" in f.sentence]) == 1
    assert next(f for f in figures if f.value == 3402).role == "other"


def test_months_inside_the_quarter_replaced_figures_and_a_share_in_words(tmp_path):
    """From the fourteenth blind set: a month's figure inside a quarterly report is a part of it (another
    period's month is that period's; `đến tháng 12` is a bound, not a month); a provisional figure the
    next replaces (`tạm tính 1.431 hồ sơ (63,01%), nay là 1.472 hồ sơ`) is not this report's; a share in
    words with its subject between (`72 hồ sơ thanh toán trực tuyến trên tổng số 96 hồ sơ`) is that
    share's fraction."""
    path = tmp_path / "xa-son-ky_quy-4-2025.txt"
    path.write_text(
        "UBND XÃ SƠN KỲ\nBÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ QUÝ IV NĂM 2025\n\n"
        "Kinh phí chi cho chuyển đổi số tháng 10: 12.500.000 đồng.\n\n"
        "Kinh phí chi cho chuyển đổi số tháng 11: 18.200.000 đồng.\n\n"
        "Kinh phí chi cho chuyển đổi số tháng 7: 9.000.000 đồng.\n\n"
        "Hồ sơ trực tuyến: tạm tính 1.431 hồ sơ (63,01%), nay là 1.472 hồ sơ (63,50%).\n\n"
        "Có 72 hồ sơ thanh toán trực tuyến trên tổng số 96 hồ sơ có thu phí, lệ phí, đạt 75%.\n",
        encoding="utf-8",
    )
    figures = {f.value: f for f in extract_report(path).figures}
    assert figures[12_500_000].role == "subset" and figures[18_200_000].role == "subset"
    assert figures[9_000_000].role == "other"
    assert figures[1431].role == "other" and figures[1472].role == "actual"
    assert figures[Decimal(75)].indicator_code == "DOS_ONLINE_PAYMENT_RATE"


def test_a_questionnaires_answer_is_read_with_its_question(tmp_path):
    """From the fourteenth blind set: `Câu 2. Tỷ lệ hồ sơ tiếp nhận trực tuyến? / Trả lời: 60,05% (251/418)`
    answers in figures without their words; the question gives them (its own figures, `tối thiểu 50%`, are
    read once, there). Left alone: a clause after `;` in an answer still loses them."""
    path = tmp_path / "xa-dak-plo_quy-3-2025.txt"
    path.write_text(
        "UBND XÃ ĐĂK PLÔ\nBÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ QUÝ III NĂM 2025\n\n"
        "Câu 1. Số hồ sơ thủ tục hành chính tiếp nhận trực tuyến trong quý?\n\n"
        "Trả lời: 251 hồ sơ, chiếm phần lớn.\n\n"
        "Câu 2. Tỷ lệ hồ sơ tiếp nhận trực tuyến? Có đạt mức tối thiểu 50% không?\n\n"
        "Trả lời: 60,05% (251/418).\n",
        encoding="utf-8",
    )
    figures = extract_report(path).figures
    found = {(f.indicator_code, f.value) for f in figures}
    assert ("DOS_ONLINE", 251) in found
    assert ("DOS_ONLINE_RATE", Decimal("60.05")) in found
    assert len([f for f in figures if f.value == 50]) == 1


def test_a_questionnaires_bare_answer_on_the_next_line_is_read_with_its_question(tmp_path):
    """From the fortieth blind set: the answer is the number alone under the question (`530 hồ sơ.`, `- 187
    hồ sơ`, `64,34%.`); a line that says more than a number keeps its own words. Left alone: a number with
    nothing else on its line (`530`) is read as a page number and dropped, as in a PDF's text."""
    path = tmp_path / "xa-nghia-hanh_quy-1-2025.txt"
    path.write_text(
        "UBND XÃ NGHĨA HÀNH\nBÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ QUÝ I NĂM 2025\n\n"
        "Câu 1. Tổng số hồ sơ TTHC xã tiếp nhận trong Quý I?\n530 hồ sơ.\n\n"
        "Câu 3. Số hồ sơ tiếp nhận trực tiếp?\n- 187 hồ sơ\n\n"
        "Câu 5. Tỷ lệ hồ sơ tiếp nhận trực tuyến?\n64,34%.\n\n"
        "Câu 9. Số hồ sơ tiếp nhận trực tuyến?\nXã đã cấp 12 tài khoản cho cán bộ.\n",
        encoding="utf-8",
    )
    found = {(f.indicator_code, f.value) for f in extract_report(path).figures}
    assert {("DOS_RECEIVED", 530), ("DOS_IN_PERSON", 187), ("DOS_ONLINE_RATE", Decimal("64.34"))} <= found
    assert ("DOS_ONLINE", 12) not in found


def test_parts_in_brackets_and_other_bodies_figures_do_not_land_as_the_communes(tmp_path):
    """From the fifteenth blind set: the budget's sources in brackets after the budget are its parts (the
    same figure restated more exactly is not: `khoảng 1.200 hồ sơ (số liệu tạm tính là 1.187 hồ sơ)`); the
    health station's and the school's computers and certificates are those bodies' figures."""
    path = tmp_path / "xa-tra-giang_9-thang-2025.txt"
    path.write_text(
        "UBND XÃ TRÀ GIANG\nBÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ 9 THÁNG NĂM 2025\n\n"
        "Kinh phí chuyển đổi số 9 tháng: 64.000.000 đồng (ngân sách xã 49.000.000 đồng; tỉnh hỗ trợ "
        "15.000.000 đồng).\n\n"
        "Tổng số hồ sơ tiếp nhận 9 tháng khoảng 1.200 hồ sơ (số liệu tạm tính là 1.187 hồ sơ).\n\n"
        "Trạm Y tế xã có 04 máy tính và 03 chứng thư số.\n",
        encoding="utf-8",
    )
    figures = {f.value: f for f in extract_report(path).figures}
    assert figures[64_000_000].role == "actual" and figures[64_000_000].indicator_code == "DT_BUDGET"
    assert figures[49_000_000].role == "subset" and figures[15_000_000].role == "subset"
    assert figures[1187].role == "actual"
    assert figures[3].role == "other"


def test_a_terse_figure_under_a_heading_is_read_with_the_heading_and_waits_for_review(tmp_path):
    path = tmp_path / "xa-ba-gia_quy-3-2025.txt"
    path.write_text(
        "UBND XÃ BA GIA\nBÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ QUÝ III NĂM 2025\n\n"
        "4.1. Tổ công nghệ số cộng đồng\n\n"
        "4.1.2. Tổng số thành viên: 147 người.\n\n"
        "4.1.3. Trong quý, các thành viên đã đến từng hộ hướng dẫn 2.315 người dân cài ứng dụng.\n",
        encoding="utf-8",
    )
    figures = {f.value: f for f in extract_report(path).figures}
    members = figures[147]
    assert members.topic.endswith("tổ công nghệ số cộng đồng")
    assert members.indicator_code == "CDT_MEMBERS" and members.needs_review
    assert "confidence" in members.review_reason
    # a figure with words enough of its own does not borrow its heading's
    assert figures[2315].indicator_code != "CDT_MEMBERS"


def test_the_habits_of_ordinary_reports_are_read_as_one_figure_each(tmp_path):
    """From the eighth blind set: a fraction whose rate follows an aside, a space typed before a rate's
    decimal comma, a share introduced by `tương đương`, and `sớm và đúng hạn` (early or on time)."""
    path = tmp_path / "xa-ba-gia_quy-4-2025.txt"
    path.write_text(
        "UBND XÃ BA GIA\nBÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ QUÝ IV NĂM 2025\n\n"
        "Văn bản đi gửi dưới dạng điện tử: 386/392 văn bản (trừ văn bản mật), tỷ lệ 98,47%.\n\n"
        "Văn bản đi có ký số: 523/531 văn bản, đạt 98 ,5%.\n\n"
        "Trả kết quả bản điện tử cho 2.214 hồ sơ, tương đương 67,05% số hồ sơ đã giải quyết.\n\n"
        "Tổng cộng 1.256 hồ sơ giải quyết sớm và đúng hạn.\n",
        encoding="utf-8",
    )
    figures = extract_report(path).figures
    electronic = [f for f in figures if f.indicator_code == "DOC_ELECTRONIC_RATE"]
    assert [(f.numerator, f.rate_text) for f in electronic] == [(386, "98,47%"), (523, "98,5%")]
    assert [f.value for f in electronic] == [Decimal("98.47"), Decimal("98.5")]
    share = next(f for f in figures if f.printed == "67,05%")
    assert share.indicator_code == "DOS_RESULT_ONLINE_RATE"
    early_or_on_time = next(f for f in figures if f.value == 1256)
    assert early_or_on_time.indicator_code != "DOS_ON_TIME"


def test_a_figure_followed_by_itself_in_words_reads_its_noun(tmp_path):
    """`01 (một) công chức`, as official documents write a figure and then its words: the noun is the
    figure's, and the two officials of the next clause are the concurrent ones."""
    path = tmp_path / "xa-ba-gia_quy-3-2025.txt"
    path.write_text(
        "UBND XÃ BA GIA\nBÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ QUÝ III NĂM 2025\n\n"
        "Xã bố trí 01 (một) công chức chuyên trách chuyển đổi số và 02 (hai) công chức kiêm nhiệm.\n\n"
        "Trong quý, xã tiếp nhận 570 (năm trăm bảy mươi) hồ sơ; năm 2024 (cùng kỳ) là 501 hồ sơ.\n",
        encoding="utf-8",
    )
    figures = {f.value: f for f in extract_report(path).figures}
    assert (figures[1].indicator_code, figures[1].noun) == ("IT_DEDICATED", "công chức")
    assert figures[2].indicator_code == "IT_CONCURRENT"
    assert figures[570].indicator_code == "DOS_RECEIVED" and not figures[570].bare
    assert "(cùng kỳ)" in figures[501].sentence  # an aside that is no number in words stays


def test_words_then_the_figure_respectively_lists_and_fractions_in_words(tmp_path):
    """From the thirteenth blind set, wordy secretaries: a figure in words with its digits in brackets is
    that figure (`bốn trăm tám mươi sáu (486) hồ sơ`); a respectively-list gives each figure to the label in
    its place (`trực tuyến, trực tiếp và qua bưu chính lần lượt là 341, 139 và 06 hồ sơ`); a fraction in
    words of like things is a fraction (`163 hồ sơ trên tổng số 215 hồ sơ có thu phí, đạt 75,81%`), of
    unlike things two counts; a threshold (`vượt ngưỡng 50%`) is a norm."""
    path = tmp_path / "xa-ba-gia_quy-3-2025.txt"
    path.write_text(
        "UBND XÃ BA GIA\nBÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ QUÝ III NĂM 2025\n\n"
        "Trong quý, xã tiếp nhận bốn trăm tám mươi sáu (486) hồ sơ; trễ hạn hai (02) hồ sơ.\n\n"
        "Trong đó, hồ sơ tiếp nhận trực tuyến, trực tiếp và qua dịch vụ bưu chính công ích lần lượt là "
        "341, 139 và 06 hồ sơ.\n\n"
        "Đã giải quyết 470 hồ sơ, trong đó giải quyết trước hạn, đúng hạn và trễ hạn lần lượt là 401 hồ sơ, "
        "67 hồ sơ và 02 hồ sơ.\n\n"
        "Thanh toán trực tuyến 163 hồ sơ trên tổng số 215 hồ sơ có thu phí, đạt 75,81%.\n\n"
        "Tỷ lệ hồ sơ trực tuyến đạt 70,16%, vượt ngưỡng 50% theo Bộ chỉ số.\n\n"
        "Số tài khoản VNeID đã kích hoạt là 6.512 tài khoản trên 6.930 người đã cài đặt.\n\n"
        "Xã có 12 thôn.\n",
        encoding="utf-8",
    )
    figures = extract_report(path).figures
    codes = {(f.indicator_code, f.value) for f in figures if f.role == "actual"}
    assert {("DOS_RECEIVED", 486), ("DOS_ONLINE", 341), ("DOS_IN_PERSON", 139), ("DOS_POSTAL", 6)} <= codes
    assert {("DOS_EARLY", 401), ("DOS_ON_TIME", 67), ("DOS_LATE", 2)} <= codes
    payment = next(f for f in figures if f.value == Decimal("75.81"))
    assert (payment.indicator_code, payment.numerator, payment.denominator) == (
        "DOS_ONLINE_PAYMENT_RATE",
        163,
        215,
    )
    assert next(f for f in figures if f.value == 50).role == "norm"
    vneid = [f for f in figures if "VNeID" in f.sentence]
    assert {f.value for f in vneid} == {6512, 6930} and not any(f.kind == "fraction" for f in vneid)


def test_a_rate_after_a_fraction_and_another_subject_is_that_subjects(tmp_path):
    """From the tenth blind set: after `543/544 hồ sơ khi tiếp nhận`, a comma opens another subject
    (`số hóa kết quả giải quyết đạt 99,43%`): the rate, far from 543/544's, is that subject's, not the
    fraction's printed rate. A slip of the fraction's own rate after a comma (99,81 for 99,816) stays its
    rate, for the rules to find; so does a rate the comma introduces alone."""
    path = tmp_path / "xa-ba-gia_quy-2-2025.txt"
    path.write_text(
        "UBND XÃ BA GIA\nBÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ QUÝ II NĂM 2025\n\n"
        "Đã số hóa 543/544 hồ sơ khi tiếp nhận, số hóa kết quả giải quyết đạt 99,43% (526 hồ sơ).\n\n"
        "Hồ sơ trực tuyến: 543/544 hồ sơ tiếp nhận, tỷ lệ trực tuyến đạt 99,81%.\n\n"
        "Văn bản ký số: 523/531 văn bản, đạt 98,49%.\n",
        encoding="utf-8",
    )
    figures = extract_report(path).figures
    fractions = [(f.numerator, f.denominator, f.rate_text) for f in figures if f.kind == "fraction"]
    assert fractions == [(543, 544, None), (543, 544, "99,81%"), (523, 531, "98,49%")]
    result = next(f for f in figures if f.printed == "99,43%")
    assert result.kind == "rate" and result.indicator_code == "DOS_RESULT_DIGITISED_RATE"


def test_clerks_abbreviations_colons_and_breakdowns_in_brackets(tmp_path):
    """From the eleventh blind set (hurried clerks' style): counting nouns written as abbreviations (`9 TCN`,
    `45 TV`, `20 CKS`), a colon between two figures that gives the words after it to the second (`Đã giải
    quyết 612 HS: trước hạn 540`), and a breakdown in brackets whose parts a semicolon separates (`CKS: 20
    (USB token: 16; SIM: 04)`: one clause, so the SIM figure keeps the total's words)."""
    path = tmp_path / "xa-tinh-khe_quy-3-2025.txt"
    path.write_text(
        "UBND XÃ TỊNH KHÊ\nBÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ QUÝ III NĂM 2025\n\n"
        "1. Giải quyết TTHC\n\n- Tổng số HS tiếp nhận: 640 HS.\n\n"
        "- Đã giải quyết 612 HS: trước hạn 540; đúng hạn 70; trễ hạn 02.\n\n"
        "2. Hạ tầng số, nền tảng số\n\n- Toàn xã 9 thôn; 9 TCN với 45 TV.\n\n"
        "- CKS: 20 (USB token: 16; SIM: 04).\n\n- Đã cấp 20 CKS cho CBCC.\n",
        encoding="utf-8",
    )
    codes = [(f.printed, f.indicator_code) for f in extract_report(path).figures]
    assert codes == [
        ("640 HS", "DOS_RECEIVED"),
        ("612 HS", "DOS_RESOLVED"),
        ("540", "DOS_EARLY"),
        ("70", "DOS_ON_TIME"),
        ("02", "DOS_LATE"),
        ("9 thôn", "VILLAGE_COUNT"),
        ("9 TCN", "CDT_TEAMS"),
        ("45 TV", "CDT_MEMBERS"),
        ("20", "DSIG_TOTAL"),
        ("16", "DSIG_USB"),
        ("04", "DSIG_SIM"),
        ("20 CKS", "DSIG_TOTAL"),
    ]


_PDF_TEXT = (
    "UBND XÃ TRÀ GIANG\nBÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ QUÝ IV NĂM 2025\n\n"
    "   Trong quý, xã tiếp nhận 1.910 hồ sơ; nộp trực tuyến 1.203 hồ sơ, đạt 62,98%, bình quân\n"
    "chung toàn tỉnh quý IV là 64,1%. Lũy kế năm 2025 xã tiếp nhận 7.342 hồ sơ. Số hồ sơ được\n"
    "trả kết quả bản điện tử là 1.264\n\n"
    "                                   Trang 1/2\n"
    "\f   UBND xã Trà Giang - Báo cáo chuyển đổi số quý IV năm 2025\n\n"
    "hồ sơ, đạt 66,14% số hồ sơ đã giải quyết.\n\n"
    "   Bảng số liệu:\n\nTT\nChỉ tiêu\nĐơn vị\nQuý IV\n1\nMáy tính\nmáy\n21\n2\nChứng thư số\ncái\n14\n"
    "3\nTài khoản VNeID\ntài khoản\n4.326\n\n"
    "                                   Trang 2/2\n"
    "\f   UBND xã Trà Giang - Báo cáo chuyển đổi số quý IV năm 2025\n\n"
    "Nơi nhận: như trên.\n"
)


def test_text_out_of_a_pdf_reads_across_its_pages(tmp_path):
    """From the twelfth blind set (text out of PDFs and scans): page numbers, form feeds and the running
    header are no text, and a sentence the page broke is one again (`… là 1.264` / page 2 / `hồ sơ, đạt
    66,14%`); a table whose cells came out one a line waits for a person (its words may be another row's);
    the province's average for the report's own period is the province's, and `Lũy kế năm 2025` inside a
    quarterly report is the year's, not the quarter's."""
    path = tmp_path / "xa-tra-giang_quy-4-2025.txt"
    path.write_text(_PDF_TEXT, encoding="utf-8")
    extraction = extract_report(path)
    texts = " ".join(b.text for b in extraction.document.blocks)
    assert "Trang 1/2" not in texts and "Báo cáo chuyển đổi số quý IV năm 2025" not in texts
    figures = {f.printed: f for f in extraction.figures}
    assert "1.264 hồ sơ" in figures  # the count met its noun across the page (a count with no code)
    assert figures["66,14%"].indicator_code == "DOS_RESULT_ONLINE_RATE"
    assert (figures["64,1%"].role, figures["62,98%"].role) == ("other", "actual")
    assert (figures["7.342 hồ sơ"].indicator_code, figures["7.342 hồ sơ"].role) == ("DOS_RECEIVED", "other")
    # the trap: a row number before the next row's label reads as a count (`1 Máy tính`, one computer)
    table = [f for f in extraction.figures if f.block.scattered and f.indicator_code]
    assert "1 Máy tính" in {f.printed for f in table}
    assert all(f.needs_review and "layout" in f.review_reason for f in table)


def test_a_decimal_number_is_never_read_as_its_whole_part(tmp_path):
    """A number with no noun, followed by a comma, is a figure (`Trực tiếp: 619, bưu chính: 08`); but the
    comma of `15,5 điểm phần trăm` is its decimal one, and 15 was read out of it as a figure of its own."""
    path = tmp_path / "xa-tra-giang_quy-3-2025.txt"
    path.write_text(
        "UBND XÃ TRÀ GIANG\nBÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ QUÝ III NĂM 2025\n\n"
        "Trực tuyến 61,34%, tăng 15,5 điểm phần trăm so với quý II; trực tiếp: 619, bưu chính: 08.\n",
        encoding="utf-8",
    )
    printed = [f.printed for f in extract_report(path).figures]
    assert "15" not in printed
    assert {"619", "08"} <= set(printed)


def test_a_report_typed_in_a_hurry_glued_units_slipped_marks_and_a_purchase(tmp_path):
    """From the sixteenth blind set: a noun or an amount's word typed against its figure (`441hồ sơ`, `7hs`)
    is its noun; a word with a wrong or missing mark (`tiêp nhận`) is read by its letters when no keyword
    matched as written; `PC/laptop` counts computers, and computers bought in the quarter (`mua 03 PC`) are
    what came in, not what the commune holds; another national programme's money is not the budget. `4G`
    names no counted thing; an amount after a span of months is no month (`chi 6 tháng 26.500.000 đồng`)."""
    path = tmp_path / "xa-ba-gia_quy-4-2025.txt"
    path.write_text(
        "UBND XÃ BA GIA\nBÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ QUÝ IV NĂM 2025\n\n"
        "Trong quý xã tiêp nhận tổng cộng 1.284 hồ sơ, trong đó trực tiếp 441hồ sơ, qua BCCI 7hs.\n\n"
        "Xã có 39 PC/laptop, sóng 4G phủ 98% diện tích.\n\n"
        "Kinh phí quý IV: 96.500.000 đồng (mua 03 PC, gia hạn bản quyền).\n\n"
        "Các xã cũ được giao tổng vốn Chương trình mục tiêu quốc gia giảm nghèo 4,82 tỷ đồng.\n",
        encoding="utf-8",
    )
    figures = {f.value: f for f in extract_report(path).figures}
    assert figures[1284].indicator_code == "DOS_RECEIVED"
    assert figures[4_820_000_000].indicator_code is None  # another programme's money
    assert figures[441].indicator_code == "DOS_IN_PERSON" and figures[7].indicator_code == "DOS_POSTAL"
    assert figures[39].indicator_code == "PC_COUNT" and figures[39].role == "actual"
    assert figures[3].role == "received_in_period"
    assert 4 not in figures
    half = tmp_path / "xa-thanh-bong_6-thang-2025.txt"
    half.write_text(
        "UBND XÃ THANH BỒNG\nBÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ 6 THÁNG ĐẦU NĂM 2025\n\n"
        "Kinh phí các xã cũ đã chi cho chuyển đổi số 6 tháng 26.500.000 đồng (thuê đường truyền).\n\n"
        "Xã có 29 máy tính, trong đó 08 máy đã sử dụng trên 7 năm (27,59%).\n",
        encoding="utf-8",
    )
    read = {f.value: f.indicator_code for f in extract_report(half).figures}
    assert read[26_500_000] == "DT_BUDGET"
    assert read[Decimal("27.59")] == "PC_OLD_RATE"  # computers in use for years are the old ones


def test_a_rate_in_brackets_after_a_count_is_the_share_of_what_it_counts(tmp_path):
    """`Tài khoản VNeID: … đã kích hoạt 5.118 (86,72%)`: the subject stands before the colon, so the rate's
    own words are none; it is the share of what the count before it counts (read by the catalogue's name of
    that count's indicator)."""
    path = tmp_path / "xa-ia-dal_nam-2025.txt"
    path.write_text(
        "UBND XÃ IA ĐAL\nBÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ NĂM 2025\n\n"
        "Tài khoản VNeID: đã cài đặt 5.902, đã kích hoạt 5.118 (86,72%), chưa kích hoạt 784.\n",
        encoding="utf-8",
    )
    read = {f.value: f.indicator_code for f in extract_report(path).figures}
    assert read[Decimal("86.72")] == "VNEID_ACTIVATION_RATE"


def test_tdp_is_a_residential_group(tmp_path):
    """`TDP` (tổ dân phố), as wards abbreviate it, counts residential groups and is a fraction's noun."""
    path = tmp_path / "phuong-nghia-lo_quy-3-2025.txt"
    path.write_text(
        "UBND PHƯỜNG NGHĨA LỘ\nBÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ QUÝ III NĂM 2025\n\n"
        "Phường có 11 TDP.\n\nTổ công nghệ số cộng đồng: 11/11 TDP có tổ.\n",
        encoding="utf-8",
    )
    read = [(f.indicator_code, f.value) for f in extract_report(path).figures]
    assert read == [("VILLAGE_COUNT", 11), ("CDT_VILLAGE_RATE", 100)]


def test_a_correction_takes_its_figures_back_everywhere_and_former_communes_are_parts(tmp_path):
    """From the seventeenth blind set: a closing correction (`đã ghi là 4.263 hồ sơ, nay đính chính lại là
    4.236 hồ sơ`; `ghi nhầm là 11.532 tài khoản, số đúng là 11.352`) takes the wrong count back where the
    body gave it too; a former commune's figure before the whole commune's is its part."""
    path = tmp_path / "xa-van-tuong_nam-2025.txt"
    path.write_text(
        "UBND XÃ VẠN TƯỜNG\nBÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ NĂM 2025\n\n"
        "Năm 2025, xã tiếp nhận 4.263 hồ sơ thủ tục hành chính.\n\n"
        "Kinh phí chi cho chuyển đổi số: xã Phổ Khánh (cũ) 42.000.000 đồng; xã Phổ Cường (cũ) 36.500.000 "
        "đồng; toàn xã 78.500.000 đồng.\n\n"
        "ĐÍNH CHÍNH SỐ LIỆU\n\n"
        "(1) Tổng số hồ sơ tiếp nhận năm 2025 đã ghi là 4.263 hồ sơ, nay đính chính lại là 4.236 hồ sơ.\n\n"
        "(2) Số tài khoản VNeID đã kích hoạt ghi nhầm là 11.532 tài khoản, số đúng là 11.352 tài khoản.\n",
        encoding="utf-8",
    )
    roles = {}
    for f in extract_report(path).figures:
        roles.setdefault(f.value, []).append(f.role)
    assert roles[4263] == ["other", "other"] and roles[4236] == ["actual"]
    assert roles[11532] == ["other"] and roles[11352] == ["actual"]
    assert roles[42_000_000] == ["subset"]


def test_a_rate_said_again_as_its_fraction_is_not_another_share(tmp_path):
    """`đạt 99,44%, tức là 2.119 trên tổng số 2.131 hồ sơ đã giải quyết`: the fraction is the rate before it
    again (to its printed decimals); its words name the denominator, so it is not the resolved share."""
    path = tmp_path / "xa-dak-mar_9-thang-2025.txt"
    path.write_text(
        "UBND XÃ ĐĂK MAR\nBÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ 9 THÁNG NĂM 2025\n\n"
        "Tỷ lệ hồ sơ giải quyết trước hạn và đúng hạn đạt 99,44%, tức là 2.119 trên tổng số 2.131 hồ sơ "
        "đã giải quyết.\n",
        encoding="utf-8",
    )
    codes = [f.indicator_code for f in extract_report(path).figures]
    assert codes == ["DOS_EARLY_OR_ON_TIME_RATE", None]


def test_the_number_of_villages_named_as_such(tmp_path):
    """`Số thôn trên địa bàn: SL: 09 thôn` is the commune's villages (`SL` is `số lượng`)."""
    path = tmp_path / "xa-ba-xa_quy-4-2025.txt"
    path.write_text(
        "UBND XÃ BA XA\nBÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ QUÝ IV NĂM 2025\n\n"
        "- Số thôn trên địa bàn: SL: 09 thôn.\n",
        encoding="utf-8",
    )
    assert [(f.indicator_code, f.value) for f in extract_report(path).figures] == [("VILLAGE_COUNT", 9)]


def test_a_figure_after_its_label_and_an_em_dash(tmp_path):
    """`trước hạn — 962; đúng hạn — 118`: the dash stands for the colon between a label and its figure."""
    path = tmp_path / "xa-dak-to-kan_6-thang-2025.txt"
    path.write_text(
        "UBND XÃ ĐĂK TỜ KAN\nBÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ 6 THÁNG ĐẦU NĂM 2025\n\n"
        "b) Kết quả giải quyết — 1.087 hồ sơ đã giải quyết: trước hạn — 962; đúng hạn — 118; trễ hạn — 07.\n",
        encoding="utf-8",
    )
    read = [(f.indicator_code, f.value) for f in extract_report(path).figures]
    assert read == [("DOS_RESOLVED", 1087), ("DOS_EARLY", 962), ("DOS_ON_TIME", 118), ("DOS_LATE", 7)]


def test_a_figure_in_quotes_after_its_label(tmp_path):
    """`USB token: "33"; SIM PKI: "05"`: quotes around a bare figure do not hide it from its label."""
    path = tmp_path / "xa-dak-to-kan_6-thang-2025.txt"
    path.write_text(
        "UBND XÃ ĐĂK TỜ KAN\nBÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ 6 THÁNG ĐẦU NĂM 2025\n\n"
        'b) Chứng thư số — USB token: "33"; SIM PKI: "05"; tổng — 38 chứng thư số.\n',
        encoding="utf-8",
    )
    read = [(f.indicator_code, f.value) for f in extract_report(path).figures]
    assert read == [("DSIG_USB", 33), ("DSIG_SIM", 5), ("DSIG_TOTAL", 38)]


def test_the_full_time_official_of_a_digital_transformation_report(tmp_path):
    """`01 công chức chuyên trách và 03 công chức kiêm nhiệm chuyển đổi số`: the field named once, after the
    second figure; in this report the full-time official is the digital-transformation one. A full-time
    official of another field (`công chức chuyên trách tư pháp`) is not."""
    path = tmp_path / "xa-dak-mar_9-thang-2025.txt"
    path.write_text(
        "UBND XÃ ĐĂK MAR\nBÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ 9 THÁNG NĂM 2025\n\n"
        "Xã bố trí 01 công chức chuyên trách và 03 công chức kiêm nhiệm chuyển đổi số.\n\n"
        "Xã có 02 công chức chuyên trách tư pháp - hộ tịch.\n",
        encoding="utf-8",
    )
    read = [(f.indicator_code, f.value) for f in extract_report(path).figures]
    assert read == [("IT_DEDICATED", 1), ("IT_CONCURRENT", 3), (None, 2)]


@pytest.mark.parametrize(
    ("title", "period"),
    [
        ("Kết quả thực hiện chuyển đổi số (từ ngày 01/01/2025 đến ngày 31/03/2025)", "2025-Q1"),
        ("Kết quả thực hiện chuyển đổi số (số liệu từ 15/12/2024 đến 14/9/2025)", "2025-9M"),
        ("Kết quả thực hiện chuyển đổi số (từ ngày 01/02/2025 đến ngày 30/4/2025)", None),  # no whole period
        ("Kết quả thực hiện chuyển đổi số quý II năm 2025 (từ 01/01/2025 đến 31/03/2025)", "2025-Q2"),
    ],
)
def test_a_title_that_gives_only_days_is_the_period_they_make_whole(title, period):
    """The days a title gives are the period when they are one whole (by the calendar or the province's
    15th-to-14th cut-off), before any year the body names (`Lũy kế từ đầu năm 2024`); a period the title names
    comes first. The title ends at the numbered body."""
    text = (
        f"UBND XÃ SƠN KỲ\nBÁO CÁO\n{title}\nỦy ban nhân dân xã báo cáo như sau:\n"
        "1. Trong kỳ, xã tiếp nhận 88 hồ sơ.\n2. Lũy kế từ đầu năm 2024 đến nay, xã số hóa 1.204 hồ sơ.\n"
    )
    facts = extract_document(_report(text)).facts
    assert facts.period_key == period
