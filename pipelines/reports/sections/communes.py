"""The HTML's table of the main figures by commune (its XLSX is the full table in the province section's
workbook sheet «Các xã»; the DOCX leaves it to the annexed workbook)."""

from pipelines.reports.sections.section import Section

SECTION = Section("communes", html="sections/communes.html.j2")
