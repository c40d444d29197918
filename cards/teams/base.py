"""Adaptive Card 1.5 building blocks for Teams, the data keys actions carry, envelopes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from cards.ids import ActionId
from cards.views import Button, Fact

Card = dict[str, Any]
Element = dict[str, Any]
Mode = Literal["execute", "submit"]  # chat cards use Action.Execute; dialogs only Action.Submit

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
VERSION = "1.5"

# Keys of the data an action carries, besides the inputs Teams merges in.
VERB = "verb"  # Action.Submit has no verb of its own: the fallback carries it in data
CASE = "case"  # CasePayload.encode()
FORM = "form"  # the form's submission key, so a repeated submit files one case
VALUES = "values"  # the checked answers the summary's submit button carries
REFRESH = "case_refresh"  # the verb of the approval card's automatic refresh
TASK = "task"  # TaskPayload.encode()
FILE = "file"  # FilePayload.encode()
BACK = "back"  # where a follow-through button sits: the case card, or a note (reminder, draft)
ON_CASE = "case"
ON_NOTE = "note"

# The data key each kind of button carries its payload under.
PAYLOAD_KEY = {
    ActionId.TASK_DONE: TASK,
    ActionId.TASK_REASSIGN: TASK,
    ActionId.TASK_SNOOZE: TASK,
    ActionId.POST_REMOVED: TASK,
    ActionId.POST_STILL_UP: TASK,
    ActionId.ADVISE_GO_AHEAD: TASK,
    ActionId.ADVISE_HOLD: TASK,
    ActionId.OPEN_FILE: FILE,
    ActionId.MAKE_LETTER: FILE,
    ActionId.CLOSE_CASE: CASE,
    ActionId.REOPEN_CASE: CASE,
}


def card(
    body: Sequence[Element],
    actions: Sequence[Element] = (),
    refresh: Element | None = None,
    full_width: bool = False,
) -> Card:
    out: Card = {"type": "AdaptiveCard", "version": VERSION, "body": list(body)}
    if actions:
        out["actions"] = list(actions)
    if refresh:
        out["refresh"] = refresh
    if full_width:
        out["msteams"] = {"width": "Full"}  # a Teams host key: stripped before schema checks
    return out


def text(
    value: str,
    *,
    weight: str | None = None,
    size: str | None = None,
    color: str | None = None,
    subtle: bool = False,
    spacing: str | None = None,
) -> Element:
    block: Element = {"type": "TextBlock", "text": value, "wrap": True}
    for key, option in (("weight", weight), ("size", size), ("color", color), ("spacing", spacing)):
        if option:
            block[key] = option
    if subtle:
        block["isSubtle"] = True
    return block


def heading(value: str) -> Element:
    return text(value, weight="Bolder", size="Medium")


def subheading(value: str) -> Element:
    return text(value, weight="Bolder", spacing="Medium")


def error_text(message: str) -> Element:
    return text(message, color="Attention", spacing="None")


def alert(value: str) -> Element:
    """The attention-coloured line an urgent card starts with."""
    return text(value, weight="Bolder", color="Attention", size="Medium")


def fact_set(facts: Iterable[Fact]) -> Element:
    return {"type": "FactSet", "facts": [{"title": f.label, "value": f.value} for f in facts]}


def bullets(lines: Iterable[str]) -> Element:
    return text("\n".join(f"- {line}" for line in lines))


def lines_block(lines: Iterable[str]) -> list[Element]:
    return [text(line) for line in lines]


def execute(title: str, verb: str, data: Mapping[str, Any], style: str | None = None) -> Element:
    """Action.Execute, falling back to Action.Submit (verb in data) on clients without it."""
    action: Element = {"type": "Action.Execute", "title": title, "verb": verb, "data": dict(data)}
    fallback = submit(title, verb, data)
    if style:
        action["style"] = style
        fallback["style"] = style
    action["fallback"] = fallback
    return action


def submit(title: str, verb: str, data: Mapping[str, Any]) -> Element:
    return {"type": "Action.Submit", "title": title, "data": {**data, VERB: verb}}


def button(
    mode: Mode, title: str, verb: str, data: Mapping[str, Any], style: str | None = None
) -> Element:
    if mode == "execute":
        return execute(title, verb, data, style)
    action = submit(title, verb, data)
    if style:
        action["style"] = style
    return action


def show_card(title: str, body: Sequence[Element], actions: Sequence[Element]) -> Element:
    inner = {"type": "AdaptiveCard", "body": list(body), "actions": list(actions)}
    return {"type": "Action.ShowCard", "title": title, "card": inner}


def action_line(label: str, reason: str) -> str:
    return f"{label}: {reason}" if reason else label


def view_button(b: Button, back: str) -> Element:
    """A view model's button as Action.Execute: its payload under the key its handler reads."""
    data = {PAYLOAD_KEY.get(b.action, CASE): b.value, BACK: back}
    return execute(b.label, b.action, data, "positive" if b.primary else None)


def action_set(actions: Sequence[Element]) -> Element:
    return {"type": "ActionSet", "actions": list(actions)}


def link_block(title: str, url: str) -> Element:
    """A signed link for the person who asked: only they see it, and it expires."""
    return {
        "type": "Container",
        "style": "emphasis",
        "items": [
            text(f"{title}: this link works for 5 minutes, for you only.", weight="Bolder"),
            action_set([{"type": "Action.OpenUrl", "title": "Open", "url": url}]),
        ],
    }


# Envelopes Teams expects around a card.


def attachment(content: Card) -> dict[str, Any]:
    return {"contentType": CARD_CONTENT_TYPE, "content": content}


def invoke_card(content: Card) -> dict[str, Any]:
    """The body of an adaptiveCard/action response: always a card (plain text breaks Teams)."""
    return {"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": content}


def task_card(content: Card, title: str = "Report a post") -> dict[str, Any]:
    """A dialog (task module) showing this card: fetchTask, or submitAction with errors."""
    value = {"title": title, "height": "large", "width": "medium", "card": attachment(content)}
    return {"task": {"type": "continue", "value": value}}


def task_message(message: str) -> dict[str, Any]:
    """Close the dialog with a short message."""
    return {"task": {"type": "message", "value": message}}
