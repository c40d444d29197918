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

REPORT_ID = "report"  # the folded report, shown by its button
MAX_REFRESH_USERS = 60  # Teams ignores refresh.userIds beyond 60 people


def _header(view: ApprovalCardView) -> list[Element]:
    body: list[Element] = [alert(view.banner)] if view.banner else []
    return body + [
        heading(view.headline),
        text(f"{view.urgency} · {view.status} · {view.school}", subtle=True, spacing="None"),
    ]


def _about(view: ApprovalCardView) -> list[Element]:
    """The report, the files and the answers; once decided the report folds away behind a
    button, so the tasks lead on a phone."""
    body: list[Element] = []
    if view.decision:
        folded = {
            "type": "Container",
            "id": REPORT_ID,
            "isVisible": False,
            "items": [fact_set(view.facts)],
        }
        show: Element = {
            "type": "Action.ToggleVisibility",
            "title": "Show the report",
            "targetElements": [REPORT_ID],
        }
        body += [subheading("The report"), action_set([show]), folded]
    else:
        body += [subheading("The report"), fact_set(view.facts)]
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
    # Before the decision, every recommendation with its reason, held-back ones too; after
    # it the decision says what was chosen (each fact once).
    ticked = [a for a in view.actions if a.reason]
    if not ticked or view.decision:
        return []
    title = "Recommended, each with its basis"
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
        "wrap": True,  # an action's words in full on a phone, not cut off with "..."
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
        "Ask the reporter",
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
    # One card for the job in hand, most important first, as on the web page: the decision
    # while one is needed, then the tasks, the decision and the closing, then the report.
    body = _header(view)
    # What answers this person's click goes under the headline, where a phone shows it first.
    top = len(body)
    if link:
        body.insert(top, link_block(*link))
    if note:
        body.insert(top, error_text(note))
    controls = for_approver and view.decidable
    body += _recommended(view)
    if controls:
        body += _decision_controls(view, errors)
        body.append(action_set(_decision_actions(view, errors)))
    elif view.pending:
        body.append(text(view.pending, subtle=True))
    if view.tasks:
        mine = set(task_ids)
        body.append(subheading("Tasks"))
        body += [_task_row(t, t.id in mine) for t in view.tasks]
    if view.decision:
        body += [subheading("Decision"), *lines_block(view.decision)]
    if view.closure:
        body += [subheading("Closed"), *lines_block(view.closure)]
    body += _about(view)
    actions = [view_button(b, ON_CASE) for b in view.case_buttons] if for_approver else []
    if for_approver and view.correctable:
        fix = Button("Correct an answer", ActionId.CORRECT_ANSWER, view.payload.encode())
        actions.append(view_button(fix, ON_CASE))
    return card(body, actions, approval_refresh(view, approver_ids), full_width=True)
