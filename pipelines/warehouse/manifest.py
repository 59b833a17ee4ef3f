"""The dbt manifest: produced by `dbt parse` at install time and refreshed when the project changes.

Kept apart from `pipelines.warehouse.dbt` (which needs the manifest to exist when it is imported).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pipelines.settings import DBT_PROJECT_DIR

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"


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


def ensure_manifest(force: bool = False) -> Path:
    """Run `dbt parse` when the manifest is missing or older than the project files."""
    if force or manifest_is_stale():
        subprocess.run(dbt_command("parse", "--quiet"), check=True)
        MANIFEST.touch()
    return MANIFEST
