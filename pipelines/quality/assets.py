"""The data-quality run as a Dagster asset, and its results as asset checks on the assets it judges.

`quality/dq_findings` runs every `findings` suite in one Great Expectations context (one import, one
connection), writes each flagged row into `quality.dq_findings` and each rule's outcome into
`quality.dq_rule_results`, and publishes GX Data Docs. Each suite then appears as an asset check on the
asset it judges (`dq_<suite>`), read from those tables, so the Dagster UI shows the problems where the data
lives. The checks do not block the run: an open error holds back the figures it affects (see
dbt's `reporting.held_back_figures` and the report), not every period's publication.
"""

from datetime import datetime
from pathlib import Path

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset_check,
)

from pipelines.core.markdown import md_text
from pipelines.quality.data_docs import make_offline
from pipelines.quality.findings import (
    DDL,
    collect_findings,
    load_accept_list,
    merge_findings,
    save_rule_results,
)
from pipelines.quality.suites import SuiteSpec, load_suites, run_suites
from pipelines.resources import SourcesResource, WarehouseResource
from pipelines.runs import OWNERS

FINDINGS = AssetKey(["quality", "dq_findings"])
FINDING_SUITES = load_suites(tier="findings")
# The file register and its quarantine: written by every ingest asset, not assets of their own.
REGISTER_TABLES = {("raw", "ingested_files"), ("raw", "quarantine")}
# Every table a rule reads, so the graph shows what the findings are made of (not only the judged assets).
RULE_INPUTS = sorted(
    {AssetKey(list(table)) for spec in FINDING_SUITES for table in spec.tables_read - REGISTER_TABLES}
    | {AssetKey(spec.asset_key) for spec in FINDING_SUITES},
    key=lambda k: k.to_user_string(),
)


@asset(
    owners=OWNERS,
    key=FINDINGS,
    group_name="quality",
    kinds={"great_expectations", "duckdb"},
    deps=RULE_INPUTS,
    description="Every data-quality finding (rule, severity, commune, period, indicator, message in "
    "Vietnamese, evidence, first seen, status) in quality.dq_findings; GX Data Docs in outputs/data_docs/, "
    "readable offline.",
)
def dq_findings(
    context: AssetExecutionContext, warehouse: WarehouseResource, sources: SourcesResource
) -> MaterializeResult:
    now = datetime.now().replace(microsecond=0)
    accepted = load_accept_list()
    docs = Path(sources.outputs_dir) / "data_docs"
    warehouse.wait_until_free()
    results = run_suites(FINDING_SUITES, warehouse.sqlalchemy_url, data_docs_dir=docs)
    unknown_assets = make_offline(docs)
    if unknown_assets:
        context.log.warning(
            "Data Docs: external assets with no local copy were removed from the pages (add them to "
            f"expectations/data_docs_assets/assets.json): {', '.join(sorted(unknown_assets))}"
        )
    with warehouse.connect() as con:
        con.execute(DDL)
        save_rule_results(con, FINDING_SUITES, results, now)
        findings = collect_findings(con, FINDING_SUITES, results, Path(sources.sources_dir))
        counts = merge_findings(con, findings, accepted, now)
        # held-back figures are the dbt model reporting.held_back_figures now; drop the view that preceded it
        con.execute("drop view if exists quality.dq_blocked_figures")
        by_status = con.execute(
            """select rule_code, severity, count(*) filter (where status = 'open') as open,
                      count(*) filter (where status = 'accepted') as accepted
               from quality.dq_findings where status <> 'resolved'
               group by all order by severity, rule_code"""
        ).fetchall()
    broken = [f"{r.suite}: {rule.rule_code}: {rule.error}" for r in results for rule in r.broken]
    if broken:
        raise Failure(
            "Một số quy tắc kiểm tra không chạy được (rules that could not run):\n" + "\n".join(broken)
        )
    table = ["| rule | severity | open | accepted |", "|---|---|---|---|"]
    table += [
        f"| {code} | {severity} | {n_open} | {n_accepted} |"
        for code, severity, n_open, n_accepted in by_status
    ]
    open_errors = sum(n for _, severity, n, _ in by_status if severity == "error")
    context.log.info(
        f"Phát hiện: {counts['new']} mới, {counts['resolved']} đã được sửa, {open_errors} lỗi còn mở"
    )
    return MaterializeResult(
        metadata={
            "findings": MetadataValue.md("\n".join(table)),
            "open_errors": open_errors,
            "new": counts["new"],
            "resolved": counts["resolved"],
            "accept_list_entries": len(accepted),
            "data_docs": MetadataValue.path(str(docs / "index.html")),
        }
    )


def _suite_result(con, spec: SuiteSpec) -> AssetCheckResult:
    """One suite's outcome as its asset check: its rules from `quality.dq_rule_results`, its open findings
    from `quality.dq_findings`."""
    rules = con.execute(
        """select rule_code, severity, success, unexpected_count, error from quality.dq_rule_results
           where suite = ? order by rule_code""",
        [spec.name],
    ).fetchall()
    open_by_severity = dict(
        con.execute(
            """select severity, count(*) from quality.dq_findings
               where suite = ? and status = 'open' group by severity""",
            [spec.name],
        ).fetchall()
    )
    examples = con.execute(
        """select rule_code, message_vi, coalesce(evidence_file, ''), evidence_row
           from quality.dq_findings where suite = ? and status = 'open'
           order by severity, rule_code, finding_key limit ?""",
        [spec.name, EXAMPLES_SHOWN],
    ).fetchall()
    if not rules:
        raise Failure(f"No results for suite {spec.name}: did quality/dq_findings run?")
    broken = [code for code, _, _, _, error in rules if error]
    table = ["| rule | severity | ok | unexpected |", "|---|---|---|---|"]
    table += [
        f"| {c} | {s} | {'✅' if ok else '❌'} | {n if n is not None else '-'} |" for c, s, ok, n, _ in rules
    ]
    return AssetCheckResult(
        asset_key=AssetKey(spec.asset_key),
        check_name=f"dq_{spec.name}",
        passed=not broken and not open_by_severity,
        severity=AssetCheckSeverity.ERROR
        if broken or open_by_severity.get("error")
        else AssetCheckSeverity.WARN,
        metadata={
            "rules": MetadataValue.md("\n".join(table)),
            "open_errors": open_by_severity.get("error", 0),
            "open_warnings": open_by_severity.get("warning", 0),
            "unexpected_count": sum(n or 0 for _, _, _, n, _ in rules),
            "examples": MetadataValue.md(
                examples_markdown(examples, sum(open_by_severity.values()), spec.name)
            ),
        },
    )


def build_findings_checks(specs: list[SuiteSpec]):
    """Every findings suite as an asset check on the asset it judges (`dq_<suite>`), all read in one step:
    each is a few queries of the findings tables, and a step of its own per suite cost more in Dagster's
    bookkeeping (its start, output and success events) than its queries. A subset chosen in the UI runs
    only the chosen checks."""
    by_key = {AssetCheckKey(AssetKey(spec.asset_key), f"dq_{spec.name}"): spec for spec in specs}

    @multi_asset_check(
        name="quality_dq_checks",
        specs=[
            AssetCheckSpec(
                f"dq_{spec.name}",
                asset=AssetKey(spec.asset_key),
                description=f"Data-quality rules of expectations/{spec.name}.json: {spec.description}",
                additional_deps=[FINDINGS],
                blocking=False,
            )
            for spec in specs
        ],
        can_subset=True,
        description="The findings suites' results, each as an asset check on the asset it judges.",
    )
    def _checks(context: AssetCheckExecutionContext, warehouse: WarehouseResource):
        with warehouse.connect(read_only=True) as con:
            for key, spec in by_key.items():
                if key in context.selected_asset_check_keys:
                    yield _suite_result(con, spec)

    return _checks


EXAMPLES_SHOWN = 10


def examples_markdown(examples: list[tuple], open_count: int, suite: str) -> str:
    """A few open findings (rule, message, where), and how many there are and where to read them all."""
    if not examples:
        return "No open finding."
    lines = [
        f"{len(examples)} of {open_count} open findings shown. All of them: `quality.dq_findings` "
        f"(where suite = '{suite}' and status = 'open'), and the annex of each period's XLSX report."
    ]
    for code, message, file, row in examples:
        where = ", ".join(part for part in (file, f"dòng {row}" if row else "") if part)
        lines.append(f"- {code}: {md_text(message)}" + (f" ({md_text(where)})" if where else ""))
    return "\n".join(lines)


assets = [dq_findings]
checks = [build_findings_checks(FINDING_SUITES)]
