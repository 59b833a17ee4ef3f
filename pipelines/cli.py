"""`cds`: the command line for people running the pipeline.

cds sample      generate the sample sources (deterministic for a seed)
cds run         materialise the whole graph in this process and say where the results are
cds report      publish one period's reports from the warehouse as it is (cds report --period 2025-Q3)
cds extract     read a commune's narrative report (DOCX, PDF, TXT): commune, period, figures, findings
cds form        write the official empty indicator form for each commune (cds form --period 2025-Q3)
cds check       a commune's own check of its form before sending: exit 0 no error, 1 errors, 2 unreadable
cds remind      reminder letters to the units late or with open errors (cds remind --period 2025-Q3)
cds sql         open the analysts' read-only copy of the warehouse in the duckdb shell
cds bench       measure the pipeline against plain DuckDB and pandas at several scales (make bench)
cds dbt-parse   produce the dbt manifest (done once by `make install`)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

from pipelines.settings import Settings, get_settings


def _cmd_sample(args: argparse.Namespace) -> int:
    from pipelines.tools.sample.generator import SampleConfig, generate_sample

    out = Path(args.out) if args.out else get_settings().sources_dir
    config = SampleConfig(
        seed=args.seed,
        communes=args.communes,
        quarters=args.quarters,
        dossiers=args.dossiers,
        clean=args.clean,
    )
    started = time.perf_counter()
    manifest = generate_sample(out, config)
    defects = len(manifest.read_text(encoding="utf-8").splitlines()) - 1
    print(
        f"Sample sources written to {out} in {time.perf_counter() - started:.1f} s "
        f"({defects} injected defects listed in {manifest})"
    )
    return 0


def _cmd_has_sources(_: argparse.Namespace) -> int:
    """Exit 0 when the sources folder already holds dossier exports (so `make run` keeps them)."""
    folder = get_settings().sources_dir / "dossiers"
    return 0 if folder.is_dir() and any(folder.iterdir()) else 1


def _cmd_dbt_parse(_: argparse.Namespace) -> int:
    from pipelines.warehouse.manifest import ensure_check_models, ensure_manifest

    settings = get_settings()
    print(f"dbt manifest: {ensure_manifest(settings, force=True)}")
    print(f"models `cds check` runs: {ensure_check_models(settings.reference_dir, force=True)}")
    return 0


def _cmd_dagster_home(_: argparse.Namespace) -> int:
    print(get_settings().prepare_dagster_home())
    return 0


def _cmd_archive_key(_: argparse.Namespace) -> int:
    """Print a new Fernet key for CDS_ARCHIVE_KEY (the archive is not touched)."""
    from pipelines.ingest.archive_crypto import new_key

    print(new_key())
    return 0


def _cmd_archive_open(args: argparse.Namespace) -> int:
    """Write the original bytes of an archived file (decrypted with CDS_ARCHIVE_KEY when encrypted)."""
    from pipelines.ingest.archive_crypto import ArchiveKeyError, open_archived

    out = Path(args.out)
    try:
        data = open_archived(Path(args.file), get_settings().archive_key)
        # Personal data: a private new file, never written over an existing one.
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except (ArchiveKeyError, OSError) as error:
        print(error, file=sys.stderr)
        return 2
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    print(f"{out} ({len(data)} bytes, mode 0600)")
    return 0


def _cmd_runs(args: argparse.Namespace) -> int:
    """List the runs still in progress; with --clean, mark those whose process died as failed."""
    settings = get_settings()
    settings.prepare_dagster_home()
    from dagster import DagsterInstance, RunsFilter

    from pipelines.runs import IN_PROGRESS, fail_stale_runs, stale_runs

    instance = DagsterInstance.get()
    if args.clean:
        lines = fail_stale_runs(instance)
        print("\n".join(lines) or "Không có lượt chạy nào bị treo (no stale runs)")
        return 0
    stale = {r.run_id for r in stale_runs(instance)}
    for run in instance.get_runs(filters=RunsFilter(statuses=IN_PROGRESS)):
        note = "  (stale: its process died)" if run.run_id in stale else ""
        print(f"{run.run_id} {run.status.value} {run.job_name}{note}")
    return 0


def _cmd_write_aliases(_: argparse.Namespace) -> int:
    from pipelines.reference import write_aliases

    print(f"Alias seed rewritten from the commune seed: {write_aliases(get_settings().reference_dir)}")
    return 0


def _inbox(settings) -> str | None:
    """What this command sees before launching the main job (`state.inbox_fingerprint`); None when a
    dossier database is pulled, which no listing of files can stand for."""
    from dataclasses import asdict
    from datetime import date

    from pipelines.core.files import file_sha256
    from pipelines.warehouse.state import inbox_fingerprint

    if settings.dossier_db_url:
        return None
    values = asdict(settings)
    key_file = settings.pseudonym_key_file
    values["pseudonym_key_file"] = file_sha256(key_file) if key_file.is_file() else None
    return inbox_fingerprint(settings.sources_dir, settings.reference_dir, values, date.today())


def _cmd_run(args: argparse.Namespace) -> int:
    settings = get_settings()
    from pipelines.warehouse.state import inbox_unchanged, remember_inbox

    inbox = None if args.full_refresh else _inbox(settings)
    needed = [settings.warehouse_path, settings.analyst_path, settings.reports_dir / "index.html"]
    if inbox and (record := inbox_unchanged(settings.outputs_dir, inbox, needed)):
        print(
            f"Không có gì mới kể từ lần chạy {record['run_id'][:8]}: không có tệp nguồn, mã hay thiết lập "
            "nào thay đổi, không chạy lại.\n(Nothing new since that run: no source file, code or setting "
            "changed, so no run was launched; --full-refresh runs anyway.)"
        )
        _print_publications(settings.reports_dir)
        return 0
    settings.prepare_dagster_home()
    from pipelines.warehouse.manifest import ensure_manifest

    ensure_manifest(get_settings())
    from dagster import DagsterInstance

    from pipelines.console import failure_cause
    from pipelines.partitions import RANGE_END_TAG, RANGE_START_TAG
    from pipelines.run import main_job_tags, run_main_job, skipped_as_unchanged, write_run_log
    from pipelines.runs import fail_stale_runs

    started = time.perf_counter()
    try:
        tags = main_job_tags(settings)
    except ValueError:
        print(
            f"Không có dữ liệu nguồn trong {settings.sources_dir} (no source files and no dossier database)"
        )
        return 1
    print(f"Quarters: {tags[RANGE_START_TAG]} … {tags[RANGE_END_TAG]}")
    instance = DagsterInstance.get()
    for line in fail_stale_runs(instance):
        print(line)
    before = _published_versions(settings.reports_dir)
    logs = settings.outputs_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    dbt_output = logs / "dbt-output.log"
    with contextlib.ExitStack() as stack:
        if not args.verbose:  # dagster-dbt echoes each dbt node to stdout: the file keeps it
            stack.enter_context(contextlib.redirect_stdout(stack.enter_context(open(dbt_output, "w"))))
        result = run_main_job(
            settings,
            instance,
            raise_on_error=False,
            full_refresh=args.full_refresh,
            console_level="DEBUG" if args.verbose else "INFO",
        )
    log = write_run_log(instance, result.run_id, logs)
    failed_checks = [
        f"{e.asset_key.to_user_string()}:{e.check_name}"
        for e in result.get_asset_check_evaluations()
        if not e.passed
    ]
    print(
        f"\nRun {result.run_id} {'succeeded' if result.success else 'FAILED'} "
        f"in {time.perf_counter() - started:.1f} s"
    )
    for failure in (e for e in result.all_events if e.is_step_failure):
        print(f"  failed step {failure.step_key}: {failure_cause(failure.step_failure_data.error)[:300]}")
    print(f"Full log (DEBUG events included): {log}")
    if not args.verbose:
        print(f"dbt's output: {dbt_output}")
    if result.success and inbox:
        remember_inbox(settings.outputs_dir, inbox)  # the next `cds run` on the same inbox launches nothing
    if result.success and skipped_as_unchanged(result):
        print(
            "Không có gì mới: kho dữ liệu, kiểm tra và báo cáo giữ nguyên.\n"
            "(Nothing new since the last run: warehouse, checks, reports kept; --full-refresh builds anyway.)"
        )
    print(f"Warehouse: {settings.warehouse_path}")
    print(f"Analysts' read-only copy: {settings.analyst_path} (make sql)")
    _print_publications(settings.reports_dir, before=before, failed=not result.success)
    if failed_checks:
        print("Failed checks:\n" + "\n".join(f"  {c}" for c in failed_checks))
    _print_ingest_summary(settings)
    return 0 if result.success else 1


def _published_versions(reports_dir: Path) -> dict[str, tuple[str, str]]:
    """Each published period's (data version, issue date), to tell afterwards what a run published."""
    from pipelines.reports.publish import read_manifest

    manifests = (read_manifest(folder) for folder in sorted(reports_dir.glob("*/")))
    return {m["period_key"]: (m["data_version"], m["issued_on"]) for m in manifests if m}


def _print_publications(
    reports_dir: Path,
    periods: list[str] | None = None,
    before: dict[str, tuple[str, str]] | None = None,
    failed: bool = False,
) -> None:
    """The publications in calendar order (a quarter before the 9 months or the year that ends with it),
    each marked `new` when this run published it (given what was there `before`)."""
    from pipelines.reports.publish import INDEX, read_manifest

    folders = [reports_dir / p for p in periods] if periods else sorted(reports_dir.glob("*/"))
    manifests = [m for folder in folders if not folder.name.startswith(".") and (m := read_manifest(folder))]
    manifests.sort(key=lambda m: m["starts_on"], reverse=True)
    manifests.sort(key=lambda m: m["ends_on"])  # stable: by end, and the shorter period first
    if not manifests:
        print("Reports: (none published)")
        return
    heading = f"Reports: {reports_dir / INDEX}"
    if failed:
        heading += "  (this run failed: publications not marked new are from earlier runs)"
    print(heading)
    from pipelines.reports.editions import load_locks

    try:
        locks = load_locks()
    except ValueError:  # the publication step has already said what is wrong with the list
        locks = {}
    for m in manifests:
        checks = m["checks"]
        fresh = before is not None and before.get(m["period_key"]) != (m["data_version"], m["issued_on"])
        mark = "new " if fresh else ("lock" if m["period_key"] in locks else "    ")
        print(
            f"  {m['period_key']:8} {mark} edition {m.get('edition', 1)}, issued {m['issued_on']}  "
            f"data {m['data_version'][:12]}  {checks['open_errors']} errors, {checks['open_warnings']} "
            f"warnings, {checks['withheld_communes']} communes withheld  ({len(m['files'])} files)"
        )


def _cmd_report(args: argparse.Namespace) -> int:
    settings = get_settings()
    if not settings.warehouse_path.exists():
        print(f"Chưa có kho dữ liệu {settings.warehouse_path}: chạy `cds run` trước (no warehouse yet)")
        return 1
    unknown = _unknown_periods(settings, args.period or [])  # before the 3 s of imports below
    if unknown is not None:
        print(unknown, file=sys.stderr)
        return 2
    settings.prepare_dagster_home()
    from dagster import DagsterInstance

    from pipelines.definitions import build_definitions
    from pipelines.reports.assets import publish_run_config

    started = time.perf_counter()
    job = build_definitions(settings).resolve_job_def("publish_reports_job")
    result = job.execute_in_process(
        instance=DagsterInstance.get(),
        run_config=publish_run_config(args.period or [], force=args.force),
        raise_on_error=False,
    )
    if not result.success:
        failure = next((e for e in result.all_events if e.is_step_failure), None)
        reason = failure.step_failure_data.error.message.strip() if failure else "see the Dagster run"
        print(f"Run {result.run_id} FAILED: {reason}")
        return 1
    print(f"Run {result.run_id} succeeded in {time.perf_counter() - started:.1f} s")
    _print_publications(settings.reports_dir, args.period)
    return 0


def _unknown_periods(settings: Settings, asked: list[str]) -> str | None:
    """The message refusing the periods asked for that the warehouse has no figures for (with the ones it
    has), or None when every one is known: checked before the job starts, never as a traceback."""
    if not asked:
        return None
    import duckdb

    from pipelines.core.dbfile import connect_waiting
    from pipelines.reports.read import periods_with_data

    try:
        with connect_waiting(settings.warehouse_path, True, wait_seconds=settings.warehouse_lock_wait) as con:
            known = periods_with_data(con)
    except duckdb.Error:  # a warehouse without the reporting layer yet: the job says what is missing
        return None
    unknown = [p for p in asked if p not in known]
    if not unknown:
        return None
    return (
        f"Kỳ báo cáo không có số liệu trong kho: {', '.join(unknown)}. "
        f"Các kỳ có số liệu: {', '.join(known) or '(chưa có)'}.\n"
        f"(unknown period {', '.join(unknown)}; periods with data: {', '.join(known) or 'none'})"
    )


def _cmd_extract(args: argparse.Namespace) -> int:
    """Exit 0 with the extraction printed; 2 when the report cannot be read or its commune told."""
    import json

    from pipelines.ingest.register import IngestError
    from pipelines.narrative.describe import as_json, as_text
    from pipelines.narrative.extract import extract_report
    from pipelines.quality.report_check import report_findings

    path = Path(args.report)
    if not path.is_file():
        print(f"Không tìm thấy tệp {path} (no such file)", file=sys.stderr)
        return 2
    reference_dir = get_settings().reference_dir
    try:
        extraction = extract_report(path, reference_dir=reference_dir)
    except IngestError as error:
        print(f"Không đọc được báo cáo: {error}", file=sys.stderr)
        return 2
    findings = report_findings(extraction, reference_dir)
    if args.json:
        print(json.dumps(as_json(extraction, findings), ensure_ascii=False, indent=2))
    else:
        print(as_text(extraction, findings))
    return 0


def _cmd_form(args: argparse.Namespace) -> int:
    """The official empty form per commune for a period; exit 2 on an unknown period or commune."""
    from pipelines.ingest.form_template import issue_forms

    settings = get_settings()
    out = Path(args.out) if args.out else settings.outputs_dir / "forms" / args.period
    try:
        written = issue_forms(args.period, args.commune or None, out, settings.reference_dir)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"Đã tạo {len(written)} biểu mẫu kỳ {args.period} trong {out} ({len(written)} forms written)")
    return 0


def _cmd_remind(args: argparse.Namespace) -> int:
    """Reminder letters for a quarter as of a date; exit 2 on a bad period or date, 1 without a warehouse."""
    from datetime import date

    import duckdb

    from pipelines.core.dbfile import connect_waiting
    from pipelines.reference import read_seed
    from pipelines.reports.publish import local_today
    from pipelines.reports.reminders import read_chase_list, reminders_folder, unit_state, write_reminders
    from pipelines.reports.text import letterhead_for

    settings = get_settings()
    try:
        as_of = date.fromisoformat(args.as_of) if args.as_of else local_today()
    except ValueError:
        print(f"Ngày không hợp lệ: {args.as_of!r}, cần dạng YYYY-MM-DD (invalid --as-of)", file=sys.stderr)
        return 2
    quarters = [
        p["period_key"]
        for p in read_seed("ref_reporting_calendar", settings.reference_dir)
        if p["expects_form"] == "true"
    ]
    if args.period not in quarters:  # checked against the calendar before the warehouse is opened
        print(
            f"Kỳ {args.period!r} không phải quý có biểu mẫu. Các quý: {', '.join(quarters)} "
            "(not a quarter with forms)",
            file=sys.stderr,
        )
        return 2
    if not settings.warehouse_path.exists():
        print(f"Chưa có kho dữ liệu {settings.warehouse_path}: chạy `cds run` trước (no warehouse yet)")
        return 1
    try:
        with connect_waiting(settings.warehouse_path, True, wait_seconds=settings.warehouse_lock_wait) as con:
            chase = read_chase_list(con, args.period, as_of)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    except duckdb.Error as error:
        print(f"Kho dữ liệu chưa đủ để lập công văn: chạy `cds run` trước ({error})", file=sys.stderr)
        return 1
    folder = Path(args.out) if args.out else reminders_folder(settings.outputs_dir, chase)
    written = write_reminders(chase, folder, letterhead_for(settings.signer_name, settings.signer_role))
    if not chase.due:
        print(
            f"{chase.label}: chưa quá hạn gửi báo cáo ({chase.due_on:%d/%m/%Y}), không có đơn vị phải đôn đốc"
        )
    for unit in chase.units:
        print(f"  {unit.commune_id}  {unit.name}: {unit_state(unit)}")
    print(f"{len(chase.units)} công văn đôn đốc và danh sách trong {folder} ({len(written)} files)")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    """The warehouse's rules on forms (and narrative reports) before they are sent: exit 0 no error, 1
    errors to mend, 2 a file that cannot be read (the highest over the files)."""
    import json

    from pipelines.quality.form_check import (
        NARRATIVE_SUFFIXES,
        as_html,
        as_json,
        as_text,
        check_forms,
        check_report,
    )
    from pipelines.warehouse.manifest import ensure_check_models

    paths = [Path(p) for p in args.files]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"Không tìm thấy tệp: {', '.join(missing)} (no such file)", file=sys.stderr)
        return 2
    reference_dir = get_settings().reference_dir
    forms = [p for p in paths if p.suffix.lower() not in NARRATIVE_SUFFIXES]
    checked = {}
    if forms:
        results = check_forms(forms, ensure_check_models(reference_dir), reference_dir)
        checked.update(zip(forms, results, strict=True))
    for path in paths:
        if path not in checked:
            checked[path] = check_report(path, reference_dir)
    results = [checked[p] for p in paths]
    if args.html:
        Path(args.html).write_text(as_html(results), encoding="utf-8")
    print(json.dumps(as_json(results), ensure_ascii=False, indent=2) if args.json else as_text(results))
    return max(c.exit_code for c in results)


def _cmd_sql(args: argparse.Namespace) -> int:
    """Replace this process with the duckdb shell on the analysts' copy, read-only (extra args pass on)."""
    import os

    path = get_settings().analyst_path
    if not path.exists():
        print(f"Chưa có bản sao cho phân tích {path}: chạy `make run` trước (no analyst copy yet)")
        return 1
    shell = Path(sys.executable).parent / "duckdb"
    os.execv(shell, [str(shell), "-readonly", str(path), *args.shell_args])


def _cmd_bench(args: argparse.Namespace) -> int:
    from pipelines.tools.bench.harness import run_bench
    from pipelines.tools.bench.scales import DEFAULT_SCALES

    out = get_settings().outputs_dir / "bench"
    path, table = run_bench(
        args.scale or list(DEFAULT_SCALES),
        out,
        reuse_sources=not args.regenerate,
        with_pandas=not args.no_pandas,
    )
    print(f"\n{table}\nResults: {path} (and {out / 'latest.json'}, {out / 'latest.md'})")
    return 0


def _print_ingest_summary(settings: Settings) -> None:
    """Files by source and status, and what sits in quarantine, so nobody has to open the UI to know."""
    from pipelines.resources import WarehouseResource

    if not settings.warehouse_path.exists():
        return
    warehouse = WarehouseResource(
        path=str(settings.warehouse_path), memory_limit=settings.duckdb_memory_limit
    )
    with warehouse.connect(read_only=True) as con:
        files = con.execute(
            """select source_kind, status, count(*), sum(rows_loaded), sum(rows_quarantined)
               from raw.ingested_files group by all order by all"""
        ).fetchall()
        held = con.execute(
            """select f.source_kind, q.reason_code,
                   count(*) filter (where q.source_row is not null) as rows_held,
                   count(*) filter (where q.source_row is null) as files_rejected
               from raw.quarantine q join raw.ingested_files f on f.sha256 = q.file_sha256
               group by all order by 1, 3 desc, 4 desc, 2"""
        ).fetchall()
    print("Ingested files (all runs):")
    for kind, status, count, loaded, quarantined in files:
        print(
            f"  {kind:16} {status:9} {count:5} files  {loaded:>10} rows loaded  "
            f"{quarantined:>6} rows quarantined"
        )
    if held:
        print("Quarantine (outputs raw.quarantine) by source and reason:")
        for kind, reason, rows, rejected in held:
            parts = [f"{rows} rows held back"] if rows else []
            parts += [f"{rejected} whole files rejected"] if rejected else []
            print(f"  {kind:16} {reason:24} {', '.join(parts)}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cds", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sample = sub.add_parser("sample", help="generate sample sources")
    sample.add_argument("--seed", type=int, default=2025)
    sample.add_argument("--communes", type=int, default=96, help="how many communes (1–96)")
    sample.add_argument("--quarters", type=int, default=4, help="how many quarters of 2025 (1–4)")
    sample.add_argument("--dossiers", type=int, default=80_000, help="approximate dossiers in total")
    sample.add_argument("--clean", action="store_true", help="same data with no injected defects")
    sample.add_argument("--out", help="folder to write (default: CDS_SOURCES_DIR)")
    sample.set_defaults(func=_cmd_sample)
    run = sub.add_parser("run", help="run the main job end to end")
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild incremental dbt models from scratch (after a change to their logic)",
    )
    run.add_argument(
        "--verbose", action="store_true", help="show Dagster's DEBUG events too (always in outputs/logs/)"
    )
    run.set_defaults(func=_cmd_run)
    runs = sub.add_parser(
        "runs", help="runs still in progress; --clean marks those whose process died failed"
    )
    runs.add_argument("--clean", action="store_true", help="mark stale runs (process gone) as failed")
    runs.set_defaults(func=_cmd_runs)
    report = sub.add_parser("report", help="publish reports from the warehouse as it is")
    report.add_argument(
        "--period",
        action="append",
        help="period key, e.g. 2025-Q3 (repeatable; default: every period with data)",
    )
    report.add_argument("--force", action="store_true", help="render again even when the data is unchanged")
    report.set_defaults(func=_cmd_report)
    extract = sub.add_parser("extract", help="read the figures out of one narrative report")
    extract.add_argument("report", help="a .docx, .pdf or .txt report")
    extract.add_argument("--json", action="store_true", help="one JSON object instead of text")
    extract.set_defaults(func=_cmd_extract)
    form = sub.add_parser("form", help="write the official empty indicator form for communes to fill")
    form.add_argument("--period", required=True, help="a quarter, e.g. 2025-Q3")
    which = form.add_mutually_exclusive_group()
    which.add_argument("--commune", action="append", help="commune id, e.g. QNG011 (repeatable)")
    which.add_argument("--all", action="store_true", help="every commune (the default)")
    form.add_argument("--out", help="folder to write (default: outputs/forms/<period>)")
    form.set_defaults(func=_cmd_form)
    check = sub.add_parser("check", help="a commune's own check of its form (or report) before sending")
    check.add_argument(
        "files", nargs="+", help="forms (.xlsx, .csv) or narrative reports (.docx, .pdf, .txt)"
    )
    check.add_argument("--json", action="store_true", help="JSON for tools instead of text")
    check.add_argument("--html", help="also write a one-page result to this file, to print or forward")
    check.set_defaults(func=_cmd_check)
    remind = sub.add_parser("remind", help="reminder letters to units late or with open errors")
    remind.add_argument("--period", required=True, help="a quarter, e.g. 2025-Q3")
    remind.add_argument("--as-of", help="the letters' date, YYYY-MM-DD (default: today)")
    remind.add_argument("--out", help="folder to write (default: outputs/reminders/<period>/<date>)")
    remind.set_defaults(func=_cmd_remind)
    sub.add_parser(
        "sql", help="the duckdb shell on the analysts' read-only copy (other arguments go to duckdb)"
    ).set_defaults(func=_cmd_sql)
    from pipelines.tools.bench.scales import SCALES

    bench = sub.add_parser("bench", help="benchmark the pipeline against plain DuckDB and pandas")
    bench.add_argument(
        "--scale", action="append", choices=sorted(SCALES), help="repeatable (default: default, 1m, 10m)"
    )
    bench.add_argument("--regenerate", action="store_true", help="generate the sources again")
    bench.add_argument("--no-pandas", action="store_true", help="skip the pandas peer")
    bench.set_defaults(func=_cmd_bench)
    sub.add_parser(
        "archive-key", help="print a new key for CDS_ARCHIVE_KEY (encrypts archived personal files)"
    ).set_defaults(func=_cmd_archive_key)
    archive_open = sub.add_parser("archive-open", help="decrypt an archived personal file")
    archive_open.add_argument("file", help="a file under outputs/raw_archive/restricted/")
    archive_open.add_argument("--out", required=True, help="where to write it (a new file, mode 0600)")
    archive_open.set_defaults(func=_cmd_archive_open)
    sub.add_parser("has-sources", help="exit 0 if sources exist").set_defaults(func=_cmd_has_sources)
    sub.add_parser("dbt-parse", help="write the dbt manifest").set_defaults(func=_cmd_dbt_parse)
    sub.add_parser(
        "dagster-home", help="create DAGSTER_HOME with the project's instance settings"
    ).set_defaults(func=_cmd_dagster_home)
    sub.add_parser(
        "write-aliases", help="regenerate the commune alias seed after editing ref_communes.csv"
    ).set_defaults(func=_cmd_write_aliases)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "sql":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.shell_args = extra
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
