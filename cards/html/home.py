"""The home page and the demo's identity picker."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from cards.html.base import Person, Post, form, heading, join, link, para, submit, tag
from cards.html.inputs import choice_group


def identity_picker(people: Sequence[Person], current: str, post: Post) -> Markup:
    choices = [(p.email, f"{p.name}: {p.role} ({p.email})") for p in people]
    group = choice_group(
        "email", "Who are you in this demo?", choices, [current], multiple=False, required=True
    )
    return form(post, group, tag("div", {"class": "buttons"}, submit("Continue", primary=True)))


def home(person: Person | None, picker: Markup, report_url: str) -> Markup:
    intro = (
        "Seen a parent's social-media post about the school, a colleague or a student that "
        "worries you? Report it here: the head decides what to do under the trust's policy. "
        "This is the same bot as in Slack and Teams, in your browser."
    )
    parts = [heading(1, "Report a worrying post"), para(intro)]
    if person:
        parts.append(
            tag(
                "p",
                {"class": "buttons"},
                link("Report a post", report_url, "button primary"),
                link("Your notices", "/inbox", "button"),
                link("Cases", "/cases", "button"),
            )
        )
    parts.append(tag("section", {}, heading(2, "Choose who you are"), picker))
    return join(parts)
