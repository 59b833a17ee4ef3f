"""The code location loads and shows one connected graph from the source files to the report."""

import io
import logging

from dagster import AssetKey

from pipelines.definitions import defs


def test_definitions_load_with_the_main_job():
    defs.resolve_all_job_defs()
    assert defs.resolve_job_def("main_job") is not None


def test_lineage_runs_from_the_dossier_export_to_the_report():
    graph = defs.resolve_asset_graph()
    report = AssetKey(["reports", "provincial_report"])
    published = AssetKey(["reporting", "published_figures"])
    held = AssetKey(["reporting", "held_back_figures"])
    # marts and findings → held-back figures → published figures → report
    assert published in graph.get(report).parent_keys
    assert held in graph.get(published).parent_keys
    assert AssetKey(["marts", "fct_commune_indicator"]) in graph.get(published).parent_keys
    assert AssetKey(["quality", "dq_findings"]) in graph.get(held).parent_keys
    seen, frontier = set(), [report]
    while frontier:
        key = frontier.pop()
        for parent in graph.get(key).parent_keys:
            if parent not in seen:
                seen.add(parent)
                frontier.append(parent)
    assert AssetKey(["raw", "dossiers"]) in seen
    assert AssetKey(["staging", "stg_dossier_system__dossiers"]) in seen
    assert AssetKey(["reference", "ref_commune_aliases"]) in seen


def test_assets_are_grouped_by_domain():
    graph = defs.resolve_asset_graph()
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert {"ingest", "reference", "staging", "intermediate", "marts", "reports"} <= groups


def test_the_gx_suite_is_a_blocking_check_on_the_fact_table():
    checks = defs.resolve_asset_graph().asset_check_keys
    gx = [c for c in checks if c.name == "gx_fct_commune_indicator"]
    assert gx and gx[0].asset_key == AssetKey(["marts", "fct_commune_indicator"])


def test_all_three_sources_have_assets_with_a_conservation_check_and_a_sensor():
    graph = defs.resolve_asset_graph()
    for source in ("dossiers", "submissions", "staffing"):
        key = AssetKey(["raw", source])
        assert graph.get(key).group_name == "ingest"
        assert any(
            c.asset_key == key and c.name == "every_row_landed_or_quarantined" for c in graph.asset_check_keys
        )
    assert defs.resolve_sensor_def("source_inbox_sensor").job_name == "main_job"


def test_every_raw_table_feeds_a_staging_model():
    graph = defs.resolve_asset_graph()
    for raw in ("dossiers", "submissions", "submission_values", "staffing"):
        children = graph.get(AssetKey(["raw", raw])).child_keys
        assert any(child.path[0] == "staging" for child in children), raw


def test_the_dagster_home_runs_one_run_at_a_time_and_keeps_an_operators_settings(tmp_path, monkeypatch):
    import yaml
    from dagster import DagsterInstance

    from pipelines.settings import Settings

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    settings = Settings.from_env({"DAGSTER_HOME": str(tmp_path / "home")})
    home = settings.prepare_dagster_home()
    config = yaml.safe_load((home / "dagster.yaml").read_text())
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 1  # one writer on the DuckDB file
    with DagsterInstance.get() as instance:  # the file is a valid instance configuration
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    settings.prepare_dagster_home()
    assert (home / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"


def test_every_table_a_rule_reads_is_an_input_of_the_findings():
    """The findings asset runs every rule: each table a rule's SQL reads is upstream of it in the graph,
    and is an asset there (none dangles)."""
    from pipelines.quality.assets import FINDING_SUITES, FINDINGS, REGISTER_TABLES

    graph = defs.resolve_asset_graph()
    parents = graph.get(FINDINGS).parent_keys
    read = {t for spec in FINDING_SUITES for t in spec.tables_read} - REGISTER_TABLES
    assert ("reference", "ref_reporting_calendar") in read and ("marts", "dim_period") in read
    assert {AssetKey(list(t)) for t in read} <= parents
    assert parents <= graph.get_all_asset_keys()


def test_run_logs_are_written_and_only_the_newest_kept(tmp_path):
    import os

    from dagster import DagsterInstance

    from pipelines.run import KEEP_RUN_LOGS, write_run_log

    for n in range(KEEP_RUN_LOGS + 5):
        old = tmp_path / f"run-{n:04}.log"
        old.write_text("x")
        os.utime(old, (1_000_000 + n, 1_000_000 + n))
    written = write_run_log(DagsterInstance.ephemeral(), "no-such-run", tmp_path)
    kept = sorted(p.name for p in tmp_path.glob("run-*.log"))
    assert written.exists() and len(kept) == KEEP_RUN_LOGS
    assert "run-0000.log" not in kept and f"run-{KEEP_RUN_LOGS + 4:04}.log" in kept


def test_every_asset_has_an_owner_kinds_and_a_description():
    from pipelines.runs import OWNERS

    specs = list(defs.resolve_all_asset_specs())
    assert len(specs) > 50
    for spec in specs:
        name = spec.key.to_user_string()
        assert list(spec.owners) == OWNERS, name
        assert spec.kinds, name
        assert spec.description and not spec.description.startswith("dbt model"), name


def test_every_dbt_model_seed_source_listed_column_and_test_has_a_description():
    """What the UI, dbt docs and the analysts read: a model, seed, source or data test without a
    description, or a column listed without one (often listed only to hang tests on), fails here.
    Contracts hold every mart column listed, so every mart column is described."""
    import json

    from pipelines.warehouse.manifest import MANIFEST

    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    nodes = [
        n
        for n in [*manifest["nodes"].values(), *manifest["sources"].values()]
        if n["resource_type"] in {"model", "seed", "source", "snapshot"}
    ]
    assert len(nodes) > 40
    missing = [n["unique_id"] for n in nodes if not (n.get("description") or "").strip()]
    missing += [
        f"{n['unique_id']}.{name}"
        for n in nodes
        for name, column in n["columns"].items()
        if not (column.get("description") or "").strip()
    ]
    tests = [n for n in manifest["nodes"].values() if n["resource_type"] == "test"]
    assert len(tests) > 100
    missing += [n["unique_id"] for n in tests if not (n.get("description") or "").strip()]
    assert not missing, missing
    marts = [n for n in nodes if n["resource_type"] == "model" and n["schema"].endswith("marts")]
    assert marts and all(n["config"]["contract"]["enforced"] for n in marts), "every mart has a contract"


def _record(message: str, level: int = logging.INFO, step: str = "raw__dossiers", event=None):
    record = logging.LogRecord("dagster", level, __file__, 0, message, None, None)
    record.dagster_meta = {"step_key": step, "orig_message": message, "dagster_event": event}
    return record


def test_the_brief_console_shows_steps_messages_and_the_cause_of_a_failure_only():
    from types import SimpleNamespace

    from pipelines.console import _BriefHandler

    out = io.StringIO()
    handler = _BriefHandler(out, logging.DEBUG)

    def event(kind: str, **data):
        return SimpleNamespace(event_type_value=kind, **data)

    cause = SimpleNamespace(message="FileNotFoundError: không có tệp\nstack", cause=None)
    wrapper = SimpleNamespace(message="DagsterExecutionStepExecutionError: Error occurred", cause=cause)
    for record in (
        _record("", event=event("STEP_START")),
        _record("5 tệp: 5 nạp mới"),
        _record("Running dbt command: `dbt build`"),  # dagster-dbt's own detail
        _record("", event=event("ASSET_MATERIALIZATION")),
        _record("", event=event("ASSET_MATERIALIZATION")),
        _record("", event=event("STEP_SUCCESS")),
        _record("", step="raw__dossiers_dq_raw_dossiers", event=event("STEP_START")),  # a check step
        _record("x.xlsx: rejected", level=logging.WARNING, step="raw_submissions"),
        _record(
            "",
            step="warehouse_dbt_assets",
            event=event("STEP_FAILURE", step_failure_data=SimpleNamespace(error=wrapper)),
        ),
        _record("Dependencies for step reporting failed. Not executing.", level=logging.ERROR),
    ):
        handler.emit(record)
    lines = [line.split("  ", 1)[1] for line in out.getvalue().splitlines()]
    assert lines == [
        "▶ raw__dossiers",
        "raw__dossiers: 5 tệp: 5 nạp mới",
        "✓ raw__dossiers (0.0 s, 2 assets materialised)",
        "WARNING raw_submissions: x.xlsx: rejected",
        "✗ warehouse_dbt_assets FAILED: FileNotFoundError: không có tệp",
    ]


def test_the_definitions_load_without_the_libraries_only_steps_need():
    """Start-up (`cds run`, the code server, every schedule tick) imports what the definitions need; the
    readers and writers of files (pandas, openpyxl, python-docx) and SQLAlchemy load in the steps that use
    them, so a run with nothing new never pays for them."""
    import subprocess
    import sys

    probe = (
        "import sys, pipelines.definitions; "
        "print(sorted(m for m in ('pandas', 'openpyxl', 'docx', 'sqlalchemy') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]", loaded.stdout
