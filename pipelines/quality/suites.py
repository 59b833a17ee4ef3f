"""Load the Great Expectations suites kept as JSON in `expectations/` and run them in the warehouse.

Each suite names the table it judges and the Dagster asset it belongs to; each expectation carries a
rule code, a severity (error / warning) and a Vietnamese message in its `meta`. Validation runs through
SQLAlchemy against DuckDB, so GX pushes the work down into SQL instead of loading the table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.settings import EXPECTATIONS_DIR


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    description: str
    asset_key: list[str]
    schema: str
    table: str
    expectations: list[dict[str, Any]]
    where: str | None = None  # judge only these rows (a SQL condition on the table)

    @classmethod
    def load(cls, path: Path) -> SuiteSpec:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            raw["name"],
            raw.get("description", ""),
            raw["asset_key"],
            raw["table"]["schema"],
            raw["table"]["name"],
            raw["expectations"],
            raw["table"].get("where"),
        )


def load_suites(folder: Path = EXPECTATIONS_DIR) -> list[SuiteSpec]:
    return [SuiteSpec.load(p) for p in sorted(folder.glob("*.json"))]


@dataclass
class RuleResult:
    rule_code: str
    severity: str
    message_vi: str
    expectation: str
    success: bool
    unexpected_count: int | None
    examples: list[Any] = field(default_factory=list)
    error: str | None = None


@dataclass
class SuiteResult:
    suite: str
    rules: list[RuleResult]

    @property
    def failed_errors(self) -> list[RuleResult]:
        return [r for r in self.rules if not r.success and r.severity == "error"]

    @property
    def failed_warnings(self) -> list[RuleResult]:
        return [r for r in self.rules if not r.success and r.severity == "warning"]


def run_suite(spec: SuiteSpec, sqlalchemy_url: str) -> SuiteResult:
    """Validate one suite against the warehouse (GX is imported here: it costs seconds to import)."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    from pipelines.quality.gx_duckdb import duckdb_connections_closed, keep_duckdb_connections_open

    keep_duckdb_connections_open()
    with duckdb_connections_closed():
        context = gx.get_context(mode="ephemeral")
        source = context.data_sources.add_sql(name="warehouse", connection_string=sqlalchemy_url)
        if spec.where:
            query = f"select * from {spec.schema}.{spec.table} where {spec.where}"
            asset = source.add_query_asset(name=spec.name, query=query)
        else:
            asset = source.add_table_asset(name=spec.name, table_name=spec.table, schema_name=spec.schema)
        batch = asset.add_batch_definition_whole_table("whole_table").get_batch()
        suite = gx.ExpectationSuite(
            name=spec.name,
            expectations=[
                ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"], meta=e["meta"]).to_domain_obj()
                for e in spec.expectations
            ],
        )
        validation = batch.validate(suite, result_format="SUMMARY")
    rules = []
    for result in validation.results:
        meta = result.expectation_config.meta or {}
        info = result.exception_info or {}
        rules.append(
            RuleResult(
                rule_code=meta.get("rule_code", result.expectation_config.type),
                severity=meta.get("severity", "error"),
                message_vi=meta.get("message_vi", ""),
                expectation=result.expectation_config.type,
                success=bool(result.success),
                unexpected_count=result.result.get("unexpected_count", result.result.get("observed_value")),
                examples=list(result.result.get("partial_unexpected_list") or [])[:10],
                error=info.get("exception_message") if info.get("raised_exception") else None,
            )
        )
    return SuiteResult(spec.name, rules)
