"""The main job run a second time on the first run's outputs, after two arrivals a real quarter brings: a
later dossier export (a dossier open at the end of Q1, resolved in Q2) and a commune's Q1 form sent again
three days later with one figure changed. Shared by the tests of incremental dossiers and of editions, so
the suite pays for one second run, not two."""

from __future__ import annotations

import csv
import hashlib
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import openpyxl
from dagster import AssetKey, BoolMetadataValue, DagsterInstance

from pipelines.core.vietnamese import format_number
from pipelines.reference import default_resolver
from pipelines.reports.publish import read_manifest
from pipelines.run import run_main_job
from pipelines.settings import Settings
from pipelines.warehouse.dbt import warehouse_dbt_assets

PERIOD = "2025-Q1"
INDICATOR = "DSIG_SIM"  # a stock only the communes' forms give (no system computes it)


@dataclass(frozen=True)
class Resubmission:
    commune_id: str
    file_name: str
    old: int
    new: int
    sent_on: date
    sha256: str


@dataclass(frozen=True)
class LaterRun:
    settings: Settings
    succeeded: bool
    dossier_code: str
    dossier_commune: str
    dossiers_before: tuple  # dossier count, the dossier's (status, outcome, finished), its Q1 counts
    resubmission: Resubmission
    first_manifest: dict  # the period's edition in force before the second run
    first_folder: Path
    first_digests: dict[str, str]
    kept: frozenset[AssetKey]  # what the dbt step left as it was (nothing it reads changed)


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def printed_figures(folder: Path) -> dict[str, str]:
    import json

    return json.loads((folder / f"so-lieu-{PERIOD}.json").read_text(encoding="utf-8"))["figures"]


def dossier_state(warehouse: Path, code: str, commune: str) -> tuple:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return (
            con.execute("select count(*) from marts.fct_dossier").fetchone()[0],
            con.execute(
                "select status, outcome, finished_period_key from marts.fct_dossier where dossier_code = ?",
                [code],
            ).fetchone(),
            con.execute(
                """select resolved, in_progress from intermediate.int_dossier_quarter_counts
                   where commune_id = ? and period_key = '2025-Q1'""",
                [commune],
            ).fetchone(),
        )


def _later_export(sources: Path) -> tuple[str, str]:
    """A Q1 dossier still in progress, resolved on 15 April, in a later export: (its code, its commune)."""
    with open(sources / "dossiers" / "dossiers_2025-Q1.csv", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = reader.fieldnames
        row = next(r for r in reader if r["Trạng thái"] == "Đang giải quyết")
    code, commune = row["Mã hồ sơ"], default_resolver().resolve(row["Đơn vị tiếp nhận"])
    row.update({"Trạng thái": "Đã giải quyết", "Ngày hoàn thành": "15/04/2025 10:00:00"})
    with open(sources / "dossiers" / "dossiers_2025-Q2_update.csv", "w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=fields)
        writer.writeheader()
        writer.writerow(row)
    return code, commune


def _form_rows(sheet) -> dict[str, int]:
    """Indicator code → row of an issued form (code in column B under the table header)."""
    return {
        str(sheet.cell(row=r, column=2).value).strip(): r
        for r in range(10, sheet.max_row + 1)
        if sheet.cell(row=r, column=2).value
    }


def _resubmit(sources: Path, figures: dict[str, str]) -> Resubmission:
    """A commune's Q1 form sent again three days later with one more SIM signature; the commune is one whose
    figure the first edition printed clean (not held back)."""
    for path in sorted((sources / "submissions" / PERIOD).glob("*.xlsx")):
        workbook = openpyxl.load_workbook(path)
        if "Phụ lục" not in workbook.sheetnames or "phien_ban" not in workbook.sheetnames:
            continue
        version = {row[0].value: row[1].value for row in workbook["phien_ban"].iter_rows() if row[0].value}
        commune = version.get("commune_id")
        sheet = workbook["Phụ lục"]
        row = _form_rows(sheet).get(INDICATOR)
        old = sheet.cell(row=row, column=5).value if row else None
        submitted = sheet.cell(row=7, column=3).value  # as the sample writes it: dd/mm/yyyy text
        if not isinstance(old, int | float) or not isinstance(submitted, str):
            continue
        if figures.get(f"{commune}|{INDICATOR}") != format_number(old):  # held back: not the clean case
            continue
        sent_on = datetime.strptime(submitted.strip(), "%d/%m/%Y").date() + timedelta(days=3)
        sheet.cell(row=row, column=5).value = int(old) + 1
        sheet.cell(row=7, column=3).value = sent_on.strftime("%d/%m/%Y")
        resent = path.with_name(f"{path.stem}-gui-lai.xlsx")
        workbook.save(resent)
        sha = hashlib.sha256(resent.read_bytes()).hexdigest()
        return Resubmission(commune, resent.name, int(old), int(old) + 1, sent_on, sha)
    raise AssertionError("no form of the sample has a clean SIM signature count to change")


def make_later_run(settings: Settings, small_sample: Path, root: Path, settings_for) -> LaterRun:
    sources = root / "sources"
    shutil.copytree(small_sample, sources)
    shutil.copytree(settings.outputs_dir, root / "run" / "outputs", symlinks=True)  # links stay links
    later = settings_for(sources, root / "run")
    first = read_manifest(later.reports_dir / PERIOD)
    first_folder = (later.reports_dir / PERIOD).resolve()
    first_digests = digests(first_folder)
    code, commune = _later_export(sources)
    before = dossier_state(later.warehouse_path, code, commune)
    resubmission = _resubmit(sources, printed_figures(first_folder))
    result = run_main_job(later, DagsterInstance.ephemeral())
    kept = frozenset(
        m.asset_key
        for m in result.asset_materializations_for_node(warehouse_dbt_assets.op.name)
        if m.metadata.get("rebuilt") == BoolMetadataValue(False)
    )
    return LaterRun(
        later, result.success, code, commune, before, resubmission, first, first_folder, first_digests, kept
    )
