"""Every `integrity` suite in `expectations/` (rules on what the pipeline computed itself, whose failure
is a bug) becomes a blocking Dagster asset check on the asset it judges."""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)

from pipelines.core.markdown import md_text
from pipelines.quality.suites import SuiteSpec, load_suites, run_suite
from pipelines.resources import WarehouseResource


def _rules_markdown(result) -> str:
    lines = ["| rule | severity | ok | unexpected | examples |", "|---|---|---|---|---|"]
    for r in result.rules:
        examples = md_text(", ".join(map(str, r.examples[:5])) or (r.error or ""))
        lines.append(
            f"| {r.rule_code} | {r.severity} | {'✅' if r.success else '❌'} | "
            f"{r.unexpected_count if r.unexpected_count is not None else '-'} | {examples} |"
        )
    return "\n".join(lines)


def build_suite_check(spec: SuiteSpec):
    @asset_check(
        asset=AssetKey(spec.asset_key),
        name=f"gx_{spec.name}",
        description=f"Great Expectations suite expectations/{spec.name}.json: {spec.description}",
        blocking=True,
    )
    def _check(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
        warehouse.wait_until_free()
        result = run_suite(spec, warehouse.sqlalchemy_url)
        errors, warnings = result.failed_errors, result.failed_warnings
        for rule in errors + warnings:
            context.log.warning(f"{rule.rule_code}: {rule.message_vi} ({rule.unexpected_count} dòng)")
        return AssetCheckResult(
            passed=not errors and not warnings,
            severity=AssetCheckSeverity.ERROR if errors else AssetCheckSeverity.WARN,
            metadata={
                "rules": MetadataValue.md(_rules_markdown(result)),
                "failed_error_rules": [r.rule_code for r in errors],
                "failed_warning_rules": [r.rule_code for r in warnings],
                "unexpected_count": sum(r.unexpected_count or 0 for r in errors + warnings),
            },
        )

    return _check


checks = [build_suite_check(spec) for spec in load_suites(tier="integrity")]
