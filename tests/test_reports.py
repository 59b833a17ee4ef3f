"""The published reports: every number equals the mart it came from (read back from the XLSX and the HTML),
the DOCX has the administrative layout, inputs cannot inject markup or formulas, publication is atomic and
reproducible, and the schedules fire on the days the calendar says."""

from __future__ import annotations

import hashlib
import json
import shutil
import unicodedata
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from datetime import date, datetime
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import docx
import duckdb
import openpyxl
import pytest
from dagster import DagsterInstance, build_schedule_context
from dagster._utils.schedules import cron_string_iterator

from pipelines.core.vietnamese import format_number, parse_number
from pipelines.definitions import build_definitions
from pipelines.reports import publish as publishing
from pipelines.reports.assets import build_report_schedule, publish_run_config, quarter_just_ended
from pipelines.reports.model import ANNEX_ROWS_PER_RULE, SCORECARD_ROWS_PER_RULE, Indicator
from pipelines.reports.publish import file_names, publish_period, read_manifest, write_index
from pipelines.reports.read import build_report
from pipelines.reports.summary import summary_points
from pipelines.reports.text import LETTERHEAD, change_text, publication_status

# The figure of record and whether an open error holds it back, written here in SQL independently of the
# report code: system figures where the catalogue names a system, else the commune's form.
_MART = """
select f.scope, coalesce(f.commune_id, '*') as commune_id, f.indicator_code, f.value, i.kind,
    exists (select 1 from reporting.held_back_figures b
            where b.commune_id = f.commune_id and b.period_key = f.period_key and b.source = f.source
              and coalesce(b.indicator_code, f.indicator_code) = f.indicator_code) as held
from marts.fct_commune_indicator f join marts.dim_indicator i using (indicator_code)
where f.period_key = ?
  and f.source = case when coalesce(i.system_source, '') <> '' then 'system' else 'reported' end
"""


@pytest.fixture(scope="module")
def published(pipeline_run) -> tuple[Path, Path]:
    settings, _ = pipeline_run
    return settings.warehouse_path, settings.reports_dir


def _mart(warehouse: Path, period: str) -> dict[tuple[str, str, str], tuple[float | None, str, bool]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(_MART, [period]).fetchall()
    return {(scope, commune, code): (value, kind, held) for scope, commune, code, value, kind, held in rows}


def _same(cell: object, value: float | None, kind: str) -> bool:
    """A workbook cell holds the mart's value: rates as Excel fractions (73,24 % is 0.7324)."""
    if value is None:
        return cell is None
    return cell == pytest.approx(value / 100 if kind == "rate" else value, rel=1e-12)


def test_every_number_in_the_workbook_equals_the_mart(published):
    warehouse, reports = published
    mart = _mart(warehouse, "2025-Q2")
    workbook = openpyxl.load_workbook(reports / "2025-Q2" / file_names("2025-Q2")["report_xlsx"])

    province = workbook["Toàn tỉnh"]
    seen = 0
    for row in province.iter_rows(min_row=2, values_only=True):
        code, cell = row[1], row[4]
        value, kind, _ = mart[("province", "*", code)]
        assert _same(cell, value, kind), code
        seen += 1
    with duckdb.connect(str(warehouse), read_only=True) as con:
        published = con.execute(
            "select count(*) from marts.dim_indicator where reported_on in ('form', 'system')"
        ).fetchall()[0][0]
    assert seen == published == 34  # the form's 33 lines and the system's DOS_INVALID_DATES

    communes = workbook["Các xã"]
    header = [c.value for c in communes[1]]
    codes = [h.rsplit("(", 1)[1].rstrip(")") for h in header[2:]]
    compared = held = 0
    for row in communes.iter_rows(min_row=2, values_only=True):
        for code, cell in zip(codes, row[2:], strict=True):
            key = ("commune", row[0], code)
            if key not in mart:
                assert cell is None
                continue
            value, kind, is_held = mart[key]
            if is_held:
                assert cell == "Tạm giữ"
                held += 1
            else:
                assert cell == pytest.approx(
                    None if value is None else value / 100 if kind == "rate" else value
                )
                compared += 1
    assert compared > 300 and held > 0  # the small sample has injected errors: some figures are held


def test_rates_are_typed_percent_cells_and_headers_frozen(published):
    _, reports = published
    sheet = openpyxl.load_workbook(reports / "2025-Q1" / file_names("2025-Q1")["report_xlsx"])["Toàn tỉnh"]
    online = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == "DOS_ONLINE_RATE")
    assert online[4].data_type == "n" and online[4].number_format == "0.00%"
    assert online[5].number_format == "#,##0"
    assert sheet.freeze_panes == "D2"


class _Cells(HTMLParser):
    """`data-value`, text and change line (`<span class="change">`) of every cell in the tables with an id."""

    def __init__(self) -> None:
        super().__init__()
        self.table: str | None = None
        self.row: dict[str, str] = {}
        self.cell: dict[str, str] | None = None
        self.in_change = False
        self.cells: list[tuple[str | None, dict[str, str], dict[str, str], str]] = []
        self.changes: dict[tuple[str | None, str, str], str] = {}  # (table, row's commune, indicator) → text

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        if tag == "table":
            self.table = attributes.get("id")
        elif tag == "tr":
            self.row = attributes
        elif tag == "td":
            self.cell = attributes
            self.text = ""
        elif tag == "span" and attributes.get("class") == "change" and self.cell is not None:
            self.in_change = True
            self.change = ""

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.cells.append((self.table, self.row, self.cell, self.text.strip()))
            self.cell = None
        elif tag == "span" and self.in_change:
            key = (self.table, self.row.get("data-commune", ""), self.cell.get("data-indicator", ""))
            self.changes[key] = self.change.strip()
            self.in_change = False

    def handle_data(self, data):
        if self.in_change:
            self.change += data
        elif self.cell is not None:
            self.text += data


def test_every_number_in_the_html_equals_the_mart(published):
    warehouse, reports = published
    mart = _mart(warehouse, "2025-Q2")
    parser = _Cells()
    parser.feed((reports / "2025-Q2" / file_names("2025-Q2")["report_html"]).read_text(encoding="utf-8"))
    checked = 0
    for table, row, cell, text in parser.cells:
        if "data-value" not in cell:
            continue
        if table == "province":
            value, kind, _ = mart[("province", "*", row["data-indicator"])]
        elif table == "communes":
            key = ("commune", row["data-commune"], cell["data-indicator"])
            if key not in mart:  # the commune sent no form
                assert text == "-" and cell["data-value"] == ""
                continue
            value, kind, held = mart[key]
            if held:
                assert text == "Tạm giữ" and cell["data-value"] == ""
                continue
        else:
            continue
        if value is None:
            assert cell["data-value"] == "" and text == "-"
            continue
        assert float(cell["data-value"]) == pytest.approx(value, rel=1e-12)
        printed = text.replace("(*)", "").replace("đơn vị", "").strip()
        if kind == "rate":
            assert parse_number(printed) == parse_number(f"{value:.2f}".replace(".", ","))
        elif kind != "flag":
            assert parse_number(printed) == round(value)
        checked += 1
    assert checked > 150


def test_each_commune_figure_shows_its_change_from_the_previous_period(published):
    """Under each commune's figure: points for a rate, per cent for a count, recomputed here from the two
    periods' marts; none where either figure is missing or held back."""
    warehouse, reports = published
    now, before = _mart(warehouse, "2025-Q2"), _mart(warehouse, "2025-Q1")
    parser = _Cells()
    parser.feed((reports / "2025-Q2" / file_names("2025-Q2")["report_html"]).read_text(encoding="utf-8"))
    checked = 0
    for table, row, cell, _ in parser.cells:
        if table != "communes" or "data-indicator" not in cell:
            continue
        key = ("commune", row["data-commune"], cell["data-indicator"])
        printed = parser.changes.get((table, row["data-commune"], cell["data-indicator"]))
        value, kind, held = now.get(key, (None, None, False))
        previous, _, held_before = before.get(key, (None, None, False))
        if value is None or previous is None or held or held_before or (kind != "rate" and previous == 0):
            assert printed is None, key
            continue
        if kind == "rate":
            assert printed.endswith(" điểm %"), printed
            assert float(parse_number(printed.removesuffix(" điểm %").lstrip("+"))) == pytest.approx(
                value - previous, abs=0.005
            )
        else:
            assert printed.endswith(" %") and "điểm" not in printed, printed
            assert float(parse_number(printed.removesuffix(" %").lstrip("+"))) == pytest.approx(
                100 * (value - previous) / previous, abs=0.05
            )
        checked += 1
    assert checked > 50


def test_the_workbook_gives_each_communes_change_as_a_typed_number(published):
    warehouse, reports = published
    now, before = _mart(warehouse, "2025-Q2"), _mart(warehouse, "2025-Q1")
    sheet = openpyxl.load_workbook(reports / "2025-Q2" / file_names("2025-Q2")["report_xlsx"])[
        "Các xã - thay đổi"
    ]
    header = [c.value for c in sheet[1]]
    codes = [h.rsplit("(", 1)[1].split(")")[0] for h in header[2:]]
    checked = 0
    for row in sheet.iter_rows(min_row=2):
        for code, cell in zip(codes, row[2:], strict=True):
            key = ("commune", row[0].value, code)
            value, kind, held = now.get(key, (None, None, False))
            previous, _, held_before = before.get(key, (None, None, False))
            if value is None or previous is None or held or held_before or (kind != "rate" and previous == 0):
                assert cell.value is None, key
            elif kind == "rate":
                assert cell.value == pytest.approx(value - previous) and "điểm" in cell.number_format
                checked += 1
            else:
                assert (
                    cell.value == pytest.approx((value - previous) / previous) and "%" in cell.number_format
                )
                checked += 1
    assert checked > 300


def test_the_docx_is_an_administrative_report(published):
    _, reports = published
    document = docx.Document(str(reports / "2025-Q1" / file_names("2025-Q1")["report_docx"]))
    header = "\n".join(c.text for c in document.tables[0]._cells)
    for block in (
        "UBND TỈNH QUẢNG NGÃI",
        "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số:",
        "/BC-SKHCN",
        "Quảng Ngãi, ngày",
    ):
        assert block in header, block
    # the motto (about 9,4 cm in bold 12 pt Times) has a column wide enough to stay on one line
    motto_cell = document.tables[0].rows[0].cells[1]
    assert motto_cell.width.cm >= 10, motto_cell.width.cm
    body = "\n".join(p.text for p in document.paragraphs)
    assert "BÁO CÁO" in body and "quý I năm 2025" in body and "PHỤ LỤC" in body
    closing = "\n".join(c.text for t in document.tables for c in t._cells)
    assert "Nơi nhận:" in closing and "GIÁM ĐỐC" in closing
    assert "GIÁM ĐỐC\n\n\n\n\n(Họ và tên người ký)" in closing  # room to sign, then the name
    assert document.inline_shapes  # the charts
    section = document.sections[0]
    # page numbers from page 2 (a PAGE field in the header, none on the first page); no generated-by footer
    assert section.different_first_page_header_footer
    assert 'w:instr="PAGE"' in section.header._element.xml
    assert not "".join(p.text for p in section.footer.paragraphs).strip()
    assert "phiên bản dữ liệu" in document.core_properties.comments
    province = next(t for t in document.tables if t.rows[0].cells[0].text == "STT")
    assert [c.text for c in province.rows[0].cells][:3] == ["STT", "Chỉ tiêu", "Đơn vị tính"]
    sizes = {
        r.font.size.pt
        for t in document.tables[2:]
        for c in t._cells
        for p in c.paragraphs
        for r in p.runs
        if r.font.size
    }
    assert sizes and min(sizes) >= 11, sizes


def _tampered_warehouse(warehouse: Path, tmp_path: Path) -> tuple[Path, str]:
    """A copy where a commune's name is markup and a finding's evidence is a spreadsheet formula."""
    copy = tmp_path / "tampered.duckdb"
    shutil.copyfile(warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        commune = con.execute(
            "select commune_id from quality.dq_findings"
            " where commune_id is not null and period_key = '2025-Q1' order by finding_key limit 1"
        ).fetchone()[0]
        con.execute(
            "update marts.dim_commune set name_with_type = '<script>alert(1)</script>' where commune_id = ?",
            [commune],
        )
        con.execute(
            """update quality.dq_findings set evidence_text = '=HYPERLINK("http://x.invalid","bấm")',
               message_vi = '=1+1 <b>đậm</b>' where commune_id = ? and period_key = '2025-Q1'""",
            [commune],
        )
    return copy, commune


def test_commune_text_cannot_inject_markup_or_formulas(published, tmp_path: Path):
    warehouse, _ = published
    tampered, _ = _tampered_warehouse(warehouse, tmp_path)
    with duckdb.connect(str(tampered), read_only=True) as con:
        publication = publish_period(con, "2025-Q1", tmp_path / "reports", "test")
    for kind in ("report_html", "scorecards_html"):
        html = publication.path(kind).read_text(encoding="utf-8")
        assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<b>đậm</b>" not in html
    workbook = openpyxl.load_workbook(publication.path("report_xlsx"))
    cells = [c for ws in workbook for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    formulas = [c for c in cells if c.value.startswith("=")]
    assert formulas and all(c.data_type == "s" for c in formulas)  # strings, not formulas
    assert any(c.value.startswith("=HYPERLINK") for c in formulas)
    assert any(c.value == "<script>alert(1)</script>" for c in cells)
    text = "\n".join(
        c.text for t in docx.Document(str(publication.path("report_docx"))).tables for c in t._cells
    )
    assert "<script>alert(1)</script>" in text and '=HYPERLINK("http://x.invalid","bấm")' in text


def test_a_rule_with_thousands_of_findings_prints_a_few_and_counts_the_rest(published, tmp_path: Path):
    """At national scale one rule flags thousands of dossier rows: the printed annex and the scorecards show
    the first few per rule and say how many more there are; the workbook keeps every one."""
    warehouse, _ = published
    crowded = tmp_path / "crowded.duckdb"
    shutil.copyfile(warehouse, crowded)
    with duckdb.connect(str(crowded)) as con:
        rule, commune = con.execute(
            """select rule_code, commune_id from quality.dq_findings
               where status = 'open' and commune_id is not null and period_key = '2025-Q1'
               order by finding_key limit 1"""
        ).fetchone()
        con.execute(
            """insert into quality.dq_findings
               select * exclude (n)
                   replace (finding_key || '#' || n as finding_key, evidence_row + n as evidence_row)
               from quality.dq_findings, range(1, 60) as copies(n)
               where finding_key = (select min(finding_key) from quality.dq_findings
                                    where rule_code = ? and commune_id = ? and period_key = '2025-Q1')""",
            [rule, commune],
        )
        total = con.execute(
            """select count(*) from quality.dq_findings
               where rule_code = ? and period_key = '2025-Q1' and status = 'open'""",
            [rule],
        ).fetchone()[0]
        own = con.execute(
            """select count(*) from quality.dq_findings
               where rule_code = ? and commune_id = ? and period_key = '2025-Q1' and status = 'open'""",
            [rule, commune],
        ).fetchone()[0]
    with duckdb.connect(str(crowded), read_only=True) as con:
        publication = publish_period(con, "2025-Q1", tmp_path / "reports", "test")
    assert total > ANNEX_ROWS_PER_RULE and own > SCORECARD_ROWS_PER_RULE
    html = publication.path("report_html").read_text(encoding="utf-8")
    assert f"… và {format_number(total - ANNEX_ROWS_PER_RULE)} trường hợp khác cùng loại" in html
    assert f"{format_number(total)} trường hợp</b>" in html
    cards = publication.path("scorecards_html").read_text(encoding="utf-8")
    assert f"… và {format_number(own - SCORECARD_ROWS_PER_RULE)} trường hợp khác cùng loại" in cards
    text = "\n".join(
        c.text for t in docx.Document(str(publication.path("report_docx"))).tables for c in t._cells
    )
    assert f"… và {format_number(total - ANNEX_ROWS_PER_RULE)} trường hợp khác cùng loại" in text
    sheet = openpyxl.load_workbook(publication.path("report_xlsx"))["Chất lượng số liệu"]
    assert sum(1 for row in sheet.iter_rows(min_row=2, values_only=True) if row[2] == rule) == total


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_republishing_unchanged_data_gives_byte_identical_files(published, tmp_path: Path):
    warehouse, _ = published
    out = tmp_path / "reports"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        first = publish_period(con, "2025-Q1", out, "run-1", today=date(2025, 4, 10))
        before = _digests(first.folder)
        again = publish_period(con, "2025-Q1", out, "run-2", today=date(2025, 5, 1))
        assert not again.changed and _digests(again.folder) == before
        forced = publish_period(con, "2025-Q1", out, "run-3", today=date(2025, 6, 1), force=True)
    assert forced.changed and _digests(forced.folder) == before  # rendered again: the same bytes
    manifest = read_manifest(forced.folder)
    assert manifest["run_id"] == "run-1" and manifest["issued_on"] == "2025-04-10"
    assert {f["name"] for f in manifest["files"]} == set(file_names("2025-Q1").values())
    assert all(
        hashlib.sha256((forced.folder / f["name"]).read_bytes()).hexdigest() == f["sha256"]
        for f in manifest["files"]
    )


def test_changed_data_is_a_new_version_with_a_new_date(published, tmp_path: Path):
    warehouse, _ = published
    out = tmp_path / "reports"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        first = publish_period(con, "2025-Q1", out, "run-1", today=date(2025, 4, 10))
    tampered, _ = _tampered_warehouse(warehouse, tmp_path)
    with duckdb.connect(str(tampered), read_only=True) as con:
        second = publish_period(con, "2025-Q1", out, "run-2", today=date(2025, 4, 20))
    assert second.changed and second.manifest["data_version"] != first.manifest["data_version"]
    assert second.manifest["issued_on"] == "2025-04-20" and second.manifest["run_id"] == "run-2"
    assert "ngày 20 tháng 4 năm 2025" in second.path("report_html").read_text(encoding="utf-8")


def test_a_failed_publication_leaves_the_previous_one_untouched(published, tmp_path: Path, monkeypatch):
    warehouse, _ = published
    out = tmp_path / "reports"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        first = publish_period(con, "2025-Q1", out, "run-1", today=date(2025, 4, 10))
        before = _digests(first.folder)

        def half_written(report, issued_on, folder, *args):
            (folder / "bao-cao-2025-Q1.html").write_text("half", encoding="utf-8")
            raise OSError("disk full")

        monkeypatch.setattr(publishing, "render_all", half_written)
        with pytest.raises(OSError, match="disk full"):
            publish_period(con, "2025-Q1", out, "run-2", force=True)
    assert _digests(first.folder) == before
    assert sorted(p.name for p in out.iterdir()) == [".editions", "2025-Q1"]  # no staging folder left behind
    assert len(list((out / ".editions").iterdir())) == 1  # only the edition in force


def _files(publications) -> list:
    return [(p.period_key, p.manifest["data_version"], p.manifest["files"]) for p in publications]


def test_periods_rendered_by_a_helper_process_are_the_same_files(published, tmp_path: Path):
    warehouse, _ = published
    periods = ["2025-Q1", "2025-Q2"]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        alone = publishing.publish_periods(con, periods, tmp_path / "a", "run", date(2025, 7, 10), workers=1)
        shared = publishing.publish_periods(con, periods, tmp_path / "b", "run", date(2025, 7, 10), workers=2)
    assert [p.changed for p in shared] == [True, True]
    assert _files(shared) == _files(alone)


class _DeadHelpers:
    """A pool whose helper dies with every period it is given."""

    def submit(self, *args, **kwargs) -> Future:
        future: Future = Future()
        future.set_exception(BrokenProcessPool("helper killed"))
        return future


def test_a_period_whose_helper_dies_is_rendered_here(published, tmp_path: Path, monkeypatch):
    warehouse, _ = published
    periods = ["2025-Q1", "2025-Q2"]
    monkeypatch.setattr(publishing, "_helpers", contextmanager(lambda count: iter([_DeadHelpers()])))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        day = date(2025, 7, 10)
        alone = publishing.publish_periods(con, periods, tmp_path / "a", "run", day, workers=1)
        rescued = publishing.publish_periods(con, periods, tmp_path / "b", "run", day, workers=2)
    pairs = list(zip(_files(rescued), _files(alone), strict=True))
    differ = [
        (a[0], a[1] == b[1], [x["name"] for x, y in zip(a[2], b[2], strict=False) if x != y])
        for a, b in pairs
    ]
    assert _files(rescued) == _files(alone), f"(period, same data version, files that differ): {differ}"


def test_a_period_that_fails_to_render_does_not_hold_back_the_others(published, tmp_path: Path, monkeypatch):
    warehouse, _ = published
    out = tmp_path / "reports"
    render = publishing.render_all

    def fails_for_q1(report, *args, **kwargs):
        if report.period.key == "2025-Q1":
            raise OSError("disk full")
        return render(report, *args, **kwargs)

    monkeypatch.setattr(publishing, "render_all", fails_for_q1)
    with duckdb.connect(str(warehouse), read_only=True) as con, pytest.raises(OSError, match="disk full"):
        publishing.publish_periods(con, ["2025-Q1", "2025-Q2"], out, "run", workers=1)
    assert sorted(p.name for p in out.iterdir()) == [".editions", "2025-Q2"]  # Q1: nothing, no scratch left
    assert read_manifest(out / "2025-Q2")["period_key"] == "2025-Q2"


def test_the_index_lists_every_published_period_newest_first(published):
    _, reports = published
    html = write_index(reports).read_text(encoding="utf-8")
    assert html.index('data-period="2025-Q2"') < html.index('data-period="2025-Q1"')
    assert 'href="2025-Q1/bao-cao-2025-Q1.docx"' in html


@pytest.mark.parametrize(
    ("kind", "day", "start", "expected"),
    [
        (
            "quarter",
            10,
            datetime(2025, 9, 1),
            [("2025-10-10", "2025-Q3"), ("2026-01-10", "2025-Q4"), ("2026-04-10", "2026-Q1")],
        ),
        ("nine_months", 12, datetime(2025, 1, 1), [("2025-10-12", "2025-9M"), ("2026-10-12", "2026-9M")]),
        ("year", 15, datetime(2025, 6, 1), [("2026-01-15", "2025-Y"), ("2027-01-15", "2026-Y")]),
    ],
)
def test_schedules_fire_after_each_period_in_vietnam_time(kind, day, start, expected):
    schedule = build_report_schedule(kind, day)
    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    times = cron_string_iterator(
        start.replace(tzinfo=zone).timestamp(), schedule.cron_schedule, schedule.execution_timezone
    )
    for when_expected, period in expected:
        when = next(times)
        assert (when.date().isoformat(), when.hour, when.tzinfo.key) == (when_expected, 7, "Asia/Ho_Chi_Minh")
        request = schedule.evaluate_tick(build_schedule_context(scheduled_execution_time=when)).run_requests[
            0
        ]
        assert request.run_config == publish_run_config([period])


def test_the_quarter_just_ended():
    assert quarter_just_ended(date(2026, 1, 10)) == "2025-Q4"
    assert quarter_just_ended(date(2025, 4, 1)) == "2025-Q1"
    assert quarter_just_ended(date(2025, 12, 31)) == "2025-Q3"


def test_the_publish_job_publishes_one_period_and_refuses_one_without_data(pipeline_run, tmp_path: Path):
    settings, _ = pipeline_run
    job = build_definitions(settings).resolve_job_def("publish_reports_job")
    result = job.execute_in_process(
        instance=DagsterInstance.ephemeral(), run_config=publish_run_config(["2025-Q2"], force=True)
    )
    assert result.success
    (materialization,) = result.get_asset_materialization_events()
    assert materialization.materialization.metadata["published"].value == ["2025-Q2"]
    failed = job.execute_in_process(
        instance=DagsterInstance.ephemeral(), run_config=publish_run_config(["2025-Q4"]), raise_on_error=False
    )
    assert not failed.success
    message = next(e for e in failed.all_events if e.is_step_failure).step_failure_data.error.message
    assert "2025-Q4 chưa có số liệu" in message


def test_every_finding_rule_has_a_vietnamese_title_for_the_annex():
    from pipelines.quality.suites import load_suites

    rules = [e["meta"] for suite in load_suites(tier="findings") for e in suite.expectations]
    assert rules and all(m.get("title_vi") and m["title_vi"] != m["rule_code"] for m in rules)


# Vietnamese alphabetical order written here independently of ICU: the letters in the order of the
# alphabet (ă, â after a; đ after d; ê after e; ô, ơ after o; ư after u), then the tones
# (none, huyền, hỏi, ngã, sắc, nặng) as a second key.
_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_LETTER_MARKS = {
    ("a", "\u0306"): "ă",
    ("a", "\u0302"): "â",
    ("e", "\u0302"): "ê",
    ("o", "\u0302"): "ô",
    ("o", "\u031b"): "ơ",
    ("u", "\u031b"): "ư",
}


def _vietnamese_key(text: str) -> tuple:
    letters, tones = [], []
    for char in text.lower():
        if char == "đ":
            letters.append(_ALPHABET.index("đ"))
            tones.append(0)
            continue
        base, *marks = unicodedata.normalize("NFD", char)
        tone = 0
        for mark in marks:
            if mark in _TONES:
                tone = _TONES[mark]
            else:
                base = _LETTER_MARKS.get((base, mark), base)
        letters.append(_ALPHABET.index(base) if base in _ALPHABET else -1 if base == " " else 100 + ord(base))
        tones.append(tone)
    return tuple(letters), tuple(tones)


def test_communes_are_listed_in_vietnamese_alphabetical_order(published):
    warehouse, _ = published
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [
            n
            for (n,) in con.execute(
                "select commune_name from marts.dim_commune order by name_order"
            ).fetchall()
        ]
        report = build_report(con, "2025-Q3")
    assert names == sorted(names, key=_vietnamese_key)
    assert any(n.startswith("Đ") for n in names) and any(n.startswith("Y") for n in names)
    assert max(i for i, n in enumerate(names) if n.startswith("Đ")) < min(
        i for i, n in enumerate(names) if n[0] in "EGHY"
    )
    assert [c.commune_id for c in report.communes] == [
        cid
        for (cid,) in duckdb.connect(str(warehouse), read_only=True)
        .execute("select commune_id from marts.dim_commune order by name_order")
        .fetchall()
    ]


def test_ranks_are_competition_ranks_printed_with_their_ties_and_count(published):
    warehouse, _ = published
    with duckdb.connect(str(warehouse), read_only=True) as con:
        lines = [line for line in build_report(con, "2025-Q2").service_index if line.rank is not None]
    assert any(line.tied for line in lines), "the small sample has tied communes in 2025-Q2"
    for place, line in enumerate(lines, start=1):
        ahead = [other for other in lines if round(other.total, 2) > round(line.total, 2)]
        same = [other for other in lines if round(other.total, 2) == round(line.total, 2)]
        assert line.rank == len(ahead) + 1
        assert line.tied == (len(same) > 1)
        assert line.ranked_count == len(lines)
        assert line.rank_text == (
            f"Đồng hạng {line.rank}/{len(lines)}" if line.tied else f"{line.rank}/{len(lines)}"
        )
        assert line.rank <= place


def test_an_unknown_period_is_refused_at_once_with_the_known_ones(pipeline_run, monkeypatch, capsys):
    from pipelines.cli import main
    from pipelines.settings import get_settings

    settings, _ = pipeline_run
    monkeypatch.setenv("CDS_SOURCES_DIR", str(settings.sources_dir))
    monkeypatch.setenv("CDS_OUTPUTS_DIR", str(settings.outputs_dir))
    monkeypatch.setenv("DAGSTER_HOME", str(settings.outputs_dir.parent / "dagster_home"))
    get_settings.cache_clear()  # read from the variables above, not from an earlier test's environment
    try:
        refused = main(["report", "--period", "2025-Q9", "--period", "2025-Q1"])
    finally:
        get_settings.cache_clear()
    assert refused == 2
    error = capsys.readouterr().err
    assert "2025-Q9" in error and "Các kỳ có số liệu: 2025-Q1, 2025-Q2" in error
    assert "Traceback" not in error and "2025-Q1," in error


def test_the_run_summary_lists_publications_in_calendar_order_and_marks_the_new(published, capsys):
    from pipelines.cli import _print_publications, _published_versions

    _, reports_dir = published
    versions = _published_versions(reports_dir)
    assert set(versions) >= {"2025-Q1", "2025-Q2"}
    earlier = {**versions, "2025-Q1": ("an older data version", versions["2025-Q1"][1])}
    _print_publications(reports_dir, before=earlier, failed=True)
    lines = capsys.readouterr().out.splitlines()
    printed = [line.split()[0] for line in lines[1:]]
    order = ["2025-Q1", "2025-Q2", "2025-6M", "2025-Q3", "2025-9M", "2025-Q4", "2025-Y"]
    assert printed == [p for p in order if p in versions]
    assert "this run failed" in lines[0]
    assert [line.split()[1] == "new" for line in lines[1:]] == [p == "2025-Q1" for p in printed]


def test_every_sheet_prints_on_a4_one_page_wide_with_its_header_repeated(published):
    _, reports = published
    workbook = openpyxl.load_workbook(reports / "2025-Q1" / file_names("2025-Q1")["report_xlsx"])
    for sheet in workbook.worksheets:
        assert sheet["A1"].value, sheet.title  # the table still starts at A1 for programs reading it
        assert sheet.print_title_rows == "$1:$1", sheet.title
        assert sheet.print_area.endswith(f"${sheet.max_row}"), sheet.title
        assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4
        # one page wide: fitToWidth absent is the schema's default, 1 (ECMA-376 §18.3.1.64)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth in (None, 1)
        assert sheet.page_setup.fitToHeight == 0
        assert "SỞ KHOA HỌC VÀ CÔNG NGHỆ" in sheet.oddHeader.left.text
        assert sheet.oddHeader.center.text.startswith("Quý I năm 2025: ")
        assert "&P" in sheet.oddFooter.right.text


def test_reporting_views_are_rebuilt_only_when_the_project_or_a_view_changed(pipeline_run, tmp_path):
    """The run built the views and recorded the project's version with their SQL: the next run may leave
    them. A view made again by another hand, or a changed project, no longer matches, and they are rebuilt."""
    from pipelines.resources import WarehouseResource
    from pipelines.warehouse.dbt import _reporting_version, _views_current, reporting_dbt_assets

    settings, result = pipeline_run
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(settings.warehouse_path, copy)
    warehouse = WarehouseResource(path=str(copy), memory_limit="1GB")
    views = sorted(reporting_dbt_assets.keys, key=lambda k: k.path)
    assert len(views) == 7
    assert _views_current(warehouse, views, _reporting_version(str(settings.warehouse_path)))
    assert not _views_current(warehouse, views, _reporting_version(str(copy)))  # another warehouse
    with duckdb.connect(str(copy)) as con:  # a view made again by another hand
        con.execute(
            "create or replace view reporting.service_index_groups as "
            "select * from reference.ref_service_index_criteria where false"
        )
    assert not _views_current(warehouse, views, _reporting_version(str(settings.warehouse_path)))


@pytest.mark.parametrize(
    ("due_on", "withheld", "issued_on", "final", "reason_has"),
    [
        (
            date(2025, 10, 10),
            0,
            date(2025, 10, 5),
            False,
            "trước khi hết hạn các xã gửi báo cáo ngày 10/10/2025",
        ),
        (date(2025, 10, 10), 0, date(2025, 10, 10), False, "trước khi hết hạn"),  # the due day itself
        (date(2025, 10, 10), 3, date(2025, 10, 20), False, "3 đơn vị có số liệu bị tạm giữ"),
        (date(2025, 10, 10), 3, date(2025, 10, 5), False, "trước khi hết hạn"),  # the first rule wins
        (date(2025, 10, 10), 0, date(2025, 10, 11), True, "đã hết hạn gửi báo cáo ngày 10/10/2025"),
        (None, 0, date(2025, 10, 11), True, "không còn số liệu bị tạm giữ"),
    ],
)
def test_a_period_is_final_once_its_due_date_passed_and_nothing_is_held(
    due_on, withheld, issued_on, final, reason_has
):
    status = publication_status(due_on, withheld, issued_on)
    assert status.final is final
    assert reason_has in status.reason
    assert status.label == ("Chính thức" if final else "Tạm thời")


def test_every_format_states_the_status_and_the_rule_that_decided_it(published):
    _, reports = published
    manifest = json.loads((reports / "2025-Q1" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] in {"final", "provisional"} and manifest["status_reason"]
    reason = manifest["status_reason"]
    html = (reports / "2025-Q1" / file_names("2025-Q1")["report_html"]).read_text(encoding="utf-8")
    assert reason in html
    document = docx.Document(str(reports / "2025-Q1" / file_names("2025-Q1")["report_docx"]))
    assert any(reason in p.text for p in document.paragraphs)
    workbook = openpyxl.load_workbook(reports / "2025-Q1" / file_names("2025-Q1")["report_xlsx"])
    assert any(reason in str(v) for row in workbook["Thông tin"].iter_rows(values_only=True) for v in row)
    assert reason in (reports / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("kind", "value", "previous", "expected"),
    [
        ("rate", 73.24, 71.32, "+1,92 điểm %"),
        ("rate", 98.89, 98.95, "-0,06 điểm %"),
        ("rate", 50.0, 50.0, "0,00 điểm %"),
        ("count", 20_650, 20_006, "+3,2 %"),
        ("count", 19_000, 20_000, "-5,0 %"),
        ("count", 12, 0, "-"),
        ("flag", 1, 0, "-"),
        ("rate", None, 50.0, "-"),
    ],
)
def test_the_change_is_in_percentage_points_for_rates_and_per_cent_for_counts(
    kind, value, previous, expected
):
    indicator = Indicator("X", "x", "%", kind, None, None, "system")
    assert change_text(indicator, value, previous) == expected


def test_the_summary_names_the_rates_that_moved_most_as_recomputed_from_the_mart(published):
    """The three largest improvements and declines of the province's rates, by each rate's direction,
    recomputed from reporting.published_figures, are the ones the summary names, in that order."""
    warehouse, reports = published
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            """select f.indicator_code, f.period_key, f.value, i.name_vi, i.higher_is_better
               from reporting.published_figures f join marts.dim_indicator i using (indicator_code)
               where f.scope = 'province' and f.period_key in ('2025-Q1', '2025-Q2') and i.kind = 'rate'
                 and i.higher_is_better is not null and i.reported_on in ('form', 'system')"""
        ).fetchall()
        report = build_report(con, "2025-Q2")
    values: dict[str, dict[str, float]] = {}
    names, better = {}, {}
    for code, period, value, name, higher in rows:
        values.setdefault(code, {})[period] = value
        names[code], better[code] = name, higher
    gains = []
    for code, by_period in values.items():
        if by_period.get("2025-Q1") is None or by_period.get("2025-Q2") is None:
            continue
        delta = round(round(by_period["2025-Q2"], 2) - round(by_period["2025-Q1"], 2), 2)
        if delta:
            gains.append((delta if better[code] else -delta, code))
    gains.sort(key=lambda g: (-g[0], g[1]))
    best = [names[c] for gain, c in gains if gain > 0][:3]
    worst = [names[c] for gain, c in reversed(gains) if gain < 0][:3]
    assert best or worst

    points = summary_points(report)
    for title, expected in (("Chuyển biến tốt nhất", best), ("Chuyển biến kém nhất", worst)):
        line = next((p for p in points if p.startswith(title)), "")
        positions = [line.find(name[0].lower() + name[1:]) for name in expected]
        assert all(p >= 0 for p in positions) and positions == sorted(positions), (title, expected, line)
    html = (reports / "2025-Q2" / file_names("2025-Q2")["report_html"]).read_text(encoding="utf-8")
    assert all(escape(p) in html for p in points)
    assert points[-1].startswith("Kiểm tra số liệu: còn")


def test_the_signature_block_comes_from_the_settings(published, tmp_path: Path):
    from pipelines.reports.text import letterhead_for
    from pipelines.resources import build_resources
    from pipelines.settings import Settings

    settings = Settings.from_env(
        {"CDS_SIGNER_NAME": "Nguyễn Văn A", "CDS_SIGNER_ROLE": "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"}
    )
    publication = build_resources(settings)["publication"]
    letterhead = letterhead_for(publication.signer_name, publication.signer_role)
    assert letterhead.signer_name == "Nguyễn Văn A"
    assert letterhead_for() == LETTERHEAD  # empty settings keep the placeholder for the clerk

    warehouse, _ = published
    out = tmp_path / "reports"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        default = publish_period(con, "2025-Q1", out, "run-1", today=date(2025, 4, 10))
        signed = publish_period(con, "2025-Q1", out, "run-2", today=date(2025, 4, 10), letterhead=letterhead)
    # a new signer is a new version of the document, with the name in both formats
    assert signed.changed and signed.manifest["data_version"] != default.manifest["data_version"]
    names = file_names("2025-Q1")
    document = docx.Document(str(out / "2025-Q1" / names["report_docx"]))
    closing = "\n".join(c.text for t in document.tables for c in t._cells)
    assert "Nguyễn Văn A" in closing and "(Họ và tên người ký)" not in closing
    assert "Nguyễn Văn A" in (out / "2025-Q1" / names["report_html"]).read_text(encoding="utf-8")


def test_the_data_version_is_the_hash_of_the_whole_model_as_before(pipeline_run):
    """The fingerprint (a publication's data version) walks the model without `dataclasses.asdict`'s deep
    copy, and must print the same text: a changed version would republish every period unchanged."""
    from dataclasses import asdict

    settings, _ = pipeline_run
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        for period in ("2025-Q1", "2025-9M"):
            report = build_report(con, period)
            text = json.dumps(asdict(report), sort_keys=True, default=str, ensure_ascii=False)
            assert report.findings and report.fingerprint == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_a_sheets_cells_are_typed_and_its_printed_header_fits_excels_limit(tmp_path: Path):
    """The workbook writer on its own: text that starts like a formula is a quoted string, an empty text is
    an empty cell, numbers and dates keep their formats, «Tạm giữ» is grey; a page title with `&` prints
    the character, and one too long for Excel's 255-character header is shortened, not dropped."""
    from types import SimpleNamespace

    from pipelines.reports.text import WITHHELD
    from pipelines.reports.xlsx import DATE, INTEGER, Column, Sheet, write_sheets

    rows = [["=SUM(A1:A9)", 1059, date(2025, 4, 1)], ["", None, None], [WITHHELD, (0.9982, "0.00%"), None]]
    sheet = Sheet("Bảng", [Column("Tên"), Column("Số", INTEGER), Column("Ngày", DATE)], rows)
    report = SimpleNamespace(period=SimpleNamespace(label="Quý I năm 2025"))
    title = "Xã A & B: " + "rất dài " * 40
    write_sheets([(sheet, title)], report, date(2025, 4, 15), tmp_path / "b.xlsx")

    ws = openpyxl.load_workbook(tmp_path / "b.xlsx")["Bảng"]
    formula = ws["A2"]
    assert formula.value == "=SUM(A1:A9)" and formula.data_type == "s" and formula.quotePrefix
    assert ws["B2"].value == 1059 and ws["B2"].number_format == INTEGER
    assert ws["C2"].value == datetime(2025, 4, 1) and ws["C2"].number_format == DATE
    assert ws["A3"].value is None and not ws["A3"].quotePrefix
    held = ws["A4"]
    assert held.value == WITHHELD and held.font.i and held.fill.fgColor.rgb.endswith("E7E6E6")
    assert ws["B4"].value == 0.9982 and ws["B4"].number_format == "0.00%"
    assert ws["A1"].font.b and ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:C4"
    assert ws.print_area.endswith("$4") and ws.print_title_rows == "$1:$1"
    center = ws.oddHeader.center.text
    assert center.startswith("Xã A && B: rất dài") and len(center) < len(title)
