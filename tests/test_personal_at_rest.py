"""Personal data at rest: staffing lists are archived where only the pipeline's user can read them; other
archived files stay readable; an archive copy is whole or absent."""

from __future__ import annotations

import stat
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest import register
from pipelines.ingest.register import archive_copy, restrict_archived
from pipelines.ingest.staffing import ingest_staffing
from pipelines.reference import CommuneResolver
from tests.test_ingest_bad_inputs import OFFICIAL, _staffing


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_staffing_list_is_archived_in_the_restricted_part_with_mode_0600(tmp_path: Path):
    path = _staffing(tmp_path / "staffing_2025-Q3.xlsx", [OFFICIAL])
    path.chmod(0o644)
    archive = tmp_path / "archive"
    result = ingest_staffing(duckdb.connect(), path, archive, CommuneResolver.from_seeds(), "k" * 32)
    kept = archive / "restricted" / f"{result.sha256}.xlsx"
    assert kept.read_bytes() == path.read_bytes()
    assert _mode(kept) == 0o600 and _mode(kept.parent) == 0o700
    assert [p.name for p in archive.iterdir()] == ["restricted"]  # nothing personal in the open part


def test_other_files_stay_readable(tmp_path: Path):
    source = tmp_path / "dossiers.csv"
    source.write_text("a\n", encoding="utf-8")
    kept = archive_copy(source, "abc", tmp_path / "archive")
    assert _mode(kept) == 0o644 and kept.parent == tmp_path / "archive"


def test_a_copy_killed_half_way_leaves_no_file_that_passes_for_the_archive(tmp_path: Path, monkeypatch):
    source = tmp_path / "big.csv"
    source.write_bytes(b"x" * 5_000_000)

    def killed(src, dst):
        Path(dst).write_bytes(Path(src).read_bytes()[:1000])
        raise KeyboardInterrupt

    monkeypatch.setattr(register.shutil, "copyfile", killed)
    with pytest.raises(KeyboardInterrupt):
        archive_copy(source, "abc", tmp_path / "archive")
    assert list((tmp_path / "archive").iterdir()) == []
    monkeypatch.undo()
    assert archive_copy(source, "abc", tmp_path / "archive").stat().st_size == 5_000_000


def test_lists_archived_by_an_earlier_version_are_moved_into_the_restricted_part(tmp_path: Path):
    archive = tmp_path / "archive"
    archive.mkdir()
    (archive / "abc.xlsx").write_bytes(b"personal")
    (archive / "def.csv").write_bytes(b"dossiers")
    assert restrict_archived(archive, ["abc"]) == 1
    assert _mode(archive / "restricted" / "abc.xlsx") == 0o600
    assert (archive / "def.csv").exists() and not (archive / "abc.xlsx").exists()
