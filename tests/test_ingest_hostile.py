"""Hostile and messy inputs, one behaviour at a time: the per-file boundary, encodings and delimiters,
malformed lines, typed cells, columns by header, identities and the messages that say what to do.
(`test_bad_inputs_corpus.py` runs a whole corpus of such files through one pipeline run.)"""

from __future__ import annotations

import codecs
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook

from pipelines.core.vietnamese import NumberProblem, read_number
from pipelines.ingest import cells, dossier_exports, staffing
from pipelines.ingest.dossier_exports import ingest_dossier_file
from pipelines.ingest.staffing import identity_check, ingest_staffing, normalise_citizen_id, pseudonym
from pipelines.ingest.submissions import FormParser, ingest_form, ingest_forms
from pipelines.ingest.textfiles import detect_encoding
from pipelines.narrative import ingest as narrative_reports
from pipelines.narrative.ingest import ingest_report
from pipelines.quality.suites import load_suites
from pipelines.reference import CommuneResolver
from pipelines.tools.sample.staffing import STAFFING_HEADERS
from tests.test_ingest_bad_inputs import OFFICIAL

HEADER = (
    "Mã hồ sơ,Đơn vị tiếp nhận,Ngày tiếp nhận,Hình thức nộp,Hạn xử lý,Ngày hoàn thành,Trạng thái,"
    "Số hóa khi tiếp nhận"
)


def _row(code: str, unit: str = "Xã Minh Long", digitised: str = "Có") -> str:
    dates = "05/07/2025 08:00:00,Trực tuyến,08/07/2025 17:00:00,07/07/2025 10:00:00"
    return f"{code},{unit},{dates},Đã giải quyết,{digitised}"


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def _quarantine(con) -> list[tuple]:
    return con.execute(
        "select reason_code, source_row, field, raw_value from raw.quarantine order by 2, 1"
    ).fetchall()


def _register(con) -> list[tuple]:
    return con.execute(
        "select status, rows_in, rows_loaded, rows_quarantined, detected from raw.ingested_files"
    ).fetchall()


def _dossiers(con) -> list[tuple]:
    return con.execute(
        "select dossier_code, commune_name, source_row from raw.dossiers order by source_row"
    ).fetchall()


def _cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: base letters precomposed, tone marks combining."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for ch in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + "".join(c for c in parts if c in tones))
    return "".join(out).encode("cp1258")


# ---------------------------------------------------------------- the per-file boundary


def test_an_unexpected_error_in_one_export_rejects_only_that_file(con, tmp_path, monkeypatch):
    for name in ("a.csv", "b.csv", "c.csv"):
        (tmp_path / name).write_text("\n".join([HEADER, _row(f"HS-{name}")]) + "\n", encoding="utf-8")
    real = dossier_exports._stage_csv

    def explode_on_b(con, path, *args):
        if path.name == "b.csv":
            raise TypeError("something nobody foresaw")
        return real(con, path, *args)

    monkeypatch.setattr(dossier_exports, "_stage_csv", explode_on_b)
    results = [
        ingest_dossier_file(con, tmp_path / n, tmp_path / "archive") for n in ("a.csv", "b.csv", "c.csv")
    ]
    assert [r.status for r in results] == ["loaded", "rejected", "loaded"]
    assert "TypeError" in results[1].message
    detail = con.execute("select error_detail from raw.ingested_files where status = 'rejected'").fetchall()[
        0
    ][0]
    assert "something nobody foresaw" in detail and "Traceback" in detail
    assert _quarantine(con) == [("unexpected_error", None, None, None)]
    assert len(_dossiers(con)) == 2


def test_an_error_while_landing_rolls_the_file_back_and_rejects_it(con, tmp_path, monkeypatch):
    path = tmp_path / "a.csv"
    path.write_text("\n".join([HEADER, _row("HS-1")]) + "\n", encoding="utf-8")

    def broken_land(*args, **kwargs):
        con.execute("insert into raw.dossiers select * from raw.dossiers")  # half a landing …
        raise RuntimeError("disk full")  # … then a failure

    monkeypatch.setattr(dossier_exports, "_land", broken_land)
    assert ingest_dossier_file(con, path, tmp_path / "archive").status == "rejected"
    assert _register(con)[0][0] == "rejected" and _dossiers(con) == []


def test_an_unexpected_error_in_one_form_of_a_parallel_parse_costs_only_that_form(tmp_path, monkeypatch):
    from pipelines.reference import read_seed
    from pipelines.tools.sample.forms import Form, FormRow, write_form

    indicators = read_seed("ref_indicators")
    paths = []
    for i, commune in enumerate(["Xã Minh Long", "Xã Ba Gia", "Xã An Phú"]):
        form = Form(commune, "2025-Q3", "01/07/2025", "30/09/2025", "03/10/2025")
        form.rows = [FormRow("DOS_RECEIVED", "Tổng", "hồ sơ", 570 + i)]
        write_form(form, tmp_path / f"f{i}.xlsx", indicators)
        paths.append(tmp_path / f"f{i}.xlsx")
    bad = tmp_path / "f1.xlsx"
    real = FormParser.parse

    def parse(self, path, detected=None):
        if path == bad:
            raise KeyError("an openpyxl internal")
        return real(self, path, detected)

    monkeypatch.setattr(FormParser, "parse", parse)
    con = duckdb.connect()
    results = ingest_forms(con, paths, tmp_path / "archive", FormParser.from_seeds(), workers=1)
    assert [r.status for r in results] == ["loaded", "rejected", "loaded"]
    assert con.execute("select reason_code from raw.quarantine").fetchall() == [("unexpected_error",)]


def test_an_unexpected_error_in_a_staffing_list_or_a_report_rejects_only_it(con, tmp_path, monkeypatch):
    good = _staffing(tmp_path / "staffing_2025-Q3.xlsx", [OFFICIAL])
    monkeypatch.setattr(staffing, "filled_sheets", lambda *a: (_ for _ in ()).throw(MemoryError("x")))
    result = ingest_staffing(con, good, tmp_path / "a", CommuneResolver.from_seeds(), "k")
    assert result.status == "rejected" and "MemoryError" in result.message
    report = tmp_path / "bao-cao.txt"
    report.write_text("UBND XÃ MINH LONG\nBÁO CÁO Quý III năm 2025\nTiếp nhận 570 hồ sơ.\n", encoding="utf-8")
    monkeypatch.setattr(narrative_reports, "extract_report", lambda p: 1 / 0)
    assert ingest_report(con, report, tmp_path / "a").status == "rejected"
    assert [r[0] for r in _quarantine(con)] == ["unexpected_error", "unexpected_error"]


def test_a_symlink_is_refused_without_being_read_or_archived(con, tmp_path):
    secret = tmp_path / "elsewhere.csv"
    secret.write_text("\n".join([HEADER, _row("HS-SECRET")]) + "\n", encoding="utf-8")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "dossiers_2025-Q3.csv").symlink_to(secret)
    result = ingest_dossier_file(con, inbox / "dossiers_2025-Q3.csv", tmp_path / "archive")
    assert result.status == "rejected" and _quarantine(con)[0][0] == "symlink"
    assert not (tmp_path / "archive").exists() and _dossiers(con) == []


def test_bytes_rejected_before_are_reported_again_every_time(con, tmp_path):
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_bytes(b"")
    first = ingest_dossier_file(con, tmp_path / "a.csv", tmp_path / "archive")
    second = ingest_dossier_file(con, tmp_path / "b.csv", tmp_path / "archive")
    assert first.status == second.status == "rejected"
    assert "b.csv" in second.message and "0 byte" in second.message


# ---------------------------------------------------------------- encodings, delimiters, lines


@pytest.mark.parametrize(
    ("encode", "expected"),
    [
        (lambda t: t.encode("utf-8"), "utf-8"),
        (lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), "utf-8-sig"),
        (lambda t: t.encode("utf-16"), "utf-16"),
        (lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), "utf-16"),
        (lambda t: t.encode("utf-16-le"), "utf-16-le"),
        (_cp1258, "cp1258"),
    ],
)
def test_dossier_csvs_in_every_encoding_offices_save_land_the_same(con, tmp_path, encode, expected):
    text = "\r\n".join([HEADER, _row("HS-1", "Xã Đăk R'Ve"), _row("HS-2", "Phường Cẩm Thành")]) + "\r\n"
    path = tmp_path / "e.csv"
    path.write_bytes(encode(text))
    assert detect_encoding(path).name == expected
    result = ingest_dossier_file(con, path, tmp_path / "archive")
    assert (result.status, result.rows_loaded) == ("loaded", 2), result.message
    assert _dossiers(con) == [("HS-1", "Xã Đăk R'Ve", 2), ("HS-2", "Phường Cẩm Thành", 3)]
    assert f"encoding={expected}" in _register(con)[0][4]


def test_a_windows_1252_file_is_not_taken_for_vietnamese(tmp_path):
    path = tmp_path / "e.csv"
    path.write_bytes("Code;Unité;Reçu le\nA-1;Café Noël à Paris;05/07/2025\n".encode("cp1252"))
    assert detect_encoding(path).name == "cp1252"
    vietnamese = tmp_path / "v.csv"
    vietnamese.write_bytes(_cp1258("Mã;Đơn vị;Ngày\nA-1;Xã Ơn Dũng;05/07/2025\n"))
    assert detect_encoding(vietnamese).name == "cp1258"


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_semicolon_tab_and_pipe_delimited_exports_land(con, tmp_path, delimiter):
    lines = [HEADER.replace(",", delimiter), _row("HS-1").replace(",", delimiter)]
    path = tmp_path / "e.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert ingest_dossier_file(con, path, tmp_path / "a").rows_loaded == 1


def test_title_lines_above_the_header_are_skipped_and_rows_keep_their_line_numbers(con, tmp_path):
    lines = ["DANH SÁCH HỒ SƠ QUÝ III", "Xuất ngày 01/10/2025", "", HEADER, _row("HS-1"), _row("HS-2")]
    path = tmp_path / "e.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ingest_dossier_file(con, path, tmp_path / "a")
    assert [r[2] for r in _dossiers(con)] == [5, 6]
    assert "header_line=4" in _register(con)[0][4]


def test_a_malformed_line_is_quarantined_as_that_line_and_the_rest_loads(con, tmp_path):
    lines = [
        HEADER,
        _row("HS-1"),
        _row("HS-2", "Xã Minh Long, huyện cũ"),  # an unquoted comma: one field too many
        _row("HS-3"),
        "HS-4,Xã Minh Long,05/07/2025",  # fields missing
        _row("HS-5"),
        'HS-6,"Xã Minh Long',  # a quote never closed: the rest of the file is inside it
        _row("HS-7"),
    ]
    path = tmp_path / "e.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ingest_dossier_file(con, path, tmp_path / "a")
    assert (result.rows_loaded, result.rows_quarantined) == (3, 3)
    quarantined = _quarantine(con)
    assert [(q[0], q[1]) for q in quarantined] == [
        ("malformed_line", 3),
        ("malformed_line", 5),
        ("malformed_line", 7),
    ]
    assert quarantined[0][3].startswith("HS-2,Xã Minh Long, huyện cũ")
    assert "HS-7" in quarantined[2][3]  # nothing lost: the swallowed line is in the quarantined text
    assert [r[2] for r in _dossiers(con)] == [2, 4, 6]  # good rows keep their line numbers past the bad ones
    assert _register(con)[0][1:4] == (6, 3, 3)


def test_a_file_cut_off_mid_line_says_after_which_line(con, tmp_path):
    text = "\n".join([HEADER, _row("HS-1"), _row("HS-2"), _row("HS-3")[:25]])
    path = tmp_path / "e.csv"
    path.write_text(text, encoding="utf-8")
    result = ingest_dossier_file(con, path, tmp_path / "a")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    message = con.execute("select message_vi from raw.quarantine").fetchall()[0][0]
    assert _quarantine(con)[0][:2] == ("truncated_line", 4) and "sau dòng 3" in message


def test_nul_bytes_hold_back_their_row_instead_of_cutting_its_text(con, tmp_path):
    lines = [HEADER, _row("HS-1"), _row("HS-2", "Xã Minh\x00 Long"), _row("HS-3")]
    path = tmp_path / "e.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ingest_dossier_file(con, path, tmp_path / "a")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    assert _quarantine(con)[0][:2] == ("control_character", 3)


@pytest.mark.parametrize(
    ("header", "reason", "named"),
    [
        (HEADER + ",Mã hồ sơ", "duplicate_header", "Mã hồ sơ"),
        (HEADER.replace("Mã hồ sơ", "Mã hồ sơ,Số hồ sơ"), "duplicate_header", "Số hồ sơ"),
        (HEADER + ",", "blank_header", "cột I"),
    ],
)
def test_duplicated_and_blank_headers_are_named_in_the_rejection(con, tmp_path, header, reason, named):
    extra = "," + ("HS-X" if reason != "blank_header" else "giá trị lạ")
    path = tmp_path / "e.csv"
    path.write_text("\n".join([header, _row("HS-1") + extra]) + "\n", encoding="utf-8")
    result = ingest_dossier_file(con, path, tmp_path / "a")
    assert result.status == "rejected" and named in result.message
    assert _quarantine(con)[0][0] == reason


def test_a_blank_header_over_an_empty_column_is_ignored(con, tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("\n".join([HEADER + ",", _row("HS-1") + ","]) + "\n", encoding="utf-8")
    assert ingest_dossier_file(con, path, tmp_path / "a").rows_loaded == 1


def test_an_injected_header_is_kept_as_text_and_runs_nothing(con, tmp_path):
    target = tmp_path / "stolen.csv"
    evil = f"x'); copy (select 42) to '{target}'; --"
    path = tmp_path / "e.csv"
    path.write_text("\n".join([HEADER + f',"{evil}"', _row("HS-1") + ",v"]) + "\n", encoding="utf-8")
    assert ingest_dossier_file(con, path, tmp_path / "a").rows_loaded == 1
    assert not target.exists()
    extra = con.execute("select extra_columns from raw.dossiers").fetchall()[0][0]
    assert evil in extra


def test_xlsx_exports_read_typed_cells(con, tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Báo cáo hồ sơ"])
    sheet.append(HEADER.split(","))
    sheet.append(
        [
            12345,
            "Xã Minh Long",
            datetime(2025, 7, 5, 8, 0, 0, 500),
            "Trực tuyến",
            45846.7,
            None,
            "Đang giải quyết",
            True,
        ]
    )
    sheet.append(
        ["HS-2", "Xã Minh Long", "05/07/2025", "Trực tuyến", "08/07/2025", None, "Đang giải quyết", False]
    )
    for _ in range(3000):  # a template formatted far down: no rows
        sheet.append([None] * 8)
    sheet.cell(row=3005, column=1).number_format = "@"
    workbook.save(tmp_path / "export.xlsx")
    result = ingest_dossier_file(con, tmp_path / "export.xlsx", tmp_path / "a")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 0), _quarantine(con)
    rows = con.execute(
        "select dossier_code, received_at, due_at, is_intake_digitised from raw.dossiers order by 1"
    ).fetchall()
    assert rows[0] == ("12345", datetime(2025, 7, 5, 8, 0), datetime(2025, 7, 8, 16, 48), True)
    assert rows[1][3] is False


def _error_cell(sheet, ref: str, text: str) -> None:
    sheet[ref] = text
    sheet[ref].data_type = "e"  # what Excel writes for a formula that failed: <c t="e"><v>#N/A</v></c>


def test_an_error_cell_is_read_as_written_never_as_a_blank(con, tmp_path):
    """The fast reader (calamine) gives `#N/A` as an empty string, and an empty completion date is a
    dossier still open: a workbook with an error cell is read by openpyxl, so the row is held back for its
    unreadable date instead of landing as open."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    for code, day in (("HS-1", 5), ("HS-2", 6)):
        received, due = datetime(2025, 7, day, 8), datetime(2025, 7, day + 3, 17)
        sheet.append([code, "Xã Minh Long", received, "Trực tuyến", due, None, "Đang giải quyết", True])
    _error_cell(sheet, "F2", "#N/A")
    path = tmp_path / "export.xlsx"
    workbook.save(path)
    assert cells.has_error_cells(path)
    result = ingest_dossier_file(con, path, tmp_path / "a")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert _quarantine(con) == [("invalid_value", 2, "finished_at", "#N/A")]
    workbook.active["F2"].data_type = "n"
    workbook.active["F2"].value = None
    workbook.save(path)
    assert not cells.has_error_cells(path)


def test_the_fast_reader_gives_what_openpyxl_gives(tmp_path, monkeypatch):
    """Every kind of value, blank rows and columns before the data, a merged range running past the last
    value, a chart-less second sheet: the same rows through calamine as through openpyxl."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Danh sách"
    sheet["C3"] = "Đơn vị"
    sheet["D3"] = "Ngày"
    sheet["E3"] = "Số"
    values = [
        datetime(2025, 7, 5, 8, 0),
        datetime(2025, 7, 5, 23, 59, 59),
        datetime(2025, 12, 31, 0, 0, 1),
        datetime(2024, 2, 29, 12, 30, 0, 500),
        date(2025, 1, 1),
    ]
    for row, when in enumerate(values, start=4):
        sheet.cell(row=row, column=4, value=when)
    for row, number in enumerate(
        [5, 5.0, 0.1 + 0.2, -3, 12345678901, 1e20, True, False, "  x  ", "Đắk Hà"], 4
    ):
        sheet.cell(row=row, column=5, value=number)
    sheet["D10"].value = 0.75
    sheet["D10"].number_format = "hh:mm"
    sheet["C4"] = "Xã Ba Tơ"
    sheet.merge_cells("C4:C20")
    second = workbook.create_sheet("Ghi chú")
    second["A1"] = "ghi chú"
    path = tmp_path / "values.xlsx"
    workbook.save(path)

    def read() -> tuple:
        sheets = [(title, _trimmed(rows)) for title, rows in cells.filled_sheets(path)]
        rows = [(n, _trimmed([r])[0]) for n, r in cells.data_rows(path, 0, 3)]
        return sheets, rows, cells.find_sheet_header(path, lambda texts: len([t for t in texts if t]))

    fast = read()
    monkeypatch.setattr(cells, "_calamine_sheets", lambda _: None)
    assert fast == read()
    assert fast[0][0][1][18] == (None, None, "Xã Ba Tơ")  # the merged value, past the last other value


def _trimmed(rows: list[tuple]) -> list[tuple]:
    """Rows without trailing blanks: openpyxl pads every row to the sheet's width and reads formatted
    empty rows, calamine stops at the last value; neither is a value."""
    out = [tuple(r[: max((i + 1 for i, v in enumerate(r) if v is not None), default=0)]) for r in rows]
    while out and not out[-1]:
        out.pop()
    return out


def test_an_unreadable_yes_no_holds_back_its_row_instead_of_becoming_null(con, tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("\n".join([HEADER, _row("HS-1", digitised="hình như có")]) + "\n", encoding="utf-8")
    ingest_dossier_file(con, path, tmp_path / "a")
    assert _quarantine(con) == [("invalid_value", 2, "is_intake_digitised", "hình như có")]


# ---------------------------------------------------------------- what a misnamed file is


def _encrypted_office_bytes() -> bytes:
    return (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + "EncryptedPackage".encode("utf-16-le") + bytes(500)
    )


@pytest.mark.parametrize(
    ("content", "reason", "says"),
    [
        (b"", "empty_file", "0 byte"),
        ("Mã chỉ tiêu,Tử số,Mẫu số\nDOS_RECEIVED,5,\n".encode(), "csv_named_xlsx", "CSV"),
        (_encrypted_office_bytes(), "password_protected", "mật khẩu"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000), "legacy_xls", ".xls"),
        (b"%PDF-1.4\n...", "wrong_file_type", "PDF"),
        (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "wrong_file_type", "HTML"),
        (b"PK\x03\x04" + bytes(200), "truncated_file", "cắt cụt"),
    ],
)
def test_a_misnamed_or_damaged_workbook_is_told_what_it_is(tmp_path, content, reason, says):
    path = tmp_path / "phu-luc.xlsx"
    path.write_bytes(content)
    con = duckdb.connect()
    result = ingest_form(con, path, tmp_path / "a", FormParser.from_seeds())
    assert result.status == "rejected" and says in result.message
    assert _quarantine(con)[0][0] == reason


def test_a_workbook_cut_off_in_transfer_is_truncated_not_foreign(tmp_path):
    from pipelines.reference import read_seed
    from pipelines.tools.sample.forms import Form, FormRow, write_form

    good = tmp_path / "good.xlsx"
    form = Form("Xã Minh Long", "2025-Q3", "01/07/2025", "30/09/2025", "03/10/2025")
    form.rows = [FormRow("DOS_RECEIVED", "Tổng", "hồ sơ", 570)]
    write_form(form, good, read_seed("ref_indicators"))
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    con = duckdb.connect()
    ingest_form(con, cut, tmp_path / "a", FormParser.from_seeds())
    assert _quarantine(con)[0][0] == "truncated_file"


# ---------------------------------------------------------------- forms: typed cells, columns by header


def _workbook_form(
    path: Path,
    header: list[str],
    rows: list[list[object]],
    *,
    title_rows: int = 2,
    period: object = "Quý III năm 2025",
    sheet_first: str | None = None,
    formats: dict[tuple[int, int], str] | None = None,
) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    if sheet_first:
        sheet.title = sheet_first
        sheet.append(["Hướng dẫn điền biểu mẫu"])
        sheet = workbook.create_sheet("Phụ lục 2")
    for _ in range(title_rows):
        sheet.append(["PHỤ LỤC CHỈ TIÊU"])
    sheet.append([None, "Đơn vị báo cáo:", "Xã Minh Long"])
    sheet.append([None, "Kỳ báo cáo:", period])
    sheet.append([None, "Số liệu tính từ ngày:", 45839, "đến ngày:", datetime(2025, 9, 30)])
    sheet.append(header)
    first = sheet.max_row + 1
    for row in rows:
        sheet.append(row)
    for (r, c), number_format in (formats or {}).items():
        sheet.cell(row=first + r, column=c).number_format = number_format
    workbook.save(path)
    return path


FORM_HEADER = ["STT", "Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", "Tử số", "Mẫu số", "Tỷ lệ (%)", "Ghi chú"]


def _values(con) -> dict[str, tuple]:
    rows = con.execute(
        "select indicator_code, numerator, numerator_text, denominator, reported_rate, reported_rate_text"
        " from raw.submission_values"
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def _parse(con, path: Path, tmp_path: Path):
    return ingest_form(con, path, tmp_path / "a", FormParser.from_seeds())


def test_a_percentage_cell_holds_the_fraction_and_is_read_as_the_rate_it_shows(con, tmp_path):
    path = _workbook_form(
        tmp_path / "f.xlsx",
        FORM_HEADER,
        [
            [1, "DOS_ONLINE_RATE", "Tỷ lệ", "%", 429, 570, 0.936],
            [2, "DOS_LATE_RATE", "Trễ", "%", 1, 544, 0.0018382],
        ],
        formats={(0, 7): "0.0%", (1, 7): "0.00%"},
    )
    _parse(con, path, tmp_path)
    values = _values(con)
    assert values["DOS_ONLINE_RATE"][3:] == (Decimal("93.6"), "93,6%")
    assert values["DOS_LATE_RATE"][4] == "0,18%"


def test_columns_are_found_by_header_inserted_reordered_and_swapped(con, tmp_path):
    header = ["STT", "Mã chỉ tiêu", "Nhóm", "Tên chỉ tiêu", "Mẫu số", "Tử số", "Ghi chú", "Tỷ lệ (%)"]
    path = _workbook_form(
        tmp_path / "f.xlsx", header, [[1, "DOS_ONLINE_RATE", "A", "Tỷ lệ", 570, 429, "", "75,26%"]]
    )
    result = _parse(con, path, tmp_path)
    assert result.rows_loaded == 1
    assert _values(con)["DOS_ONLINE_RATE"][0::2][:2] == (Decimal(429), Decimal(570))
    assert "ignored_columns=Nhóm" in _register(con)[0][4]


def test_a_table_on_another_sheet_under_title_rows_is_found(con, tmp_path):
    path = _workbook_form(
        tmp_path / "f.xlsx",
        FORM_HEADER,
        [[1, "DOS_RECEIVED", "Tổng", "hồ sơ", "1,059"]],
        title_rows=5,
        sheet_first="Hướng dẫn",
    )
    assert _parse(con, path, tmp_path).rows_loaded == 1
    assert _values(con)["DOS_RECEIVED"][:2] == (Decimal(1059), "1,059")
    assert "sheet=Phụ lục 2" in _register(con)[0][4]


def test_a_two_row_header_is_read_as_one(con, tmp_path):
    workbook_path = _workbook_form(
        tmp_path / "f.xlsx",
        ["STT", "Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", "Số liệu", None, "Tỷ lệ (%)"],
        [
            [None, None, None, None, "Tử số", "Mẫu số", None],
            [1, "DOS_ONLINE_RATE", "Tỷ lệ", "%", 429, 570, "75,26%"],
        ],
    )
    _parse(con, workbook_path, tmp_path)
    assert _values(con)["DOS_ONLINE_RATE"][2] == Decimal(570)


def test_trailing_formatted_rows_are_no_rows(con, tmp_path):
    rows = [[i, code, "x", "hồ sơ", 5] for i, code in enumerate(["DOS_RECEIVED", "DOS_ONLINE"], 1)]
    path = _workbook_form(
        tmp_path / "f.xlsx", FORM_HEADER, rows, formats={(r, 5): "#,##0" for r in range(2, 5002)}
    )
    result = _parse(con, path, tmp_path)
    assert (result.status, result.rows_loaded) == ("loaded", 2), result.message


def test_excel_serial_and_typed_dates_in_the_header_are_dates(con, tmp_path):
    path = _workbook_form(tmp_path / "f.xlsx", FORM_HEADER, [[1, "DOS_RECEIVED", "x", "hồ sơ", 5]])
    _parse(con, path, tmp_path)
    assert con.execute("select coverage_from, coverage_to from raw.submissions").fetchall() == [
        (date(2025, 7, 1), date(2025, 9, 30))
    ]


@pytest.mark.parametrize("period", [datetime(2025, 7, 1), 3, "tháng 7"])
def test_a_period_cell_that_is_no_period_rejects_the_form_with_what_it_holds(con, tmp_path, period):
    path = _workbook_form(
        tmp_path / "f.xlsx", FORM_HEADER, [[1, "DOS_RECEIVED", "x", "hồ sơ", 5]], period=period
    )
    result = _parse(con, path, tmp_path)
    assert result.status == "rejected" and "Quý III năm 2025" in result.message
    assert _quarantine(con)[0][0] == "period_unreadable"


@pytest.mark.parametrize(
    ("code", "numerator", "rate", "reason", "field"),
    [
        ("DOS_RECEIVED", "1,5", None, "not_whole_number", "numerator"),
        ("DOS_RECEIVED", "12345678901234567890123", None, "number_too_large", "numerator"),
        ("DOS_RECEIVED", 1.2e22, None, "number_too_large", "numerator"),
        ("DOS_ONLINE_RATE", 429, "12,345", "ambiguous_number", "reported_rate"),
        ("DOS_RECEIVED", True, None, "invalid_number", "numerator"),
        ("DOS_RECEIVED", "=A1+1", None, "formula_without_value", "numerator"),
        ("DOS_RECEIVED", datetime(2025, 1, 1), None, "invalid_number", "numerator"),
    ],
)
def test_a_value_that_cannot_be_read_as_meant_holds_back_its_row(
    con, tmp_path, code, numerator, rate, reason, field
):
    rows = [[1, code, "x", "", numerator, 570, rate], [2, "DOS_ONLINE", "y", "hồ sơ", 429]]
    result = _parse(con, _workbook_form(tmp_path / "f.xlsx", FORM_HEADER, rows), tmp_path)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    got = _quarantine(con)[0]
    assert (got[0], got[2]) == (reason, field.replace("reported_rate", "rate"))


def test_a_figure_merged_down_over_two_indicators_rows_holds_both_back(con, tmp_path):
    """`2` typed once in a cell merged over the in-person and the postal rows: which indicator it counts
    cannot be read (copying it down would invent two postal dossiers); the rows of one indicator's code and
    sub-rows keep their own rule (the indicator twice)."""
    from openpyxl import load_workbook

    rows = [
        [1, "DOS_IN_PERSON", "Trực tiếp", "hồ sơ", 2],
        [2, "DOS_POSTAL", "Bưu chính", "hồ sơ", None],
        [3, "DOS_RECEIVED", "Tiếp nhận", "hồ sơ", 5],
    ]
    path = _workbook_form(tmp_path / "f.xlsx", FORM_HEADER, rows)
    workbook = load_workbook(path)
    workbook.active.merge_cells("E7:E8")
    workbook.save(path)
    result = _parse(con, path, tmp_path)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 2)
    assert [(q[0], q[1], q[2]) for q in _quarantine(con)] == [
        ("ambiguous_number", 7, "numerator"),
        ("ambiguous_number", 8, "numerator"),
    ]
    assert set(_values(con)) == {"DOS_RECEIVED"}


@pytest.mark.parametrize(
    ("rate", "numerator", "denominator", "read"),
    [
        (0.9981, 1057, 1059, Decimal("99.81")),  # a share pasted as its fraction: what 1057/1059 says
        (0.998111425873466, 1057, 1059, Decimal("99.8111")),  # read to six places, as every rate
        (93.68, 1057, 1128, Decimal("93.68")),  # a percentage written as a number stays as written
        (0.5, 1, 200, Decimal("0.5")),  # 1 of 200 is 0,5 %: the fraction agrees as written
        (0.99, 1057, 1059, Decimal("0.99")),  # not the fraction to the digits written: left to the checks
        (0.9981, None, None, Decimal("0.9981")),  # no fraction beside it: nothing says it is one
    ],
)
def test_a_rate_typed_as_a_fraction_in_a_general_cell_is_read_by_its_own_fraction(
    con, tmp_path, rate, numerator, denominator, read
):
    rows = [[1, "DOS_ONLINE_RATE", "Tỷ lệ trực tuyến", "%", numerator, denominator, rate]]
    _parse(con, _workbook_form(tmp_path / "f.xlsx", FORM_HEADER, rows), tmp_path)
    assert _values(con)["DOS_ONLINE_RATE"][3] == read


def test_a_flag_reads_true_false_and_yes_no(con, tmp_path):
    rows = [[1, "VC_TERMINAL_READY", "Điểm cầu", "có/không", True]]
    _parse(con, _workbook_form(tmp_path / "f.xlsx", FORM_HEADER, rows), tmp_path)
    assert _values(con)["VC_TERMINAL_READY"][:2] == (Decimal(1), "TRUE")


def test_signature_lines_and_section_headings_are_no_rows(con, tmp_path):
    rows = [
        ["I", None, "HỒ SƠ THỦ TỤC HÀNH CHÍNH"],
        [1, "DOS_RECEIVED", "x", "hồ sơ", 5],
        [None, None, "Người lập biểu", None, None, None, "CHỦ TỊCH"],
    ]
    result = _parse(con, _workbook_form(tmp_path / "f.xlsx", FORM_HEADER, rows), tmp_path)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)


def test_a_csv_form_in_windows_1258_with_semicolons_lands(con, tmp_path):
    lines = [
        "PHỤ LỤC",
        ";Đơn vị báo cáo:;Xã Minh Long",
        ";Kỳ báo cáo:;Quý III/2025",
        "STT;Mã chỉ tiêu;Tên;Đơn vị tính;Tử số;Mẫu số;Tỷ lệ (%);Ghi chú",
        "1;DOS_RECEIVED;Tổng số hồ sơ;hồ sơ;1.059;;;",
        "2;DOS_ONLINE_RATE;Tỷ lệ;%;543;544;99,82%;đúng",
    ]
    path = tmp_path / "f.csv"
    path.write_bytes(_cp1258("\r\n".join(lines)))
    assert _parse(con, path, tmp_path).rows_loaded == 2
    values = _values(con)
    assert values["DOS_RECEIVED"][0] == Decimal(1059) and values["DOS_ONLINE_RATE"][3] == Decimal("99.82")


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("1,059", "count", Decimal(1059)),
        ("1.059", "count", Decimal(1059)),
        ("1 059", "count", Decimal(1059)),
        ("99,81", "rate", Decimal("99.81")),
        ("99.81%", "rate", Decimal("99.81")),
        ("1.234,5", "rate", Decimal("1234.5")),
        ("100.000.000đ", "money", Decimal(100_000_000)),
        ("85 triệu đồng", "money", Decimal(85_000_000)),
        ("1,2 tỷ", "money", Decimal(1_200_000_000)),
    ],
)
def test_numbers_are_read_for_their_kind(text, kind, value):
    assert read_number(text, kind) == value


@pytest.mark.parametrize(
    ("text", "kind", "reason"),
    [
        ("12,345", "rate", "ambiguous_number"),
        ("1,5", "count", "not_whole_number"),
        ("1,05,9", "count", "invalid_number"),
    ],
)
def test_numbers_that_cannot_be_read_as_meant_say_why(text, kind, reason):
    with pytest.raises(NumberProblem) as problem:
        read_number(text, kind)
    assert problem.value.reason == reason


# ---------------------------------------------------------------- staffing: columns and identity


def _staffing(
    path: Path, rows: list[list[object]], headers: list[str] = STAFFING_HEADERS, title: bool = False
) -> Path:
    workbook = Workbook()
    if title:
        workbook.active.append(["DANH SÁCH CÁN BỘ, CÔNG CHỨC"])
        workbook.active.append([])
    workbook.active.append(headers)
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


@pytest.mark.parametrize(
    ("education", "it"),
    [
        ("Đại học CNTT", True),  # the abbreviation every office uses
        ("Thạc sĩ HTTT", True),
        ("Kỹ sư Khoa học máy tính", True),
        ("Trung cấp Hành chính; Chứng chỉ Tin học B", False),  # a certificate is no IT education
        ("ĐH Luật; Chứng chỉ ứng dụng CNTT cơ bản", False),
        ("Đại học Luật", False),
    ],
)
def test_it_education_is_a_degree_in_an_it_field_written_in_full_or_short(education, it):
    assert staffing.has_it_education(education) is it


def test_a_role_column_headed_only_by_its_group_is_the_digital_transformation_role(con, tmp_path):
    """`Chuyển đổi số` merged over `Vai trò | Tập huấn kỹ năng số | Chứng thư số`: the role is its column."""
    from openpyxl import load_workbook

    headers = [*STAFFING_HEADERS]
    headers[headers.index("Vai trò chuyển đổi số")] = "Vai trò"
    path = _staffing(tmp_path / "staffing_2025-Q3.xlsx", [OFFICIAL], headers=headers)
    workbook = load_workbook(path)
    sheet = workbook.active
    sheet.insert_rows(1)
    role = headers.index("Vai trò") + 1
    sheet.cell(row=1, column=2, value="Thông tin cá nhân")
    sheet.merge_cells(start_row=1, start_column=2, end_row=1, end_column=role - 1)
    sheet.cell(row=1, column=role, value="Chuyển đổi số")
    sheet.merge_cells(start_row=1, start_column=role, end_row=1, end_column=role + 2)
    workbook.save(path)
    result = ingest_staffing(con, path, tmp_path / "a", CommuneResolver.from_seeds(), "k")
    assert (result.status, result.rows_loaded) == ("loaded", 1), result.message
    assert con.execute("select dt_role from raw.staffing").fetchall() == [("dedicated",)]


@pytest.mark.parametrize(
    ("written", "normalised", "status"),
    [
        (51090000001, "051090000001", "valid"),
        (51090000001.0, "051090000001", "valid"),
        ("051 090 000 001", "051090000001", "valid"),
        ("051.090.000.001", "051090000001", "valid"),
        ("051090000001.0", "051090000001", "valid"),
        ('="051090000001"', "051090000001", "valid"),  # a system's text for Excel, kept as text
        ("212345678", "212345678", "wrong_length"),
        ("05109000000A", "05109000000A", "not_digits"),
        (None, None, "missing"),
    ],
)
def test_citizen_ids_are_normalised_before_the_pseudonym(written, normalised, status):
    assert normalise_citizen_id(written) == (normalised, status)


def test_an_id_stored_as_a_number_gives_the_same_person_key(con, tmp_path):
    as_number = OFFICIAL[:4] + [51090000001] + OFFICIAL[5:]
    path = _staffing(tmp_path / "staffing_2025-Q3.xlsx", [as_number], title=True)
    ingest_staffing(con, path, tmp_path / "a", CommuneResolver.from_seeds(), "k")
    (key,) = con.execute("select person_key from raw.staffing").fetchall()[0]
    assert key == pseudonym("k", "051090000001", "Nguyễn Văn An", "01/02/1990")


def test_shared_and_malformed_ids_are_findings_that_never_show_the_id(con, tmp_path):
    other = [2, "Trần Thị Bình", "03/04/1992"] + OFFICIAL[3:]  # the same ID as Nguyễn Văn An
    short = [3, "Lê Văn Cường", "05/06/1985", "0911111111", "05109000001"] + OFFICIAL[5:]
    path = _staffing(tmp_path / "staffing_2025-Q3.xlsx", [OFFICIAL, other, short])
    result = ingest_staffing(con, path, tmp_path / "a", CommuneResolver.from_seeds(), "k")
    assert result.rows_loaded == 3
    suite = next(s for s in load_suites() if s.name == "raw_staffing")
    shared = con.execute(suite.rule_query("STAFF_ID_SHARED")).fetchall()
    invalid = con.execute(suite.rule_query("STAFF_ID_INVALID")).fetchall()
    assert len(shared) == 1 and len(invalid) == 1
    everything = repr(shared) + repr(invalid)
    for personal in ("051090000001", "05109000001", "Nguyễn", "Trần"):
        assert personal not in everything


def test_the_same_person_twice_is_no_shared_id(con, tmp_path):
    path = _staffing(tmp_path / "staffing_2025-Q3.xlsx", [OFFICIAL, [2] + OFFICIAL[1:]])
    ingest_staffing(con, path, tmp_path / "a", CommuneResolver.from_seeds(), "k")
    suite = next(s for s in load_suites() if s.name == "raw_staffing")
    assert con.execute(suite.rule_query("STAFF_ID_SHARED")).fetchall() == []


def test_staffing_columns_by_header_in_any_order_on_any_sheet(con, tmp_path):
    headers = list(reversed(STAFFING_HEADERS))
    workbook = Workbook()
    workbook.active.title = "Ghi chú"
    sheet = workbook.create_sheet("DS cán bộ")
    sheet.append(["Danh sách"])
    sheet.append(headers)
    sheet.append(list(reversed(OFFICIAL)))
    workbook.save(tmp_path / "staffing_2025-Q3.xlsx")
    result = ingest_staffing(
        con, tmp_path / "staffing_2025-Q3.xlsx", tmp_path / "a", CommuneResolver.from_seeds(), "k"
    )
    assert result.rows_loaded == 1
    assert con.execute("select dt_role from raw.staffing").fetchall() == [("dedicated",)]


def test_a_staffing_list_with_two_name_columns_is_refused_naming_them(con, tmp_path):
    headers = STAFFING_HEADERS + ["Họ tên"]
    path = _staffing(tmp_path / "staffing_2025-Q3.xlsx", [OFFICIAL + ["Nguyễn An"]], headers=headers)
    result = ingest_staffing(con, path, tmp_path / "a", CommuneResolver.from_seeds(), "k")
    assert result.status == "rejected" and "Họ tên" in result.message
    assert _quarantine(con)[0][0] == "duplicate_header"


def test_a_raw_figure_column_an_older_version_made_narrower_is_widened_without_loss():
    """Raw figures are one type everywhere (`core/rows.py`); a warehouse whose form values table was created
    as decimal(20, 4) is brought to it in place, its rows kept."""
    from pipelines.core.rows import FIGURE, use_column_types

    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute("create table raw.v (k varchar primary key, numerator decimal(20, 4), note varchar)")
    con.execute("insert into raw.v values ('a', 1234567.5, 'x')")
    use_column_types(con, "raw.v", {"numerator": FIGURE})
    assert con.execute("select typeof(numerator), numerator from raw.v").fetchall() == [
        ("DECIMAL(24,6)", Decimal("1234567.500000"))
    ]
    use_column_types(con, "raw.v", {"numerator": FIGURE})  # already its type: left alone
    con.execute("insert into raw.v values ('b', 999999999999999999.5, null)")  # 18 whole digits fit


def _sheets_workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        sheet.append(STAFFING_HEADERS)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def test_a_staffing_workbook_with_a_sheet_per_commune_lands_every_sheet_but_a_copy_once(con, tmp_path):
    other = [2, "Trần Thị Bình", "03/04/1988", "", "051088000002", "Xã Sơn Hà"] + OFFICIAL[6:]
    per_commune = _sheets_workbook(
        tmp_path / "staffing_2025-Q3.xlsx", {"Minh Long": [OFFICIAL], "Sơn Hà": [other]}
    )
    result = ingest_staffing(con, per_commune, tmp_path / "a", CommuneResolver.from_seeds(), "k")
    assert result.rows_loaded == 2
    assert con.execute("select source_row from raw.staffing order by 1").fetchall() == [(2,), (3,)]
    # bad case: a second sheet that repeats a commune of the first (a backup copy) is not read again
    copy = _sheets_workbook(
        tmp_path / "staffing_2025-Q2.xlsx", {"DS": [OFFICIAL, other], "DS (2)": [OFFICIAL]}
    )
    result = ingest_staffing(con, copy, tmp_path / "b", CommuneResolver.from_seeds(), "k")
    assert result.rows_loaded == 2


def test_a_staffing_list_typed_in_tcvn3_is_read_as_the_clerk_saw_it(con, tmp_path):
    """`.VnTime` text (TCVN3 stored as Latin-1 characters) is converted; Unicode text is never touched."""
    from pipelines.core.vietnamese import _TCVN3, from_tcvn3, looks_tcvn3

    assert from_tcvn3("Hä vµ tªn") == "Họ và tên" and from_tcvn3("§¬n vÞ") == "Đơn vị"
    assert not looks_tcvn3(["Họ và tên", "Xã Trà Giang", "Ho va ten"])
    codes = {letter: code for code, letter in _TCVN3.items()}

    def typed(text):  # as the ABC keyboard stored it: no capital with a tone mark of its own
        return "".join(codes.get(c, codes.get(c.lower(), c)) for c in text) if isinstance(text, str) else text

    workbook = Workbook()
    workbook.active.append([typed("Danh sách cán bộ")])
    workbook.active.append([typed(h) for h in STAFFING_HEADERS])
    workbook.active.append([typed(v) for v in OFFICIAL])
    workbook.save(tmp_path / "staffing_2025-Q3.xlsx")
    result = ingest_staffing(
        con, tmp_path / "staffing_2025-Q3.xlsx", tmp_path / "a", CommuneResolver.from_seeds(), "k"
    )
    assert result.rows_loaded == 1
    assert con.execute("select commune_id, dt_role from raw.staffing").fetchall() == [("QNG035", "dedicated")]


def test_a_header_over_two_rows_names_each_column_by_its_parent_and_child():
    from pipelines.ingest.cells import two_row_names

    above = ["Mã hồ sơ", "Ngày", "", "", "Số hóa", "", "Ghi chú"]
    below = ["", "tiếp nhận", "hẹn trả kết quả", "hoàn thành", "khi tiếp nhận", "kết quả", ""]
    assert two_row_names(above, below) == [
        "Mã hồ sơ",
        "Ngày tiếp nhận",
        "Ngày hẹn trả kết quả",
        "Ngày hoàn thành",
        "Số hóa khi tiếp nhận",
        "Số hóa kết quả",
        "Ghi chú",
    ]


def test_a_value_merged_down_fills_the_rows_with_values_of_their_own_and_makes_no_row_past_them(tmp_path):
    from pipelines.ingest import cells

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Đơn vị", "Mã hồ sơ"])
    sheet.append(["Xã Ba Tơ", "HS-1"])
    sheet.append([None, "HS-2"])
    sheet.merge_cells("A2:A10")  # the unit merged down past the last dossier
    path = tmp_path / "merged.xlsx"
    workbook.save(path)
    rows = [(n, tuple(v for v in r if v is not None)) for n, r in cells.data_rows(path, 0, 1)]
    assert rows == [(2, ("Xã Ba Tơ", "HS-1")), (3, ("Xã Ba Tơ", "HS-2"))]


def _dated(code: str, received: str, due: str, finished: str) -> str:
    return f"{code},Xã Minh Long,{received},Trực tuyến,{due},{finished},Đã giải quyết,Có"


def test_an_export_written_month_first_is_read_month_first_throughout(con, tmp_path):
    """A US-locale export: `5/22/2025` can only be month first, so `5/6/2025` in the same file is 6 May,
    never 5 June; an export with one date that only reads day first stays day first."""
    us = tmp_path / "dossiers_2025-Q2_us.csv"
    us.write_text(
        "\n".join(
            [
                HEADER,
                _dated("US-1", "5/6/2025 8:00:00 AM", "5/22/2025 5:00:00 PM", "5/20/2025 9:30:00 AM"),
                _dated("US-2", "4/2/2025 8:00:00 AM", "4/7/2025 5:00:00 PM", ""),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = ingest_dossier_file(con, us, tmp_path / "a")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 0)
    assert "month first" in result.detected
    assert con.execute("select received_at from raw.dossiers where dossier_code = 'US-1'").fetchall() == [
        (datetime(2025, 5, 6, 8, 0),)
    ]
    # bad case: one date only reads day first (22/5/2025), so nothing is read month first
    mixed = tmp_path / "dossiers_2025-Q2_mixed.csv"
    mixed.write_text(
        "\n".join(
            [
                HEADER,
                _dated("MX-1", "5/6/2025 08:00:00", "22/5/2025 17:00:00", ""),
                _dated("MX-2", "5/22/2025 08:00:00", "30/5/2025 17:00:00", ""),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = ingest_dossier_file(con, mixed, tmp_path / "b")
    assert "month first" not in result.detected
    assert con.execute("select received_at from raw.dossiers where dossier_code = 'MX-1'").fetchall() == [
        (datetime(2025, 6, 5, 8, 0),)
    ]
    assert ("invalid_value", "received_at") in {(r[0], r[2]) for r in _quarantine(con)}


# ---------------------------------------------------------------- round 7 of the blind corpus, by kind


@pytest.mark.parametrize(
    ("head", "named"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "JPEG"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "HEIC"),
        (b"7z\xbc\xaf\x27\x1c\x00\x04", "7-Zip"),
        (b"Rar!\x1a\x07\x01\x00", "RAR"),
    ],
)
def test_a_photo_or_an_archive_under_an_office_or_text_name_is_the_wrong_file_named(
    con, tmp_path, head, named
):
    """A photo of the form or a chat app's archive sent instead of the file: refused as the wrong file,
    named for what it is (before: 'an unknown binary file', not_xlsx or unreadable_text)."""
    parser = FormParser.from_seeds()
    form = tmp_path / "phu-luc.xlsx"
    form.write_bytes(head + bytes(range(256)) * 4)
    assert ingest_form(con, form, tmp_path / "a", parser).status == "rejected"
    export = tmp_path / "dossiers_2025-Q3.csv"
    export.write_bytes(head + bytes(range(256)) * 5)  # other bytes: one file is not the other again
    assert ingest_dossier_file(con, export, tmp_path / "a").status == "rejected"
    messages = con.execute("select reason_code, message_vi from raw.quarantine").fetchall()
    assert [reason for reason, _ in messages] == ["wrong_file_type", "wrong_file_type"]
    assert all(named in message for _, message in messages)


def test_a_zip_archive_without_a_workbook_under_an_xlsx_name_is_the_wrong_file(con, tmp_path):
    import zipfile

    path = tmp_path / "thu-muc.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("bao-cao/phu-luc.txt", "not a workbook")
    result = ingest_form(con, path, tmp_path / "a", FormParser.from_seeds())
    assert result.status == "rejected" and "zip" in result.message
    assert con.execute("select reason_code from raw.quarantine").fetchall() == [("wrong_file_type",)]


def test_a_dossier_code_excel_turned_into_scientific_notation_is_held_back(con, tmp_path):
    """`7,7E+12`: Excel made a long numeric code a number and printed it so; its last digits are gone, so the
    row is held back, never landed under a code that is not the dossier's."""
    path = tmp_path / "dossiers_2025-Q3.csv"
    lines = [HEADER, _row('"7,7E+12"'), _row("7.71234E+12"), _row("000770000123456"), _row("1E5-A")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = ingest_dossier_file(con, path, tmp_path / "a")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 2)
    assert [code for code, _, _ in _dossiers(con)] == ["000770000123456", "1E5-A"]
    assert _quarantine(con) == [
        ("invalid_value", 2, "dossier_code", "7,7E+12"),
        ("invalid_value", 3, "dossier_code", "7.71234E+12"),
    ]


@pytest.mark.parametrize(
    ("number_format", "percent", "decimals"),
    [
        ("0.00%", True, 2),
        ("[Red]0%", True, 0),
        ("[$-42A]0.00%", True, 2),
        ('0.00"%"', False, 2),  # a clerk's sign printed after a rate typed as 75,26
        ('0.0" %"', False, 1),
        ("0.00\\%", False, 2),
        ("#,##0", False, 0),
        ("General", False, None),
    ],
)
def test_only_a_real_percentage_format_scales_the_cell(number_format, percent, decimals):
    """Excel shows a value times 100 only for a `%` of the format itself; one in quotes or escaped is
    printed as it is, so 75,26 under `0.00"%"` is the rate 75,26, never 7.526."""
    from pipelines.ingest.submissions import _is_percent_format, _number_format_decimals

    assert _is_percent_format(number_format) is percent
    assert _number_format_decimals(number_format) == decimals


# ---------------------------------------------------------------- round 8: office tools' habits


def test_a_time_of_day_in_a_column_of_its_own_is_joined_to_its_date(con, tmp_path):
    """`Ngày tiếp nhận` and `Giờ tiếp nhận` apart: one field, the day of one at the time of the other (never
    two columns for one field). A time written several ways reads alike; an unreadable one holds the row back
    under the date field; `Giờ tiếp nhận` alone, with no date column, is the field itself."""
    header = "Mã hồ sơ,Đơn vị tiếp nhận,Ngày tiếp nhận,Giờ tiếp nhận,Hình thức nộp,Hạn xử lý,Trạng thái"
    rest = "Trực tuyến,08/07/2025 17:00:00,Đang giải quyết"
    rows = [
        f"HS-1,Xã Minh Long,05/07/2025,08:30,{rest}",
        f"HS-2,Xã Minh Long,05/07/2025,14:05:09,{rest}",
        f"HS-3,Xã Minh Long,05/07/2025,,{rest}",
        f"HS-4,Xã Minh Long,05/07/2025,0.75,{rest}",
        f"HS-5,Xã Minh Long,05/07/2025,sáng,{rest}",
    ]
    path = tmp_path / "dossiers_2025-Q3.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    result = ingest_dossier_file(con, path, tmp_path / "archive")
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 4, 1)
    received = con.execute(
        "select dossier_code, received_at, extra_columns from raw.dossiers order by 1"
    ).fetchall()
    assert [(code, at) for code, at, _ in received] == [
        ("HS-1", datetime(2025, 7, 5, 8, 30)),
        ("HS-2", datetime(2025, 7, 5, 14, 5, 9)),
        ("HS-3", datetime(2025, 7, 5)),
        ("HS-4", datetime(2025, 7, 5, 18, 0)),
    ]
    assert {extra for _, _, extra in received} == {None}  # the time column is no extra column
    assert [(r[0], r[2]) for r in _quarantine(con)] == [("invalid_value", "received_at")]
    alone = tmp_path / "dossiers_2025-Q4.csv"
    alone.write_text(
        "Mã hồ sơ,Đơn vị tiếp nhận,Giờ tiếp nhận,Hình thức nộp,Hạn xử lý,Trạng thái\n"
        f"HS-6,Xã Minh Long,06/10/2025 09:15,{rest}\n",
        encoding="utf-8",
    )
    assert ingest_dossier_file(con, alone, tmp_path / "archive").rows_loaded == 1
    assert con.execute("select received_at from raw.dossiers where dossier_code = 'HS-6'").fetchall() == [
        (datetime(2025, 10, 6, 9, 15),)
    ]


def _word_report(
    path: Path, rename: dict[str, str] | None = None, replace: tuple[bytes, bytes] = (b"", b"")
) -> Path:
    """A short Word report of Minh Long's Q3; its package rewritten: parts renamed (`rename`), and
    `replace` = (old, new) applied to the content types and the package relationships."""
    import zipfile

    import docx

    document = docx.Document()
    for line in (
        "UBND XÃ MINH LONG",
        "BÁO CÁO Quý III năm 2025",
        "Tiếp nhận 570 hồ sơ, trực tuyến 429 hồ sơ.",
    ):
        document.add_paragraph(line)
    document.save(str(path))
    with zipfile.ZipFile(path) as archive:
        items = [(item.filename, archive.read(item)) for item in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in items:
            if name in ("[Content_Types].xml", "_rels/.rels") and replace[0]:
                data = data.replace(*replace)
            out.writestr((rename or {}).get(name, name), data)
    return path


def test_a_word_template_filled_in_and_renamed_is_read(con, tmp_path):
    """The package's main part declared a template (`.dotx`), as a filled-in outline is."""
    path = _word_report(tmp_path / "bao-cao-quy-3.docx", replace=(b"document.main+xml", b"template.main+xml"))
    result = ingest_report(con, path, tmp_path / "a")
    assert result.status == "loaded", result.message
    assert result.rows_loaded >= 2


def _tcvn3(text: str) -> bytes:
    """Text as the old ABC keyboard's .VnTime fonts store it: one byte a letter; a capital with a tone mark
    is its small letter's byte, which the capitals' font (.VnTimeH) draws as a capital."""
    from pipelines.core.vietnamese import _TCVN3

    encode = {unicode: code for code, unicode in _TCVN3.items()}
    letters = unicodedata.normalize("NFC", text)
    return "".join(encode.get(c) or encode.get(c.lower()) or c for c in letters).encode("latin-1")


def test_a_plain_text_report_in_tcvn3_is_read_and_windows_vietnamese_stays_as_it_is(con, tmp_path):
    text = (
        "UBND XÃ MINH LONG\nBÁO CÁO KẾT QUẢ THỰC HIỆN CHUYỂN ĐỔI SỐ Quý III năm 2025\n\n"
        "Trong quý, xã đã tiếp nhận 570 hồ sơ của người dân, trong đó trực tuyến 429 hồ sơ.\n"
    )
    old = tmp_path / "bao-cao-abc.txt"
    old.write_bytes(_tcvn3(text))
    windows = tmp_path / "bao-cao-1258.txt"
    windows.write_bytes(_cp1258(text))
    for path in (old, windows):
        result = ingest_report(con, path, tmp_path / "a")
        assert result.status == "loaded", result.message
    stored = con.execute("select commune_id, period_key from raw.narrative_reports order by 1").fetchall()
    assert len(stored) == 2 and stored[0] == stored[1] and stored[0][1] == "2025-Q3"


def test_a_period_with_a_roman_numeral_character_is_read():
    from pipelines.core.vietnamese import parse_period

    assert parse_period("Quý \u2161 năm 2025") == parse_period("Quý II năm 2025") == "2025-Q2"
    assert parse_period("Quý \u2173 năm 2025") == "2025-Q4"
    assert parse_period("Quý \u216b năm 2025") is None  # Ⅻ: no quarter


# ---------------------------------------------------------------- round 9: more office habits


def test_a_footnote_mark_after_a_figure_is_no_digit(tmp_path):
    """`429¹` (a superscript character, which NFKC makes a digit) and `74` + a superscript run `2` (rich
    text, which reads as 742) are 429 and 74; a text that is also written without the mark elsewhere is
    left as it is (which cell is which cannot be told)."""
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    from pipelines.ingest.cells import superscript_footnotes

    assert read_number("429\u00b9", "count") == Decimal(429)
    assert read_number("570*", "count") == Decimal(570)
    assert read_number("1.059", "count") == Decimal(1059)
    mark = InlineFont(vertAlign="superscript")
    workbook = Workbook()
    sheet = workbook.active
    sheet["A1"] = CellRichText(["74", TextBlock(mark, "2")])
    sheet["A2"] = CellRichText(["570", TextBlock(mark, "(1)")])
    sheet["A3"] = CellRichText(["12", TextBlock(mark, "3")])
    sheet["A4"] = "123"  # the same text as A3, written plain: left alone
    path = tmp_path / "form.xlsx"
    workbook.save(path)
    assert superscript_footnotes(path) == {"742": "74", "570(1)": "570"}


def test_a_money_figure_is_read_with_the_unit_its_row_gives():
    from pipelines.ingest.submissions import Cell, _in_dong

    def dong(text: str, unit: str) -> Decimal | None:
        return _in_dong((read_number(text, "money"), text), Cell(unit))[0]

    assert dong("100", "triệu đồng") == Decimal(100_000_000)
    assert dong("2", "Tỷ đồng") == Decimal(2_000_000_000)
    assert dong("250", "nghìn đồng") == Decimal(250_000)
    assert dong("100", "đồng") == dong("100", "") == Decimal(100)
    assert dong("100 triệu", "triệu đồng") == Decimal(100_000_000)  # the figure names its scale
    assert dong("100.000.000", "triệu đồng") == Decimal(100_000_000)  # typed in đồng whatever the column says


def test_a_tab_around_a_dossier_value_is_padding(con, tmp_path):
    path = tmp_path / "dossiers_2025-Q3.csv"
    path.write_text(HEADER + "\n" + _row("\tHS-TAB-1") + "\n" + _row("HS-TAB-2\t") + "\n", encoding="utf-8")
    assert ingest_dossier_file(con, path, tmp_path / "archive").rows_loaded == 2
    assert [code for code, _, _ in _dossiers(con)] == ["HS-TAB-1", "HS-TAB-2"]


def test_a_summary_sent_for_the_dossier_list_is_named_for_its_missing_columns(tmp_path):
    """Its `Trước hạn` and `Đúng hạn` may map to one field; what it lacks is the list's columns."""
    from pipelines.ingest.register import IngestError

    headers = ["STT", "Đơn vị", "Tiếp nhận", "Trước hạn", "Đúng hạn", "Trễ hạn", "Tỷ lệ đúng hạn"]
    with pytest.raises(IngestError) as raised:
        dossier_exports.map_header(headers, tmp_path / "dossiers_2025-Q2.xlsx", 4)
    assert raised.value.reason == "missing_required_column"


def test_mail_merge_headers_and_a_quarter_before_its_year_in_the_name(con, tmp_path):
    """A list whose headers were renamed for a Word mail merge (`HO_VA_TEN`, no spaces, no diacritics) and
    named `staffing_Q2-2025` is read as the usual one, for 2025-Q2."""
    from pipelines.ingest.cells import header_key

    assert header_key("HO_VA_TEN") == header_key("Ho va ten")
    merged = [header_key(h).replace(" ", "_").upper() for h in STAFFING_HEADERS]
    path = _staffing(tmp_path / "staffing_Q2-2025.xlsx", [OFFICIAL], headers=merged)
    result = ingest_staffing(con, path, tmp_path / "a", CommuneResolver.from_seeds(), "k")
    assert (result.status, result.rows_loaded) == ("loaded", 1), result.message
    assert con.execute("select distinct period_key from raw.staffing").fetchall() == [("2025-Q2",)]


def test_an_email_is_refused_as_one_whether_outlook_kept_it_or_it_was_saved_as_text(con, tmp_path):
    outlook = tmp_path / "bao-cao.msg"
    outlook.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600
    )  # OLE2, as Outlook stores a message
    saved = tmp_path / "bao-cao.txt"
    saved.write_text(
        "Return-Path: <vanthu@example.vn>\nFrom: Van thu <vanthu@example.vn>\nTo: sokhcn@example.vn\n"
        "Subject: Bao cao CDS quy II\nDate: Mon, 7 Jul 2025 08:00:00 +0700\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="b1"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\n'
        "UBND xã Minh Long báo cáo quý II năm 2025: tiếp nhận 570 hồ sơ.\n--b1--\n",
        encoding="utf-8",
    )
    for path, reason in ((outlook, "unsupported_extension"), (saved, "wrong_file_type")):
        assert ingest_report(con, path, tmp_path / "a").status == "rejected"
        assert con.execute(
            "select reason_code from raw.quarantine q join raw.ingested_files f on f.sha256 = q.file_sha256 "
            "where f.original_path like ?",
            [f"%{path.name}"],
        ).fetchall() == [(reason,)]


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}} B\\'c1O C\\'c1O qu\\'fd III}", "RTF"),
        (b"<html><body><p>B\xc3\x81O C\xc3\x81O</p></body></html>", "HTML"),
    ],
)
def test_an_e_office_download_saved_as_doc_is_named_for_what_it_is(con, tmp_path, content, named):
    """The e-office's "download" of a report, a web page or its Rich Text, saved with a `.doc` name: refused
    as that kind of file (open it in Word, save as .docx), not as an old Word document, nor as a type not
    taken."""
    path = tmp_path / "bao-cao.doc"
    path.write_bytes(content)
    assert ingest_report(con, path, tmp_path / "a").status == "rejected"
    reason, message = con.execute("select reason_code, message_vi from raw.quarantine").fetchall()[0]
    assert reason == "wrong_file_type" and named in message and ".docx" in message


def test_a_word_for_the_web_document_whose_main_part_is_document2_is_read(con, tmp_path):
    renamed = {
        "word/document.xml": "word/document2.xml",
        "word/_rels/document.xml.rels": "word/_rels/document2.xml.rels",
    }
    path = _word_report(tmp_path / "bao-cao.docx", renamed, (b"word/document.xml", b"word/document2.xml"))
    result = ingest_report(con, path, tmp_path / "a")
    assert result.status == "loaded", result.message


def test_codes_a_number_format_prints_are_held_back_never_landed_as_their_numbers(con, tmp_path):
    """A workbook whose code cells hold 1, 2… under the format `"HS-2025-"000` shows HS-2025-001: the value
    is not the code, and `1` would collide with every other register's first dossier. Such rows are held
    back under the code; a code typed as text beside them lands, and a workbook with no such format keeps
    its numeric codes."""
    header = ["Mã hồ sơ", "Đơn vị tiếp nhận", "Ngày tiếp nhận", "Hình thức nộp", "Hạn xử lý", "Trạng thái"]
    rest = ["Xã Minh Long", "05/07/2025 08:00:00", "Trực tuyến", "08/07/2025 17:00:00", "Đang giải quyết"]

    def export(name: str, prefixed: bool) -> Path:
        workbook = Workbook()
        sheet = workbook.active
        sheet.append(header)
        for code in (1, 2, "HS-2025-TEXT"):
            sheet.append([code, *rest])
            if prefixed and isinstance(code, int):
                sheet.cell(sheet.max_row, 1).number_format = '"HS-2025-"000'
        workbook.save(tmp_path / name)
        return tmp_path / name

    result = ingest_dossier_file(con, export("dossiers_2025-Q3.xlsx", True), tmp_path / "archive")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 2)
    assert [r[0] for r in _dossiers(con)] == ["HS-2025-TEXT"]
    assert [(r[0], r[2], r[3]) for r in _quarantine(con)] == [
        ("invalid_value", "dossier_code", "1"),
        ("invalid_value", "dossier_code", "2"),
    ]
    plain = ingest_dossier_file(con, export("dossiers_2025-Q4.xlsx", False), tmp_path / "archive")
    assert plain.rows_loaded == 3


def test_a_role_given_as_two_tick_columns_is_read_from_the_tick(con, tmp_path):
    """An older list has `Chuyên trách CĐS` and `Kiêm nhiệm CĐS` with an `x` in one of them, or in neither:
    the tick is the role (none without one); a tick in both is not one role and is held back."""
    role_at = STAFFING_HEADERS.index("Vai trò chuyển đổi số")
    headers = [
        *STAFFING_HEADERS[:role_at],
        "Chuyên trách CĐS",
        "Kiêm nhiệm CĐS",
        *STAFFING_HEADERS[role_at + 1 :],
    ]

    def official(number: int, dedicated: str, concurrent: str) -> list[object]:
        row = list(OFFICIAL)
        row[0], row[4] = number, f"05109000000{number}"
        return [*row[:role_at], dedicated, concurrent, *row[role_at + 1 :]]

    rows = [official(1, "x", ""), official(2, "", "X"), official(3, "", ""), official(4, "x", "x")]
    path = _staffing(tmp_path / "staffing_2025-Q3.xlsx", rows, headers=headers)
    result = ingest_staffing(con, path, tmp_path / "a", CommuneResolver.from_seeds(), "k")
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 3, 1), result.message
    roles = con.execute("select source_row, dt_role from raw.staffing order by source_row").fetchall()
    assert [role for _, role in roles] == ["dedicated", "concurrent", "none"]
    assert [(r[0], r[2]) for r in _quarantine(con)] == [("invalid_value", "dt_role")]


def _vni(text: str) -> str:
    """Text as the VNI keyboard's VNI-Times fonts store it: a base letter, then a Latin-1 character for its
    marks (`Họ và tên` is `Hoï vaø teân`); ơ, ư, đ and the i's with a tone are one character each."""
    from pipelines.core.vietnamese import _VNI_LETTERS, _VNI_MARKS

    letters = {unicode: code for code, unicode in _VNI_LETTERS.items()}
    marks = {
        unicodedata.normalize("NFD", "a" + combining)[1:]: code for code, combining in _VNI_MARKS.items()
    }
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char in letters:
            out.append(letters[char])
            continue
        base, *combining = unicodedata.normalize("NFD", char)
        if "\u031b" in combining:  # the horn: ơ and ư are letters of their own
            combining.remove("\u031b")
            base = letters[unicodedata.normalize("NFC", base + "\u031b")]
        mark = marks[unicodedata.normalize("NFD", "a" + "".join(combining))[1:]] if combining else ""
        out.append(base + (mark.upper() if base.isupper() else mark.lower()))
    return "".join(out)


def test_a_staffing_list_and_a_report_typed_in_vni_times_are_read_as_the_clerk_saw_them(con, tmp_path):
    """VNI shares its bytes with TCVN3: each list is read the way that gives more Vietnamese words."""
    import docx

    assert _vni("Họ và tên") == "Hoï vaø teân" and _vni("ĐỔI SỐ") == "ÑOÅI SOÁ"
    official = [_vni(v) if isinstance(v, str) else v for v in OFFICIAL]
    path = _staffing(
        tmp_path / "staffing_2025-Q3.xlsx", [official], headers=[_vni(h) for h in STAFFING_HEADERS]
    )
    result = ingest_staffing(con, path, tmp_path / "a", CommuneResolver.from_seeds(), "k")
    assert (result.status, result.rows_loaded) == ("loaded", 1), result.message
    assert "VNI" in result.detected
    report = tmp_path / "bao-cao.docx"
    document = docx.Document()
    for line in (
        "UBND XÃ MINH LONG",
        "BÁO CÁO KẾT QUẢ CHUYỂN ĐỔI SỐ Quý III năm 2025",
        "Tiếp nhận 570 hồ sơ.",
    ):
        document.add_paragraph(_vni(line))
    document.save(str(report))
    assert ingest_report(con, report, tmp_path / "a").status == "loaded"
    assert con.execute("select period_key from raw.narrative_reports").fetchall() == [("2025-Q3",)]


def test_one_official_typed_with_and_without_marks_is_one_person_for_the_id_check():
    """`Người Thử 1913` typed again on a phone without Vietnamese input (`Nguoi Thu 1913`), or with the tone
    placed otherwise (`Thùy`/`Thuỳ`), is the same person; another name or birth date is not."""
    same = identity_check("k", "Người Thử 1913", "1980-05-01")
    assert identity_check("k", "Nguoi Thu 1913", "1980-05-01") == same
    assert identity_check("k", "NGƯỜI  THỬ 1913", "1980-05-01") == same
    assert identity_check("k", "Lê Thị Thùy", None) == identity_check("k", "Lê Thị Thuỳ", None)
    assert identity_check("k", "Người Thử 1914", "1980-05-01") != same
    assert identity_check("k", "Người Thử 1913", "1981-05-01") != same
