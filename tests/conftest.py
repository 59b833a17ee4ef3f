"""Shared fixtures: a small generated sample and settings that point every path at a temporary folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.settings import Settings
from pipelines.tools.sample.generator import SampleConfig, generate_sample

SMALL = SampleConfig(seed=7, communes=12, quarters=2, dossiers=4_000)


@pytest.fixture(scope="session")
def small_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sources")
    generate_sample(out, SMALL)
    return out


def settings_for(sources: Path, root: Path) -> Settings:
    return Settings.from_env(
        {
            "CDS_SOURCES_DIR": str(sources),
            "CDS_OUTPUTS_DIR": str(root / "outputs"),
            "DAGSTER_HOME": str(root / "dagster_home"),
        }
    )


@pytest.fixture(scope="module")
def postgres_url():
    """A throwaway PostgreSQL cluster for the module (tests/postgres.py); skips, saying why, where the
    server cannot be installed."""
    from tests.postgres import install, server

    bin_dir, why = install()
    if bin_dir is None:
        pytest.skip(f"no PostgreSQL server on this machine: {why}")
    with server(bin_dir) as url:
        yield url


@pytest.fixture(scope="session")
def pipeline_run(small_sample: Path, tmp_path_factory: pytest.TempPathFactory):
    """The main job once on the small sample, shared by every test that reads what it produced."""
    from dagster import DagsterInstance

    from pipelines.run import run_main_job

    root = tmp_path_factory.mktemp("run")
    settings = settings_for(small_sample, root)
    result = run_main_job(settings, DagsterInstance.ephemeral())
    return settings, result


@pytest.fixture(scope="session")
def later_run(pipeline_run, small_sample: Path, tmp_path_factory: pytest.TempPathFactory):
    """The main job again after a later dossier export and a resubmitted form (tests/later_run.py)."""
    from tests.later_run import make_later_run

    settings, _ = pipeline_run
    return make_later_run(settings, small_sample, tmp_path_factory.mktemp("later"), settings_for)


def pytest_configure(config: pytest.Config) -> None:
    """Refresh the dbt manifest when a model changed since `make install` wrote it (no-op otherwise)."""
    from pipelines.settings import get_settings
    from pipelines.warehouse.manifest import ensure_manifest

    ensure_manifest(get_settings())
