"""A commune's own check of its form before sending (`cds check`): the warehouse's rules on one file, with no
warehouse.

The form is landed by the ingest's own code into an in-memory DuckDB; the models the form rules read
(`stg_submissions__forms` … `int_indicators_reported`) are created there as views from the SQL dbt compiled
for them (`pipelines/warehouse/manifest.py: ensure_check_models`); then every rule of the form suites whose
tables are all there runs, the very SQL Great Expectations runs in the pipeline (`rule_findings`). Rules
that compare a form with other communes or with the dossier system need the warehouse, and stay there.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pipelines.core.sqltext import quote_ident
from pipelines.ingest.register import FileResult
from pipelines.ingest.submissions import FormParser, ingest_form, prepare_tables
from pipelines.quality.findings import rule_findings
from pipelines.quality.suites import SuiteSpec, load_suites
from pipelines.reference import SEEDS_DIR

FORM_SUITES = ("int_indicators_reported", "stg_submissions__forms", "raw_quarantine_submissions")
# what a rule points at on the form, for a message that names the cell
RULE_COLUMNS = {
    "RATE_FRACTION_MISMATCH": "rate",
    "RATE_OUT_OF_RANGE": "rate",
    "SAME_FRACTION_TWO_INDICATORS": "rate",
    "NUMERATOR_ABOVE_DENOMINATOR": "numerator",
    "NEGATIVE_FIGURE": "numerator",
    "PARTS_DO_NOT_ADD_UP": "numerator",
}
# a whole file refused for one of these cannot be read as a form at all (exit 2); the others are errors in
# a form that was read (an unknown commune, a period outside the calendar: exit 1)
UNREADABLE = frozenset(
    {
        "corrupt_file",
        "csv_named_xlsx",
        "empty_file",
        "file_too_large",
        "legacy_xls",
        "password_protected",
        "truncated_file",
        "unsupported_extension",
        "wrong_file_type",
        "zip_bomb",
        "missing_sheet",
        "too_many_rows",
        "symlink",
        "not_xlsx",
        "unreadable_text",
        "encrypted_office",
        "unexpected_error",
    }
)


@dataclass
class FormCheck:
    path: Path
    status: str  # loaded, rejected
    message: str  # the refusal, when the whole file was refused
    reason: str | None
    sheet: str
    findings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(f["severity"] == "error" for f in self.findings) + (self.status == "rejected")

    @property
    def exit_code(self) -> int:
        """0 no error, 1 errors to mend, 2 the file cannot be read as a form."""
        if self.status == "rejected" and self.reason in UNREADABLE:
            return 2
        return 1 if self.errors else 0


def _suites(con: duckdb.DuckDBPyConnection) -> list[tuple[SuiteSpec, str]]:
    """(suite, rule) of every form rule whose tables all exist in `con`."""
    present = set(con.execute("select table_schema, table_name from information_schema.tables").fetchall())
    rules = []
    for spec in load_suites(tier="findings"):
        if spec.name not in FORM_SUITES:
            continue
        for expectation in spec.expectations:
            code = expectation["meta"]["rule_code"]
            if spec.rule_tables(code) <= present:
                rules.append((spec, code))
    return rules


def _relations(con: duckdb.DuckDBPyConnection, manifest_path: Path, reference_dir: Path) -> None:
    """The reference seeds, as tables from the reference folder's CSV files, and the check models as views,
    each after the relations it reads."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    nodes = {
        key: node for key, node in manifest["nodes"].items() if node["resource_type"] in ("model", "seed")
    }
    made: set[str] = set()

    def make(key: str) -> None:
        if key in made:
            return
        node = nodes[key]
        for parent in node.get("depends_on", {}).get("nodes", []):
            if parent in nodes:
                make(parent)
        schema, name = quote_ident(node["schema"]), quote_ident(node["name"])
        con.execute(f"create schema if not exists {schema}")
        if node["resource_type"] == "seed":
            con.execute(
                f"create table {schema}.{name} as select * from read_csv(?, header = true)",
                [str(reference_dir / f"{node['name']}.csv")],
            )
        elif node.get("compiled_code"):
            # sql-checked: the project's own model SQL as dbt compiled it, never input
            con.execute(f"create view {schema}.{name} as {node['compiled_code']}")
        made.add(key)

    # every seed (the rules read some directly: ref_indicator_identities), and the compiled models
    for key in sorted(
        k for k, node in nodes.items() if node["resource_type"] == "seed" or node.get("compiled_code")
    ):
        make(key)


# the tables a form lands in: emptied between two forms, so that one form's rules never see another's
RAW_TABLES = ("raw.submission_values", "raw.submissions", "raw.quarantine", "raw.ingested_files")


def check_forms(paths: list[Path], manifest_path: Path, reference_dir: Path | None = None) -> list[FormCheck]:
    """Each form checked on its own, one after the other in one in-memory database: the reference tables and
    the views are made once, the raw tables emptied after each form."""
    reference_dir = reference_dir or SEEDS_DIR
    parser = FormParser.from_seeds(reference_dir)
    with duckdb.connect() as con, tempfile.TemporaryDirectory(prefix="cds-check-") as scratch:
        prepare_tables(con)
        _relations(con, manifest_path, reference_dir)
        rules = _suites(con)
        checks = []
        for path in paths:
            checks.append(_check(con, path, Path(scratch) / "archive", parser, rules))
            for table in RAW_TABLES:
                con.execute(f"delete from {table}")  # sql-checked: the constant table names above
    return checks


def _check(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    archive: Path,
    parser: FormParser,
    rules: list[tuple[SuiteSpec, str]],
) -> FormCheck:
    result: FileResult = ingest_form(con, path, archive, parser)
    detected = dict(p.split("=", 1) for p in result.detected.split("; ") if "=" in p)
    refused = con.execute(
        "select reason_code from raw.quarantine where source_row is null limit 1"
    ).fetchall()
    check = FormCheck(
        path, result.status, result.message, refused[0][0] if refused else None, detected.get("sheet", "")
    )
    if result.status == "rejected":
        return check
    columns = dict(p.split("=", 1) for p in detected.get("columns", "").split(",") if "=" in p)
    for spec, code in rules:
        meta = spec.expectation(code)["meta"]
        for finding in rule_findings(con, spec, code):
            finding["cell"] = _cell(check.sheet, columns, RULE_COLUMNS.get(code), finding)
            finding["fix_vi"], finding["title_vi"] = meta.get("fix_vi", ""), meta.get("title_vi", code)
            check.findings.append(finding)
    check.findings.sort(key=lambda f: (f["severity"] != "error", f.get("evidence_row") or 0, f["rule_code"]))
    return check


def _cell(sheet: str, columns: dict[str, str], column: str | None, finding: dict[str, Any]) -> str:
    """`Phụ lục!G14` where the rule points at a figure of a row; `Phụ lục, dòng 14` for a row; else ''."""
    row = finding.get("evidence_row")
    if not row:
        return ""
    if column is None and finding["rule_code"] == "INPUT_QUARANTINED":  # subject: file|row|field
        column = str(finding.get("subject") or "").rsplit("|", 1)[-1]
    letter = columns.get(column or "")
    return f"{sheet}!{letter}{row}" if letter else f"{sheet}, dòng {row}"


NARRATIVE_SUFFIXES = (".docx", ".pdf", ".txt")


def check_report(path: Path, reference_dir: Path | None = None) -> FormCheck:
    """A narrative report through the `cds extract` path: its own rules (`quality/report_check.py`)."""
    from pipelines.ingest.register import IngestError
    from pipelines.narrative.extract import extract_report
    from pipelines.quality.report_check import report_findings

    try:
        extraction = extract_report(path, reference_dir=reference_dir)
    except IngestError as error:
        return FormCheck(path, "rejected", str(error), error.reason, "")
    findings = report_findings(extraction, reference_dir)
    for finding in findings:
        finding["cell"] = (
            f"câu: «{(finding.get('evidence_text') or '')[:120]}»" if finding.get("evidence_text") else ""
        )
        finding.setdefault("fix_vi", "")
    return FormCheck(path, "loaded", "", None, "", findings)


SEVERITY_VI = {"error": "Lỗi", "warning": "Cảnh báo"}


def verdict(check: FormCheck) -> str:
    if check.exit_code == 2:
        return "Không đọc được tệp"
    if check.status == "rejected":
        return "Tệp bị từ chối: cần sửa rồi gửi lại"
    warnings = sum(f["severity"] != "error" for f in check.findings)
    if check.errors:
        return f"{check.errors} lỗi, {warnings} cảnh báo: sửa các lỗi rồi gửi"
    if warnings:
        return f"Không có lỗi, {warnings} cảnh báo: nên xem lại trước khi gửi"
    return "Không có lỗi: có thể gửi"


def as_text(checks: list[FormCheck]) -> str:
    lines = []
    for check in checks:
        lines.append(f"Tệp: {check.path.name} — {verdict(check)}")
        if check.status == "rejected":
            lines.append(f"  {check.message}")
        for f in check.findings:
            where = f" {f['cell']}" if f.get("cell") else ""
            lines.append(f"  [{SEVERITY_VI.get(f['severity'], f['severity'])}]{where}: {f['message_vi']}")
            if f.get("fix_vi"):
                lines.append(f"      Cách sửa: {f['fix_vi']}")
    return "\n".join(lines)


def as_json(checks: list[FormCheck]) -> list[dict[str, Any]]:
    return [
        {
            "file": str(c.path),
            "status": c.status,
            "exit_code": c.exit_code,
            "verdict": verdict(c),
            "refused": c.message or None,
            "reason": c.reason,
            "findings": [
                {
                    "rule_code": f["rule_code"],
                    "severity": f["severity"],
                    "cell": f.get("cell") or None,
                    "row": f.get("evidence_row"),
                    "message": f["message_vi"],
                    "fix": f.get("fix_vi") or None,
                    "evidence": f.get("evidence_text"),
                }
                for f in c.findings
            ],
        }
        for c in checks
    ]


_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Kết quả kiểm tra biểu mẫu</title>
<style>
body { font-family: "Times New Roman", serif; font-size: 13pt; margin: 1.5cm; }
table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #555; padding: .2rem .4rem; }
.error { color: #a00000; } .ok { color: #1b5e20; } @page { size: A4; margin: 15mm; }
</style></head><body>
<h1>Kết quả kiểm tra biểu mẫu trước khi gửi</h1>
{% for c in checks %}
<h2>{{ c.path.name }}: <span class="{{ 'ok' if c.exit_code == 0 else 'error' }}">{{ verdict(c) }}</span></h2>
{% if c.message %}<p class="error">{{ c.message }}</p>{% endif %}
{% if c.findings %}
<table><thead><tr><th>Mức</th><th>Vị trí</th><th>Nội dung</th><th>Cách sửa</th></tr></thead><tbody>
{% for f in c.findings %}
<tr><td>{{ severity[f.severity] }}</td><td>{{ f.cell }}</td><td>{{ f.message_vi }}</td>
<td>{{ f.fix_vi }}</td></tr>
{% endfor %}
</tbody></table>
{% endif %}
{% endfor %}
</body></html>
"""


def as_html(checks: list[FormCheck]) -> str:
    """One printable page (autoescaped: every text from the file is shown as text)."""
    from jinja2 import Environment

    template = Environment(autoescape=True).from_string(_PAGE)
    return template.render(checks=checks, verdict=verdict, severity=SEVERITY_VI)
