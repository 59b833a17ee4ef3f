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


def test_with_an_archive_key_staffing_lists_are_kept_encrypted_and_open_again(tmp_path: Path):
    from pipelines.ingest.archive_crypto import new_key, open_archived

    key = new_key()
    path = _staffing(tmp_path / "staffing_2025-Q3.xlsx", [OFFICIAL])
    archive = tmp_path / "archive"
    result = ingest_staffing(duckdb.connect(), path, archive, CommuneResolver.from_seeds(), "k" * 32, key)
    (kept,) = (archive / "restricted").iterdir()
    assert kept.name == f"{result.sha256}.xlsx.fernet" and _mode(kept) == 0o600
    sealed = kept.read_bytes()
    assert path.read_bytes() not in sealed and b"xl/worksheets" not in sealed  # not a readable workbook
    assert open_archived(kept, key) == path.read_bytes()


def test_a_wrong_archive_key_is_refused_by_name(tmp_path: Path):
    from pipelines.ingest.archive_crypto import ArchiveKeyError, new_key, open_archived

    kept = archive_copy(_staffing(tmp_path / "s.xlsx", [OFFICIAL]), "abc", tmp_path / "a", True, new_key())
    with pytest.raises(ArchiveKeyError, match="CDS_ARCHIVE_KEY"):
        open_archived(kept, new_key())
    with pytest.raises(ArchiveKeyError, match="not a Fernet key"):
        archive_copy(tmp_path / "s.xlsx", "def", tmp_path / "a", True, "short")


def test_plain_lists_already_archived_are_encrypted_in_place_once_a_key_is_set(tmp_path: Path):
    from pipelines.ingest.archive_crypto import new_key, open_archived

    key = new_key()
    archive = tmp_path / "archive"
    (archive / "restricted").mkdir(parents=True)
    (archive / "restricted" / "abc.xlsx").write_bytes(b"personal, kept plain by an earlier run")
    (archive / "old.xlsx").write_bytes(b"personal, kept in the open part by an older version")
    assert restrict_archived(archive, ["abc", "old"], key) == 3  # one moved, two encrypted
    names = sorted(p.name for p in (archive / "restricted").iterdir())
    assert names == ["abc.xlsx.fernet", "old.xlsx.fernet"]
    assert open_archived(archive / "restricted" / "abc.xlsx.fernet", key).startswith(b"personal, kept plain")
    assert all(_mode(p) == 0o600 for p in (archive / "restricted").iterdir())


def test_cds_archive_open_writes_a_private_new_file(tmp_path: Path, monkeypatch, capsys):
    from pipelines import cli
    from pipelines.ingest.archive_crypto import new_key
    from pipelines.settings import get_settings

    key = new_key()
    kept = archive_copy(_staffing(tmp_path / "s.xlsx", [OFFICIAL]), "abc", tmp_path / "a", True, key)
    monkeypatch.setenv("CDS_ARCHIVE_KEY", key)
    get_settings.cache_clear()
    try:
        out = tmp_path / "opened.xlsx"
        assert cli.main(["archive-open", str(kept), "--out", str(out)]) == 0
        assert out.read_bytes() == (tmp_path / "s.xlsx").read_bytes() and _mode(out) == 0o600
        assert cli.main(["archive-open", str(kept), "--out", str(out)]) == 2  # never over an existing file
        monkeypatch.setenv("CDS_ARCHIVE_KEY", new_key())
        get_settings.cache_clear()
        assert cli.main(["archive-open", str(kept), "--out", str(tmp_path / "other.xlsx")]) == 2
        assert "does not open with CDS_ARCHIVE_KEY" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()
