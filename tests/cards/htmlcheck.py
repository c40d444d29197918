"""Reads rendered HTML back: its text, its buttons, and the accessibility rules it must keep."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"input", "meta", "link", "br", "hr", "img"}
LABELLED = {"input", "select", "textarea"}


@dataclass
class Parsed:
    text: list[str] = field(default_factory=list)
    elements: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    labels_for: set[str] = field(default_factory=set)
    unclosed: list[str] = field(default_factory=list)
    stray: list[str] = field(default_factory=list)

    @property
    def ids(self) -> list[str]:
        return [a["id"] for _, a in self.elements if "id" in a]

    def all_text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.text))

    def buttons(self) -> set[str]:
        """The action ids of the buttons (name=action) in the page."""
        return {a.get("value", "") for t, a in self.elements if t == "button" and a.get("name")}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = Parsed()
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v if v is not None else "" for k, v in attrs}
        self.out.elements.append((tag, values))
        if tag == "label" and "for" in values:
            self.out.labels_for.add(values["for"])
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        else:
            self.out.stray.append(tag)

    def handle_data(self, data: str) -> None:
        if data.strip():
            self.out.text.append(data.strip())


def parse(markup: str) -> Parsed:
    reader = _Reader()
    reader.feed(markup)
    reader.close()
    reader.out.unclosed = list(reader.stack)
    return reader.out


def problems(markup: str) -> list[str]:
    """Broken nesting, duplicate ids, inputs without a label, references to missing ids."""
    page = parse(markup)
    found = [f"stray </{t}>" for t in page.stray] + [f"unclosed <{t}>" for t in page.unclosed]
    ids = page.ids
    found += [f"duplicate id {i}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    for tag, attrs in page.elements:
        if tag in LABELLED and attrs.get("type") not in ("hidden", "submit"):
            if attrs.get("id") not in page.labels_for:
                found.append(f"<{tag} name={attrs.get('name')}> has no label")
        for ref in attrs.get("aria-describedby", "").split():
            if ref not in ids:
                found.append(f"aria-describedby {ref} is not on the page")
        if tag == "a" and attrs.get("href", "").startswith("#") and len(attrs["href"]) > 1:
            if attrs["href"][1:] not in ids:
                found.append(f"link to missing #{attrs['href'][1:]}")
    for label in page.labels_for:
        if label not in ids:
            found.append(f"label for missing id {label}")
    return found
