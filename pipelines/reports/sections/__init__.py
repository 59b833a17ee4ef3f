"""The sections of a period's publication, in reading order (see `section.py`)."""

from pipelines.core.vietnamese import ROMAN
from pipelines.reports.sections import about, annex, attention, communes, province, service_index, submissions
from pipelines.reports.sections.section import Section

SECTIONS: tuple[Section, ...] = (
    province.SECTION,
    service_index.SECTION,
    communes.SECTION,
    attention.SECTION,
    submissions.SECTION,
    annex.SECTION,
    about.SECTION,
)


def numbered(form: str) -> tuple[list[tuple[str, Section]], list[Section]]:
    """The sections that have a part in `form` ("html", "docx", "xlsx"): the body ones with their numerals
    (I, II, … in order) and, apart, the appendices (unnumbered)."""
    present = [s for s in SECTIONS if getattr(s, form)]
    body = [s for s in present if not s.appendix]
    return [(ROMAN[n], s) for n, s in enumerate(body, start=1)], [s for s in present if s.appendix]
