"""Byte-for-byte reproducible XLSX files.

openpyxl stamps the workbook properties and every zip entry with the current time; the same seed must
give the same bytes, so both are pinned.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

FIXED_TIME = datetime(2025, 1, 1)
# openpyxl overwrites `modified` with the current time while saving, so it is pinned in the XML itself.
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def save_reproducibly(workbook: Workbook, path: Path) -> None:
    workbook.properties.created = FIXED_TIME
    workbook.properties.modified = FIXED_TIME
    workbook.properties.creator = "cds sample"
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = item.external_attr
            data = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = _MODIFIED.sub(rb"\g<1>2025-01-01T00:00:00Z\g<2>", data)
            dst.writestr(info, data)
