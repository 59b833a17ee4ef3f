"""dbt docs for analysts, published into `outputs/docs/` by the main job.

`dbt docs generate --static` writes one self-contained `index.html` (manifest and catalog inside), which
opens from the file system without a server. It costs a compile and a catalog query, and its content
depends only on the project and the warehouse's tables and column types, not on the rows: so the asset
fingerprints those two and regenerates only when one of them changed.
"""

import hashlib
import shutil
import tempfile
from pathlib import Path

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from pipelines.resources import ReferenceResource, SourcesResource, WarehouseResource
from pipelines.runs import OWNERS
from pipelines.warehouse.dbt import reporting_dbt_assets, warehouse_dbt_assets
from pipelines.warehouse.inprocess import run_dbt_command
from pipelines.warehouse.manifest import MANIFEST, dbt_env

PUBLISHED_FILES = {
    "static_index.html": "index.html",
    "manifest.json": "manifest.json",
    "catalog.json": "catalog.json",
}
FINGERPRINT_FILE = ".fingerprint"


def docs_fingerprint(warehouse: WarehouseResource) -> str:
    """What the docs are made of: the parsed project and every table's columns and types."""
    digest = hashlib.sha256(MANIFEST.read_bytes())
    with warehouse.connect(read_only=True) as con:
        columns = con.execute(
            """select table_schema, table_name, column_name, data_type from information_schema.columns
               order by all"""
        ).fetchall()
    digest.update(repr(columns).encode())
    return digest.hexdigest()


def generate_docs(warehouse_path: str, destination: Path, memory_limit: str, reference_dir: Path) -> None:
    """Run `dbt docs generate --static` into a scratch target and move the result into place at once."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dbt-docs-", dir=destination.parent) as scratch:
        target, staged = Path(scratch) / "target", Path(scratch) / "docs"
        run_dbt_command(
            ["docs", "generate", "--static", "--quiet"],
            env=dbt_env(warehouse_path, memory_limit, reference_dir),
            target_path=target,
        )
        staged.mkdir()
        for produced, published in PUBLISHED_FILES.items():
            shutil.copyfile(target / produced, staged / published)
        if destination.exists():
            shutil.rmtree(destination)
        staged.rename(destination)


@asset(
    owners=OWNERS,
    key=AssetKey(["docs", "dbt_docs"]),
    group_name="docs",
    kinds={"dbt", "html"},
    deps=[*warehouse_dbt_assets.keys, *reporting_dbt_assets.keys],
    description="dbt docs of the warehouse (models, columns, tests, lineage) in outputs/docs/index.html.",
)
def dbt_docs(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    sources: SourcesResource,
    reference: ReferenceResource,
) -> MaterializeResult:
    destination = Path(sources.outputs_dir) / "docs"
    fingerprint = docs_fingerprint(warehouse)
    marker = destination / FINGERPRINT_FILE
    regenerated = not (marker.exists() and marker.read_text() == fingerprint)
    if regenerated:
        generate_docs(warehouse.path, destination, warehouse.memory_limit, reference.path)
        marker.write_text(fingerprint)
    else:
        context.log.info("dbt docs unchanged (same project and table columns): kept")
    return MaterializeResult(
        metadata={
            "index": MetadataValue.path(str(destination / "index.html")),
            "regenerated": regenerated,
            "fingerprint": fingerprint[:16],
        }
    )


assets = [dbt_docs]
