"""The one place that reads the environment.

Every `CDS_*` variable is read here, once, with a default that works on a fresh clone. Other modules
ask for `get_settings()`; tests build a `Settings` pointing at `tmp_path` instead.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
DEFAULT_MEMORY_LIMIT = "1GB"


def _path(env: dict[str, str], name: str, default: Path) -> Path:
    value = env.get(name)
    path = Path(value) if value else default
    return path if path.is_absolute() else (PROJECT_ROOT / path)


def _day(env: dict[str, str], name: str, default: int) -> int:
    value = env.get(name) or str(default)
    if not value.isdigit() or not 1 <= int(value) <= 28:
        raise ValueError(f"{name} must be a day of the month from 1 to 28, got {value!r}")
    return int(value)


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
    pseudonym_key: str = field(default="", repr=False)
    # Day of the month after a period ends on which its report is published (07:00 Asia/Ho_Chi_Minh):
    # five days after the communes' deadline on the 5th (quarters) and 10th of January (year).
    report_day_quarter: int = 10
    report_day_nine_months: int = 10
    report_day_year: int = 15

    @property
    def reports_dir(self) -> Path:
        return self.outputs_dir / "reports"

    @property
    def pseudonym_key_file(self) -> Path:
        return self.dagster_home / "pseudonym.key"

    def prepare_dagster_home(self) -> Path:
        """Create DAGSTER_HOME with the project's instance settings (one run at a time, no telemetry) unless
        the operator already wrote a dagster.yaml there; export it, absolute, as Dagster requires."""
        self.dagster_home.mkdir(parents=True, exist_ok=True)
        instance_yaml = self.dagster_home / "dagster.yaml"
        if not instance_yaml.exists():
            shutil.copyfile(Path(__file__).with_name("dagster.yaml"), instance_yaml)
        os.environ["DAGSTER_HOME"] = str(self.dagster_home)
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
            pseudonym_key=env.get("CDS_PSEUDONYM_KEY", ""),
            report_day_quarter=_day(env, "CDS_REPORT_DAY_QUARTER", 10),
            report_day_nine_months=_day(env, "CDS_REPORT_DAY_NINE_MONTHS", 10),
            report_day_year=_day(env, "CDS_REPORT_DAY_YEAR", 15),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()


def pseudonym_secret(env_key: str, key_file: Path) -> str:
    """The HMAC secret for pseudonyms: CDS_PSEUDONYM_KEY when set, else a random key made once per
    installation and kept (mode 0600) beside Dagster's instance, so pseudonyms stay stable across runs."""
    if env_key:
        return env_key
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return key_file.read_text().strip()
