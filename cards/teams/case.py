"""The approval card on Teams: the same facts for everyone, controls only for approvers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from cards.ids import ActionId, InputId
from cards.teams.base import (
    CASE,
    ON_CASE,
    REFRESH,
    Card,
    Element,
    action_line,
    action_set,
    alert,
    bullets,
    card,
    error_text,
    execute,
    fact_set,
    heading,
    lines_block,
    link_block,
    show_card,
    subheading,
    text,
    view_button,
)
from cards.views import ApprovalCardView, Button, Fact, FileRow, TaskRow

MAX_REFRESH_USERS = 60  # Teams ignores refresh.userIds beyond 60 people


def _case_body(view: ApprovalCardView) -> list[Element]:
    body: list[Element] = []
    if view.banner:
        body.append(alert(view.banner))
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


def _recommended(view: ApprovalCardView) -> list[Element]:
    # Before the decision, every recommendation with its reason, held-back ones too.
    ticked = [a for a in view.actions if (a.ticked if view.decision else a.reason)]
    if not ticked:
        return []
    title = "Actions taken" if view.decision else "Recommended, each with its basis"
    return [subheading(title), bullets(action_line(a.text, a.reason) for a in ticked)]


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
    if for_approver and view.correctable:
        fix = Button("Correct an answer", ActionId.CORRECT_ANSWER, view.payload.encode())
        actions.append(view_button(fix, ON_CASE))
    return card(body, actions, approval_refresh(view, approver_ids), full_width=True)
