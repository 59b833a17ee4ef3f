"""The raw file register, the archive of raw files, and the quarantine — shared by every source.

Every file ingested is registered by its sha256 (the same bytes twice is a no-op) and copied under
`outputs/raw_archive/<sha256><suffix>`; every rejected row or file lands in `raw.quarantine` with the
file, row, field, raw value and a reason in Vietnamese and English.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb

from pipelines.core.files import file_sha256
from pipelines.core.rows import insert_rows
from pipelines.ingest.archive_crypto import SUFFIX as ENCRYPTED_SUFFIX
from pipelines.ingest.archive_crypto import encrypt, encrypted_name

T = TypeVar("T")

REGISTER_DDL = """
create schema if not exists raw;
create table if not exists raw.ingested_files (
    sha256 varchar primary key,
    original_path varchar not null,
    source_kind varchar not null,
    size_bytes bigint not null,
    rows_in bigint not null,
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    ingested_at timestamp not null,
    status varchar not null,
    detected varchar,
    error_detail varchar
);
-- warehouses made before these columns existed
alter table raw.ingested_files add column if not exists detected varchar;
alter table raw.ingested_files add column if not exists error_detail varchar;
create table if not exists raw.quarantine (
    file_sha256 varchar not null,
    source_row integer,
    field varchar,
    raw_value varchar,
    reason_code varchar not null,
    message_vi varchar not null,
    message_en varchar not null,
    quarantined_at timestamp not null
);
"""


class IngestError(Exception):
    """A problem a person must fix in the file: names the file, the row and the field."""

    def __init__(
        self,
        file: Path,
        row: int | None,
        field: str | None,
        message_vi: str,
        message_en: str,
        reason: str = "file_rejected",
        raw_value: str | None = None,
        detail: str | None = None,
    ):
        self.file, self.row, self.field, self.reason = file, row, field, reason
        self.message_vi, self.message_en, self.raw_value = message_vi, message_en, raw_value
        self.detail = detail  # a traceback for engineers, kept in the register, never shown to officials
        where = f"{file.name}, dòng {row}" if row else file.name
        about = f", trường '{field}'" if field else ""
        super().__init__(f"{where}{about}: {message_vi} ({message_en})")

    @classmethod
    def unexpected(cls, file: Path, error: BaseException) -> IngestError:
        """Any other exception met while reading a file: the file is rejected, the run goes on."""
        return cls(
            file,
            None,
            None,
            f"lỗi không lường trước khi đọc tệp ({type(error).__name__}); tệp được cách ly, "
            "hãy báo cho kỹ sư dữ liệu",
            f"unexpected error while reading the file: {type(error).__name__}: {error}",
            reason="unexpected_error",
            detail="".join(traceback.format_exception(error)),
        )

    def __reduce__(self):  # crosses process boundaries when forms are parsed in parallel
        fields = (
            self.file,
            self.row,
            self.field,
            self.message_vi,
            self.message_en,
            self.reason,
            self.raw_value,
            self.detail,
        )
        return (self.__class__, fields)


@dataclass(frozen=True)
class FileResult:
    path: Path
    sha256: str
    status: str
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: str = ""
    detected: str = ""


def staged_column(index: int) -> str:
    """The staging tables name a file's columns by position (`c0`, `c1`, …), never by its header text."""
    return f"c{index}"


def stage_text_rows(
    con: duckdb.DuckDBPyConnection, width: int, rows: Iterable[tuple[int, Sequence[object]]]
) -> None:
    """Stage (source row, cells) pairs as text in the temp table `_staged` (`c0` … `c<width-1>`,
    `source_row`), for the typing SQL to read."""
    columns = ", ".join(f"{staged_column(i)} varchar" for i in range(width)) + ", source_row integer"
    con.execute(f"create or replace temp table _staged ({columns})")
    insert_rows(
        con,
        "_staged",
        (
            [None if v is None else str(v) for v in (list(cells) + [None] * width)[:width]] + [number]
            for number, cells in rows
        ),
    )


def ensure_register(con: duckdb.DuckDBPyConnection) -> None:
    """Make the register (and bring an older one's columns up to date). `ingest_file` and the dossier
    database reader call it once before they write: the writers below assume it (its DDL cost ~1,4 ms a
    call, run three times a form before)."""
    con.execute(REGISTER_DDL)


def is_registered(con: duckdb.DuckDBPyConnection, sha: str) -> bool:
    return registered(con, sha) is not None


def registered(con: duckdb.DuckDBPyConnection, sha: str) -> bool | None:
    """None when these bytes were never seen; else whether they were rejected. Asked once or twice per
    input file: the register is created only when it is missing (running its DDL on every call cost
    ~1,5 ms a file, a third of a run with nothing new)."""
    try:
        found = con.execute(
            """select count(*), count(*) filter (where status = 'rejected')
               from raw.ingested_files where sha256 = ?""",
            [sha],
        ).fetchall()
    except duckdb.CatalogException:
        ensure_register(con)
        return None
    return found[0][1] > 0 if found[0][0] else None


def registered_among(con: duckdb.DuckDBPyConnection, shas: Iterable[str]) -> set[str]:
    """Which of these bytes were seen before, in one query (one query a file cost ~1 ms each)."""
    try:
        rows = con.execute(
            "select distinct sha256 from raw.ingested_files where sha256 in (select unnest(?::varchar[]))",
            [list(shas)],
        ).fetchall()
    except duckdb.CatalogException:
        ensure_register(con)
        return set()
    return {sha for (sha,) in rows}


# Below this size hashing a file (~20 ms) costs less than asking the warehouse for its recorded hash.
BIG_FILE_BYTES = 32 * 1024**2
# A file changed this close to its hashing is hashed again: a coarse file-system clock could give a rewrite
# the same times as the bytes hashed (git's "racily clean" entries). The hashes are a cache, not data: in a
# schema of their own, outside the raw tables the build's fingerprint sums and the analysts' copy.
RACY_NS = 2_000_000_000
_HASHES_DDL = """
create table if not exists ingest_cache.file_hashes (
    path varchar primary key,
    size_bytes bigint not null,
    mtime_ns bigint not null,
    ctime_ns bigint not null,
    inode bigint not null,
    device bigint not null,
    sha256 varchar not null,
    hashed_at_ns bigint not null
)"""


def path_sha256(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """The sha256 of a file's bytes. A big file (a dossier export of gigabytes: 1,5 s a run at 10 million
    dossiers) whose size, modification and change times, inode and device are those it had when it was
    last hashed is the same file, as git trusts its index: the hash recorded then is its hash. The change
    time moves with every write and cannot be set back by a program, so rewritten bytes are hashed again."""
    stat = path.stat()
    if stat.st_size < BIG_FILE_BYTES:
        return file_sha256(path)
    stamp = [str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev]
    try:
        rows = con.execute(
            """select sha256 from ingest_cache.file_hashes
               where path = ? and size_bytes = ? and mtime_ns = ? and ctime_ns = ?
                 and inode = ? and device = ?
                 and hashed_at_ns - greatest(mtime_ns, ctime_ns) > ?""",
            [*stamp, RACY_NS],
        ).fetchall()
    except duckdb.CatalogException:
        con.execute("create schema if not exists ingest_cache")
        con.execute(_HASHES_DDL)
        rows = []
    if rows:
        return rows[0][0]
    hashed_at = time.time_ns()  # before reading: bytes written during the hashing are later than this
    sha = file_sha256(path)
    con.execute(
        "insert or replace into ingest_cache.file_hashes values (?, ?, ?, ?, ?, ?, ?, ?)",
        [*stamp, sha, hashed_at],
    )
    return sha


def earlier_rejection(con: duckdb.DuckDBPyConnection, sha: str) -> tuple[str, str] | None:
    """(Vietnamese, English) reason these bytes were rejected before, or None if they were not."""
    rows = con.execute(
        """select q.message_vi, q.message_en from raw.ingested_files f
           join raw.quarantine q on q.file_sha256 = f.sha256 and q.source_row is null
           where f.sha256 = ? and f.status = 'rejected' limit 1""",
        [sha],
    ).fetchall()
    return rows[0] if rows else None


RESTRICTED_ARCHIVE = "restricted"  # the part of the archive holding personal data: 0700, files 0600


def archive_copy(
    path: Path, sha: str, archive_dir: Path, personal: bool = False, archive_key: str = ""
) -> Path:
    """Keep the raw file as `<sha256><suffix>`, copied whole or not at all (a temporary name, then a
    rename: a kill mid-copy never leaves a partial copy that would pass for the file). A file holding
    personal data (a staffing list) goes to `restricted/`, readable by the pipeline's user only, and is
    encrypted (`<sha256><suffix>.fernet`) when an archive key is set (`archive_crypto`)."""
    folder = archive_dir / RESTRICTED_ARCHIVE if personal else archive_dir
    plain = folder / f"{sha}{path.suffix.lower()}"
    target = encrypted_name(plain) if personal and archive_key else plain
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    if personal:
        folder.chmod(0o700)
    if target is plain:
        _write_private(folder, sha, target, lambda temporary: shutil.copyfile(path, temporary), personal)
    else:  # the whole list in memory: staffing lists are small (a row per official)
        sealed = encrypt(path.read_bytes(), archive_key)
        _write_private(folder, sha, target, lambda temporary: temporary.write_bytes(sealed), personal)
    return target


def _write_private(
    folder: Path, sha: str, target: Path, fill: Callable[[Path], object], personal: bool
) -> None:
    """Fill a temporary file (private from the start) and rename it to `target`."""
    temporary = folder / f".{sha}.{os.getpid()}.part"
    try:
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        fill(temporary)  # plain copies go through the kernel's copy (sendfile), not a Python loop
        os.chmod(temporary, 0o600 if personal else 0o644)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def archived_shas(con: duckdb.DuckDBPyConnection, source_kind: str) -> list[str]:
    ensure_register(con)
    rows = con.execute(
        "select sha256 from raw.ingested_files where source_kind = ?", [source_kind]
    ).fetchall()
    return [r[0] for r in rows]


def restrict_archived(archive_dir: Path, shas: Iterable[str], archive_key: str = "") -> int:
    """Move archived files of personal data that an earlier version kept in the open part of the archive
    into `restricted/` (mode 0600), and encrypt the plain ones there when an archive key is set; returns
    how many files were moved or encrypted."""
    changed = 0
    folder = archive_dir / RESTRICTED_ARCHIVE
    for sha in shas:
        for old in archive_dir.glob(f"{sha}.*"):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            old.chmod(0o600)
            os.replace(old, folder / old.name)
            changed += 1
        if not archive_key:
            continue
        for plain in folder.glob(f"{sha}.*"):
            if plain.name.endswith(ENCRYPTED_SUFFIX):
                continue
            sealed = encrypt(plain.read_bytes(), archive_key)
            target = encrypted_name(plain)
            _write_private(folder, sha, target, lambda temporary, b=sealed: temporary.write_bytes(b), True)
            plain.unlink()
            changed += 1
    return changed


def register_file(
    con: duckdb.DuckDBPyConnection,
    sha: str,
    path: Path,
    kind: str,
    rows_in: int,
    loaded: int,
    quarantined: int,
    status: str,
    size: int | None = None,
    detected: str | None = None,
    error_detail: str | None = None,
) -> None:
    con.execute(
        """insert into raw.ingested_files (sha256, original_path, source_kind, size_bytes, rows_in,
               rows_loaded, rows_quarantined, ingested_at, status, detected, error_detail)
           values (?, ?, ?, ?, ?, ?, ?, now()::timestamp, ?, ?, ?)""",
        [
            sha,
            str(path),
            kind,
            path.lstat().st_size if size is None else size,
            rows_in,
            loaded,
            quarantined,
            status,
            detected or None,
            error_detail,
        ],
    )


def quarantine_rows(con: duckdb.DuckDBPyConnection, sha: str, problems: list[IngestError]) -> None:
    """Row-level problems: the row is held back, the rest of the file still lands."""
    if not problems:
        return
    con.executemany(
        "insert into raw.quarantine values (?, ?, ?, ?, ?, ?, ?, now()::timestamp)",
        [[sha, p.row, p.field, p.raw_value, p.reason, p.message_vi, p.message_en] for p in problems],
    )


def quarantine_file(con: duckdb.DuckDBPyConnection, sha: str, error: IngestError) -> None:
    """A whole file's rejection: one quarantine row without a row number (the row its reason points at,
    such as a header row, is in the message)."""
    where_vi = f" (dòng {error.row})" if error.row and f"dòng {error.row}" not in error.message_vi else ""
    where_en = f" (row {error.row})" if error.row else ""
    con.execute(
        "insert into raw.quarantine values (?, null, ?, ?, ?, ?, ?, now()::timestamp)",
        [
            sha,
            error.field,
            error.raw_value,
            error.reason,
            error.message_vi + where_vi,
            error.message_en + where_en,
        ],
    )


class Detected:
    """What a reader found out about a file on its way (encoding, delimiter, sheet, header row), for the
    register's `detected` column; readers add to it as they go."""

    def __init__(self) -> None:
        self.items: dict[str, str] = {}

    def note(self, key: str, value: object) -> None:
        self.items[key] = str(value)

    def __str__(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.items.items())


def symlink_error(path: Path) -> IngestError:
    return IngestError(
        path,
        None,
        None,
        "tệp là liên kết tượng trưng (symlink): không được đọc; hãy đặt chính tệp vào thư mục nguồn",
        "the file is a symbolic link; it is never followed: put the file itself in the sources folder",
        reason="symlink",
    )


def _reject(
    con: duckdb.DuckDBPyConnection, sha: str, path: Path, kind: str, error: IngestError, detected: str
) -> FileResult:
    con.begin()
    try:
        quarantine_file(con, sha, error)
        register_file(con, sha, path, kind, 0, 0, 0, "rejected", detected=detected, error_detail=error.detail)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return FileResult(path, sha, "rejected", message=str(error), detected=detected)


def _holds_personal(personal: bool | Callable[[], bool]) -> bool:
    return personal() if callable(personal) else personal


def ingest_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    source_kind: str,
    archive_dir: Path,
    read: Callable[[], T],
    land: Callable[[str, T], tuple[int, int]],
    sha: str | None = None,
    detected: Detected | None = None,
    personal: bool | Callable[[], bool] = False,
    archive_key: str = "",
    register_ready: bool = False,
) -> FileResult:
    """The life of every input file: refuse links, skip known bytes, read, archive, land, register.

    This is the per-file boundary: whatever `read()` or `land()` raises, the file is rejected with its
    reason (an `IngestError`, or any other exception with its traceback kept in the register) and the run
    goes on with the next file. `read()` parses or stages the file; `land(sha, what_read)` writes its rows
    and returns (loaded, held back). Landing and registering happen in one transaction: a file's rows,
    quarantine entries and register line land together or not at all, and a file-backed warehouse syncs
    once per file rather than once per statement. Bytes rejected before are reported as rejected again,
    under this file's name, so an empty or broken file is never skipped in silence. `register_ready`: the
    caller made the register for a batch of files (`ensure_register`), so it is not made again per file.
    `personal`: the file holds personal data (its copy goes to the restricted archive); a callable is asked
    after `read()`, when what the file holds is known.
    """
    detected = detected or Detected()
    if not register_ready:
        ensure_register(con)
    if path.is_symlink():  # checked before anything reads through the link
        sha = hashlib.sha256(f"symlink:{path}".encode()).hexdigest()
        if is_registered(con, sha):
            return FileResult(path, sha, "rejected", message=str(symlink_error(path)))
        return _reject(con, sha, path, source_kind, symlink_error(path), "")
    sha = sha or path_sha256(con, path)
    rejected = registered(con, sha)
    if rejected is not None:
        earlier = earlier_rejection(con, sha) if rejected else None  # a loaded file's bytes: no query
        if earlier is None:
            return FileResult(path, sha, "skipped")
        again = IngestError(path, None, None, earlier[0], earlier[1])
        return FileResult(path, sha, "rejected", message=f"{again} (đã từ chối trước đó / rejected before)")
    try:
        what_read = read()
    except Exception as error:  # the boundary: no exception of one file stops the others
        failure = error if isinstance(error, IngestError) else IngestError.unexpected(path, error)
        if failure.reason != "file_too_large":  # an oversized file stays where it is, uncopied
            archive_copy(path, sha, archive_dir, _holds_personal(personal), archive_key)
        return _reject(con, sha, path, source_kind, failure, str(detected))
    archive_copy(path, sha, archive_dir, _holds_personal(personal), archive_key)
    con.begin()
    try:
        loaded, held = land(sha, what_read)
        register_file(
            con, sha, path, source_kind, loaded + held, loaded, held, "loaded", detected=str(detected)
        )
        con.commit()
    except Exception as error:
        con.rollback()
        failure = error if isinstance(error, IngestError) else IngestError.unexpected(path, error)
        return _reject(con, sha, path, source_kind, failure, str(detected))
    except BaseException:
        con.rollback()
        raise
    return FileResult(path, sha, "loaded", loaded, held, detected=str(detected))
