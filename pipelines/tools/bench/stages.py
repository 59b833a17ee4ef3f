"""One stage of the main job, run alone in this process: `python -m pipelines.tools.bench.stages ingest`.

The stages split the main job's graph where its work changes kind, so the benchmark can time each one in
its own process (imports and Dagster start-up included, as a user running it would pay them):

- `startup`: import the code location and build its definitions, nothing else (the fixed cost);
- `ingest`: the three source assets and their row-balance checks;
- `warehouse`: `dbt build` (models, seeds, dbt tests);
- `checks`: the Great Expectations suites (integrity checks and the data-quality findings);
- `reports`: the quarterly publication, the dbt docs and the analysts' copy;
- `server`, only with a server (CDS_POSTGRES_URL): the server warehouse (the copy to PostgreSQL, dbt there,
  the grants) and its two checks (Great Expectations and the publication read again on the server).

It prints one JSON line: the stage's own time without start-up and each step's duration.
"""

from __future__ import annotations

import json
import sys
import time

STAGES = ("startup", "ingest", "warehouse", "checks", "reports")
SERVER_STAGE = "server"


def stages_for(server: bool) -> tuple[str, ...]:
    """The stages a bench times: the server's after the rest, where one is configured."""
    return (*STAGES, SERVER_STAGE) if server else STAGES


def stage_selection(stage: str):
    from dagster import AssetSelection

    from pipelines.ingest import assets as ingest
    from pipelines.narrative import assets as narrative
    from pipelines.quality import assets as quality_findings
    from pipelines.quality import checks as integrity
    from pipelines.reports import assets as reports
    from pipelines.warehouse import analyst, docs
    from pipelines.warehouse.dbt import reporting_dbt_assets, warehouse_dbt_assets

    if stage == SERVER_STAGE:
        from pipelines.warehouse.server import SERVER_WAREHOUSE, same_checks_on_server, same_report_on_server

        return AssetSelection.assets(SERVER_WAREHOUSE) | AssetSelection.checks(
            same_checks_on_server, same_report_on_server
        )

    # The suites' checks sit on the assets they judge (raw, staging, marts) but belong to the checks stage.
    quality_checks = AssetSelection.checks(*integrity.checks, *quality_findings.checks)
    return {
        "ingest": AssetSelection.assets(*ingest.assets, *narrative.assets) - quality_checks,
        "warehouse": AssetSelection.assets(warehouse_dbt_assets) - quality_checks,
        "checks": AssetSelection.assets(*quality_findings.assets) | quality_checks,
        # the reporting views read the findings: built in this stage, before the reports that read them
        "reports": AssetSelection.assets(reporting_dbt_assets, *reports.assets, *docs.assets)
        | AssetSelection.assets(*analyst.assets),
    }[stage]


def run_stage(stage: str) -> dict:
    started = time.perf_counter()
    from dagster import DagsterInstance, Definitions, define_asset_job, in_process_executor

    from pipelines.definitions import build_definitions
    from pipelines.run import main_job_tags
    from pipelines.settings import get_settings

    settings = get_settings()
    settings.prepare_dagster_home()
    base = build_definitions(settings)
    if stage == "startup":
        base.resolve_job_def("main_job")
        return {"stage": stage, "startup_s": round(time.perf_counter() - started, 2), "steps": {}}
    job_name = f"bench_{stage}"
    defs = Definitions.merge(
        base,
        Definitions(
            jobs=[
                define_asset_job(job_name, selection=stage_selection(stage), executor_def=in_process_executor)
            ]
        ),
    )
    job = defs.resolve_job_def(job_name)
    ready = time.perf_counter()
    result = job.execute_in_process(
        instance=DagsterInstance.get(), tags=main_job_tags(settings), raise_on_error=False
    )
    steps = {
        event.step_key: round(event.event_specific_data.duration_ms / 1000, 2)
        for event in result.all_events
        if event.is_step_success
    }
    return {
        "stage": stage,
        "success": result.success,
        "startup_s": round(ready - started, 2),
        "work_s": round(time.perf_counter() - ready, 2),
        "steps": steps,
    }


if __name__ == "__main__":
    outcome = run_stage(sys.argv[1])
    print(json.dumps(outcome))
    sys.exit(0 if outcome.get("success", True) else 1)
