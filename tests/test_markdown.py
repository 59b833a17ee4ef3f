"""Input text in the Markdown the Dagster UI renders stays text: no image, link, raw HTML, heading or extra
table cell comes out of a file name, a commune name or a message quoting a cell."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from pipelines.core.markdown import md_list, md_text

HOSTILE = [
    "![x](http://evil.invalid/p.png).xlsx",
    "[bấm vào đây](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    "<http://evil.invalid>",
    "Xã A | 1 | 2",
    "dòng 1\n# Tiêu đề giả\n- mục giả",
    "**đậm** `mã` ~~gạch~~",
    "# Tiêu đề giả ở đầu",
    "1. mục giả",
    "> trích dẫn giả",
    "tệp\\](x)",
    "&lt;script&gt;",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_renders_as_its_own_text(text: str):
    html = (
        MarkdownIt("commonmark")
        .enable(["table", "strikethrough"])
        .render(f"| a |\n|---|\n| {md_text(text)} |\n\n{md_list([text])}")
    )
    for tag in ("<img", "<a ", "<h1", "<script", "<strong", "<code", "<s>", "<del", "<ol", "<blockquote"):
        assert tag not in html, html
    assert html.count("<td>") == 1 and html.count("<li>") == 1, html  # one cell, one item
    plain = MarkdownIt("commonmark").render(md_text(text))
    assert " ".join(text.split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in plain


def test_ordinary_text_is_unchanged_to_the_reader():
    for text in ("Xã Bình Sơn (mã QNG012): 543/544 = 99,81 %", "dak-cam_2025-Q1.docx"):
        assert md_text(text) == text  # names and messages read as they are written
        assert text in MarkdownIt("commonmark").render(md_text(text))
    assert md_list([]) == "none"
