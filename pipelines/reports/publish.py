"""Publish a period: render every format into a temporary folder, which becomes an edition under
`outputs/reports/.editions/`; `outputs/reports/<period>` is a link switched to it in one atomic rename;
then rebuild `outputs/reports/index.html`.

Readers never see half a publication, nor a moment without one. The data version is the fingerprint of the
report model: when it has not changed since the last publication the folder is left exactly as it is (same
bytes, same manifest); a forced re-publication of unchanged data renders byte-identical files, because the
document date is the day this data version was first published, not the day of the run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
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


def publish_period(
    con: duckdb.DuckDBPyConnection,
    period_key: str,
    reports_dir: Path,
    run_id: str,
    today: date | None = None,
    force: bool = False,
    letterhead: Letterhead = LETTERHEAD,
) -> Publication:
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
    reports_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{period_key}-", dir=reports_dir))
    os.chmod(staging, 0o755)  # mkdtemp makes it private; the publication is for everyone to read
    status = status_of(report, issued_on)
    try:
        files = render_all(report, issued_on, staging, reviews, letterhead)
        manifest = {
            "period_key": period_key,
            "period_label": report.period.label,
            "starts_on": report.period.starts_on.isoformat(),
            "ends_on": report.period.ends_on.isoformat(),
            "issued_on": issued_on.isoformat(),
            # final once the due date has passed and no open error holds figures back, as of issued_on
            "status": status.code,
            "status_reason": status.reason,
            "data_version": version,
            # The run and time this data version was first published: kept when unchanged data is re-rendered.
            "run_id": previous["run_id"] if same_data else run_id,
            "generated_at": previous["generated_at"]
            if same_data
            else datetime.now(TIMEZONE).isoformat(timespec="seconds"),
            "checks": {**_check_summary(report), "figures_pending_review": len(reviews)},
            "files": [{"name": p.name, "sha256": file_sha256(p), "bytes": p.stat().st_size} for p in files],
        }
        (staging / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Publication(period_key, target, manifest, changed=True, seconds=time.perf_counter() - started)


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
