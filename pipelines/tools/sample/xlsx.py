"""Byte-for-byte reproducible sample XLSX files: the same seed gives the same bytes."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

from pipelines.core.zipfiles import write_reproducible_zip

FIXED_TIME = datetime(2025, 1, 1)


def save_reproducibly(workbook: Workbook, path: Path) -> None:
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    workbook.properties.creator = "cds sample"
    buffer = io.BytesIO()
    workbook.save(buffer)
    write_reproducible_zip(buffer.getvalue(), path, FIXED_TIME)
