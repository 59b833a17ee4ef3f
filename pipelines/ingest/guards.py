"""Checks a file must pass before anything parses it: size, a real XLSX or DOCX package, no zip bomb.

Each failure is an `IngestError` with a reason code, so the file is quarantined whole and the run goes on.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from pipelines.ingest.register import IngestError

MAX_FORM_BYTES = 20 * 1024 * 1024
MAX_XLSX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024  # any Office package (XLSX forms, DOCX reports)
MAX_XLSX_COMPRESSION_RATIO = 200
MAX_FORM_ROWS = 2_000


def check_size(path: Path, limit: int) -> None:
    size = path.stat().st_size
    if size == 0:
        raise IngestError(path, None, None, "tệp rỗng", "file is empty", reason="empty_file")
    if size > limit:
        raise IngestError(
            path,
            None,
            None,
            f"tệp quá lớn ({size:,} byte, giới hạn {limit:,})".replace(",", "."),
            f"file too large ({size} bytes, limit {limit})",
            reason="file_too_large",
        )


def check_package(path: Path, name_vi: str, not_zip_vi: str, not_zip_reason: str) -> set[str]:
    """An Office file (XLSX, DOCX) is a zip that reads without error and does not expand to something
    enormous; returns its member names. `name_vi` names the kind in messages ("Excel", "Word")."""
    if not zipfile.is_zipfile(path):
        raise IngestError(
            path, None, None, not_zip_vi, f"file is not a {name_vi} zip package", reason=not_zip_reason
        )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if archive.testzip() is not None:
                raise zipfile.BadZipFile("CRC mismatch")
    except (zipfile.BadZipFile, OSError, zlib.error, EOFError) as error:
        raise IngestError(
            path,
            None,
            None,
            f"tệp {name_vi} bị hỏng, không đọc được",
            f"corrupt {name_vi} package: {error}",
            reason="corrupt_file",
        ) from error
    expanded = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if expanded > MAX_XLSX_UNCOMPRESSED_BYTES or expanded / packed > MAX_XLSX_COMPRESSION_RATIO:
        raise IngestError(
            path,
            None,
            None,
            f"tệp {name_vi} giải nén quá lớn (nghi ngờ tệp độc hại)",
            f"{name_vi} package expands to {expanded} bytes (ratio {expanded / packed:.0f})",
            reason="zip_bomb",
        )
    return {i.filename for i in infos}


def check_xlsx(path: Path) -> None:
    """A real XLSX is a zip holding xl/workbook.xml and at least one worksheet."""
    names = check_package(path, "Excel", "tệp không phải là bảng tính Excel (.xlsx)", "not_xlsx")
    if "xl/workbook.xml" not in names:
        raise IngestError(
            path,
            None,
            None,
            "tệp nén không phải bảng tính Excel",
            "zip archive without xl/workbook.xml",
            reason="not_xlsx",
        )
    if not any(n.startswith("xl/worksheets/") and n.endswith(".xml") for n in names):
        raise IngestError(
            path,
            None,
            None,
            "tệp Excel không có trang tính (sheet) nào chứa số liệu",
            "workbook has no worksheet",
            reason="missing_sheet",
        )
