"""Adaptive Card 1.5 renderers for Teams: pure functions from the view models to card dicts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from bot.forms import Field, Kind
from cards.ids import ActionId, InputId
from cards.views import (
    ApprovalCardView,
    CaseListView,
    Fact,
    FormView,
    NoteView,
    ReceiptView,
    SummaryView,
)

Card = dict[str, Any]
Element = dict[str, Any]
Mode = Literal["execute", "submit"]  # chat cards use Action.Execute; dialogs only Action.Submit

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
VERSION = "1.5"
MAX_REFRESH_USERS = 60  # Teams ignores refresh.userIds beyond 60 people

# Keys of the data an action carries, besides the inputs Teams merges in.
VERB = "verb"  # Action.Submit has no verb of its own: the fallback carries it in data
CASE = "case"  # CasePayload.encode()
FORM = "form"  # the form's submission key, so a repeated submit files one case
VALUES = "values"  # the checked answers the summary's submit button carries
REFRESH = "case_refresh"  # the verb of the approval card's automatic refresh


# Building blocks.


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


# Form inputs, one small function per kind of field.


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def _input_base(kind: str, field: Field, label: str | None = None) -> Element:
    element: Element = {"type": kind, "id": field.id.value, "label": label or field.label}
    if field.required:
        element["isRequired"] = True
        element["errorMessage"] = "Please answer this question."
    return element


def choice_input(field: Field, value: Any) -> Element:
    element = _input_base("Input.ChoiceSet", field)
    element["choices"] = [{"title": c.label, "value": c.id} for c in field.choices]
    element["style"] = "compact" if field.kind is Kind.SELECT else "expanded"
    if field.kind is Kind.CHECKBOXES:
        element["isMultiSelect"] = True
    if field.kind is Kind.SELECT:
        element["placeholder"] = "Choose one"
    if _as_text(value):
        element["value"] = _as_text(value)
    return element


def text_input(field: Field, value: Any) -> Element:
    element = _input_base("Input.Text", field)
    if field.kind is Kind.LONG_TEXT:
        element["isMultiline"] = True
    if field.max_length:
        element["maxLength"] = field.max_length
    if field.placeholder or field.hint:
        element["placeholder"] = field.placeholder or field.hint
    if _as_text(value):
        element["value"] = _as_text(value)
    return element


def date_input(field: Field, value: Any) -> Element:
    element = _input_base("Input.Date", field)
    if _as_text(value):
        element["value"] = _as_text(value)
    return element


def toggle_input(field: Field, value: Any) -> Element:
    choice = field.choices[0]
    element = _input_base("Input.Toggle", field)
    element.update(title=choice.label, valueOn=choice.id, valueOff="")
    element["value"] = choice.id if choice.id in _as_text(value).split(",") else ""
    return element


def files_note(field: Field) -> Element:
    return text(
        f"{field.label}: after you submit, send them to me in this chat. {field.hint}",
        subtle=True,
    )


def field_elements(field: Field, value: Any, error: str | None) -> list[Element]:
    """The input for one question, its hint, and the server's error for it in red."""
    if field.kind is Kind.FILES:
        return [files_note(field)]
    render = {
        Kind.SELECT: choice_input,
        Kind.RADIO: choice_input,
        Kind.CHECKBOXES: choice_input,
        Kind.TEXT: text_input,
        Kind.LONG_TEXT: text_input,
        Kind.DATE: date_input,
        Kind.FLAG: toggle_input,
    }[field.kind]
    out = [render(field, value)]
    if field.hint and field.kind not in (Kind.TEXT, Kind.LONG_TEXT):
        out.append(text(field.hint, subtle=True, spacing="None"))
    if error:
        out.append(error_text(error))
    return out


# Screens.


def form_card(view: FormView, mode: Mode, form_key: str) -> Card:
    """The report form: every section's questions, errors beside the fields they belong to."""
    body: list[Element] = [heading(view.title), text(view.intro, subtle=True)]
    if view.errors:
        body.append(error_text("Some answers need another look: see the notes in red below."))
    for section in view.sections:
        body.append(subheading(section.title))
        for field in section.fields:
            body.extend(field_elements(field, view.values.get(field.id), view.errors.get(field.id)))
    action = button(mode, view.submit_label, ActionId.FORM_NEXT, {FORM: form_key}, "positive")
    return card(body, [action])


def summary_card(view: SummaryView, mode: Mode, form_key: str, values: Mapping[str, Any]) -> Card:
    """What will be filed and what the policy recommends; the answers travel in the buttons."""
    body: list[Element] = []
    if view.urgent:
        body.append(alert(f"{view.urgency}: if anyone is in immediate danger, call 999 now."))
    body += [heading(view.title), fact_set(view.facts), subheading(f"Priority: {view.urgency}")]
    if view.actions:
        body.append(subheading("The policy recommends"))
        body.append(bullets(_action_line(a.text, a.reason) for a in view.actions))
    body.append(text(view.note, subtle=True))
    data = {FORM: form_key, VALUES: dict(values)}
    actions = [
        button(mode, view.submit_label, ActionId.FORM_SUBMIT, data, "positive"),
        button(mode, "Change answers", ActionId.FORM_BACK, data),
    ]
    return card(body, actions)


def _action_line(label: str, reason: str) -> str:
    return f"{label}: {reason}" if reason else label


def receipt_card(view: ReceiptView, extra: Sequence[str] = ()) -> Card:
    body: list[Element] = []
    if view.urgent:
        body.append(alert(view.lines[0]))
        lines: Sequence[str] = view.lines[1:]
    else:
        lines = view.lines
    body += [heading(view.headline), *lines_block(lines), *lines_block(extra)]
    return card(body)


def welcome_card() -> Card:
    body = [
        heading("Report a worrying post"),
        text(
            "Seen a parent's social-media post about the school, a colleague or a pupil that "
            "worries you? Report it here: the head decides what to do under the trust's policy."
        ),
        text("You can also type report, or cases to see the cases you can follow.", subtle=True),
    ]
    return card(body, [execute("Report a post", ActionId.OPEN_REPORT, {}, "positive")])


def message_card(headline: str, lines: Sequence[str] = (), attention: bool = False) -> Card:
    first = alert(headline) if attention else heading(headline)
    return card([first, *lines_block(lines)])


def case_list_card(view: CaseListView) -> Card:
    body: list[Element] = [heading(view.title)]
    if not view.rows:
        body.append(text(view.empty))
    for row in view.rows:
        body.append(
            fact_set(
                [
                    Fact(row.reference, f"{row.school}: {row.status}"),
                    Fact("Priority", f"{row.urgency}, opened {row.age}"),
                ]
            )
        )
    return card(body)


def note_card(view: NoteView, errors: Mapping[str, str] | None = None) -> Card:
    """A note about a case; with a button, the reporter's answer box (more information)."""
    body: list[Element] = [heading(view.headline), *lines_block(view.lines)]
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


# The approval card: the same facts for everyone, decision controls only for approvers.


def _case_body(view: ApprovalCardView) -> list[Element]:
    body: list[Element] = []
    if view.urgent:
        body.append(alert(f"{view.urgency}: the policy recommends contacting the police."))
    body += [
        heading(view.headline),
        text(f"{view.urgency} · {view.status} · {view.school}", subtle=True, spacing="None"),
        fact_set(view.facts),
    ]
    if view.evidence:
        body += [subheading("Evidence kept (5.1.7)"), bullets(view.evidence)]
    if view.info:
        body += [subheading("More information"), fact_set(view.info)]
    return body


def _recommended(view: ApprovalCardView) -> list[Element]:
    ticked = [a for a in view.actions if a.ticked]
    if not ticked:
        return []
    title = "Actions taken" if view.decision else "The policy recommends"
    return [subheading(title), bullets(_action_line(a.text, a.reason) for a in ticked)]


def _decision_controls(view: ApprovalCardView, errors: Mapping[str, str]) -> list[Element]:
    choices = [{"title": a.text, "value": a.id} for a in view.actions]
    ticked = ",".join(a.id for a in view.actions if a.ticked)
    picker: Element = {
        "type": "Input.ChoiceSet",
        "id": InputId.ACTIONS.value,
        "label": "Actions to approve (the recommended ones are ticked)",
        "isMultiSelect": True,
        "style": "expanded",
        "choices": choices,
        "value": ticked,
    }
    other: Element = {
        "type": "Input.Text",
        "id": InputId.OTHER_ACTION.value,
        "label": "If you tick 5.1.8, the other action",
        "maxLength": 2000,
    }
    out = [picker]
    if errors.get("actions"):
        out.append(error_text(errors["actions"]))
    out.append(other)
    if errors.get("other_action"):
        out.append(error_text(errors["other_action"]))
    return out


def _reason_card(input_id: InputId, label: str, error: str | None) -> list[Element]:
    box: Element = {
        "type": "Input.Text",
        "id": input_id.value,
        "label": label,
        "isMultiline": True,
        "isRequired": True,
        "errorMessage": "Please fill this in.",
        "maxLength": 2000,
    }
    return [box, error_text(error)] if error else [box]


def _decision_actions(view: ApprovalCardView, errors: Mapping[str, str]) -> list[Element]:
    data = {CASE: view.payload.encode()}
    decline = show_card(
        "Decline",
        _reason_card(InputId.REASON, "Why? The reporter is told.", errors.get("reason")),
        [execute("Decline the report", ActionId.DECLINE, data, "destructive")],
    )
    ask = show_card(
        "Ask for more information",
        _reason_card(InputId.QUESTION, "Your question for the reporter", errors.get("question")),
        [execute("Send the question", ActionId.ASK_INFO, data)],
    )
    return [execute("Approve ticked actions", ActionId.APPROVE, data, "positive"), decline, ask]


def approval_refresh(view: ApprovalCardView, approver_ids: Sequence[str]) -> Element | None:
    """Teams re-fetches the card for these people only: they get the decision controls."""
    if not view.decidable or not approver_ids:
        return None
    action = {"type": "Action.Execute", "verb": REFRESH, "data": {CASE: view.payload.encode()}}
    return {"action": action, "userIds": list(approver_ids)[:MAX_REFRESH_USERS]}


def approval_card(
    view: ApprovalCardView,
    *,
    for_approver: bool = False,
    approver_ids: Sequence[str] = (),
    errors: Mapping[str, str] | None = None,
    note: str = "",
) -> Card:
    """The case for everyone (whose decision is pending), or with the controls for an approver."""
    errors = errors or {}
    body = _case_body(view)
    if note:
        body.append(error_text(note))
    controls = for_approver and view.decidable
    if controls:
        body += _recommended(view) + _decision_controls(view, errors)
    else:
        body += _recommended(view)
    if view.decision:
        body += [subheading("Decision"), *lines_block(view.decision)]
    elif view.pending:
        body.append(text(view.pending, subtle=True))
    actions = _decision_actions(view, errors) if controls else []
    return card(body, actions, approval_refresh(view, approver_ids), full_width=True)


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
