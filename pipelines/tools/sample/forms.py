"""The sample's forms: the Department's form (`pipelines/ingest/form_template.py`, the same code `cds form`
issues it with), filled as communes fill it, with rates printed as officials print them."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from pipelines.core.vietnamese import format_number
from pipelines.ingest.form_template import (  # noqa: F401  (the sample's and the corpora's names for them)
    COVERAGE_TO_LABEL,
    FORM_SUBTITLE,
    FORM_TITLE,
    HEADER_LABELS,
    TABLE_HEADER,
    TABLE_HEADER_ROW,
    Form,
    FormRow,
    write_form,
)


def printed_rate(numerator: int, denominator: int, decimals: int = 2, truncate: bool = False) -> str:
    """The rate as an official prints it: `99,82%`, or `100%` when exact."""
    if denominator == 0:
        return ""
    exact = Decimal(numerator) * 100 / Decimal(denominator)
    if exact == exact.to_integral_value():
        return f"{int(exact)}%"
    quantum = Decimal(1).scaleb(-decimals)
    value = exact.quantize(quantum, rounding=ROUND_DOWN if truncate else ROUND_HALF_UP)
    return f"{format_number(float(value), decimals)}%"
