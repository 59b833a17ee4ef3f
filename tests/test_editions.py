"""Editions of a published period: a resubmission after publication is published as the next edition with
the list of figures it changed, the earlier edition stays byte for byte as it was, and a locked period is
not published again (what would change is shown as pending)."""

from __future__ import annotations

import copy
import os
import shutil
from datetime import date
from pathlib import Path

import duckdb
import openpyxl
import pytest

from pipelines.core.vietnamese import format_date, format_number
from pipelines.reports.editions import Lock, compare, input_facts, load_locks, read_inputs, snapshot
from pipelines.reports.publish import EDITIONS, MANIFEST, publish_period, read_manifest, write_index
from pipelines.reports.read import build_report
from pipelines.reports.text import LETTERHEAD, WITHHELD
from tests.later_run import INDICATOR, PERIOD, digests, printed_figures

LOCK = Lock(PERIOD, "Nguyễn Văn Kiểm", date(2025, 4, 15), "Đã gửi Bộ Khoa học và Công nghệ")


def test_a_resubmission_after_publication_is_edition_2_with_a_change_list(later_run):
    """A commune's form sent again after Q1 was published (tests/later_run.py): the next run publishes
    edition 2 with the change, and leaves edition 1 as it was."""
    assert later_run.succeeded
    reports, first, sent = later_run.settings.reports_dir, later_run.first_manifest, later_run.resubmission
    assert first["edition"] == 1 and first["editions"] == []
    assert digests(later_run.first_folder) == later_run.first_digests  # edition 1: every file, its manifest
    second = read_manifest(reports / PERIOD)
    assert second["edition"] == 2 and os.readlink(reports / PERIOD) == f"{EDITIONS}/{PERIOD}-lan-2"
    [earlier] = second["editions"]
    assert (
        earlier["folder"] == os.path.relpath(later_run.first_folder, reports) == f"{EDITIONS}/{PERIOD}-lan-1"
    )
    assert earlier["data_version"] == first["data_version"]
    assert earlier["manifest_sha256"] == later_run.first_digests[MANIFEST]
    assert printed_figures(reports / PERIOD)[f"{sent.commune_id}|{INDICATOR}"] == format_number(sent.new)

    sheet = openpyxl.load_workbook(reports / PERIOD / f"bao-cao-{PERIOD}.xlsx")["Thay đổi"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in sheet.iter_rows(min_row=2)]
    ours = [r for r in rows if r["Mã đơn vị"] == sent.commune_id and r["Mã chỉ tiêu"] == INDICATOR]
    assert len(ours) == 1, rows
    change = ours[0]
    assert (change["Lần trước"], change["Lần này"]) == (format_number(sent.old), format_number(sent.new))
    assert sent.file_name in change["Lý do thay đổi"] and "lần gửi thứ 2" in change["Lý do thay đổi"]
    assert change["Ngày"].date() == sent.sent_on
    assert change["Mã biểu mẫu (sha256)"] == sent.sha256
    province = [r for r in rows if r["Mã đơn vị"] is None and r["Mã chỉ tiêu"] == INDICATOR]
    assert [r["Lần này"] for r in province] == [printed_figures(reports / PERIOD)[f"*|{INDICATOR}"]]
    # Q1's other changes come from the later export's dossier only: its commune's figures and the totals
    assert {r["Mã đơn vị"] for r in rows} <= {sent.commune_id, later_run.dossier_commune, None}
    assert second["changes"]["figures"] == len(rows)

    html = (reports / PERIOD / f"bao-cao-{PERIOD}.html").read_text(encoding="utf-8")
    first_day = format_date(date.fromisoformat(first["issued_on"]))
    assert f"Lần công bố thứ 2, thay thế lần 1 ngày {first_day}" in html
    assert 'id="change-list"' in html and sent.file_name in html
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
    before = digests(first.folder)

    held = _publish(changed, out, date(2025, 4, 20), {PERIOD: LOCK}, force=True)
    assert not held.changed and held.lock == LOCK and held.manifest == first.manifest
    assert digests(out / PERIOD) == before and len(list((out / EDITIONS).iterdir())) == 1
    [pending] = held.pending
    assert (pending.commune_id, pending.indicator_code) == (commune, INDICATOR)
    was = printed_figures(first.folder)[f"{commune}|{INDICATOR}"]
    assert pending.before == was and pending.after == format_number(int(was.replace(".", "")) - 1)
    index = write_index(out, [held]).read_text(encoding="utf-8")
    assert "Đã khóa" in index and LOCK.locked_by in index and "1 số liệu thay đổi đang chờ" in index

    unlocked = _publish(changed, out, date(2025, 4, 25))
    assert unlocked.changed and unlocked.manifest["edition"] == 2
    assert digests(out / EDITIONS / f"{PERIOD}-lan-1") == before
    after = printed_figures(unlocked.folder)
    assert after[f"{commune}|{INDICATOR}"] == pending.after


def test_an_edition_rendered_again_keeps_its_number_change_list_and_bytes(tampered, tmp_path: Path):
    warehouse, changed, _ = tampered
    out = tmp_path / "reports"
    _publish(warehouse, out, date(2025, 4, 10))
    second = _publish(changed, out, date(2025, 4, 20))
    files = digests(second.folder)
    again = _publish(changed, out, date(2025, 5, 1), force=True)
    assert again.changed and again.manifest["edition"] == 2 and digests(again.folder) == files
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
