"""Adaptive Card 1.5 renderers for Teams: pure functions from the view models to card dicts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from bot.forms import Field, Kind
from cards.ids import ActionId, InputId, ViewId
from cards.views import (
    DATE_REFERENCES,
    OUTCOME_CHOICES,
    REFERENCE_LABELS,
    ApprovalCardView,
    Button,
    CaseListView,
    Fact,
    FileRow,
    FormView,
    NoteView,
    ReceiptView,
    SummaryView,
    TaskRow,
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
    ActionId.OPEN_FILE: FILE,
    ActionId.CLOSE_CASE: CASE,
    ActionId.REOPEN_CASE: CASE,
}

# What "Mark done" asks for besides the outcome, by action: the record a court would want.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


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
    """The register: one block per case, overdue tasks in red."""
    body: list[Element] = [heading(view.title)]
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
    if view.files:
        body += [subheading("Evidence kept (5.1.7) and drafts"), *map(_file_row, view.files)]
    elif view.evidence:
        body += [subheading("Evidence kept (5.1.7)"), bullets(view.evidence)]
    if view.info:
        body += [subheading("More information"), fact_set(view.info)]
    return body


def view_button(b: Button, back: str) -> Element:
    """A view model's button as Action.Execute: its payload under the key its handler reads."""
    data = {PAYLOAD_KEY.get(b.action, CASE): b.value, BACK: back}
    return execute(b.label, b.action, data, "positive" if b.primary else None)


def action_set(actions: Sequence[Element]) -> Element:
    return {"type": "ActionSet", "actions": list(actions)}


def _file_row(row: FileRow) -> Element:
    label = {"type": "Column", "width": "stretch", "items": [text(row.label)]}
    button = {
        "type": "Column",
        "width": "auto",
        "items": [action_set([view_button(row.button, ON_CASE)])],
    }
    return {"type": "ColumnSet", "columns": [label, button], "spacing": "Small"}


def _task_row(row: TaskRow, controls: bool) -> Element:
    title = row.title + (" · OVERDUE" if row.overdue else "")
    facts = [Fact("Owner", row.owner), Fact("Due", row.due), Fact("Status", row.status)]
    if row.result:
        facts.append(Fact("Result", row.result))
    items: list[Element] = [
        text(title, weight="Bolder", color="Attention" if row.overdue else None),
        fact_set(facts),
    ]
    actions = [view_button(b, ON_CASE) for b in row.buttons] if controls else []
    if len(row.help) == 1:
        items.append(text(row.help[0], subtle=True))
    elif row.help:
        # A long guide folds away: the card stays short on a phone until someone needs it.
        actions.append(show_card("Guide", [bullets(row.help)], []))
    if actions:
        items.append(action_set(actions))
    return {"type": "Container", "items": items, "separator": True, "spacing": "Medium"}


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


def has_controls(view: ApprovalCardView) -> bool:
    """Whether anyone could act on the card now: decide, work a task, close or reopen."""
    return bool(
        view.decidable
        or getattr(view, "case_buttons", ())
        or any(t.buttons for t in getattr(view, "tasks", ()))
    )


def approval_refresh(view: ApprovalCardView, approver_ids: Sequence[str]) -> Element | None:
    """Teams re-fetches the card for these people only: they get the controls they may use."""
    if not has_controls(view) or not approver_ids:
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
    task_ids: Iterable[str] = (),
    link: tuple[str, str] | None = None,
) -> Card:
    """The case for everyone, or with the controls this person may use: the decision and
    closing for an approver, Mark done and Reassign on the tasks in task_ids. approver_ids
    are the people whose copy Teams refreshes (so they see their controls); link is a
    (title, url) pair answering an Open button."""
    errors = errors or {}
    body = _case_body(view)
    # What answers this person's click goes under the headline, where a phone shows it first.
    top = 3 if view.urgent else 2
    if link:
        body.insert(top, link_block(*link))
    if note:
        body.insert(top, error_text(note))
    controls = for_approver and view.decidable
    body += _recommended(view)
    if controls:
        body += _decision_controls(view, errors)
    if view.decision:
        body += [subheading("Decision"), *lines_block(view.decision)]
    elif view.pending:
        body.append(text(view.pending, subtle=True))
    if view.tasks:
        mine = set(task_ids)
        body.append(subheading("Tasks"))
        body += [_task_row(t, t.id in mine) for t in view.tasks]
    if view.closure:
        body += [subheading("Closed"), *lines_block(view.closure)]
    if controls:
        actions = _decision_actions(view, errors)
    elif for_approver:
        actions = [view_button(b, ON_CASE) for b in view.case_buttons]
    else:
        actions = []
    return card(body, actions, approval_refresh(view, approver_ids), full_width=True)


# Follow-through forms: each a card of its own that replaces the clicked one for the clicker.


def _box(
    input_id: InputId,
    label: str,
    *,
    required: bool = True,
    multiline: bool = False,
    value: str = "",
    max_length: int = 2000,
) -> Element:
    box: Element = {"type": "Input.Text", "id": input_id.value, "label": label}
    box["maxLength"] = max_length
    if multiline:
        box["isMultiline"] = True
    if required:
        box["isRequired"] = True
        box["errorMessage"] = "Please fill this in."
    if value:
        box["value"] = value
    return box


def _with_error(element: Element, error: str | None) -> list[Element]:
    return [element, error_text(error)] if error else [element]


def _cancel(case_payload: str) -> Element:
    return execute("Cancel", REFRESH, {CASE: case_payload})


def _form_actions(
    title: str, verb: str, data: Mapping[str, Any], back: str, case_payload: str
) -> list[Element]:
    actions = [execute(title, verb, {**data, BACK: back}, "positive")]
    if back == ON_CASE:
        actions.append(_cancel(case_payload))
    return actions


def task_done_form(
    title: str,
    action_id: str,
    task_payload: str,
    case_payload: str,
    back: str,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
) -> Card:
    """What was done and, where the record needs it, a reference (incident number, date)."""
    values, errors = values or {}, errors or {}
    result = str(values.get(InputId.TASK_RESULT) or "")
    reference = str(values.get(InputId.TASK_REFERENCE) or "")
    body: list[Element] = [heading(f"Mark done: {title}")]
    body += _with_error(
        _box(
            InputId.TASK_RESULT, "What was done, and what happened?", multiline=True, value=result
        ),
        errors.get("result"),
    )
    label = REFERENCE_LABELS.get(action_id)
    if label and action_id in DATE_REFERENCES:
        field: Element = {"type": "Input.Date", "id": InputId.TASK_REFERENCE.value, "label": label}
        if reference:
            field["value"] = reference
        body += _with_error(field, errors.get("reference"))
    elif label:
        body += _with_error(
            _box(InputId.TASK_REFERENCE, label, required=False, value=reference, max_length=200),
            errors.get("reference"),
        )
    actions = _form_actions("Mark done", ViewId.TASK_DONE, {TASK: task_payload}, back, case_payload)
    return card(body, actions)


def reassign_form(
    title: str,
    owner: str,
    task_payload: str,
    case_payload: str,
    back: str,
    value: str = "",
    error: str | None = None,
) -> Card:
    """The new owner by school email address (Teams' people picker would need Graph)."""
    box = _box(InputId.TASK_OWNER, "New owner's school email address", value=value, max_length=254)
    box["style"] = "Email"
    box["regex"] = EMAIL_PATTERN
    box["errorMessage"] = "Enter a school email address, such as name@school.example."
    body = [heading(f"Reassign: {title}"), text(f"Now with {owner}.", subtle=True)]
    body += _with_error(box, error)
    body.append(text("They get a message from me if they have opened this app.", subtle=True))
    actions = _form_actions(
        "Reassign", ViewId.TASK_REASSIGN, {TASK: task_payload}, back, case_payload
    )
    return card(body, actions)


def close_form(
    reference: str,
    case_payload: str,
    open_tasks: int,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
) -> Card:
    values, errors = values or {}, errors or {}
    body: list[Element] = [heading(f"Close {reference}")]
    if open_tasks:
        body.append(
            text(
                f"{open_tasks} task(s) are still open: mark them done first, or close with "
                "no further action (open tasks are then cancelled).",
                subtle=True,
            )
        )
    outcome: Element = {
        "type": "Input.ChoiceSet",
        "id": InputId.CLOSE_OUTCOME.value,
        "label": "How did it end?",
        "style": "expanded",
        "isRequired": True,
        "errorMessage": "Choose how the case ended.",
        "choices": [{"title": label, "value": value} for value, label in OUTCOME_CHOICES],
    }
    if values.get(InputId.CLOSE_OUTCOME):
        outcome["value"] = str(values[InputId.CLOSE_OUTCOME])
    body += _with_error(outcome, errors.get("outcome"))
    note = _box(
        InputId.CLOSE_NOTE,
        "Closing note for the record (the reporter is told the outcome only)",
        multiline=True,
        value=str(values.get(InputId.CLOSE_NOTE) or ""),
    )
    body += _with_error(note, errors.get("note"))
    actions = [
        execute("Close the case", ViewId.CLOSE, {CASE: case_payload}, "destructive"),
        _cancel(case_payload),
    ]
    return card(body, actions)


def reopen_form(reference: str, case_payload: str, error: str | None = None) -> Card:
    box = _box(InputId.REOPEN_REASON, "Why is it reopened?", multiline=True)
    body = [heading(f"Reopen {reference}"), text("The reason goes on its record.", subtle=True)]
    body += _with_error(box, error)
    actions = [
        execute("Reopen", ViewId.REOPEN, {CASE: case_payload}, "positive"),
        _cancel(case_payload),
    ]
    return card(body, actions)


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
