from datetime import date
from decimal import Decimal

import pytest

from pipelines.core.vietnamese import (
    format_date,
    format_number,
    format_percent,
    long_date,
    name_key,
    parse_number,
    period_label,
    printed_decimals,
    strip_unit_prefix,
)
from pipelines.tools.sample.forms import printed_rate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.059", Decimal("1059")),
        ("99,81%", Decimal("99.81")),
        ("100.000.000đ", Decimal("100000000")),
        ("01", Decimal("1")),
        ("75,26 %", Decimal("75.26")),
        ("6.158", Decimal("6158")),
        ("1.234.567,5", Decimal("1234567.5")),
        ("38,500,000", Decimal("38500000")),  # an English spreadsheet's thousands: two commas or more
        ("1,245", Decimal("1.245")),  # one comma stays the Vietnamese decimal
        (429, Decimal("429")),
        ("", None),
        ("-", None),
        (None, None),
    ],
)
def test_parse_number_reads_vietnamese_writing(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("bad", ["abc", "12a", "1,2,3x", "1,23,456", "38,500,000.5"])
def test_parse_number_rejects_text_that_is_not_a_number(bad):
    with pytest.raises(ValueError, match="không đọc được số"):
        parse_number(bad)


def test_formats_follow_vietnamese_conventions():
    assert format_number(1059) == "1.059"
    assert format_number(100_000_000) == "100.000.000"
    assert format_percent(543 / 544 * 100) == "99,82 %"
    assert format_percent(None) == "-"


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (0, 0, "0"),
        (999, 0, "999"),
        (1000, 0, "1.000"),
        (1234567.891, 2, "1.234.567,89"),
        (99.815, 2, "99,82"),  # half up on the number as written, not half-to-even on the float
        (0.125, 2, "0,13"),
        (2.5, 0, "3"),
        (-1234.5, 0, "-1.235"),
        (-0.001, 2, "0,00"),  # no "-0,00"
        (1e12, 0, "1.000.000.000.000"),
        (float("nan"), 2, "-"),
        (None, 0, "-"),
    ],
)
def test_format_number_edge_cases(value, decimals, text):
    assert format_number(value, decimals) == text


def test_dates_are_written_as_officials_write_them():
    assert format_date(date(2025, 10, 5)) == "05/10/2025"
    assert format_date(None) == "-"
    # Decree 30/2020: a zero before days below 10 and before months 1 and 2 only
    assert long_date(date(2025, 10, 5)) == "ngày 05 tháng 10 năm 2025"
    assert long_date(date(2026, 1, 15)) == "ngày 15 tháng 01 năm 2026"
    assert long_date(date(2025, 3, 31)) == "ngày 31 tháng 3 năm 2025"


def test_printed_rate_rounds_half_up_and_can_truncate_like_the_real_defect():
    assert printed_rate(543, 544) == "99,82%"
    assert printed_rate(543, 544, truncate=True) == "99,81%"
    assert printed_rate(570, 570) == "100%"
    assert printed_rate(429, 570) == "75,26%"
    assert printed_decimals("99,8%") == 1
    assert printed_decimals("100%") == 0


def test_name_key_is_nfc_lowercase_single_spaced():
    import unicodedata

    nfd = unicodedata.normalize("NFD", "Xã  ĐĂK   Bla ")
    assert name_key(nfd) == "xã đăk bla"
    assert strip_unit_prefix("UBND xã Minh Long") == "minh long"
    assert strip_unit_prefix("Ủy ban nhân dân phường Cẩm Thành") == "cẩm thành"


def test_period_labels():
    assert period_label("2025-Q3") == "Quý III năm 2025"
    assert period_label("2025-9M") == "9 tháng đầu năm 2025"
    assert period_label("2025-Y") == "Năm 2025"
