"""The review sheet of a period: every figure read out of the communes' narrative reports that waits for a
person's decision, as an XLSX to fill in (`xem-xet-<period>.xlsx`) and an HTML page to read
(`xem-xet-<period>.html`). A filled sheet put back under `sources/reviews/` is read like
`expectations/reviewed_figures.csv` (pipelines/narrative/reviews.py)."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from io import BytesIO
from pathlib import Path

import duckdb
from markupsafe import Markup, escape
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation

from pipelines.core.vietnamese import format_number, period_label
from pipelines.core.zipfiles import write_reproducible_zip
from pipelines.narrative.describe import ROLE_VI
from pipelines.narrative.reviews import SHEET_COLUMNS, SHEET_NAME

_PENDING = """
select figure_key, commune_id, source_file, position, printed, value, proposed_indicator_code, role,
    role_cue, confidence, review_reason, evidence_sentence
from marts.fct_figure_review
where status = 'pending' and period_key = ?
order by commune_id, source_file, figure_key
"""
_REASONS_VI = {
    "confidence": "độ tin cậy thấp",
    "role": "vai trò chưa chắc chắn",
    "noun": "đơn vị tính không khớp chỉ tiêu",
    "no_noun": "số không kèm đơn vị tính",
    "approximate": "số ước tính (khoảng, gần, hơn…)",
    "conflict": "báo cáo nêu số khác cho cùng chỉ tiêu",
    "quoted": "số trong thư trước được trích lại",
    "layout": "bảng bị tách mỗi ô một dòng (chép từ PDF)",
    "read_before_roles": "đọc bằng phiên bản cũ",
    "broken_number": "số bị tách hoặc hỏng khi quét (kiểm tra lại các chữ số)",
    "ocr": "số đọc từ bản quét có chữ thay chữ số (kiểm tra lại các chữ số)",
    "number_in_words": "số viết lẫn chữ và số (2 trăm 15)",
    "range": "số là đầu trên của một khoảng (từ 95 đến 97%)",
}


def pending_reviews(con: duckdb.DuckDBPyConnection, period_key: str) -> list[dict]:
    """Figures of this period waiting for review (none in a warehouse built before the review queue)."""
    try:
        cursor = con.execute(_PENDING, [period_key])
    except duckdb.CatalogException:
        return []
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def reviews_fingerprint(rows: list[dict]) -> str:
    return hashlib.sha256(json.dumps(rows, default=str, sort_keys=True).encode()).hexdigest()


def _reasons(text: str | None) -> str:
    return ", ".join(_REASONS_VI.get(r, r) for r in (text or "").split(",") if r)


def _cells(row: dict) -> list[object]:
    role = ROLE_VI.get(row["role"], row["role"])
    return [
        row["figure_key"],
        row["commune_id"],
        Path(row["source_file"]).name,
        row["position"],
        row["evidence_sentence"],
        row["printed"],
        row["proposed_indicator_code"],
        role + (f" («{row['role_cue']}»)" if row["role_cue"] else ""),
        format_number(row["confidence"], 2),
        _reasons(row["review_reason"]),
    ]


def write_review_sheet(rows: list[dict], period_key: str, issued_on: date, path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    sheet.append([f"Số liệu trích từ báo cáo của các xã chờ xem xét – {period_label(period_key)}"])
    sheet.append(
        [
            "Điền cột K (chấp nhận / loại / đổi chỉ tiêu), L (mã chỉ tiêu đúng khi đổi), M, N, O; "
            "rồi đặt tệp vào thư mục sources/reviews/. Số liệu chưa được quyết định không đưa vào kho."
        ]
    )
    sheet.append(list(SHEET_COLUMNS))
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        sheet.append(_cells(row) + [None] * 5)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text from the reports is never a formula
                cell.quotePrefix = cell.value[:1] in "=+-@\t\r"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    decisions = DataValidation(
        type="list",
        formula1='"chấp nhận,loại,đổi chỉ tiêu"',
        allow_blank=True,
        promptTitle="Quyết định",
        prompt="chấp nhận: đưa số liệu vào kho; loại: bỏ; đổi chỉ tiêu: ghi mã đúng ở cột L",
    )
    sheet.add_data_validation(decisions)
    if rows:
        decisions.add(f"K4:K{3 + len(rows)}")
    widths = (16, 9, 22, 14, 60, 18, 22, 22, 8, 22, 16, 16, 16, 12, 30)
    for column, width in zip("ABCDEFGHIJKLMNO", widths, strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "B4"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    buffer = BytesIO()
    workbook.save(buffer)
    write_reproducible_zip(buffer.getvalue(), path, datetime.combine(issued_on, datetime.min.time()))


def review_page(rows: list[dict], period_key: str) -> str:
    """The same rows as a page to read, the figure highlighted in its sentence (all text escaped)."""
    lines = [
        "<!doctype html>",
        '<html lang="vi"><head><meta charset="utf-8">',
        f"<title>Số liệu chờ xem xét – {escape(period_label(period_key))}</title>",
        "<style>body{font-family:'Times New Roman',serif;margin:2em}"
        "table{border-collapse:collapse;width:100%}"
        "td,th{border:1px solid #999;padding:4px;vertical-align:top}mark{background:#ffe08a}"
        "tr{break-inside:avoid}</style></head><body>",
        f"<h1>Số liệu trích từ báo cáo chờ xem xét – {escape(period_label(period_key))}</h1>",
        f"<p>{len(rows)} số liệu chờ quyết định. Điền tệp <code>xem-xet-{escape(period_key)}.xlsx</code> và "
        "đặt vào <code>sources/reviews/</code>.</p>",
        "<table><thead><tr>"
        + "".join(f"<th>{escape(c)}</th>" for c in SHEET_COLUMNS[:10])
        + "</tr></thead><tbody>",
    ]
    for row in rows:
        cells = [escape(str(c)) for c in _cells(row)]
        sentence, printed = str(row["evidence_sentence"]), str(row["printed"])
        at = sentence.find(printed)
        if at >= 0:
            cells[4] = (
                escape(sentence[:at])
                + Markup("<mark>")
                + escape(printed)
                + Markup("</mark>")
                + escape(sentence[at + len(printed) :])
            )
        lines.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    lines.append("</tbody></table></body></html>\n")
    return "\n".join(lines)
