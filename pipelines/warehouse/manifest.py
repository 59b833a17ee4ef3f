"""The dbt manifest: produced by `dbt parse` at install time and refreshed when the project changes.

Kept apart from `pipelines.warehouse.dbt` (which needs the manifest to exist when it is imported).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from pipelines.settings import DBT_PROJECT_DIR, Settings

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
PARTIAL_PARSE = MANIFEST.with_name("partial_parse.msgpack")
KEEP_INVOCATIONS = 5  # dagster-dbt writes one target folder per run (~7 MB each); older ones are removed
# dbt's partial-parse state per set of profile values (a warehouse elsewhere than the default, another
# memory budget, a server): dbt parses the whole project again (~2 s a command) when the profile differs
# from the one its state was saved with, so each setup keeps the state its own last command left.
PARSE_STATES = MANIFEST.parent / "parse_states"
KEEP_PARSE_STATES = 8  # ~1,2 MB each
# What dbt's profile reads (profiles.yml, seed_path_env); its rendered values make dbt's profile hash
PROFILE_VARIABLES = (
    "CDS_WAREHOUSE_PATH",
    "CDS_DUCKDB_MEMORY_LIMIT",
    "CDS_DBT_SEED_PATH",
    "PGHOST",
    "PGPORT",
    "PGUSER",
    "PGPASSWORD",
    "PGDATABASE",
)


def _project_files() -> list[Path]:
    patterns = ("models/**/*.sql", "models/**/*.yml", "seeds/*.csv", "seeds/*.yml", "macros/*.sql")
    files = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for pattern in patterns:
        files.extend(DBT_PROJECT_DIR.glob(pattern))
    return files


def manifest_is_stale() -> bool:
    if not MANIFEST.exists():
        return True
    built = MANIFEST.stat().st_mtime
    return any(f.stat().st_mtime > built for f in _project_files())


def dbt_command(*args: str) -> list[str]:
    """A dbt command line for this project: the dbt beside this interpreter, the project's own profile."""
    dbt = Path(sys.executable).parent / "dbt"
    project = str(DBT_PROJECT_DIR)
    return [str(dbt), *args, "--project-dir", project, "--profiles-dir", project]


def dbt_env(warehouse_path: str | Path, memory_limit: str, reference_dir: Path) -> dict[str, str]:
    """The environment dbt's profile reads. Parsing with the values the runs use keeps dbt's profile hash
    stable, so each run parses only what changed (partial parsing) instead of the whole project (~3 s)."""
    return {
        **os.environ,
        "CDS_WAREHOUSE_PATH": str(warehouse_path),
        "CDS_DUCKDB_MEMORY_LIMIT": memory_limit,
        **seed_path_env(reference_dir),
    }


def seed_path_env(reference_dir: Path) -> dict[str, str]:
    """dbt's `seed-paths` for a reference folder other than the project's: relative to the dbt project,
    because dbt writes each test's compiled SQL under `target/compiled/<seed path>/` and an absolute path
    would escape it. Empty for the project's own seeds, so the default parse stays identical."""
    if reference_dir.resolve() == (DBT_PROJECT_DIR / "seeds").resolve():
        return {}
    relative = os.path.relpath(reference_dir.resolve(), DBT_PROJECT_DIR)
    if relative.startswith(os.path.join(os.pardir, os.pardir)):
        raise ValueError(
            f"CDS_REFERENCE_DIR={reference_dir} must be inside {DBT_PROJECT_DIR.parent}: dbt writes compiled "
            "tests under target/ beside the seed path"
        )
    return {"CDS_DBT_SEED_PATH": relative}


def ensure_manifest(settings: Settings, force: bool = False) -> Path:
    """Run `dbt parse` when the manifest is missing or older than the project files, with the values the
    runs of these settings use."""
    if force or manifest_is_stale():
        env = dbt_env(settings.warehouse_path, settings.duckdb_memory_limit, settings.reference_dir)
        subprocess.run(dbt_command("parse", "--quiet"), check=True, env=env)
        MANIFEST.touch()
    return MANIFEST


# The models a single form's rules read (`cds check`), compiled against an in-memory database: their SQL
# then names `"memory".<schema>.<table>`, what an in-memory DuckDB of the check calls its own tables.
CHECK_MODELS = "+int_indicators_reported +stg_submissions__forms +dim_period +dim_indicator"
CHECK_TARGET = DBT_PROJECT_DIR / "target" / "check"
CHECK_MANIFEST = CHECK_TARGET / "manifest.json"


def ensure_check_models(reference_dir: Path, force: bool = False) -> Path:
    """`dbt compile` of CHECK_MODELS into `target/check/` when missing or older than the project (~8 s,
    once); the manifest there holds their compiled SQL and dependencies. No database is opened."""
    stale = not CHECK_MANIFEST.exists() or any(
        f.stat().st_mtime > CHECK_MANIFEST.stat().st_mtime for f in _project_files()
    )
    if force or stale:
        env = {**os.environ, "CDS_WAREHOUSE_PATH": ":memory:", **seed_path_env(reference_dir)}
        command = dbt_command(
            "compile", "--select", CHECK_MODELS, "--target-path", str(CHECK_TARGET), "--quiet"
        )
        completed = subprocess.run([*command, "--quiet"], env=env, capture_output=True, text=True)
        if completed.returncode != 0:
            raise RuntimeError(f"dbt compile of the check models failed:\n{completed.stdout[-2000:]}")
        CHECK_MANIFEST.touch()
    return CHECK_MANIFEST


def _parse_state(env: Mapping[str, str]) -> Path:
    """Where the partial-parse state of a command run with `env` is kept (named by a digest of the
    profile's values: the password never appears in a file name)."""
    values = "\n".join(f"{name}={env.get(name, '')}" for name in PROFILE_VARIABLES)
    return PARSE_STATES / f"{hashlib.sha256(values.encode()).hexdigest()[:16]}.msgpack"


def seed_partial_parse(target: Path, env: Mapping[str, str] | None = None) -> None:
    """Start a dbt command that writes into `target` from the partial-parse state the last command with
    the same profile values left (`keep_partial_parse`), else from the project's (`cds dbt-parse`). dbt
    checks the state itself: files changed since are parsed again, another dbt version parses all."""
    kept = _parse_state(env) if env is not None else None
    source = kept if kept is not None and kept.exists() else PARTIAL_PARSE
    if source.exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target / PARTIAL_PARSE.name)


def keep_partial_parse(target: Path, env: Mapping[str, str]) -> None:
    """Keep the partial-parse state a command left in `target` for the next command with the same profile
    values (the newest KEEP_PARSE_STATES setups are kept)."""
    state = target / PARTIAL_PARSE.name
    if not state.exists():
        return
    kept = _parse_state(env)
    PARSE_STATES.mkdir(parents=True, exist_ok=True)
    scratch = kept.with_suffix(f".{os.getpid()}.tmp")
    shutil.copyfile(state, scratch)
    os.replace(scratch, kept)  # a command reading the state meanwhile sees the old file or the new one
    states = sorted(PARSE_STATES.glob("*.msgpack"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in states[KEEP_PARSE_STATES:]:
        old.unlink(missing_ok=True)


def prune_invocation_targets(prefix: str, keep: int = KEEP_INVOCATIONS) -> None:
    """Remove all but the newest `keep` per-run target folders dagster-dbt left behind."""
    folders = sorted(
        (p for p in MANIFEST.parent.glob(f"{prefix}-*") if p.is_dir()),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for folder in folders[keep:]:
        shutil.rmtree(folder, ignore_errors=True)
