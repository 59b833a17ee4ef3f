"""Editions of a published period: a resubmission after publication is published as the next edition with
the list of figures it changed, the earlier edition stays byte for byte as it was, and a locked period is
not published again (what would change is shown as pending)."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import openpyxl
import pytest
from dagster import DagsterInstance

from pipelines.core.vietnamese import format_date, format_number
from pipelines.reports.editions import Lock, compare, input_facts, load_locks, read_inputs, snapshot
from pipelines.reports.publish import EDITIONS, MANIFEST, publish_period, read_manifest, write_index
from pipelines.reports.read import build_report
from pipelines.reports.text import LETTERHEAD, WITHHELD
from pipelines.run import run_main_job
from tests.conftest import settings_for

PERIOD = "2025-Q1"
INDICATOR = "DSIG_SIM"  # a stock only the communes' forms give (no system computes it)
LOCK = Lock(PERIOD, "Nguyễn Văn Kiểm", date(2025, 4, 15), "Đã gửi Bộ Khoa học và Công nghệ")


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _figures(folder: Path) -> dict[str, str]:
    return json.loads((folder / f"so-lieu-{PERIOD}.json").read_text(encoding="utf-8"))["figures"]


def _form_rows(sheet) -> dict[str, int]:
    """Indicator code → row of an issued form (code in column B under the table header)."""
    return {
        str(sheet.cell(row=r, column=2).value).strip(): r
        for r in range(10, sheet.max_row + 1)
        if sheet.cell(row=r, column=2).value
    }


def _resubmit(sources: Path, figures: dict[str, str]) -> tuple[str, str, int, int, date, Path]:
    """A commune's Q1 form sent again three days later with one more SIM signature: (commune, file name,
    old value, new value, new date, path). The commune is one whose first figure was printed clean."""
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
        printed = figures.get(f"{commune}|{INDICATOR}")
        if not isinstance(old, int | float) or not isinstance(submitted, str):
            continue
        if printed != format_number(old):  # held back, or read otherwise: not the clean case
            continue
        new_date = datetime.strptime(submitted.strip(), "%d/%m/%Y").date() + timedelta(days=3)
        sheet.cell(row=row, column=5).value = int(old) + 1
        sheet.cell(row=7, column=3).value = new_date.strftime("%d/%m/%Y")
        resent = path.with_name(f"{path.stem}-gui-lai.xlsx")
        workbook.save(resent)
        return commune, resent.name, int(old), int(old) + 1, new_date, resent
    raise AssertionError("no form of the sample has a clean SIM signature count to change")


def test_a_resubmission_after_publication_is_edition_2_with_a_change_list(
    pipeline_run, small_sample: Path, tmp_path: Path
):
    settings, _ = pipeline_run
    sources, root = tmp_path / "sources", tmp_path / "run"
    shutil.copytree(small_sample, sources)
    shutil.copytree(settings.outputs_dir, root / "outputs", symlinks=True)  # the period links stay links
    later = settings_for(sources, root)
    reports = later.reports_dir
    first = read_manifest(reports / PERIOD)
    assert first["edition"] == 1 and first["editions"] == []
    first_folder = (reports / PERIOD).resolve()
    before = _digests(first_folder)
    commune, name, old, new, sent_on, resent = _resubmit(sources, _figures(first_folder))

    assert run_main_job(later, DagsterInstance.ephemeral()).success

    assert _digests(first_folder) == before  # edition 1: every file and its manifest as they were
    second = read_manifest(reports / PERIOD)
    assert second["edition"] == 2 and os.readlink(reports / PERIOD) == f"{EDITIONS}/{PERIOD}-lan-2"
    [earlier] = second["editions"]
    assert earlier["folder"] == f"{EDITIONS}/{PERIOD}-lan-1" == os.path.relpath(first_folder, reports)
    assert earlier["data_version"] == first["data_version"]
    assert earlier["manifest_sha256"] == before[MANIFEST]
    assert _figures(reports / PERIOD)[f"{commune}|{INDICATOR}"] == format_number(new)

    sheet = openpyxl.load_workbook(reports / PERIOD / f"bao-cao-{PERIOD}.xlsx")["Thay đổi"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in sheet.iter_rows(min_row=2)]
    ours = [r for r in rows if r["Mã đơn vị"] == commune and r["Mã chỉ tiêu"] == INDICATOR]
    assert len(ours) == 1, rows
    change = ours[0]
    assert (change["Lần trước"], change["Lần này"]) == (format_number(old), format_number(new))
    assert name in change["Lý do thay đổi"] and "lần gửi thứ 2" in change["Lý do thay đổi"]
    assert change["Ngày"].date() == sent_on
    assert change["Mã biểu mẫu (sha256)"] == hashlib.sha256(resent.read_bytes()).hexdigest()
    province = [r for r in rows if r["Mã đơn vị"] is None and r["Mã chỉ tiêu"] == INDICATOR]
    assert [r["Lần này"] for r in province] == [_figures(reports / PERIOD)[f"*|{INDICATOR}"]]
    # only what the resubmission changed: this commune's figures and the province totals they feed
    assert {r["Mã đơn vị"] for r in rows} <= {commune, None}
    assert second["changes"]["figures"] == len(rows)

    html = (reports / PERIOD / f"bao-cao-{PERIOD}.html").read_text(encoding="utf-8")
    assert (
        f"Lần công bố thứ 2, thay thế lần 1 ngày {format_date(date.fromisoformat(first['issued_on']))}"
        in html
    )
    assert 'id="change-list"' in html and name in html
    index = (reports / "index.html").read_text(encoding="utf-8")
    assert index.index(f'data-period="{PERIOD}" data-edition="2"') < index.index(
        f'data-earlier="{PERIOD}" data-edition="1"'
    )
    assert f'href="{earlier["folder"]}/bao-cao-{PERIOD}.docx"' in index


@pytest.fixture
def tampered(pipeline_run, tmp_path: Path) -> tuple[Path, Path, str]:
    """The run's warehouse, and a copy where one commune reports one SIM signature fewer."""
    settings, _ = pipeline_run
    copy = tmp_path / "tampered.duckdb"
    shutil.copyfile(settings.warehouse_path, copy)
    with duckdb.connect(str(copy)) as con:
        [(commune,)] = con.execute(
            """select commune_id from reporting.published_figures
               where period_key = ? and indicator_code = ? and scope = 'commune' and not withheld
                 and numerator >= 1
               order by commune_id limit 1""",
            [PERIOD, INDICATOR],
        ).fetchall()
        con.execute(
            """update marts.fct_commune_indicator set numerator = numerator - 1, value = value - 1
               where period_key = ? and indicator_code = ? and commune_id = ?""",
            [PERIOD, INDICATOR, commune],
        )
    return settings.warehouse_path, copy, commune


def _publish(warehouse: Path, out: Path, day: date, locks: dict | None = None, force: bool = False):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return publish_period(con, PERIOD, out, f"run-{day}", today=day, force=force, locks=locks or {})


def test_a_locked_period_is_not_published_again_and_its_changes_wait(tampered, tmp_path: Path):
    warehouse, changed, commune = tampered
    out = tmp_path / "reports"
    first = _publish(warehouse, out, date(2025, 4, 10))
    before = _digests(first.folder)

    held = _publish(changed, out, date(2025, 4, 20), {PERIOD: LOCK}, force=True)
    assert not held.changed and held.lock == LOCK and held.manifest == first.manifest
    assert _digests(out / PERIOD) == before and len(list((out / EDITIONS).iterdir())) == 1
    [pending] = held.pending
    assert (pending.commune_id, pending.indicator_code) == (commune, INDICATOR)
    was = _figures(first.folder)[f"{commune}|{INDICATOR}"]
    assert pending.before == was and pending.after == format_number(int(was.replace(".", "")) - 1)
    index = write_index(out, [held]).read_text(encoding="utf-8")
    assert "Đã khóa" in index and LOCK.locked_by in index and "1 số liệu thay đổi đang chờ" in index

    unlocked = _publish(changed, out, date(2025, 4, 25))
    assert unlocked.changed and unlocked.manifest["edition"] == 2
    assert _digests(out / EDITIONS / f"{PERIOD}-lan-1") == before
    after = _figures(unlocked.folder)
    assert after[f"{commune}|{INDICATOR}"] == pending.after


def test_an_edition_rendered_again_keeps_its_number_change_list_and_bytes(tampered, tmp_path: Path):
    warehouse, changed, _ = tampered
    out = tmp_path / "reports"
    _publish(warehouse, out, date(2025, 4, 10))
    second = _publish(changed, out, date(2025, 4, 20))
    files = _digests(second.folder)
    again = _publish(changed, out, date(2025, 5, 1), force=True)
    assert again.changed and again.manifest["edition"] == 2 and _digests(again.folder) == files
    assert again.manifest["editions"] == second.manifest["editions"]
    assert sorted(p.name for p in (out / EDITIONS).iterdir()) == [f"{PERIOD}-lan-1", f"{PERIOD}-lan-2-2"]


def test_a_first_edition_says_so_and_lists_no_change(published_q1):
    html = (published_q1 / f"bao-cao-{PERIOD}.html").read_text(encoding="utf-8")
    assert "Lần công bố thứ 1." in html and 'id="changes"' not in html
    sheets = openpyxl.load_workbook(published_q1 / f"bao-cao-{PERIOD}.xlsx").sheetnames
    assert "Thay đổi" not in sheets


@pytest.fixture
def published_q1(pipeline_run, tmp_path: Path) -> Path:
    settings, _ = pipeline_run
    return _publish(settings.warehouse_path, tmp_path / "reports", date(2025, 4, 10)).folder


def test_a_change_in_the_checks_alone_is_a_new_edition_that_names_it(pipeline_run, tmp_path: Path):
    """An accepted finding changes what the annex says, not a figure: edition 2 lists no figure and says
    what changed."""
    settings, _ = pipeline_run
    out, copy = tmp_path / "reports", tmp_path / "w.duckdb"
    shutil.copyfile(settings.warehouse_path, copy)
    _publish(copy, out, date(2025, 4, 10))
    with duckdb.connect(str(copy)) as con:
        con.execute(
            """update quality.dq_findings set status = 'accepted'
               where finding_key = (select min(finding_key) from quality.dq_findings
                                    where period_key = ? and status = 'open' and severity = 'warning')""",
            [PERIOD],
        )
    second = _publish(copy, out, date(2025, 4, 20))
    assert second.manifest["edition"] == 2 and second.manifest["changes"]["figures"] == 0
    assert any("số cảnh báo" in line for line in second.manifest["changes"]["other"])
    html = (second.folder / f"bao-cao-{PERIOD}.html").read_text(encoding="utf-8")
    assert "Không có số liệu nào thay đổi." in html


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("period_key,locked_by,locked_on\n2025-Q1,A,2025-04-15\n", "dòng tiêu đề"),
        ("period_key,locked_by,locked_on,reason\n2025-Q1,A,2025-04-15,\n", "thiếu reason"),
        ("period_key,locked_by,locked_on,reason\n2025-Q1,A,15/04/2025,x\n", "YYYY-MM-DD"),
        (
            "period_key,locked_by,locked_on,reason\n2025-Q1,A,2025-04-15,x\n2025-Q1,B,2025-04-16,y\n",
            "hai lần",
        ),
    ],
)
def test_a_lock_without_who_when_and_why_is_refused(tmp_path: Path, text: str, message: str):
    path = tmp_path / "locked_periods.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_locks(path)


def test_the_lock_list_is_read_with_who_when_and_why(tmp_path: Path):
    path = tmp_path / "locked_periods.csv"
    path.write_text(
        "period_key,locked_by,locked_on,reason\n2025-Q1, Nguyễn Văn Kiểm ,2025-04-15,Đã gửi Bộ\n",
        encoding="utf-8",
    )
    assert load_locks(path) == {PERIOD: Lock(PERIOD, "Nguyễn Văn Kiểm", date(2025, 4, 15), "Đã gửi Bộ")}
    assert load_locks() == {}  # the repository's list is empty: nothing locked by default


def test_each_change_names_its_cause(pipeline_run):
    """The cause of a changed figure, by kind: a newer export for a system figure, the commune's newer form
    for a form figure, a check that holds a figure back or releases it, and the communes behind a total."""
    settings, _ = pipeline_run
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        report = build_report(con, PERIOD)
        facts = input_facts(con)
        after = snapshot(report, read_inputs(con, report), 0, LETTERHEAD)
    communes = [c.commune_id for c in report.communes]
    figures = after["figures"]
    clean = [
        c
        for c in communes
        if WITHHELD not in (figures.get(f"{c}|DOS_RECEIVED"), figures.get(f"{c}|PC_COUNT"))
    ]
    with_form = {key.split("|")[0] for key in after["inputs"]["forms"]}
    form_one = next(c for c in clean if c in with_form)
    system_one, held_one, released_one = [c for c in clean if c != form_one][:3]
    before = copy.deepcopy(after)
    [export] = [f for f in after["inputs"]["system_files"] if f["file"] == f"dossiers_{PERIOD}.csv"]
    before["inputs"]["system_files"].remove(export)  # this export landed after the earlier edition
    before["figures"][f"{system_one}|DOS_RECEIVED"] = "1"
    [form_key] = [k for k in after["inputs"]["forms"] if k.startswith(f"{form_one}|")]
    form = after["inputs"]["forms"][form_key]
    before["inputs"]["forms"][form_key] = {**form, "submission_id": "0" * 64, "version": form["version"] - 1}
    before["figures"][f"{form_one}|PC_COUNT"] = "0"
    after = copy.deepcopy(after)
    after["figures"][f"{held_one}|PC_COUNT"] = WITHHELD
    before["figures"][f"{released_one}|PC_COUNT"] = WITHHELD
    before["checks"]["open_errors"] += 2

    changes, others = compare(report, before, after, facts)
    by = {(c.commune_id, c.indicator_code): c for c in changes}
    assert set(by) == {
        (system_one, "DOS_RECEIVED"),
        (form_one, "PC_COUNT"),
        (held_one, "PC_COUNT"),
        (released_one, "PC_COUNT"),
    }
    system = by[system_one, "DOS_RECEIVED"]
    assert export["file"] in system.cause and system.cause_on == facts.landed_on[export["sha256"]]
    formed = by[form_one, "PC_COUNT"]
    assert formed.submission_id == form["submission_id"] and f"lần gửi thứ {form['version']}" in formed.cause
    assert formed.cause_on == date.fromisoformat(form["submitted_on"])
    assert "tạm giữ" in by[held_one, "PC_COUNT"].cause and by[held_one, "PC_COUNT"].after == WITHHELD
    assert "không còn bị tạm giữ" in by[released_one, "PC_COUNT"].cause
    assert others[0].startswith("số lỗi chưa xử lý") and "→" in others[0]
