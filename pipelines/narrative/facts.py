"""What a narrative report says about itself: who reports, for which period, over which dates, in answer
to which request, signed by whom; and every date it cites, so an impossible one can be shown.

The commune comes from the letterhead or the first sentences (`ỦY BAN NHÂN DÂN / XÃ MINH LONG`,
`UBND phường Cẩm Thành`, `Ủy ban nhân dân xã Ba Tơ báo cáo …`), resolved through the alias table; a report
whose letterhead names another province, or a unit the table does not know, is refused with the name as
written, never guessed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date, timedelta

from pipelines.core.vietnamese import name_key
from pipelines.narrative.readers import Block
from pipelines.reference import CommuneResolver, ascii_fold

HEAD_BLOCKS = 14  # the letterhead, title and opening sentence live in the first blocks
PROVINCE = "quảng ngãi"
_UNIT = re.compile(
    r"(?<!\w)(xã|phường|đặc khu|xa|phuong|dac khu)\s+"
    r"((?:[^\W\d_]+)(?:\s+[^\W\d_]+){0,3})",
    re.IGNORECASE,
)
_HIGHER_UNIT = re.compile(
    r"(?<!\w)(huyện|thị xã|thành phố|quận)\s+((?:[^\W\d_]+)(?:\s+[^\W\d_]+){0,3})", re.IGNORECASE
)
# `xã hội` (the national motto's `CỘNG HÒA XÃ HỘI CHỦ NGHĨA`) and a town (`thị xã`) are no commune
_NOT_A_UNIT = re.compile(r"(?:xã|xa)\s+(?:hội|hoi)\b", re.IGNORECASE)
_TOWN_BEFORE = re.compile(r"(?:thị|thi)\s*$", re.IGNORECASE)
_OTHER_PROVINCE = re.compile(r"\b(?:tỉnh|TỈNH|Tỉnh)\s+([^\W\d_]+(?:\s+[^\W\d_]+)?)")
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_PERIODS = (
    # `quý III và 9 tháng đầu năm 2025`, `Quý IV và lũy kế năm 2025`: the quarter, named first, shares the
    # year of the months or the year-to-date after it
    (
        re.compile(
            r"quý\s+(i{1,3}|iv|[1-4])(?:\s+và\s+(?:(?:lũy|luỹ)\s+kế\s+(?:từ\s+đầu\s+)?(?:cả\s+)?"
            r"|(?:(?:lũy|luỹ)\s+kế\s+)?(?:6|9|sáu|chín)\s+tháng(?:\s+đầu)?))?\s*(?:năm|/|-)\s*(\d{4})"
        ),
        "Q",
    ),
    (re.compile(r"(?:(?<!\d\s)(?<!\d)9|\bchín) tháng(?: đầu năm| năm)?\s*(\d{4})"), "9M"),
    (re.compile(r"(?:(?<!\d\s)(?<!\d)6|\bsáu) tháng(?: đầu năm| năm)?\s*(\d{4})"), "6M"),
    # `năm 2025`, not a date's year (`tháng 12 năm 2025`) nor a span's bound (`từ đầu năm 2024 đến nay`)
    (
        re.compile(
            r"(?<!tháng\s)(?<!tháng\s\d\s)(?<!tháng\s\d\d\s)(?<!đầu\s)(?<!từ\s)(?<!cuối\s)(?<!đến\s)"
            r"\bnăm\s+(\d{4})\b(?!\s*(?:của|về))"
        ),
        "Y",
    ),
)
# `Quý` with its tone on the u, as old keyboards and hurried typists put it (`Qúy I`, `qùy`)
_QUY = re.compile(r"\bq[úùủũụ]y\b")
# A period left blank on the Department's template: `Quý ….. năm 2025`, `quý … năm 2025`, `Quý ___`.
_BLANK_PERIOD = re.compile(r"\bquy\s*(?:[.…_]\s*){2,}|\bquy\s*…")
_COVERAGE = re.compile(
    r"từ\s+(?:ngày\s+)?(\d{1,2})/(\d{1,2})(?:/(\d{4}))?\s*(?:đến|-|–)\s*(?:ngày\s+)?(\d{1,2})/(\d{1,2})/(\d{4})",
    re.IGNORECASE,
)
_LETTER = re.compile(
    r"(?:công văn|văn bản|kế hoạch)\s+số\s+(\d+\s*/\s*[A-ZĐ][\wĐ&\-]*(?:/[\wĐ&\-]+)?)", re.IGNORECASE
)
_SIGNER = re.compile(r"\b(PHÓ CHỦ TỊCH|CHỦ TỊCH|PHÓ TRƯỞNG BAN|TRƯỞNG BAN|PHÓ GIÁM ĐỐC|GIÁM ĐỐC)\b")
_DATES = re.compile(
    r"(?<![\d/])(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4,5})(?![\d/])"
    r"|ngày\s*(\d{1,2})\s*tháng\s*(\d{1,2})\s*năm\s*(\d{4,5})(?!\d)",
    re.IGNORECASE,
)
_YEAR_TYPO = re.compile(r"\bnăm\s+(\d{5,})\b", re.IGNORECASE)


# The same, for a report typed without diacritics (`XA DAK HA`, `Quy I nam 2025`): tried when the first fail.
_FOLDED_PERIODS = tuple((re.compile(ascii_fold(p.pattern)), kind) for p, kind in _PERIODS)
_UNIT_WORDS = {"xa": "xã", "phuong": "phường", "dac khu": "đặc khu"}


class UnknownCommune(ValueError):
    """The report's unit cannot be resolved to one of the province's communes."""

    def __init__(self, written: str | None, reason: str):
        self.written, self.reason = written, reason
        super().__init__(written or "")


@dataclass(frozen=True)
class CitedDate:
    printed: str
    block: Block
    day: int
    month: int
    year: int
    parsed: date | None  # None when no such day exists (31/02) or the year cannot be (20205)
    sentence: str


@dataclass(frozen=True)
class DocumentFacts:
    commune_id: str
    commune_written: str
    period_key: str | None
    period_written: str | None
    coverage_start: date | None
    coverage_end: date | None
    request_letter: str | None
    signer_role: str | None


def _head_texts(blocks: tuple[Block, ...]) -> list[str]:
    """The paragraphs (and table cells: a letterhead is often a two-column table) of the letterhead,
    title and opening."""
    return [b.text for b in blocks[:HEAD_BLOCKS] if b.kind in ("page_header", "paragraph", "cell")]


def _head(blocks: tuple[Block, ...]) -> str:
    return " \n ".join(_head_texts(blocks))


def _proper_name(words: list[str]) -> list[str]:
    """The leading words that start with a capital (`Minh Long đã báo cáo` → `Minh Long`)."""
    name = []
    for word in words:
        if not word[0].isupper():
            break
        name.append(word)
    return name


def _garbled(match: re.Match, words: list[str]) -> bool:
    """A name a scan's text recognition broke (`UBND XÃ K0N PLÔNG` read up to `K`): not trusted alone."""
    after = match.string[match.end() : match.end() + 1]
    return any(len(word) < 2 for word in words) or after.isdigit()


def _written_for(first: list[str], words: list[str]) -> bool:
    """Whether the unit the letterhead names (`first`, unknown) is `words` written wrongly: the same name
    without its marks or with a slip (`TU MƠ RỒNG`, `BA TO`), or doubled by a print (`SƠNXÃ ĐÔNG SƠN`)."""
    one, other = ("".join(ascii_fold(w.lower()) for w in ws) for ws in (first, words))
    return other in one or difflib.SequenceMatcher(None, one, other).ratio() >= 0.75


def find_commune(
    blocks: tuple[Block, ...], resolver: CommuneResolver, provinces: frozenset[str] = frozenset({PROVINCE})
) -> tuple[str, str]:
    """(commune_id, name as written) from the letterhead or opening; `UnknownCommune` otherwise. A province
    named in the opening that is not this one (nor a former one merged into it) refuses the report."""
    head = _head_texts(blocks)  # block by block: a name never spans blocks
    found = [
        (_UNIT_WORDS.get(m.group(1).lower(), m.group(1)), words, m)
        for text in head
        for m in _UNIT.finditer(text)
        if (words := _proper_name(m.group(2).split()))
        and not _NOT_A_UNIT.match(m.group(0))
        and not _TOWN_BEFORE.search(text[: m.start()])
    ]
    units = [(unit, words) for unit, words, _ in found]
    for match in (m for text in head for m in _OTHER_PROVINCE.finditer(text)):
        province = _proper_name(match.group(1).split())
        if province and name_key(" ".join(province)) not in provinces:
            unit = f"{units[0][0]} {' '.join(units[0][1])}, " if units else ""
            raise UnknownCommune(f"{unit}tỉnh {' '.join(province)}", "commune_of_another_province")
    written, first = None, None
    for unit, words, match in found:
        written = written or f"{unit} {' '.join(words)}"
        for n in range(len(words), 0, -1):
            candidate = f"{unit} {' '.join(words[:n])}"
            commune_id = resolver.resolve(candidate)
            if commune_id and (first is None or _written_for(first, words[:n])):
                return commune_id, candidate
        if first is None and not _garbled(match, words):
            first = words
    if first is not None:
        # the first unit named (the letterhead's) is none of the province's and no later name is it
        # mistyped: a former commune's last report (`UBND XÃ ĐỨC NHUẬN`) is not the report of the commune
        # its body names (`sáp nhập vào xã Mộ Đức`)
        raise UnknownCommune(written, "unknown_commune")
    if written is None:  # a district's or a town's report (`UBND HUYỆN BA TƠ`): a unit, but no commune
        other = next((m for text in head for m in _HIGHER_UNIT.finditer(text)), None)
        if other and (words := _proper_name(other.group(2).split())):
            written = f"{other.group(1).lower()} {' '.join(words)}"
    raise UnknownCommune(written, "unknown_commune" if written else "commune_not_found")


def _title(blocks: tuple[Block, ...]) -> str:
    """The title: from the block that says BÁO CÁO to the opening sentence (`Thực hiện …`, `Căn cứ …`)."""
    head = _head_texts(blocks)
    start = next((i for i, t in enumerate(head) if name_key(t).startswith("báo cáo")), 0)
    title = []
    for text in head[start : start + _TITLE_BLOCKS]:
        if title and (re.match(r"(?i)(thực hiện|căn cứ|theo|kính gửi)\b", text) or _NUMBERED.match(text)):
            break
        title.append(text)
    return " ".join(title)


# A title is `BÁO CÁO` and at most three lines under it; a numbered line (`1. Trong kỳ, …`, `I. KẾT QUẢ`) is
# the body already
_TITLE_BLOCKS = 4
_NUMBERED = re.compile(r"\s*(?:[IVX]+|\d+)[.)]\s")


def find_period(
    blocks: tuple[Block, ...], coverage: tuple[date | None, date | None] = (None, None)
) -> tuple[str | None, str | None]:
    """(period key, words as written): `Quý III năm 2025` → 2025-Q3, `9 tháng đầu năm 2025` → 2025-9M,
    `6 tháng đầu năm 2025` → 2025-6M, `năm 2025` → 2025-Y; the title first, then the span of days the
    figures cover (`coverage`, when it is a whole period), then the opening blocks."""
    # The title without its asides first (`9 tháng năm 2025 (có tách riêng kết quả Quý III năm 2025)` is a
    # 9-month report), then the title, then the opening; in each, the period named first.
    title = _title(blocks)
    if _BLANK_PERIOD.search(ascii_fold(name_key(title))):
        return None, None  # a template's blank left unfilled (`Quý ….. năm 2025`): not the year
    titled = _named_period((re.sub(r"\([^()]*\)", " ", title), title))
    if titled != (None, None):
        return titled
    if spanned := period_of_span(*coverage):
        # `Kết quả thực hiện chuyển đổi số (từ ngày 01/01/2025 đến ngày 31/03/2025)`: the days are the
        # period, not a year an aside of the opening names (`Lũy kế từ đầu năm 2024 đến nay`)
        start, end = coverage
        return spanned, f"{start:%d/%m/%Y} - {end:%d/%m/%Y}"
    return _named_period((_head(blocks),))


def period_of_span(start: date | None, end: date | None) -> str | None:
    """The period a span of days is, whole: a quarter, the first six or nine months or the year, by the
    calendar's days (01/01 - 31/03/2025) or by the province's cut-off (15/12/2024 - 14/03/2025)."""
    if start is None or end is None or start >= end:
        return None
    if start.day == 1:
        first = (start.year, start.month)
    elif start.day == 15 and start.month % 3 == 0:
        first = (start.year + start.month // 12, start.month % 12 + 1)
    else:
        return None
    last_day = (date(end.year + end.month // 12, end.month % 12 + 1, 1) - timedelta(days=1)).day
    if end.day not in (14, last_day) or first[0] != end.year:
        return None
    span = (first[1], end.month)
    kinds = {(1, 6): "6M", (1, 9): "9M", (1, 12): "Y"}
    if span in kinds:
        return f"{end.year}-{kinds[span]}"
    if first[1] % 3 == 1 and end.month == first[1] + 2:
        return f"{end.year}-Q{end.month // 3}"
    return None


def _named_period(texts: tuple[str, ...]) -> tuple[str | None, str | None]:
    """The period the first of `texts` to name one names first (as typed, then without diacritics)."""
    attempts = [(_QUY.sub("quý", name_key(t)), _PERIODS) for t in texts]
    attempts += [(ascii_fold(key), _FOLDED_PERIODS) for key, _ in attempts]
    for key, patterns in attempts:
        found = [(m.start(), m, kind) for pattern, kind in patterns if (m := pattern.search(key))]
        if not found:
            continue
        _, match, kind = min(found, key=lambda f: f[0])
        if kind == "Q":
            number = ROMAN.get(match.group(1)) or int(match.group(1))
            return f"{match.group(2)}-Q{number}", match.group(0)
        return f"{match.group(1)}-{kind}", match.group(0)
    return None, None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def find_coverage(text: str) -> tuple[date | None, date | None]:
    """`từ ngày 01/7 đến ngày 10/9/2025` → (2025-07-01, 2025-09-10); the first such span in the text."""
    match = _COVERAGE.search(text)
    if not match:
        return None, None
    d1, m1, y1, d2, m2, y2 = match.groups()
    end = _safe_date(int(y2), int(m2), int(d2))
    start = _safe_date(int(y1 or y2), int(m1), int(d1))
    return start, end


def find_request_letter(blocks: tuple[Block, ...]) -> str | None:
    """The Department's letter the report answers (`1464/SKHCN-KH&ĐMST`), named in the opening."""
    match = _LETTER.search(_head(blocks))
    return re.sub(r"\s+", "", match.group(1)) if match else None


def find_signer_role(blocks: tuple[Block, ...]) -> str | None:
    """The signer's own role from the signature block at the end: the last role written there
    (`KT. CHỦ TỊCH / PHÓ CHỦ TỊCH` → Phó chủ tịch; `TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH` → Chủ tịch)."""
    for block in reversed(blocks[-25:]):
        roles = _SIGNER.findall(block.text)
        if roles:
            return roles[-1].capitalize()
    return None


def cited_dates(blocks: tuple[Block, ...], sentence_of) -> list[CitedDate]:
    """Every date the report cites (`10/9/2025`, `ngày 18 tháng 7 năm 2025`) and every `năm 20205`."""
    found = []
    for block in blocks:
        spans = []
        for match in _DATES.finditer(block.text):
            spans.append(match.span())
            parts = match.groups()[:3] if match.group(1) else match.groups()[3:]
            day, month, year = (int(g) for g in parts)
            parsed = _safe_date(year, month, day) if year < 10000 else None
            found.append(
                CitedDate(match.group(0), block, day, month, year, parsed, sentence_of(block, match.start()))
            )
        for match in _YEAR_TYPO.finditer(block.text):
            if any(start <= match.start() < end for start, end in spans):
                continue
            found.append(
                CitedDate(
                    match.group(0), block, 0, 0, int(match.group(1)), None, sentence_of(block, match.start())
                )
            )
    return found


def document_facts(
    blocks: tuple[Block, ...], resolver: CommuneResolver, provinces: frozenset[str] = frozenset({PROVINCE})
) -> DocumentFacts:
    commune_id, written = find_commune(blocks, resolver, provinces)
    start, end = find_coverage("\n".join(b.text for b in blocks))
    period_key, period_written = find_period(blocks, (start, end))
    return DocumentFacts(
        commune_id,
        written,
        period_key,
        period_written,
        start,
        end,
        find_request_letter(blocks),
        find_signer_role(blocks),
    )
