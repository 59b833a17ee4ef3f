"""Every bad input gets a clear, exact reason; the good rows of the same file still land."""

from __future__ import annotations

import shutil
import unicodedata
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook, load_workbook

from pipelines.core.vietnamese import parse_period
from pipelines.ingest import guards, submissions
from pipelines.ingest.dossier_exports import ingest_dossier_file
from pipelines.ingest.staffing import ingest_staffing, pseudonym
from pipelines.ingest.submissions import FormParser, ingest_form
from pipelines.reference import CommuneResolver, read_seed
from pipelines.tools.sample.forms import Form, FormRow, write_form
from pipelines.tools.sample.staffing import STAFFING_HEADERS

INDICATORS = read_seed("ref_indicators")


def _form(**changes) -> Form:
    form = Form(
        commune_written="Xã Minh Long",
        period_key="2025-Q3",
        coverage_from="01/07/2025",
        coverage_to="30/09/2025",
        submitted_on="03/10/2025",
    )
    form.rows = [
        FormRow("DOS_RECEIVED", "Tổng số hồ sơ", "hồ sơ", 570),
        FormRow("DOS_ONLINE", "Hồ sơ trực tuyến", "hồ sơ", 429),
        FormRow("DOS_ONLINE_RATE", "Tỷ lệ trực tuyến", "%", 429, 570, "75,26%"),
        FormRow("DOC_ELECTRONIC_RATE", "Văn bản điện tử", "%", "1.059", "1.059", "100%"),
    ]
    for key, value in changes.items():
        setattr(form, key, value)
    return form


@pytest.fixture
def parser() -> FormParser:
    return FormParser.from_seeds()


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def _ingest(con, path: Path, parser: FormParser, tmp_path: Path):
    return ingest_form(con, path, tmp_path / "archive", parser)


def _reasons(con) -> list[tuple]:
    return con.execute(
        "select reason_code, source_row, field, raw_value from raw.quarantine order by 2"
    ).fetchall()


def _landed(con) -> dict[str, tuple]:
    rows = con.execute("""select indicator_code, numerator, numerator_text, denominator, reported_rate,
                                 reported_rate_text, has_formula from raw.submission_values""").fetchall()
    return {r[0]: r[1:] for r in rows}


def _write(form: Form, path: Path) -> Path:
    write_form(form, path, INDICATORS)
    return path


# ---------------------------------------------------------------- whole-file rejections


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.xlsx", b"", "empty_file"),
        ("report.docx", b"PK\x03\x04 not a form", "unsupported_extension"),
        ("renamed.xlsx", "Đây là văn bản, không phải bảng tính".encode(), "not_xlsx"),
    ],
)
def test_unreadable_files_are_rejected_whole(con, parser, tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    result = _ingest(con, path, parser, tmp_path)
    assert result.status == "rejected" and name in result.message
    assert _reasons(con)[0][0] == reason
    assert con.execute("select status, rows_in from raw.ingested_files").fetchall() == [("rejected", 0)]
    assert (tmp_path / "archive" / f"{result.sha256}{path.suffix}").exists()  # the raw file is kept


def test_corrupt_zip_is_rejected(con, parser, tmp_path):
    good = _write(_form(), tmp_path / "good.xlsx")
    data = bytearray(good.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 40] = bytes(40)  # damage a compressed entry
    bad = tmp_path / "corrupt.xlsx"
    bad.write_bytes(bytes(data))
    assert _ingest(con, bad, parser, tmp_path).status == "rejected"
    assert _reasons(con)[0][0] in {"corrupt_file", "not_xlsx"}


def test_a_sheet_without_the_form_is_rejected_as_missing_header(con, parser, tmp_path):
    workbook = Workbook()
    workbook.active.append(["Báo cáo tháng", "số liệu sơ bộ"])
    workbook.save(tmp_path / "other.xlsx")
    _ingest(con, tmp_path / "other.xlsx", parser, tmp_path)
    assert _reasons(con)[0][0] == "missing_header_block"


def test_unknown_commune_is_rejected_with_the_name_as_written(con, parser, tmp_path):
    _ingest(con, _write(_form(commune_written="UBND xã Hòa Bình"), tmp_path / "f.xlsx"), parser, tmp_path)
    assert _reasons(con)[0][0] == "unknown_commune"
    assert _reasons(con)[0][3] == "UBND xã Hòa Bình"


def test_period_outside_the_calendar_is_rejected(con, parser, tmp_path):
    _ingest(con, _write(_form(period_key="2019-Q1"), tmp_path / "f.xlsx"), parser, tmp_path)
    assert _reasons(con)[0][:3] == ("period_not_in_calendar", None, "period")


def test_a_file_over_the_size_limit_is_rejected(con, parser, tmp_path, monkeypatch):
    monkeypatch.setattr(submissions, "MAX_FORM_BYTES", 1_000)
    _ingest(con, _write(_form(), tmp_path / "f.xlsx"), parser, tmp_path)
    assert _reasons(con)[0][0] == "file_too_large"


def test_a_zip_bomb_is_rejected(con, parser, tmp_path, monkeypatch):
    monkeypatch.setattr(guards, "MAX_XLSX_COMPRESSION_RATIO", 2)
    _ingest(con, _write(_form(), tmp_path / "f.xlsx"), parser, tmp_path)
    assert _reasons(con)[0][0] == "zip_bomb"


# ---------------------------------------------------------------- row-level problems: the rest lands


def test_text_in_a_numeric_cell_holds_back_only_that_row(con, parser, tmp_path):
    form = _form()
    form.rows[1].numerator = "khoảng bốn trăm"
    result = _ingest(con, _write(form, tmp_path / "f.xlsx"), parser, tmp_path)
    assert (result.rows_loaded, result.rows_quarantined) == (3, 1)
    assert _reasons(con) == [("invalid_number", 11, "numerator", "khoảng bốn trăm")]
    assert set(_landed(con)) == {"DOS_RECEIVED", "DOS_ONLINE_RATE", "DOC_ELECTRONIC_RATE"}


def test_unknown_indicator_code_holds_back_only_that_row(con, parser, tmp_path):
    form = _form()
    form.rows.append(FormRow("DOS_MAGIC", "Chỉ tiêu lạ", "hồ sơ", 5))
    result = _ingest(con, _write(form, tmp_path / "f.xlsx"), parser, tmp_path)
    assert (result.rows_loaded, result.rows_quarantined) == (4, 1)
    assert _reasons(con)[0][:3] == ("unknown_indicator", 14, "indicator_code")


def test_an_indicator_stated_twice_with_two_figures_lands_neither(con, parser, tmp_path):
    """Which of 570 and 999 the commune meant is not the ingest's to choose: both rows are held back."""
    form = _form()
    form.rows.append(FormRow("DOS_RECEIVED", "Tổng số hồ sơ", "hồ sơ", 999))
    _ingest(con, _write(form, tmp_path / "f.xlsx"), parser, tmp_path)
    assert sorted(r[:2] for r in _reasons(con)) == [("duplicate_indicator", 10), ("duplicate_indicator", 14)]
    assert "DOS_RECEIVED" not in _landed(con)


def test_an_indicator_stated_twice_with_the_same_figure_lands_once(con, parser, tmp_path):
    form = _form()
    form.rows.append(FormRow("DOS_RECEIVED", "Tổng số hồ sơ", "hồ sơ", 570))
    _ingest(con, _write(form, tmp_path / "f.xlsx"), parser, tmp_path)
    assert _reasons(con)[0][:2] == ("duplicate_indicator", 14)
    assert _landed(con)["DOS_RECEIVED"][0] == Decimal(570)


def test_vietnamese_numbers_keep_their_text_and_parse(con, parser, tmp_path):
    _ingest(con, _write(_form(), tmp_path / "f.xlsx"), parser, tmp_path)
    landed = _landed(con)
    assert landed["DOC_ELECTRONIC_RATE"][:2] == (Decimal(1059), "1.059")
    assert landed["DOS_ONLINE_RATE"][3:5] == (Decimal("75.26"), "75,26%")


def test_a_rate_printed_wrongly_lands_as_printed(con, parser, tmp_path):
    form = _form()
    form.rows[2] = FormRow("DOS_ONLINE_RATE", "Tỷ lệ", "%", 543, 544, "99,81%")
    _ingest(con, _write(form, tmp_path / "f.xlsx"), parser, tmp_path)
    assert _landed(con)["DOS_ONLINE_RATE"][4] == "99,81%"


@pytest.mark.parametrize(("numerator", "denominator"), [(-5, None), (580, 570)])
def test_wrong_but_readable_figures_land_as_written_for_the_checks_to_judge(
    con, parser, tmp_path, numerator, denominator
):
    form = _form()
    form.rows[1] = FormRow("DOS_ONLINE", "Hồ sơ trực tuyến", "hồ sơ", numerator, denominator)
    _ingest(con, _write(form, tmp_path / "f.xlsx"), parser, tmp_path)
    assert _landed(con)["DOS_ONLINE"][0] == Decimal(numerator)
    assert _reasons(con) == []


def test_formula_cells_are_flagged_and_never_evaluated(con, parser, tmp_path):
    path = _write(_form(), tmp_path / "f.xlsx")
    workbook = load_workbook(path)
    sheet = workbook.active
    sheet["E10"] = "=SUM(1,2)"
    sheet["H11"] = '=HYPERLINK("http://example.invalid","bấm vào đây")'
    workbook.save(path)
    result = _ingest(con, path, parser, tmp_path)
    # a number formula without a cached value is held back (never evaluated, never NULL in silence); a
    # formula in the note column only flags its row
    assert (result.rows_loaded, result.rows_quarantined) == (3, 1)
    assert _reasons(con) == [("formula_without_value", 10, "numerator", None)]
    landed = _landed(con)
    assert "DOS_RECEIVED" not in landed and landed["DOS_ONLINE"][5] is True
    notes = con.execute("select note from raw.submission_values where note like '=%'").fetchall()
    assert notes == []


def test_merged_cells_in_the_header_do_not_break_parsing(con, parser, tmp_path):
    path = _write(_form(), tmp_path / "f.xlsx")
    workbook = load_workbook(path)
    workbook.active.merge_cells("A1:H1")
    workbook.active.merge_cells("C4:D4")
    workbook.save(path)
    assert _ingest(con, path, parser, tmp_path).rows_loaded == 4


# ---------------------------------------------------------------- names, dates, versions


def test_nfd_and_variant_commune_names_resolve(con, parser, tmp_path):
    nfd = _form(commune_written=unicodedata.normalize("NFD", "UBND xã Minh Long"), nfd=True)
    _ingest(con, _write(nfd, tmp_path / "a.xlsx"), parser, tmp_path)
    _ingest(
        con,
        _write(_form(commune_written="Đắk Bla", submitted_on="04/10/2025"), tmp_path / "b.xlsx"),
        parser,
        tmp_path,
    )
    communes = {r[0] for r in con.execute("select commune_id from raw.submissions").fetchall()}
    assert communes == {
        CommuneResolver.from_seeds().resolve("Minh Long"),
        CommuneResolver.from_seeds().resolve("Phường Đăk Bla"),
    }


def test_dates_keep_their_text_and_impossible_years_parse_to_null(con, parser, tmp_path):
    form = _form(coverage_from="30/09/2025", coverage_to="01/07/20205", submitted_on="01/01/2031")
    _ingest(con, _write(form, tmp_path / "f.xlsx"), parser, tmp_path)
    row = con.execute("""select coverage_from, coverage_to, coverage_to_text, submitted_on
                         from raw.submissions""").fetchone()
    assert row == (date(2025, 9, 30), None, "01/07/20205", date(2031, 1, 1))


def test_the_same_bytes_twice_is_a_no_op_and_a_resubmission_keeps_both_versions(con, parser, tmp_path):
    first = _write(_form(), tmp_path / "v1.xlsx")
    assert _ingest(con, first, parser, tmp_path).status == "loaded"
    shutil.copy(first, tmp_path / "copy.xlsx")
    assert _ingest(con, tmp_path / "copy.xlsx", parser, tmp_path).status == "skipped"
    corrected = _form(submitted_on="08/10/2025")
    corrected.rows[0].numerator = 571
    _ingest(con, _write(corrected, tmp_path / "v2.xlsx"), parser, tmp_path)
    versions = con.execute("""select s.submitted_on, v.numerator from raw.submissions s
                              join raw.submission_values v using (file_sha256)
                              where v.indicator_code = 'DOS_RECEIVED' order by 1""").fetchall()
    assert versions == [(date(2025, 10, 3), Decimal(570)), (date(2025, 10, 8), Decimal(571))]


def test_forms_arrive_as_csv_too(con, parser, tmp_path):
    lines = [
        "PHỤ LỤC",
        ",Đơn vị báo cáo:,Xã Minh Long",
        ",Kỳ báo cáo:,Quý III/2025",
        "STT,Mã chỉ tiêu,Tên,Đơn vị tính,Tử số,Mẫu số,Tỷ lệ (%),Ghi chú",
        "1,DOS_RECEIVED,Tổng,hồ sơ,1.059,,,",
        '2,DOS_ONLINE_RATE,Tỷ lệ,%,543,544,"99,82%",',
    ]
    path = tmp_path / "f.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    assert _ingest(con, path, parser, tmp_path).rows_loaded == 2
    assert _landed(con)["DOS_RECEIVED"][0] == Decimal(1059)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Quý III năm 2025", "2025-Q3"),
        ("Quý 3/2025", "2025-Q3"),
        ("9 tháng đầu năm 2025", "2025-9M"),
        ("Năm 2025", "2025-Y"),
        ("Quý V năm 2025", None),
        ("tháng 7", None),
    ],
)
def test_period_wording(text, key):
    assert parse_period(text) == key


# ---------------------------------------------------------------- dossier rows the checks judge later


def test_duplicate_codes_and_finished_before_received_land_raw(con, tmp_path):
    header = "Mã hồ sơ,Đơn vị tiếp nhận,Ngày tiếp nhận,Hình thức nộp,Hạn xử lý,Ngày hoàn thành,Trạng thái"
    row = (
        "HS-9,Xã Minh Long,05/07/2025 08:00:00,Trực tuyến,08/07/2025 17:00:00,01/07/2025 10:00:00,"
        "Đã giải quyết"
    )
    path = tmp_path / "e.csv"
    path.write_text("\n".join([header, row, row]) + "\n", encoding="utf-8")
    result = ingest_dossier_file(con, path, tmp_path / "a")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 0)


# ---------------------------------------------------------------- staffing: personal data


def _staffing(path: Path, rows: list[list[object]]) -> Path:
    workbook = Workbook()
    workbook.active.append(STAFFING_HEADERS)
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


OFFICIAL = [
    1,
    "Nguyễn Văn An",
    "01/02/1990",
    "0912345678",
    "051090000001",
    "Xã Minh Long",
    "Phòng Văn hóa - Xã hội",
    "Công chức",
    "Đại học Công nghệ thông tin",
    "Chuyên trách",
    "Có",
    "Có",
]


def test_staffing_lands_pseudonymised_and_clear_values_stay_restricted(con, tmp_path):
    bad_role = OFFICIAL[:9] + ["Phó chủ tịch"] + OFFICIAL[10:]
    no_name = [2, None] + OFFICIAL[2:]
    path = _staffing(tmp_path / "staffing_2025-Q3.xlsx", [OFFICIAL, bad_role, no_name])
    result = ingest_staffing(con, path, tmp_path / "a", CommuneResolver.from_seeds(), "secret")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 2)
    assert [r[0] for r in _reasons(con)] == ["invalid_value", "missing_value"]
    staff = con.execute("select * from raw.staffing").fetchall()
    flat = " ".join(map(str, staff))
    for personal in ("Nguyễn Văn An", "0912345678", "051090000001", "01/02/1990"):
        assert personal not in flat
    assert staff[0][4] == pseudonym("secret", "051090000001", "Nguyễn Văn An", "01/02/1990")
    assert con.execute("select full_name from restricted.staffing_personal").fetchall() == [
        ("Nguyễn Văn An",)
    ]
    assert con.execute("select has_it_education, dt_role from raw.staffing").fetchone() == (True, "dedicated")


def test_pseudonyms_depend_on_the_secret():
    assert pseudonym("a", "051090000001", "x", None) != pseudonym("b", "051090000001", "x", None)
    assert pseudonym("a", None, "Nguyễn  Văn An", "01/02/1990") == pseudonym(
        "a", None, "nguyễn văn an", "01/02/1990"
    )


def test_staffing_file_without_a_period_is_rejected(con, tmp_path):
    path = _staffing(tmp_path / "danh_sach.xlsx", [OFFICIAL])
    assert ingest_staffing(con, path, tmp_path / "a", CommuneResolver.from_seeds(), "k").status == "rejected"
    assert _reasons(con)[0][0] == "missing_period"


def test_an_empty_or_oversized_dossier_export_is_rejected(con, tmp_path, monkeypatch):
    from pipelines.ingest import dossier_exports

    (tmp_path / "empty.csv").write_bytes(b"")
    assert ingest_dossier_file(con, tmp_path / "empty.csv", tmp_path / "a").status == "rejected"
    monkeypatch.setattr(dossier_exports, "MAX_EXPORT_BYTES", 10)
    (tmp_path / "big.csv").write_text("Mã hồ sơ\nHS-1\n", encoding="utf-8")
    assert ingest_dossier_file(con, tmp_path / "big.csv", tmp_path / "a").status == "rejected"
    assert [r[0] for r in _reasons(con)] == ["empty_file", "file_too_large"]


def test_parallel_parsing_lands_exactly_what_sequential_parsing_lands(small_sample, tmp_path, monkeypatch):
    from pipelines.ingest.submissions import form_files, ingest_forms

    files = form_files(small_sample / "submissions")
    landed = []
    for workers in (1, 2):
        monkeypatch.setattr(submissions, "PARALLEL_FROM", 1)
        connection = duckdb.connect()
        results = ingest_forms(connection, files, tmp_path / f"a{workers}", FormParser.from_seeds(), workers)
        values = connection.execute("select * exclude (file_sha256) from raw.submission_values order by all")
        landed.append(([(r.status, r.rows_loaded, r.message) for r in results], values.fetchall()))
    assert landed[0] == landed[1]
    assert any(status == "rejected" for status, _, _ in landed[1][0])  # an IngestError crossed processes


def test_a_workbook_without_a_worksheet_is_rejected_as_missing_sheet(con, parser, tmp_path):
    workbook = Workbook()
    workbook.create_chartsheet("Biểu đồ")
    workbook.remove(workbook.active)
    workbook.save(tmp_path / "chart_only.xlsx")
    result = _ingest(con, tmp_path / "chart_only.xlsx", parser, tmp_path)
    assert result.status == "rejected"
    assert _reasons(con)[0][0] == "missing_sheet"


def test_an_archived_copy_is_named_by_its_hash_whatever_the_file_is_called(con, parser, tmp_path):
    path = _write(_form(), tmp_path / "..%2f..%2fetc passwd.xlsx")
    result = _ingest(con, path, parser, tmp_path)
    archived = list((tmp_path / "archive").iterdir())
    assert [a.name for a in archived] == [f"{result.sha256}.xlsx"]
