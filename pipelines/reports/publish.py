"""Publish a period: render every format into a temporary folder, which becomes an edition under
`outputs/reports/.editions/`; `outputs/reports/<period>` is a link switched to it in one atomic rename;
then rebuild `outputs/reports/index.html`.

A published edition is never changed: when the data version of a period changes, the next edition is
published beside the earlier ones, with the list of figures that changed (`editions.py`); a period locked
in `expectations/locked_periods.csv` is not published again.

Readers never see half a publication, nor a moment without one. The data version is the fingerprint of the
report model: when it has not changed since the last publication the folder is left exactly as it is (same
bytes, same manifest); a forced re-publication of unchanged data renders byte-identical files, because the
document date is the day this data version was first published, not the day of the run.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import json
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from pipelines.core.files import file_sha256
from pipelines.core.zipfiles import SCRATCH_PREFIX, remove_leftovers, write_atomically
from pipelines.reports.editions import (
    FIRST_EDITION,
    Edition,
    FigureChange,
    InputFacts,
    Lock,
    compare,
    input_facts,
    load_locks,
    read_inputs,
    read_snapshot,
    snapshot,
    snapshot_name,
    write_snapshot,
)
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
        "figures_json": snapshot_name(period_key),
    }


@dataclass(frozen=True)
class Publication:
    period_key: str
    folder: Path
    manifest: dict | None  # None: a locked period that was never published
    changed: bool
    seconds: float
    lock: Lock | None = None  # the period is locked: nothing was published
    pending: tuple[FigureChange, ...] = ()  # with a lock: the figures the next edition would change

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
    edition: Edition = FIRST_EDITION,
) -> list[Path]:
    """Every output of the period into `folder` (which exists), the review sheet of `reviews` among them,
    and what this edition prints for the next one to compare against (when `edition` carries it)."""
    from pipelines.reports.charts import charts_for
    from pipelines.reports.document import write_document
    from pipelines.reports.html import render_report, render_scorecards
    from pipelines.reports.review_sheet import review_page, write_review_sheet
    from pipelines.reports.workbook import write_workbook

    names = file_names(report.period.key)
    charts = charts_for(report)
    attachments = {names[k]: k for k in ("report_docx", "report_xlsx", "scorecards_html", "review_xlsx")}
    (folder / names["report_html"]).write_text(
        render_report(report, charts, issued_on, attachments, len(reviews or []), letterhead, edition),
        encoding="utf-8",
    )
    (folder / names["scorecards_html"]).write_text(
        render_scorecards(report, issued_on, letterhead), encoding="utf-8"
    )
    write_workbook(report, issued_on, folder / names["report_xlsx"], edition)
    write_document(report, charts, issued_on, folder / names["report_docx"], letterhead, edition)
    write_review_sheet(reviews or [], report.period.key, issued_on, folder / names["review_xlsx"])
    (folder / names["review_html"]).write_text(
        review_page(reviews or [], report.period.key), encoding="utf-8"
    )
    if edition.snapshot is not None:
        write_snapshot(edition, report.period.key, folder)
    return [folder / name for name in names.values() if (folder / name).exists()]


EDITIONS = ".editions"  # every rendered edition of a period; `<period>` is a link to the one in force


def edition_folder(reports_dir: Path, period_key: str, number: int) -> str:
    """`.editions/<period>-lan-<N>`, or with a suffix when that name is taken (the same edition rendered
    again, forced, while the copy in force is still there)."""
    base = f"{EDITIONS}/{period_key}-lan-{number}"
    name, k = base, 1
    while (reports_dir / name).exists():
        k += 1
        name = f"{base}-{k}"
    return name


def _swap_in(staging: Path, target: Path, folder: str) -> None:
    """Make the rendered folder the period's edition in force with no moment where the period is missing
    or half there: the folder becomes the edition `folder` under `.editions/`, and the period's name, a
    symbolic link, is switched to it by one atomic rename of a new link over the old one. Editions no link
    points at and no edition in force lists as an earlier one are removed."""
    editions = target.parent / EDITIONS
    editions.mkdir(exist_ok=True)
    edition = target.parent / folder
    os.replace(staging, edition)
    link = target.with_name(f"{SCRATCH_PREFIX}link-{target.name}")
    link.unlink(missing_ok=True)
    os.symlink(os.path.relpath(edition, target.parent), link)
    if target.is_dir() and not target.is_symlink():  # a folder of the layout before editions, once
        os.replace(target, editions / f"{target.name}-before-editions")
    os.replace(link, target)
    remove_unused_editions(target.parent)


def remove_unused_editions(reports_dir: Path) -> list[str]:
    """Editions no period link points at and no edition in force lists as an earlier one (a copy replaced
    by a forced re-rendering, or rendered by a run killed before its switch)."""
    editions = reports_dir / EDITIONS
    if not editions.is_dir():
        return []
    links = [e for e in reports_dir.iterdir() if e.is_symlink() and not e.name.startswith(".")]
    live = {(reports_dir / os.readlink(entry)).resolve() for entry in links}
    for entry in links:
        for earlier in (read_manifest(entry) or {}).get("editions", []):
            live.add((reports_dir / earlier["folder"]).resolve())
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
    edition: Edition
    earlier: list[dict]  # the earlier editions, oldest first, as the manifest lists them
    staging: Path | None = None


def _earlier_edition(reports_dir: Path, target: Path, manifest: dict) -> dict:
    """The manifest's entry for the edition in force once a new one replaces it."""
    if target.is_symlink():
        folder = os.path.relpath(target.resolve(), reports_dir)
    else:  # a folder of the layout before editions: `_swap_in` keeps it under this name
        folder = f"{EDITIONS}/{target.name}-before-editions"
    return {
        "edition": manifest.get("edition", 1),
        "folder": folder,
        "issued_on": manifest["issued_on"],
        "status": manifest.get("status"),
        "data_version": manifest["data_version"],
        "manifest_sha256": file_sha256(target / MANIFEST),
    }


def _edition(
    facts: Callable[[], InputFacts],
    report: PeriodReport,
    reports_dir: Path,
    previous: dict | None,
    same_data: bool,
    after: dict,
) -> tuple[Edition, list[dict]]:
    """The edition to publish (numbered after the one in force, or the same one rendered again) with its
    change list against the edition it replaces, and the earlier editions."""
    target = reports_dir / report.period.key
    if previous is None:
        return replace(FIRST_EDITION, snapshot=after), []
    earlier = list(previous.get("editions", []))
    if same_data:  # the edition in force again: compared with the one it replaced, as the first time
        number = previous.get("edition", 1)
        replaced = next((e for e in earlier if e["edition"] == number - 1), None)
        if replaced is None:
            return Edition(number, snapshot=after), earlier
        before = read_snapshot(reports_dir / replaced["folder"], report.period.key)
        replaces_issued_on = date.fromisoformat(replaced["issued_on"])
    else:
        number = previous.get("edition", 1) + 1
        before = read_snapshot(target, report.period.key)
        replaces_issued_on = date.fromisoformat(previous["issued_on"])
        earlier.append(_earlier_edition(reports_dir, target, previous))
    changes, others = compare(report, before, after, facts())
    edition = Edition(number, number - 1, replaces_issued_on, changes, others, after)
    return edition, earlier


def _prepare(
    con: duckdb.DuckDBPyConnection,
    period_key: str,
    reports_dir: Path,
    today: date | None,
    force: bool,
    letterhead: Letterhead,
    facts: Callable[[], InputFacts],
    lock: Lock | None = None,
) -> Publication | _Pending:
    """Read the period's report model; the publication in force when its data version is unchanged or the
    period is locked (with the figures the next edition would change)."""
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
        return Publication(period_key, target, previous, False, time.perf_counter() - started, lock=lock)
    after = snapshot(report, read_inputs(con, report), len(reviews), letterhead)
    if lock is not None:
        pending: tuple[FigureChange, ...] = ()
        if previous is not None and not same_data:
            pending = compare(report, read_snapshot(target, period_key), after, facts())[0]
        seconds = time.perf_counter() - started
        return Publication(period_key, target, previous, False, seconds, lock=lock, pending=pending)
    edition, earlier = _edition(facts, report, reports_dir, previous, same_data, after)
    issued_on = date.fromisoformat(previous["issued_on"]) if same_data else (today or local_today())
    seconds = time.perf_counter() - started
    return _Pending(
        period_key, report, reviews, version, previous, same_data, issued_on, seconds, edition, earlier
    )


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
    edition = pending.edition
    status = status_of(report, pending.issued_on)
    target = reports_dir / pending.period_key
    folder = edition_folder(reports_dir, pending.period_key, edition.number)
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
        # 1 for the first; a published edition is never changed, the next one is published beside it
        "edition": edition.number,
        "editions": pending.earlier,
        "changes": {"figures": len(edition.changes), "other": list(edition.other_changes)},
    }
    (pending.staging / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    _swap_in(pending.staging, target, folder)
    seconds = pending.seconds + render_seconds + time.perf_counter() - started  # its own work, not waits
    return Publication(pending.period_key, target, manifest, changed=True, seconds=seconds)


def _render_pending(pending: _Pending, letterhead: Letterhead) -> tuple[list[Path], float]:
    """The period's files, and the seconds their rendering took (wherever it ran)."""
    started = time.perf_counter()
    files = render_all(
        pending.report, pending.issued_on, pending.staging, pending.reviews, letterhead, pending.edition
    )
    return files, time.perf_counter() - started


def publish_period(
    con: duckdb.DuckDBPyConnection,
    period_key: str,
    reports_dir: Path,
    run_id: str,
    today: date | None = None,
    force: bool = False,
    letterhead: Letterhead = LETTERHEAD,
    locks: dict[str, Lock] | None = None,
) -> Publication:
    return publish_periods(
        con, [period_key], reports_dir, run_id, today, force, letterhead, workers=1, locks=locks
    )[0]


def publish_periods(
    con: duckdb.DuckDBPyConnection,
    period_keys: list[str],
    reports_dir: Path,
    run_id: str,
    today: date | None = None,
    force: bool = False,
    letterhead: Letterhead = LETTERHEAD,
    workers: int = 2,
    locks: dict[str, Lock] | None = None,
) -> list[Publication]:
    """Publish each period whose data version changed (or every one, forced), in the order given, except
    the locked ones (`locks`, by default `expectations/locked_periods.csv`): their edition in force stays,
    and the figures the next edition would change come back as `pending`.

    The models are read here, one period after the other; the rendering of those that changed, pure CPU in
    Python (charts, DOCX cells, templates), is shared between this process and up to `workers - 1` helper
    processes, started only when two or more periods need rendering (a run that changes nothing pays for
    no process). A period whose rendering fails leaves its edition in force untouched; the others are
    published, and the first failure is raised after them."""
    locks = load_locks() if locks is None else locks
    facts = functools.cache(lambda: input_facts(con))  # read once, and only if a period changed
    prepared = [
        _prepare(con, key, reports_dir, today, force, letterhead, facts, locks.get(key))
        for key in period_keys
    ]
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


def write_index(reports_dir: Path, publications: list[Publication] | None = None) -> Path:
    """`index.html` listing every edition of every published period from the manifests on disk: the newest
    period first and, within it, the edition in force first, then the earlier ones it lists. Locked
    periods among `publications` show their lock and the figures waiting for the next edition."""
    from pipelines.reports.html import render_index

    current = [
        (folder.name, m)
        for folder in reports_dir.iterdir()
        if folder.is_dir() and not folder.name.startswith(".") and (m := read_manifest(folder))
    ]
    current.sort(key=lambda item: (item[1]["ends_on"], item[1]["starts_on"]), reverse=True)
    entries = []
    for name, manifest in current:
        entries.append({**manifest, "href": name, "in_force": True})
        for earlier in reversed(manifest.get("editions", [])):
            old = read_manifest(reports_dir / earlier["folder"])
            if old is not None:
                entries.append({**old, "href": earlier["folder"], "in_force": False})
    locked = {
        p.period_key: {"lock": p.lock, "pending": p.pending} for p in publications or [] if p.lock is not None
    }
    path = reports_dir / INDEX
    write_atomically(path, render_index(entries, locked).encode("utf-8"))
    return path
