"""Text from the inputs (file names, commune names, messages quoting a cell) inside the Markdown that the
Dagster UI renders as run and asset metadata. A file named `![x](http://…).xlsx` must show as that name, not
as an image fetched from elsewhere or a link; a message with `|` must not add a table cell. Each such text is
written on one line, with the characters that make images, links, HTML, code, emphasis or cells escaped,
and a heading, list or quote marker at its start neutralised."""

from __future__ import annotations

import re
from collections.abc import Iterable

_INLINE = re.compile(r"([\\`*\[\]<>!|~&])")
_LINE_START = re.compile(r"^(#+|[-+>=])|^(\d+)([.)])")


def md_text(value: object) -> str:
    """`value` as literal Markdown text on one line."""
    text = _INLINE.sub(r"\\\1", " ".join(str(value).split()))
    return _LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", text)


def md_list(items: Iterable[object], empty: str = "none") -> str:
    """A bullet list of input texts; `empty` when there are none."""
    return "\n".join(f"- {md_text(item)}" for item in items) or empty
