"""Byte-for-byte reproducible Office files (XLSX, DOCX).

openpyxl and python-docx stamp the document properties and every zip entry with the current time; the
same content must give the same bytes (reproducible samples, re-publishing unchanged reports), so both are
pinned to a time the caller chooses. Published files are replaced atomically (`atomic_path`).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

# Every temporary file or folder this project makes beside what it publishes starts so; what a killed run left
# is recognised by it (and by the names earlier versions used) and removed by the next run.
SCRATCH_PREFIX = ".cds-tmp-"
_EARLIER_SCRATCH = re.compile(
    r"^\.(?:\d{4}-(?:Q[1-4]|9M|6M|Y)-(?:old|[a-z0-9_]{8})|[\w.-]+\.(?:duckdb|html|json)-[a-z0-9_]{8})$"
)
_STAMPS = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def write_reproducible_zip(data: bytes, path: Path, when: datetime) -> None:
    """Rewrite an Office zip with every entry and the core properties dated `when`; atomic on `path`."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=when.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = item.external_attr
            content = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                content = _STAMPS.sub(rb"\g<1>" + stamp + rb"\g<2>", content)
            dst.writestr(info, content)
    write_atomically(path, output.getvalue())


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A scratch path beside `path` to write into (by any means: bytes, DuckDB); renamed over `path` when the
    block ends without error, so readers see the old file or the new one, never half. Removed on error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{path.name}-", dir=path.parent))
    try:
        yield scratch / path.name
        os.replace(scratch / path.name, path)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def remove_leftovers(folder: Path) -> list[str]:
    """Remove the temporary files and folders that killed runs left in `folder`; returns their names.
    Runs go one at a time (the instance's queue), so nothing else is writing them."""
    removed = []
    if not folder.is_dir():
        return removed
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(SCRATCH_PREFIX) or _EARLIER_SCRATCH.match(entry.name):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed.append(entry.name)
    return removed


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` through `atomic_path`."""
    with atomic_path(path) as staged:
        staged.write_bytes(data)
