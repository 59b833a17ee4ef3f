"""A narrative report in, its facts, figures and cited dates out: the pure part of `cds extract` and of the
`raw/narrative_reports` ingest asset.

`extract_report` reads the file (DOCX, PDF, TXT), tells the commune and the period, finds every figure in
reading order (paragraphs, table rows, footnotes) and maps it to an indicator through the catalogue's
keywords. A report whose commune cannot be told is refused with an `IngestError` that names the file and the
unit as written; everything else is kept, unmapped figures included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import groupby, takewhile
from pathlib import Path

from pipelines.core.vietnamese import name_key
from pipelines.ingest.register import IngestError
from pipelines.narrative.facts import (
    PROVINCE,
    CitedDate,
    DocumentFacts,
    UnknownCommune,
    cited_dates,
    document_facts,
)
from pipelines.narrative.figures import (
    PARENTHESIS,
    TABLE_PART_CUE,
    UNIT_COLUMNS,
    Figure,
    KeywordRule,
    find_figures,
    indicator_stocks,
    indicator_units,
    is_total_row,
    is_value,
    judge_figures,
    keyword_rules,
    map_figures,
    review_conflicts,
    role_rules,
    sentence_at,
    table_figures,
    topic_words,
)
from pipelines.narrative.readers import Block, ReportDocument, read_report
from pipelines.reference import CommuneResolver, read_seed, resolver_for

_REFUSALS = {
    "commune_of_another_province": (
        "báo cáo của đơn vị ngoài tỉnh ({written}): không thuộc phạm vi tổng hợp",
        "report of a unit of another province ({written})",
    ),
    "unknown_commune": (
        "không xác định được đơn vị báo cáo '{written}' trong danh mục xã, phường, đặc khu",
        "unknown commune {written!r}",
    ),
    "commune_not_found": (
        "không tìm thấy tên xã, phường, đặc khu ở phần đầu báo cáo",
        "no commune named in the letterhead or opening",
    ),
}


@dataclass(frozen=True)
class Extraction:
    document: ReportDocument
    facts: DocumentFacts
    figures: tuple[Figure, ...]
    dates: tuple[CitedDate, ...]

    @property
    def path(self) -> Path:
        return self.document.path

    @property
    def mapped(self) -> tuple[Figure, ...]:
        return tuple(f for f in self.figures if f.indicator_code)


@lru_cache(maxsize=4)
def provinces_of_reference(reference_dir: Path | None = None) -> frozenset[str]:
    """This province and the former ones merged into it (a Kon Tum commune may still cite `tỉnh Kon Tum`)."""
    rows = read_seed("ref_communes", reference_dir)
    return frozenset(
        {PROVINCE} | {name_key(r[c]) for r in rows for c in ("province", "former_province") if r.get(c)}
    )


def document_figures(blocks: tuple[Block, ...]) -> list[Figure]:
    """Every figure in reading order: paragraphs and footnotes sentence by sentence, tables row by row. A
    table's header is every row above its first row of figures (a title row merged across the table, then
    the column names), read column by column."""
    figures: list[Figure] = []
    sections = Sections()
    caption = ""  # the paragraph right before a table
    for (kind, _table), group in groupby(blocks, key=lambda b: (b.kind, b.table)):
        group = list(group)
        if kind != "cell":
            caption = group[-1].text
            question = None  # the questionnaire's question an answer paragraph replies to
            outline = _Outline()
            for block in group:
                sections.read(block)
                block = outline.read(block)
                asked = _QUESTION.match(block.text)
                answer = _ANSWER.match(block.text) or (_BARE_ANSWER.match(block.text) if question else None)
                if answer and question:
                    # `Câu 1. Số hồ sơ tiếp nhận? / Trả lời: Trực tuyến 251; trực tiếp 165`, or the number
                    # alone on the next line (`530`, `- 187 hồ sơ`, `64,34%.`): the answer's terse figures
                    # are read with the question's words
                    block = replace(block, text=f"{question}: {block.text[answer.end() :]}")
                question = _asked(asked.group(1)) if asked else None
                figures.extend(sections.apply(outline.found(find_figures(block))))
            continue
        rows = [list(cells) for _, cells in groupby(group, key=lambda b: b.row)]
        header_rows = list(takewhile(lambda cells: not _figure_row(cells), rows))
        header = {
            column: " ".join(c.text for cells in header_rows for c in cells if c.cell == column)
            for column in {c.cell for cells in header_rows for c in cells}
        }
        body = rows[len(header_rows) :]
        # a total row, or a label column that names places (`Thôn`, `Tổ dân phố`, `Xã cũ`): the rows are parts
        has_total = any(is_total_row(cells) for cells in body) or any(
            _PLACES_COLUMN.fullmatch(name_key(text)) for text in header.values()
        )
        unit = _caption_unit(caption)
        for cells in body:
            row_figures = table_figures(cells, header, unit)
            # a fraction beside the rate it makes (`99,47%` | `562/565`) is that rate's working, not a second
            # figure of it
            rates = {_stated(f) for f in row_figures if f.kind == "rate"}
            row_figures = [f for f in row_figures if f.kind != "fraction" or _stated(f) not in rates]
            # a note restating a value cell's figure (`100%`, and `39/39 người` under `Ghi chú`) is it again
            stated = {_stated(f) for f in row_figures} - {None}
            row_figures += [f for f in _prose_cell_figures(cells, header) if _stated(f) not in stated]
            if has_total and not is_total_row(cells):
                # a table with a total row: the other rows are its parts (per field, per village)
                row_figures = [
                    replace(f, role_before=f"{TABLE_PART_CUE} {f.role_before}") for f in row_figures
                ]
            figures.extend(sections.apply(row_figures))
    return figures


# A table's label column that names places: each row is one village's, group's or former commune's part
_PLACES_COLUMN = re.compile(
    r"(?:tên\s+)?(?:thôn|làng|bản|buôn|xóm|tổ dân phố|tdp|khu dân cư|thôn, làng|thôn/làng|thôn, tổ dân phố"
    r"|xã cũ|xã, phường cũ|đơn vị cũ|xã \(cũ\))"
)


# The unit a table's caption gives its figures (`Bảng 1. Hồ sơ theo tháng (đơn vị: hồ sơ)`, `ĐVT: triệu đồng`)
_CAPTION_UNIT = re.compile(r"(?:đơn vị tính|đơn vị|đvt)\s*:\s*([^()\n;,.]+?)\s*(?:[);,.]|$)", re.IGNORECASE)


def _caption_unit(caption: str) -> str | None:
    unit = _CAPTION_UNIT.search(caption)
    return unit.group(1).strip().lower() if unit else None


# A line's bullet: `-`, `+`, `•`, `–`, `*` and their kin, each kind one level of an outline
_BULLET = re.compile(r"^\s*([-+•–—*·○◦▪●►])\s*(?=[^\W\d_])")


class _Outline:
    """Bulleted lines under bulleted labels (`- Hồ sơ thủ tục hành chính:` / `+ Tiếp nhận: 1.024;` /
    `• Trực tuyến: 687 (67,09%);`): a line is read with the labels of the lines it hangs from, so that a
    figure given against a bare `Tiếp nhận:` or `Kiêm nhiệm:` has its subject. Each kind of bullet is a
    level (a kind seen again closes the levels opened after it); a line without a bullet ends the outline.
    A parent's label is its words before the colon, without its figures or asides; the counts the nearest
    parent states are what the line's own figures may be parts of (`- Trực tiếp: 1.602 hồ sơ` / `+ Tại bộ
    phận một cửa: 1.488 hồ sơ`)."""

    def __init__(self) -> None:
        self.levels: list[tuple[str, str, list[Figure]]] = []  # (bullet, label, figures) from the outermost

    def read(self, block: Block) -> Block:
        bullet = _BULLET.match(block.text)
        if not bullet:
            self.levels = []
            return block
        markers = [marker for marker, _, _ in self.levels]
        if bullet.group(1) in markers:
            del self.levels[markers.index(bullet.group(1)) :]
        body = block.text[bullet.end() :]
        parents = [label for _, label, _ in self.levels if label]
        head, colon, _ = body.partition(":")
        label = " ".join(re.sub(r"\S*\d\S*", " ", PARENTHESIS.sub(" ", head)).split()) if colon else ""
        self.levels.append((bullet.group(1), label, []))
        return replace(block, text=" - ".join([*parents, body])) if parents else block

    def found(self, figures: list[Figure]) -> list[Figure]:
        """The line's figures, each knowing the counts of the nearest parent that states any."""
        if not self.levels:
            return figures
        self.levels[-1][2].extend(figures)
        stated = next((f for _, _, f in reversed(self.levels[:-1]) if f), [])
        # the count the parent line opens with is the whole it states; the others are its asides
        whole = next((f.value for f in stated if f.kind == "count" and f.value is not None), None)
        return [replace(f, part_of=(whole,)) for f in figures] if whole is not None else figures


# A questionnaire's question (`Câu 2. Tỷ lệ hồ sơ tiếp nhận trực tuyến? …`) and the answer under it
_QUESTION = re.compile(r"^\s*(?:câu|cau)\s+\d+[.:)]?\s*(.+?)\?", re.IGNORECASE)
_ANSWER = re.compile(r"^\s*(?:trả lời|tra loi|tl)\s*[:.\-]\s*", re.IGNORECASE)
# An answer that is its number alone, perhaps after a dash and with its noun or a note (`530`, `- 187 hồ sơ`,
# `64,34%.`, `412 (số liệu hệ thống)`): the match is the dash, the rest is read with the question's words
_BARE_ANSWER = re.compile(
    r"^\s*(?:[-–+•]\s*)?(?=\d[\d.,]*\s*%?\s*(?:[^\W\d_]+\s*){0,3}(?:\([^)]*\))?\s*[.;]?\s*$)"
)


def _asked(question: str) -> str:
    """A question's words without its figures (`mức tối thiểu 50%` is the question's, read there)."""
    return " ".join(re.sub(r"\d[\d.,/]*\s*%?", " ", question).split())


def _stated(figure: Figure) -> Decimal | None:
    """A figure's value to two decimals, a fraction's as the rate it gives."""
    if figure.value is not None:
        return round(Decimal(figure.value), 2)
    if figure.numerator is not None and figure.denominator:
        return round(Decimal(figure.numerator) * 100 / Decimal(figure.denominator), 2)
    return None


def _figure_row(cells: list[Block]) -> bool:
    """A table row with figures: a cell after the first that is wholly a figure, or that states figures in
    words (`Trực tuyến: 894; trực tiếp: 420`, `1.318 hồ sơ`), as questionnaire answers in a table do."""
    return any(is_value(c.text) or _prose_figures(c, "") for c in cells[1:])


def _prose_figures(cell: Block, label: str) -> list[Figure]:
    """The figures a cell states in words, read as a paragraph that opens with the row's label."""
    if is_value(cell.text) or not re.search(r"\d", cell.text):
        return []
    paragraph = replace(cell, text=f"{label}: {cell.text}" if label else cell.text, kind="paragraph")
    return [f for f in find_figures(paragraph) if f.kind != "bare" or label]


def _prose_cell_figures(cells: list[Block], header: dict[int, str]) -> list[Figure]:
    """Figures of a row's cells that are not wholly a figure but state some (an answer, a note: `Quý III:
    64,9%; bình quân tỉnh: 68,4%`), each read with the row's label cells before it (those without digits:
    `Tổng số hồ sơ TTHC tiếp nhận`, not `Nội dung 1.1`)."""
    figures = []
    for position, cell in enumerate(cells):
        if position == 0 or name_key(header.get(cell.cell, "")) in UNIT_COLUMNS:
            continue
        label = " ".join(c.text for c in cells[:position] if c.text.strip() and not re.search(r"\d", c.text))
        labels, values = label.split(";"), cell.text.split(";")
        if len(values) > 1 and len(labels) == len(values):  # `Tỷ lệ A; tỷ lệ B | 99,61%; 0,39%`: in order
            cell = replace(
                cell, text="; ".join(f"{a.strip()}: {v.strip()}" for a, v in zip(labels, values, strict=True))
            )
            label = ""
        figures.extend(_prose_figures(cell, label))
    return figures


# A section heading: `III. PHƯƠNG HƯỚNG, NHIỆM VỤ QUÝ IV`, `2. Kiến nghị, đề xuất`, `a) Mục tiêu năm 2026`.
_HEADING = re.compile(
    r"^\s*(?:(?P<roman>[IVX]+)[.)]|(?P<arabic>\d+(?:\.\d+)*)[.)]?|(?P<letter>[a-zđ])\))\s+\S"
)
_SECTION_CUES = (
    # a section whose heading says so states plans or requests, unless it says results
    (("kết quả", "tình hình", "thực hiện", "thực trạng", "đánh giá"), ""),
    (("kiến nghị", "đề xuất", "đề nghị"), "đề nghị"),
    (
        (
            "phương hướng",
            "nhiệm vụ trọng tâm",
            "nhiệm vụ, giải pháp",
            "nhiệm vụ và giải pháp",
            "thời gian tới",
            "quý tới",
            "năm tới",
            "mục tiêu",
            "giải pháp",
            "năm sau",
            # `IV. NHIỆM VỤ NĂM 2026`, `III. KẾ HOẠCH QUÝ IV`: the tasks of a period to come
            "nhiệm vụ năm",
            "nhiệm vụ quý",
            "nhiệm vụ 6 tháng",
            "nhiệm vụ những tháng",
            "nhiệm vụ giai đoạn",
            "nhiệm vụ thời gian",
            "kế hoạch năm",
            "kế hoạch quý",
            "định hướng",
        ),
        "kế hoạch",
    ),
)
HEADING_WORDS = 16


class Sections:
    """The role cue of the section a figure sits in (a plan or request section), so that `- Cấp 10 máy tính`
    under `IV. KIẾN NGHỊ` is a request. The section's cue is the farthest before the figure: any cue of
    its own sentence wins over it."""

    def __init__(self) -> None:
        self.cues: dict[int, str] = {}
        self.topics: dict[int, str] = {}  # the words of the headings above, by level

    def read(self, block: Block) -> None:
        text = block.text.strip()
        words = text.split()
        if not words or len(words) > HEADING_WORDS or text.endswith((".", ";")):
            return
        match = _HEADING.match(text)
        if (match and match["roman"]) or (not match and text.isupper()):
            level = 1  # `III. PHƯƠNG HƯỚNG …`, or a heading in capitals
        elif match and match["arabic"]:
            level = 2 + match["arabic"].count(".")  # `2.`, `2.1.`
        elif match:
            level = 4  # `a)`
        else:
            return
        key = name_key(text)
        cue = next((cue for terms, cue in _SECTION_CUES if any(t in key for t in terms)), "")
        self.cues = {lvl: c for lvl, c in self.cues.items() if lvl < level}
        self.cues[level] = cue
        self.topics = {lvl: t for lvl, t in self.topics.items() if lvl < level}
        self.topics[level] = topic_words(key[match.end() - 1 :] if match else key)

    def apply(self, figures: list[Figure]) -> list[Figure]:
        prefix = " ".join(c for _, c in sorted(self.cues.items()) if c)
        topic = " ".join(t for _, t in sorted(self.topics.items()) if t)
        return [
            replace(f, role_before=f"{prefix} {f.role_before}" if prefix else f.role_before, topic=topic)
            for f in figures
        ]


def extract_document(
    document: ReportDocument,
    resolver: CommuneResolver | None = None,
    rules: tuple[KeywordRule, ...] | None = None,
    provinces: frozenset[str] | None = None,
    reference_dir: Path | None = None,
) -> Extraction:
    """What a report says; the reference data (communes, keywords, role cues, units) from `reference_dir`
    (the project's seeds when None) unless given."""
    path = document.path
    folder = str(reference_dir) if reference_dir else None
    resolver = resolver or resolver_for(reference_dir)
    try:
        facts = document_facts(document.blocks, resolver, provinces or provinces_of_reference(reference_dir))
    except UnknownCommune as unknown:
        vi, en = _REFUSALS[unknown.reason]
        raise IngestError(
            path,
            None,
            "commune",
            vi.format(written=unknown.written),
            en.format(written=unknown.written),
            reason=unknown.reason,
            raw_value=unknown.written,
        ) from unknown
    judged = judge_figures(
        map_figures(document_figures(document.blocks), rules or keyword_rules(folder)),
        role_rules(folder),
        indicator_units(folder),
        period_key=facts.period_key,
        stocks=indicator_stocks(folder),
        counted_until=facts.coverage_end or _period_end(facts.period_key),
    )
    figures = review_conflicts(_other_communes(judged, resolver, facts.commune_id))
    dates = cited_dates(document.blocks, lambda block, offset: sentence_at(block.text, offset))
    return Extraction(document, facts, tuple(figures), tuple(dates))


# A sentence whose subject is a unit named by its capitalised name (`Xã Đăk Plô (lân cận) … có 08 tổ`)
_SUBJECT_UNIT = re.compile(
    r"^[\s\-–+•*]*(?P<unit>(?:xã|phường|đặc khu|thị trấn)\s+"
    r"(?P<name>[^\W\d_][^\s,;:()]*(?:\s+[^\W\d_][^\s,;:()]*){0,3}))(?!\s*\(\s*cũ)",
    re.IGNORECASE,
)


def _other_communes(figures: list[Figure], resolver: CommuneResolver, own: str | None) -> list[Figure]:
    """A figure of a sentence whose subject is another commune of the province, named as its subject
    (`Xã Đăk Plô (lân cận, điều kiện tương tự) … có 08 tổ công nghệ số`), is that commune's: a comparison,
    not the report's own. Only a name that resolves to a commune other than the report's; a former commune
    (`(cũ)`) and a name no commune has stay as they are."""
    result = []
    for figure in figures:
        subject = _SUBJECT_UNIT.match(figure.sentence)
        if figure.indicator_code and figure.role == "actual" and subject and own:
            words = subject["name"].split()
            capitalised = list(takewhile(lambda w: w[:1].isupper(), words))
            named = resolver.resolve(f"xã {' '.join(capitalised)}") if capitalised else None
            if named and named != own:
                figure = replace(figure, role="other", role_cue=subject["unit"], needs_review=False)
        result.append(figure)
    return result


def _period_end(period_key: str | None) -> date | None:
    """The last day of a period by the calendar (`2025-Q3` and `2025-9M`: 30/09/2025)."""
    if not period_key:
        return None
    months = {"Q1": 3, "Q2": 6, "Q3": 9, "Q4": 12, "6M": 6, "9M": 9, "Y": 12}
    month = months.get(period_key[5:])
    if month is None:
        return None
    following = date(int(period_key[:4]) + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)


def extract_report(path: Path, **kwargs) -> Extraction:
    """Read and extract one report; `IngestError` when it cannot be read or its commune cannot be told."""
    return extract_document(read_report(path), **kwargs)
