"""Publish a period: render every format into a temporary folder, which becomes an edition under
`outputs/reports/.editions/`; `outputs/reports/<period>` is a link switched to it in one atomic rename;
then rebuild `outputs/reports/index.html`.

Readers never see half a publication, nor a moment without one. The data version is the fingerprint of the
report model: when it has not changed since the last publication the folder is left exactly as it is (same
bytes, same manifest); a forced re-publication of unchanged data renders byte-identical files, because the
document date is the day this data version was first published, not the day of the run.
"""

from __future__ import annotations

import collections
import hashlib
import json
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from pipelines.core.files import file_sha256
from pipelines.core.zipfiles import SCRATCH_PREFIX, remove_leftovers, write_atomically
from pipelines.reports.model import PeriodReport
from pipelines.reports.read import build_report
from pipelines.reports.text import LETTERHEAD, Letterhead, status_of

TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
MANIFEST = "manifest.json"
INDEX = "index.html"


def file_names(period_key: str) -> dict[str, str]:
    return {
        "report_html": f"bao-cao-{period_key}.html",
        "report_docx": f"bao-cao-{period_key}.docx",
        "report_xlsx": f"bao-cao-{period_key}.xlsx",
        "scorecards_html": f"phieu-xa-{period_key}.html",
        "review_xlsx": f"xem-xet-{period_key}.xlsx",
        "review_html": f"xem-xet-{period_key}.html",
    }


@dataclass(frozen=True)
class Publication:
    period_key: str
    folder: Path
    manifest: dict
    changed: bool
    seconds: float

    def path(self, kind: str) -> Path:
        return self.folder / file_names(self.period_key)[kind]


def local_today() -> date:
    return datetime.now(TIMEZONE).date()


def read_manifest(folder: Path) -> dict | None:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _intact(folder: Path, manifest: dict) -> bool:
    """Every file the manifest lists is there with its checksum (nobody edited or removed one)."""
    return all(
        (folder / f["name"]).is_file() and file_sha256(folder / f["name"]) == f["sha256"]
        for f in manifest["files"]
    )


def _check_summary(report: PeriodReport) -> dict:
    errors = sum(1 for f in report.findings if f.severity == "error")
    return {
        "open_errors": errors,
        "open_warnings": len(report.findings) - errors,
        "accepted": report.accepted_findings,
        "withheld_communes": len(report.withheld_communes),
        "provisional_indicators": sorted(
            line.indicator.code for line in report.province if line.figure.provisional
        ),
    }


def render_all(
    report: PeriodReport,
    issued_on: date,
    folder: Path,
    reviews: list[dict] | None = None,
    letterhead: Letterhead = LETTERHEAD,
) -> list[Path]:
    """Every output of the period into `folder` (which exists), the review sheet of `reviews` among them."""
    from pipelines.reports.charts import charts_for
    from pipelines.reports.document import write_document
    from pipelines.reports.html import render_report, render_scorecards
    from pipelines.reports.review_sheet import review_page, write_review_sheet
    from pipelines.reports.workbook import write_workbook

    names = file_names(report.period.key)
    charts = charts_for(report)
    attachments = {names[k]: k for k in ("report_docx", "report_xlsx", "scorecards_html", "review_xlsx")}
    (folder / names["report_html"]).write_text(
        render_report(report, charts, issued_on, attachments, len(reviews or []), letterhead),
        encoding="utf-8",
    )
    (folder / names["scorecards_html"]).write_text(
        render_scorecards(report, issued_on, letterhead), encoding="utf-8"
    )
    write_workbook(report, issued_on, folder / names["report_xlsx"])
    write_document(report, charts, issued_on, folder / names["report_docx"], letterhead)
    write_review_sheet(reviews or [], report.period.key, issued_on, folder / names["review_xlsx"])
    (folder / names["review_html"]).write_text(
        review_page(reviews or [], report.period.key), encoding="utf-8"
    )
    return [folder / name for name in names.values()]


EDITIONS = ".editions"  # every rendered edition of a period; `<period>` is a link to the one in force


def _swap_in(staging: Path, target: Path) -> None:
    """Make the rendered folder the period's edition in force with no moment where the period is missing
    or half there: the folder becomes an edition under `.editions/`, and the period's name, a symbolic
    link, is switched to it by one atomic rename of a new link over the old one. Editions no link points
    at any more are removed."""
    editions = target.parent / EDITIONS
    editions.mkdir(exist_ok=True)
    edition = editions / f"{target.name}-{staging.name.rsplit('-', 1)[-1]}"
    os.replace(staging, edition)
    link = target.with_name(f"{SCRATCH_PREFIX}link-{target.name}")
    link.unlink(missing_ok=True)
    os.symlink(os.path.relpath(edition, target.parent), link)
    if target.is_dir() and not target.is_symlink():  # a folder of the layout before editions, once
        os.replace(target, editions / f"{target.name}-before-editions")
    os.replace(link, target)
    remove_unused_editions(target.parent)


def remove_unused_editions(reports_dir: Path) -> list[str]:
    """Editions no period link points at (replaced ones, or rendered by a run killed before its switch)."""
    editions = reports_dir / EDITIONS
    if not editions.is_dir():
        return []
    live = {
        (reports_dir / os.readlink(entry)).resolve()
        for entry in reports_dir.iterdir()
        if entry.is_symlink() and not entry.name.startswith(".")
    }
    removed = []
    for edition in sorted(editions.iterdir()):
        if edition.resolve() not in live:
            shutil.rmtree(edition, ignore_errors=True)
            removed.append(f"{EDITIONS}/{edition.name}")
    return removed


def clean_reports_dir(reports_dir: Path) -> list[str]:
    """What killed publications left: temporary folders and links, and editions never switched in."""
    return remove_leftovers(reports_dir) + remove_unused_editions(reports_dir)


@dataclass
class _Pending:
    """A period whose data version changed (or a forced one): rendered into `staging`, then switched in."""

    period_key: str
    report: PeriodReport
    reviews: list[dict]
    version: str
    previous: dict | None
    same_data: bool
    issued_on: date
    seconds: float  # this period's own work so far (reading its model; its rendering is added)
    staging: Path | None = None


def _prepare(
    con: duckdb.DuckDBPyConnection,
    period_key: str,
    reports_dir: Path,
    today: date | None,
    force: bool,
    letterhead: Letterhead,
) -> Publication | _Pending:
    """Read the period's report model; the publication in force when its data version is unchanged."""
    started = time.perf_counter()
    from pipelines.reports.review_sheet import pending_reviews, reviews_fingerprint

    report = build_report(con, period_key)
    reviews = pending_reviews(con, period_key)
    signed = "" if letterhead == LETTERHEAD else f"|{letterhead.signer_role}|{letterhead.signer_name}"
    version = hashlib.sha256(
        f"{report.fingerprint}|{reviews_fingerprint(reviews)}{signed}".encode()
    ).hexdigest()
    target = reports_dir / period_key
    previous = read_manifest(target)
    same_data = previous is not None and previous.get("data_version") == version
    if same_data and not force and _intact(target, previous):
        return Publication(period_key, target, previous, changed=False, seconds=time.perf_counter() - started)
    issued_on = date.fromisoformat(previous["issued_on"]) if same_data else (today or local_today())
    seconds = time.perf_counter() - started
    return _Pending(period_key, report, reviews, version, previous, same_data, issued_on, seconds)


def _staging_folder(reports_dir: Path, period_key: str) -> Path:
    reports_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{period_key}-", dir=reports_dir))
    os.chmod(staging, 0o755)  # mkdtemp makes it private; the publication is for everyone to read
    return staging


def _switch_in(
    pending: _Pending, rendered: tuple[list[Path], float], reports_dir: Path, run_id: str
) -> Publication:
    """Write the manifest of the rendered folder and make it the period's edition in force."""
    started = time.perf_counter()
    files, render_seconds = rendered
    report, previous, same_data = pending.report, pending.previous, pending.same_data
    status = status_of(report, pending.issued_on)
    manifest = {
        "period_key": pending.period_key,
        "period_label": report.period.label,
        "starts_on": report.period.starts_on.isoformat(),
        "ends_on": report.period.ends_on.isoformat(),
        "issued_on": pending.issued_on.isoformat(),
        # final once the due date has passed and no open error holds figures back, as of issued_on
        "status": status.code,
        "status_reason": status.reason,
        "data_version": pending.version,
        # The run and time this data version was first published: kept when unchanged data is re-rendered.
        "run_id": previous["run_id"] if same_data else run_id,
        "generated_at": previous["generated_at"]
        if same_data
        else datetime.now(TIMEZONE).isoformat(timespec="seconds"),
        "checks": {**_check_summary(report), "figures_pending_review": len(pending.reviews)},
        "files": [{"name": p.name, "sha256": file_sha256(p), "bytes": p.stat().st_size} for p in files],
    }
    (pending.staging / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    target = reports_dir / pending.period_key
    _swap_in(pending.staging, target)
    seconds = pending.seconds + render_seconds + time.perf_counter() - started  # its own work, not waits
    return Publication(pending.period_key, target, manifest, changed=True, seconds=seconds)


def _render_pending(pending: _Pending, letterhead: Letterhead) -> tuple[list[Path], float]:
    """The period's files, and the seconds their rendering took (wherever it ran)."""
    started = time.perf_counter()
    files = render_all(pending.report, pending.issued_on, pending.staging, pending.reviews, letterhead)
    return files, time.perf_counter() - started


def publish_period(
    con: duckdb.DuckDBPyConnection,
    period_key: str,
    reports_dir: Path,
    run_id: str,
    today: date | None = None,
    force: bool = False,
    letterhead: Letterhead = LETTERHEAD,
) -> Publication:
    return publish_periods(con, [period_key], reports_dir, run_id, today, force, letterhead, workers=1)[0]


def publish_periods(
    con: duckdb.DuckDBPyConnection,
    period_keys: list[str],
    reports_dir: Path,
    run_id: str,
    today: date | None = None,
    force: bool = False,
    letterhead: Letterhead = LETTERHEAD,
    workers: int = 2,
) -> list[Publication]:
    """Publish each period whose data version changed (or every one, forced), in the order given.

    The models are read here, one period after the other; the rendering of those that changed, pure CPU in
    Python (charts, DOCX cells, templates), is shared between this process and up to `workers - 1` helper
    processes, started only when two or more periods need rendering (a run that changes nothing pays for
    no process). A period whose rendering fails leaves its edition in force untouched; the others are
    published, and the first failure is raised after them."""
    prepared = [_prepare(con, key, reports_dir, today, force, letterhead) for key in period_keys]
    pending = [p for p in prepared if isinstance(p, _Pending)]
    helpers = min(workers, len(pending)) - 1
    with _helpers(helpers) as pool:
        for p in pending:
            p.staging = _staging_folder(reports_dir, p.period_key)
        try:
            rendered = _render_shared(pending, letterhead, pool, helpers)
            published = {
                p.period_key: _switch_in(p, result, reports_dir, run_id)
                for p, result in zip(pending, rendered, strict=True)
                if not isinstance(result, BaseException)
            }
        finally:
            for p in pending:
                if p.staging.exists():  # not switched in: its rendering failed
                    shutil.rmtree(p.staging, ignore_errors=True)
    failed = [result for result in rendered if isinstance(result, BaseException)]
    if failed:
        raise failed[0]
    return [p if isinstance(p, Publication) else published[p.period_key] for p in prepared]


def _warm_up() -> None:
    """A helper's imports (matplotlib, python-docx, openpyxl, the templates' modules: ~1,5 s)."""
    from pipelines.reports import charts, document, html, review_sheet, workbook  # noqa: F401


@contextmanager
def _helpers(count: int) -> Iterator[ProcessPoolExecutor | None]:
    """`count` helper processes, set to importing what rendering needs at once (while this process renders
    its first period); None when there are none, or none can start (the rendering then happens here)."""
    if count <= 0:
        yield None
        return
    # spawn, not fork: this process holds a DuckDB connection and Dagster's threads
    pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"))
    try:
        for _ in range(count):
            pool.submit(_warm_up)
    except (RuntimeError, OSError):
        pool.shutdown(wait=False, cancel_futures=True)
        yield None
        return
    with pool:
        yield pool


def _render_shared(
    pending: list[_Pending], letterhead: Letterhead, pool: ProcessPoolExecutor | None, helpers: int
) -> list[tuple[list[Path], float] | BaseException]:
    """Render every pending period: this process and each of the pool's helpers take periods from one
    queue. A helper that dies costs only its period, rendered again here. Results (or each period's
    exception) in the order of `pending`."""
    results: list[tuple[list[Path], float] | BaseException | None] = [None] * len(pending)
    queue = collections.deque(range(len(pending)))

    def render_here(index: int) -> None:
        try:
            results[index] = _render_pending(pending[index], letterhead)
        except Exception as error:  # that period's failure; the others go on
            results[index] = error

    def take() -> Iterator[int]:
        while True:
            try:
                yield queue.popleft()
            except IndexError:
                return

    def feed() -> None:
        for index in take():
            try:
                future = pool.submit(_render_pending, pending[index], letterhead)
            except (BrokenProcessPool, RuntimeError, OSError):  # no helper left: render here
                render_here(index)
                continue
            try:
                results[index] = future.result()
            except BrokenProcessPool:  # the helper died with this period: rendered again here
                render_here(index)
            except Exception as error:  # the period's own failure, as raised in the helper
                results[index] = error

    feeders = [threading.Thread(target=feed, daemon=True) for _ in range(helpers if pool else 0)]
    for feeder in feeders:
        feeder.start()
    for index in take():
        render_here(index)
    for feeder in feeders:
        feeder.join()
    return results


def write_index(reports_dir: Path) -> Path:
    """`index.html` listing every published period, newest first, from the manifests on disk."""
    from pipelines.reports.html import render_index

    entries = [
        m
        for folder in reports_dir.iterdir()
        if folder.is_dir() and not folder.name.startswith(".") and (m := read_manifest(folder))
    ]
    entries.sort(key=lambda m: (m["ends_on"], m["starts_on"]), reverse=True)
    path = reports_dir / INDEX
    write_atomically(path, render_index(entries).encode("utf-8"))
    return path
