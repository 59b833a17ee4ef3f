"""The one place that reads the environment.

Every `CDS_*` variable is read here, once, with a default that works on a fresh clone. Other modules
ask for `get_settings()`; tests build a `Settings` pointing at `tmp_path` instead.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
DEFAULT_MEMORY_LIMIT = "1GB"
DEFAULT_LOCK_WAIT_SECONDS = 120.0


def _path(env: dict[str, str], name: str, default: Path) -> Path:
    value = env.get(name)
    path = Path(value) if value else default
    return path if path.is_absolute() else (PROJECT_ROOT / path)


def _day(env: dict[str, str], name: str, default: int) -> int:
    value = env.get(name) or str(default)
    if not value.isdigit() or not 1 <= int(value) <= 28:
        raise ValueError(f"{name} must be a day of the month from 1 to 28, got {value!r}")
    return int(value)


def _seconds(env: dict[str, str], name: str, default: float) -> float:
    value = env.get(name) or str(default)
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86_400:
        raise ValueError(f"{name} must be a number of seconds from 0 to 86400, got {value!r}")
    return seconds


# Appended to dagster.yaml when CDS_DAGSTER_POSTGRES_URL is set (a server deployment, README "Deploying on a
# server"): runs, event logs and schedules in PostgreSQL, shared by the webserver, the daemon and `cds run`.
POSTGRES_STORAGE = """
# Runs, event logs and schedules in PostgreSQL (CDS_DAGSTER_POSTGRES_URL), shared by the webserver, the
# daemon and every `cds run`; written by the project because that setting is set.
storage:
  postgres:
    postgres_url:
      env: CDS_DAGSTER_POSTGRES_URL
"""


@dataclass(frozen=True)
class Settings:
    sources_dir: Path
    outputs_dir: Path
    warehouse_path: Path
    dagster_home: Path
    analyst_path: Path  # the analysts' read-only copy of the warehouse, replaced after each run
    # The reference seeds (communes, aliases, indicators, calendar): the project's own unless another
    # territory's are given (the national benchmark points it at 3,321 communes over two years).
    reference_dir: Path = DBT_PROJECT_DIR / "seeds"
    dossier_db_url: str | None = None
    # DuckDB's memory budget in every pipeline process (dbt and GX too); beyond it DuckDB spills to disk.
    duckdb_memory_limit: str = DEFAULT_MEMORY_LIMIT
    # How long a pipeline writer waits for another process to release the warehouse file's lock.
    warehouse_lock_wait: float = DEFAULT_LOCK_WAIT_SECONDS
    pseudonym_key: str = field(default="", repr=False)
    # A Fernet key: archived staffing lists are kept encrypted with it (off when empty; see archive_crypto).
    archive_key: str = field(default="", repr=False)
    # Where the random pseudonym key is kept when CDS_PSEUDONYM_KEY is not set: outside DAGSTER_HOME, so
    # resetting Dagster's instance never changes every person_key (default `secrets/` beside `outputs/`).
    pseudonym_key_path: Path | None = None
    # Day of the month after a period ends on which its report is published (07:00 Asia/Ho_Chi_Minh):
    # five days after the communes' deadline on the 5th (quarters) and 10th of January (year).
    report_day_quarter: int = 10
    report_day_nine_months: int = 10
    report_day_year: int = 15
    # The signature block of the Department's report: the signer's name (left as a placeholder for the
    # clerk when empty) and role (GIÁM ĐỐC by default; PHÓ GIÁM ĐỐC, KT. GIÁM ĐỐC … where delegated).
    signer_name: str = ""
    signer_role: str = ""
    # A server deployment: Dagster's runs, event logs and schedules in this PostgreSQL database
    # (dagster-postgres) instead of SQLite files under DAGSTER_HOME.
    dagster_postgres_url: str = field(default="", repr=False)
    # A server deployment: the warehouse built on this PostgreSQL database too, after each run
    # (pipelines/warehouse/server.py), read there by the analysts' role.
    postgres_url: str = field(default="", repr=False)
    postgres_analyst_role: str = "cds_analyst"

    @property
    def reports_dir(self) -> Path:
        return self.outputs_dir / "reports"

    @property
    def pseudonym_key_file(self) -> Path:
        return self.pseudonym_key_path or self.outputs_dir.parent / "secrets" / "pseudonym.key"

    @property
    def legacy_pseudonym_key_file(self) -> Path:
        """Where earlier versions kept the key (inside DAGSTER_HOME); moved out on first use."""
        return self.dagster_home / "pseudonym.key"

    def prepare_dagster_home(self) -> Path:
        """Create DAGSTER_HOME with the project's instance settings (one run at a time, no telemetry; with
        CDS_DAGSTER_POSTGRES_URL, storage in PostgreSQL) unless the operator wrote their own dagster.yaml
        there; export it, absolute, as Dagster requires. A dagster.yaml the project wrote follows the
        setting: set or unset the URL and the next command switches the storage."""
        self.dagster_home.mkdir(parents=True, exist_ok=True)
        instance_yaml = self.dagster_home / "dagster.yaml"
        base = Path(__file__).with_name("dagster.yaml").read_text(encoding="utf-8")
        ours = {base, base + POSTGRES_STORAGE}
        wanted = base + POSTGRES_STORAGE if self.dagster_postgres_url else base
        current = instance_yaml.read_text(encoding="utf-8") if instance_yaml.exists() else None
        if current is None or (current in ours and current != wanted):
            instance_yaml.write_text(wanted, encoding="utf-8")
        os.environ["DAGSTER_HOME"] = str(self.dagster_home)
        if self.dagster_postgres_url:
            os.environ["CDS_DAGSTER_POSTGRES_URL"] = self.dagster_postgres_url  # read by dagster.yaml
        return self.dagster_home

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        outputs_dir = _path(env, "CDS_OUTPUTS_DIR", PROJECT_ROOT / "outputs")
        warehouse_path = _path(env, "CDS_WAREHOUSE_PATH", outputs_dir / "warehouse.duckdb")
        return cls(
            sources_dir=_path(env, "CDS_SOURCES_DIR", PROJECT_ROOT / "sources"),
            outputs_dir=outputs_dir,
            warehouse_path=warehouse_path,
            dagster_home=_path(env, "DAGSTER_HOME", PROJECT_ROOT / ".dagster_home"),
            analyst_path=_path(env, "CDS_ANALYST_PATH", warehouse_path.with_name("analyst.duckdb")),
            reference_dir=_path(env, "CDS_REFERENCE_DIR", DBT_PROJECT_DIR / "seeds"),
            dossier_db_url=env.get("CDS_DOSSIER_DB_URL") or None,
            duckdb_memory_limit=env.get("CDS_DUCKDB_MEMORY_LIMIT") or DEFAULT_MEMORY_LIMIT,
            warehouse_lock_wait=_seconds(env, "CDS_WAREHOUSE_LOCK_WAIT", DEFAULT_LOCK_WAIT_SECONDS),
            pseudonym_key=env.get("CDS_PSEUDONYM_KEY", ""),
            archive_key=env.get("CDS_ARCHIVE_KEY", ""),
            pseudonym_key_path=_path(
                env, "CDS_PSEUDONYM_KEY_FILE", outputs_dir.parent / "secrets" / "pseudonym.key"
            ),
            report_day_quarter=_day(env, "CDS_REPORT_DAY_QUARTER", 10),
            report_day_nine_months=_day(env, "CDS_REPORT_DAY_NINE_MONTHS", 10),
            report_day_year=_day(env, "CDS_REPORT_DAY_YEAR", 15),
            signer_name=env.get("CDS_SIGNER_NAME", "").strip(),
            dagster_postgres_url=env.get("CDS_DAGSTER_POSTGRES_URL", ""),
            postgres_url=_server_url(env),
            postgres_analyst_role=env.get("CDS_POSTGRES_ANALYST_ROLE", "").strip() or "cds_analyst",
            signer_role=env.get("CDS_SIGNER_ROLE", "").strip(),
        )


# libpq's own variables, which name a server without a URL; the URL that leaves everything to them
_LIBPQ_SERVER = ("PGHOST", "PGDATABASE", "PGSERVICE")
LIBPQ_URL = "postgresql://"


def _server_url(env: dict[str, str]) -> str:
    """The server warehouse's connection: CDS_POSTGRES_URL, or, with CDS_WAREHOUSE=postgres and no URL,
    libpq's PG* variables (an empty `postgresql://` URL, which libpq completes from them). CDS_WAREHOUSE is
    `duckdb` (the embedded default: no server) or `postgres`."""
    kind = env.get("CDS_WAREHOUSE", "duckdb").strip().lower() or "duckdb"
    if kind not in ("duckdb", "postgres"):
        raise ValueError(f"CDS_WAREHOUSE must be duckdb or postgres, got {kind!r}")
    url = env.get("CDS_POSTGRES_URL", "")
    if kind == "postgres" and not url:
        if not any(env.get(name) for name in _LIBPQ_SERVER):
            raise ValueError(
                "CDS_WAREHOUSE=postgres needs the server: CDS_POSTGRES_URL, or PGHOST/PGDATABASE "
                "(and PGUSER, PGPASSWORD, PGPORT as needed)"
            )
        url = LIBPQ_URL
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()


MIN_KEY_CHARACTERS = 32


class PseudonymKeyError(RuntimeError):
    """The pseudonym key is unusable: pseudonymising under it would give keys anyone could recompute."""


def pseudonym_secret(env_key: str, key_file: Path, legacy_file: Path | None = None) -> str:
    """The HMAC secret for pseudonyms: CDS_PSEUDONYM_KEY when set, else a random key made once per
    installation and kept in `key_file` (mode 0600), so pseudonyms stay stable across runs.

    The key file is written atomically (a temporary file, fsync, then a hard link that fails if another
    process made the key first), so a crash never leaves an empty key. An empty or short key is refused:
    every `person_key` under it could be recomputed by anyone. A key left in DAGSTER_HOME by an earlier
    version is moved here, never replaced, since a new key changes every `person_key`."""
    if env_key:
        return _usable(env_key, "CDS_PSEUDONYM_KEY")
    if not key_file.exists() and legacy_file is not None and legacy_file.exists():
        _write_key(key_file, _usable(legacy_file.read_text().strip(), str(legacy_file)))
        legacy_file.unlink()
        _warn(f"pseudonym key moved from {legacy_file} to {key_file} (every person_key unchanged)")
    if not key_file.exists() and _write_key(key_file, secrets.token_hex(32)):
        _warn(
            f"A NEW pseudonym key was created in {key_file}. Keep it, and back it up with the warehouse: "
            "a different key gives every official a different person_key."
        )
    return _usable(key_file.read_text().strip(), str(key_file))


def _usable(key: str, where: str) -> str:
    if len(key) < MIN_KEY_CHARACTERS:
        raise PseudonymKeyError(
            f"Khóa bút danh ở {where} rỗng hoặc ngắn hơn {MIN_KEY_CHARACTERS} ký tự: không chạy tiếp "
            f"(the pseudonym key in {where} is empty or shorter than {MIN_KEY_CHARACTERS} characters; "
            "refusing to pseudonymise with it: restore the key file or set CDS_PSEUDONYM_KEY)"
        )
    return key


def _write_key(key_file: Path, key: str) -> bool:
    """Write `key` as `key_file` atomically and exclusively; False when another process made it first."""
    key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = key_file.with_name(f".{key_file.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, key_file)
        except FileExistsError:
            return False
        directory = os.open(key_file.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return True
    finally:
        temporary.unlink(missing_ok=True)


def _warn(message: str) -> None:
    logging.getLogger("cds.pseudonym").warning(message)
    print(f"WARNING: {message}", file=sys.stderr)
