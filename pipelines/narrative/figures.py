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
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pipelines.core.vietnamese import name_key, nfc, parse_number, printed_decimals
from pipelines.narrative.facts import ROMAN
from pipelines.narrative.readers import Block
from pipelines.reference import ascii_fold, read_seed

# A number as offices print it: `1.059` and `1.059,5`; thousands in groups of three after a space, a
# no-break or a thin space (`2 316`, `120 000 000`), unless another number follows (`120 115 95,8%` is a
# table row typed with single spaces: three numbers, not one); `99.55` with one or two decimals after a dot;
# `99,81` and `1,742` (the comma read by the figure's kind: see `_count_number`).
_NUM = (
    r"\d{1,3}(?:\.\d{3})+(?:,\d+)?"
    # thousands parted by commas, as an English-language spreadsheet writes them (`38,500,000`): two groups
    # or more, so that it is never a Vietnamese decimal (`1,245` stays one)
    r"|\d{1,3}(?:,\d{3}){2,}(?![\d,])"
    r"|(?<!\d[\x20\u00a0\u202f])\d{1,3}(?:[\x20\u00a0\u202f]\d{3})+(?:,\d+)?(?![\x20\u00a0\u202f]?\d)"
    r"|\d+\.\d{1,2}(?![\d.])"
    r"|\d+(?:,\d+)?"
)
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
        # abbreviations officials write for the nouns above (read as those nouns: `ABBREVIATIONS`)
        "hs",
        "mt",
        "hồ sơ tthc",
        "tthc",
        "tk",
        "cbccvc",
        "cbcc",
        "cb, cc",
        "cb,cc",
        "cb, cc, vc",
        "cc",
        "tcn",
        "cks",
        "tv",
        "usb",
        "vb",
        "vbđt",
        "pc",
        "laptop",
        "tdp",
        # what equipment lists count, so that `15 máy vi tính và 15 máy scan` is two figures
        "bộ máy vi tính",
        "bộ máy tính",
        "máy tính để bàn",
        "máy tính xách tay",
        "máy tính bảng",
        "máy scan",
        "máy quét",
        "máy in",
        "máy chiếu",
        "điện thoại",
        "học viên",
        "doanh nghiệp",
        "hộ kinh doanh",
        "tổ công nghệ cộng đồng",
        "biên chế",
        "chữ ký số",
        "tin",
        "bài",
        "cuộc",
        "buổi",
        "nhóm",
    ],
    key=len,
    reverse=True,
)
# The same nouns typed without diacritics (`512 ho so`, `45 may tinh`), as reports pasted from a phone come.
NOUNS = sorted(set(NOUNS) | {ascii_fold(n) for n in NOUNS}, key=len, reverse=True)
_NOUN = "|".join(re.escape(n) for n in NOUNS)
_RATE_TAIL = (
    r"\s*[,:]?\s*(?P<paren>\()?\s*(?:=|đạt|chiếm|là|bằng|dat|chiem|la|bang)?\s*(?:tỷ\s+lệ|tỉ\s+lệ|ty\s+le|ti\s+le)?\s*(?:là|đạt|la|dat)?\s*[=:]?\s*"
    rf"(?P<frate>{_NUM})\s*%(?(paren)\s*\))"
)
# VERBOSE: a space in a literal must be written `\s` (the nouns are escaped).
# The words of a dossier's channel or timeliness typed after its count with no noun, in a list that breaks a
# total down (`492 hồ sơ (431 trước hạn, 56 đúng hạn, 05 trễ hạn)`): a count whose label follows it
_STATUS_AFTER = "|".join(
    w.replace(" ", r"\s+")  # the pattern is verbose: its spaces are not text
    for word in ("trước hạn", "đúng hạn", "trễ hạn", "quá hạn", "trực tuyến", "trực tiếp", "toàn trình")
    for w in (word, ascii_fold(word))
)
# What may open such a count: a bracket, a list's comma or link word (`(431 trước hạn`, `gồm 512 trước hạn`)
_LIST_OPENS = re.compile(r"(?:[(,;:]|\b(?:gồm|và|có|trong đó|gom|va|co|trong do))\s*$", re.IGNORECASE)
_FIGURE = re.compile(
    rf"""(?<![\w.,/-])(?:
        (?P<num>{_NUM})\s*/\s*(?P<den>{_NUM})(?![\d/])(?:\s+(?P<fnoun>{_NOUN})(?!\w))?(?:{_RATE_TAIL})?
      | (?P<rate>{_NUM})\s*(?:%|(?:phần|phan)\s+(?:trăm|tram)(?!\w))
      | (?P<money>{_NUM})\s*(?P<scale>ngàn|nghìn|triệu|tỷ|ngan|nghin|trieu|ty)?
        \s*(?:đồng|đ|vnđ|dong|vnd)(?!\w)
      | (?P<count>{_NUM})(?:\s+(?P<cscale>ngàn|nghìn|triệu|ngan|nghin|trieu))?\s+(?P<noun>{_NOUN})(?!\w)
      | (?P<bare>{_NUM})(?![.,]\d)(?=["”»]?\s*(?:[,;:()]|\.(?:\s|$)|$))
      | (?P<tagged>{_NUM})(?=\s+(?:{_STATUS_AFTER})(?!\w))
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Money in so many words after a span of months is not a month (`đã chi 6 tháng 26.500.000 đồng`).
_AN_AMOUNT = re.compile(
    r"\d\s*(?:ngàn|nghìn|triệu|tỷ|ngan|nghin|trieu|ty|đồng|vnđ|dong|vnd)(?!\w)", re.IGNORECASE
)
_THOUSANDS = re.compile(r"\d[.\x20\u00a0]\d{3}(?!\d)")
_TIME_BEFORE = re.compile(r"\d\s*(?:tháng|thang)\s*$", re.IGNORECASE)  # `6 tháng`, a span, not a date
# What makes a number something else: a date, a document or article number, a year.
_NOT_BEFORE = re.compile(
    r"(?:\bngày|\btháng|\bnăm|\bđiều|\bkhoản|\bmục|\bđề án|\bthứ|\blần|\bquý|\bphiên|\bnghị định"
    r"|\bquyết định|\bkế hoạch|\bthông tư|\bcông văn|\bchỉ thị|\bnghị quyết|\bthông báo"
    r"|\bngay|\bthang|\bnam|\bdieu|\bkhoan|\bde an|\bquy|\bnghi dinh|\bquyet dinh|\bke hoach|\bcong van)\s*$",
    re.IGNORECASE,
)
_PERIOD_WORD_BEFORE = re.compile(
    r"(?:\bngày|\btháng|\bnăm|\bquý|\bngay|\bthang|\bnam|\bquy)\s*$", re.IGNORECASE
)
# Nine digits or more in one run, not money (`053030000068`, `0905303201`): an identifier, never a count
# (counts are written with thousands separators, or are far smaller)
_IDENTIFIER = re.compile(r"\d{9,}(?![.,]\d)")
_GROUPED = re.compile(r"\d{1,3}(?:[.\u00a0\u202f ]\d{3})+(?![\d,])")
_NOT_AFTER = re.compile(r"^\s*[-/]\s*[A-ZĐ]|^/\d")
_NOT_AFTER_COUNT = re.compile(r"^\s*[-/]\s*[A-ZĐ]")  # `95 tài khoản/1.870 chỉ tiêu`: a chain, two figures
_SCALE = {
    "ngàn": Decimal(1_000),
    "nghìn": Decimal(1_000),
    "triệu": Decimal(1_000_000),
    "tỷ": Decimal(1_000_000_000),
}
_SCALE.update({ascii_fold(word): factor for word, factor in list(_SCALE.items())})
# A noun or an amount's word typed against its figure, as fast typing leaves it (`441hồ sơ`, `7hs`,
# `48,5triệu`): a space goes between (`4G`, `200Mbps` name no counted thing and stay as they are).
_GLUED = re.compile(
    r"(?<=\d)(?=(?:"
    + "|".join(re.escape(w) for w in sorted({*NOUNS, *_SCALE, "tr", "đồng"}, key=len, reverse=True))
    + r")(?!\w))",
    re.IGNORECASE,
)
# A footnote's mark typed against a figure (`1.245(1) hồ sơ`, `36[3] máy`, `28¹`, `99,25%*`): not part of it
_FOOTNOTE_MARK = re.compile(r"(?<=\d)(?:\(\d{1,2}\)|\[\d{1,2}\])(?!\d)|(?<=[\d%])(?:[¹²³⁴⁵⁶⁷⁸⁹⁰]+|\*+)")
# A number a scan's text recognition read with letters for digits (`3.4l6`, `1.OO9`, `O,39%`, `l7`): `l`
# and `I` for 1, `O` and `o` for 0, only inside a token of digits and separators that has a digit
_OCR_NUMBER = re.compile(
    r"(?<![\w.,])(?=[\dlIOo.,]*\d)(?=[\d.,]*[lIOo])[\dlIOo](?:[\dlIOo.,]*[\dlIOo])?(?!\w)"
)
_OCR_DIGITS = str.maketrans("lIOo", "1100")


def _ocr_digits(text: str) -> str:
    """The text with every number read with letters for digits written in digits (same length)."""
    return _OCR_NUMBER.sub(lambda m: m.group(0).translate(_OCR_DIGITS), text)


# Abbreviations read as the words they stand for, in a figure's noun and in the words it is mapped on.
ABBREVIATIONS = {
    "hs": "hồ sơ",
    "tthc": "thủ tục hành chính",
    "tk": "tài khoản",
    "cbccvc": "cán bộ, công chức, viên chức",
    "cbcc": "cán bộ, công chức",
    "cb, cc, vc": "cán bộ, công chức, viên chức",
    "cb, cc": "cán bộ, công chức",
    "cb,cc": "cán bộ, công chức",
    "dvctt": "dịch vụ công trực tuyến",
    "cđs": "chuyển đổi số",
    "cns": "công nghệ số",
    "cnscđ": "công nghệ số cộng đồng",
    "cccd": "căn cước công dân cccd",
    "vb": "văn bản",
    "bpmc": "bộ phận một cửa",
    "đdđt": "định danh điện tử",
    "bcci": "bưu chính công ích",
    "tdp": "tổ dân phố",
    "ttpvhcc": "trung tâm phục vụ hành chính công",
    "mt": "máy tính",
    "hnth": "hội nghị truyền hình",
    "cks": "chữ ký số",
    "tcn": "tổ công nghệ số",
    "tv": "thành viên",
    "kq": "kết quả",
    "gq": "giải quyết",
    "pm": "phần mềm",
    "vbđt": "văn bản điện tử",
    "cc": "công chức",
    "cntt": "công nghệ thông tin",
    "csdl": "cơ sở dữ liệu",
    "ht": "hệ thống",
    "dvc": "dịch vụ công",
    "kp": "kinh phí",
    "sl": "số lượng",
    "qh": "quá hạn",
    "tl": "tỷ lệ",
    "tcnscđ": "tổ công nghệ số cộng đồng",
    # early and on time, shortened together (`TL HS GQ TH+ĐH: 99,60%`); alone, `TH` may be `thực hiện`
    "th+đh": "trước hạn, đúng hạn",
    "th, đh": "trước hạn, đúng hạn",
    "th/đh": "trước hạn, đúng hạn",
    "th và đh": "trước hạn, đúng hạn",
    # the English of office jargon (`nộp online`, `scan hồ sơ`, `trước deadline`, `staff được training`)
    "online": "trực tuyến",
    "offline": "trực tiếp",
    "scan": "số hóa",
    "deadline": "hạn",
    "staff": "cán bộ",
    "training": "tập huấn",
    "pc": "máy tính",
    "laptop": "máy tính",
    "active": "kích hoạt",
    "activate": "kích hoạt",
    "pending": "đang giải quyết",
    "learners": "người học",
    "budget": "kinh phí",
    "license": "bản quyền",
    "antivirus": "diệt vi rút",
}
_ABBREVIATION = re.compile(
    r"(?<!\w)(" + "|".join(re.escape(a) for a in sorted(ABBREVIATIONS, key=len, reverse=True)) + r")(?!\w)"
)
# Where the words of one figure end and the next one's begin.
_STRONG = re.compile(
    # `trước hạn, đúng hạn 3.371 hồ sơ` is one phrase (early and on time), not two figures' words
    r"(?<!trước hạn)(?<!đúng hạn),|(?<=trước hạn),(?!\s*đúng hạn)|(?<=đúng hạn),(?!\s*trước hạn)"
    r"|[()\[\];]|=>|→|\btrong đó\b|\bcòn\b|\bgồm\b|\bbao gồm\b|\btrong do\b|\bgom\b|\bbao gom\b",
    re.IGNORECASE,
)
_WEAK = re.compile(r"\bvà\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZĐÀ-Ỹ\d\-+•])|(?<=\.)\s*$")
PARENTHESIS = re.compile(r"\([^()]*\)")
# A rate a fraction introduces: only words between, ending in `đạt`, `chiếm`, `=` (after a comma or "(").
_INTRO = (
    r"(?:[,(]?\s*\(?\s*(?:đạt|chiếm|bằng|tương ứng|tương đương|dat|chiem|bang|=)\s*"
    r"(?:tỷ\s+lệ|tỉ\s+lệ|ty\s+le)?\s*(?:là|la)?"
    r"|[,(]\s*(?:tỷ\s+lệ|tỉ\s+lệ|ty\s+le)\s*(?:là|la|đạt)?"
    r"|\s*\()\s*$"
)
# the words between a fraction and its rate, a whole aside among them (`386/392 văn bản (trừ văn bản mật),
# tỷ lệ 98,47%`)
_RATE_INTRO = re.compile(rf"^(?:[^;()]|\([^;()]*\)){{0,120}}?{_INTRO}", re.IGNORECASE)
_INTRO_WORDS = re.compile(_INTRO, re.IGNORECASE)
# Names of the offices that receive dossiers: they say where, not what (`Bộ phận tiếp nhận và trả kết quả`).
_OFFICES = re.compile(
    r"bộ phận tiếp nhận và trả kết quả|trung tâm phục vụ hành chính công|bộ phận một cửa|bộ phận tiếp nhận"
)
# The province's dossier system by its name, whose words (`giải quyết`) are no figure's: read as the one-stop
# system it is (`Đã tiếp nhận trên Hệ thống thông tin giải quyết TTHC … là 2.146 hồ sơ` is dossiers received)
_DOSSIER_SYSTEM = re.compile(r"hệ thống thông tin giải quyết (?:thủ tục hành chính|tthc)")
# A statement that there were none, closed before the figure (`không có hồ sơ nào trễ hạn: 968 hồ sơ giải
# quyết trước hạn`, `chưa phát sinh hồ sơ quá hạn; …`): its words are about no figure
_NONE_STATED = re.compile(
    r"(?:không|chưa)\s+có\s+(?:\w+\s+){0,4}?nào\b[^,;:.()]*(?=[,;:.])"
    r"|(?:không|chưa)\s+phát\s+sinh\b[^,;:.()]*(?=[,;:.])",
    re.IGNORECASE,
)
UNIT_COLUMNS = ("đơn vị tính", "đvt", "đơn vị")
_MONEY_UNITS = ("đồng", "đ", "vnđ")
# A unit a table's label gives in brackets when the table has no unit column (`Kinh phí chuyển đổi số
# (đồng)`, `Phủ sóng 4G (% diện tích)`)
_LABEL_UNIT = re.compile(r"\(\s*(%[^()]*|đồng|vnđ|(?:ngàn|nghìn|triệu|tỷ)\s+đồng)\s*\)", re.IGNORECASE)
_SCALED_MONEY = re.compile(r"(ngàn|nghìn|triệu|tỷ|tr)\.?\s*(?:đồng|đ|vnđ)?")


def _money_scale(unit: str | None) -> Decimal | None:
    """What one of a money unit is worth in đồng (`triệu đồng`: a million, `tr.đ` too); None for another
    unit."""
    if unit in _MONEY_UNITS:
        return Decimal(1)
    scaled = _SCALED_MONEY.fullmatch(unit or "")
    if not scaled:
        return None
    return _SCALE.get(scaled.group(1), Decimal(1_000_000))  # `tr`: triệu


# A fraction that is a day and month (`từ 01/7 đến 10/9/2025`).
_DATE_BEFORE = re.compile(
    r"(?:\btừ|\bđến|\bngày|\btháng|\btrước|\bsau|\bvào|\bhạn|\blúc|\bdịp|\btính đến|\bkể từ|\bcuối|\bđầu"
    r"|\bsáng|\bchiều|\btối|\btrong|\bngày\s+\d{1,2}\s*[-–]|\bhết"
    r"|\btu|\bden|\bngay|\bthang|\btruoc|\bvao|\bluc|\btinh den|\bke tu|\bcuoi|\bdau|\bhet)\s*$",
    re.IGNORECASE,
)
_DATE_AFTER = re.compile(r"^\s*(?:đến|-|–)\s*(?:ngày\s*)?\d", re.IGNORECASE)

TRAILING_WORDS = 14
# Below this confidence a mapped figure waits for review (dbt var `narrative_review_threshold`, same value).
DEFAULT_REVIEW_THRESHOLD = 0.8
SUBJECT_BASE = 0.7  # a figure read with the words of the figure before it: below the threshold, reviewed
TOPIC_BASE = 0.7  # a figure read with the words of its headings: below the threshold, reviewed
TOPIC_TERSE_WORDS = 6  # only a figure with this few words of its own borrows its headings
RATE_KINDS = ("rate",)
COUNT_KINDS = ("count", "stock")


@dataclass(frozen=True)
class KeywordRule:
    indicator_code: str
    kind: str  # the indicator's kind in the catalogue
    all_of: tuple[tuple[str, ...], ...]
    none_of: tuple[str, ...]
    name: str = ""  # the indicator's name in the catalogue (name key): what a figure of it is about

    def score(self, context: str, folded: bool = False) -> int:
        """How many terms the context matches (0: the rule does not apply). A context typed without
        diacritics (`xa tiep nhan 512 ho so`), passed folded, is matched on the terms without theirs."""
        none_of, all_of = self.folded if folded else (self.none_of, self.all_of)
        if any(_has(context, term) for term in none_of):
            return 0
        if all(any(_has(context, alt) for alt in term) for term in all_of):
            return len(all_of)
        return 0

    @property
    def folded(self) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
        return _folded_terms(self.none_of, self.all_of)


_EXPANSIONS = sorted(set(ABBREVIATIONS.values()), key=len, reverse=True)


def unaccented(text: str) -> bool:
    """Typed without diacritics: almost no letter beyond ASCII (an abbreviation expanded in full, `TTHC`,
    does not make a phone-typed sentence Vietnamese-accented)."""
    for expansion in _EXPANSIONS:
        text = text.replace(expansion, " ")
    letters = [c for c in text if c.isalpha()]
    accented = sum(not c.isascii() for c in letters)
    return bool(letters) and accented <= 0.1 * len(letters) and accented < 12


@lru_cache(maxsize=512)
def _folded_terms(
    none_of: tuple[str, ...], all_of: tuple[tuple[str, ...], ...]
) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    return tuple(ascii_fold(t) for t in none_of), tuple(tuple(ascii_fold(a) for a in t) for t in all_of)


def _has(context: str, term: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(term)}(?!\w)", context) is not None


@lru_cache(maxsize=4)
def _rules_from_seeds(reference_dir: str | None) -> tuple[KeywordRule, ...]:
    folder = Path(reference_dir) if reference_dir else None
    catalogue = read_seed("ref_indicators", folder)
    kinds = {row["indicator_code"]: row["kind"] for row in catalogue}
    names = {row["indicator_code"]: name_key(row["name_vi"]) for row in catalogue}
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
                names[code],
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
    own_lead: str = ""  # its noun and the words just before it, without what trails it
    follows_count: bool = False  # a rate right after a figure (`1.293 hồ sơ, đạt 61,4%`): that figure's share
    role_before: str = ""  # the words of its clause before it, where the cues of its role are looked for
    role_after: str = ""  # the few words right after it (`so với chỉ tiêu`, `điểm phần trăm`)
    indicator_code: str | None = None
    is_percent: bool = False  # the value is a rate (a rate, or a fraction read for a rate indicator)
    confidence: float = 0.0
    candidates: tuple[str, ...] = field(default=())
    role: str = "actual"  # actual | proposal | target | change | subset | norm | received_in_period | other
    role_cue: str = ""  # the words that gave the role (empty: no cue, an actual figure)
    needs_review: bool = False  # held for a person to decide before it reaches the marts
    review_reason: str = ""
    bare: bool = False  # a number after its label with no noun (`đã giải quyết 583,`): never lands alone
    # read with the words of the sentence's figure before it (`… 15 Tổ công nghệ số cộng đồng, với 90 thành
    # viên`): kept only for a count whose noun fits the indicator's unit, and always reviewed
    borrowed: bool = False
    # the words of the headings it sits under (`HỒ SƠ THỦ TỤC HÀNH CHÍNH`, `2. Chữ ký số`): what a terse
    # line under them (`853 nộp trực tuyến`, `- SIM PKI: 12`) may be about; read so, it is always reviewed
    topic: str = ""
    # the counts the bulleted line it hangs from states (`- Trực tiếp: 1.602 hồ sơ` over `+ Tại bộ phận một
    # cửa: 1.488 hồ sơ`): read for the same indicator as one of them, it is a part of it
    part_of: tuple[Decimal, ...] = ()
    ocr: bool = False  # read with letters a scan's text recognition put for digits (`3.4l6`): always reviewed
    worded: bool = False  # digits with the words of hundreds between (`2 trăm 15`): always reviewed

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


def _number_text(match: re.Match) -> str:
    """The matched figure's text from its first digit."""
    text = match.group(0)
    return text[next((i for i, c in enumerate(text) if c.isdigit()), 0) :]


def _figure_of(match: re.Match, sentence: str, block: Block) -> Figure | None:
    before, after = sentence[: match.start()], sentence[match.end() :]
    groups = match.groupdict()
    not_after = _NOT_AFTER_COUNT if groups["count"] is not None else _NOT_AFTER
    # money after a span of months, or an amount in thousands after a period word (`chi trong quý
    # 25.000.000 đồng`): no date, year or article number is written so
    amount_after_months = _AN_AMOUNT.search(match.group(0)) and (
        _TIME_BEFORE.search(before) or (groups["money"] and _THOUSANDS.search(groups["money"]))
    )
    number = _number_text(match)
    if groups["money"] is None and _IDENTIFIER.match(number):
        return None  # a citizen's ID, a phone number, a tax code: no figure, and personal data besides
    # a number with thousands after a period's word (`lũy kế 9 tháng 1.203 hồ sơ`, `cả năm 1.486`): no day,
    # month or year is written so
    thousands_after_period = _PERIOD_WORD_BEFORE.search(before) and _GROUPED.match(number)
    if (
        _NOT_BEFORE.search(before) and not amount_after_months and not thousands_after_period
    ) or not_after.search(after):
        return None
    if groups["num"] is not None and _is_day_month(groups["num"], groups["den"], before, after):
        return None
    printed = match.group(0).strip()
    common = {"printed": printed, "sentence": sentence, "block": block, "start": match.start()}
    if groups["num"] is not None:
        numerator, denominator = _count_number(groups["num"]), _count_number(groups["den"])
        rate_text = f"{groups['frate']}%" if groups["frate"] else None
        return Figure(
            "fraction",
            numerator=numerator,
            denominator=denominator,
            numerator_text=groups["num"],
            denominator_text=groups["den"],
            rate=parse_number(groups["frate"]) if rate_text else None,
            rate_text=rate_text,
            noun=ABBREVIATIONS.get((groups["fnoun"] or "").lower(), (groups["fnoun"] or "").lower()) or None,
            **common,
        )
    if groups["rate"] is not None:
        rate = parse_number(groups["rate"])
        return Figure("rate", value=rate, rate=rate, rate_text=f"{groups['rate']}%", **common)
    if groups["bare"] is not None:
        return _bare_count(groups["bare"], before, common)
    if groups["tagged"] is not None:
        # only where no label precedes it: `trực tuyến 836 trực tiếp 441` is two labelled figures
        if not _LIST_OPENS.search(before):
            return None
        return _bare_count(groups["tagged"], before, common, labelled_after=True)
    if groups["money"] is not None:
        amount = parse_number(groups["money"]) * _SCALE.get((groups["scale"] or "").lower(), Decimal(1))
        return Figure("money", value=amount, numerator=amount, numerator_text=groups["money"], **common)
    scale = (groups["cscale"] or "").lower()
    number = parse_number(groups["count"]) if scale else _count_number(groups["count"])
    count = number * _SCALE.get(scale, 1)
    noun = groups["noun"].lower()
    return Figure(
        "count",
        value=count,
        numerator=count,
        numerator_text=groups["count"],
        noun=ABBREVIATIONS.get(noun, noun),
        **common,
    )


# A bare number follows a word of its label (`trực tuyến 404 (66,01%)`, `kích hoạt 6.104,`), never a place
# or an item's number (`thôn 5,`, `tổ 3;`) or a year.
# `trước hạn: 962`, `trước hạn — 962`, `USB token: "33"`
_LABEL_WORD_BEFORE = re.compile(r"[^\W\d_]{2,}\s*[:—–]?\s*[\"“«]?$")
_NUMBERING_BEFORE = re.compile(
    r"(?:\btổ|\bthôn|\bkhu|\bxóm|\blàng|\bsố|\bphòng|\bcấp|\bmức|\bđộ|\bgiai đoạn|\bđợt|\bnhóm|\bbước|\btầng"
    r"|\bquyết định|\bhuyện|\bxã|\bphường|\bđiểm|\bhạng|\bthứ|\btop|\bto|\bthon|\bso)\s*:?\s*$",
    re.IGNORECASE,
)


def _bare_count(text: str, before: str, common: dict, labelled_after: bool = False) -> Figure | None:
    if not (labelled_after or _LABEL_WORD_BEFORE.search(before)) or _NUMBERING_BEFORE.search(before):
        return None
    value = _count_number(text)
    if value != value.to_integral_value() or (len(text) == 4 and 1900 <= value <= 2100):
        return None
    return Figure("count", value=value, numerator=value, numerator_text=text, bare=True, **common)


_COMMA_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+")


def _count_number(text: str) -> Decimal:
    """A count or a fraction's part: `1,742 hồ sơ` is 1742, since a count has no decimals (the forms read it
    so too); `1,5` stays 1,5 and `2,125 triệu` is read by the scale's branch, where decimals are real."""
    if _COMMA_THOUSANDS.fullmatch(text):
        return Decimal(text.replace(",", ""))
    return parse_number(text)


def _is_day_month(numerator: str, denominator: str, before: str, after: str) -> bool:
    if not (numerator.isdigit() and denominator.isdigit()):
        return False
    if not (1 <= int(numerator) <= 31 and 1 <= int(denominator) <= 12):
        return False
    return bool(_DATE_BEFORE.search(before) or _DATE_AFTER.search(after))


def _split_gap(gap: str) -> tuple[str, str]:
    """The text between two figures: what trails the first, what leads to the second."""
    strong = list(_STRONG.finditer(gap))
    if len(strong) > 1 and strong[-1].group(0) == "(" and not gap[strong[-1].end() :].strip():
        # `34 máy, đều đã cài phần mềm phòng chống mã độc có bản quyền (100%)`: the words before the bracket
        # are the bracketed figure's, as `(…)` right after its own noun would be
        between = gap[strong[-2].end() : strong[-1].start()]
        if re.search(r"[^\W\d_]", between):
            return gap[: strong[0].start()], between
    if strong:
        return gap[: strong[0].start()], gap[strong[-1].end() :]
    # `Đã giải quyết 871 HS: trước hạn 702`: the words after a colon are the next figure's label
    head, colon, tail = gap.rpartition(":")
    if colon and tail.split():
        return head, tail
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


# A unit named in a figure's words (`52 máy của xã Mỏ Cày cũ và xã Đức Hiệp`): whose the figure is, never what
# it counts (`cũ` there is the former commune, not old computers)
_UNIT_NAMED = re.compile(
    r"(?<!\w)(?i:xã|phường|thị trấn)\s+[A-ZĐ][\w-]*(?:\s+[A-ZĐ][\w-]*){0,3}(?:\s+(?i:cũ)(?!\w))?"
)


def _context(leading: str, words: str) -> str:
    """The words a figure is mapped on: lower case, without parenthesised asides, units' or offices' names."""
    context = expand_abbreviations(name_key(_UNIT_NAMED.sub(" ", PARENTHESIS.sub(" ", f"{leading} {words}"))))
    return _OFFICES.sub(" ", _DOSSIER_SYSTEM.sub("hệ thống một cửa điện tử", context))


def _word_count(text: str) -> int:
    return sum(1 for word in text.split() if any(c.isalpha() for c in word))


def topic_words(heading: str) -> str:
    """A heading's words as a figure's topic: without its numbers, dates and asides, nor the words that say
    only "the results" (`II. KẾT QUẢ ĐẠT ĐƯỢC`, `Tình hình và kết quả thực hiện`)."""
    return " ".join(_RESULTS_WORDS.sub(" ", _context("", re.sub(r"[\d/.:–-]+", " ", heading))).split())


def expand_abbreviations(text: str) -> str:
    return _ABBREVIATION.sub(lambda m: ABBREVIATIONS[m.group(1)], text)


def _after_last_delimiter(gap: str) -> str:
    strong = list(_STRONG.finditer(gap))
    return _after_topic(gap[strong[-1].end() :] if strong else gap)


def _after_topic(leading: str) -> str:
    """`Kết quả giải quyết TTHC 6 tháng: tiếp nhận 2.106 hồ sơ`: words after a colon are the figure's own
    and what precedes it is a topic; a figure right after the colon (`Tổng số HS tiếp nhận: 1.027 HS`) keeps
    the words before it, its label."""
    head, colon, tail = leading.rpartition(":")
    return tail if colon and tail.split() else leading


def _clauses(sentence: str) -> Iterator[tuple[int, str]]:
    """The sentence's parts between semicolons, except those inside a parenthesis: `CKS: 20 (USB token:
    16; SIM: 04)` is one clause, whose aside breaks the total down (the `;` there parts two figures)."""
    start = depth = 0
    for i, char in enumerate(sentence):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif char == ";" and not depth:
            yield start, sentence[start:i]
            start = i + 1
    yield start, sentence[start:]


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
            if (
                previous.kind == "fraction"
                and previous.rate is None
                and _RATE_INTRO.match(gap)
                and not (_names_another_subject(gap) and _far_from(previous, figure.rate))
            ):
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


# How far a rate may be from its fraction and still be that fraction's printed rate when the words between
# could start another clause: a typing or rounding slip (543/544 printed 99,81%: the rules find it) is
# within; another indicator's rate (99,43% of results digitised after 543/544 dossiers) is not.
FRACTION_RATE_SLACK = Decimal("0.1")


def _far_from(fraction: Figure, rate: Decimal | None) -> bool:
    if rate is None or not fraction.denominator or fraction.numerator is None:
        return False
    return abs(100 * fraction.numerator / fraction.denominator - rate) > FRACTION_RATE_SLACK


def _names_another_subject(gap: str) -> bool:
    """The words between a fraction and a rate may start a clause of their own after a comma, with a subject
    before its `đạt` (`543/544 hồ sơ khi tiếp nhận, số hóa kết quả giải quyết đạt 99,43%`): with a rate far
    from the fraction's, the rate is that subject's, not the fraction's printed rate. A comma followed by the
    introduction alone (`, đạt`, `, tỷ lệ`, `, tương ứng`) always introduces the fraction's own rate."""
    if "," not in gap:
        return False
    after = PARENTHESIS.sub(" ", gap.rsplit(",", 1)[1])
    return len(_INTRO_WORDS.sub(" ", after).split()) >= 2


_LINKS = re.compile(r"(?:\bvới|\bgồm|\bbao gồm)\s*(?:\[\^\d+\])?\s*$", re.IGNORECASE)
_LEAD_IN = re.compile(r"^([^:;]{1,60}):\s")
LEAD_IN_WORDS = 4


def _opening_place(sentence: str) -> str:
    """What a sentence opens with that governs all its clauses: a named place (`- Làng Kleng có 01 tổ, …;
    mới kích hoạt 612 tài khoản`), a lead-in before a colon (`Lũy kế 9 tháng năm 2025: …; …`, `Phấn đấu
    đến cuối năm 2025: …`), or its first words (`Phấn đấu tỷ lệ … đạt 60%; số hóa … đạt 90%`)."""
    text = sentence.lstrip("-–+•* \t")
    match = _PLACE_NAMED.match(text)
    if match:
        return match.group(0)
    lead_in = _LEAD_IN.match(text)
    if lead_in and len(lead_in.group(1).split()) <= 10:
        return lead_in.group(1)
    return " ".join(text.split()[:LEAD_IN_WORDS])


# A figure followed by itself in words, as official documents write it (`01 (một) công chức`, `570 (năm trăm
# bảy mươi) hồ sơ`): the words are the same figure, and between it and its noun they would hide the noun.
_NUMBER_WORDS = (
    "không|một|mốt|hai|ba|bốn|tư|năm|lăm|sáu|bảy|tám|chín|mười|mươi|trăm|nghìn|ngàn|triệu|tỷ|tỉ|linh|lẻ|"
    "phẩy|phần trăm"
)
_NUMBER_IN_WORDS = re.compile(rf"(\d)\s*\((?:{_NUMBER_WORDS})(?:[\s,]+(?:{_NUMBER_WORDS}))*\)", re.IGNORECASE)
# The other order, as careful secretaries write it: the words, then the figure in brackets (`bốn trăm tám
# mươi sáu (486) hồ sơ`, `hai (02) hồ sơ`, `không (0)`): the figure stands for both.
_WORDS_THEN_NUMBER = re.compile(
    rf"(?<!\w)(?:{_NUMBER_WORDS})(?:[\s,]+(?:{_NUMBER_WORDS}))*\s*\(\s*({_NUM})\s*\)", re.IGNORECASE
)
# Digits with the words of hundreds and thousands between them, as typed in a hurry (`2 trăm 15 hồ sơ`,
# `1 nghìn 2 trăm 40 tài khoản`, `3 trăm linh 5`, `1 nghìn 240`): one number. Money's scale (`25 nghìn
# đồng`, `3 triệu 500 nghìn`) is not this: a thousand is read so only when digits follow it.
_MIXED_NUMBER = re.compile(
    r"(?<![\d.,])(?:(?P<th>\d{1,3})\s+(?:nghìn|ngàn|nghin|ngan)\s+(?=\d))?"
    r"(?:(?P<h>\d)\s+(?:trăm|tram)(?:\s+(?:(?:linh|lẻ|le)\s+(?P<u>\d)|(?P<t>\d{1,2})))?"
    r"|(?P<rest>(?<=\s)\d{3}))(?!\d|[.,]\d|\s+\d)(?!\s*(?:nghìn|ngàn|triệu|tỷ|nghin|ngan|trieu|ty)(?!\w))",
    re.IGNORECASE,
)


def _mixed_numbers(text: str) -> str:
    def number(match: re.Match) -> str:
        if match["rest"] is not None and match["th"] is None:
            return match.group(0)  # three digits alone: a number as it is
        value = int(match["th"] or 0) * 1000 + (
            int(match["rest"])
            if match["rest"] is not None
            else int(match["h"]) * 100 + int(match["u"] or match["t"] or 0)
        )
        return f"{value:,}".replace(",", ".")

    return _MIXED_NUMBER.sub(number, text)


# A fraction in words: `163 hồ sơ trên tổng số 215 hồ sơ có thu phí`, `41 trên 57 hồ sơ` (the share of the
# second the first is); written `163/215 hồ sơ …` so it is read as the fraction it is.
# Only of like things: `6.512 tài khoản trên 6.930 người đã cài đặt` is two counts.
_WORDED_FRACTION = re.compile(
    rf"(?<![\w.,/])(?P<num>{_NUM})(?:\s+(?P<first>{_NOUN})(?P<words>(?:\s+[^\W\d]+){{0,5}}?))?"
    rf"\s+(?:trên|trong)\s+(?:tổng\s+số\s+|số\s+)?(?P<den>{_NUM})(?=\s+(?P<second>{_NOUN})(?!\w))",
    re.IGNORECASE,
)


def _worded_fraction(match: re.Match) -> str:
    """`72 hồ sơ thanh toán trực tuyến trên tổng số 96 hồ sơ` → `thanh toán trực tuyến 72/96 hồ sơ`: the
    words between say what the share is of, and stay before it."""
    first, second = match.group("first"), match.group("second")
    if first and name_key(first) != name_key(second):
        return match.group(0)
    fraction = f"{match.group('num')}/{match.group('den')}"
    words = (match.group("words") or "").strip()
    return f"{words} {fraction}" if words else fraction


# `X, Y và Z lần lượt là 341, 139 và 06 hồ sơ`: each figure of the list belongs to the label in its place.
_RESPECTIVELY = re.compile(
    r"\s*,?\s*(?<!\w)(?:lần\s+lượt|tương\s+ứng)(?!\w)(?P<verb>\s+(?:là|đạt|chiếm|bằng))?\s*:?\s*",
    re.IGNORECASE,
)
_LIST_SEPARATOR = re.compile(r"\s*,\s*(?:và\s+)?|\s+và\s+", re.IGNORECASE)
_LIST_VALUE = re.compile(rf"(?P<num>{_NUM})(?P<tail>\s*%|(?:\s+(?!và(?!\w))[^\W\d]+)*)", re.IGNORECASE)


def _respectively(sentence: str) -> str:
    """The sentence with a respectively-list written out, label by label (`trước hạn, đúng hạn và trễ hạn
    lần lượt là 801, 148 và 04 hồ sơ` → `trước hạn là 801 hồ sơ, đúng hạn là 148 hồ sơ và trễ hạn là 04
    hồ sơ`): only when the labels hold no figure and there are as many labels as figures, two or more. A
    figure without a noun takes the last one's (`801, 148 và 04 hồ sơ`)."""
    match = _RESPECTIVELY.search(sentence)
    if not match:
        return sentence
    head, rest = sentence[: match.start()], sentence[match.end() :]
    start = max(head.rfind(mark) for mark in ".;:()") + 1
    figures_before = list(re.finditer(r"\d", head[start:]))
    if (
        figures_before
    ):  # `… là 953 hồ sơ, trong đó trước hạn, …`: the labels start after the clause of the last
        comma = head.find(",", start + figures_before[-1].end())
        if comma < 0:
            return sentence
        start = comma + 1
    preamble, labels_text = head[:start], head[start:]
    values, position = [], 0
    while True:
        value = _LIST_VALUE.match(rest, position)
        if not value:
            break
        values.append((value.group("num"), value.group("tail")))
        position = value.end()
        separator = _LIST_SEPARATOR.match(rest, position)
        if not separator or not _LIST_VALUE.match(rest, separator.end()):
            break
        position = separator.end()
    labels = [label for label in _LIST_SEPARATOR.split(labels_text) if label.strip()]
    if len(values) < 2 or len(labels) < len(values):
        return sentence
    kept = len(labels) - len(values)
    first_label = labels_text[: _nth_label_end(labels_text, kept)] if kept else ""
    labels = labels[kept:]
    noun = values[-1][1]
    verb = match.group("verb") or ""
    parts = [
        f"{label.strip()}{verb} {num}{tail or noun}"
        for label, (num, tail) in zip(labels, values, strict=True)
    ]
    written = ", ".join(parts[:-1]) + " và " + parts[-1]
    space = labels_text[: len(labels_text) - len(labels_text.lstrip())]
    opening = f"{first_label.strip()} " if first_label.strip() else ""
    return f"{preamble}{space}{opening}{written}{rest[position:]}"


def _nth_label_end(labels_text: str, count: int) -> int:
    """Where the `count`-th item of a comma/`và` list ends, separator included (the words before the labels
    a respectively-list pairs with its figures)."""
    seen = 0
    for separator in _LIST_SEPARATOR.finditer(labels_text):
        if labels_text[: separator.start()].strip():
            seen += 1
            if seen == count:
                return separator.end()
    return 0


def find_figures(block: Block) -> list[Figure]:
    """Every figure of a paragraph or footnote, with the words around it: its own (`context`), everything
    before it in its clause when it is the clause's first (`wide_context`), and the words that open its
    clause (`lead_context`) and all up to the next figure (`far_context`)."""
    figures: list[Figure] = []
    unmarked = _FOOTNOTE_MARK.sub("", block.text)
    text = _ocr_digits(unmarked)
    repaired = text != unmarked
    spelled = _mixed_numbers(text)
    worded = spelled != text
    text = spelled
    text = _WORDS_THEN_NUMBER.sub(r"\1", _NUMBER_IN_WORDS.sub(r"\1", _GLUED.sub(" ", text)))
    for sentence in sentences(_WORDED_FRACTION.sub(_worded_fraction, text)):
        sentence = _respectively(sentence)
        place = _opening_place(sentence)
        for offset, clause in _clauses(sentence):
            lead = None
            found = _clause_figures(clause, block)
            for i, (start, end, figure, inner) in enumerate(found):
                previous_end = found[i - 1][1] if i else 0
                next_start = found[i + 1][0] if i + 1 < len(found) else len(clause)
                gap_before = clause[previous_end:start]
                leading = _after_topic(_split_gap(gap_before)[1]) if i else _after_last_delimiter(gap_before)
                if i and _LINKS.search(gap_before):
                    # the figure before, past a bracket that follows it (`09 Tổ … (100% thôn) với 36 thành
                    # viên`)
                    outer = next((j for j in range(i - 1, -1, -1) if _depth(clause, found[j][0]) == 0), i - 1)
                    linked = clause[found[outer][1] : start]
                    if not _STRONG.search(PARENTHESIS.sub(" ", linked)):
                        # `16 Tổ công nghệ số cộng đồng với 92 thành viên`, `12/12 thôn đã thành lập Tổ … với
                        # 48 thành viên`: the members of what the words before name
                        leading = f"{found[outer][2].noun or ''} {PARENTHESIS.sub(' ', linked)}"
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
                        role_before=(f"{place} " if offset else "") + _role_scope(clause[:start]),
                        role_after=_role_after(clause[end:next_start]),
                        own_lead=_context(leading, f"{noun} {inner}"),
                        follows_count=bool(i) and _introduces_share(gap_before),
                        context=_context(leading, words),
                        wide_context=_context(gap_before, words) if not i else "",
                        lead_context=_context(f"{lead} {leading}" if i else lead, words),
                        far_context=_context(leading, f"{noun} {inner} {clause[end:next_start]}"),
                        ocr=repaired and _rewritten(figure, unmarked),
                        worded=worded and _rewritten(figure, unmarked),
                    )
                )
    return figures


def _rewritten(figure: Figure, written: str) -> bool:
    """A part of the figure is not in the text as written: it was read from a rewriting of it (letters a
    scan put for digits, a number half in words)."""
    parts = (figure.numerator_text, figure.denominator_text, figure.rate_text)
    return not all(part is None or part in written for part in parts)


_VALUE_CELL = re.compile(rf"(?:{_NUM})(?:\s*/\s*(?:{_NUM}))?\s*%?")


def is_value(text: str) -> bool:
    """A table cell that is wholly a figure: a number, a fraction or a rate."""
    return _VALUE_CELL.fullmatch(text.strip()) is not None


def table_figures(cells: list[Block], header: dict[int, str], unit: str | None = None) -> list[Figure]:
    """Figures of one table row: each cell that is wholly a number, fraction or rate, read with the row's
    other cells as its words. A bare number under a header that says `%` or `tỷ lệ` is a rate, otherwise a
    count with the noun of the row's unit column (`Đơn vị tính`), else of the table's (`unit`, from its
    caption). A first cell that is a bare row number (`STT`) is not a figure."""
    sentence = " | ".join(c.text for c in cells)
    labels, values = [], []
    for position, cell in enumerate(cells):
        text, column = cell.text.strip(), name_key(header.get(cell.cell, ""))
        if position == 0 and re.fullmatch(r"\d{1,3}(?:\.\d{1,2}){0,2}\.?|[IVX]+\.?|[a-zđ]\)", text):
            continue
        if is_value(text):
            values.append((cell, text, column, len(labels)))
        elif column in UNIT_COLUMNS:
            unit = text.lower()
        else:
            labels.append(text)
    if unit is None and (aside := _LABEL_UNIT.search(" ".join(labels))):
        unit = "%" if aside.group(1).startswith("%") else aside.group(1).lower()  # `Kinh phí (đồng)`
    scale = _money_scale(unit)
    figures = []
    for cell, text, column, labels_before in values:
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
            money = scale is not None and count is not None
            value = count * scale if money else count  # `Kinh phí | triệu đồng | 26,5`: 26.500.000 đồng
            kind = "money" if money else "count"
            figure = Figure(kind, value=value, numerator=value, numerator_text=text, noun=unit, **common)
        # a label's short aside names its kind (`Số chứng thư số (USB token)`): kept; a longer one is a note
        words = " ".join([*labels, _GENERIC_COLUMN.sub(" ", column), unit or ""])
        context = expand_abbreviations(name_key(PARENTHESIS.sub(_short_aside, words)))
        # the role's cues are in the cells before the figure and its column's header: a later cell (`Mức
        # quy định: tối thiểu 50%`, `Ghi chú`) speaks of another figure
        role_before = " ".join([*labels[:labels_before], column])
        figures.append(replace(figure, context=context, role_before=role_before))
    return figures


# A column header that says only "the results" (`Kết quả thực hiện quý IV`, `Kết quả`, `Thực hiện`): no
# words of an indicator (`kết quả` is also the start of `kết quả giải quyết`, a result digitised or returned)
_GENERIC_COLUMN = re.compile(
    r"^(?:kết quả thực hiện|kết quả đạt được|kết quả|thực hiện)(?=\s+(?:quý|năm|tháng|\d)|$)"
)
_RESULTS_WORDS = re.compile(r"\b(?:tình hình (?:và )?)?kết quả (?:thực hiện|đạt được|triển khai)\b")


def _short_aside(match: re.Match) -> str:
    """A bracketed aside of a table's label read as words when it is a name (up to three words, no figure):
    `(USB token)`, `(SIM PKI)`; any other aside left out."""
    inner = match.group(0)[1:-1]
    return f" {inner} " if len(inner.split()) <= 3 and not re.search(r"\d", inner) else " "


def _says_rate(labels: list[str]) -> bool:
    return any(name_key(label).startswith(("tỷ lệ", "tỉ lệ")) for label in labels)


def _compatible(figure: Figure, rule: KeywordRule, fallback: bool) -> bool:
    if rule.kind == "flag":  # yes or no: the one item of the unit (`có 01 điểm cầu sẵn sàng`) says yes
        return figure.kind == "count" and figure.value == 1
    if figure.kind == "rate":
        return rule.kind in RATE_KINDS
    if figure.kind == "money":
        return rule.kind == "money"
    if figure.kind == "fraction":
        return rule.kind in (COUNT_KINDS if fallback else RATE_KINDS)
    return rule.kind in COUNT_KINDS


def _best(context: str, figure: Figure, rules: Iterable[KeywordRule], fallback: bool, marks: bool = True):
    scores: dict[str, int] = {}
    folded = not marks or unaccented(context)  # once per context, not once per rule
    if folded:
        context = ascii_fold(context)
    for rule in rules:
        if _compatible(figure, rule, fallback):
            score = rule.score(context, folded)
            if score:
                scores[rule.indicator_code] = max(score, scores.get(rule.indicator_code, 0))
    if not scores and not folded:
        # a word typed with a wrong or missing mark (`tiêp nhận`, `trưc tuyến`, `kích hoặt`): the terms
        # without their marks, tried only when no term matched as written
        return _best(context, figure, rules, fallback, marks=False)
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


def _restates_rate_before(figures: list[Figure], i: int) -> bool:
    """A fraction without a rate of its own right after a rate of its sentence that it equals to the rate's
    printed decimals (`đạt 99,44%, tức là 2.119 trên tổng số 2.131 hồ sơ đã giải quyết`): the same figure
    said again, whose words name its denominator, not what it is a share of."""
    figure = figures[i]
    if figure.kind != "fraction" or figure.rate is not None or not figure.denominator or not i:
        return False
    before = figures[i - 1]
    if before.kind != "rate" or before.sentence != figure.sentence or before.value in (None, 0, 100):
        return False  # 100 % of one thing and 100 % of the next are no restatement
    decimals = printed_decimals(before.printed)
    share = (100 * figure.numerator / figure.denominator).quantize(Decimal(1).scaleb(-decimals))
    return share == before.value.quantize(Decimal(1).scaleb(-decimals))


# `trong đó`, `trong số đó`: what follows breaks the figure before it down
_BREAKDOWN_OPENS = re.compile(r"(?<!\w)(?:trong đó|trong số đó|trong số này|trong do)(?!\w)", re.IGNORECASE)


def _gap(figures: list[Figure], i: int) -> str:
    """The words between figure `i` and the one before it in the same sentence."""
    before = figures[i - 1]
    return figures[i].sentence[before.start + len(before.printed) : figures[i].start]


def map_figures(figures: list[Figure], rules: tuple[KeywordRule, ...]) -> list[Figure]:
    """Each figure with its indicator (or None), a confidence and the indicators that tied."""
    kinds = {rule.indicator_code: rule.kind for rule in rules}
    names = {rule.indicator_code: rule.name for rule in rules}
    mapped: list[Figure] = []
    used: list[str] = []  # the words that mapped each figure (what a following bare rate borrows)
    subject: tuple[str, str] | None = None  # (sentence, own words) of the last figure that mapped
    for i, figure in enumerate(figures):
        previous = used[i - 1] if i and figures[i - 1].sentence == figure.sentence else None
        # own words first, then the whole clause before it; a rate that follows a figure of its sentence
        # (`141 hồ sơ, chiếm tỷ lệ 24,74%`) is about that figure or unmapped; any other figure may borrow
        # the words that open its clause, then all up to the next figure. A fraction no rate matches is
        # read as its numerator's count.
        attempts, borrowing, whole_sentence = [], set(), None
        if previous is not None and figure.kind == "rate" and figure.follows_count:
            # `trễ hạn 12 hồ sơ, chiếm 0,59% số hồ sơ đã giải quyết`: the share of the figure before
            attempts.append((f"{previous} {figure.own_lead}", False, 0.9))
            if not mapped[i - 1].borrowed and (name := names.get(mapped[i - 1].indicator_code)):
                # `Tài khoản VNeID: … đã kích hoạt 5.118 (86,72%)`: the share of what that figure counts,
                # named as the catalogue names it when its own words left the subject before a colon
                attempts.append((f"{name} {figure.own_lead}", False, 0.85))
            if (
                i > 1
                and figures[i - 2].sentence == figure.sentence
                and _BREAKDOWN_OPENS.search(_gap(figures, i - 1))
            ):
                # `Văn bản đi cả năm 1.987, trong đó điện tử 1.979 (99,60%)`: the share of a part, named
                # with the words of the whole it is a part of
                attempts.append((f"{used[i - 2]} {previous} {figure.own_lead}", False, 0.85))
        if figure.kind == "rate" and figure.own_lead and figure.own_lead != figure.context:
            attempts.append((figure.own_lead, False, 0.95))
        attempts.append((figure.context, False, 0.95))
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
        if (
            figure.kind == "count"
            and figure.noun
            and not figure.bare
            and subject
            and subject[0] == figure.sentence
        ):
            # `thành lập 15 Tổ công nghệ số cộng đồng, với 90 thành viên`: a count whose own clause names no
            # indicator may be about what the sentence's last figure mapped by its own words counts; read
            # so, it always waits for a person (below the review threshold)
            attempts.append((f"{subject[1]} {figure.context}", False, SUBJECT_BASE))
            borrowing.add(len(attempts) - 1)
        if figure.topic and _word_count(figure.context) <= TOPIC_TERSE_WORDS:
            # a terse line under a heading (`853 nộp trực tuyến`, `- SIM PKI: 12`): what the heading names
            attempts.append((f"{figure.topic} {figure.context}", False, TOPIC_BASE))
        if figure.kind == "count" and figure.noun and not figure.bare and figure.start:
            # `17 Tổ công nghệ số cộng đồng (17/19 thôn có tổ), 71 thành viên`: as above when another figure
            # stands between, and last of all: what the sentence before it names (reviewed; only where the
            # noun fits; a rate after it borrows neither these words nor this reading)
            attempts.append((f"{figure.sentence[: figure.start]} {figure.context}", False, SUBJECT_BASE))
            borrowing.add(len(attempts) - 1)
            whole_sentence = len(attempts) - 1
        if figure.value or figure.numerator:
            # a figure that is not zero is not what a statement of none before it speaks of
            attempts = [(_NONE_STATED.sub(" ", c), fallback, base) for c, fallback, base in attempts]
        code, candidates, confidence, words = None, (), 0.0, figure.wide_context or figure.context
        used_attempt = None
        for n, (context, fallback, base) in enumerate(attempts):
            code, score, candidates = _best(context, figure, rules, fallback)
            if candidates:
                # more terms matched, more certain; a tie is no answer
                confidence = round(base * (1.0 if score >= 2 else 0.85), 2) if code else 0.3
                words, used_attempt = context, n
                break
        if (
            code is not None
            and _restates_rate_before(figures, i)
            and mapped[i - 1].indicator_code not in (None, code)
        ):
            # the rate said again as its fraction, read as another share by its denominator's words
            code, candidates, confidence = None, (), 0.0
        # a rate after it borrows its own words, not the sentence it was read with
        used.append(figure.wide_context or figure.context if used_attempt == whole_sentence else words)
        borrowed = code is not None and used_attempt in borrowing
        if code is not None and not borrowed:
            subject = (figure.sentence, figure.own_lead or figure.context)
        mapped.append(
            replace(
                _valued(figure, kinds.get(code)),
                indicator_code=code,
                confidence=confidence,
                candidates=candidates if code is None else (),
                borrowed=borrowed,
            )
        )
    return mapped


# --- Roles: what a statement says of its figure ------------------------------------------------------------
# A figure is the unit's own result or stock (`actual`) unless a cue of the catalogue (`ref_figure_roles.csv`)
# says otherwise: a proposal, a target, a change, a subset, a norm, equipment received in the period, or
# another period's or unit's figure. The cue nearest before the figure in its clause wins (an `actual` cue,
# `hiện có`, `đến nay`, ends the reach of one before it); a cue right after it (`so với chỉ tiêu`) wins over
# both. Phrases that only look like cues are not cues (`tăng cường`, `như sau`), nor is a word that names a
# document (`Kế hoạch số 22/KH-UBND`).

ROLES = ("actual", "proposal", "target", "change", "subset", "norm", "received_in_period", "other")
ROLE_AFTER_WORDS = 6
ROLE_REACH_WORDS = 12  # a cue further before the figure than this leaves its role uncertain
_NOT_CUES = re.compile(
    r"tăng cường|tăng trưởng|như sau|cũng như|như vậy|như trên|như thế|như nhau|giảm thiểu|giảm nghèo"
    r"|kết quả giải quyết|kết quả thực hiện nhiệm vụ|trả kết quả|thực hiện công văn|thực hiện kế hoạch"
)
_NOT_CUES_FOLDED = re.compile(ascii_fold(_NOT_CUES.pattern))
_DOCUMENT_AFTER = re.compile(r"^\s*(?:số\s*)?\d+\s*/|^\s*số\b")
# Where the reach of a role cue ends: a list mark or a new line (a colon does not: `Kiến nghị: cấp 10 máy`,
# `(quý II: 118 thành viên)` keep their cue).
_CLAUSE_START = re.compile(r"(?:^|\n|\s[-–+•*]\s)")


@dataclass(frozen=True)
class RoleRule:
    role: str
    cues: tuple[str, ...]
    after: bool
    indicators: frozenset[str]  # empty: any indicator; `!CODE`: any but that one

    def applies_to(self, code: str | None) -> bool:
        if f"!{code}" in self.indicators:
            return False
        return not {i for i in self.indicators if not i.startswith("!")} or code in self.indicators


@lru_cache(maxsize=4)
def _role_rules_from_seeds(reference_dir: str | None) -> tuple[RoleRule, ...]:
    folder = Path(reference_dir) if reference_dir else None
    rules = []
    for row in read_seed("ref_figure_roles", folder):
        if None in row or row["role"] not in ROLES or row["position"] not in ("before", "after"):
            raise ValueError(f"ref_figure_roles: unknown role or position in {row}")
        rules.append(
            RoleRule(
                row["role"],
                tuple(name_key(c) for c in row["cue"].split("|") if c),
                row["position"] == "after",
                frozenset(c for c in (row["indicators"] or "").split("|") if c),
            )
        )
    return tuple(rules)


def role_rules(reference_dir: str | None = None) -> tuple[RoleRule, ...]:
    return _role_rules_from_seeds(reference_dir)


# A table row that sums the others: `Tổng cộng`, `Tổng`, `Cộng`, `Toàn xã`, `Toàn phường`.
_TOTAL_ROW = re.compile(
    r"(?:tổng cộng|tổng số|tổng|cộng|toàn xã|toàn phường|toàn đặc khu|chung)"
    r"(?:\s+(?:các|cả)\s+(?:thôn|làng|bản|xóm|tổ dân phố|tdp|tổ|khu dân cư))?\s*:?"  # `Cộng các thôn`
)
TABLE_PART_CUE = "riêng"  # read as a subset cue: a row of a table that has a total row
# A place inside the unit named before a figure (`thôn Làng Mới có`, `tổ dân phố 3`, `riêng làng Kon Tu`):
# the figure is that place's part, not the unit's.
_PLACE_NAMED = re.compile(
    r"(?<!\w)(?i:thôn|làng|tổ dân phố|tdp|khu phố|xóm|bản|buôn|khối phố)\s+(?:số\s+)?(?:\d+|[A-ZĐ][\w-]*)"
)


def is_total_row(cells: list[Block]) -> bool:
    labels = [name_key(c.text) for c in cells if not is_value(c.text)]
    return any(_TOTAL_ROW.fullmatch(label) for label in labels)


def _introduces_share(gap: str) -> bool:
    """The words between a figure and a rate make the rate that figure's share: nothing but the words that
    introduce one (`1.293 hồ sơ, đạt 61,4%`), or, after the first figure's own trailing words and a comma,
    an explicit `chiếm`, `đạt`, `tương ứng`, `bằng` (`06 hồ sơ trễ hạn, chiếm 0,47%`)."""
    if _INTRODUCES_SHARE.fullmatch(gap):
        return True
    trailing, leading = _split_gap(gap)
    return bool(trailing.strip() and _EXPLICIT_SHARE.fullmatch(leading))


_EXPLICIT_SHARE = re.compile(
    r"\s*(?:chiếm|đạt|bằng|tương ứng|tương đương)\s*(?:với)?\s*(?:tỷ\s+lệ|tỉ\s+lệ)?\s*(?:là)?\s*[:=]?\s*",
    re.IGNORECASE,
)
_INTRODUCES_SHARE = re.compile(
    r"\s*[,(]?\s*(?:đạt|chiếm|bằng|tương ứng|tương đương|là)?\s*(?:tỷ\s+lệ|tỉ\s+lệ)?"
    r"\s*(?:là|đạt)?\s*[:=]?\s*",
    re.IGNORECASE,
)


def _role_after(text: str) -> str:
    """The words right after a figure that can give its role, up to a comma, parenthesis or slash (they
    would be another figure's: `99,4% (kế hoạch 100%)`, `1.064 tài khoản/2.500 chỉ tiêu`)."""
    return " ".join(re.split(r"[,(/;]", text, maxsplit=1)[0].split()[:ROLE_AFTER_WORDS])


def _role_scope(before: str) -> str:
    """The part of a clause before a figure that can hold its role's cue: from the last list mark or colon."""
    starts = [m.end() for m in _CLAUSE_START.finditer(before)]
    return before[starts[-1] :] if starts else before


def _cue_positions(text: str, cue: str) -> Iterator[tuple[int, int]]:
    if text.isascii():
        cue = ascii_fold(cue)  # a report typed without diacritics
    for match in re.finditer(rf"(?<!\w){re.escape(cue)}(?!\w)", text):
        if not _DOCUMENT_AFTER.match(text[match.end() :]):
            yield match.start(), match.end()


def _masked(text: str) -> str:
    """Phrases that only look like cues blanked out (same length, so positions hold)."""
    key = name_key(text)
    if unaccented(key):
        return _NOT_CUES_FOLDED.sub(lambda m: " " * len(m.group(0)), ascii_fold(key))
    return _NOT_CUES.sub(lambda m: " " * len(m.group(0)), key)


_PERIOD_MENTION = re.compile(
    r"(?<!\w)(?:(?:quý|quy)\s+(?P<q>iv|i{1,3}|[1-4])(?!\w)(?:\s*(?:/|năm|nam)\s*(?P<qy>20\d\d))?"
    r"|(?P<m>[69])\s+(?:tháng|thang)(?:\s+(?:đầu|dau)\s+(?:năm|nam))?(?:\s*(?:/|năm|nam)?\s*(?P<my>20\d\d))?"
    r"|(?P<h>(?:nửa|nua)\s+(?:đầu|cuối|dau|cuoi)\s+(?:năm|nam)|(?:6|sáu|sau)\s+(?:tháng|thang)\s+(?:cuối|cuoi)"
    r"\s+(?:năm|nam))"
    r"|(?:năm|nam)\s+(?P<y>20\d\d)"
    r"|(?:tháng|thang)\s+(?P<mo>1[0-2]|0?[1-9])(?![\d,.]))"
)
# Words before `tháng 9` that make it a date, a bound or a range, not that month's own figure
_NOT_A_MONTH = re.compile(
    r"(?:\bngày\s+\d{1,2}|\bngay\s+\d{1,2}|đến|tới|từ|cuối|đầu|den|toi|tu|cuoi|dau)\s*$"
)
_MONTHS = {"Q1": range(1, 4), "Q2": range(4, 7), "Q3": range(7, 10), "Q4": range(10, 13), "6M": range(1, 7)}
_MONTHS |= {"9M": range(1, 10), "Y": range(1, 13)}


_WHOLE_YEAR_BEFORE = re.compile(r"(?:lũy kế|luỹ kế|luy ke|cả|ca)\s*$")
# The year to date with no period named (`Lũy kế năm`, `lũy kế từ đầu năm`, a column `Lũy kế`): from the
# year's start to the end of the report's period, which is the report's own period only when that starts
# the year too. A period named after it (`Lũy kế 9 tháng năm 2025`) is read as that period instead.
_YEAR_TO_DATE = re.compile(
    r"(?:lũy|luỹ|luy)\s+(?:kế|ke)(?:\s+(?:từ đầu năm|tu dau nam|cả năm|ca nam|năm|nam)(?!\s*\d))?"
    r"(?!\w|\s+(?:\d|quý|quy|tháng|thang|năm|nam|từ|tu|cả|ca)\b)"
)
_STARTS_THE_YEAR = frozenset({"Q1", "6M", "9M", "Y"})


def _period_cues(text: str, period_key: str | None) -> list[tuple[int, int, str, str]]:
    """Periods the words before a figure name: another period than the report's makes the figure another
    period's (`quý III là 75,26%` in a Q4 report, a 9-month total inside a quarterly report, `năm 2024`);
    the report's own period makes it the report's. A year the report is in says neither."""
    if not period_key:
        return []
    year, part = period_key[:4], period_key[5:]
    cues = [
        (m.end(), len(m.group(0)), "actual" if part in _STARTS_THE_YEAR else "other", m.group(0))
        for m in _YEAR_TO_DATE.finditer(text)
    ]
    for m in _PERIOD_MENTION.finditer(text):
        if m["mo"]:
            # `tháng 10: 12.500.000 đồng` in a Q4 report: a month's part of the quarter; another period's
            # month is that period's
            if not _NOT_A_MONTH.search(text[: m.start()]):
                inside = int(m["mo"]) in _MONTHS.get(part, range(0))
                cues.append((m.end(), len(m.group(0)), "subset" if inside else "other", m.group(0)))
            continue
        if m["h"]:
            # `Nửa cuối năm xã mới tiếp nhận 702 hồ sơ` in a year's report: a half is another period
            named_year, named = year, "6M" if re.search(r"đầu|dau", m["h"]) else "H2"
        elif m["q"]:
            named_year, named = m["qy"] or year, f"Q{ROMAN.get(m['q']) or int(m['q'])}"
        elif m["m"]:
            named_year, named = m["my"] or year, f"{m['m']}M"
        elif m["y"] == year and _WHOLE_YEAR_BEFORE.search(text[: m.start()]):
            named_year, named = year, "Y"  # `Lũy kế năm 2025`, `cả năm 2025`: the whole year
        else:
            if m["y"] == year:
                continue
            named_year, named = m["y"], part
        role = "actual" if (named_year, named) == (year, part) else "other"
        cues.append((m.end(), len(m.group(0)), role, m.group(0)))
    return cues


# Cues of the `other` role that name another unit (the province, the country), not another period
_ANOTHER_UNIT = frozenset(
    {"toàn tỉnh", "bình quân chung", "trung bình của tỉnh", "cấp tỉnh", "cả nước", "bình quân của tỉnh"}
    | {"bình quân tỉnh", "bình quân toàn tỉnh", "trung bình toàn tỉnh", "trung bình chung"}
)
_UNIT_TO_PERIOD_WORDS = 4  # `toàn tỉnh 9 tháng năm 2025 là`: the unit, then its period


# A former commune merged into the reporting one (`xã Phổ Khánh (cũ) 42.000.000 đồng; … toàn xã …`, `Khu vực
# Ngọk Tụ cũ tiếp nhận 139 hồ sơ`)
_FORMER_UNIT = re.compile(
    r"(?<!\w)(?i:xã|phường|thị trấn|khu vực|địa bàn)\s+[A-ZĐ][\w-]*(?:\s+[A-ZĐ][\w-]*){0,3}"
    r"\s*(?:\((?i:cũ|trước đây)\)|(?i:cũ)(?!\w))"  # `xã Phổ Khánh (cũ)`, `khu vực Ngọk Tụ cũ`
)


def _place_cues(text: str) -> list[tuple[int, int, str, str]]:
    """A named village or residential group, or a former commune, before a figure makes it that place's
    part (`subset`)."""
    text = nfc(text)
    # a place named inside brackets closed before the figure (`(… 03 thôn của xã Đăk Choong cũ), 12 tổ`)
    # is an aside, not whose the figure is
    outside = _depth(text, len(text))
    return [
        (m.end(), len(m.group(0)), "subset", m.group(0))
        for pattern in (_PLACE_NAMED, _FORMER_UNIT)
        for m in pattern.finditer(text)
        if _depth(text, m.start()) <= outside and not _AND_ANOTHER_UNIT.match(text, m.end())
    ]


# A former commune named with another after it (`52 máy của xã Mỏ Cày cũ và xã Đức Hiệp`): the figure of both,
# which is the whole unit's as far as it was counted, not one part
_AND_ANOTHER_UNIT = re.compile(r"\s*(?:và|,)\s*(?i:xã|phường|thị trấn)\s+[A-ZĐ]")


# What follows a figure the next one replaces, past its own brackets: `…, nay là`, `…, nay điều chỉnh là`
_PARENTHESES_AHEAD = re.compile(r"^(?:\s*\([^()]*\))+")
_SUPERSEDED_BY = re.compile(
    r"\s*[,;]?\s*(?:(?:nay|hiện nay|nay đã|nay xin)\s+(?:là|điều chỉnh|sửa|đính chính|cập nhật)"
    r"|số đúng|(?:là\s+)?(?:chưa đúng|không đúng|chưa chính xác)|là\s+sai)(?!\w)",
    re.IGNORECASE,
)
# What precedes a figure a correction takes back: `đã ghi là 4.263 hồ sơ`, `ghi nhầm là 11.532 tài khoản`
# `Báo cáo số 205 ghi 15 hồ sơ`, `báo cáo trước nêu 27 máy`: what an earlier report said
_WRITTEN_WRONGLY = re.compile(
    r"(?:đã ghi|ghi nhầm|ghi sai|ghi chưa đúng"
    r"|\b(?:báo cáo|bc)\s+(?:số\s+[\w/.-]+|trước|lần trước|cũ)[^.;:\d]{0,30}?\s(?:đã\s+)?(?:ghi|nêu))"
    r"(?:\s+là)?\s*:?\s*$",
    re.IGNORECASE,
)


def _superseded(figure: Figure) -> str | None:
    """The words that take the figure back (`…, nay là`, `số đúng là`, `đã ghi là …`), else None."""
    after = _SUPERSEDED_BY.match(
        _PARENTHESES_AHEAD.sub("", figure.sentence[figure.start + len(figure.printed) :])
    )
    if after:
        return after.group(0).strip(" ,;")
    before = _WRITTEN_WRONGLY.search(figure.role_before)
    return before.group(0).strip() if before else None


def figure_role(
    figure: Figure, rules: tuple[RoleRule, ...], period_key: str | None = None
) -> tuple[str, str, bool]:
    """(role, cue, certain) of a figure, from the cues around it."""
    if superseded := _superseded(figure):
        # `tạm tính 1.431 hồ sơ (63,01%), nay là 1.472 hồ sơ`, `đã ghi là 4.263 hồ sơ, nay đính chính lại
        # là 4.236 hồ sơ`: the figure the next one replaces
        return "other", superseded, True
    applicable = [r for r in rules if r.applies_to(figure.indicator_code)]
    after = _masked(figure.role_after)
    found_after = [
        (start, r.role, cue)
        for r in applicable
        if r.after
        for cue in r.cues
        for start, _ in _cue_positions(after, cue)
    ]
    if found_after:
        _, role, cue = min(found_after)
        return role, cue, True
    before = _masked(figure.role_before)
    periods = _period_cues(before, period_key)
    found_before = (
        [
            (end, len(cue), r.role, cue)
            for r in applicable
            if not r.after
            for cue in r.cues
            for _, end in _cue_positions(before, cue)
        ]
        + periods
        + _place_cues(figure.role_before)
    )
    if not found_before:
        return "actual", "", True
    end, _, role, cue = max(found_before)
    if role == "actual" and (end, cue) in {(e, c) for e, _, r, c in periods if r == "actual"}:
        # `bình quân chung toàn tỉnh 9 tháng là 62,4%`: the report's own period named right after another
        # unit is that unit's figure for the same period, not the report's
        other_units = [
            (e, c)
            for e, _, r, c in found_before
            if r == "other" and c in _ANOTHER_UNIT and len(before[e:end].split()) <= _UNIT_TO_PERIOD_WORDS
        ]
        if other_units:
            return "other", max(other_units)[1], True
    if role == "actual" and periods and (cue, "actual") not in {(c, r) for _, _, r, c in periods}:
        # `Lũy kế 9 tháng năm 2025: tổng số hồ sơ …`: a generic `tổng số` does not bring the figure back
        # to the report's period; only the report's period named again does
        _, _, last_role, last_cue = max(periods)
        if last_role == "other":
            return "other", last_cue, True
    certain = len(before[end:].split()) <= ROLE_REACH_WORDS
    return role, cue, certain or role == "actual"


# Nouns that fit each unit of the catalogue: a count whose noun does not fit its indicator's unit is doubtful.
_UNIT_NOUNS = {
    "hồ sơ": ("hồ sơ", "thủ tục hành chính", "hồ sơ tthc"),
    "máy": ("máy", "máy tính", "máy vi tính", "máy trạm", "bộ máy tính", "bộ máy vi tính", "máy tính để bàn"),
    "tài khoản": ("tài khoản", "công dân", "người dân", "người"),
    "tổ": ("tổ", "tổ công nghệ số cộng đồng", "tổ công nghệ cộng đồng"),
    "người": (
        "người",
        "công chức",
        "cán bộ",
        "viên chức",
        "thành viên",
        "học viên",
        "người dân",
        "công dân",
        "cán bộ, công chức, viên chức",
        "cán bộ, công chức",
        "biên chế",
        "lượt",
    ),
    "thôn": ("thôn", "làng", "tổ dân phố"),
    "chứng thư": ("chứng thư", "chứng thư số", "usb token", "token", "sim", "chữ ký số", "thiết bị"),
    "hộ": ("hộ", "hộ kinh doanh", "doanh nghiệp"),
}


def _noun_names_unit(figure: Figure, unit: str | None) -> bool:
    """The count's own noun is one the indicator's unit counts (`thành viên` for people), not merely
    compatible with it."""
    return unit in _UNIT_NOUNS and figure.noun in _UNIT_NOUNS[unit]


# An update past the report's days, named before the figure in its clause (`Cập nhật đến ngày ký báo cáo
# (22/12/2025)`, `cập nhật đến 20/12/2025`, `đến thời điểm báo cáo (22/12/2025)`). A plain `Đến ngày
# 15/7/2025` in a report written then is the report's own count, as clerks mean it. The latest figure a
# body gave on a later day (`Số mới nhất Công an xã cung cấp ngày 05/11/2025 là 3.702`) too.
_AS_OF = re.compile(
    r"(?:cập nhật|cap nhat|ngày ký báo cáo|thời điểm báo cáo|thời điểm ký|mới nhất|moi nhat)(?:[^\d/]{0,40}?)"
    r"\(?(\d{1,2})/(\d{1,2})/(20\d\d)\)?",
    re.IGNORECASE,
)


def _as_of_later(figure: Figure, counted_until: date) -> str | None:
    """The words that count the figure to a day after `counted_until`, if its clause has them."""
    named = list(_named_days(_AS_OF, figure.role_before))
    if named and named[-1][0] > counted_until:
        return named[-1][1]
    return None


def _named_days(pattern: re.Pattern, text: str) -> Iterator[tuple[date, str]]:
    """Each real day `pattern` names in `text` (its groups day, month, year), with the words naming it."""
    for match in pattern.finditer(text):
        day, month, year = (int(g) for g in match.groups())
        try:
            yield date(year, month, day), match.group(0)
        except ValueError:
            continue


# Data said to stand at a day (`Số liệu đến 30/6/2025`, `số liệu tính đến ngày 30/6/2025`)
_DATA_AS_OF = re.compile(
    r"(?:số liệu|so lieu)(?:\s+(?:tính|tinh))?\s+(?:đến|tới|den|toi)\s+(?:ngày\s+|ngay\s+)?"
    r"(\d{1,2})/(\d{1,2})/(20\d\d)",
    re.IGNORECASE,
)
# Days before the end of a report's count a figure's own date may fall and still be its own
STALE_DAYS = 31


def _as_of_earlier(figure: Figure, counted_until: date) -> str | None:
    """The words that date the figure's data a month or more before the report's last counted day: in its
    clause before it, or in a later cell of its table row (the note column)."""
    texts = [figure.role_before]
    if figure.block.kind == "cell":
        texts.append(figure.sentence[figure.start + len(figure.printed) :])
    for text in texts:
        for as_of, words in _named_days(_DATA_AS_OF, text):
            if (counted_until - as_of).days >= STALE_DAYS:
                return words
    return None


# Right before a figure, the head of the same number a scan's text recognition broke: digits and a stray
# mark (`3.3'18`), or a thousands group cut short by a space (`9.2 14`, `1.2 45`)
_BROKEN_BEFORE = re.compile(r"\d[.,]?['’`´]\s*$|(?<![\d.,])\d{1,3}[.]\d{1,2} $")
# The lower end of a range right before a figure (`từ 95 đến 97%`, `65-70%`, `92 - 94%`)
_RANGE_BEFORE = re.compile(r"(?<![\d.,/])(\d+(?:[.,]\d+)?)\s*%?\s*(?:đến|tới|den|toi|-|–)\s*$", re.IGNORECASE)


def _upper_end(figure: Figure) -> bool:
    """The figure ends a range: a smaller number and `đến` or a dash right before it (`836 – 68,86%` is a
    count and its share, not a range)."""
    lower = _RANGE_BEFORE.search(figure.sentence[: figure.start])
    value = figure.value if figure.value is not None else figure.numerator
    if lower is None or value is None:
        return False
    low = parse_number(lower.group(1))
    return low is not None and low < value


_APPROXIMATE = re.compile(r"(?:\b(?:khoảng|gần|hơn|trên|ước|ước tính|xấp xỉ|chừng)|~)\s*$", re.IGNORECASE)


def _noun_fits(figure: Figure, unit: str | None) -> bool:
    if figure.kind != "count" or not figure.noun or unit not in _UNIT_NOUNS:
        return True
    return figure.noun in _UNIT_NOUNS[unit]


# The figure a correction gives instead (`…; số đúng của Quý II là 05 hồ sơ`, `nay sửa lại là 614 hồ sơ`)
_CORRECTED_TO = re.compile(
    r"(?:số đúng|số liệu đúng|nay sửa lại|sửa lại|nay đính chính|đính chính lại|đính chính)"
    r"(?:\s+(?:của|trong|cho)\s+[^,;:()]{1,25}?)?\s+(?:là|thành)\s*:?\s*$",
    re.IGNORECASE,
)


def _corrections(figures: list[Figure], units: dict[str, str]) -> list[Figure]:
    """A correction's new figure that its own words do not map (its label stayed with the figure it
    replaces, across a `;`) is read for the indicator of the figure its sentence takes back, when its noun
    is one that indicator counts; it is borrowed, so a person confirms it."""
    corrected = []
    for i, figure in enumerate(figures):
        if figure.indicator_code is None and _CORRECTED_TO.search(figure.role_before):
            replaced = next(
                (
                    f
                    for f in reversed(figures[:i])
                    if f.sentence == figure.sentence
                    and f.indicator_code
                    and f.kind == figure.kind
                    and _superseded(f)
                ),
                None,
            )
            if replaced is not None:
                candidate = replace(
                    figure, indicator_code=replaced.indicator_code, confidence=0.5, borrowed=True
                )
                if _noun_names_unit(candidate, units.get(replaced.indicator_code)):
                    figure = candidate
        corrected.append(figure)
    return corrected


def judge_figures(
    figures: list[Figure],
    roles: tuple[RoleRule, ...],
    units: dict[str, str],
    threshold: float = DEFAULT_REVIEW_THRESHOLD,
    period_key: str | None = None,
    stocks: frozenset[str] = frozenset(),
    counted_until: date | None = None,
) -> list[Figure]:
    """Each mapped figure with its role and whether a person must look at it before it may land: below the
    confidence threshold, a role that is not certain, or a noun that does not fit the indicator's unit.
    `counted_until` is the last day the report's figures count (its coverage, else its period's end)."""
    judged = []
    # the counts and amounts a correction takes back (`đã ghi là 4.263 hồ sơ, nay đính chính lại là 4.236`):
    # the same figure of the same indicator anywhere else in the report is taken back with it (not a rate:
    # 100 % of one thing and 100 % of another are too often alike)
    taken_back = {
        (f.indicator_code, f.value)
        for f in figures
        if f.indicator_code and not f.is_percent and _superseded(f)
    }
    stated = {(f.indicator_code, f.value) for f in figures if f.indicator_code}
    for figure in _corrections(figures, units):
        if figure.borrowed and not _noun_names_unit(figure, units.get(figure.indicator_code)):
            figure = replace(figure, indicator_code=None, confidence=0.0, borrowed=False)
        if not figure.indicator_code:
            judged.append(figure)
            continue
        role, cue, certain = figure_role(figure, roles, period_key)
        if (
            role == "actual"
            and figure.part_of
            and any((figure.indicator_code, value) in stated for value in figure.part_of)
        ):
            role, cue, certain = "subset", "", True
        if role == "other" and figure.indicator_code in stocks and _YEAR_TO_DATE.fullmatch(cue):
            # a stock's year-to-date is its level now (`Lũy kế đến 30/9/2025 có 9.412 tài khoản`)
            role, cue, certain = "actual", "", True
        if role == "actual" and (figure.indicator_code, figure.value) in taken_back:
            role, cue, certain = "other", "đính chính", True
        if role == "actual" and counted_until and (later := _as_of_later(figure, counted_until)):
            # `Cập nhật đến ngày ký báo cáo (22/12/2025): đã kích hoạt 5.903 tài khoản`: past the days the
            # report counts (to 14/12), a figure of another period
            role, cue, certain = "other", later, True
        if role == "actual" and counted_until and (earlier := _as_of_earlier(figure, counted_until)):
            # `| 7.402 | Số liệu đến 30/6/2025 |` in a report counted to 14/9: a row left from an earlier one
            role, cue, certain = "other", earlier, True
        confidence = figure.confidence
        reasons = []
        if not _noun_fits(figure, units.get(figure.indicator_code)):
            confidence = round(confidence * 0.8, 2)
            reasons.append("noun")
        if not certain:
            confidence = round(confidence * 0.8, 2)
            reasons.append("role")
        if figure.bare:
            reasons.append("no_noun")  # a person confirms what the number counts before it lands
        if figure.block.quoted:
            reasons.append("quoted")  # an earlier message's figure, perhaps corrected above it
        if figure.block.scattered:
            reasons.append("layout")  # a table's cells one a line: its words may be another row's
        if _APPROXIMATE.search(figure.role_before):
            reasons.append("approximate")  # `khoảng 4.100 thành viên`: no indicator is reported so
        if _upper_end(figure):
            reasons.append("range")  # `từ 95 đến 97%`, `65-70%`: the upper end of a range, not a figure
        if _BROKEN_BEFORE.search(figure.sentence[: figure.start]):
            reasons.append("broken_number")  # `3.3'18`, `9.2 14`: the tail of a number a scan broke
        if figure.ocr:
            reasons.append("ocr")  # `3.4l6` read as 3.416: a person confirms the digits
        if figure.worded:
            reasons.append("number_in_words")  # `2 trăm 15` read as 215: a person confirms it
        if confidence < threshold:
            reasons.append("confidence")
        judged.append(
            replace(
                figure,
                role=role,
                role_cue=cue,
                confidence=confidence,
                needs_review=bool(reasons) and role == "actual" or not certain,
                review_reason=",".join(reasons),
            )
        )
    return _parts_before_total(_parts_in_brackets(_parts_after_breakdown(judged)))


def _depth(sentence: str, at: int) -> int:
    return sentence[:at].count("(") - sentence[:at].count(")")


# Words in brackets that give the figure before them again, more exactly: not a part of it
_RESTATED = re.compile(r"chính xác|tạm tính|số liệu|cụ thể là|đúng là|chinh xac|tam tinh", re.IGNORECASE)


def _parts_after_breakdown(figures: list[Figure]) -> list[Figure]:
    """After `trong đó`, up to the clause's `;`, a figure of the same indicator as the figure before `trong
    đó` is a part of it (`đang giải quyết 21 hồ sơ, trong đó 5 hồ sơ chờ công dân bổ sung, 2 hồ sơ tạm
    dừng`); one of another indicator (`trong đó trực tuyến 300`) stays what it is."""
    parts, whole = [], None
    for i, figure in enumerate(figures):
        before = figures[i - 1] if i else None
        if before is None or before.sentence != figure.sentence:
            whole = None
        else:
            gap = _gap(figures, i)
            if ";" in gap:
                whole = None
            if _BREAKDOWN_OPENS.search(gap):
                whole = before
        if (
            whole is not None
            and figure.indicator_code
            and figure.indicator_code == whole.indicator_code
            and figure.role == "actual"
            and whole.role == "actual"
            and not whole.needs_review  # a whole read for the part's indicator by mistake makes no parts
            and figure.kind == whole.kind
            and figure.kind in ("count", "money")
            and figure.value is not None
            and whole.value is not None
            and figure.value < whole.value
        ):
            figure = replace(figure, role="subset", role_cue="trong đó", needs_review=False)
        parts.append(figure)
    return parts


def _parts_in_brackets(figures: list[Figure]) -> list[Figure]:
    """A figure in brackets right after a figure of the same indicator is a part of it: `64.000.000 đồng
    (ngân sách xã 49.000.000 đồng; tỉnh hỗ trợ 15.000.000 đồng)` states the budget once and its sources
    inside (`CKS: 20 (USB token: 16; SIM: 04)` names other indicators inside, which stay what they are)."""
    parts = []
    total: Figure | None = None  # the last figure outside brackets, in the sentence being read
    for figure in figures:
        depth = _depth(figure.sentence, figure.start)
        if depth == 0:
            total = figure
        elif (
            total is not None
            and total.sentence == figure.sentence
            and figure.indicator_code
            and figure.indicator_code == total.indicator_code
            and figure.role == "actual"
            and figure.kind == total.kind
            and figure.kind in ("count", "money")
            and figure.value is not None
            and total.value is not None
            and figure.value < total.value  # a part is less than its whole
            and not _APPROXIMATE.search(total.role_before)  # `gần 4,1 nghìn hồ sơ (chính xác là 4.087 …)`
            and not _RESTATED.search(figure.sentence[total.start + len(total.printed) : figure.start])
        ):
            figure = replace(figure, role="subset", role_cue="(", needs_review=False)
        parts.append(figure)
    return parts


# The words that announce a sum after its parts (`21 tổ dân phố và 03 thôn, tổng cộng 24 tổ dân phố, thôn`)
_TOTAL_BEFORE = re.compile(
    r"(?:tổng cộng|tổng số|tổng|cộng|tong cong|tong so|tong|cong)(?:\s+(?:là|có|được))?\s*:?\s*$"
)


def _parts_before_total(figures: list[Figure]) -> list[Figure]:
    """Figures of one indicator in a sentence followed by their sum, announced as one (`tổng cộng 24`), are
    its parts: only when they add up to it exactly, two of them or more."""
    result = list(figures)
    for i, total in enumerate(figures):
        if not (total.indicator_code and total.role == "actual" and total.value is not None):
            continue
        if not _TOTAL_BEFORE.search(total.sentence[: total.start]):
            continue
        parts = [
            j
            for j in range(i)
            if figures[j].sentence == total.sentence
            and figures[j].block == total.block
            and figures[j].indicator_code == total.indicator_code
            and figures[j].kind == total.kind
            and figures[j].role == "actual"
            and figures[j].value is not None
        ]
        if len(parts) >= 2 and sum(figures[j].value for j in parts) == total.value:
            for j in parts:
                result[j] = replace(result[j], role="subset", role_cue="tổng cộng", needs_review=False)
    return result


CONFLICT = "conflict"


def review_conflicts(figures: list[Figure]) -> list[Figure]:
    """An indicator the report states with two different values, each of which would land, waits for a
    person (`conflict`): the minutes of a meeting corrected by the next speaker, a figure the village sent
    and the police's. The warehouse keeps one value per indicator and would otherwise take one of them
    silently. Where the form or the system states one of the values, that one still lands (the warehouse's
    `agrees_with_*`)."""

    def would_land(f: Figure) -> bool:
        return bool(f.indicator_code) and f.role == "actual" and not f.needs_review and f.value is not None

    values: dict[str, set[Decimal]] = {}
    for figure in filter(would_land, figures):
        values.setdefault(figure.indicator_code, set()).add(round(Decimal(str(figure.value)), 2))
    conflicting = {code for code, found in values.items() if len(found) > 1}
    return [
        replace(f, needs_review=True, review_reason=",".join(filter(None, [f.review_reason, CONFLICT])))
        if would_land(f) and f.indicator_code in conflicting
        else f
        for f in figures
    ]


@lru_cache(maxsize=4)
def indicator_stocks(reference_dir: str | None = None) -> frozenset[str]:
    """Indicators whose figure is a level at the period's end (the latest value is kept, never summed)."""
    folder = Path(reference_dir) if reference_dir else None
    rows = read_seed("ref_indicators", folder)
    return frozenset(r["indicator_code"] for r in rows if r["aggregation"] in ("latest", "ratio_of_latest"))


@lru_cache(maxsize=4)
def indicator_units(reference_dir: str | None = None) -> dict[str, str]:
    folder = Path(reference_dir) if reference_dir else None
    return {row["indicator_code"]: row["unit"] for row in read_seed("ref_indicators", folder)}
