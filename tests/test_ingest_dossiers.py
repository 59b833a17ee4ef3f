"""Dossier exports land row by row; bad rows and bad files are quarantined with file, row and field."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook

from pipelines.ingest.dossier_exports import export_files, ingest_dossier_file, map_header
from pipelines.ingest.register import IngestError

HEADER = (
    "Mã hồ sơ,Đơn vị tiếp nhận,Tên thủ tục,Lĩnh vực,Ngày tiếp nhận,Hình thức nộp,Hạn xử lý,"
    "Ngày hoàn thành,Trạng thái,Có thu phí,Số hóa khi tiếp nhận,Số hóa kết quả,Thanh toán trực tuyến"
)
PREFIX = "Xã Minh Long,Đăng ký khai sinh,Hộ tịch"
GOOD = (
    f"HS-1,{PREFIX},01/07/2025 08:00:00,Trực tuyến,02/07/2025 17:00:00,01/07/2025 10:00:00,"
    "Đã giải quyết,Không,Có,Có,Không"
)
BAD_DATE = (
    f"HS-2,{PREFIX},31/02/2025 08:00:00,Trực tiếp,02/07/2025 17:00:00,,Đang giải quyết,Không,Có,Không,Không"
)
BAD_CHANNEL = (
    f"HS-3,{PREFIX},02/07/2025 08:00:00,Bồ câu đưa thư,03/07/2025 17:00:00,,"
    "Đang giải quyết,Không,Có,Không,Không"
)


def _write(path: Path, *lines: str) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_good_rows_land_and_bad_rows_are_quarantined_with_row_and_field(tmp_path: Path):
    export = _write(tmp_path / "export.csv", HEADER, GOOD, BAD_DATE, BAD_CHANNEL)
    con = duckdb.connect()
    result = ingest_dossier_file(con, export, tmp_path / "archive")
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 1, 2)
    landed = con.execute(
        "select dossier_code, channel, status, received_at::varchar from raw.dossiers"
    ).fetchall()
    assert landed == [("HS-1", "online", "resolved", "2025-07-01 08:00:00")]
    quarantined = con.execute(
        "select source_row, field, raw_value, message_vi from raw.quarantine order by source_row"
    ).fetchall()
    assert quarantined[0][:3] == (3, "received_at", "31/02/2025 08:00:00")
    assert quarantined[1][:3] == (4, "channel", "Bồ câu đưa thư")
    assert "hình thức nộp" in quarantined[1][3]
    rows_in, loaded, held = con.execute(
        "select rows_in, rows_loaded, rows_quarantined from raw.ingested_files"
    ).fetchone()
    assert rows_in == loaded + held == 3
    assert (tmp_path / "archive" / f"{result.sha256}.csv").read_bytes() == export.read_bytes()


def test_the_same_bytes_twice_is_a_no_op(tmp_path: Path):
    export = _write(tmp_path / "export.csv", HEADER, GOOD)
    copy = _write(tmp_path / "renamed.csv", HEADER, GOOD)
    con = duckdb.connect()
    assert ingest_dossier_file(con, export, tmp_path / "a").status == "loaded"
    assert ingest_dossier_file(con, copy, tmp_path / "a").status == "skipped"
    assert con.execute("select count(*) from raw.dossiers").fetchone()[0] == 1


def test_a_file_missing_a_required_column_is_rejected_whole_with_a_clear_message(tmp_path: Path):
    export = _write(tmp_path / "no_channel.csv", HEADER.replace("Hình thức nộp,", "Ghi chú,"), GOOD)
    con = duckdb.connect()
    result = ingest_dossier_file(con, export, tmp_path / "a")
    assert result.status == "rejected"
    assert "no_channel.csv" in result.message and "Hình thức nộp" in result.message
    reason = con.execute("select reason_code, field from raw.quarantine").fetchone()
    assert reason == ("missing_required_column", "channel")
    assert con.execute("select count(*) from raw.dossiers").fetchone()[0] == 0


def test_header_variants_map_to_one_schema_and_unknown_columns_are_kept():
    mapping = map_header(
        [
            "Số hồ sơ",
            "Xã/Phường",
            "Thời gian tiếp nhận",
            "Kênh nộp",
            "Ngày hẹn trả",
            "Tình trạng",
            "Cán bộ xử lý",
        ],
        Path("x.csv"),
    )
    assert mapping.columns["dossier_code"] == 0  # columns are found by header, kept by position
    assert mapping.extras == [("Cán bộ xử lý", 6)]
    with pytest.raises(IngestError, match="Mã hồ sơ"):
        map_header(["Đơn vị tiếp nhận"], Path("x.csv"))


def test_xlsx_exports_land_like_csv(tmp_path: Path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.split(","))
    sheet.append(GOOD.split(","))
    sheet.append(BAD_DATE.split(","))
    workbook.save(tmp_path / "export.xlsx")
    con = duckdb.connect()
    result = ingest_dossier_file(con, tmp_path / "export.xlsx", tmp_path / "a")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 1)
    assert con.execute("select source_row from raw.quarantine").fetchone()[0] == 3


@pytest.mark.parametrize(("second_codes", "landed"), [(("HS-1", "HS-4"), 2), (("HS-5", "HS-6"), 4)])
def test_a_later_sheet_with_the_same_codes_is_a_copy_and_one_with_others_is_a_page(
    tmp_path: Path, second_codes, landed
):
    """An export paged into two sheets lands both; a hidden sheet holding the same dossiers (the data behind
    a print view of formulas) is a copy of the first, not more dossiers."""
    rows = [GOOD.split(","), GOOD.replace("HS-1", "HS-4").split(",")]
    workbook = Workbook()
    first = workbook.active
    first.title = "Bản in"
    second = workbook.create_sheet("Dữ liệu")
    for sheet, codes in ((first, ("HS-1", "HS-4")), (second, second_codes)):
        sheet.append(HEADER.split(","))
        for code, row in zip(codes, rows, strict=True):
            sheet.append([code, *row[1:]])
    second.sheet_state = "hidden"
    workbook.save(tmp_path / "export.xlsx")
    con = duckdb.connect()
    result = ingest_dossier_file(con, tmp_path / "export.xlsx", tmp_path / "a")
    assert (result.rows_loaded, result.rows_quarantined) == (landed, 0)
    (detected,) = con.execute("select detected from raw.ingested_files").fetchone()
    assert ("copy Dữ liệu" in detected) == (landed == 2)


def test_an_export_with_the_applicants_personal_data_lands_without_it_and_its_copy_is_restricted(
    tmp_path: Path,
):
    """A portal's export puts the applicant beside each dossier: the dossier lands, the name, ID, phone and
    address are neither fields nor extra columns, and the raw copy goes to the restricted archive."""
    from pipelines.ingest.register import RESTRICTED_ARCHIVE

    header = HEADER.replace(
        "Mã hồ sơ,", "Mã hồ sơ,Chủ hồ sơ,Số giấy tờ tùy thân (CCCD),Số điện thoại chủ hồ sơ,Địa chỉ,"
    )
    row = GOOD.replace("HS-1,", "HS-1,Lê Văn Tám,052199001234,0905123456,Thôn 3 xã Minh Long,")
    export = _write(tmp_path / "export.csv", header, row)
    con = duckdb.connect()
    result = ingest_dossier_file(con, export, tmp_path / "archive")
    assert (result.status, result.rows_loaded) == ("loaded", 1)
    landed = con.execute("select * from raw.dossiers").fetchone()
    assert not any(
        secret in str(value)
        for value in landed
        for secret in ("Lê Văn Tám", "052199001234", "0905123456", "Thôn 3")
    )
    assert "personal_columns_left_out" in con.execute("select detected from raw.ingested_files").fetchone()[0]
    assert (tmp_path / "archive" / RESTRICTED_ARCHIVE / f"{result.sha256}.csv").exists()
    assert not (tmp_path / "archive" / f"{result.sha256}.csv").exists()


def test_a_refused_export_with_the_applicants_personal_data_is_kept_restricted_too(tmp_path: Path):
    """Refused for a missing column, the file still holds citizens' data: its copy is restricted."""
    from pipelines.ingest.register import RESTRICTED_ARCHIVE

    header = HEADER.replace("Mã hồ sơ,", "Mã hồ sơ,Chủ hồ sơ,Số điện thoại,")
    header = header.replace(",Trạng thái", ",Ghi chú")  # no status column: refused
    export = _write(tmp_path / "export.csv", header, GOOD.replace("HS-1,", "HS-1,Lê Văn Tám,0905123456,"))
    result = ingest_dossier_file(duckdb.connect(), export, tmp_path / "archive")
    assert result.status == "rejected"
    assert (tmp_path / "archive" / RESTRICTED_ARCHIVE / f"{result.sha256}.csv").exists()
    assert not (tmp_path / "archive" / f"{result.sha256}.csv").exists()


def test_columns_of_the_money_paid_are_not_the_fee_flag(tmp_path: Path):
    """A portal's `Phí (đồng)` and `Lệ phí (đồng)` beside `Có thu phí`: amounts kept as extra columns, the
    flag read from its own column (they were taken for two more fee flags and the file refused)."""
    header = HEADER.replace("Có thu phí", "Phí (đồng),Lệ phí (đồng),Có thu phí")
    row = GOOD.replace("Đã giải quyết,Không,", "Đã giải quyết,20000,0,Có,")
    export = _write(tmp_path / "export.csv", header, row)
    result = ingest_dossier_file(duckdb.connect(), export, tmp_path / "a")
    assert (result.status, result.rows_loaded) == ("loaded", 1), result.message


@pytest.mark.parametrize(
    ("extra_headers", "lands"),
    [
        # a portal's columns that share the words of a field whose known spelling comes later
        ("Mã hồ sơ liên thông,Mã giao dịch thanh toán,Kênh thanh toán,Số lần gia hạn", True),
        # a header sharing the code's words before the code's own column
        ("Mã hồ sơ liên thông", True),
    ],
)
def test_a_known_spelling_of_a_field_wins_over_headers_sharing_its_words(
    tmp_path: Path, extra_headers, lands
):
    header = extra_headers + "," + HEADER
    row = ",".join(["x"] * len(extra_headers.split(","))) + "," + GOOD
    result = ingest_dossier_file(duckdb.connect(), _write(tmp_path / "e.csv", header, row), tmp_path / "a")
    assert (result.status == "loaded") == lands, result.message
    if lands:
        assert result.rows_loaded == 1


def test_two_headers_sharing_only_a_field_s_words_are_refused_as_unclear(tmp_path: Path):
    header = HEADER.replace("Thanh toán trực tuyến", "Kênh thanh toán,Mã giao dịch thanh toán")
    export = _write(tmp_path / "e.csv", header, GOOD + ",x")
    result = ingest_dossier_file(duckdb.connect(), export, tmp_path / "a")
    assert result.status == "rejected" and "thanh toán" in result.message


def test_a_vendor_s_database_column_names_run_together_are_the_template_s_fields():
    """`MaHoSo`, `NgayTiepNhan`, `HanXuLy`: the template's names without diacritics, spaces or case."""
    names = "MaHoSo,DonViTiepNhan,NgayTiepNhan,HinhThucNop,HanXuLy,NgayHoanThanh,TrangThai,SoHoaKetQua"
    mapping = map_header(names.split(","), Path("x.csv"))
    assert list(mapping.columns) == [
        "dossier_code",
        "commune_name",
        "received_at",
        "channel",
        "due_at",
        "finished_at",
        "status",
        "is_result_digitised",
    ]
    assert mapping.extras == []


@pytest.mark.parametrize(
    "duration", ["Thời hạn giải quyết (ngày)", "Thời hạn (ngày làm việc)", "Số ngày hẹn trả"]
)
def test_a_number_of_days_allowed_is_never_the_due_date(duration: str):
    """An older system keeps the days the procedure allows where the template has the due date: the file
    lacks its due date (refused, naming it), rather than reading 5 as a date."""
    headers = HEADER.split(",")
    headers[headers.index("Hạn xử lý")] = duration
    with pytest.raises(IngestError) as refused:
        map_header(headers, Path("x.csv"))
    assert refused.value.reason == "missing_required_column" and "Hạn xử lý" in refused.value.message_vi


def test_an_export_in_a_folder_under_the_exports_folder_gets_its_outcome_too(tmp_path: Path):
    """`dossiers/2025-Q3/dossiers_2025-Q3_thang-9.csv`, the forms folder's habit copied: read, not passed
    over; the same for a staffing list in a folder under its own."""
    from pipelines.ingest.staffing import staffing_files

    nested = tmp_path / "dossiers" / "2025-Q3" / "dossiers_2025-Q3_thang-9.csv"
    nested.parent.mkdir(parents=True)
    _write(nested, HEADER, GOOD)
    assert export_files(tmp_path / "dossiers") == [nested]
    listed = tmp_path / "staffing" / "quy-3" / "staffing_2025-Q3.xlsx"
    listed.parent.mkdir(parents=True)
    listed.write_bytes(b"")
    assert staffing_files(tmp_path / "staffing") == [listed]


@pytest.mark.parametrize("returned_first", [False, True])
def test_the_day_resolved_is_the_finish_and_the_day_the_result_was_collected_is_kept_apart(returned_first):
    """A portal's export with both `Ngày hoàn thành` and `Ngày trả kết quả`, in either order: the finish is
    the resolution (a result collected after its due date is no late dossier); the other is an extra."""
    names = (
        ["Ngày trả kết quả", "Ngày hoàn thành"] if returned_first else ["Ngày hoàn thành", "Ngày trả kết quả"]
    )
    headers = HEADER.replace("Ngày hoàn thành", ",".join(names)).split(",")
    mapping = map_header(headers, Path("x.csv"))
    assert headers[mapping.columns["finished_at"]] == "Ngày hoàn thành"
    assert [h for h, _ in mapping.extras] == ["Ngày trả kết quả"]


def test_every_generated_row_lands(small_sample: Path, tmp_path: Path):
    con = duckdb.connect()
    rows_in = 0
    for path in export_files(small_sample / "dossiers"):
        result = ingest_dossier_file(con, path, tmp_path / "a")
        assert result.status == "loaded", result.message
        rows_in += result.rows_loaded + result.rows_quarantined
    assert con.execute("select count(*) from raw.quarantine").fetchone()[0] == 0
    assert con.execute("select count(*) from raw.dossiers").fetchone()[0] == rows_in


def test_a_big_export_unchanged_since_its_hashing_is_not_read_again_and_a_rewrite_is(tmp_path, monkeypatch):
    """A big file's hash is kept with its size, times, inode and device; the next run takes it from there
    instead of reading gigabytes again. Rewritten bytes (even of the same size, with the modification
    time set back) are hashed again and land; a file hashed within the racy window is always hashed."""
    import os

    from pipelines.core.files import file_sha256
    from pipelines.ingest import register

    reads: list[Path] = []
    monkeypatch.setattr(register, "file_sha256", lambda path: reads.append(path) or file_sha256(path))
    monkeypatch.setattr(register, "BIG_FILE_BYTES", 0)
    export = _write(tmp_path / "export.csv", HEADER, GOOD)
    con = duckdb.connect()

    assert register.path_sha256(con, export) == file_sha256(export) and len(reads) == 1
    register.path_sha256(con, export)
    assert len(reads) == 2  # just written: inside the racy window, hashed again

    monkeypatch.setattr(register, "RACY_NS", 0)  # from here the last hashing is trusted
    first = ingest_dossier_file(con, export, tmp_path / "archive")
    assert first.status == "loaded" and len(reads) == 2
    assert ingest_dossier_file(con, export, tmp_path / "archive").status == "skipped" and len(reads) == 2

    stat = export.stat()
    _write(export, HEADER, GOOD.replace("HS-1", "HS-9"))  # the same size, other bytes
    os.utime(export, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert export.stat().st_size == stat.st_size and export.stat().st_mtime_ns == stat.st_mtime_ns
    again = ingest_dossier_file(con, export, tmp_path / "archive")
    assert again.status == "loaded" and again.sha256 != first.sha256 and len(reads) == 3
    assert con.execute("select count(*) from raw.dossiers where dossier_code = 'HS-9'").fetchall() == [(1,)]


def test_lines_in_another_encoding_under_utf8_ones_are_told_from_a_one_byte_file():
    """Two files joined (a UTF-8 export, lines typed in Windows-1258 under it) read as UTF-8, the other lines
    set aside; a one-byte file with one UTF-8 line pasted in stays a one-byte file; pure files are neither."""
    from pipelines.ingest.textfiles import utf8_and_other_lines

    utf8, one_byte = "Xã Ba Vì\n".encode(), b"X\xe3 Ba Vi\xec\n"
    assert utf8_and_other_lines(utf8 * 3 + one_byte * 2, mostly=True)
    assert not utf8_and_other_lines(utf8 + one_byte * 10, mostly=True)
    assert utf8_and_other_lines(utf8 + one_byte * 10)  # the TXT reader reads each line in its own encoding
    assert not utf8_and_other_lines(one_byte * 5) and not utf8_and_other_lines(utf8 * 5)


def test_a_header_naming_a_time_zone_moves_its_times_to_vietnams():
    """`Ngày tiếp nhận (UTC)` is the received date, seven hours behind; `(GMT+7)` is Vietnam's own time."""

    headers = [
        "Mã hồ sơ", "Đơn vị tiếp nhận", "Ngày tiếp nhận (UTC)", "Hình thức nộp", "Hạn xử lý [GMT-5]",
        "Ngày hoàn thành (GMT+7)", "Trạng thái",
    ]  # fmt: skip
    mapping = map_header(headers, Path("x.csv"))
    assert (mapping.columns["received_at"], mapping.columns["due_at"], mapping.columns["finished_at"]) == (
        2,
        4,
        5,
    )
    assert mapping.shifts == {"received_at": 7, "due_at": 12}


def test_a_header_sorted_to_the_bottom_is_the_header_and_rows_keep_their_lines(tmp_path: Path):
    """A clerk sorted the whole sheet, header and all, before saving it: the last line is the header, the
    rows above it land or are held back naming their own line, and the header is no row."""
    export = _write(tmp_path / "sorted.csv", GOOD, BAD_DATE, BAD_CHANNEL, HEADER)
    con = duckdb.connect()
    result = ingest_dossier_file(con, export, tmp_path / "archive")
    assert (result.status, result.rows_loaded, result.rows_quarantined) == ("loaded", 1, 2)
    assert con.execute("select dossier_code from raw.dossiers").fetchall() == [("HS-1",)]
    quarantined = con.execute("select source_row, field from raw.quarantine order by source_row").fetchall()
    assert quarantined == [(2, "received_at"), (3, "channel")]
    assert con.execute("select rows_in from raw.ingested_files").fetchall() == [(3,)]


def test_rows_pasted_above_the_header_are_rows_and_a_padded_title_is_not(tmp_path: Path):
    """Rows above a header within the first lines land or are held back with their own lines (they used to
    be taken for a title and dropped without a word); a title padded with commas to the sheet's width, as
    Excel saves one, is still a title."""
    other = GOOD.replace("HS-1", "HS-9")
    export = _write(tmp_path / "pasted.csv", GOOD, BAD_CHANNEL, HEADER, other)
    con = duckdb.connect()
    result = ingest_dossier_file(con, export, tmp_path / "archive")
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    landed = con.execute("select dossier_code, source_row from raw.dossiers order by 1").fetchall()
    assert landed == [("HS-1", 1), ("HS-9", 4)]
    assert con.execute("select source_row, field from raw.quarantine").fetchall() == [(2, "channel")]

    titled = _write(tmp_path / "titled.csv", "BÁO CÁO HỒ SƠ" + "," * 12, HEADER, GOOD)
    con = duckdb.connect()
    result = ingest_dossier_file(con, titled, tmp_path / "archive")
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)
    assert con.execute("select source_row from raw.dossiers").fetchall() == [(3,)]


def test_rows_above_the_header_of_a_workbook_are_rows_too(tmp_path: Path):
    """The same in an XLSX export: rows above the header are rows with their sheet row numbers; a one-cell
    title above it is a title."""
    for name, lines, landed in (
        (
            "pasted.xlsx",
            (GOOD, BAD_CHANNEL, HEADER, GOOD.replace("HS-1", "HS-9")),
            [("HS-1", 1), ("HS-9", 4)],
        ),
        ("titled.xlsx", ("BÁO CÁO HỒ SƠ", HEADER, GOOD), [("HS-1", 3)]),
    ):
        workbook = Workbook()
        for line in lines:
            workbook.active.append(line.split(","))
        workbook.save(tmp_path / name)
        con = duckdb.connect()
        ingest_dossier_file(con, tmp_path / name, tmp_path / "archive")
        assert (
            con.execute("select dossier_code, source_row from raw.dossiers order by 1").fetchall() == landed
        )
        rows_in = con.execute("select rows_in from raw.ingested_files").fetchall()[0][0]
        assert rows_in == len(landed) + (name == "pasted.xlsx")
