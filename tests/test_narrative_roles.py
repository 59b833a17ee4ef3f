"""Figure roles, clauses and number shapes, one behaviour each, on sentences written for these tests."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.narrative.extract import extract_document
from pipelines.narrative.readers import Block, ReportDocument

HEAD = "UBND XÃ SƠN KỲ\nBÁO CÁO\nKết quả chuyển đổi số Quý III năm 2025\n"


def _figures(body: str, head: str = HEAD):
    lines = f"{head}{body}".strip().splitlines()
    blocks = tuple(Block(line, "paragraph", n) for n, line in enumerate(lines, 1))
    return extract_document(ReportDocument(Path("bao-cao.txt"), "txt", blocks)).figures


def _one(body: str, printed_part: str, head: str = HEAD):
    (figure,) = [f for f in _figures(body, head) if printed_part in f.printed]
    return figure


HOLDS_AND_ASKS = "Xã hiện có 41 máy tính; đề nghị tỉnh trang bị thêm 12 máy tính cho bộ phận một cửa."
RECEIVED = "Trong quý, xã được trang bị 9 máy tính mới từ nguồn ngân sách tỉnh."


@pytest.mark.parametrize(
    ("body", "printed", "code", "role"),
    [
        (HOLDS_AND_ASKS, "12 máy", "PC_COUNT", "proposal"),
        (HOLDS_AND_ASKS, "41 máy", "PC_COUNT", "actual"),
        ("Năm 2026 phấn đấu tỷ lệ hồ sơ nộp trực tuyến đạt 85%.", "85%", "DOS_ONLINE_RATE", "target"),
        ("Hồ sơ nộp trực tuyến đạt 64,2% so với chỉ tiêu được giao.", "64,2%", "DOS_ONLINE_RATE", "target"),
        ("So với quý trước, số hồ sơ tiếp nhận tăng 215 hồ sơ.", "215", "DOS_RECEIVED", "change"),
        ("Mỗi thôn thành lập 01 Tổ công nghệ số cộng đồng.", "01 Tổ", "CDT_TEAMS", "norm"),
        (RECEIVED, "9 máy", "PC_COUNT", "received_in_period"),
        ("Tỷ lệ hồ sơ trực tuyến quý II là 61,3%, quý III đạt 70,4%.", "61,3%", "DOS_ONLINE_RATE", "other"),
        ("Tỷ lệ hồ sơ trực tuyến quý II là 61,3%, quý III đạt 70,4%.", "70,4%", "DOS_ONLINE_RATE", "actual"),
        ("Riêng thôn Gò Da có 3 Tổ công nghệ số cộng đồng.", "3 Tổ", "CDT_TEAMS", "subset"),
        ("Thôn Làng Rẫy đã tiếp nhận 40 hồ sơ trực tuyến.", "40", "DOS_ONLINE", "subset"),
        ("Tăng cường tuyên truyền, xã đã tiếp nhận 530 hồ sơ.", "530", "DOS_RECEIVED", "actual"),
        ("Thực hiện Kế hoạch số 22/KH-UBND, xã đã tiếp nhận 530 hồ sơ.", "530", "DOS_RECEIVED", "actual"),
        ("Trong quý, xã đã chi 38.500.000 đồng cho chuyển đổi số.", "38.500.000", "DT_BUDGET", "actual"),
        ("Đến nay có 35/41 cán bộ, công chức được tập huấn, đạt 85,37%.", "85,37%", "STAFF_BASIC_SKILLS_RATE",
         "actual"),
    ],
)  # fmt: skip
def test_a_figure_s_role_comes_from_its_clause(body, printed, code, role):
    figure = _one(body, printed)
    assert (figure.indicator_code, figure.role) == (code, role)


def test_figures_of_other_roles_never_land_and_uncertain_ones_wait_for_review():
    figures = _figures("Đề nghị cấp 15 chứng thư số trên SIM cho công chức.")
    (figure,) = figures
    assert figure.role == "proposal" and figure.indicator_code == "DSIG_SIM"
    far = _one(
        "Kế hoạch của xã là hoàn thiện hạ tầng mạng nội bộ, nâng cấp đường truyền cho trụ sở và các thôn, "
        "rà soát lại toàn bộ thiết bị đang dùng để có 52 máy tính.",
        "52 máy",
    )
    assert far.role == "target" and far.needs_review  # the cue is too far away to be sure


@pytest.mark.parametrize(
    ("body", "printed", "value", "code"),
    [
        ("Trong 6 tháng, xã tiếp nhận khoảng 2,7 ngàn HS.", "2,7 ngàn", Decimal(2700), "DOS_RECEIVED"),
        (
            "Xã đã kích hoạt 1,2 nghìn tài khoản định danh điện tử.",
            "1,2 nghìn",
            Decimal(1200),
            "VNEID_ACTIVATED",
        ),
        ("Kinh phí chuyển đổi số năm 2025 là 1,5 tỷ đồng.", "1,5 tỷ", Decimal(1_500_000_000), "DT_BUDGET"),
        ("Bộ phận một cửa tiếp nhận 412 HS TTHC.", "412", Decimal(412), "DOS_RECEIVED"),
        ("Tổng số CBCCVC của xã là 58 người.", "58", Decimal(58), "STAFF_COUNT"),
    ],
)
def test_scale_words_and_abbreviations(body, printed, value, code):
    figure = _one(body, printed)
    assert (figure.value, figure.indicator_code) == (value, code)


def test_a_slash_chain_is_two_figures():
    figures = _figures("Xã có 95 tài khoản/1.870 chỉ tiêu học tập trên nền tảng Bình dân học vụ số.")
    assert [f.value for f in figures if f.kind == "count"][:1] == [Decimal(95)]


def test_a_and_b_are_two_figures():
    figures = _figures("Đề nghị cấp 15 bộ máy vi tính và 15 máy scan cho bộ phận một cửa.")
    assert [(f.printed, f.value) for f in figures] == [("15 bộ máy vi tính", 15), ("15 máy scan", 15)]


@pytest.mark.parametrize(
    "body", ["Hạn nộp báo cáo vào 5/4 hằng năm.", "Hội nghị tổ chức sáng 12/9 tại hội trường."]
)
def test_a_day_and_month_is_a_date_not_a_fraction(body):
    assert _figures(body) == ()


def test_a_rate_after_a_count_is_that_count_s_share():
    figure = _one(
        "Đã giải quyết 2.051 hồ sơ, trong đó trễ hạn 12 hồ sơ, chiếm 0,59% số hồ sơ đã giải quyết.", "0,59"
    )
    assert figure.indicator_code == "DOS_LATE_RATE"


def test_a_topic_before_a_colon_is_not_the_figure_s_words():
    figure = _one("Kết quả giải quyết thủ tục hành chính: tiếp nhận 1.120 hồ sơ.", "1.120")
    assert figure.indicator_code == "DOS_RECEIVED"


@pytest.mark.parametrize(
    ("body", "printed", "code"),
    [
        ("Có 31 hồ sơ đến hạn giải quyết trong quý.", "31", "DOS_DUE"),
        ("Còn 3 hồ sơ quá hạn chưa có kết quả do chờ xác minh.", "3", "DOS_OVERDUE_OPEN"),
        ("Xã có 14 thôn, 14 Tổ công nghệ cộng đồng với 70 thành viên.", "14 thôn", "VILLAGE_COUNT"),
        ("Xã có 14 thôn, 14 Tổ công nghệ cộng đồng với 70 thành viên.", "14 Tổ", "CDT_TEAMS"),
        ("Xã có 14 thôn, 14 Tổ công nghệ cộng đồng với 70 thành viên.", "70", "CDT_MEMBERS"),
        ("Nhiệm vụ chuyển đổi số do 02 công chức kiêm nhiệm.", "02", "IT_CONCURRENT"),
    ],
)
def test_measures_the_catalogue_now_has(body, printed, code):
    assert _one(body, printed).indicator_code == code


def test_a_recruitment_is_not_a_dossier_and_does_not_land():
    from tests.narrative_corpus import lands

    figure = _one("Đã tiếp nhận 4 hồ sơ dự tuyển viên chức.", "4")
    assert not lands(figure) and figure.indicator_code not in ("DOS_RECEIVED", "STAFF_COUNT")


def test_a_table_with_a_total_row_has_its_other_rows_as_parts(tmp_path):
    from pipelines.tools.sample.reports import write_report

    table = "| Lĩnh vực | Hồ sơ tiếp nhận |\n| Hộ tịch | 300 |\n| Đất đai | 120 |\n| Tổng cộng | 420 |\n"
    draft = f"{HEAD}\n\n{table}"
    from pipelines.narrative.extract import extract_report

    path = write_report(tmp_path / "bao-cao.docx", draft)
    figures = [f for f in extract_report(path).figures if f.block.kind == "cell"]
    assert [(f.value, f.role) for f in figures] == [(300, "subset"), (120, "subset"), (420, "actual")]


def test_a_request_section_makes_its_bare_lines_requests_and_a_results_section_does_not():
    body = (
        "I. KẾT QUẢ THỰC HIỆN\n"
        "- Trung tâm đang sử dụng 30 máy tính.\n"
        "II. KIẾN NGHỊ, ĐỀ XUẤT\n"
        "- Cấp 10 máy tính cho Trung tâm Phục vụ hành chính công.\n"
        "III. PHƯƠNG HƯỚNG THỜI GIAN TỚI\n"
        "- Tỷ lệ hồ sơ nộp trực tuyến đạt 85%.\n"
    )
    figures = {f.printed: f for f in _figures(body)}
    assert figures["30 máy tính"].role == "actual"
    assert figures["10 máy tính"].role == "proposal"
    assert figures["85%"].role == "target"


def test_a_sentence_that_opens_with_a_village_is_that_village_s():
    figures = _figures("- Làng Kleng có 01 tổ công nghệ số; đã kích hoạt 612 tài khoản định danh điện tử.")
    assert {f.role for f in figures} == {"subset"}


def test_earlier_periods_in_parentheses_are_other_periods():
    figures = _figures("Hồ sơ nộp trực tuyến đạt 81,00% (quý II: 76,3%; quý III/2024: 58,9%).")
    assert [(f.printed, f.role) for f in figures] == [
        ("81,00%", "actual"),
        ("76,3%", "other"),
        ("58,9%", "other"),
    ]


def test_a_report_typed_without_diacritics_is_read_like_one_with_them():
    figures = {
        f.printed: f
        for f in _figures(
            "- da giai quyet 488 ho so; xa tiep nhan 512 ho so TTHC, truc tuyen 301 hs => ty le 58,79%"
        )
    }
    assert figures["512 ho so TTHC"].indicator_code == "DOS_RECEIVED"
    assert figures["301 hs"].indicator_code == "DOS_ONLINE"
    assert _one("- de nghi cap them 10 may tinh cho bo phan mot cua", "10 may").role == "proposal"


def test_an_indicator_stated_with_two_values_waits_for_a_person_and_one_value_twice_lands():
    """Minutes of a meeting: the office's count, then the corrected one a speaker gives. The warehouse keeps
    one value per indicator and would take one of them silently; both wait (`conflict`)."""
    from tests.narrative_corpus import lands

    body = (
        "Văn phòng báo cáo: trong quý đã giải quyết 1.150 hồ sơ, trễ hạn 06 hồ sơ.\n"
        "Ông Lê Văn Bình phát biểu: qua rà soát, số hồ sơ trễ hạn đúng là 04 hồ sơ."
    )
    late = [f for f in _figures(body) if f.indicator_code == "DOS_LATE"]
    assert sorted(f.value for f in late) == [4, 6]
    assert all(f.needs_review and "conflict" in f.review_reason and not lands(f) for f in late)
    resolved = _one(body, "1.150")
    assert resolved.indicator_code == "DOS_RESOLVED" and lands(resolved)  # stated once: lands
    again = _figures("Xã đã giải quyết 1.150 hồ sơ.\nTổng hợp lại, xã đã giải quyết 1.150 hồ sơ trong quý.")
    assert [f.value for f in again if lands(f)] == [1150, 1150]  # the same value twice is no conflict


def test_a_plan_column_of_a_table_holds_targets_and_a_later_cell_does_not_give_the_role(tmp_path):
    from pipelines.narrative.extract import extract_report
    from pipelines.tools.sample.reports import write_report

    table = (
        "| TT | Chỉ tiêu | Mẫu số | Tử số | Kết quả (%) | KH số 15 (%) | Mức quy định |\n"
        "| 1 | Tiếp nhận trực tuyến | 742 | 463 | 62,40 | 60 | Tối thiểu 50% |\n"
    )
    path = write_report(tmp_path / "bao-cao.docx", f"{HEAD}\n\n{table}")
    rates = {f.printed: f for f in extract_report(path).figures if f.indicator_code == "DOS_ONLINE_RATE"}
    assert rates["62,40"].role == "actual"  # `Tối thiểu 50%` after it speaks of the norm, not of it
    assert rates["60"].role == "target"


@pytest.mark.parametrize(
    ("body", "lands_as"),
    [
        ("Xã có 01 điểm cầu hội nghị truyền hình sẵn sàng kết nối với tỉnh.", 1),
        ("Điểm cầu hội nghị truyền hình của xã (01 điểm cầu) hoạt động ổn định.", 1),
        ("Xã có 02 điểm cầu hội nghị truyền hình.", None),  # a yes/no indicator is not a count of two
        ("Đề nghị tỉnh hỗ trợ 01 điểm cầu cho thôn Gò Da.", None),
    ],
)
def test_the_video_conference_flag_is_one_terminal_of_the_unit(body, lands_as):
    from tests.narrative_corpus import lands

    landed = [f.value for f in _figures(body) if f.indicator_code == "VC_TERMINAL_READY" and lands(f)]
    assert landed == ([lands_as] if lands_as is not None else [])


def test_a_count_about_what_the_figure_before_it_counts_waits_for_review():
    """`… 15 Tổ công nghệ số cộng đồng, phủ 15/15 thôn, với 90 thành viên`: the members' clause names no team;
    read with the words of the sentence's last figure that mapped by its own, when its noun is one the
    indicator counts, and always reviewed. A noun that does not fit (`4.020 hộ` after `12 thôn`) is not
    read so."""
    from tests.narrative_corpus import in_review, lands

    members = _one("Xã đã thành lập 15 Tổ công nghệ số cộng đồng, phủ 15/15 thôn, với 90 thành viên.", "90")
    assert members.indicator_code == "CDT_MEMBERS" and in_review(members) and not lands(members)
    households = _one("Xã Ba Tô có 12 thôn, 4.020 hộ.", "4.020")
    assert households.indicator_code is None


@pytest.mark.parametrize(
    "body",
    [
        "Có 19 thôn; 17 Tổ công nghệ số cộng đồng (17/19 thôn có tổ), 71 thành viên.",
        "Cả 13 thôn đều có tổ công nghệ số cộng đồng (13 tổ, 71 thành viên).",
    ],
)
def test_a_count_whose_subject_sits_before_another_figure_waits_for_review(body):
    """The team's members after a bracket or a share: what the sentence before them names, always reviewed."""
    from tests.narrative_corpus import in_review, lands

    members = _one(body, "71 thành viên")
    assert members.indicator_code == "CDT_MEMBERS" and in_review(members) and not lands(members)


def test_a_rate_after_a_count_read_with_the_sentence_s_words_borrows_nothing_from_it():
    """`203 hồ sơ có thu phí` read (for review) as online dossiers by the sentence's `trực tuyến`: the rate
    after it is not the online share, which would stand against the report's own and hold it back."""
    from tests.narrative_corpus import lands

    body = (
        "Có 1.118 hồ sơ được tiếp nhận; 602 hồ sơ trực tuyến, chiếm 53,85%. "
        "Thanh toán trực tuyến có 96 hồ sơ, trên tổng số 203 hồ sơ có thu phí, đạt 47,29%."
    )
    assert lands(_one(body, "53,85%"))
    assert _one(body, "47,29%").indicator_code != "DOS_ONLINE_RATE"


def test_a_year_to_date_column_is_another_period_for_a_flow_and_the_level_for_a_stock(tmp_path):
    """`Quý IV và lũy kế năm 2025` is a Q4 report; under a second header row `Quý IV | Lũy kế năm`, the
    quarter's cells are its own, the year to date of a flow is another period's, and a stock's year to date
    is its level now."""
    from pipelines.narrative.extract import extract_report
    from pipelines.tools.sample.reports import write_report

    head = "UBND XÃ SƠN KỲ\nBÁO CÁO\nKết quả chuyển đổi số Quý IV và lũy kế năm 2025\n"
    table = (
        "| TT | Chỉ tiêu | ĐVT | Kết quả thực hiện |  |\n"
        "|  |  |  | Quý IV | Lũy kế năm |\n"
        "| 1 | Hồ sơ TTHC tiếp nhận | hồ sơ | 642 | 2.318 |\n"
        "| 2 | Tài khoản VNeID đã kích hoạt | tài khoản | - | 4.736 |\n"
    )
    extraction = extract_report(write_report(tmp_path / "bao-cao.docx", f"{head}\n\n{table}"))
    assert extraction.facts.period_key == "2025-Q4"
    roles = {(f.indicator_code, f.printed): f.role for f in extraction.figures}
    assert roles[("DOS_RECEIVED", "642")] == "actual"
    assert roles[("DOS_RECEIVED", "2.318")] == "other"
    assert roles[("VNEID_ACTIVATED", "4.736")] == "actual"


@pytest.mark.parametrize(
    ("head", "role"),
    [
        ("Kết quả chuyển đổi số Quý III năm 2025", "other"),  # January to September is not the quarter
        ("Kết quả chuyển đổi số Quý I năm 2025", "actual"),  # the first quarter is the year to date
        ("Kết quả chuyển đổi số 9 tháng đầu năm 2025", "actual"),
    ],
)
def test_a_flow_since_the_start_of_the_year_is_the_report_s_own_only_when_its_period_starts_it(head, role):
    body = "Lũy kế từ đầu năm, xã tiếp nhận 1.297 hồ sơ thủ tục hành chính."
    figure = _one(body, "1.297", head=f"UBND XÃ SƠN KỲ\nBÁO CÁO\n{head}\n")
    assert (figure.indicator_code, figure.role) == ("DOS_RECEIVED", role)


def test_a_table_s_numbered_sub_row_is_no_figure(tmp_path):
    """`1.2`, `2.4` and `3.1.2` in a table's first column number its rows, as `1` and `II` do."""
    from pipelines.narrative.extract import extract_report
    from pipelines.tools.sample.reports import write_report

    table = (
        "| TT | Chỉ tiêu | ĐVT | Kết quả |\n"
        "| 1 | Hồ sơ TTHC tiếp nhận | hồ sơ | 642 |\n"
        "| 1.2 | Tỷ lệ hồ sơ trực tuyến | % | 67,13 |\n"
        "| 2.1.3 | Hồ sơ đang giải quyết | hồ sơ | 17 |\n"
    )
    figures = extract_report(write_report(tmp_path / "bao-cao.docx", f"{HEAD}\n\n{table}")).figures
    assert sorted(f.printed for f in figures) == ["17", "642", "67,13"]


def test_a_bulleted_line_is_read_with_the_labels_it_hangs_from_and_a_parent_s_count_is_its_whole():
    """`- Hồ sơ thủ tục hành chính:` / `+ Tiếp nhận: 1.024;` / `• Trực tuyến: 687`: each kind of bullet a
    level; the line's figures are read with its parents' labels; a line for the indicator its parent's count
    is of is a part of it; a line without a bullet ends the outline."""
    body = (
        "- Hồ sơ thủ tục hành chính:\n"
        "+ Tiếp nhận: 1.024;\n"
        "• Trực tuyến: 687;\n"
        "+ Đã giải quyết: 968;\n"
        "– Trễ hạn: 03;\n"
        "- Cán bộ, công chức:\n"
        "+ Kiêm nhiệm công nghệ thông tin: 02\n"
        "- Trực tiếp: 329 hồ sơ;\n"
        "+ Tại bộ phận một cửa: 301 hồ sơ;\n"
        "Tổ công nghệ số cộng đồng hoạt động đều.\n"
        "+ Tiếp nhận: 77;\n"
    )
    read = {f.printed.split()[0]: (f.indicator_code, f.role) for f in _figures(body)}
    assert read["1.024"] == ("DOS_RECEIVED", "actual")
    assert read["687"] == ("DOS_ONLINE", "actual")
    assert read["968"] == ("DOS_RESOLVED", "actual")
    assert read["03"] == ("DOS_LATE", "actual")
    assert read["02"] == ("IT_CONCURRENT", "actual")
    assert read["329"] == ("DOS_IN_PERSON", "actual")
    assert read["301"] == ("DOS_IN_PERSON", "subset")
    assert read["77"][0] != "DOS_RECEIVED"  # the prose line closed the outline: a bare `Tiếp nhận` again


def test_a_results_column_names_no_indicator_and_a_fraction_beside_its_rate_is_its_working(tmp_path):
    """`Kết quả thực hiện quý IV` over a column says only "the results": the row's label names the figure
    (`kết quả` is not the start of `kết quả giải quyết` there). `562/565` beside `99,47%` is how the rate was
    made, not a second figure of it."""
    from pipelines.narrative.extract import extract_report
    from pipelines.tools.sample.reports import write_report

    table = (
        "| TT | Chỉ tiêu | ĐVT | Kết quả thực hiện quý III | Ghi chú |\n"
        "| 1 | Tỷ lệ hồ sơ trực tuyến | % | 67,13 |  |\n"
        "| 2 | Thanh toán trực tuyến | % | 52,63 |  |\n"
        "| 3 | Tỷ lệ văn bản đi dạng điện tử | % | 99,47% | 562/565 |\n"
    )
    figures = extract_report(write_report(tmp_path / "bao-cao.docx", f"{HEAD}\n\n{table}")).figures
    assert [(f.printed, f.indicator_code) for f in figures] == [
        ("67,13", "DOS_ONLINE_RATE"),
        ("52,63", "DOS_ONLINE_PAYMENT_RATE"),
        ("99,47%", "DOC_ELECTRONIC_RATE"),
    ]


@pytest.mark.parametrize(
    ("body", "printed", "code", "role", "lands"),
    [
        # the tail of a number a scan's text recognition broke never lands alone
        ("Số hồ sơ đã giải quyết: 3.3'18 hồ sơ.", "18", "DOS_RESOLVED", "actual", False),
        ("Tài khoản định danh điện tử: đã cài đặt 9.2 14 tài khoản.", "14", "VNEID_INSTALLED", "actual",
         False),
        # an update past the days the report counts (to 14/09) is another period's figure
        (
            "Cập nhật đến ngày ký báo cáo (22/9/2025): đã kích hoạt 5.903 tài khoản định danh điện tử.",
            "5.903",
            "VNEID_ACTIVATED",
            "other",
            False,
        ),
        ("Đến ngày 14/9/2025, đã kích hoạt 5.842 tài khoản định danh điện tử.", "5.842", "VNEID_ACTIVATED",
         "actual", True),
        # the words before a bracket are the bracketed rate's
        ("Máy tính: 34 máy, đều đã cài phần mềm phòng chống mã độc có bản quyền (100%).", "100%",
         "PC_ANTIMALWARE_RATE", "actual", True),
        # the latest figure a body gave on a day after the report's days is another period's
        ("VNeID: kích hoạt 5.842 tài khoản (số mới nhất Công an xã cung cấp ngày 02/11/2025 là 6.120 tài "
         "khoản kích hoạt).", "6.120", "VNEID_ACTIVATED", "other", False),
        # what an earlier report said, named by its number, is taken back by this one
        ("Số hồ sơ trễ hạn: Báo cáo số 118 ghi 12 hồ sơ do cộng nhầm; số đúng của quý là 04 hồ sơ.",
         "12 hồ sơ", "DOS_LATE", "other", False),
        # and the figure it gives instead, whose label stayed with the one it replaces, is read for the same
        # indicator and waits for a person
        ("Số hồ sơ trễ hạn: Báo cáo số 118 ghi 12 hồ sơ do cộng nhầm; số đúng của quý là 04 hồ sơ.",
         "04 hồ sơ", "DOS_LATE", "actual", False),
        # a figure the report itself calls wrong is taken back
        ("Số hồ sơ trực tuyến gửi qua Zalo ghi 231 hồ sơ là chưa đúng; số đúng là 213 hồ sơ.", "231 hồ sơ",
         "DOS_ONLINE", "other", False),
        # the computers of one office are a part of what the unit holds
        ("Bộ phận một cửa chỉ có 03 máy tính và 01 máy quét dùng chung.", "03 máy tính", "PC_COUNT", "subset",
         False),
        # digits with the words of hundreds between are one number, which a person confirms
        ("Quý III xã tiếp nhận 3 trăm 25 hồ sơ, trực tuyến 210 hồ sơ.", "325 hồ sơ", "DOS_RECEIVED", "actual",
         False),
        ("Theo Công an xã: cài đặt 1 nghìn 2 trăm 40 tài khoản VNeID.", "1.240", "VNEID_INSTALLED", "actual",
         False),
        ("Tài khoản VNeID: cài đặt 3.105, kích hoạt 2 nghìn 6 trăm 30, chưa kích hoạt 475.", "2.630",
         "VNEID_ACTIVATED", "actual", False),
        # the share of documents sent electronically, whatever words name the documents
        ("UBND xã phát hành 287 văn bản đi, gửi trên môi trường điện tử 285 văn bản, đạt 99,30%.", "99,30%",
         "DOC_ELECTRONIC_RATE", "actual", True),
        # the upper end of a range waits for a person; a dash between a count and its share is no range
        ("Sóng 4G phủ từ 95 đến 97% diện tích.", "97%", "COV_4G_RATE", "actual", False),
        ("Tiếp nhận 1.214 hồ sơ (trực tuyến 836 – 68,86%).", "68,86%", "DOS_ONLINE_RATE", "actual", True),
        # the words clerks use for what the catalogue names otherwise (blind set 31)
        ("Giải quyết sớm hơn thời gian quy định 318 hồ sơ, đúng hẹn 52 hồ sơ.", "318", "DOS_EARLY", "actual",
         True),
        ("Tỷ lệ số hóa khi tiếp nhận: 100%. Kết quả điện tử hóa: 247/255 hồ sơ.", "247/255",
         "DOS_RESULT_DIGITISED_RATE", "actual", True),
        ("Nộp phí online (thanh toán qua Cổng DVC): 23 hồ sơ trên 40 hồ sơ thu phí.", "23/40",
         "DOS_ONLINE_PAYMENT_RATE", "actual", True),
        # a statement of none closed before a figure is not what the figure counts; a zero is what it says
        ("Trong 1.121 hồ sơ đã giải quyết, không có hồ sơ nào trễ hạn: 968 hồ sơ giải quyết trước hạn.",
         "968", "DOS_EARLY", "actual", True),
        ("Chưa có máy nào được cài phần mềm phòng chống mã độc bản quyền (tỷ lệ: 0%).", "0%",
         "PC_ANTIMALWARE_RATE", "actual", True),
        # the province's dossier system by name: its `giải quyết` is no resolved dossiers
        ("Hồ sơ đã tiếp nhận trên Hệ thống thông tin giải quyết TTHC của tỉnh trong quý là 2.146 hồ sơ.",
         "2.146", "DOS_RECEIVED", "actual", True),
        # the appointment (`hẹn`) and the time limit (`thời hạn`) said for the due date; the counter and
        # the network for the channels; cash at the counter is a payment, not a channel (blind set 31)
        ("Đã có kết quả: trước ngày hẹn 318 hồ sơ, đúng hẹn 52 hồ sơ, quá hẹn 02 hồ sơ.", "52 hồ sơ",
         "DOS_ON_TIME", "actual", True),
        ("Đã có kết quả: trước ngày hẹn 318 hồ sơ, đúng hẹn 52 hồ sơ, quá hẹn 02 hồ sơ.", "02 hồ sơ",
         "DOS_LATE", "actual", True),
        ("Đã giải quyết: trước thời hạn 168 hồ sơ, vượt thời hạn 02 hồ sơ.", "168", "DOS_EARLY", "actual",
         True),
        ("Nộp trên môi trường mạng: 149 hồ sơ; nhận bản giấy tại quầy là 171 hồ sơ.", "149", "DOS_ONLINE",
         "actual", True),
        ("Nộp trên môi trường mạng: 149 hồ sơ; nhận bản giấy tại quầy là 171 hồ sơ.", "171", "DOS_IN_PERSON",
         "actual", True),
        ("Chỉ có 07 hồ sơ được thanh toán trực tuyến, còn lại 49 hồ sơ người dân nộp tiền mặt tại quầy.",
         "49", None, "actual", False),
        # a number with thousands after a period's words is a figure, never a day, a month or a year
        # (in this quarter's report, the nine months are another period's)
        ("Số hồ sơ tiếp nhận trong quý III là 412, lũy kế 9 tháng 1.203 hồ sơ.", "1.203", "DOS_RECEIVED",
         "other", False),
        # a former commune named without brackets is a part; one named inside brackets closed before the
        # figure is an aside; a half of the year is another period (blind sets 35, 37)
        ("Khu vực Ngọk Tụ cũ tiếp nhận 139 hồ sơ.", "139", "DOS_RECEIVED", "subset", False),
        ("Xã có 19 thôn (gồm 04 thôn của xã Đăk Man cũ, 03 thôn của xã Đăk Choong cũ), 12 tổ công nghệ số "
         "cộng đồng.", "12 tổ", "CDT_TEAMS", "actual", True),
        ("Nửa cuối năm xã mới tiếp nhận 702 hồ sơ.", "702", "DOS_RECEIVED", "other", False),
        # the officials trained, counted in people after the officials' count: their share is the training's
        ("Có 24 cán bộ, công chức, 19 người đã qua tập huấn, đạt 79,17%.", "79,17%",
         "STAFF_BASIC_SKILLS_RATE", "actual", True),
        ("Tập huấn cho nông dân 200 người được tập huấn, đạt 80%.", "80%", None, "actual", False),
        # `tỷ lệ trực tuyến` alone is the online share; `9 tháng 2024` is another year's nine months
        ("Tổng số hồ sơ tiếp nhận 176: trực tuyến 84, trực tiếp 89. Tỷ lệ trực tuyến 47,73%.", "47,73%",
         "DOS_ONLINE_RATE", "actual", True),
        ("Tỷ lệ hồ sơ trực tuyến 9 tháng 2024 đạt 41,37%.", "41,37%", "DOS_ONLINE_RATE", "other", False),
        # after `trong đó`, a figure of the whole's own indicator is a part of it; a cancelled dossier
        # overdue for its additions is no late one
        ("Đang giải quyết 21 hồ sơ, trong đó 5 hồ sơ chờ bổ sung, 2 hồ sơ tạm dừng.", "5 hồ sơ",
         "DOS_IN_PROGRESS", "subset", False),
        ("Đã giải quyết 512 hồ sơ; hủy 3 hồ sơ do quá hạn bổ sung.", "3 hồ sơ", None, "actual",
         False),
        # `trễ` alone, in a hurried list, is late
        ("Giải quyết xong 139 hs. Trước hạn 120 đúng hạn 18 trễ 1 hs.", "1 hs", "DOS_LATE", "actual", True),
        # a breakdown typed with its labels after the counts and no noun is read, and waits for a person
        ("Đã giải quyết 386 hồ sơ (341 trước hạn, 41 đúng hạn, 04 trễ hạn).", "341", "DOS_EARLY", "actual",
         False),
        ("Đã giải quyết 386 hồ sơ, gồm 341 trước hạn, 41 đúng hạn và 04 trễ hạn.", "04", "DOS_LATE", "actual",
         False),
    ],
)  # fmt: skip
def test_what_a_figure_is_depends_on_what_stands_right_before_it(body, printed, code, role, lands):
    from tests.narrative_corpus import lands as would_land

    head = HEAD + "Số liệu tính từ ngày 15/6/2025 đến ngày 14/9/2025.\n"
    figure = _one(body, printed, head=head)
    assert (figure.indicator_code, figure.role, would_land(figure)) == (code, role, lands)


def test_the_share_of_a_part_is_named_with_the_words_of_its_whole():
    """`Văn bản đi cả năm 1.987, trong đó điện tử 1.979 (99,60%)`: the part's own words (`điện tử`) do not
    name the documents; the whole before `trong đó` does."""
    from tests.narrative_corpus import lands

    head = "UBND XÃ SƠN KỲ\nBÁO CÁO\nKết quả chuyển đổi số năm 2025\n"
    rate = _one("- Văn bản đi cả năm 1.987, trong đó điện tử 1.979 (99,60%).", "99,60%", head=head)
    assert rate.indicator_code == "DOC_ELECTRONIC_RATE" and lands(rate)


def test_an_official_s_id_and_phone_in_a_report_are_never_figures():
    """A report listing its officials with their CCCD and phone (`CCCD: 053030000068; ĐT: 0905303201`):
    neither is a figure (personal data in the warehouse, and a wrong figure besides); an amount written
    without separators still is one."""
    body = (
        "1. Ông Người Thử - Phó Chủ tịch UBND xã, kiêm nhiệm; CCCD: 053030000068; ĐT: 0905303201. "
        "Kinh phí chuyển đổi số 150000000 đồng."
    )
    assert [(f.printed, f.indicator_code) for f in _figures(body)] == [("150000000 đồng", "DT_BUDGET")]


def test_a_unit_named_in_a_figure_s_words_is_whose_it_is_not_what_it_counts():
    """`52 máy của xã Mỏ Cày cũ`: `cũ` there is the former commune, not old computers."""
    figure = _one("Số máy tính: 52 máy của xã Mỏ Cày cũ và xã Đức Hiệp.", "52 máy")
    assert figure.indicator_code == "PC_COUNT"


def test_a_table_whose_label_column_names_villages_has_parts_and_its_village_total_is_the_whole(tmp_path):
    """`| Thôn | … |` over the rows: each row is one village's part; `Cộng các thôn` is the whole."""
    from pipelines.narrative.extract import extract_report
    from pipelines.tools.sample.reports import write_report

    table = (
        "| Thôn | Tài khoản VNeID kích hoạt |\n"
        "| Tà Mang | 208 |\n"
        "| Nước Lang | 163 |\n"
        "| Cộng các thôn | 371 |\n"
    )
    figures = extract_report(write_report(tmp_path / "bao-cao.docx", f"{HEAD}\n\n{table}")).figures
    assert [(f.printed, f.indicator_code, f.role) for f in figures] == [
        ("208", "VNEID_ACTIVATED", "subset"),
        ("163", "VNEID_ACTIVATED", "subset"),
        ("371", "VNEID_ACTIVATED", "actual"),
    ]


@pytest.mark.parametrize(
    "body",
    [
        "- Thu ngân sách trên địa bàn 312 triệu đồng.",
        "Kinh phí nạo vét luồng lạch cảng cá 850 triệu đồng.",
        "Tổng chi ngân sách xã quý I là 2,1 tỷ đồng.",
    ],
)
def test_money_of_a_general_report_s_other_sections_is_not_the_digital_transformation_budget(body):
    """A commune's general report states revenue, spending and works in money; none of it is DT_BUDGET."""
    assert [f.indicator_code for f in _figures(body)] == [None]


def test_full_width_digits_and_a_percent_sign_typed_first_are_read_as_they_are_meant(tmp_path):
    """A Chinese input method's `３４８`, `５８,９１％` and a clerk's `%99,50`, read from a file."""
    from pipelines.narrative.extract import extract_report

    report = tmp_path / "bao-cao.txt"
    report.write_text(
        f"{HEAD}\nTrong quý tiếp nhận ３４８ hồ sơ, trực tuyến ２０５ hồ sơ, đạt ５８,９１％.\n"
        "Tỷ lệ hồ sơ có kết quả được số hóa %99,50.\n",
        encoding="utf-8",
    )
    read = {f.printed: (f.indicator_code, f.value) for f in extract_report(report).figures}
    assert read["348 hồ sơ"] == ("DOS_RECEIVED", Decimal(348))
    assert read["58,91%"] == ("DOS_ONLINE_RATE", Decimal("58.91"))
    assert read["99,50%"] == ("DOS_RESULT_DIGITISED_RATE", Decimal("99.50"))


def test_a_heading_that_says_only_the_results_gives_no_topic():
    """Under `II. KẾT QUẢ ĐẠT ĐƯỢC`, a terse `Tỷ lệ trực tuyến: 61,95%` is not a result returned online."""
    body = "II. KẾT QUẢ ĐẠT ĐƯỢC\nTỷ lệ trực tuyến: 61,95%\n"
    (figure,) = _figures(body)
    assert figure.topic == "" and figure.indicator_code != "DOS_RESULT_ONLINE_RATE"


@pytest.mark.parametrize(
    ("body", "printed", "code", "value", "lands"),
    [
        # letters a scan's text recognition put for digits: read as the digits, and always reviewed
        ("Trong quý, xã tiếp nhận 3.4l6 hồ sơ thủ tục hành chính.", "3.416", "DOS_RECEIVED", 3416, False),
        ("Tỷ lệ hồ sơ giải quyết trễ hạn là O,39%.", "0,39%", "DOS_LATE_RATE", Decimal("0.39"), False),
        # a footnote's mark against a figure is not part of it; the figure lands as typed
        ("Trong quý, xã tiếp nhận 1.245(1) hồ sơ thủ tục hành chính.", "1.245", "DOS_RECEIVED", 1245, True),
        ("Xã hiện có 36[3] máy tính đang sử dụng.", "36", "PC_COUNT", 36, True),
        ("Xã hiện có 28¹ chứng thư số USB token.", "28", "DSIG_USB", 28, True),
    ],
)
def test_a_figure_is_read_through_a_scan_s_letters_and_a_footnote_s_mark(body, printed, code, value, lands):
    from tests.narrative_corpus import lands as would_land

    figure = _one(body, printed)
    assert (figure.indicator_code, figure.value, would_land(figure)) == (code, value, lands)


def test_a_table_s_caption_gives_the_unit_its_rows_leave_out(tmp_path):
    """`Bảng 1. Hồ sơ theo tháng (đơn vị: hồ sơ)` over a table without a unit column: its counts are of
    dossiers, as a unit column would say; the months are parts and the quarter's column its own."""
    from pipelines.narrative.extract import extract_report
    from pipelines.tools.sample.reports import write_report

    table = (
        "Bảng 1. Tình hình theo tháng (đơn vị: hồ sơ)\n\n"
        "| Chỉ tiêu | Tháng 7 | Tháng 8 | Tháng 9 | Cộng quý III |\n"
        "| Tiếp nhận | 204 | 231 | 247 | 682 |\n"
    )
    figures = extract_report(write_report(tmp_path / "bao-cao.docx", f"{HEAD}\n\n{table}")).figures
    read = {f.printed: (f.indicator_code, f.role) for f in figures}
    assert read["682"] == ("DOS_RECEIVED", "actual")
    assert read["204"] == ("DOS_RECEIVED", "subset")


def test_a_pdf_s_table_is_read_by_its_cells_and_parts_before_their_sum_are_parts(tmp_path):
    """A table in a PDF's text layer (cells parted by bars, the outer ones left out) is read as a Word
    table's; `21 tổ dân phố và 03 thôn, tổng cộng 24` states two parts of 24 (they add up), and money of
    another programme the ward draws on (`lồng ghép …`) is not its digital-transformation budget."""
    from pipelines.narrative.extract import extract_report
    from pipelines.tools.sample.reports import write_report

    text = (
        f"{HEAD}\nPhường được chia thành 21 tổ dân phố và 03 thôn, tổng cộng 24 tổ dân phố, thôn.\n\n"
        "Ngoài ra, phường lồng ghép Đề án chỉnh trang đô thị (tổng vốn 12,5 tỷ đồng) để lắp camera.\n\n"
        "| Chỉ tiêu | Số lượng | Tỷ lệ (%) |\n"
        "| Cán bộ có máy tính kết nối mạng | 39/39 | 100 |\n"
        "| Công chức kiêm nhiệm CĐS | 02 |  |\n"
    )
    figures = extract_report(write_report(tmp_path / "bao-cao.pdf", text)).figures
    read = {f.printed.split()[0]: (f.indicator_code, f.role) for f in figures}
    assert read["21"] == ("VILLAGE_COUNT", "subset") and read["03"] == ("VILLAGE_COUNT", "subset")
    assert read["24"] == ("VILLAGE_COUNT", "actual")
    assert read["12,5"][1] == "other"
    assert read["02"] == ("IT_CONCURRENT", "actual")
    assert read["100"] == ("STAFF_NETWORKED_PC_RATE", "actual")


def test_a_label_s_short_aside_names_the_kind_and_a_note_dating_the_row_earlier_makes_it_another_period_s(
    tmp_path,
):
    """`Số chứng thư số (USB token)` is the USB count, not the total; `Số liệu đến 30/6/2025` in the note
    column of a 9-month report (counted to 14/9) dates the row's figure to another period."""
    from pipelines.narrative.extract import extract_report
    from pipelines.tools.sample.reports import write_report

    head = "UBND XÃ SƠN KỲ\nBÁO CÁO\nKết quả chuyển đổi số 9 tháng đầu năm 2025\n"
    text = (
        f"{head}\nSố liệu tính từ ngày 15/12/2024 đến ngày 14/9/2025.\n\n"
        "| STT | Chỉ tiêu | Đơn vị tính | Kết quả kỳ báo cáo | Ghi chú |\n"
        "| 27 | Số chứng thư số (USB token) | chứng thư | 29 |  |\n"
        "| 28 | Số chứng thư số trên SIM (SIM PKI) | chứng thư | 08 |  |\n"
        "| 29 | Số tài khoản VNeID đã kích hoạt | tài khoản | 6.655 | Số liệu đến 30/6/2025 |\n"
        "| 30 | Số tài khoản VNeID đã cài đặt | tài khoản | 7.402 | Số liệu đến 10/9/2025 |\n"
    )
    figures = extract_report(write_report(tmp_path / "bao-cao.docx", text)).figures
    read = {f.printed: (f.indicator_code, f.role) for f in figures}
    assert read["29"] == ("DSIG_USB", "actual")
    assert read["08"] == ("DSIG_SIM", "actual")
    assert read["6.655"] == ("VNEID_ACTIVATED", "other")
    assert read["7.402"] == ("VNEID_INSTALLED", "actual")  # four days before the end: its own


def test_a_hurried_clerk_s_abbreviations_of_rates_and_late_dossiers():
    """`TL` (tỷ lệ), `QH` (quá hạn), `TH+ĐH` (trước hạn, đúng hạn) and `TCNSCĐ`, as hurried reports write."""
    body = "- TL HS GQ TH+ĐH: 99,60%; TL HS QH: 0,40%.\n- TCNSCĐ: 11 tổ.\n"
    read = {f.printed.split()[0]: f.indicator_code for f in _figures(body)}
    assert read == {"99,60%": "DOS_EARLY_OR_ON_TIME_RATE", "0,40%": "DOS_LATE_RATE", "11": "CDT_TEAMS"}


def test_a_sentence_about_another_commune_gives_its_figures_to_that_commune():
    """`Xã Đăk Plô (lân cận) … có 08 tổ` in Sơn Kỳ's report is Đăk Plô's, given for comparison; the report's
    own commune named as the subject, and a former commune, stay as they are."""
    body = (
        "Xã Sơn Kỳ có 06 Tổ công nghệ số cộng đồng.\n"
        "Xã Đăk Plô (lân cận, điều kiện tương tự) có 08 Tổ công nghệ số cộng đồng.\n"
    )
    read = {f.printed.split()[0]: (f.indicator_code, f.role) for f in _figures(body)}
    assert read["06"] == ("CDT_TEAMS", "actual")
    assert read["08"] == ("CDT_TEAMS", "other")


def test_money_in_a_table_takes_its_unit_from_the_unit_column_or_the_label_and_after_a_period_word(tmp_path):
    """`Kinh phí | triệu đồng | 26,5` is 26.500.000 đồng; `Kinh phí chuyển đổi số (đồng)` without a unit
    column is money; `Phủ sóng 4G (% diện tích)` a rate; `chi trong quý 25.000.000 đồng` is an amount, not
    the quarter's number."""
    from pipelines.narrative.extract import extract_report
    from pipelines.tools.sample.reports import write_report

    text = (
        f"{HEAD}\n- Kinh phí chuyển đổi số chi trong quý 25.000.000 đồng.\n\n"
        "| TT | Chỉ tiêu | ĐVT | Kết quả |\n"
        "| 1 | Kinh phí chuyển đổi số | triệu đồng | 26,5 |\n\n"
        "Bảng 2\n\n"
        "| TT | Chỉ tiêu | Kế hoạch | Thực hiện |\n"
        "| 1 | Kinh phí chuyển đổi số (đồng) | 120.000.000 | 35.000.000 |\n"
        "| 2 | Phủ sóng 4G (% diện tích) | 100 | 97 |\n"
    )
    figures = extract_report(write_report(tmp_path / "bao-cao.docx", text)).figures
    read = {(f.printed, f.role): (f.indicator_code, f.kind, f.value) for f in figures}
    assert read[("25.000.000 đồng", "actual")] == ("DT_BUDGET", "money", 25_000_000)
    assert read[("26,5", "actual")] == ("DT_BUDGET", "money", 26_500_000)
    assert read[("35.000.000", "actual")] == ("DT_BUDGET", "money", 35_000_000)
    assert read[("97", "actual")] == ("COV_4G_RATE", "rate", 97)


def test_a_usb_certificate_named_short_and_members_after_a_bracketed_rate():
    """`49 chứng thư số USB`, `(21 USB, 04 SIM PKI)`: certificates on USB tokens; `09 Tổ … (100% thôn) với
    36 thành viên`: the members of the teams before the bracket."""
    body = (
        "Hiện xã có 49 chứng thư số USB và 11 chứng thư số SIM PKI.\n"
        "Xã có 25 chứng thư số đang hoạt động (21 USB, 04 SIM PKI).\n"
        "Xã đã có 09 Tổ công nghệ số cộng đồng (100% thôn) với 36 thành viên.\n"
    )
    read = {f.printed.split()[0]: f.indicator_code for f in _figures(body)}
    assert [read[n] for n in ("49", "11", "21", "04")] == ["DSIG_USB", "DSIG_SIM", "DSIG_USB", "DSIG_SIM"]
    assert (read["09"], read["36"]) == ("CDT_TEAMS", "CDT_MEMBERS")
