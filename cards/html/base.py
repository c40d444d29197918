"""HTML building blocks (every string escaped), error messages, and the page frame."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from cards.views import ActionOption, Fact

Child = Markup | str | None
VOID = frozenset({"input", "meta", "link", "br", "hr", "img"})
ACTION = "action"  # the name of every button: its value is an ActionId
VALUE = "value"  # the payload a button carries (CasePayload, TaskPayload)
CSRF = "csrf"
NAV = "nav"  # "back" on the form's Back button
FILE_QUERY = "f"  # the FilePayload of an Open link
APP_NAME = "Post concerns"
STYLESHEET = "/static/style.css"  # served from cards/static/style.css (handlers/notice.py)
FAVICON = "/static/favicon.svg"  # and the icon beside it, so no page asks for a missing one


# Building blocks: every string is escaped; only Markup passes through as it is.


def tag(name: str, attrs: Mapping[str, Any] | None = None, *children: Child) -> Markup:
    """One element; attributes that are None or False are left out, True ones are bare."""
    parts = [name]
    for key, value in (attrs or {}).items():
        if value is None or value is False:
            continue
        attr = key.rstrip("_").replace("_", "-")
        parts.append(attr if value is True else f'{attr}="{escape(str(value))}"')
    # Safe: the element and attribute names come from this code, every value is escaped above.
    opening = Markup(f"<{' '.join(parts)}>")  # noqa: S704
    if name in VOID:
        return opening
    inner = Markup("").join(escape(c) for c in children if c is not None)
    return opening + inner + Markup(f"</{name}>")  # noqa: S704 - name is the code's own


def join(items: Sequence[Child]) -> Markup:
    return Markup("\n").join(escape(i) for i in items if i is not None and i != "")


def para(text: str, cls: str | None = None) -> Markup:
    return tag("p", {"class": cls}, text)


def link(text: str, href: str, cls: str | None = None) -> Markup:
    return tag("a", {"href": href, "class": cls}, text)


def hidden(name: str, value: str, owner: str | None = None) -> Markup:
    """A hidden input; owner: the id of the form it belongs to when it stands outside it."""
    return tag("input", {"type": "hidden", "name": name, "value": value, "form": owner})


@dataclass(frozen=True)
class Post:
    """Where a form posts, and the CSRF token tied to the person's identity cookie."""

    url: str
    csrf: str


def form(
    post: Post,
    *children: Child,
    multipart: bool = False,
    cls: str | None = None,
    id_: str | None = None,
) -> Markup:
    """A POST form; novalidate so the server's messages, next to each field, are the ones shown."""
    attrs = {
        "id": id_,
        "method": "post",
        "action": post.url,
        "novalidate": True,
        "class": cls,
        "enctype": "multipart/form-data" if multipart else None,
    }
    return tag("form", attrs, hidden(CSRF, post.csrf), *children)


def submit(
    label: str,
    action: str = "",
    value: str = "",
    primary: bool = False,
    owner: str | None = None,
) -> Markup:
    """A submit button (with the case's value); owner: its form's id when it stands outside it."""
    attrs = {
        "type": "submit",
        "name": ACTION if action else None,
        "value": action or None,
        "class": "button primary" if primary else "button",
        "form": owner,
    }
    button = tag("button", attrs, label)
    return hidden(VALUE, value, owner) + button if value else button


URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)]")


def linked(text: str) -> Markup:
    """Text with each web address made a link (escaped like any other text)."""
    parts: list[Markup] = []
    at = 0
    for m in URL.finditer(text):
        parts += [
            escape(text[at : m.start()]),
            tag("a", {"href": m.group(), "rel": "noreferrer"}, m.group()),
        ]
        at = m.end()
    parts.append(escape(text[at:]))
    return Markup("").join(parts)


def fact_list(facts: Sequence[Fact]) -> Markup:
    rows = [tag("div", {}, tag("dt", {}, f.label), tag("dd", {}, linked(f.value))) for f in facts]
    return tag("dl", {"class": "facts"}, join(rows))


def bullet_list(lines: Sequence[str], cls: str | None = None) -> Markup:
    return tag("ul", {"class": cls}, join([tag("li", {}, linked(line)) for line in lines]))


def heading(level: int, text: str, id_: str | None = None) -> Markup:
    return tag(f"h{level}", {"id": id_}, text)


def action_item(a: ActionOption) -> Markup:
    reason = tag("span", {"class": "reason"}, a.reason) if a.reason else None
    return tag("li", {}, tag("strong", {}, a.clause), " ", a.label, reason)


def urgent_banner(text: str) -> Markup:
    return tag("div", {"class": "urgent", "role": "alert"}, tag("strong", {}, text))


# Errors: a summary at the top (announced), and each message next to its field.


def error_id(field_id: str) -> str:
    return f"{field_id}-error"


def hint_id(field_id: str) -> str:
    return f"{field_id}-hint"


def error_summary(
    errors: Mapping[str, str],
    anchors: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Markup:
    """role=alert so a screen reader reads it out; each line links to the field it is about."""
    if not errors:
        return Markup("")
    anchors, labels = anchors or {}, labels or {}
    items = [
        tag(
            "li",
            {},
            link(
                f"{labels[key]}: {message}" if key in labels else message,
                f"#{anchors.get(key, key)}",
            ),
        )
        for key, message in errors.items()
    ]
    return tag(
        "div",
        # autofocus: the page opens on the summary, so keyboard and screen reader users start there.
        {
            "class": "error-summary",
            "role": "alert",
            "tabindex": "-1",
            "id": "errors",
            "autofocus": True,
        },
        heading(2, "There is a problem"),
        tag("ul", {}, join(items)),
    )


def field_error(field_id: str, message: str | None) -> Markup:
    if not message:
        return Markup("")
    return tag("p", {"class": "error", "id": error_id(field_id)}, "Error: ", message)


def described_by(field_id: str, hint: bool, error: bool) -> str | None:
    ids = [hint_id(field_id)] if hint else []
    ids += [error_id(field_id)] if error else []
    return " ".join(ids) or None


# The page around every screen.


@dataclass(frozen=True)
class Person:
    """Someone from the trust file the demo can act as."""

    email: str
    name: str
    role: str


def message(title: str, text: str, back: str = "/") -> Markup:
    return join([heading(1, title), para(text), tag("p", {}, link("Back", back))])


def page(title: str, main: Markup, person: Person | None) -> str:
    """The whole document: skip link, the demo banner, navigation, then the main content."""
    who = (
        f"You are acting as {person.name} ({person.email})."
        if person
        else "Choose who you are below."
    )
    banner = tag(
        "div",
        {"class": "demo", "role": "note"},
        tag("strong", {}, "Demo identity: this is not sign-in."),
        " ",
        who,
        " ",
        link("Change", "/#email-0") if person else None,
    )
    nav = tag(
        "nav",
        {"aria_label": "Main"},
        tag(
            "ul",
            {},
            join(
                [
                    tag("li", {}, link(text, href))
                    for text, href in (
                        ("Home", "/"),
                        ("Report a post", "/report"),
                        ("Notices", "/inbox"),
                        ("Cases", "/cases"),
                    )
                ]
            ),
        ),
    )
    return document(title, main, banner, nav)


def document(title: str, main: Markup, *top: Markup) -> str:
    """A whole page: the stylesheet, a skip link, what goes on top (banner, navigation), main."""
    head = join(
        [
            tag("meta", {"charset": "utf-8"}),
            tag("meta", {"name": "viewport", "content": "width=device-width, initial-scale=1"}),
            tag("title", {}, f"{title} · {APP_NAME}"),
            tag("link", {"rel": "stylesheet", "href": STYLESHEET}),
            tag("link", {"rel": "icon", "href": FAVICON, "type": "image/svg+xml"}),
        ]
    )
    body = join(
        [
            link("Skip to main content", "#main", "skip"),
            *top[:-1],
            tag("header", {}, para(APP_NAME, "brand"), *top[-1:]),
            tag("main", {"id": "main", "tabindex": "-1"}, main),
        ]
    )
    html = tag("html", {"lang": "en-GB"}, tag("head", {}, head), tag("body", {}, body))
    return "<!doctype html>\n" + str(html) + "\n"
