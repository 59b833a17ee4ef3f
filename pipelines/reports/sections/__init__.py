"""The sections of a period's publication, in reading order (see `section.py`)."""

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
