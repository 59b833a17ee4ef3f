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
_UNIT_PREFIXES = ("ủy ban nhân dân", "uỷ ban nhân dân", "ubnd", "đặc khu", "phường", "xã")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def name_key(text: str) -> str:
    """The form every name is matched on: NFC, lower case, single spaces, trimmed."""
    return _SPACES.sub(" ", nfc(text).lower()).strip()


def strip_unit_prefix(text: str) -> str:
    """`UBND xã Minh Long` → `Minh Long`; leaves names without a prefix as they are."""
    key = name_key(text)
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
    followed by one or two digits is read as a decimal point, as some spreadsheets write it.
    """
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return Decimal(str(text))
    cleaned = nfc(str(text)).strip().replace("\u00a0", "").replace(" ", "")
    cleaned = cleaned.removesuffix("%").removesuffix("đ").removesuffix("VNĐ").removesuffix("đồng")
    if cleaned in ("", "-", "–"):
        return None
    if not _NUMBER.match(cleaned):
        raise ValueError(f"không đọc được số: {text!r}")
    if "," in cleaned:
        integer, _, fraction = cleaned.rpartition(",")
        integer = integer.replace(".", "")
        cleaned = f"{integer}.{fraction}"
    elif cleaned.count(".") > 1 or re.search(r"\.\d{3}$", cleaned):
        cleaned = cleaned.replace(".", "")
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the regex above guards this
        raise ValueError(f"không đọc được số: {text!r}") from exc


def printed_decimals(text: str) -> int:
    """How many digits a commune printed after the decimal comma: `99,81%` → 2, `100%` → 0."""
    cleaned = nfc(str(text)).strip().removesuffix("%").strip()
    return len(cleaned.rpartition(",")[2]) if "," in cleaned else 0


ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
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
    """`Quý III năm 2025`, `Quý 3/2025` → 2025-Q3; `9 tháng đầu năm 2025` → 2025-9M; `Năm 2025` → 2025-Y."""
    key = name_key(text or "")
    quarter = re.search(r"quý\s+([ivx]+|\d)\s*(?:năm|/|-)\s*(\d{4})", key)
    if quarter:
        number = _FROM_ROMAN.get(quarter.group(1)) or (
            int(quarter.group(1)) if quarter.group(1).isdigit() else 0
        )
        return f"{quarter.group(2)}-Q{number}" if 1 <= number <= 4 else None
    nine = re.search(r"9 tháng(?: đầu)? năm (\d{4})", key)
    if nine:
        return f"{nine.group(1)}-9M"
    year = re.fullmatch(r"(?:cả )?năm (\d{4})", key)
    return f"{year.group(1)}-Y" if year else None
