"""Write a commune's narrative report as TXT, DOCX or PDF from a plain-text draft.

The draft is what an official would type: paragraphs separated by blank lines; a run of lines starting with
`|` is a table (cells separated by `|`, the first line its header); a line `[^1] …` is a footnote. The sample
generator writes its reports with it, and the tests build their labelled DOCX and PDF fixtures with it.
"""

from __future__ import annotations

import io
import textwrap
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pipelines.core.zipfiles import write_reproducible_zip

_FOOTNOTES_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_FOOTNOTES_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"
_FOOTNOTES_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"
PDF_LINE_CHARS = 95
PDF_LINES_PER_PAGE = 48
# Files are dated, not stamped with the time they are written: the same draft gives the same bytes.
WRITTEN_AT = datetime(2025, 1, 1)


@dataclass
class Draft:
    parts: list[str | list[list[str]]] = field(default_factory=list)  # a paragraph, or a table's rows
    footnotes: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> Draft:
        draft = cls()
        for chunk in text.strip().split("\n\n"):
            lines = [line.strip() for line in chunk.strip().splitlines() if line.strip()]
            if not lines:
                continue
            if all(line.startswith("|") for line in lines):
                draft.parts.append([[c.strip() for c in line.strip("|").split("|")] for line in lines])
            elif lines[0].startswith("[^"):
                draft.footnotes.extend(line.split("]", 1)[1].strip() for line in lines)
            else:
                draft.parts.append(" ".join(lines))
        return draft


def write_report(path: Path, text: str) -> Path:
    """Write the draft `text` to `path` in the format its suffix names (.txt, .docx, .pdf)."""
    draft = Draft.parse(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = {".txt": _write_txt, ".docx": _write_docx, ".pdf": _write_pdf}[path.suffix.lower()]
    writer(path, draft)
    return path


def _plain_lines(draft: Draft) -> list[str]:
    lines: list[str] = []
    for part in draft.parts:
        if isinstance(part, str):
            lines.append(part)
        else:
            lines.extend(" | ".join(row) for row in part)
    return lines + draft.footnotes


def _write_txt(path: Path, draft: Draft) -> None:
    path.write_text("\n\n".join(_plain_lines(draft)) + "\n", encoding="utf-8")


def _write_docx(path: Path, draft: Draft) -> None:
    import docx

    document = docx.Document()
    properties = document.core_properties
    properties.created = properties.modified = properties.last_printed = WRITTEN_AT
    for part in draft.parts:
        if isinstance(part, str):
            document.add_paragraph(part)
            continue
        table = document.add_table(rows=len(part), cols=max(len(row) for row in part))
        for r, row in enumerate(part):
            for c, value in enumerate(row):
                table.cell(r, c).text = value
    buffer = io.BytesIO()
    document.save(buffer)
    data = add_footnotes(buffer.getvalue(), draft.footnotes) if draft.footnotes else buffer.getvalue()
    write_reproducible_zip(data, path, WRITTEN_AT)


def add_footnotes(docx_bytes: bytes, notes: list[str]) -> bytes:
    """python-docx writes no footnotes: add the part, its relationship and its content type."""
    from xml.sax.saxutils import escape

    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as source:
        members = {name: source.read(name) for name in source.namelist()}
    rels = members["word/_rels/document.xml.rels"].decode()
    members["word/_rels/document.xml.rels"] = rels.replace(
        "</Relationships>",
        f'<Relationship Id="rIdFootnotes" Target="footnotes.xml" Type="{_FOOTNOTES_REL}"/></Relationships>',
    ).encode()
    types = members["[Content_Types].xml"].decode()
    members["[Content_Types].xml"] = types.replace(
        "</Types>", f'<Override PartName="/word/footnotes.xml" ContentType="{_FOOTNOTES_TYPE}"/></Types>'
    ).encode()
    body = "".join(
        f'<w:footnote w:id="{n}"><w:p><w:r><w:t>{escape(note)}</w:t></w:r></w:p></w:footnote>'
        for n, note in enumerate(notes, start=1)
    )
    members["word/footnotes.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<w:footnotes xmlns:w="{_FOOTNOTES_NS}">'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
        f"{body}</w:footnotes>"
    ).encode()
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)
    return output.getvalue()


def _write_pdf(path: Path, draft: Draft) -> None:
    """A text-layer PDF (TrueType fonts embedded, so the text can be read back), lines wrapped as a word
    processor would; tables printed as lines of cells."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.backends.backend_pdf import PdfPages

    lines = [w for line in _plain_lines(draft) for w in textwrap.wrap(line, PDF_LINE_CHARS) or [""]]
    pages = [lines[i : i + PDF_LINES_PER_PAGE] for i in range(0, len(lines), PDF_LINES_PER_PAGE)]
    metadata = {"CreationDate": None, "Producer": None}
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(path, metadata=metadata) as pdf:
        for page in pages:
            figure = plt.figure(figsize=(8.27, 11.69))
            for n, line in enumerate(page):
                figure.text(0.06, 0.96 - 0.019 * n, line, fontsize=9)
            pdf.savefig(figure)
            plt.close(figure)
