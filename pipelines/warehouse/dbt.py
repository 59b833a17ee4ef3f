"""dbt wired once: the project, the translator that names assets, and the dbt assets themselves.

The manifest is produced by `cds dbt-parse` at install time (and refreshed by `ensure_manifest` when a
model changes), never at import time.
"""

import hashlib
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import duckdb
from dagster import AssetExecutionContext, AssetKey, Config, MaterializeResult, Output
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtProject,
    dbt_assets,
)
from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets

from pipelines.core.sqltext import quote_ident
from pipelines.resources import (
    PublicationResource,
    ReferenceResource,
    ServerWarehouseResource,
    SourcesResource,
    WarehouseResource,
)
from pipelines.runs import OWNERS
from pipelines.settings import DBT_PROJECT_DIR
from pipelines.warehouse.inprocess import run_dbt
from pipelines.warehouse.manifest import MANIFEST, dbt_env, prune_invocation_targets
from pipelines.warehouse.state import (
    fingerprint_of,
    inputs_parts,
    last_build,
    note_pending,
    tables_changed_since,
    unchanged_since_last_build,
)

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
if not MANIFEST.exists():
    raise RuntimeError(f"dbt manifest {MANIFEST} is missing: run `make install` (or `cds dbt-parse`) first")


class WarehouseTranslator(DagsterDbtTranslator):
    """Asset key = [schema, name] (staging/…, marts/…, reference/…); group = the model's folder."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return AssetKey([dbt_resource_props["config"]["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return OWNERS

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        if dbt_resource_props["resource_type"] == "model":
            return dbt_resource_props["fqn"][1]
        return super().get_group_name(dbt_resource_props)


translator = WarehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


class DbtBuildConfig(Config):
    # Rebuild incremental models from scratch: needed once after a change to their logic (for example the
    # dossier classification), since an incremental run only classifies newly loaded rows.
    full_refresh: bool = False
    # Build even when nothing changed since the last successful run (pipelines/warehouse/state.py).
    rebuild: bool = False


# The reporting layer (models/reporting, tag `reporting`) reads quality.dq_findings: a second selection that
# runs after the findings asset, so the graph reads marts → findings → held-back → published → report.
REPORTING = "tag:reporting"
# Tests of the pipeline's own logic (dbt_project.yml): run by the test suite, not by the production build.
LOGIC_TESTS = "tag:logic"
REPORTING_SCHEMA = "reporting"
# What the pipeline built last, outside the schemas dbt and the analysts see.
BUILD_MARKS = "main.cds_build_marks"


@dataclass(frozen=True)
class Narrowed:
    """A build of only what changed tables feed: `within`, dbt selectors (`source:<source>.<table>+`);
    `kept`, the selected assets it leaves as they are, in the order of the graph."""

    within: list[str]
    kept: list[AssetKey]


def _build(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    reference: ReferenceResource,
    full_refresh: bool,
    narrowed: Narrowed | None = None,
):
    """`dbt build` of the context's selection, or of the part of it `narrowed` says; the selected assets
    it leaves out are given first as kept (`rebuilt: False`), so that the steps after them run as after a
    build (Dagster takes a multi-asset's outputs in the order of the graph: what is kept never depends on
    what is rebuilt)."""
    warehouse.wait_until_free()  # dbt-duckdb fails at once on a lock a BI tool holds; wait here instead
    if narrowed is not None:
        for key in narrowed.kept:
            yield MaterializeResult(asset_key=key, metadata={"rebuilt": False})
        if not narrowed.within:
            return
    # Unit tests check the models' logic against hand-written rows: they run in the test suite
    # (tests/test_warehouse_unit_tests.py), not on every production build, as dbt recommends.
    args = ["build", "--exclude-resource-type", "unit_test", *(["--full-refresh"] if full_refresh else [])]
    # one target folder per command, named as dagster-dbt names them (step, run, a random part)
    target = MANIFEST.parent / f"{context.op_def.name}-{context.run_id[:7]}-{uuid.uuid4().hex[:7]}"
    events = run_dbt(
        args,
        env=dbt_env(warehouse.path, warehouse.memory_limit, reference.path),
        target_path=target,
        context=context,
        within=None if narrowed is None else narrowed.within,
    )
    yield from _with_row_counts(context, events, warehouse)
    prune_invocation_targets(context.op_def.name)


def _downstream_of_changes(
    changed: set[str], manifest: Mapping[str, Any], selected: set[AssetKey], warehouse: WarehouseResource
) -> Narrowed | None:
    """What the changed tables (`schema.table`) feed: the dbt sources among them (a table dbt does not read,
    such as the quarantine, feeds no model) and every node downstream (dbt's `+`). None, to build the whole
    selection, when a selected model or seed the narrowed build would keep is missing from the warehouse
    (dropped by hand, or never built)."""
    sources = [
        (unique_id, f"source:{source['source_name']}.{source['name']}+")
        for unique_id, source in manifest["sources"].items()
        if f"{source['schema']}.{source.get('identifier') or source['name']}" in changed
    ]
    below, pending = set(), [unique_id for unique_id, _ in sources]
    while pending:
        for child in manifest["child_map"].get(pending.pop(), []):
            if child not in below:
                below.add(child)
                pending.append(child)
    kept = [
        node
        for node in _in_graph_order(manifest["nodes"])
        if node["unique_id"] not in below and translator.get_asset_key(node) in selected
    ]
    relations = {(node["schema"], node.get("alias") or node["name"]) for node in kept}
    with warehouse.connect(read_only=True) as con:
        present = set(
            con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where list_contains(?, table_schema)",
                [sorted({schema for schema, _ in relations})],
            ).fetchall()
        )
    if not relations <= present:
        return None
    return Narrowed(sorted(within for _, within in sources), [translator.get_asset_key(n) for n in kept])


def _in_graph_order(nodes: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The models and seeds, each after every one it reads (the standard library's topological order)."""
    graph = {
        key: [p for p in node.get("depends_on", {}).get("nodes", []) if p in nodes]
        for key, node in nodes.items()
    }
    return [
        nodes[key]
        for key in TopologicalSorter(graph).static_order()
        if nodes[key]["resource_type"] in ("model", "seed")
    ]


# The analysts' tables: their materialisations carry a row count.
COUNTED_SCHEMAS = frozenset({"marts"})


def _with_row_counts(context: AssetExecutionContext, events: Iterator[Any], warehouse: WarehouseResource):
    """dbt's events, with `dagster/row_count` on each materialised mart (the UI shows it beside the column
    schema). The counts are taken once dbt has exited, since dbt holds the DuckDB file while it runs, so
    the marts' materialisations are held back until then; if dbt fails they are passed on uncounted."""
    held: list[tuple[Output, list[str]]] = []  # (materialisation, [schema, table])
    try:
        for event in events:
            path = context.asset_key_for_output(event.output_name).path if isinstance(event, Output) else []
            if len(path) == 2 and path[0] in COUNTED_SCHEMAS:
                held.append((event, path))
            else:
                yield event
    except BaseException:
        yield from (event for event, _ in held)
        raise
    if not held:
        return
    with warehouse.connect(read_only=True) as con:  # closed before the events go on
        counts = [
            con.execute(
                f"select count(*) from {quote_ident(schema)}.{quote_ident(table)}"  # sql-checked: identifiers
            ).fetchall()[0][0]
            for _, (schema, table) in held
        ]
    for (event, _), count in zip(held, counts, strict=True):
        yield event.with_metadata({**event.metadata, "dagster/row_count": count})


@dbt_assets(
    manifest=MANIFEST,
    project=dbt_project,
    dagster_dbt_translator=translator,
    exclude=f"{REPORTING} {LOGIC_TESTS}",
)
def warehouse_dbt_assets(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    reference: ReferenceResource,
    sources: SourcesResource,
    publication: PublicationResource,
    server: ServerWarehouseResource,
    config: DbtBuildConfig,
):
    outputs = Path(sources.outputs_dir)
    signed_by = f"{publication.signer_role}|{publication.signer_name}"
    with warehouse.connect(read_only=True) as con:
        parts = inputs_parts(con, reference.path, date.today(), signed_by, server.identity)
        built_with = _recorded_mark(con, INCREMENTAL_LOGIC)
    fingerprint = fingerprint_of(parts)
    # what a skipped run leaves as it is: it must still be there
    # (the index is reports/publish.py's INDEX; the warehouse does not import the reports that follow it)
    needed = [Path(warehouse.analyst_path), sources.reports_dir / "index.html"]
    unchanged = unchanged_since_last_build(outputs, fingerprint, needed)
    if unchanged and not (config.full_refresh or config.rebuild):
        # no output yielded: Dagster skips every step downstream (checks, reporting views, reports, copy)
        context.log.info(
            f"Không có gì mới kể từ lần chạy {unchanged['run_id'][:8]}: kho dữ liệu, kiểm tra và báo cáo giữ "
            f"nguyên (nothing new since run {unchanged['run_id'][:8]}: warehouse, checks and reports kept)"
        )
        return
    changed = None if config.rebuild else tables_changed_since(last_build(outputs), parts)
    note_pending(outputs, fingerprint, context.run_id, parts)
    # the parsed manifest these assets were defined from (dagster-dbt keeps it), not the file read again
    manifest = get_manifest_and_translator_from_dbt_assets([context.assets_def])[0]
    logic = incremental_logic_digest(manifest)
    full_refresh = config.full_refresh or built_with != logic
    if full_refresh and not config.full_refresh:
        context.log.info(
            "Cách phân loại hồ sơ đã thay đổi (mã, danh mục xã hoặc macro): dựng lại các bảng gia tăng "
            "từ đầu (the logic of the incremental models changed, or was never recorded: rebuilt in full)"
        )
    narrowed = None
    if changed is not None and not full_refresh:
        narrowed = _downstream_of_changes(changed, manifest, set(context.selected_asset_keys), warehouse)
    if narrowed is not None:
        tables = ", ".join(sorted(changed)) or "không bảng nào"
        context.log.info(
            f"Chỉ dựng lại phần chịu ảnh hưởng của {tables} (only what the changed tables feed is rebuilt: "
            f"{' '.join(narrowed.within) or 'nothing'}; the rest is kept)"
        )
    yield from _build(context, warehouse, reference, full_refresh, narrowed)
    with warehouse.connect() as con:
        _record_mark(con, INCREMENTAL_LOGIC, logic)
        if full_refresh or _recorded_mark(con, INCREMENTAL_GENERATION) is None:
            _record_mark(con, INCREMENTAL_GENERATION, context.run_id)


@dbt_assets(
    manifest=MANIFEST,
    project=dbt_project,
    dagster_dbt_translator=translator,
    select=REPORTING,
    exclude=LOGIC_TESTS,
)
def reporting_dbt_assets(
    context: AssetExecutionContext,
    warehouse: WarehouseResource,
    reference: ReferenceResource,
    config: DbtBuildConfig,
):
    # Views only (their tests guard logic and run in the test suite): a view reads its tables when queried,
    # so views this very project version made need no dbt command again.
    views = sorted(context.selected_asset_keys, key=lambda k: k.path)
    version = _reporting_version(warehouse.path)
    if not (config.full_refresh or config.rebuild) and _views_current(warehouse, views, version):
        context.log.info(f"Reporting views unchanged (project version {version[:12]}): not rebuilt")
        for key in views:
            yield MaterializeResult(asset_key=key, metadata={"rebuilt": False, "project_version": version})
        return
    yield from _build(context, warehouse, reference, full_refresh=False)
    _mark_views(warehouse, views, version)


def _reporting_version(warehouse_path: str) -> str:
    """What the reporting views are made from: the parsed project (every model, macro and setting) and the
    warehouse they were built in."""
    return hashlib.sha256(MANIFEST.read_bytes() + str(Path(warehouse_path).resolve()).encode()).hexdigest()


def _views_digest(con, views: list[AssetKey], version: str) -> str | None:
    """The project version with every view's SQL as DuckDB holds it; None when a view is missing."""
    names = [k.path[-1] for k in views]
    found = con.execute(
        "select view_name, sql from duckdb_views() where schema_name = ? and list_contains(?, view_name) "
        "order by view_name",
        [REPORTING_SCHEMA, names],
    ).fetchall()
    if len(found) != len(names):
        return None
    return hashlib.sha256(repr((version, found)).encode()).hexdigest()


def _views_current(warehouse: WarehouseResource, views: list[AssetKey], version: str) -> bool:
    """Whether every view exists as this project version made it: the digest of the version and the views'
    SQL recorded after the last build (a view made again by another hand, or a changed project, differs)."""
    with warehouse.connect(read_only=True) as con:
        digest = _views_digest(con, views, version)
        return digest is not None and _recorded_mark(con, REPORTING_SCHEMA) == digest


def _mark_views(warehouse: WarehouseResource, views: list[AssetKey], version: str) -> None:
    with warehouse.connect() as con:
        _record_mark(con, REPORTING_SCHEMA, _views_digest(con, views, version))


# The mark of the logic the incremental models were built with (below).
INCREMENTAL_LOGIC = "incremental_logic"
# The run that last built the incremental models from scratch: until it changes, their rows only grow by
# delete+insert of newly loaded rows, so a copy of them can follow by the same steps (warehouse/analyst.py).
INCREMENTAL_GENERATION = "incremental_generation"


def incremental_tables(manifest: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    """(schema, table) -> unique key of every incremental model that replaces rows by a key (delete+insert
    of the rows loaded since the last run: the `loaded_since_last_run` macro)."""
    tables = {}
    for node in manifest["nodes"].values():
        config = node.get("config", {})
        key = config.get("unique_key")
        if config.get("materialized") == "incremental" and isinstance(key, str):
            tables[(node["schema"], node.get("alias") or node["name"])] = key
    return tables


def warehouse_incremental_tables() -> dict[tuple[str, str], str]:
    """`incremental_tables` of the models the warehouse assets build (the manifest dagster-dbt keeps)."""
    return incremental_tables(get_manifest_and_translator_from_dbt_assets([warehouse_dbt_assets])[0])


def recorded_generation(con: duckdb.DuckDBPyConnection) -> str | None:
    """The run that last rebuilt the incremental models in full (None before the first build)."""
    return _recorded_mark(con, INCREMENTAL_GENERATION)


def incremental_logic_digest(manifest: Mapping[str, Any]) -> str:
    """What the incremental models' rows were made by: their SQL and that of every model upstream, the
    macros they call, the seeds they read (the commune aliases that resolve a dossier's unit). An
    incremental run only processes newly loaded rows, so when this changes (a new spelling in the alias
    seed, a corrected classification) the rows loaded before would keep the old result; the build then
    rebuilds them in full, once."""
    nodes, macros = manifest["nodes"], manifest["macros"]
    pending = [
        key for key, node in nodes.items() if node.get("config", {}).get("materialized") == "incremental"
    ]
    seen_nodes: set[str] = set()
    seen_macros: set[str] = set()
    parts: list[str] = []
    while pending:
        key = pending.pop()
        if key in seen_nodes or key not in nodes:  # sources are raw data, not logic
            continue
        seen_nodes.add(key)
        node = nodes[key]
        parts.append(f"{key}:{node.get('raw_code') or node.get('checksum', {}).get('checksum', '')}")
        pending.extend(node.get("depends_on", {}).get("nodes", []))
        called = list(node.get("depends_on", {}).get("macros", []))
        while called:
            macro = called.pop()
            if macro in seen_macros or macro not in macros:
                continue
            seen_macros.add(macro)
            parts.append(f"{macro}:{macros[macro]['macro_sql']}")
            called.extend(macros[macro].get("depends_on", {}).get("macros", []))
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()


def _recorded_mark(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """The digest recorded under `name` in the build marks; None when there is none (or no marks yet)."""
    try:
        found = con.execute(f"select digest from {BUILD_MARKS} where name = ?", [name]).fetchall()
    except duckdb.CatalogException:
        return None
    return found[0][0] if found else None


def _record_mark(con: duckdb.DuckDBPyConnection, name: str, digest: str | None) -> None:
    con.execute(f"create table if not exists {BUILD_MARKS} (name varchar primary key, digest varchar)")
    con.execute(f"insert or replace into {BUILD_MARKS} values (?, ?)", [name, digest])


assets = [warehouse_dbt_assets, reporting_dbt_assets]
