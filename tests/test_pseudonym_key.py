"""The pseudonym key: made once, atomically, outside DAGSTER_HOME; never empty or short; moved, never
replaced, from where earlier versions kept it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pipelines import settings as settings_module
from pipelines.settings import PseudonymKeyError, Settings, pseudonym_secret


def test_the_key_is_made_once_with_mode_0600_and_a_loud_warning(tmp_path: Path, capsys):
    key_file = tmp_path / "secrets" / "pseudonym.key"
    first = pseudonym_secret("", key_file)
    assert "NEW pseudonym key" in capsys.readouterr().err
    assert pseudonym_secret("", key_file) == first and len(first) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert list(key_file.parent.iterdir()) == [key_file]  # no temporary file left


def test_a_crash_while_writing_leaves_no_key_file(tmp_path: Path, monkeypatch):
    key_file = tmp_path / "pseudonym.key"

    def crash(*args):
        raise OSError("killed")

    monkeypatch.setattr(settings_module.os, "fsync", crash)
    with pytest.raises(OSError):
        pseudonym_secret("", key_file)
    assert not key_file.exists()  # the next run makes a whole key, never an empty one
    monkeypatch.undo()
    assert len(pseudonym_secret("", key_file)) == 64


@pytest.mark.parametrize("content", ["", "   \n", "short-key"])
def test_an_empty_or_short_key_file_is_refused(tmp_path: Path, content):
    key_file = tmp_path / "pseudonym.key"
    key_file.write_text(content)
    with pytest.raises(PseudonymKeyError, match="shorter than 32"):
        pseudonym_secret("", key_file)


def test_a_short_key_in_the_environment_is_refused(tmp_path: Path):
    with pytest.raises(PseudonymKeyError):
        pseudonym_secret("abc", tmp_path / "unused.key")
    assert pseudonym_secret("x" * 40, tmp_path / "unused.key") == "x" * 40
    assert not (tmp_path / "unused.key").exists()


def test_another_process_that_made_the_key_first_wins(tmp_path: Path, monkeypatch):
    key_file = tmp_path / "pseudonym.key"
    real_link = os.link

    def race(source, target):
        Path(target).write_text("k" * 64)  # the other process linked its key just before us
        real_link(source, target)

    monkeypatch.setattr(settings_module.os, "link", race)
    assert pseudonym_secret("", key_file) == "k" * 64


def test_the_key_lives_outside_dagster_home_and_an_old_one_is_moved_not_replaced(tmp_path: Path):
    settings = Settings.from_env(
        {"CDS_OUTPUTS_DIR": str(tmp_path / "outputs"), "DAGSTER_HOME": str(tmp_path / "dagster_home")}
    )
    assert settings.pseudonym_key_file == tmp_path / "secrets" / "pseudonym.key"
    legacy = settings.legacy_pseudonym_key_file
    legacy.parent.mkdir(parents=True)
    legacy.write_text("o" * 64)
    assert pseudonym_secret("", settings.pseudonym_key_file, legacy) == "o" * 64
    assert not legacy.exists() and settings.pseudonym_key_file.read_text() == "o" * 64
