"""Readers of narrative reports: DOCX (body order, tables, footnotes), PDF with a text layer, plain text;
NFC text with positions; a clear, file-named error for everything they cannot read."""

from __future__ import annotations

import unicodedata
import zipfile
from pathlib import Path

import docx
import matplotlib
import pytest

from pipelines.ingest.register import IngestError
from pipelines.narrative.readers import read_report
from pipelines.tools.sample.reports import add_footnotes

matplotlib.use("Agg")


def _add_footnotes(path: Path) -> None:
    path.write_bytes(add_footnotes(path.read_bytes(), ["Gồm 03 thôn: Làng Rêu, Gò Da, Nước Lác."]))


def test_a_docx_reads_in_body_order_with_tables_and_footnotes(tmp_path: Path):
    path = tmp_path / "bao-cao.docx"
    document = docx.Document()
    document.add_paragraph(unicodedata.normalize("NFD", "UBND XÃ SƠN KỲ"))  # decomposed, as some PCs save
    document.add_paragraph("Tổng số hồ sơ tiếp nhận:   1.059  hồ sơ.")
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "Chỉ tiêu"
    table.cell(0, 2).text = "Kết quả"
    table.cell(1, 0).text = "Máy tính"
    table.cell(1, 2).text = "74"
    document.add_paragraph("Các thôn chưa có Tổ công nghệ số cộng đồng.")
    document.save(path)
    _add_footnotes(path)

    report = read_report(path)
    texts = [(b.kind, b.text) for b in report.blocks]
    assert texts == [
        ("paragraph", "UBND XÃ SƠN KỲ"),
        ("paragraph", "Tổng số hồ sơ tiếp nhận: 1.059 hồ sơ."),
        ("cell", "Chỉ tiêu"),  # the merged cell once, not once per column it spans
        ("cell", "Kết quả"),
        ("cell", "Máy tính"),
        ("cell", "74"),
        ("paragraph", "Các thôn chưa có Tổ công nghệ số cộng đồng."),
        ("footnote", "Gồm 03 thôn: Làng Rêu, Gò Da, Nước Lác."),
    ]
    assert report.blocks[0].text == unicodedata.normalize("NFC", "UBND XÃ SƠN KỲ")
    assert [b.position for b in report.blocks[5:]] == ["bảng 1, dòng 2, cột 3", "đoạn 3", "chú thích 1"]


def test_a_pdf_keeps_pages_and_joins_wrapped_lines(tmp_path: Path):
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    path = tmp_path / "bao-cao.pdf"
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(path) as pdf:
        for lines in (
            ["BÁO CÁO", "Kết quả chuyển đổi số Quý III năm 2025"],
            [
                "1. Dịch vụ công trực tuyến",
                "Tiếp nhận 544 hồ sơ, giải quyết đúng hạn 543 hồ sơ,",
                "đạt 99,82%.",
            ],
        ):
            figure = plt.figure(figsize=(8.27, 11.69))
            for n, line in enumerate(lines):
                figure.text(0.1, 0.9 - 0.03 * n, line, fontsize=11)
            pdf.savefig(figure)
            plt.close(figure)

    blocks = read_report(path).blocks
    assert [(b.page, b.text) for b in blocks] == [
        (1, "BÁO CÁO"),  # a line in capitals is a heading of its own
        (1, "Kết quả chuyển đổi số Quý III năm 2025"),
        (2, "1. Dịch vụ công trực tuyến"),  # a one-line numbered heading, then a sentence: two paragraphs
        (2, "Tiếp nhận 544 hồ sơ, giải quyết đúng hạn 543 hồ sơ, đạt 99,82%."),
    ]
    assert blocks[3].position == "trang 2, đoạn 4"


def _cp1258(text: str) -> bytes:
    """Windows-1258 as Word writes it: letters with their hat or horn precomposed, tone marks combining."""
    out = b""
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            base, *marks = unicodedata.normalize("NFD", char)
            shape = "".join(m for m in marks if m in "\u0302\u0306\u031b")
            tone = "".join(m for m in marks if m not in shape)
            out += (unicodedata.normalize("NFC", base + shape) + tone).encode("cp1258")
    return out


def test_plain_text_in_utf8_or_windows_vietnamese(tmp_path: Path):
    body = (
        "Thực hiện Công văn số 1464/SKHCN ngày 16/9/2025, UBND xã báo cáo\n"
        "kết quả như sau:\n"
        "\n"
        "1. Đã cài đặt 6.639 tài khoản, kích hoạt 6.158 tài khoản.\n"
        "2. Đã thành lập 16 Tổ công nghệ số cộng đồng thôn.\n"
    )
    utf8, windows = tmp_path / "a.txt", tmp_path / "b.txt"
    utf8.write_text(body, encoding="utf-8")
    windows.write_bytes(_cp1258(body))
    expected = [
        "Thực hiện Công văn số 1464/SKHCN ngày 16/9/2025, UBND xã báo cáo kết quả như sau:",
        "1. Đã cài đặt 6.639 tài khoản, kích hoạt 6.158 tài khoản.",
        "2. Đã thành lập 16 Tổ công nghệ số cộng đồng thôn.",
    ]
    assert [b.text for b in read_report(utf8).blocks] == expected
    assert [b.text for b in read_report(windows).blocks] == expected


def _scanned_pdf(path: Path) -> None:
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(2, 2))
    figure.add_artist(plt.Rectangle((0.1, 0.1), 0.5, 0.5))  # a picture, no text
    figure.savefig(path)
    plt.close(figure)


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("bao-cao.odt", lambda p: p.write_bytes(b"x"), "unsupported_extension"),
        ("bao-cao.txt", lambda p: p.write_bytes(b""), "empty_file"),
        ("bao-cao.txt", lambda p: p.write_text("\n \n", encoding="utf-8"), "empty_report"),
        ("bao-cao.docx", lambda p: p.write_bytes(b"not a zip at all"), "wrong_file_type"),
        ("bao-cao.docx", lambda p: p.write_bytes(bytes(range(256)) * 4), "corrupt_file"),
        ("bao-cao.docx", lambda p: zipfile.ZipFile(p, "w").writestr("a.xml", "<a/>"), "wrong_file_type"),
        ("bao-cao.pdf", lambda p: p.write_bytes(b"%PDF-1.4 broken"), "corrupt_file"),
        ("bao-cao.pdf", _scanned_pdf, "no_text_layer"),
    ],
)
def test_what_cannot_be_read_is_refused_with_the_file_and_a_reason(tmp_path: Path, name, make, reason):
    path = tmp_path / name
    make(path)
    with pytest.raises(IngestError) as caught:
        read_report(path)
    assert caught.value.reason == reason
    assert name in str(caught.value)


def test_a_numbered_heading_is_its_own_paragraph_but_a_wrapped_sentence_is_not(tmp_path: Path):
    path = tmp_path / "bao-cao.txt"
    path.write_text(
        "b) Công tác tham mưu, kiện toàn đầu mối\n"
        "Ủy ban nhân dân xã đã phân công 01 công chức chuyên trách chuyển đổi số, là đầu mối của\n"
        "Phòng Văn hóa - Xã hội.\n"
        "2. Trong quý, xã tiếp nhận 570 hồ sơ thủ tục hành chính gửi đến Trung tâm Phục vụ hành\n"
        "Chính công xã.\n",
        encoding="utf-8",
    )
    assert [b.text for b in read_report(path).blocks] == [
        "b) Công tác tham mưu, kiện toàn đầu mối",
        "Ủy ban nhân dân xã đã phân công 01 công chức chuyên trách chuyển đổi số, là đầu mối của "
        "Phòng Văn hóa - Xã hội.",
        # as long as the lines the layout wrapped: a sentence going on, not a heading
        "2. Trong quý, xã tiếp nhận 570 hồ sơ thủ tục hành chính gửi đến Trung tâm Phục vụ hành "
        "Chính công xã.",
    ]


def test_a_dashboard_or_slide_copied_as_text_keeps_each_figure_with_its_own_label(tmp_path: Path):
    """Label and figure on lines of their own, label first (a web dashboard) or figure first (a slide): each
    pair is one paragraph; a heading in capitals before the pairs, and a short run, are left as they are."""
    path = tmp_path / "bang-dieu-khien.txt"
    path.write_text(
        "Kỳ trước chuyển qua\n63\nTiếp nhận trong kỳ\n2.148\nTỷ lệ trực tuyến\n70,39 %\n"
        "(*) Tính trên 2.069 hồ sơ\n\n"
        "HỒ SƠ THỦ TỤC HÀNH CHÍNH\n1.284\nhồ sơ tiếp nhận\n853\nnộp trực tuyến\n66,43%\ntỷ lệ trực tuyến\n\n"
        "Đã giải quyết\n2.071\nTrễ hạn\n7\n",
        encoding="utf-8",
    )
    assert [b.text for b in read_report(path).blocks] == [
        "Kỳ trước chuyển qua: 63",
        "Tiếp nhận trong kỳ: 2.148",
        "Tỷ lệ trực tuyến: 70,39 %",
        "(*) Tính trên 2.069 hồ sơ",
        "HỒ SƠ THỦ TỤC HÀNH CHÍNH",
        "1.284 hồ sơ tiếp nhận",
        "853 nộp trực tuyến",
        "66,43% tỷ lệ trực tuyến",
        "Đã giải quyết 2.071 Trễ hạn 7",  # two pairs only: read as it is written
    ]


def test_an_earlier_message_quoted_in_an_e_mail_is_marked_and_its_figures_wait(tmp_path: Path):
    from pipelines.narrative.extract import extract_report

    path = tmp_path / "xa-ba-gia_quy-2-2025.txt"
    path.write_text(
        "UBND XÃ BA GIA\nBáo cáo kết quả chuyển đổi số quý II năm 2025\n\n"
        "Xin gửi lại số liệu đã sửa: nộp trực tiếp là 289 hồ sơ, không phải 280 hồ sơ.\n\n"
        "> Ngày 04/7/2025, Văn phòng đã gửi:\n"
        "> Trong quý, xã tiếp nhận 905 hồ sơ, trong đó trực tiếp 280 hồ sơ.\n",
        encoding="utf-8",
    )
    extraction = extract_report(path)
    quoted = [b for b in extraction.document.blocks if b.quoted]
    assert [b.text for b in quoted] == [
        "Ngày 04/7/2025, Văn phòng đã gửi:",
        "Trong quý, xã tiếp nhận 905 hồ sơ, trong đó trực tiếp 280 hồ sơ.",
    ]
    assert "thư trước" in quoted[1].position
    by_value = {(f.indicator_code, int(f.value)): f for f in extraction.figures if f.indicator_code}
    received = by_value[("DOS_RECEIVED", 905)]
    assert received.needs_review and "quoted" in received.review_reason
    # `không phải 280`: the figure the correction replaces
    superseded = [f for f in extraction.figures if f.value == 280 and f.block.quoted is False]
    assert superseded and all(f.role == "other" for f in superseded)
    assert any(f.value == 289 and f.role == "actual" for f in extraction.figures)


def test_text_typed_in_lower_case_under_all_caps_is_read_as_word_shows_it(tmp_path: Path):
    """Font > All caps or Small caps, set on the run, on its paragraph's style or on a style that style is
    based on, shows lower-case text in capitals; a run that turns it off again stays as typed."""
    path = tmp_path / "bao-cao.docx"
    document = docx.Document()
    document.add_paragraph().add_run("ủy ban nhân dân xã sơn kỳ").font.all_caps = True
    based = document.styles.add_style("Tiêu đề", 1)
    based.font.small_caps = True
    heading = document.styles.add_style("Tiêu đề báo cáo", 1)
    heading.base_style = based
    title = document.add_paragraph(style=heading)
    title.add_run("kết quả chuyển đổi số quý ii năm 2025 ")
    title.add_run("(bản sửa)").font.all_caps = False
    document.add_paragraph("Trong quý, xã tiếp nhận 131 hồ sơ.")
    document.save(path)
    assert [b.text for b in read_report(path).blocks] == [
        "ỦY BAN NHÂN DÂN XÃ SƠN KỲ",
        "KẾT QUẢ CHUYỂN ĐỔI SỐ QUÝ II NĂM 2025 (bản sửa)",
        "Trong quý, xã tiếp nhận 131 hồ sơ.",
    ]


def test_a_table_typed_in_plain_text_is_read_cell_by_cell(tmp_path: Path):
    """Rows drawn with bars (a rule of dashes under the header is no row) or pasted from a spreadsheet with
    tabs are a table's cells, as a Word table's are; a lone line with bars stays a paragraph."""
    path = tmp_path / "bao-cao.txt"
    path.write_text(
        "Bảng 1. Hồ sơ theo tháng\n"
        "| Chỉ tiêu | Tháng 7 | Cộng Quý III |\n"
        "|---|---|---|\n"
        "| Tiếp nhận | 204 | 682 |\n"
        "\n"
        "Chỉ tiêu\tQuý I\t6 tháng\n"
        "Hồ sơ tiếp nhận\t1.087\t2.318\n"
        "\n"
        "Ghi chú: số liệu | tạm tính | đến 14/9.\n",
        encoding="utf-8",
    )
    cells = [(b.kind, b.table, b.row, b.cell, b.text) for b in read_report(path).blocks]
    assert cells == [
        ("paragraph", None, None, None, "Bảng 1. Hồ sơ theo tháng"),
        ("cell", 1, 1, 1, "Chỉ tiêu"),
        ("cell", 1, 1, 2, "Tháng 7"),
        ("cell", 1, 1, 3, "Cộng Quý III"),
        ("cell", 1, 2, 1, "Tiếp nhận"),
        ("cell", 1, 2, 2, "204"),
        ("cell", 1, 2, 3, "682"),
        ("cell", 2, 1, 1, "Chỉ tiêu"),
        ("cell", 2, 1, 2, "Quý I"),
        ("cell", 2, 1, 3, "6 tháng"),
        ("cell", 2, 2, 1, "Hồ sơ tiếp nhận"),
        ("cell", 2, 2, 2, "1.087"),
        ("cell", 2, 2, 3, "2.318"),
        ("paragraph", None, None, None, "Ghi chú: số liệu | tạm tính | đến 14/9."),
    ]
