"""Find the figures in a narrative report's sentences and tie each to an indicator of the catalogue.

A figure is a fraction (`543/544`, with the rate printed after it when there is one: `543/544 = 99,81%`,
`570/570 hồ sơ, đạt tỷ lệ 100%`), a rate (`đạt 75,26%`, `chiếm tỷ lệ 24,74%`, `80% cán bộ`), a count with
its noun (`74 máy tính`, `01 công chức`, `16 Tổ công nghệ số cộng đồng thôn`) or money (`100.000.000đ`).
Dates, document numbers (`1464/SKHCN`, `57-NQ/TW`), years and article numbers are not figures.

Mapping is by keywords held in the catalogue (`ref_indicator_keywords.csv`, one or more rows per indicator:
every `;`-separated term of `all_of` must occur, `|` separating a term's alternatives, and no term of
`none_of`), matched on the words around the figure: the text leading up to it since the previous figure or
delimiter, its noun and what trails it. The indicator matching the most terms wins; a tie between two
indicators leaves the figure unmapped. When its own words match nothing, a figure tries, in turn, the whole
clause before it (the first of a clause), the words of the figure before it (a rate that says nothing of
itself: `, đạt 75,26%`; such a rate tries nothing further), the words opening its clause, and all up to the
next figure. A fraction no rate indicator matches is read as the count of its numerator. A figure nobody's
keywords match is kept as an unmapped claim. Names of the offices that receive dossiers are not words of a
figure (`Bộ phận tiếp nhận và trả kết quả` says where, not what).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pipelines.narrative.readers import Block
from pipelines.reference import read_seed
from pipelines.vietnamese import name_key, parse_number, printed_decimals

_NUM = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?"
# Counting nouns a count must be followed by (longest first, so `máy vi tính` wins over `máy`).
NOUNS = sorted(
    [
        "hồ sơ",
        "máy tính",
        "máy vi tính",
        "máy trạm",
        "máy",
        "bộ máy tính",
        "tài khoản",
        "người dân",
        "công dân",
        "người",
        "tổ công nghệ số cộng đồng",
        "tổ",
        "thôn",
        "làng",
        "tổ dân phố",
        "văn bản",
        "công chức",
        "cán bộ",
        "viên chức",
        "chứng thư số",
        "chứng thư",
        "usb token",
        "token",
        "thiết bị",
        "sim",
        "điểm cầu",
        "lượt",
        "lớp",
        "thành viên",
        "hộ",
        "camera",
    ],
    key=len,
    reverse=True,
)
_NOUN = "|".join(re.escape(n) for n in NOUNS)
_RATE_TAIL = (
    r"\s*[,:]?\s*(?P<paren>\()?\s*(?:=|đạt|chiếm|là|bằng)?\s*(?:tỷ\s+lệ|tỉ\s+lệ)?\s*(?:là|đạt)?\s*[=:]?\s*"
    rf"(?P<frate>{_NUM})\s*%(?(paren)\s*\))"
)
# VERBOSE: a space in a literal must be written `\s` (the nouns are escaped).
_FIGURE = re.compile(
    rf"""(?<![\w.,/-])(?:
        (?P<num>{_NUM})\s*/\s*(?P<den>{_NUM})(?![\d/])(?:\s+(?P<fnoun>{_NOUN})(?!\w))?(?:{_RATE_TAIL})?
      | (?P<rate>{_NUM})\s*%
      | (?P<money>{_NUM})\s*(?P<scale>triệu|tỷ)?\s*(?:đồng|đ|vnđ)(?!\w)
      | (?P<count>{_NUM})\s+(?P<noun>{_NOUN})(?!\w)
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# What makes a number something else: a date, a document or article number, a year.
_NOT_BEFORE = re.compile(
    r"(?:\bngày|\btháng|\bnăm|\bđiều|\bkhoản|\bmục|\bđề án|\bthứ|\blần|\bquý|\bphiên|\bnghị định"
    r"|\bquyết định|\bkế hoạch|\bthông tư|\bcông văn|\bchỉ thị|\bnghị quyết|\bthông báo)\s*$",
    re.IGNORECASE,
)
_NOT_AFTER = re.compile(r"^\s*[-/]\s*[A-ZĐ]|^/\d")
_SCALE = {"triệu": Decimal(1_000_000), "tỷ": Decimal(1_000_000_000)}
# Where the words of one figure end and the next one's begin.
_STRONG = re.compile(r"[,()\[\]]|\btrong đó\b|\bcòn\b|\bgồm\b|\bbao gồm\b", re.IGNORECASE)
_WEAK = re.compile(r"\bvà\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZĐÀ-Ỹ\d\-+•])|(?<=\.)\s*$")
_PARENTHESIS = re.compile(r"\([^()]*\)")
# A rate a fraction introduces: only words between, ending in `đạt`, `chiếm`, `=` (after a comma or "(").
_INTRO = r"(?:[,(]?\s*\(?\s*(?:đạt|chiếm|bằng|tương ứng|=)\s*(?:tỷ\s+lệ|tỉ\s+lệ)?\s*(?:là)?|\s*\()\s*$"
_RATE_INTRO = re.compile(rf"^[^;()]{{0,120}}?{_INTRO}", re.IGNORECASE)
_INTRO_WORDS = re.compile(_INTRO, re.IGNORECASE)
# Names of the offices that receive dossiers: they say where, not what (`Bộ phận tiếp nhận và trả kết quả`).
_OFFICES = re.compile(
    r"bộ phận tiếp nhận và trả kết quả|trung tâm phục vụ hành chính công|bộ phận một cửa|bộ phận tiếp nhận"
)
_UNIT_COLUMNS = ("đơn vị tính", "đvt", "đơn vị")
_MONEY_UNITS = ("đồng", "đ", "vnđ")
# A fraction that is a day and month (`từ 01/7 đến 10/9/2025`).
_DATE_BEFORE = re.compile(r"(?:\btừ|\bđến|\bngày|\btháng|\btrước|\bsau)\s*$", re.IGNORECASE)
_DATE_AFTER = re.compile(r"^\s*(?:đến|-|–)\s*(?:ngày\s*)?\d", re.IGNORECASE)

TRAILING_WORDS = 14
RATE_KINDS = ("rate",)
COUNT_KINDS = ("count", "stock")


@dataclass(frozen=True)
class KeywordRule:
    indicator_code: str
    kind: str  # the indicator's kind in the catalogue
    all_of: tuple[tuple[str, ...], ...]
    none_of: tuple[str, ...]

    def score(self, context: str) -> int:
        """How many terms the context matches (0: the rule does not apply)."""
        if any(_has(context, term) for term in self.none_of):
            return 0
        if all(any(_has(context, alt) for alt in term) for term in self.all_of):
            return len(self.all_of)
        return 0


def _has(context: str, term: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(term)}(?!\w)", context) is not None


@lru_cache(maxsize=4)
def _rules_from_seeds(reference_dir: str | None) -> tuple[KeywordRule, ...]:
    folder = Path(reference_dir) if reference_dir else None
    kinds = {row["indicator_code"]: row["kind"] for row in read_seed("ref_indicators", folder)}
    rules = []
    for row in read_seed("ref_indicator_keywords", folder):
        code = row["indicator_code"]
        if code not in kinds:
            raise ValueError(f"ref_indicator_keywords: {code} is not in ref_indicators")
        rules.append(
            KeywordRule(
                code,
                kinds[code],
                tuple(tuple(name_key(a) for a in t.split("|")) for t in row["all_of"].split(";") if t),
                tuple(name_key(t) for t in (row["none_of"] or "").split("|") if t),
            )
        )
    return tuple(rules)


def keyword_rules(reference_dir: str | None = None) -> tuple[KeywordRule, ...]:
    """The catalogue's keyword rules (CDS_REFERENCE_DIR's seeds by default)."""
    return _rules_from_seeds(reference_dir)


@dataclass(frozen=True)
class Figure:
    """One figure as printed in a report, with what it was read as and where."""

    kind: str  # fraction | rate | count | money
    printed: str
    sentence: str
    block: Block
    start: int  # offset of `printed` in `sentence`
    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    rate: Decimal | None = None
    numerator_text: str | None = None
    denominator_text: str | None = None
    rate_text: str | None = None
    noun: str | None = None
    context: str = ""  # the words of this figure alone
    wide_context: str = ""  # the first figure of a clause: everything before it in the clause
    lead_context: str = ""  # the words that open the clause, with this figure's own
    far_context: str = ""  # its own words and all that follows up to the next figure, past any comma
    indicator_code: str | None = None
    is_percent: bool = False  # the value is a rate (a rate, or a fraction read for a rate indicator)
    confidence: float = 0.0
    candidates: tuple[str, ...] = field(default=())

    @property
    def rate_decimals(self) -> int | None:
        return printed_decimals(self.rate_text) if self.rate_text else None

    @property
    def position(self) -> str:
        return self.block.position


def sentence_at(text: str, offset: int) -> str:
    """The sentence of `text` that holds the character at `offset`."""
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.start() > offset:
            return text[start : match.start()].strip()
        start = match.end()
    return text[start:].strip()


def sentences(text: str) -> list[str]:
    """A block's sentences: split after `.`, `!`, `?` before a capital or a list mark (not inside `1.059`)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def _figure_of(match: re.Match, sentence: str, block: Block) -> Figure | None:
    before, after = sentence[: match.start()], sentence[match.end() :]
    if _NOT_BEFORE.search(before) or _NOT_AFTER.search(after):
        return None
    groups = match.groupdict()
    if groups["num"] is not None and _is_day_month(groups["num"], groups["den"], before, after):
        return None
    printed = match.group(0).strip()
    common = {"printed": printed, "sentence": sentence, "block": block, "start": match.start()}
    if groups["num"] is not None:
        numerator, denominator = parse_number(groups["num"]), parse_number(groups["den"])
        rate_text = f"{groups['frate']}%" if groups["frate"] else None
        return Figure(
            "fraction",
            numerator=numerator,
            denominator=denominator,
            numerator_text=groups["num"],
            denominator_text=groups["den"],
            rate=parse_number(groups["frate"]) if rate_text else None,
            rate_text=rate_text,
            noun=(groups["fnoun"] or "").lower() or None,
            **common,
        )
    if groups["rate"] is not None:
        rate = parse_number(groups["rate"])
        return Figure("rate", value=rate, rate=rate, rate_text=f"{groups['rate']}%", **common)
    if groups["money"] is not None:
        amount = parse_number(groups["money"]) * _SCALE.get((groups["scale"] or "").lower(), Decimal(1))
        return Figure("money", value=amount, numerator=amount, numerator_text=groups["money"], **common)
    count = parse_number(groups["count"])
    return Figure(
        "count",
        value=count,
        numerator=count,
        numerator_text=groups["count"],
        noun=groups["noun"].lower(),
        **common,
    )


def _is_day_month(numerator: str, denominator: str, before: str, after: str) -> bool:
    if not (numerator.isdigit() and denominator.isdigit()):
        return False
    if not (1 <= int(numerator) <= 31 and 1 <= int(denominator) <= 12):
        return False
    return bool(_DATE_BEFORE.search(before) or _DATE_AFTER.search(after))


def _split_gap(gap: str) -> tuple[str, str]:
    """The text between two figures: what trails the first, what leads to the second."""
    strong = list(_STRONG.finditer(gap))
    if strong:
        return gap[: strong[0].start()], gap[strong[-1].end() :]
    weak = _WEAK.search(gap)
    if weak:
        return gap[: weak.start()], gap[weak.end() :]
    return gap, ""


def _last_trailing(rest: str, crosses_commas: bool) -> str:
    """What trails the last figure of a clause: up to the next delimiter; a rate's or a fraction's words
    often come after it across a list (`80% cán bộ, công chức xã được …`, `9/9 thôn, làng có Tổ …`), so
    those read past commas. At most
    `TRAILING_WORDS` words, and never into a parenthesis."""
    rest = rest.split("(")[0]
    cut = _STRONG.search(rest)
    if cut and not (crosses_commas and cut.group(0) == ","):
        rest = rest[: cut.start()]
    return " ".join(rest.split()[:TRAILING_WORDS])


def _context(leading: str, words: str) -> str:
    """The words a figure is mapped on: lower case, without parenthesised asides or office names."""
    context = name_key(_PARENTHESIS.sub(" ", f"{leading} {words}"))
    return _OFFICES.sub(" ", context)


def _after_last_delimiter(gap: str) -> str:
    strong = list(_STRONG.finditer(gap))
    return gap[strong[-1].end() :] if strong else gap


def _clauses(sentence: str) -> Iterator[tuple[int, str]]:
    offset = 0
    for part in sentence.split(";"):
        yield offset, part
        offset += len(part) + 1


def _clause_figures(clause: str, block: Block) -> list[tuple[int, int, Figure, str]]:
    """(start, end, figure, inner words) of each figure of a clause. A rate that a fraction introduces a few
    words later (`760/790 kết quả được số hóa, đạt 96,2%`) is that fraction's printed rate, not a figure of
    its own; the words between stay the fraction's (`inner`)."""
    found: list[tuple[int, int, Figure, str]] = []
    for match in _FIGURE.finditer(clause):
        figure = _figure_of(match, clause, block)
        if figure is None:
            continue
        if found and figure.kind == "rate":
            start, end, previous, _ = found[-1]
            gap = clause[end : match.start()]
            if previous.kind == "fraction" and previous.rate is None and _RATE_INTRO.match(gap):
                close = match.end()
                if "(" in gap and clause[close : close + 1] == ")":
                    close += 1
                merged = replace(
                    previous, rate=figure.rate, rate_text=figure.rate_text, printed=clause[start:close]
                )
                found[-1] = (start, close, merged, _INTRO_WORDS.sub(" ", gap))
                continue
        found.append((match.start(), match.end(), figure, ""))
    return found


def find_figures(block: Block) -> list[Figure]:
    """Every figure of a paragraph or footnote, with the words around it: its own (`context`), everything
    before it in its clause when it is the clause's first (`wide_context`), and the words that open its
    clause (`lead_context`) and all up to the next figure (`far_context`)."""
    figures: list[Figure] = []
    for sentence in sentences(block.text):
        for offset, clause in _clauses(sentence):
            lead = None
            found = _clause_figures(clause, block)
            for i, (start, end, figure, inner) in enumerate(found):
                previous_end = found[i - 1][1] if i else 0
                next_start = found[i + 1][0] if i + 1 < len(found) else len(clause)
                gap_before = clause[previous_end:start]
                leading = _split_gap(gap_before)[1] if i else _after_last_delimiter(gap_before)
                if i + 1 < len(found):
                    trailing = _split_gap(clause[end:next_start])[0]
                else:
                    trailing = _last_trailing(clause[end:], figure.kind in ("rate", "fraction"))
                noun = figure.noun or ""
                words = f"{noun} {inner} {trailing}"
                if lead is None:
                    lead = gap_before
                figures.append(
                    replace(
                        figure,
                        sentence=sentence,
                        start=offset + start,
                        context=_context(leading, words),
                        wide_context=_context(gap_before, words) if not i else "",
                        lead_context=_context(f"{lead} {leading}" if i else lead, words),
                        far_context=_context(leading, f"{noun} {inner} {clause[end:next_start]}"),
                    )
                )
    return figures


_VALUE_CELL = re.compile(rf"(?:{_NUM})(?:\s*/\s*(?:{_NUM}))?\s*%?")


def is_value(text: str) -> bool:
    """A table cell that is wholly a figure: a number, a fraction or a rate."""
    return _VALUE_CELL.fullmatch(text.strip()) is not None


def table_figures(cells: list[Block], header: dict[int, str]) -> list[Figure]:
    """Figures of one table row: each cell that is wholly a number, fraction or rate, read with the row's
    other cells as its words. A bare number under a header that says `%` or `tỷ lệ` is a rate, otherwise a
    count with the noun of the row's unit column (`Đơn vị tính`). A first cell that is a bare row number
    (`STT`) is not a figure."""
    sentence = " | ".join(c.text for c in cells)
    labels, unit, values = [], None, []
    for position, cell in enumerate(cells):
        text, column = cell.text.strip(), name_key(header.get(cell.cell, ""))
        if position == 0 and re.fullmatch(r"\d{1,3}\.?|[IVX]+\.?|[a-zđ]\)", text):
            continue
        if is_value(text):
            values.append((cell, text, column))
        elif column in _UNIT_COLUMNS:
            unit = text.lower()
        else:
            labels.append(text)
    figures = []
    for cell, text, column in values:
        common = {"printed": text, "sentence": sentence, "block": cell, "start": sentence.find(text)}
        if "/" in text:
            numerator_text, _, denominator_text = (t.strip() for t in text.partition("/"))
            numerator, denominator = parse_number(numerator_text), parse_number(denominator_text)
            figure = Figure(
                "fraction",
                numerator=numerator,
                denominator=denominator,
                numerator_text=numerator_text,
                denominator_text=denominator_text,
                noun=unit,
                **common,
            )
        elif "%" in text or "%" in column or "tỷ lệ" in column or unit == "%" or _says_rate(labels):
            rate = parse_number(text)
            rate_text = text if "%" in text else f"{text}%"
            figure = Figure("rate", value=rate, rate=rate, rate_text=rate_text, **common)
        else:
            count = parse_number(text)
            kind = "money" if unit in _MONEY_UNITS else "count"
            figure = Figure(kind, value=count, numerator=count, numerator_text=text, noun=unit, **common)
        context = name_key(_PARENTHESIS.sub(" ", " ".join([*labels, column, unit or ""])))
        figures.append(replace(figure, context=context))
    return figures


def _says_rate(labels: list[str]) -> bool:
    return any(name_key(label).startswith(("tỷ lệ", "tỉ lệ")) for label in labels)


def _compatible(figure: Figure, rule: KeywordRule, fallback: bool) -> bool:
    if figure.kind == "rate":
        return rule.kind in RATE_KINDS
    if figure.kind == "money":
        return rule.kind == "money"
    if figure.kind == "fraction":
        return rule.kind in (COUNT_KINDS if fallback else RATE_KINDS)
    return rule.kind in COUNT_KINDS


def _best(context: str, figure: Figure, rules: Iterable[KeywordRule], fallback: bool):
    scores: dict[str, int] = {}
    for rule in rules:
        if _compatible(figure, rule, fallback):
            score = rule.score(context)
            if score:
                scores[rule.indicator_code] = max(score, scores.get(rule.indicator_code, 0))
    if not scores:
        return None, 0, ()
    top = max(scores.values())
    winners = tuple(sorted(code for code, s in scores.items() if s == top))
    return (winners[0] if len(winners) == 1 else None), top, winners


def _valued(figure: Figure, rule_kind: str | None) -> Figure:
    """A fraction read for a rate (or for nothing) is worth its printed rate, or its recomputed one; read for
    a count, its numerator. A rate is worth itself."""
    if figure.kind == "rate":
        return replace(figure, is_percent=True)
    if figure.kind != "fraction":
        return figure
    if rule_kind in RATE_KINDS or rule_kind is None:
        value = figure.rate
        if value is None and figure.denominator:
            value = (100 * figure.numerator / figure.denominator).quantize(Decimal("0.000001"))
        return replace(figure, value=value, is_percent=True)
    return replace(figure, value=figure.numerator)


def map_figures(figures: list[Figure], rules: tuple[KeywordRule, ...]) -> list[Figure]:
    """Each figure with its indicator (or None), a confidence and the indicators that tied."""
    kinds = {rule.indicator_code: rule.kind for rule in rules}
    mapped: list[Figure] = []
    used: list[str] = []  # the words that mapped each figure (what a following bare rate borrows)
    for i, figure in enumerate(figures):
        previous = used[i - 1] if i and figures[i - 1].sentence == figure.sentence else None
        # own words first, then the whole clause before it; a rate that follows a figure of its sentence
        # (`141 hồ sơ, chiếm tỷ lệ 24,74%`) is about that figure or unmapped; any other figure may borrow
        # the words that open its clause, then all up to the next figure. A fraction no rate matches is
        # read as its numerator's count.
        attempts = [(figure.context, False, 0.95)]
        if figure.wide_context and figure.wide_context != figure.context:
            attempts.append((figure.wide_context, False, 0.9))
        if previous is not None and figure.kind == "rate":
            attempts.append((f"{previous} {figure.context}", False, 0.8))
        else:
            for borrowed, base in ((figure.lead_context, 0.75), (figure.far_context, 0.7)):
                if borrowed and borrowed not in (figure.context, figure.wide_context):
                    attempts.append((borrowed, False, base))
        if figure.kind == "fraction":
            attempts += [(c, True, 0.7) for c in (figure.context, figure.wide_context) if c]
        code, candidates, confidence, words = None, (), 0.0, figure.wide_context or figure.context
        for context, fallback, base in attempts:
            code, score, candidates = _best(context, figure, rules, fallback)
            if candidates:
                # more terms matched, more certain; a tie is no answer
                confidence = round(base * (1.0 if score >= 2 else 0.85), 2) if code else 0.3
                words = context
                break
        used.append(words)
        mapped.append(
            replace(
                _valued(figure, kinds.get(code)),
                indicator_code=code,
                confidence=confidence,
                candidates=candidates if code is None else (),
            )
        )
    return mapped
