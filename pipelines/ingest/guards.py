"""Checks a file must pass before anything parses it: size, real XLSX, no zip bomb.

Each failure is an `IngestError` with a reason code, so the file is quarantined whole and the run goes on.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from pipelines.ingest.register import IngestError

MAX_FORM_BYTES = 20 * 1024 * 1024
MAX_XLSX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
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


def check_xlsx(path: Path) -> None:
    """A real XLSX is a zip holding xl/workbook.xml, and it does not expand to something enormous."""
    if not zipfile.is_zipfile(path):
        raise IngestError(
            path,
            None,
            None,
            "tệp không phải là bảng tính Excel (.xlsx)",
            "file is not an XLSX workbook",
            reason="not_xlsx",
        )
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            expanded = sum(i.file_size for i in archive.infolist())
            packed = max(1, sum(i.compress_size for i in archive.infolist()))
            if archive.testzip() is not None:
                raise zipfile.BadZipFile("CRC mismatch")
    except (zipfile.BadZipFile, OSError, zlib.error, EOFError) as error:
        raise IngestError(
            path,
            None,
            None,
            "tệp Excel bị hỏng, không đọc được",
            f"corrupt XLSX: {error}",
            reason="corrupt_file",
        ) from error
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
    if expanded > MAX_XLSX_UNCOMPRESSED_BYTES or expanded / packed > MAX_XLSX_COMPRESSION_RATIO:
        raise IngestError(
            path,
            None,
            None,
            "tệp Excel giải nén quá lớn (nghi ngờ tệp độc hại)",
            f"XLSX expands to {expanded} bytes (ratio {expanded / packed:.0f})",
            reason="zip_bomb",
        )
