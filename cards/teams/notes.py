"""Teams cards that tell: welcome, messages, the register, links and notes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cards.ids import ActionId, InputId
from cards.teams.base import (
    CASE,
    ON_NOTE,
    Card,
    Element,
    alert,
    card,
    error_text,
    execute,
    heading,
    lines_block,
    link_block,
    text,
    view_button,
)
from cards.views import Button, CaseListView, NoteView


def welcome_card() -> Card:
    body = [
        heading("Report a worrying post"),
        text(
            "Seen a parent's social-media post about the school, a colleague or a student that "
            "worries you? Report it here: the head decides what to do under the trust's policy."
        ),
        text("You can also type report, or cases to see the cases you can follow.", subtle=True),
    ]
    return card(body, [execute("Report a post", ActionId.OPEN_REPORT, {}, "positive")])


def message_card(headline: str, lines: Sequence[str] = (), attention: bool = False) -> Card:
    first = alert(headline) if attention else heading(headline)
    return card([first, *lines_block(lines)])


def case_list_card(view: CaseListView) -> Card:
    """The register: one block per case, overdue tasks in red."""
    body: list[Element] = [heading(view.title)]
    if view.reach_note:
        body.append(text(view.reach_note, color="Warning"))
    if not view.rows:
        body.append(text(view.empty))
    for row in view.rows:
        opened = "opened today" if row.age == "today" else f"opened {row.age} ago"
        items = [
            text(f"{row.reference} · {row.school}", weight="Bolder"),
            text(f"{row.status} · {row.urgency} · {opened}", subtle=True, spacing="None"),
        ]
        if row.overdue:
            items.append(text(f"{row.overdue} overdue task(s)", color="Attention", spacing="None"))
        body.append({"type": "Container", "items": items, "separator": True})
    return card(body)


def link_card(view: NoteView, url: str, again: Button | None = None) -> Card:
    """The private answer to an Open button on a note: the link, and a way to get a new one."""
    body: list[Element] = [heading(view.headline), link_block("Your link", url)]
    return card(body, [view_button(again, ON_NOTE)] if again else [])


def note_card(view: NoteView, errors: Mapping[str, str] | None = None) -> Card:
    """A note about a case; with a button, the reporter's answer box (more information)."""
    body: list[Element] = [heading(view.headline), *lines_block(view.lines)]
    if view.buttons:
        return card(body, [view_button(b, ON_NOTE) for b in view.buttons])
    if not (view.button and view.payload):
        return card(body)
    body.append(
        {
            "type": "Input.Text",
            "id": InputId.ANSWER.value,
            "label": "Your answer",
            "isMultiline": True,
            "isRequired": True,
            "errorMessage": "Write your answer.",
            "maxLength": 4000,
        }
    )
    if errors and errors.get("answer"):
        body.append(error_text(errors["answer"]))
    data = {CASE: view.payload.encode()}
    return card(body, [execute(view.button, ActionId.ANSWER_INFO, data, "positive")])
