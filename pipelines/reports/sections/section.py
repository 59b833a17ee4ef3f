"""What a report section is: one part of a period's publication, in every format that carries it.

A section brings its HTML (a template under `templates/sections/`), its DOCX part (a function that writes
into the document, under the heading the builder numbers) and its XLSX sheets (typed rows), side by side,
so that a new table is one new module added to `SECTIONS`. A format a section has no form in is `None`.
The builders number the sections (I, II, …) in the order they appear, so adding one renumbers the rest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from pipelines.reports.charts import Chart
from pipelines.reports.model import PeriodReport
from pipelines.reports.xlsx import Sheet

# (document, report, charts) → None; the builder writes the numbered heading before it
DocxPart = Callable[[object, PeriodReport, list[Chart]], None]
# (report, issued_on) → the section's sheets
XlsxPart = Callable[[PeriodReport, date], list[Sheet]]


@dataclass(frozen=True)
class Section:
    key: str
    html: str | None = None  # template name under templates/
    docx: DocxPart | None = None
    docx_title: str | None = None  # the DOCX heading, after its numeral (upper case, as Decree 30 sets it)
    xlsx: XlsxPart | None = None
    appendix: bool = False  # after the signature (DOCX) and unnumbered
