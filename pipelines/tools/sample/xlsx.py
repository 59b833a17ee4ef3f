"""Byte-for-byte reproducible sample XLSX files: the same seed gives the same bytes."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from pipelines.ingest.form_template import FIXED_TIME
from pipelines.ingest.form_template import save_reproducibly as _save

__all__ = ["FIXED_TIME", "save_reproducibly"]


def save_reproducibly(workbook: Workbook, path: Path) -> None:
    _save(workbook, path, creator="cds sample")
