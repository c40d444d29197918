"""The privacy notice and terms as a plain page: the trust's text made into headings and lists."""

from __future__ import annotations

import re

from markupsafe import Markup

from cards.html.base import document, heading, join, link, para, tag

HEADING_MAX = 60  # a block's first line this short, with no full stop, is its heading


def notice_page(title: str, intro: str, text: str, see_also: tuple[str, str]) -> str:
    """Blocks are separated by blank lines; a line starting "- " is a list item; a block's
    short first line (no full stop) heads it. Everything else is a paragraph, as written (text:
    escaped, never markup)."""
    parts = [heading(1, title)]
    if intro:
        parts.append(para(intro))
    for block in re.split(r"\n\s*\n", text.strip()):
        parts.extend(_block([line.strip() for line in block.splitlines() if line.strip()]))
    label, href = see_also
    parts.append(tag("p", {}, "See also: ", link(label, href)))
    return document(title, join(parts))


def _block(lines: list[str]) -> list[Markup]:
    if not lines:
        return []
    out: list[Markup] = []
    first = lines[0]
    if len(first) <= HEADING_MAX and not first.endswith((".", ":", ";", "!", "?", ")")):
        out.append(heading(2, first))
        lines = lines[1:]
    items: list[str] = []
    words: list[str] = []

    def flush() -> None:
        if words:
            out.append(para(" ".join(words)))
            words.clear()
        if items:
            out.append(tag("ul", {}, join([tag("li", {}, i) for i in items])))
            items.clear()

    for line in lines:
        if line.startswith(("- ", "* ")):
            if words:
                flush()
            items.append(line[2:].strip())
        else:
            if items:
                flush()
            words.append(line)
    flush()
    return out


def error_page(title: str, text: str) -> str:
    """A page in place of a bare error: what happened, and the way back."""
    back = tag(
        "ul",
        {"class": "way-back"},
        tag("li", {}, link("Home", "/")),
        tag("li", {}, link("Your notices", "/inbox")),
        tag("li", {}, link("Cases", "/cases")),
    )
    return document(title, join([heading(1, title), para(text), heading(2, "Where next"), back]))
