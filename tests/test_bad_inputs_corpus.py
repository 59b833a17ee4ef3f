"""Messy and hostile inputs: the corpus of `tests/fixtures/bad_inputs/` on top of the small sample, one run of
the main job, and every file's outcome checked against the contract in `tests/fixtures/bad_inputs/README.md`
(status, reason, rows landed and held back, messages, values as typed); every good file of the sample still
lands exactly as it does alone; staffing ID findings appear and never show an ID."""

from __future__ import annotations

import hashlib
import re
import shutil
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest
from dagster import DagsterInstance

from pipelines.run import run_main_job

from .conftest import settings_for
from .fixtures.bad_inputs.corpus import (
    CITIZEN_IDS,
    NOT_DESIGNABLE,
    ROW_REASONS,
    SELF,
    SHA_PREFIX,
    WHOLE_FILE_REASONS,
    Expected,
    write_corpus,
)
from .fixtures.bad_inputs.corpus_round2 import CITIZEN_IDS_ROUND2, write_corpus_round2
from .fixtures.bad_inputs.corpus_round3 import CITIZEN_IDS_ROUND3, write_corpus_round3
from .fixtures.bad_inputs.corpus_round4 import CITIZEN_IDS_ROUND4, write_corpus_round4
from .fixtures.bad_inputs.corpus_round5 import CITIZEN_IDS_ROUND5, write_corpus_round5
from .fixtures.bad_inputs.corpus_round6 import CITIZEN_IDS_ROUND6, write_corpus_round6
from .fixtures.bad_inputs.corpus_round7 import CITIZEN_IDS_ROUND7, write_corpus_round7
from .fixtures.bad_inputs.corpus_round8 import CITIZEN_IDS_ROUND8, write_corpus_round8
from .fixtures.bad_inputs.corpus_round9 import CITIZEN_IDS_ROUND9, write_corpus_round9
from .fixtures.bad_inputs.corpus_round10 import CITIZEN_IDS_ROUND10, write_corpus_round10
from .fixtures.bad_inputs.corpus_round11 import CITIZEN_IDS_ROUND11, write_corpus_round11
from .fixtures.bad_inputs.corpus_round12 import CITIZEN_IDS_ROUND12, write_corpus_round12
from .fixtures.bad_inputs.corpus_round13 import CITIZEN_IDS_ROUND13, write_corpus_round13
from .fixtures.bad_inputs.corpus_round14 import CITIZEN_IDS_ROUND14, write_corpus_round14
from .fixtures.bad_inputs.corpus_round15 import CITIZEN_IDS_ROUND15, write_corpus_round15
from .fixtures.bad_inputs.corpus_round16 import CITIZEN_IDS_ROUND16, write_corpus_round16
from .fixtures.bad_inputs.corpus_round17 import CITIZEN_IDS_ROUND17, write_corpus_round17
from .fixtures.bad_inputs.corpus_round18 import CITIZEN_IDS_ROUND18, write_corpus_round18
from .fixtures.bad_inputs.corpus_round19 import CITIZEN_IDS_ROUND19, write_corpus_round19
from .fixtures.bad_inputs.corpus_round20 import CITIZEN_IDS_ROUND20, write_corpus_round20
from .fixtures.bad_inputs.corpus_round21 import CITIZEN_IDS_ROUND21, write_corpus_round21
from .fixtures.bad_inputs.corpus_round22 import CITIZEN_IDS_ROUND22, write_corpus_round22
from .fixtures.bad_inputs.corpus_round23 import CITIZEN_IDS_ROUND23, write_corpus_round23
from .fixtures.bad_inputs.corpus_round24 import CITIZEN_IDS_ROUND24, write_corpus_round24
from .fixtures.bad_inputs.corpus_round25 import CITIZEN_IDS_ROUND25, write_corpus_round25
from .fixtures.bad_inputs.corpus_round26 import CITIZEN_IDS_ROUND26, write_corpus_round26
from .fixtures.bad_inputs.corpus_round27 import CITIZEN_IDS_ROUND27, write_corpus_round27
from .fixtures.bad_inputs.corpus_round28 import CITIZEN_IDS_ROUND28, write_corpus_round28
from .fixtures.bad_inputs.corpus_round29 import CITIZEN_IDS_ROUND29, write_corpus_round29
from .fixtures.bad_inputs.corpus_round30 import CITIZEN_IDS_ROUND30, write_corpus_round30
from .fixtures.bad_inputs.corpus_round31 import CITIZEN_IDS_ROUND31, write_corpus_round31
from .fixtures.bad_inputs.corpus_round32 import CITIZEN_IDS_ROUND32, write_corpus_round32
from .fixtures.bad_inputs.corpus_round33 import CITIZEN_IDS_ROUND33, write_corpus_round33

CONTRACT = Path(__file__).parent / "fixtures" / "bad_inputs" / "README.md"
SOURCE_FOLDERS = ("submissions", "dossiers", "staffing", "narrative_reports")
# The expectations only (nothing written): the parametrisation is known at collection time.
ROUND1 = write_corpus(Path("corpus-dry-run"), dry=True)
# Round 2 (`corpus_round2.py`): written after round 1 into the same sources folder, checked in the same run.
ROUND2 = write_corpus_round2(Path("corpus-dry-run"), dry=True)
# Round 3 (`corpus_round3.py`): written blind by a later session, scored on first sight (README), then fixed.
ROUND3 = write_corpus_round3(Path("corpus-dry-run"), dry=True)
# Round 4 (`corpus_round4.py`): written blind in December 2026, scored on first sight, then fixed.
ROUND4 = write_corpus_round4(Path("corpus-dry-run"), dry=True)
# Round 5 (`corpus_round5.py`): written blind later in December 2026, scored on first sight, then fixed.
ROUND5 = write_corpus_round5(Path("corpus-dry-run"), dry=True)
# Round 6 (`corpus_round6.py`): written blind in December 2026 too, scored on first sight, then fixed.
ROUND6 = write_corpus_round6(Path("corpus-dry-run"), dry=True)
# Round 7 (`corpus_round7.py`): written blind in December 2026 too, scored on first sight, then fixed.
ROUND7 = write_corpus_round7(Path("corpus-dry-run"), dry=True)
# Round 8 (`corpus_round8.py`): written blind in December 2026, scored on first sight, then fixed.
ROUND8 = write_corpus_round8(Path("corpus-dry-run"), dry=True)
# Round 9 (`corpus_round9.py`): written blind in December 2026, scored on first sight, then fixed.
ROUND9 = write_corpus_round9(Path("corpus-dry-run"), dry=True)
# Round 10 (`corpus_round10.py`): written blind in December 2026, scored on first sight, then fixed.
ROUND10 = write_corpus_round10(Path("corpus-dry-run"), dry=True)
# Round 11 (`corpus_round11.py`): written blind in December 2026, scored on first sight, then fixed.
ROUND11 = write_corpus_round11(Path("corpus-dry-run"), dry=True)
# Round 12 (`corpus_round12.py`): written blind in December 2026, scored on first sight, then fixed.
ROUND12 = write_corpus_round12(Path("corpus-dry-run"), dry=True)
# Round 13 (`corpus_round13.py`): written blind in December 2026, scored on first sight, then fixed.
ROUND13 = write_corpus_round13(Path("corpus-dry-run"), dry=True)
# Round 14 (`corpus_round14.py`): written blind in December 2026, scored on first sight, then fixed.
ROUND14 = write_corpus_round14(Path("corpus-dry-run"), dry=True)
# Round 15 (`corpus_round15.py`): written blind in December 2026, scored on first sight, then fixed.
ROUND15 = write_corpus_round15(Path("corpus-dry-run"), dry=True)
# Round 16 (`corpus_round16.py`): written blind in December 2026, scored on first sight, then fixed.
ROUND16 = write_corpus_round16(Path("corpus-dry-run"), dry=True)
# Round 17 (`corpus_round17.py`): written blind in December 2026, scored on first sight, then fixed.
ROUND17 = write_corpus_round17(Path("corpus-dry-run"), dry=True)
# Round 18 (`corpus_round18.py`): written blind in December 2026, scored on first sight, then fixed.
ROUND18 = write_corpus_round18(Path("corpus-dry-run"), dry=True)
# Round 19 (`corpus_round19.py`): written blind in December 2026, scored on first sight, then fixed.
ROUND19 = write_corpus_round19(Path("corpus-dry-run"), dry=True)
# Round 20 (`corpus_round20.py`): written blind in December 2026, scored on first sight, then fixed.
ROUND20 = write_corpus_round20(Path("corpus-dry-run"), dry=True)
# Round 21 (`corpus_round21.py`): written blind in December 2026, scored on first sight, then fixed.
ROUND21 = write_corpus_round21(Path("corpus-dry-run"), dry=True)
# Round 22 (`corpus_round22.py`): written blind in December 2026, scored on first sight, then fixed.
ROUND22 = write_corpus_round22(Path("corpus-dry-run"), dry=True)
# Round 23 (`corpus_round23.py`): written blind in December 2026, scored on first sight, then fixed.
ROUND23 = write_corpus_round23(Path("corpus-dry-run"), dry=True)
# Round 24 (`corpus_round24.py`): written blind in December 2026, scored on first sight, then fixed.
ROUND24 = write_corpus_round24(Path("corpus-dry-run"), dry=True)
# Rounds 25 and 26 (`corpus_round25.py`, `corpus_round26.py`): written blind in December 2026, scored on first
# sight, then fixed.
ROUND25 = write_corpus_round25(Path("corpus-dry-run"), dry=True)
ROUND26 = write_corpus_round26(Path("corpus-dry-run"), dry=True)
# Rounds 27 and 28 (`corpus_round27.py`, `corpus_round28.py`): the same, later the same day.
ROUND27 = write_corpus_round27(Path("corpus-dry-run"), dry=True)
ROUND28 = write_corpus_round28(Path("corpus-dry-run"), dry=True)
# Rounds 29 and 30 (`corpus_round29.py`, `corpus_round30.py`): the same, later the same day.
ROUND29 = write_corpus_round29(Path("corpus-dry-run"), dry=True)
ROUND30 = write_corpus_round30(Path("corpus-dry-run"), dry=True)
# Rounds 31 and 32 (`corpus_round31.py`, `corpus_round32.py`): the same, later the same day.
ROUND31 = write_corpus_round31(Path("corpus-dry-run"), dry=True)
ROUND32 = write_corpus_round32(Path("corpus-dry-run"), dry=True)
# Round 33 (`corpus_round33.py`): the same, later the same day.
ROUND33 = write_corpus_round33(Path("corpus-dry-run"), dry=True)
EXPECTED = (
    ROUND1
    + ROUND2
    + ROUND3
    + ROUND4
    + ROUND5
    + ROUND6
    + ROUND7
    + ROUND8
    + ROUND9
    + ROUND10
    + ROUND11
    + ROUND12
    + ROUND13
    + ROUND14
    + ROUND15
    + ROUND16
    + ROUND17
    + ROUND18
    + ROUND19
    + ROUND20
    + ROUND21
    + ROUND22
    + ROUND23
    + ROUND24
    + ROUND25
    + ROUND26
    + ROUND27
    + ROUND28
    + ROUND29
    + ROUND30
    + ROUND31
    + ROUND32
    + ROUND33
)
ALL_CITIZEN_IDS = (
    *CITIZEN_IDS,
    *CITIZEN_IDS_ROUND2,
    *CITIZEN_IDS_ROUND3,
    *CITIZEN_IDS_ROUND4,
    *CITIZEN_IDS_ROUND5,
    *CITIZEN_IDS_ROUND6,
    *CITIZEN_IDS_ROUND7,
    *CITIZEN_IDS_ROUND8,
    *CITIZEN_IDS_ROUND9,
    *CITIZEN_IDS_ROUND10,
    *CITIZEN_IDS_ROUND11,
    *CITIZEN_IDS_ROUND12,
    *CITIZEN_IDS_ROUND13,
    *CITIZEN_IDS_ROUND14,
    *CITIZEN_IDS_ROUND15,
    *CITIZEN_IDS_ROUND16,
    *CITIZEN_IDS_ROUND17,
    *CITIZEN_IDS_ROUND18,
    *CITIZEN_IDS_ROUND19,
    *CITIZEN_IDS_ROUND20,
    *CITIZEN_IDS_ROUND21,
    *CITIZEN_IDS_ROUND22,
    *CITIZEN_IDS_ROUND23,
    *CITIZEN_IDS_ROUND24,
    *CITIZEN_IDS_ROUND25,
    *CITIZEN_IDS_ROUND26,
    *CITIZEN_IDS_ROUND27,
    *CITIZEN_IDS_ROUND28,
    *CITIZEN_IDS_ROUND29,
    *CITIZEN_IDS_ROUND30,
    *CITIZEN_IDS_ROUND31,
    "053131099901",  # round 31's official in the list refused in a report folder
    *CITIZEN_IDS_ROUND32,
    *CITIZEN_IDS_ROUND33,
)


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


@dataclass
class CorpusRun:
    sources: Path
    settings: Any
    result: Any
    expected: list[Expected]
    shas: dict[str, str]  # corpus path -> sha256 of its bytes (symbolic links left out)


@pytest.fixture(scope="module")
def corpus_run(small_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> CorpusRun:
    root = tmp_path_factory.mktemp("bad_inputs")
    sources = root / "sources"
    shutil.copytree(small_sample, sources)
    expected = (
        write_corpus(sources)
        + write_corpus_round2(sources)
        + write_corpus_round3(sources)
        + write_corpus_round4(sources)
        + write_corpus_round5(sources)
        + write_corpus_round6(sources)
        + write_corpus_round7(sources)
        + write_corpus_round8(sources)
        + write_corpus_round9(sources)
        + write_corpus_round10(sources)
        + write_corpus_round11(sources)
        + write_corpus_round12(sources)
        + write_corpus_round13(sources)
        + write_corpus_round14(sources)
        + write_corpus_round15(sources)
        + write_corpus_round16(sources)
        + write_corpus_round17(sources)
        + write_corpus_round18(sources)
        + write_corpus_round19(sources)
        + write_corpus_round20(sources)
        + write_corpus_round21(sources)
        + write_corpus_round22(sources)
        + write_corpus_round23(sources)
        + write_corpus_round24(sources)
        + write_corpus_round25(sources)
        + write_corpus_round26(sources)
        + write_corpus_round27(sources)
        + write_corpus_round28(sources)
        + write_corpus_round29(sources)
        + write_corpus_round30(sources)
        + write_corpus_round31(sources)
        + write_corpus_round32(sources)
        + write_corpus_round33(sources)
    )
    assert [e.path for e in expected] == [e.path for e in EXPECTED]  # the dry run promised the same files
    shas = {
        e.path: _sha256(sources / e.path)
        for e in expected
        if not (sources / e.path).is_symlink() and (sources / e.path).exists()
    }
    settings = settings_for(sources, root / "run")
    result = run_main_job(settings, DagsterInstance.ephemeral(), raise_on_error=False)
    return CorpusRun(sources, settings, result, expected, shas)


@pytest.fixture(scope="module")
def warehouse(corpus_run: CorpusRun):
    con = duckdb.connect(str(corpus_run.settings.warehouse_path), read_only=True)
    yield con
    con.close()


# ------------------------------------------------------------------------------------------------ helpers


def _fold(text: str | None) -> str:
    return unicodedata.normalize("NFC", text or "").casefold()


def _plain(value: Any) -> Any:
    """Compare numbers by value (DECIMAL, DOUBLE and int alike), timestamps to the second."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal | float | int):
        return round(float(value), 6)
    if isinstance(value, datetime):  # an Excel serial is a double: 17:00 may read 17:00:00.000001
        return (value + timedelta(microseconds=500_000)).replace(microsecond=0)
    return value


def _rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [tuple(_plain(v) for v in row) for row in rows]


def _params(params: tuple[Any, ...], own_sha: str | None, run: CorpusRun) -> list[Any]:
    out = []
    for p in params:
        if p == SELF:
            out.append(own_sha)
        elif isinstance(p, str) and p.startswith(SHA_PREFIX):
            out.append(run.shas[p.removeprefix(SHA_PREFIX)])
        else:
            out.append(p)
    return out


REGISTER = "select sha256, original_path, source_kind, status, rows_in, rows_loaded, rows_quarantined"


def _register(con, run: CorpusRun, e: Expected) -> dict[str, Any] | None:
    if e.symlink:
        cursor = con.execute(
            f"{REGISTER} from raw.ingested_files where suffix(replace(original_path, '\\', '/'), ?)",
            [e.path],
        )
    else:
        cursor = con.execute(f"{REGISTER} from raw.ingested_files where sha256 = ?", [run.shas[e.path]])
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    assert len(rows) <= 1, f"{e.path}: {len(rows)} register rows"
    return rows[0] if rows else None


def _quarantine(con, sha: str) -> list[dict[str, Any]]:
    cursor = con.execute(
        """select source_row, field, raw_value, reason_code, message_vi, message_en
           from raw.quarantine where file_sha256 = ? order by source_row nulls first, reason_code""",
        [sha],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def _contains(messages: list[str], wanted: str | tuple[str, ...]) -> bool:
    options = (wanted,) if isinstance(wanted, str) else wanted
    return any(_fold(option) in _fold(message) for message in messages for option in options)


# --------------------------------------------------------------------------------------------------- tests


def test_the_run_succeeds_with_the_corpus_on_top(corpus_run: CorpusRun):
    """(a) Hostile files are quarantined, never a failed step."""
    failed = [
        event.step_key for event in corpus_run.result.all_events if event.event_type_value == "STEP_FAILURE"
    ]
    assert failed == []
    assert corpus_run.result.success


# Files of a round whose expected outcome the ingest does not give yet (issue notes): strict, so that the
# day one is fixed the mark must go.
NOT_YET: dict[str, str] = {}


@pytest.mark.parametrize(
    "expected",
    [
        pytest.param(e, marks=pytest.mark.xfail(strict=True, reason=NOT_YET[e.path]))
        if e.path in NOT_YET
        else e
        for e in EXPECTED
    ],
    ids=[e.path for e in EXPECTED],
)
def test_each_corpus_file_has_its_outcome(expected: Expected, corpus_run: CorpusRun, warehouse):
    """(b) Status, reason, rows landed and held back, messages and typed values, file by file."""
    e = expected
    run = corpus_run
    if e.symlink and not (run.sources / e.path).is_symlink():
        pytest.skip("no symbolic links on this platform")
    register = _register(warehouse, run, e)
    if e.status == "left_out":  # an Office lock file: the README says what is left out, and this is
        assert register is None, f"{e.path} was registered ({e.why})"
        return
    assert register is not None, f"{e.path} is not in raw.ingested_files ({e.why})"
    assert (register["source_kind"], register["status"]) == (e.source_kind, e.status), e.why
    quarantine = _quarantine(warehouse, register["sha256"])
    reasons = Counter(q["reason_code"] for q in quarantine)
    messages = [q["message_vi"] or "" for q in quarantine]
    if e.status == "rejected":
        assert len(quarantine) == 1, f"a rejected file has exactly one quarantine row: {quarantine}"
        assert quarantine[0]["reason_code"] == e.reason, (quarantine[0]["message_vi"], e.why)
        assert quarantine[0]["source_row"] is None
        assert quarantine[0]["message_vi"], "the rejection says why, in Vietnamese"
        assert register["rows_loaded"] == 0
    else:
        assert e.reason is None
        assert register["rows_in"] == register["rows_loaded"] + register["rows_quarantined"]
        held_rows = {q["source_row"] for q in quarantine}
        assert None not in held_rows, f"a loaded file's quarantine rows name their row: {quarantine}"
        assert len(held_rows) == register["rows_quarantined"], quarantine
    if e.rows_loaded is not None:
        assert register["rows_loaded"] == e.rows_loaded, (quarantine, e.why)
    if e.quarantined is not None:
        assert dict(reasons) == e.quarantined, (quarantine, e.why)
    for reason in e.quarantine_reasons:
        assert reason in reasons, (quarantine, e.why)
    held = {(q["reason_code"], q["source_row"]) for q in quarantine}
    for pair in e.quarantine_rows:
        assert pair in held, (pair, quarantine)
    for wanted in e.message_contains:
        assert _contains(messages, wanted), (wanted, messages)
    for sql, params, rows in e.values:
        actual = warehouse.execute(sql, _params(params, register["sha256"], run)).fetchall()
        assert _rows(actual) == _rows(rows), (sql, e.why)


def test_the_sample_lands_exactly_as_it_does_alone(corpus_run: CorpusRun, pipeline_run, small_sample: Path):
    """(c) Every file of the sample has the register row and the quarantine it has in the sample-only run."""
    alone, _ = pipeline_run
    files = sorted(p for folder in SOURCE_FOLDERS for p in (small_sample / folder).rglob("*") if p.is_file())
    assert files
    query = (
        """select status, rows_in, rows_loaded, rows_quarantined from raw.ingested_files where sha256 = ?"""
    )
    held = "select reason_code, source_row from raw.quarantine where file_sha256 = ? order by all"
    with (
        duckdb.connect(str(alone.warehouse_path), read_only=True) as before,
        duckdb.connect(str(corpus_run.settings.warehouse_path), read_only=True) as after,
    ):
        for path in files:
            sha = _sha256(path)
            rel = path.relative_to(small_sample)
            expected = before.execute(query, [sha]).fetchall()
            assert after.execute(query, [sha]).fetchall() == expected, rel
            assert after.execute(held, [sha]).fetchall() == before.execute(held, [sha]).fetchall(), rel
        registered = before.execute("select count(*) from raw.ingested_files").fetchone()[0]
    assert registered >= len(files) - 1  # the sample alone registers its files (the empty template aside)


def _sample_citizen_ids(small_sample: Path) -> set[str]:
    ids = set()
    for path in sorted((small_sample / "staffing").glob("*.xlsx")):
        rows = openpyxl.load_workbook(path, read_only=True).worksheets[0].iter_rows(values_only=True)
        headers = list(next(rows))
        column = headers.index("Số CCCD")
        ids.update(str(r[column]) for r in rows if r[column])
    return ids


def test_staffing_id_findings_name_the_file_and_never_the_id(corpus_run: CorpusRun, warehouse, small_sample):
    """(d) One ID on two people and IDs that are not 12 digits are findings on the corpus files; no citizen
    ID (the corpus's or the sample's, with or without its leading zero) appears in any findings column."""
    cursor = warehouse.execute("select * from quality.dq_findings")
    names = [d[0] for d in cursor.description]
    findings = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]

    def found(rule: str, file_name: str) -> list[dict[str, Any]]:
        return [f for f in findings if f["rule_code"] == rule and file_name in (f["evidence_file"] or "")]

    assert found("STAFF_ID_SHARED", "staffing_2025-Q1_trung-cccd.xlsx")
    assert found("STAFF_ID_INVALID", "staffing_2025-Q1_cccd-sai.xlsx")
    ids = set(ALL_CITIZEN_IDS) | _sample_citizen_ids(small_sample)
    ids |= {i.lstrip("0") for i in ids if len(i.lstrip("0")) >= 9}
    pattern = re.compile("|".join(sorted((re.escape(i) for i in ids), key=len, reverse=True)))
    leaks = [
        (f["rule_code"], column)
        for f in findings
        for column, value in f.items()
        if value is not None and pattern.search(str(value))
    ]
    assert leaks == []


def test_no_citizen_id_in_the_quarantine(corpus_run: CorpusRun, warehouse):
    """The quarantine is in the analysts' copy: a held-back staffing row never shows a citizen ID there."""
    rows = warehouse.execute(
        """select q.field, q.raw_value, q.message_vi, q.message_en from raw.quarantine q
           join raw.ingested_files f on f.sha256 = q.file_sha256 where f.source_kind = 'staffing_list'"""
    ).fetchall()
    ids = set(ALL_CITIZEN_IDS) | {i.lstrip("0") for i in ALL_CITIZEN_IDS}
    assert [r for r in rows if any(i in str(v) for v in r if v for i in ids)] == []


def test_no_corpus_file_ends_in_an_unexpected_error(corpus_run: CorpusRun, warehouse):
    """Every corpus file is a case the contract names: none may fall through to `unexpected_error`."""
    shas = list(corpus_run.shas.values())
    rows = warehouse.execute(
        """select f.original_path, q.message_vi from raw.quarantine q join raw.ingested_files f
           on f.sha256 = q.file_sha256 where q.reason_code = 'unexpected_error'
           and f.sha256 in (select unnest(?::varchar[]))""",
        [shas],
    ).fetchall()
    assert rows == []


def test_a_symbolic_link_is_never_followed_nor_archived(corpus_run: CorpusRun):
    links = [e for e in corpus_run.expected if e.symlink and (corpus_run.sources / e.path).is_symlink()]
    if not links:
        pytest.skip("no symbolic links on this platform")
    archive = corpus_run.settings.outputs_dir / "raw_archive"
    for e in links:
        target_sha = _sha256((corpus_run.sources / e.path).resolve())
        assert not [p for p in archive.rglob("*") if target_sha in p.name], e.path


def _contract_codes() -> tuple[set[str], set[str]]:
    text = CONTRACT.read_text(encoding="utf-8")
    whole, rows = text.split("Row-level quarantine", 1)
    code = re.compile(r"^\| `([a-z_]+)` \|", re.MULTILINE)
    return set(code.findall(whole)), set(code.findall(rows))


def test_the_corpus_covers_the_contract():
    """(e) At least 80 files, and every reason code of the contract expected somewhere (`unexpected_error`
    aside: no designed file should end there, which the test above checks)."""
    assert len(EXPECTED) >= 80
    whole, rows = _contract_codes()
    assert whole == set(WHOLE_FILE_REASONS) and rows == set(ROW_REASONS)  # the corpus knows every code
    covered = {e.reason for e in EXPECTED if e.reason}
    for e in EXPECTED:
        covered |= set(e.quarantined or {}) | set(e.quarantine_reasons) | {r for r, _ in e.quarantine_rows}
    assert (whole | rows) - NOT_DESIGNABLE - covered == set()
    assert len({e.path for e in EXPECTED}) == len(EXPECTED)
    assert {e.source_kind for e in EXPECTED} == {
        "submission_form",
        "dossier_export",
        "staffing_list",
        "narrative_report",
    }


# Each round after the first, in order, with the fewest files it was asked for.
LATER_ROUNDS = {
    2: (ROUND2, 60),
    3: (ROUND3, 40),
    4: (ROUND4, 40),
    5: (ROUND5, 40),
    6: (ROUND6, 40),
    7: (ROUND7, 35),
    8: (ROUND8, 30),
    9: (ROUND9, 30),
    10: (ROUND10, 30),
    11: (ROUND11, 30),
    12: (ROUND12, 17),
    13: (ROUND13, 20),
    14: (ROUND14, 20),
    15: (ROUND15, 13),
    16: (ROUND16, 12),
    17: (ROUND17, 12),
    18: (ROUND18, 12),
    19: (ROUND19, 12),
    20: (ROUND20, 12),
    21: (ROUND21, 12),
    22: (ROUND22, 12),
    23: (ROUND23, 12),
    24: (ROUND24, 12),
    25: (ROUND25, 12),
    26: (ROUND26, 12),
    27: (ROUND27, 12),
    28: (ROUND28, 12),
    29: (ROUND29, 12),
    30: (ROUND30, 12),
    31: (ROUND31, 12),
    32: (ROUND32, 12),
    33: (ROUND33, 12),
}


@pytest.mark.parametrize("number", sorted(LATER_ROUNDS))
def test_each_later_round_adds_files_of_every_source_at_new_paths(number: int):
    """A round brings at least the files it was asked for, for all four sources, none at a path of a round
    before it."""
    files, fewest = LATER_ROUNDS[number]
    assert len(files) >= fewest
    kinds = {"submission_form", "dossier_export", "staffing_list", "narrative_report"}
    assert {e.source_kind for e in files} == kinds
    before = [ROUND1, *(r for n, (r, _) in LATER_ROUNDS.items() if n < number)]
    earlier = {e.path for r in before for e in r}
    assert not {e.path for e in files} & earlier
