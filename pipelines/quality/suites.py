"""Load the Great Expectations suites kept as JSON in `expectations/` and run them in the warehouse.

Each suite names the table it judges (optionally only the rows of a `where` condition) and the Dagster
asset it belongs to, and has a tier: `integrity` suites judge what the pipeline computed itself (a failure
is a bug: blocking), `findings` suites judge the communes' and the dossier system's data (every failing
row becomes a row of `quality.dq_findings`). Each expectation carries a rule code, a severity (error /
warning), what it affects and a Vietnamese message template in its `meta`; a row rule keeps its SQL in
`expectations/sql/<rule>.sql` (`query_file`), with `{batch}` standing for the judged table.

Validation runs through SQLAlchemy against DuckDB, so GX pushes the work down into SQL instead of
loading the table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pipelines.settings import EXPECTATIONS_DIR

# a schema-qualified table in a rule's SQL: the warehouse's schemas, one dot, a lower-case name
_QUALIFIED_TABLE = re.compile(
    r"\b(raw|staging|intermediate|marts|reference|restricted|quality|reporting)\.([a-z_][a-z0-9_]*)\b"
)


def _with_params(query: str, params: dict[str, str], suite: Path) -> str:
    """A rule file shared by several rules takes `{name}` placeholders, filled from the expectation's
    `query_params`: plain words only (a class to select, never SQL), quoted in the file."""
    for name, value in params.items():
        if not re.fullmatch(r"[a-z_]+", str(value)) or "{" + name + "}" not in query:
            raise ValueError(f"{suite.name}: query parameter {name}={value!r} is not a word the query takes")
        query = query.replace("{" + name + "}", value)
    return query


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    description: str
    asset_key: list[str]
    schema: str
    table: str
    expectations: list[dict[str, Any]]
    where: str | None = None  # judge only these rows (a SQL condition on the table)
    tier: str = "integrity"

    @classmethod
    def load(cls, path: Path) -> SuiteSpec:
        raw = json.loads(path.read_text(encoding="utf-8"))
        expectations = []
        for expectation in raw["expectations"]:
            expectation = dict(expectation)
            if "query_file" in expectation:
                query = (path.parent / expectation.pop("query_file")).read_text(encoding="utf-8")
                query = _with_params(query, expectation.pop("query_params", {}), path)
                expectation["kwargs"] = {**expectation.get("kwargs", {}), "unexpected_rows_query": query}
            expectations.append(expectation)
        return cls(
            raw["name"],
            raw.get("description", ""),
            raw["asset_key"],
            raw["table"]["schema"],
            raw["table"]["name"],
            expectations,
            raw["table"].get("where"),
            raw.get("tier", "integrity"),
        )

    @property
    def batch_sql(self) -> str:
        """What `{batch}` stands for when a rule's query runs outside GX."""
        table = f"{self.schema}.{self.table}"
        return f"(select * from {table} where {self.where})" if self.where else table

    @property
    def tables_read(self) -> set[tuple[str, str]]:
        """(schema, table) of every warehouse table the suite's rules read: the judged table and those
        their SQL names (always schema-qualified, see expectations/README.md)."""
        tables = {(self.schema, self.table)}
        for expectation in self.expectations:
            query = expectation.get("kwargs", {}).get("unexpected_rows_query", "")
            tables |= set(_QUALIFIED_TABLE.findall(query))
        return tables

    def rule_tables(self, rule_code: str) -> set[tuple[str, str]]:
        """(schema, table) of every warehouse table one rule reads."""
        query = self.expectation(rule_code).get("kwargs", {}).get("unexpected_rows_query", "")
        return {(self.schema, self.table), *_QUALIFIED_TABLE.findall(query)}

    def expectation(self, rule_code: str) -> dict[str, Any]:
        for expectation in self.expectations:
            if expectation["meta"]["rule_code"] == rule_code:
                return expectation
        raise KeyError(f"{rule_code} is not a rule of suite {self.name}")

    def in_dialect(self, dialect: str) -> SuiteSpec:
        """The suite with its SQL written for another engine (`postgres` for the server warehouse).

        The rule files are DuckDB SQL, the one copy every engine runs; sqlglot, the SQL translator dagster-dbt
        already depends on, rewrites them (`strftime` → `to_char`, `qualify` → a window subquery,
        `list_contains` → `= any(…)`). A construct it cannot write for the target raises here, naming the
        suite, instead of running wrong."""
        if dialect == "duckdb":
            return self
        expectations = []
        for expectation in self.expectations:
            kwargs = dict(expectation.get("kwargs", {}))
            if "unexpected_rows_query" in kwargs:
                kwargs["unexpected_rows_query"] = _translated(
                    kwargs["unexpected_rows_query"], dialect, self.name
                )
            expectations.append({**expectation, "kwargs": kwargs})
        where = _translated(self.where, dialect, self.name) if self.where else None
        return replace(self, expectations=expectations, where=where)

    def rule_query(self, rule_code: str) -> str:
        """The SQL of a row rule with `{batch}` filled in (braces doubled for GX are undoubled here too)."""
        return self.expectation(rule_code)["kwargs"]["unexpected_rows_query"].format(batch=self.batch_sql)


# `{batch}` is no SQL; it crosses the translation as this identifier
_BATCH_STAND_IN = "cds_gx_batch_stand_in"


def _for_postgres(node, joined: bool):
    """What sqlglot leaves to the engine, rewritten for PostgreSQL: GX's batch, a subquery, needs an alias
    there, which GX gives it itself unless the query joins (then "the user takes care of aliasing"); there is
    no `round(double, n)`, only numeric's; DuckDB's 64-bit `hash` is `hashtextextended`, its `split` is
    `string_to_array` (sqlglot writes `split`, which PostgreSQL does not have)."""
    from sqlglot import exp

    if joined and isinstance(node, exp.Table) and node.name == _BATCH_STAND_IN and not node.alias:
        node.set("alias", exp.TableAlias(this=exp.to_identifier("batch")))
    elif isinstance(node, exp.Round) and node.args.get("decimals") is not None:
        node.set("this", exp.cast(node.this, "numeric"))
        return exp.cast(node.copy(), "double")
    elif isinstance(node, exp.Split):
        return exp.func("string_to_array", node.this, node.expression)
    elif isinstance(node, exp.Anonymous) and node.name.lower() == "hash" and len(node.expressions) == 1:
        return exp.func("hashtextextended", node.expressions[0], exp.Literal.number(0))
    return node


def _translated(query: str, dialect: str, suite: str) -> str:
    import sqlglot

    try:
        tree = sqlglot.parse_one(query.replace("{batch}", _BATCH_STAND_IN), read="duckdb")
        if dialect == "postgres":
            joined = tree.find(sqlglot.exp.Join) is not None
            tree = tree.transform(lambda node: _for_postgres(node, joined))
        translated = tree.sql(dialect=dialect, unsupported_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.SqlglotError as error:
        raise ValueError(f"{suite}: a rule's SQL cannot be written for {dialect}: {error}") from error
    return translated.replace(_BATCH_STAND_IN, "{batch}")


def load_suites(folder: Path = EXPECTATIONS_DIR, tier: str | None = None) -> list[SuiteSpec]:
    suites = [SuiteSpec.load(p) for p in sorted(folder.glob("*.json"))]
    return [s for s in suites if tier is None or s.tier == tier]


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
    affects: str = "none"  # which source's figures an open error holds back: reported, system or none
    affects_indicators: list[str] | None = None  # which indicators; None: the finding's own (or all)


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

    @property
    def broken(self) -> list[RuleResult]:
        """Rules that could not be evaluated at all (a SQL error): never read as a pass."""
        return [r for r in self.rules if r.error is not None]


def _exception_message(info: dict | None) -> str | None:
    """GX reports a failed metric either flat or keyed by metric id; find the first message either way."""
    if not info:
        return None
    if info.get("raised_exception"):
        return info.get("exception_message") or "raised an exception"
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return value.get("exception_message") or "raised an exception"
    return None


def _examples(result: dict) -> list[Any]:
    rows = (result.get("details") or {}).get("unexpected_rows") or result.get("partial_unexpected_list") or []
    return list(rows)[:10]


def run_suites(
    specs: Iterable[SuiteSpec], sqlalchemy_url: str, data_docs_dir: Path | None = None
) -> list[SuiteResult]:
    """Validate suites against the warehouse in one GX context (GX is imported here: it costs seconds);
    with `data_docs_dir`, publish GX Data Docs of the suites and their results there."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    from pipelines.quality.gx_duckdb import duckdb_connections_closed, keep_duckdb_connections_open

    keep_duckdb_connections_open()
    results = []
    with duckdb_connections_closed():
        context = gx.get_context(mode="ephemeral")
        # progress bars would write a line per metric into the run log
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        if data_docs_dir is not None:
            context.add_data_docs_site(
                site_name="local",
                site_config={
                    "class_name": "SiteBuilder",
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                    "store_backend": {
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": str(data_docs_dir),
                    },
                },
            )
        source = context.data_sources.add_sql(name="warehouse", connection_string=sqlalchemy_url)
        for spec in specs:
            if spec.where:
                query = f"select * from {spec.schema}.{spec.table} where {spec.where}"
                asset = source.add_query_asset(name=spec.name, query=query)
            else:
                asset = source.add_table_asset(name=spec.name, table_name=spec.table, schema_name=spec.schema)
            batch_definition = asset.add_batch_definition_whole_table("whole_table")
            suite = gx.ExpectationSuite(
                name=spec.name,
                expectations=[
                    ExpectationConfiguration(
                        type=e["type"], kwargs=e["kwargs"], meta=e["meta"]
                    ).to_domain_obj()
                    for e in spec.expectations
                ],
            )
            suite = context.suites.add(suite)
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=spec.name, data=batch_definition, suite=suite)
            )
            validation = definition.run(result_format="SUMMARY")
            rules = []
            for result in validation.results:
                meta = result.expectation_config.meta or {}
                count = result.result.get("unexpected_count", result.result.get("observed_value"))
                rules.append(
                    RuleResult(
                        rule_code=meta.get("rule_code", result.expectation_config.type),
                        severity=meta.get("severity", "error"),
                        message_vi=meta.get("message_vi", ""),
                        expectation=result.expectation_config.type,
                        success=bool(result.success),
                        unexpected_count=count if isinstance(count, int) else None,
                        examples=_examples(result.result),
                        error=_exception_message(result.exception_info),
                        affects=meta.get("affects", "none"),
                        affects_indicators=meta.get("affects_indicators"),
                    )
                )
            results.append(SuiteResult(spec.name, rules))
        if data_docs_dir is not None:
            context.build_data_docs(site_names=["local"])
    return results


def run_suite(spec: SuiteSpec, sqlalchemy_url: str) -> SuiteResult:
    return run_suites([spec], sqlalchemy_url)[0]
