"""The incremental dossier models are rebuilt in full when the logic that made their rows changed
(`incremental_logic_digest`): an incremental run only processes newly loaded rows, so a new spelling in the
alias seed or a corrected classification would otherwise leave the rows loaded before as they were."""

from __future__ import annotations

import copy
import json

import duckdb

from pipelines.warehouse.dbt import BUILD_MARKS, INCREMENTAL_LOGIC, MANIFEST, incremental_logic_digest

PROJECT = "commune_digital_stats"


def _manifest() -> dict:
    return json.loads(MANIFEST.read_bytes())


def test_the_digest_moves_with_what_the_incremental_models_are_made_of():
    manifest = _manifest()
    before = incremental_logic_digest(manifest)
    assert incremental_logic_digest(copy.deepcopy(manifest)) == before  # stable

    aliases = copy.deepcopy(manifest)  # a new spelling in the alias seed
    aliases["nodes"][f"seed.{PROJECT}.ref_commune_aliases"]["checksum"]["checksum"] = "another"
    staging = copy.deepcopy(manifest)  # the staging model upstream of the classification
    staging["nodes"][f"model.{PROJECT}.stg_dossier_system__dossiers"]["raw_code"] += "\n-- changed"
    macro = copy.deepcopy(manifest)  # the name key the staging model calls
    macro["macros"][f"macro.{PROJECT}.name_key"]["macro_sql"] += " "
    for changed in (aliases, staging, macro):
        assert incremental_logic_digest(changed) != before

    unrelated = copy.deepcopy(manifest)  # a mart no incremental model reads
    unrelated["nodes"][f"model.{PROJECT}.fct_staffing"]["raw_code"] += "\n-- changed"
    assert incremental_logic_digest(unrelated) == before


def test_the_main_job_records_the_logic_it_built_with(pipeline_run):
    settings, _ = pipeline_run
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        recorded = con.execute(
            f"select digest from {BUILD_MARKS} where name = ?", [INCREMENTAL_LOGIC]
        ).fetchall()
    assert recorded == [(incremental_logic_digest(_manifest()),)]


def test_a_build_is_narrowed_only_when_nothing_but_tables_changed():
    """The tables whose rows changed since the last finished build, or None (build everything) when that
    build is unknown, predates the parts, or anything besides the tables changed (code, seeds, day)."""
    from pipelines.warehouse.state import CONTEXT, tables_changed_since

    before = {CONTEXT: "c1", "raw.dossiers": "10:1", "raw.staffing": "5:2", "raw.quarantine": "0:None"}
    record = {"fingerprint": "x", "parts": before}
    now = {**before, "raw.dossiers": "12:7", "raw.narrative_figures": "3:4"}
    now.pop("raw.quarantine")
    assert tables_changed_since(record, now) == {"raw.dossiers", "raw.narrative_figures", "raw.quarantine"}
    assert tables_changed_since(record, dict(before)) == set()
    assert tables_changed_since(record, {**before, CONTEXT: "c2"}) is None
    assert tables_changed_since({"fingerprint": "x"}, now) is None
    assert tables_changed_since(None, now) is None


def test_a_narrowed_selection_is_the_intersection_with_every_selected_term():
    from pipelines.warehouse.inprocess import narrowed

    default = ["--select", "fqn:*", "--exclude", "tag:reporting tag:logic"]
    assert narrowed(default, ["source:raw.dossiers+", "source:staffing.staffing+"]) == [
        "--select",
        "fqn:*,source:raw.dossiers+ fqn:*,source:staffing.staffing+",
        "--exclude",
        "tag:reporting tag:logic",
    ]
    subset = ["--select", "fct_dossier dim_commune", "--indirect-selection", "empty"]
    assert (
        narrowed(subset, ["source:raw.dossiers+"])[1]
        == "fct_dossier,source:raw.dossiers+ dim_commune,source:raw.dossiers+"
    )
    assert narrowed([], ["source:raw.dossiers+"]) == ["--select", "fqn:*,source:raw.dossiers+"]
