"""The publications as a reader gets them: opened in headless Chromium with the network cut off, and printed
to PDF. Scorecards are one A4 page per commune, no table row splits across pages, the motto stays on one line,
pages are numbered from page 2, and GX Data Docs show their validation rows offline.

Chromium is installed from Debian's packages when missing (`tests/browser.py`); where it cannot be, these
tests are skipped and say why. `CDS_UPDATE_SCREENSHOTS=1` writes the README's screenshots to
docs/screenshots/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader

from pipelines.quality.data_docs import ASSETS_DIR, AssetMap, localise_page, verify_assets

from .browser import dump_dom, install_chromium, pdf_pages, print_pdf, screenshot

SCREENSHOTS = Path(__file__).parent.parent / "docs" / "screenshots"
A4_POINTS = (595, 842)


@pytest.fixture(scope="session")
def chromium() -> str:
    path, why = install_chromium()
    if path is None:
        pytest.skip(f"Chromium is not available ({why}): the print and offline tests are skipped")
    return path


@pytest.fixture(scope="module")
def outputs(pipeline_run) -> Path:
    settings, result = pipeline_run
    assert result.success
    return settings.outputs_dir


def _periods(outputs: Path) -> list[Path]:
    folders = sorted(p for p in (outputs / "reports").iterdir() if p.is_dir() and not p.name.startswith("."))
    assert folders, "no period was published"
    return folders


def _squeezed(text: str) -> str:
    """pypdf puts spaces around Vietnamese letters with combining marks; compare text without whitespace."""
    return re.sub(r"\s+", "", text)


# --- rows that split across pages ---------------------------------------------------------------------------

MARKER = "position:absolute;font-size:2px"
_ROW = re.compile(r"(<tr\b[^>]*>)(.*?)(</tr>)", re.DOTALL)


def _mark_rows(html: str) -> tuple[str, int]:
    """The page with a marker at the start of each data row's first cell and under the last line of its last
    cell, positioned absolutely so that it takes no room (the end marker as a block, at the cell's left edge,
    so that it never lies past the page's right edge): a row whose two markers print on different pages was
    split."""
    count = 0

    def mark(match: re.Match[str]) -> str:
        nonlocal count
        cells = match.group(2)
        if "<td" not in cells:
            return match.group(0)
        count += 1
        start = f'<span style="{MARKER}">QQS{count:05d}QQ</span>'
        end = f'<span style="{MARKER};display:block;line-height:2px">QQE{count:05d}QQ</span>'
        first = re.search(r"<td\b[^>]*>", cells)
        cells = cells[: first.end()] + start + cells[first.end() :]
        last = cells.rfind("</td>")
        cells = cells[:last] + end + cells[last:]
        return match.group(1) + cells + match.group(3)

    body_start = html.find("<body")
    return html[:body_start] + _ROW.sub(mark, html[body_start:]), count


@dataclass(frozen=True)
class Printed:
    pdf: Path
    pages: list[str]  # each page's text
    rows: int  # data rows marked
    split: list[int]  # the rows whose start and end print on different pages


def _print_marked(chromium: str, page: Path, pdf: Path) -> Printed:
    """`page` printed once with its rows marked (the markers take no room: the layout is the page's own)."""
    marked, count = _mark_rows(page.read_text(encoding="utf-8"))
    copy = page.with_name(f".marked-{page.name}")
    copy.write_text(marked, encoding="utf-8")
    try:
        pages = pdf_pages(print_pdf(chromium, copy, pdf))
    finally:
        copy.unlink()
    where: dict[str, int] = {}
    for number, text in enumerate(pages):
        for kind, row in re.findall(r"QQ([SE])(\d{5})QQ", _squeezed(text)):
            where[f"{kind}{row}"] = number
    missing = [n for n in range(1, count + 1) if f"S{n:05d}" not in where or f"E{n:05d}" not in where]
    assert not missing, f"{page.name}: rows {missing[:10]} not found in the PDF"
    split = [n for n in range(1, count + 1) if where[f"S{n:05d}"] != where[f"E{n:05d}"]]
    return Printed(pdf, pages, count, split)


@pytest.fixture(scope="module")
def printed(chromium, outputs: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Printed]:
    """Every HTML publication of every period, and the index, printed once."""
    folder = tmp_path_factory.mktemp("printed")
    pages = [p for period in _periods(outputs) for p in sorted(period.glob("*.html"))]
    pages.append(outputs / "reports" / "index.html")
    return {page: _print_marked(chromium, page, folder / f"{page.stem}.pdf") for page in pages}


def test_the_row_split_detector_sees_a_split_row(chromium, tmp_path: Path):
    """The bad case: rows taller than what is left of the page, with nothing to keep them whole."""
    rows = "".join(f"<tr><td>{n}</td><td>{'dòng chữ rất dài cho ô này ' * 40}</td></tr>" for n in range(1, 9))
    page = tmp_path / "split.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<style>@page {{ size: A4; }} td {{ border: 1px solid; }}</style></head>"
        f'<body><table class="data"><tbody>{rows}</tbody></table></body></html>',
        encoding="utf-8",
    )
    result = _print_marked(chromium, page, tmp_path / "split.pdf")
    assert result.rows == 8
    assert result.split, "a row taller than the page's remainder must be seen split"


def test_no_table_row_splits_across_pages(printed: dict[Path, Printed]):
    for page, result in printed.items():
        assert not result.split, f"{page.name}: rows {result.split} split across pages"
    assert sum(result.rows for result in printed.values()) > 100


# --- the documents ------------------------------------------------------------------------------------------


def test_each_scorecard_prints_on_one_a4_page(printed: dict[Path, Printed]):
    scorecards = {page: result for page, result in printed.items() if page.name.startswith("phieu-xa-")}
    assert scorecards
    for page, result in scorecards.items():
        communes = page.read_text(encoding="utf-8").count('<section class="scorecard"')
        assert len(result.pages) == communes, (
            f"{page.name}: {len(result.pages)} pages for {communes} communes"
        )
        for number, text in enumerate(result.pages, 1):
            assert _squeezed(text).count("PHIẾUKẾTQUẢ") == 1, f"{page.name} page {number}"
        for box in (p.mediabox for p in PdfReader(result.pdf).pages):
            assert (round(float(box.width)), round(float(box.height))) == A4_POINTS


def test_the_report_prints_on_a4_numbered_from_page_2_with_the_motto_on_one_line(
    chromium, outputs: Path, tmp_path: Path
):
    folder = _periods(outputs)[-1]
    report = next(folder.glob("bao-cao-*.html"))
    pages = pdf_pages(print_pdf(chromium, report, tmp_path / "report.pdf"))
    assert len(pages) >= 2
    assert not pages[0].lstrip().startswith("1\n"), "no page number on the first page"
    for number, text in enumerate(pages[1:], 2):
        assert text.lstrip().split("\n", 1)[0].strip() == str(number), f"page {number} has no page number"
    motto_lines = [line for line in pages[0].split("\n") if "CỘNGHÒA" in _squeezed(line)]
    assert motto_lines and "VIỆTNAM" in _squeezed(motto_lines[0]), motto_lines


# --- Data Docs offline --------------------------------------------------------------------------------------


def _validation_rows(chromium: str, index: Path) -> int:
    """Rows the index's validation table shows (bootstrap-table writes them with its scripts, 10 a page)."""
    return len(re.findall(r'<tr\b[^>]*\bdata-href="validations/', dump_dom(chromium, index)))


def test_data_docs_show_their_validation_rows_offline(chromium, outputs: Path, tmp_path: Path):
    index = outputs / "data_docs" / "index.html"
    html = index.read_text(encoding="utf-8")
    assert not re.search(r'<(script|link|img)\b[^>]*\b(src|href)="https?://', html)
    validations = len(list((outputs / "data_docs" / "validations").rglob("*.html")))
    assert _validation_rows(chromium, index) == min(validations, 10)

    # the bad case: the same page loading its assets from the CDNs, as GX writes it, shows no row offline
    replace = json.loads((ASSETS_DIR / "assets.json").read_text(encoding="utf-8"))["replace"]
    online = html
    for url, local in replace.items():
        online = online.replace(f'"static/vendor/{local}"', f'"{url}"')
    copy = index.with_name(".online-index.html")
    copy.write_text(online, encoding="utf-8")
    try:
        assert _validation_rows(chromium, copy) == 0
    finally:
        copy.unlink()


def test_screenshots_of_the_report_and_a_scorecard(chromium, outputs: Path, tmp_path: Path):
    target = SCREENSHOTS if os.environ.get("CDS_UPDATE_SCREENSHOTS") == "1" else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    folder = _periods(outputs)[-1]
    for stem, name in (("bao-cao", "report-first-page.png"), ("phieu-xa", "scorecard.png")):
        png = screenshot(chromium, next(folder.glob(f"{stem}-*.html")), target / name)
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


# --- Data Docs assets, without a browser --------------------------------------------------------------------


def test_the_vendored_assets_match_their_recorded_hashes(tmp_path: Path):
    assert verify_assets() == []
    copy = tmp_path / "assets"
    shutil.copytree(ASSETS_DIR, copy)
    (copy / "js" / "jquery.min.js").write_text("window.jQuery = null;", encoding="utf-8")
    assert verify_assets(copy) == ["js/jquery.min.js"]


def test_a_page_is_pointed_at_local_assets_and_loses_unknown_ones():
    assets = AssetMap.load()
    jquery = "https://code.jquery.com/jquery-3.7.1.min.js"
    page = (
        f'<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>'
        f'<script src="{jquery}" integrity="sha384-x" crossorigin="anonymous"></script>'
        '<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>'
        '<script src="https://evil.example/tracker.js"></script>'
        '<img src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=1">'
        '<a href="https://greatexpectations.io">GX</a>'
    )
    html, removed = localise_page(page, "../", assets)
    assert '<script src="../static/vendor/js/jquery.min.js"></script>' in html
    assert 'href="../static/vendor/css/bootstrap.min.css"' in html
    assert 'src="../static/images/logo-long.png"' in html
    assert "vega" not in html and "evil.example" not in html and "integrity" not in html
    assert '<a href="https://greatexpectations.io">' in html  # a link loads nothing by itself
    assert removed == {"https://evil.example/tracker.js"}


def test_published_data_docs_load_nothing_from_the_internet(outputs: Path):
    pages = list((outputs / "data_docs").rglob("*.html"))
    assert len(pages) > 5
    external = re.compile(
        r'<(?:script|img)\b[^>]*\bsrc="https?://|<link\b[^>]*\bhref="https?://|url\([\'"]?https?://'
    )
    for page in pages:
        assert not external.search(page.read_text(encoding="utf-8")), page
    assert not verify_assets(), "the vendored copies changed"
    assert (outputs / "data_docs" / "static" / "vendor" / "js" / "bootstrap-table.min.js").is_file()
