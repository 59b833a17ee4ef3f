"""Dagster resources: the warehouse connection and where sources arrive and outputs go.

Injected into assets so a test can point them at `tmp_path`. DuckDB allows one writer at a time across
processes, so every asset opens its connection for the shortest time it needs and closes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource, EnvVar

from pipelines.core.dbfile import connect_waiting, wait_until_free
from pipelines.reference import CommuneResolver, resolver_for
from pipelines.settings import (
    DEFAULT_LOCK_WAIT_SECONDS,
    DEFAULT_MEMORY_LIMIT,
    LIBPQ_URL,
    Settings,
    pseudonym_secret,
)


class WarehouseResource(ConfigurableResource):
    """The DuckDB warehouse file (CDS_WAREHOUSE_PATH; dbt's profile reads the same variable)."""

    path: str
    # The analysts' read-only copy, replaced after each run (pipelines/warehouse/analyst.py).
    analyst_path: str = ""
    # DuckDB's memory budget (CDS_DUCKDB_MEMORY_LIMIT): every connection in a process must use the same one.
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    # How long to wait while another process (a BI tool, a duckdb shell) holds the file
    # (CDS_WAREHOUSE_LOCK_WAIT).
    lock_wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        con = connect_waiting(self.path, read_only, self.config, self.lock_wait_seconds)
        try:
            yield con
        finally:
            con.close()

    def wait_until_free(self) -> None:
        """Before handing the file to dbt or GX, which fail at once on a lock rather than wait."""
        wait_until_free(self.path, self.config, self.lock_wait_seconds)

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
    # The pseudonym key itself when given in the environment (CDS_PSEUDONYM_KEY); else the key file's.
    pseudonym_key: str = ""
    # The Fernet key that encrypts archived personal files (CDS_ARCHIVE_KEY); empty: kept plain, 0600.
    archive_key: str = ""

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
        return pseudonym_secret(self.pseudonym_key, Path(self.pseudonym_key_file), legacy)

    @property
    def dossiers_dir(self) -> Path:
        return Path(self.sources_dir) / "dossiers"

    @property
    def archive_dir(self) -> Path:
        return Path(self.outputs_dir) / "raw_archive"

    @property
    def reports_dir(self) -> Path:
        return Path(self.outputs_dir) / "reports"


class ReferenceResource(ConfigurableResource):
    """The reference data (CDS_REFERENCE_DIR): communes and their aliases, the indicator catalogue, the
    reporting calendar, as dbt seeds. Readers get the folder from here, never from the settings."""

    seeds_dir: str

    @property
    def path(self) -> Path:
        return Path(self.seeds_dir)

    def resolver(self) -> CommuneResolver:
        return resolver_for(self.path)


class DossierDatabaseResource(ConfigurableResource):
    """The dossier system's database, read incrementally (CDS_DOSSIER_DB_URL); empty when only files come."""

    url: str = ""
    table: str = "ho_so"
    updated_at_column: str = "ngay_cap_nhat"


class PublicationResource(ConfigurableResource):
    """What the Department's documents carry beyond the figures: the signature block (CDS_SIGNER_NAME,
    CDS_SIGNER_ROLE; empty keeps the defaults of pipelines/reports/text.py)."""

    signer_name: str = ""
    signer_role: str = ""


class ServerWarehouseResource(ConfigurableResource):
    """The PostgreSQL server the warehouse is also built on (CDS_POSTGRES_URL), and the role analysts read
    it with (CDS_POSTGRES_ANALYST_ROLE)."""

    url: str = ""
    analyst_role: str = "cds_analyst"

    @property
    def identity(self) -> str:
        """Which server and role the warehouse is served to, as a digest (the URL holds a password); empty
        when none is set."""
        if not self.url:
            return ""
        return hashlib.sha256(f"{self.url}|{self.analyst_role}".encode()).hexdigest()[:16]


def build_resources(settings: Settings) -> dict[str, object]:
    return {
        "warehouse": WarehouseResource(
            path=str(settings.warehouse_path),
            analyst_path=str(settings.analyst_path),
            memory_limit=settings.duckdb_memory_limit,
            lock_wait_seconds=settings.warehouse_lock_wait,
        ),
        "sources": SourcesResource(
            sources_dir=str(settings.sources_dir),
            outputs_dir=str(settings.outputs_dir),
            pseudonym_key_file=str(settings.pseudonym_key_file),
            legacy_pseudonym_key_file=str(settings.legacy_pseudonym_key_file),
            # A secret: the UI shows the variable's name only.
            pseudonym_key=EnvVar("CDS_PSEUDONYM_KEY") if settings.pseudonym_key else "",
            # A secret: the UI shows the variable's name only.
            archive_key=EnvVar("CDS_ARCHIVE_KEY") if settings.archive_key else "",
        ),
        "reference": ReferenceResource(seeds_dir=str(settings.reference_dir)),
        "publication": PublicationResource(
            signer_name=settings.signer_name, signer_role=settings.signer_role
        ),
        # The URL may hold credentials: pass it as an EnvVar so the UI shows the variable's name only.
        "dossier_db": DossierDatabaseResource(url=EnvVar("CDS_DOSSIER_DB_URL"))
        if settings.dossier_db_url
        else DossierDatabaseResource(),
        # The URL holds credentials: the UI shows the variable's name only.
        "server": ServerWarehouseResource(
            # libpq's PG* variables (CDS_WAREHOUSE=postgres without a URL): the empty URL holds no secret
            url=settings.postgres_url if settings.postgres_url == LIBPQ_URL else EnvVar("CDS_POSTGRES_URL"),
            analyst_role=settings.postgres_analyst_role,
        )
        if settings.postgres_url
        else ServerWarehouseResource(),
    }
