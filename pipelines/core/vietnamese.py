"""Vietnamese text and number conventions, as pure functions.

Officials write one thousand and fifty-nine as `1.059` and a rate as `99,82%`; names arrive in NFC or
NFD, with or without the `Xã`/`UBND xã` prefix. Matching is always done on `name_key`.
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_SPACES = re.compile(r"\s+")
_UNIT_PREFIXES = (
    "ủy ban nhân dân",
    "uỷ ban nhân dân",
    "ubnd",
    # a commune's offices, which fill the forms of their own work and write themselves as the unit
    "trung tâm phục vụ hành chính công",
    "bộ phận tiếp nhận và trả kết quả",
    "bộ phận một cửa",
    "đặc khu",
    "phường",
    "xã",
)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# Characters that print as nothing: soft hyphen, zero-width spaces and joiners, marks of direction, word
# joiner, byte-order mark. Systems and copy-paste leave them inside codes, headers and numbers.
_FORMAT_CHARACTERS = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]")


def compat(text: str) -> str:
    """A code, header, ID or number as meant: Unicode compatibility forms folded (NFKC: the full-width
    `７５，２６％` is `75,26%`, a no-break space a space) and characters that print as nothing removed. Not
    for names or free text, which keep what was written."""
    return unicodedata.normalize("NFKC", _FORMAT_CHARACTERS.sub("", text))


def name_key(text: str) -> str:
    """The form every name is matched on: NFC, characters that print as nothing removed, lower case, the
    Icelandic eth (`Ðăk Tô`: what an old keyboard driver and a Western font type for Đ, and looks the same)
    read as đ, every kind of space (no-break, thin…) a single space, trimmed. The dbt macro `name_key` is the
    same in SQL."""
    return _SPACES.sub(" ", _FORMAT_CHARACTERS.sub("", nfc(text)).lower().replace("ð", "đ")).strip()


# The unit written short, as letterheads and lists do: `X. Ba Gia`, `P.Cẩm Thành`, `ĐK. Lý Sơn`
_SHORT_UNIT = re.compile(r"^(?:ubnd\s+)?(?:x|p|đk)\.\s*")


# What follows a unit's name in an address (`xã Minh Long, huyện Minh Long, tỉnh Quảng Ngãi`, `Xã Sơn Kỳ
# (huyện Sơn Hà cũ)`): the former district or the province, a qualifier, not part of the name. The dbt macro
# `unit_name_key` cuts the same tail in SQL.
ADDRESS_TAIL = r"\s*[,;(–-]\s*(?:huyện|tỉnh|thị xã|thành phố|quận|tp\.|tx\.|h\.|t\.)\s?.*$"
_ADDRESS_TAIL = re.compile(ADDRESS_TAIL)


def strip_address_tail(key: str) -> str:
    """A name key without the district or province written after it; unchanged when there is none."""
    return _ADDRESS_TAIL.sub("", key)


def strip_unit_prefix(text: str) -> str:
    """`UBND xã Minh Long` → `Minh Long`, `X. Ba Gia` → `Ba Gia`; leaves names without a prefix as they
    are."""
    key = _SHORT_UNIT.sub("", name_key(text))
    stripped = True
    while stripped:
        stripped = False
        for prefix in _UNIT_PREFIXES:
            if key.startswith(prefix + " "):
                key = key[len(prefix) + 1 :].strip()
                stripped = True
    return key


def format_number(value: float | int | Decimal | None, decimals: int = 0) -> str:
    """1059 → `1.059`; 99.816 with 2 decimals → `99,82`. None (and NaN) → `-`.

    Rounds half up on the number as written (99.815 → `99,82`, 2.5 → `3`), as officials round by hand,
    not half-to-even on the binary float; a value that rounds to zero prints without a minus sign.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    exact = Decimal(str(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if exact == 0:
        exact = abs(exact)
    text = f"{exact:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def format_percent(value: float | None, decimals: int = 2) -> str:
    """99.816 → `99,82 %`."""
    return "-" if value is None else f"{format_number(value, decimals)} %"


def format_date(value: date | None) -> str:
    """`05/10/2025`; None → `-`."""
    return value.strftime("%d/%m/%Y") if value else "-"


def long_date(value: date) -> str:
    """The date line of an administrative document: `ngày 05 tháng 10 năm 2025`, `ngày 15 tháng 01 năm
    2026` (Decree 30/2020: a zero before days below 10 and before months 1 and 2)."""
    month = f"{value.month:02d}" if value.month <= 2 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"


_NUMBER = re.compile(r"^[+-]?\d[\d.,]*$")


def parse_number(text: str | int | float | None) -> Decimal | None:
    """Read a number written the Vietnamese way. Blank and `-` are None; anything else unreadable raises.

    `1.059` → 1059, `99,81` → 99.81, `100.000.000đ` → 100000000, `01` → 1, `75,26%` → 75.26.
    A lone dot followed by exactly three digits is a thousands separator (Vietnamese usage); a dot
    followed by one or two digits is read as a decimal point, as some spreadsheets write it. Two commas or
    more between groups of three digits (`38,500,000`) are an English spreadsheet's thousands.
    """
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return Decimal(str(text))
    cleaned = compat(str(text)).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    cleaned = cleaned.removesuffix("%").removesuffix("đ").removesuffix("VNĐ").removesuffix("đồng")
    if cleaned in ("", "-", "–"):
        return None
    if not _NUMBER.match(cleaned):
        raise ValueError(f"không đọc được số: {text!r}")
    if cleaned.count(",") > 1 and "." not in cleaned and re.fullmatch(r"\d{1,3}(?:,\d{3})+", cleaned):
        cleaned = cleaned.replace(",", "")  # `38,500,000`: an English spreadsheet's thousands
    elif "," in cleaned:
        integer, _, fraction = cleaned.rpartition(",")
        integer = integer.replace(".", "")
        cleaned = f"{integer}.{fraction}"
    elif cleaned.count(".") > 1 or re.search(r"\.\d{3}$", cleaned):
        cleaned = cleaned.replace(".", "")
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the regex above guards this
        raise ValueError(f"không đọc được số: {text!r}") from exc


class NumberProblem(ValueError):
    """A text that is not a number of the kind expected, with the quarantine's reason code."""

    def __init__(self, reason: str, message_vi: str, message_en: str):
        super().__init__(message_en)
        self.reason, self.message_vi, self.message_en = reason, message_vi, message_en


_GROUPED = re.compile(r"^\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*$")  # 1.059 / 1,059 / 100.000.000
_PLAIN = re.compile(r"^\d+$")
_ONE_SEPARATOR = re.compile(r"^(\d+)([.,])(\d+)$")
_BOTH = re.compile(r"^(\d{1,3}(?:([.,])\d{3})*)([.,])(\d+)$")
_SCALES = {
    "nghìn": Decimal(1_000),
    "ngàn": Decimal(1_000),
    "triệu": Decimal(10**6),
    "tỷ": Decimal(10**9),
    "tỉ": Decimal(10**9),
    "tr.": Decimal(10**6),  # `100 tr.đ`, `100tr`: accountants' short triệu
    "tr": Decimal(10**6),
}
# The unit a clerk types after a count in its cell (`74 máy`, `12 người`): what the row counts, not part
# of the number. Compared with spaces removed, as the number is.
_COUNT_NOUNS = tuple(
    sorted(
        (
            n.replace(" ", "")
            for n in (
                "máy", "máy tính", "bộ", "cái", "chiếc", "hồ sơ", "người", "cán bộ", "công chức", "tài khoản",
                "tổ", "thôn", "chứng thư", "token", "sim", "điểm cầu", "văn bản", "lượt", "hộ", "lớp",
            )
        ),
        key=len,
        reverse=True,
    )
)  # fmt: skip
_CURRENCY = ("vnđ", "vnd", "đồng", "đ")


def _not_a_number(text: str) -> NumberProblem:
    return NumberProblem(
        "invalid_number", f"giá trị '{text}' không phải là số", f"value {text!r} is not a number"
    )


_FOOTNOTE_MARK = re.compile(r"(?<=\d)[\u00b9\u00b2\u00b3\u2070-\u209f*]+\s*$")


def named_scale(text: str) -> Decimal | None:
    """The scale a money text names as a word of its own (`triệu đồng`, `100 tr.đ` → 10⁶); None when none."""
    key = name_key(text)
    named = (factor for word, factor in _SCALES.items() if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", key))
    return next(named, None)


def read_number(text: str, kind: str) -> Decimal:
    """A number written by hand, read for what it counts. `kind` is `count` (people, dossiers, accounts,
    computers: a whole number), `money` (đồng, also `85 triệu`) or `rate` (a percentage).

    - `1.059`, `1,059`, `1 059` are 1059 for a count or money: a count has no decimals, so a separator
      before three digits groups thousands, whichever the office's Excel uses.
    - `99,81`, `99.81`, `99,81%` are 99,81 for a rate; `1.234,5` and `1,234.5` alike read the last separator
      as the decimal one.
    - Ambiguous for the kind, never guessed (reason `ambiguous_number`): a rate written `12,345` or
      `12.345` (thousands, or three decimals?).
    - A count with decimals (`1,5` officials) is `not_whole_number`; anything else is `invalid_number`.
    """
    original = text
    # a footnote mark after the figure (`429¹`, `570*`): NFKC would make `¹` a digit, 4291
    cleaned = compat(_FOOTNOTE_MARK.sub("", text)).strip().lower()
    for space in ("\u00a0", "\u202f", "\u2009", " "):
        cleaned = cleaned.replace(space, "")
    scale = Decimal(1)
    if kind == "money":
        for suffix in _CURRENCY:
            cleaned = cleaned.removesuffix(suffix)
        for word, factor in _SCALES.items():
            if cleaned.endswith(word):
                cleaned, scale = cleaned.removesuffix(word), factor
                break
    if kind == "rate":
        cleaned = cleaned.removesuffix("%")
    if kind == "count":
        nouns = (n for n in _COUNT_NOUNS if cleaned.endswith(n) and cleaned[: -len(n)][-1:].isdigit())
        cleaned = cleaned.removesuffix(next(nouns, ""))
    sign = -1 if cleaned.startswith(("-", "−")) else 1
    cleaned = cleaned.lstrip("+-−")
    value = _digits(cleaned, kind, scale != 1, original)
    value = sign * value * scale
    if kind != "rate" and value != value.to_integral_value():
        raise NumberProblem(
            "not_whole_number",
            f"giá trị '{original}' có phần thập phân, nhưng chỉ tiêu này đếm số nguyên",
            f"value {original!r} has decimals, but this indicator counts whole units",
        )
    return value


def _digits(cleaned: str, kind: str, scaled: bool, original: str) -> Decimal:
    if _PLAIN.match(cleaned):
        return Decimal(cleaned)
    both = _BOTH.match(cleaned)
    if both and both.group(2) and both.group(2) != both.group(3):  # 1.234,5 / 1,234.5
        return Decimal(both.group(1).replace(both.group(2), "") + "." + both.group(4))
    grouped = _GROUPED.match(cleaned)
    one = _ONE_SEPARATOR.match(cleaned)
    if grouped and not one:  # 100.000.000: the separator repeats, so it groups
        return Decimal(cleaned.replace(grouped.group(1), ""))
    if one:
        integer, _, fraction = one.groups()
        if len(fraction) == 3 and not scaled:
            if kind == "rate":
                raise NumberProblem(
                    "ambiguous_number",
                    f"tỷ lệ '{original}' có thể hiểu hai cách (hàng nghìn hay ba chữ số thập phân): "
                    "hãy ghi rõ, ví dụ 12,35",
                    f"rate {original!r} reads two ways (thousands or three decimals)",
                )
            return Decimal(integer + fraction)
        return Decimal(f"{integer}.{fraction}")
    raise _not_a_number(original)


def printed_decimals(text: str) -> int:
    """How many digits a commune printed after the decimal comma: `99,81%` → 2, `100%` → 0."""
    cleaned = nfc(str(text)).strip().removesuffix("%").strip()
    return len(cleaned.rpartition(",")[2]) if "," in cleaned else 0


ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI", 7: "VII", 8: "VIII", 9: "IX", 10: "X"}
_FROM_ROMAN = {numeral.lower(): number for number, numeral in ROMAN.items()}


def period_label(period_key: str) -> str:
    """`2025-Q3` → `Quý III năm 2025`; `2025-9M` → `9 tháng đầu năm 2025` (`2025-6M` alike); `2025-Y` →
    `Năm 2025`."""
    year, _, part = period_key.partition("-")
    if part.startswith("Q"):
        return f"Quý {ROMAN[int(part[1:])]} năm {year}"
    if part in ("9M", "6M"):
        return f"{part[0]} tháng đầu năm {year}"
    return f"Năm {year}"


def parse_period(text: str | None) -> str | None:
    """`Quý III năm 2025`, `Quý 3/2025`, `Quí III`, `Q3/2025` → 2025-Q3; `9 tháng đầu năm 2025` → 2025-9M;
    `Năm 2025` → 2025-Y; `6 tháng đầu năm 2025` → 2025-6M (no period of the calendar). Compatibility
    forms are folded first: `Quý Ⅱ` with the one character U+2161 (an office suite's symbol palette) is
    `Quý II`, full-width `２０２５` is 2025."""
    key = name_key(compat(text or "")).replace("quí", "quý")  # both spellings are current
    quarter = re.search(r"(?:quý\s+|\bq\s*)([ivx]+|\d)\s*(?:năm|/|-)\s*(\d{4})", key)
    if quarter:
        number = _FROM_ROMAN.get(quarter.group(1)) or (
            int(quarter.group(1)) if quarter.group(1).isdigit() else 0
        )
        return f"{quarter.group(2)}-Q{number}" if 1 <= number <= 4 else None
    nine = re.search(r"9 tháng(?: đầu)? năm (\d{4})", key)
    if nine:
        return f"{nine.group(1)}-9M"
    half = re.search(r"(?:6|sáu) tháng(?: đầu)? năm (\d{4})", key)
    if half:  # a period, but one the Department's calendar does not request: refused as such by the caller
        return f"{half.group(1)}-6M"
    year = re.fullmatch(r"(?:cả )?năm (\d{4})", key)
    return f"{year.group(1)}-Y" if year else None


# TCVN3 (TCVN 5712:1993, the `.VnTime` fonts of the ABC keyboard): Vietnamese letters on the single bytes
# 0xA1–0xFE, which a workbook stores as the Latin-1 characters of those bytes (`Hä vµ tªn` is `Họ và tên`).
# Capitals have no codes of their own (the `.VnTimeH` fonts draw the same codes as capitals).
_TCVN3 = dict(
    zip(
        "¡¢£¤¥¦§¨©ª«¬\xad®µ¶·¸¹»¼½¾ÆÇÈÉÊËÌÎÏÐÑÒÓÔÕÖ×ØÜÝÞßáâãäåæçèéêëìíîïñòóôõö÷øùúûüýþ",
        "ĂÂÊÔƠƯĐăâêôơưđàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ",
        strict=True,
    )
)
# TCVN3 codes that are no letter of Vietnamese written in Unicode: where they appear and nothing beyond
# Latin-1 does, the text is TCVN3
_TCVN3_ONLY = frozenset(_TCVN3) - frozenset("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý")


def looks_tcvn3(texts: list[str]) -> bool:
    """Text kept in TCVN3: some code only TCVN3 uses, and no character beyond Latin-1 (Unicode Vietnamese
    always has some: ơ, ư, đ, ạ …)."""
    joined = "".join(texts)
    return any(c in _TCVN3_ONLY for c in joined) and all(ord(c) < 0x100 for c in joined)


def from_tcvn3(text: str) -> str:
    return unicodedata.normalize("NFC", "".join(_TCVN3.get(c, c) for c in text))


# VNI (the VNI-Times fonts of the VNI keyboard, common in the central and southern provinces): a letter is
# its base letter followed by a Latin-1 character for its marks (`Hoï vaø teân` is `Họ và tên`); ơ, ư, đ
# and the i's with a tone are single characters.
_VNI_LETTERS = dict(zip("ôöñÔÖÑíìæóòÍÌÆÓÒ", "ơưđƠƯĐíìỉĩịÍÌỈĨỊ", strict=True))
_VNI_MARKS = {
    "ù": "\u0301", "ø": "\u0300", "û": "\u0309", "õ": "\u0303", "ï": "\u0323",
    "â": "\u0302", "ê": "\u0306",
    "á": "\u0302\u0301", "à": "\u0302\u0300", "å": "\u0302\u0309", "ã": "\u0302\u0303", "ä": "\u0302\u0323",
    "é": "\u0306\u0301", "è": "\u0306\u0300", "ú": "\u0306\u0309", "ü": "\u0306\u0303", "ë": "\u0306\u0323",
}  # fmt: skip
_VNI_MARKS.update({mark.upper(): combining for mark, combining in _VNI_MARKS.items()})
_VNI_VOWELS = frozenset("aeiouyAEIOUYơưƠƯ")
_VNI_PAIR = re.compile(r"[aeiouyAEIOUYôöÔÖ][ùøûõïâêáàåãäéèúüëÙØÛÕÏÂÊÁÀÅÃÄÉÈÚÜË]")


def looks_vni(texts: list[str]) -> bool:
    """Text kept in VNI: nothing beyond Latin-1 (Unicode Vietnamese always has some: ơ, ư, đ, ạ …), vowels
    followed by VNI's mark characters again and again (`Hoï`, `vaø`, `teân`), and read as VNI it has more
    common Vietnamese syllables than read as TCVN3 (the two share those bytes)."""
    joined = "".join(texts)
    if not all(ord(c) < 0x100 for c in joined) or len(_VNI_PAIR.findall(joined)) < 3:
        return False
    return common_syllables(from_vni(joined)) > max(1, common_syllables(from_tcvn3(joined)))


# Syllables nearly every report or list of a commune has: the reading of legacy bytes that has more of
# them is the right one
_COMMON_SYLLABLES = frozenset(
    [
        "và",
        "của",
        "các",
        "năm",
        "được",
        "trong",
        "xã",
        "thôn",
        "họ",
        "tên",
        "ngày",
        "sinh",
        "đơn",
        "vị",
        "cán",
        "bộ",
        "công",
        "chức",
        "số",
        "hồ",
        "sơ",
        "báo",
        "cáo",
        "chuyển",
        "đổi",
        "văn",
        "phòng",
        "chủ",
        "tịch",
        "phó",
        "người",
        "không",
        "có",
        "tập",
        "huấn",
        "chuyên",
        "trách",
        "kiêm",
        "nhiệm",
        "điện",
        "thoại",
        "kết",
        "quả",
        "thực",
        "hiện",
        "tỉnh",
        "huyện",
        "phường",
        "đã",
        "đạt",
        "tỷ",
        "lệ",
        "trực",
        "tuyến",
    ]
)


def common_syllables(text: str) -> int:
    return sum(1 for word in re.findall(r"\w+", name_key(text)) if word in _COMMON_SYLLABLES)


def from_vni(text: str) -> str:
    out: list[str] = []
    for char in text:
        if char in _VNI_MARKS and out and out[-1][-1:] in _VNI_VOWELS:
            out[-1] += _VNI_MARKS[char]
        else:
            out.append(_VNI_LETTERS.get(char, char))
    return unicodedata.normalize("NFC", "".join(out))


_ROMAN_QUARTERS = {"1": "i", "2": "ii", "3": "iii", "4": "iv"}


def names_quarter(title: str, quarter: str) -> bool:
    """A sheet title naming quarter `quarter` ("1"…"4"): `Quý II`, `Q2`, `quý 2`, `Q2-2025`."""
    names = rf"(?:^|\W)(?:quý|quy|q)\s*(?:{quarter}|{_ROMAN_QUARTERS[quarter]})(?:\W|$)"
    return re.search(names, name_key(title)) is not None
