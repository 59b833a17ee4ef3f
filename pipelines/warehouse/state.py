"""Work proportional to what changed: a run with nothing new skips dbt, the checks and the publication.

What the warehouse, the findings and the reports are made of is summed up in one fingerprint: every raw and
restricted table (its row count and the order-free sum of its rows' hashes, in which two equal rows never
cancel), the code and templates, the dbt project, the expectations and accept list, the reference seeds, the
locked library versions, the signer of the documents, and the day (a form not yet sent becomes missing
at midnight). The dbt asset compares it with the fingerprint of the last run that finished
(`outputs/last_build.json`); when they are equal and that run's outputs are still there, it yields nothing,
and Dagster skips every step downstream:
the dbt build, the GX suites, the reporting views, the reports, the docs and the analysts' copy.

`cds run` goes one step earlier (`inbox_fingerprint`): what it can see before launching anything, namely
every file under the sources folder (path, size, modification time), the same code, project, rules, seeds
and day, and the settings. When that equals what the last successful `cds run` saw, and the record above
still holds, no Dagster run is launched at all. Without a dossier database to pull, nothing else feeds the
ingest. A file touched or added, another day or setting, or a run the command did not launch (a sensor, a
schedule, the UI) means the main job runs and decides as above.

The record is written only when a whole main job succeeded (`pipelines/run.py`): the dbt asset leaves the
fingerprint it built from in `last_build.pending.json`, and a successful run promotes it. A run that failed,
or one launched elsewhere, promotes nothing, so the next run builds again: a skip is never wrong, at worst a
build is not needed.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import duckdb

from pipelines.core.sqltext import quote_qualified
from pipelines.settings import PROJECT_ROOT

RECORD = "last_build.json"
PENDING = "last_build.pending.json"
# What the outputs are made of besides the data: code, templates, dbt project, rules, locked libraries.
_MADE_OF = (
    ("pipelines", ("**/*.py", "**/*.j2")),
    ("dbt_project", ("dbt_project.yml", "profiles.yml", "models/**/*", "macros/**/*")),
    ("expectations", ("**/*",)),
    (".", ("uv.lock", "pyproject.toml")),
)


def _files_digest(digest, root: Path, patterns: tuple[str, ...]) -> None:
    files = sorted({p for pattern in patterns for p in root.glob(pattern) if p.is_file()})
    for path in files:
        digest.update(str(path.relative_to(root)).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())


def _made_of_digest(digest, reference_dir: Path) -> None:
    """The code, project, rules, locked libraries and reference seeds, into `digest`."""
    for folder, patterns in _MADE_OF:
        _files_digest(digest, PROJECT_ROOT / folder, patterns)
    _files_digest(digest, reference_dir, ("*.csv", "*.yml"))


# The part of the fingerprint that is not a raw table: the day, the signer, the server, the code and seeds.
CONTEXT = "context"


def inputs_parts(
    con: duckdb.DuckDBPyConnection, reference_dir: Path, today: date, signed_by: str = "", served_to: str = ""
) -> dict[str, str]:
    """The fingerprint in parts (see the module's docstring): one digest per raw and restricted table, keyed
    `schema.table`, and `CONTEXT` for all the rest. `signed_by`: the signature block the documents carry (a
    new signer is a new version of them). `served_to`: the server warehouse the run also builds, if any (a
    server set for the first time, or another one, is built even when no data changed)."""
    context = hashlib.sha256(f"{today.isoformat()}|{signed_by}|{served_to}".encode())
    _made_of_digest(context, reference_dir)
    parts = {CONTEXT: context.hexdigest()}
    tables = con.execute(
        """select table_schema, table_name from information_schema.tables
           where table_schema in ('raw', 'restricted') and table_type = 'BASE TABLE' order by all"""
    ).fetchall()
    for schema, name in tables:
        count, rows = rows_digest(con, schema, name)
        parts[f"{schema}.{name}"] = f"{count}:{rows}"
    return parts


def fingerprint_of(parts: dict[str, str]) -> str:
    """One digest of all the parts: the fingerprint a build is compared by."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def inputs_fingerprint(
    con: duckdb.DuckDBPyConnection, reference_dir: Path, today: date, signed_by: str = "", served_to: str = ""
) -> str:
    """The fingerprint of everything the outputs are made of (`inputs_parts`, in one digest)."""
    return fingerprint_of(inputs_parts(con, reference_dir, today, signed_by, served_to))


def tables_changed_since(record: dict | None, parts: dict[str, str]) -> set[str] | None:
    """The raw and restricted tables (`schema.table`) whose rows differ from those the last finished build
    was made of; None when that build is unknown or anything besides the tables changed (the code, the
    seeds, the day, the signer, the server): then everything is built."""
    if not record or not isinstance(before := record.get("parts"), dict):
        return None
    if before.get(CONTEXT) != parts[CONTEXT]:
        return None
    return {name for name in before.keys() | parts.keys() if before.get(name) != parts.get(name)}


def rows_digest(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> tuple[int, int | None]:
    """A table's row count and the order-free sum of its rows' hashes (two equal rows never cancel)."""
    # sql-checked: names from the catalog, quoted
    return con.execute(
        f"select count(*), sum(hash(t)::hugeint) from {quote_qualified(f'{schema}.{name}')} as t"
    ).fetchall()[0]


def inbox_fingerprint(sources_dir: Path, reference_dir: Path, settings: dict, today: date) -> str:
    """What `cds run` can see before it launches the main job (see the module's docstring). `settings`:
    every setting, secrets included (only their digest is kept)."""
    digest = hashlib.sha256(today.isoformat().encode())
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    for path in sorted(p for p in sources_dir.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(f"{path.relative_to(sources_dir)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    _made_of_digest(digest, reference_dir)
    return digest.hexdigest()


def remember_inbox(outputs_dir: Path, inbox: str) -> None:
    """After a successful `cds run` (a build or a skip): the inbox it saw goes with the last build's record
    (there only if that build finished and nothing built since)."""
    record = last_build(outputs_dir)
    if record is None:
        return
    staged = outputs_dir / f".{RECORD}.tmp"
    staged.write_text(json.dumps({**record, "inbox": inbox}, indent=2), encoding="utf-8")
    staged.replace(outputs_dir / RECORD)


def inbox_unchanged(outputs_dir: Path, inbox: str, needed: list[Path]) -> dict | None:
    """The last build's record when the last successful `cds run` saw this same inbox and its outputs are
    all still there."""
    record = last_build(outputs_dir)
    if record and record.get("inbox") == inbox and all(p.exists() for p in needed):
        return record
    return None


def last_build(outputs_dir: Path) -> dict | None:
    path = outputs_dir / RECORD
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def unchanged_since_last_build(outputs_dir: Path, fingerprint: str, needed: list[Path]) -> dict | None:
    """The last build's record when it was made of the same inputs and its outputs are all still there."""
    record = last_build(outputs_dir)
    if record and record.get("fingerprint") == fingerprint and all(p.exists() for p in needed):
        return record
    return None


def note_pending(
    outputs_dir: Path, fingerprint: str, run_id: str, parts: dict[str, str] | None = None
) -> None:
    """What this run builds from; promoted to the record only if the whole run succeeds. A build rewrites
    the outputs, so the last record stops holding from here: a build that is killed or fails half-way
    (a publication cut off, its scratch folder left) is built again by the next run, never skipped."""
    outputs_dir.mkdir(parents=True, exist_ok=True)
    (outputs_dir / RECORD).unlink(missing_ok=True)
    pending = {"fingerprint": fingerprint, "run_id": run_id, **({"parts": parts} if parts else {})}
    (outputs_dir / PENDING).write_text(json.dumps(pending), "utf-8")


def promote_pending(outputs_dir: Path, run_id: str, finished_at: str) -> bool:
    """After a successful run: the inputs it built from become the last build's (atomic rename)."""
    pending = outputs_dir / PENDING
    try:
        record = json.loads(pending.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if record.get("run_id") != run_id:
        return False
    record["finished_at"] = finished_at
    staged = outputs_dir / f".{RECORD}.tmp"
    staged.write_text(json.dumps(record, indent=2), encoding="utf-8")
    staged.replace(outputs_dir / RECORD)
    pending.unlink(missing_ok=True)
    return True
