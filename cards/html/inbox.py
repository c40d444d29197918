"""The web inbox: the notices that reached this person, with the buttons that need no typing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from cards.html.base import Post, form, heading, join, link, para, submit, tag
from cards.ids import ActionId
from cards.views import NoteView


@dataclass(frozen=True)
class InboxItem:
    """A notice as it reached this person's web inbox."""

    note: NoteView
    at: str
    case_url: str


def note(item: InboxItem, act: Post | None) -> Markup:
    """One notice: its lines, a link to the case, and the buttons that need no typing."""
    view = item.note
    parts = [
        heading(2, view.headline),
        para(item.at, "hint"),
        join([para(line) for line in view.lines]),
    ]
    actions = [link(view.button or f"Open {view.reference}", item.case_url, "button")]
    for b in view.buttons:
        if (
            b.action in (ActionId.TASK_DONE, ActionId.OPEN_FILE, ActionId.MAKE_LETTER)
            or act is None
        ):
            actions.append(link(b.label, item.case_url, "button"))
        else:
            actions.append(form(act, submit(b.label, b.action, b.value, b.primary), cls="inline"))
    parts.append(tag("div", {"class": "buttons"}, join(actions)))
    return tag("li", {"class": "note"}, join(parts))


def inbox(items: Sequence[tuple[InboxItem, Post | None]]) -> Markup:
    if not items:
        return join([heading(1, "Your notices"), para("Nothing here yet.")])
    listing = tag("ol", {"class": "notes"}, join([note(i, act) for i, act in items]))
    return join([heading(1, "Your notices"), listing])
