"""Dagster resources: the warehouse connection and where sources arrive and outputs go.

Injected into assets so a test can point them at `tmp_path`. DuckDB allows one writer at a time across
processes, so every asset opens its connection for the shortest time it needs and closes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource, EnvVar

from pipelines.settings import DEFAULT_MEMORY_LIMIT, Settings, get_settings, pseudonym_secret


class WarehouseResource(ConfigurableResource):
    """The DuckDB warehouse file (CDS_WAREHOUSE_PATH; dbt's profile reads the same variable)."""

    path: str
    # The analysts' read-only copy, replaced after each run (pipelines/warehouse/analyst.py).
    analyst_path: str = ""
    # DuckDB's memory budget (CDS_DUCKDB_MEMORY_LIMIT): every connection in a process must use the same one.
    memory_limit: str = DEFAULT_MEMORY_LIMIT

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(self.path, read_only=read_only, config=self.config)
        try:
            yield con
        finally:
            con.close()

    @property
    def config(self) -> dict[str, str]:
        return {"memory_limit": self.memory_limit}

    @property
    def sqlalchemy_url(self) -> str:
        # duckdb-engine passes the query string to duckdb.connect as configuration.
        return f"duckdb:///{self.path}?memory_limit={self.memory_limit}"


class SourcesResource(ConfigurableResource):
    """Where the three sources arrive and where archives and reports are written."""

    sources_dir: str
    outputs_dir: str
    pseudonym_key_file: str
    legacy_pseudonym_key_file: str = ""

    @property
    def submissions_dir(self) -> Path:
        return Path(self.sources_dir) / "submissions"

    @property
    def narrative_dir(self) -> Path:
        """Communes' narrative reports (DOCX, PDF, TXT)."""
        return Path(self.sources_dir) / "narrative_reports"

    @property
    def staffing_dir(self) -> Path:
        return Path(self.sources_dir) / "staffing"

    def pseudonym_secret(self) -> str:
        legacy = Path(self.legacy_pseudonym_key_file) if self.legacy_pseudonym_key_file else None
        return pseudonym_secret(get_settings().pseudonym_key, Path(self.pseudonym_key_file), legacy)

    @property
    def dossiers_dir(self) -> Path:
        return Path(self.sources_dir) / "dossiers"

    @property
    def archive_dir(self) -> Path:
        return Path(self.outputs_dir) / "raw_archive"

    @property
    def reports_dir(self) -> Path:
        return Path(self.outputs_dir) / "reports"


class DossierDatabaseResource(ConfigurableResource):
    """The dossier system's database, read incrementally (CDS_DOSSIER_DB_URL); empty when only files come."""

    url: str = ""
    table: str = "ho_so"
    updated_at_column: str = "ngay_cap_nhat"


def build_resources(settings: Settings | None = None) -> dict[str, object]:
    from pipelines.warehouse.dbt import dbt_resource

    settings = settings or get_settings()
    return {
        "warehouse": WarehouseResource(
            path=str(settings.warehouse_path),
            analyst_path=str(settings.analyst_path),
            memory_limit=settings.duckdb_memory_limit,
        ),
        "sources": SourcesResource(
            sources_dir=str(settings.sources_dir),
            outputs_dir=str(settings.outputs_dir),
            pseudonym_key_file=str(settings.pseudonym_key_file),
            legacy_pseudonym_key_file=str(settings.legacy_pseudonym_key_file),
        ),
        # The URL may hold credentials: pass it as an EnvVar so the UI shows the variable's name only.
        "dossier_db": DossierDatabaseResource(url=EnvVar("CDS_DOSSIER_DB_URL"))
        if settings.dossier_db_url
        else DossierDatabaseResource(),
        "dbt": dbt_resource(),
    }
