"""`cds bench` / `make bench`: how fast the pipeline is, how far from the engine's limit, how much memory.

For each scale it generates the sample sources, then runs, on the same files and each in its own process:

- the pipeline, stage by stage (`pipelines/tools/bench/stages.py`: start-up, ingest, warehouse, checks,
  reports, and the server warehouse where CDS_POSTGRES_URL names a PostgreSQL server, emptied first),
  then a full run from an empty warehouse (`cds run`) and, after it as a department would, a one-quarter
  incremental refresh (a later export of the last quarter arrives; `cds run`), set against the full run;
- the limit: the same dossier work as plain DuckDB SQL in one process (`limit.py`);
- the naive peer: the same in plain pandas (`peer.py`).

It checks that the three produce the same totals (rows loaded, received, online, resolved, on time, late,
and the check counts) before comparing their cost, and writes `outputs/bench/<timestamp>.json`,
`latest.json` and a Markdown table (`latest.md`).
"""

from __future__ import annotations

import csv
import json
import os
import platform
import shutil
import sys
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import duckdb

from pipelines.tools.bench.limit import one_row
from pipelines.tools.bench.measure import Measurement, run_measured
from pipelines.tools.bench.national import write_national_reference
from pipelines.tools.bench.scales import SCALES, Scale
from pipelines.tools.bench.stages import stages_for

COMPARED = {"ingest": "load", "warehouse": "transform", "checks": "checks"}  # pipeline stage -> limit/peer
UPDATED_SHARE = 0.01  # the incremental refresh: a later export re-sends 1 % of the last quarter's dossiers

PIPELINE_TOTALS = """
select
    (select count(*) from raw.dossiers) as rows_loaded,
    (select count(*) from raw.quarantine q join raw.ingested_files f on f.sha256 = q.file_sha256
     where f.source_kind = 'dossier_export') as rows_quarantined,
    sum(received) as received, sum(online) as online, sum(resolved) as resolved,
    sum(early) + sum(on_time) as on_time, sum(late) as late
from intermediate.int_dossier_quarter_counts
"""
PIPELINE_CHECKS = """
select
    count(*) filter (rule_code = 'DOSSIER_DUPLICATE_ROW') as duplicate_rows,
    count(*) filter (rule_code = 'DOSSIER_DATES_IMPOSSIBLE') as impossible_dates,
    count(*) filter (rule_code = 'DOSSIER_UNKNOWN_COMMUNE') as unknown_commune
from quality.dq_findings
"""


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = int(
        next(
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    )
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 1024**2, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "platform": platform.platform(),
    }


def _summary(m: Measurement) -> dict:
    return {"wall_s": m.wall_s, "peak_rss_mb": m.peak_rss_mb}


def _checked(m: Measurement, what: str) -> Measurement:
    if m.returncode != 0:
        raise RuntimeError(f"{what} failed (exit {m.returncode}):\n{m.stdout[-3000:]}\n{m.stderr[-3000:]}")
    return m


class ScaleRun:
    """Everything measured at one scale, in `work/<scale>/` (sources kept for the next bench)."""

    def __init__(self, scale: Scale, work: Path, log=print):
        self.scale, self.work, self.log = scale, work / scale.name, log
        self.sources = self.work / "sources"
        self.outputs = self.work / "outputs"
        self.python = sys.executable
        self.cds = str(Path(sys.executable).parent / "cds")

    def env(self) -> dict[str, str]:
        national = {"CDS_REFERENCE_DIR": str(self.work / "reference")} if self.scale.national else {}
        return {
            **os.environ,
            **national,
            "CDS_SOURCES_DIR": str(self.sources),
            "CDS_OUTPUTS_DIR": str(self.outputs),
            "CDS_WAREHOUSE_PATH": str(self.outputs / "warehouse.duckdb"),
            "CDS_ANALYST_PATH": str(self.outputs / "analyst.duckdb"),
            "DAGSTER_HOME": str(self.work / "dagster_home"),
        }

    def measure(self, what: str, command: list[str]) -> Measurement:
        self.log(f"  {self.scale.name}: {what} …")
        m = _checked(run_measured(command, env=self.env()), f"{self.scale.name}: {what}")
        self.log(f"  {self.scale.name}: {what} {m.wall_s:.1f} s, {m.peak_rss_mb:.0f} MB")
        return m

    def reset_outputs(self) -> None:
        for folder in (self.outputs, self.work / "dagster_home"):
            shutil.rmtree(folder, ignore_errors=True)

    def generate(self, reuse: bool) -> dict:
        """Generate the sources, or keep those an earlier bench generated for the same scale (with the
        measurement it took then)."""
        marker = self.work / "sample.json"
        previous = json.loads(marker.read_text()) if reuse and marker.exists() else {}
        if previous.get("scale") == asdict(self.scale) and (self.sources / "dossiers").is_dir():
            self.log(f"  {self.scale.name}: sources kept from an earlier bench")
            return previous["generate"]
        shutil.rmtree(self.sources, ignore_errors=True)
        m = self.measure(
            "generate",
            [
                self.cds,
                "sample",
                "--communes",
                str(self.scale.communes),
                "--quarters",
                str(self.scale.quarters),
                "--dossiers",
                str(self.scale.dossiers),
                "--out",
                str(self.sources),
            ],
        )
        marker.write_text(json.dumps({"scale": asdict(self.scale), "generate": _summary(m)}))
        return _summary(m)

    def pipeline(self) -> dict:
        self.reset_outputs()
        server = os.environ.get("CDS_POSTGRES_URL", "")
        if server:
            empty_server(server)  # the first copy is a whole one, as on a new server
        stages = {}
        for stage in stages_for(bool(server)):
            m = self.measure(stage, [self.python, "-m", "pipelines.tools.bench.stages", stage])
            stages[stage] = {**_summary(m), **m.json_payload()}
            stages[stage].pop("stage", None)
        totals, checks = self.pipeline_results()
        working = [s for s in stages if s != "startup"]
        self.reset_outputs()
        full = self.measure("full run (cds run)", [self.cds, "run"])
        # after a whole `cds run`, as a department refreshes: the stages above record no finished build
        incremental = self.incremental()
        return {
            "wall_s": round(sum(stages[s]["wall_s"] for s in working), 2),
            "peak_rss_mb": max(stages[s]["peak_rss_mb"] for s in working),
            "startup_s": stages["startup"]["wall_s"],
            "stages": stages,
            "full_run": _summary(full),
            "incremental_run": incremental,
            "incremental_share": round(incremental["wall_s"] / full.wall_s, 3),
            "totals": totals,
            "checks": checks,
        }

    def pipeline_results(self) -> tuple[dict, dict]:
        with duckdb.connect(str(self.outputs / "warehouse.duckdb"), read_only=True) as con:
            return one_row(con, PIPELINE_TOTALS), one_row(con, PIPELINE_CHECKS)

    def incremental(self) -> dict:
        """A later export of the last quarter re-sends some of its dossiers; run the main job again."""
        exports = sorted((self.sources / "dossiers").glob("dossiers_*.csv"))
        last = exports[-1]
        later = last.with_name(f"{last.stem}_cap-nhat.csv")
        with (
            last.open(encoding="utf-8", newline="") as source,
            later.open("w", encoding="utf-8", newline="") as out,
        ):
            reader, writer = csv.reader(source), csv.writer(out)
            writer.writerow(next(reader))
            for number, row in enumerate(reader):
                if number % round(1 / UPDATED_SHARE) == 0:
                    writer.writerow(row)
        try:
            m = self.measure(f"incremental run ({later.name})", [self.cds, "run"])
        finally:
            later.unlink()
        return _summary(m)

    def engine(self, module: str, *args: str) -> dict:
        m = self.measure(module.rsplit(".", 1)[-1], [self.python, "-m", module, str(self.sources), *args])
        return {**_summary(m), **m.json_payload()}

    def run(self, reuse_sources: bool, with_pandas: bool) -> dict:
        self.work.mkdir(parents=True, exist_ok=True)
        if self.scale.national:
            write_national_reference(self.work / "reference", self.scale.communes)
        generated = self.generate(reuse_sources)
        pipeline = self.pipeline()
        limit = self.engine("pipelines.tools.bench.limit", str(self.work / "limit.duckdb"))
        peer = self.engine("pipelines.tools.bench.peer") if with_pandas else None
        (self.work / "limit.duckdb").unlink(missing_ok=True)
        agree = pipeline["totals"] == limit["totals"] and all(
            pipeline["checks"][k] == limit["checks"][k] for k in pipeline["checks"]
        )
        if peer:
            agree = agree and peer["totals"] == limit["totals"] and peer["checks"] == limit["checks"]
        return {
            "scale": self.scale.name,
            "note": self.scale.note,
            "dossiers": pipeline["totals"]["rows_loaded"],
            "communes": self.scale.communes,
            "quarters": self.scale.quarters,
            "source_mb": round(
                sum(p.stat().st_size for p in self.sources.rglob("*") if p.is_file()) / 1e6, 1
            ),
            "generate": generated,
            "pipeline": pipeline,
            "limit": limit,
            "pandas": peer,
            "results_agree": agree,
            "ratios": ratios(pipeline, limit, peer),
        }


def empty_server(url: str) -> None:
    """Drop what an earlier run built on the server warehouse (its schemas), so that the bench times a
    first copy and a first build."""
    import contextlib

    import psycopg2

    from pipelines.core.sqltext import quote_ident
    from pipelines.warehouse.analyst import ANALYST_SCHEMAS
    from pipelines.warehouse.postgres import COPIED_SCHEMAS

    schemas = sorted({*COPIED_SCHEMAS, *ANALYST_SCHEMAS, "staging", "intermediate"})
    with contextlib.closing(psycopg2.connect(url)) as pg, pg, pg.cursor() as cur:
        for schema in schemas:
            cur.execute(f"drop schema if exists {quote_ident(schema)} cascade")


def ratios(pipeline: dict, limit: dict, peer: dict | None) -> dict:
    def r(a: float, b: float) -> float | None:
        return round(a / b, 2) if b else None

    compared = {stage: pipeline["stages"][stage]["wall_s"] for stage in COMPARED}
    compared_total = sum(compared.values())
    out = {
        "pipeline_over_limit": {
            **{stage: r(compared[stage], limit["stages"][other]) for stage, other in COMPARED.items()},
            "total": r(compared_total, limit["wall_s"]),
        }
    }
    if peer:
        out["pandas_over_pipeline"] = {
            **{stage: r(peer["stages"][other], compared[stage]) for stage, other in COMPARED.items()},
            "total": r(peer["wall_s"], compared_total),
            "memory": r(peer["peak_rss_mb"], pipeline["peak_rss_mb"]),
        }
    return out


def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        f"Measured {report['measured_at']} on {m['cpus']} cores ({m['cpu']}), {m['memory_gib']} GiB, "
        f"Python {m['python']}, DuckDB {m['duckdb']}.",
        "",
        "| scale | dossiers | stage | pipeline s | pipeline MB | limit s | limit MB | pandas s | pandas MB "
        "| pipeline ÷ limit | pandas ÷ pipeline |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in report["scales"]:
        p, lim, peer = s["pipeline"], s["limit"], s["pandas"] or {}
        ratio, peer_ratio = s["ratios"]["pipeline_over_limit"], s["ratios"].get("pandas_over_pipeline", {})
        head = [s["scale"] + ("" if s["results_agree"] else " (results differ!)"), f"{s['dossiers']:,}"]
        for stage in p["stages"]:
            other = COMPARED.get(stage)
            measured = p["stages"][stage]
            cells = [
                stage,
                _fmt(measured["wall_s"]),
                _fmt(measured["peak_rss_mb"], 0),
                _fmt(lim["stages"].get(other)),
                "",
                _fmt(peer.get("stages", {}).get(other)),
                "",
                _fmt(ratio.get(stage), 2),
                _fmt(peer_ratio.get(stage), 2),
            ]
            lines.append(_row(head + cells))
        totals = [
            "total",
            _fmt(p["wall_s"]),
            _fmt(p["peak_rss_mb"], 0),
            _fmt(lim["wall_s"]),
            _fmt(lim["peak_rss_mb"], 0),
            _fmt(peer.get("wall_s")),
            _fmt(peer.get("peak_rss_mb"), 0),
            _fmt(ratio["total"], 2),
            _fmt(peer_ratio.get("total"), 2),
        ]
        lines.append(_row(head + [f"**{cell}**" if cell else cell for cell in totals]))
    lines += [
        "",
        "Pipeline total: the stages after start-up (the server's too, with a server), each in its own "
        "process (start-up counted in each); peak: the largest stage. Ratios set ingest + warehouse + "
        "checks against the limit's and pandas' "
        "load + transform + checks (neither renders reports).",
        "",
        "| scale | generate s | full run (`cds run`) s | one-quarter incremental s | incremental ÷ full |",
        "|---|---:|---:|---:|---:|",
    ]
    for s in report["scales"]:
        p = s["pipeline"]
        lines.append(
            f"| {s['scale']} | {_fmt(s['generate']['wall_s'])} | {_fmt(p['full_run']['wall_s'])} "
            f"| {_fmt(p['incremental_run']['wall_s'])} | {p['incremental_share']:.0%} |"
        )
    return "\n".join(lines) + "\n"


def run_bench(
    scales: list[str], out_dir: Path, reuse_sources: bool = True, with_pandas: bool = True, log=print
) -> tuple[Path, str]:
    started = datetime.now().astimezone()
    report = {"measured_at": started.isoformat(timespec="seconds"), "machine": machine(), "scales": []}
    for name in scales:
        log(f"Scale {name}: {SCALES[name].dossiers:,} dossiers, {SCALES[name].communes} communes")
        report["scales"].append(ScaleRun(SCALES[name], out_dir / "work", log).run(reuse_sources, with_pandas))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{started.strftime('%Y%m%dT%H%M%S')}.json"
    text = json.dumps(report, indent=2, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    (out_dir / "latest.json").write_text(text, encoding="utf-8")
    table = markdown(report)
    (out_dir / "latest.md").write_text(table, encoding="utf-8")
    return path, table
