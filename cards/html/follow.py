"""Follow-through on the case page: tasks with Mark done and Reassign, close and reopen."""

from __future__ import annotations

from markupsafe import Markup

from cards.html.base import bullet_list, fact_list, form, heading, join, submit, tag
from cards.html.controls import CaseControls, errors_for, kept, kept_all, reason_form
from cards.html.inputs import choice_group, select_box, text_box
from cards.ids import ActionId, InputId
from cards.views import OUTCOME_CHOICES, ApprovalCardView, Button, Fact, TaskRow


def task_item(row: TaskRow, controls: CaseControls) -> Markup:
    status = f"{row.status}{' (overdue)' if row.overdue and row.status == 'Open' else ''}"
    parts = [
        heading(3, row.title),
        fact_list(
            [
                Fact("Owner", row.owner),
                Fact("Due", row.due),
                Fact("Status", status),
                *([Fact("Result", row.result)] if row.result else []),
            ]
        ),
    ]
    if row.help:
        parts.append(bullet_list(row.help, "help"))
    if row.id in controls.task_ids:
        buttons = [task_button(row, b, controls) for b in row.buttons]
        parts.append(tag("div", {"class": "buttons task-buttons"}, join(buttons)))
    cls = "task overdue" if row.overdue and row.status == "Open" else "task"
    return tag("li", {"class": cls, "id": f"task-{row.id}"}, join(parts))


def task_button(row: TaskRow, button: Button, controls: CaseControls) -> Markup:
    if button.action is ActionId.TASK_DONE:
        return task_done_form(row, button, controls)
    if button.action is ActionId.TASK_REASSIGN:
        return reassign_form(row, button, controls)
    return form(controls.act, submit(button.label, button.action, button.value, button.primary))


def task_done_form(row: TaskRow, button: Button, controls: CaseControls) -> Markup:
    key = f"{button.action.value}:{row.id}"
    errors = errors_for(controls, key)
    result = text_box(
        f"{InputId.TASK_RESULT.value}-{row.id}",
        "What was done?",
        kept(controls, key, InputId.TASK_RESULT.value),
        error=errors.get("result"),
        multiline=True,
        required=True,
        max_length=2000,
        name=InputId.TASK_RESULT.value,
    )
    reference = text_box(
        f"{InputId.TASK_REFERENCE.value}-{row.id}",
        "Reference, such as a police incident number",
        kept(controls, key, InputId.TASK_REFERENCE.value),
        max_length=200,
        name=InputId.TASK_REFERENCE.value,
    )
    body = form(
        controls.act,
        result,
        reference,
        tag("div", {"class": "buttons"}, submit(button.label, button.action, button.value, True)),
    )
    return tag("details", {"open": bool(errors)}, tag("summary", {}, button.label), body)


def reassign_form(row: TaskRow, button: Button, controls: CaseControls) -> Markup:
    key = f"{button.action.value}:{row.id}"
    errors = errors_for(controls, key)
    picker = select_box(
        f"{InputId.TASK_OWNER.value}-{row.id}",
        "Give the task to",
        controls.owners,
        "",
        error=errors.get("owner"),
        required=True,
        name=InputId.TASK_OWNER.value,
    )
    body = form(
        controls.act,
        picker,
        tag("div", {"class": "buttons"}, submit(button.label, button.action, button.value)),
    )
    return tag("details", {"open": bool(errors)}, tag("summary", {}, button.label), body)


def tasks_section(view: ApprovalCardView, controls: CaseControls) -> Markup:
    if not view.tasks:
        return Markup("")
    items = [task_item(t, controls) for t in view.tasks]
    return tag("section", {}, heading(2, "Tasks"), tag("ol", {"class": "tasks"}, join(items)))


def case_button_forms(view: ApprovalCardView, controls: CaseControls) -> Markup:
    parts = []
    for b in view.case_buttons:
        if b.action is ActionId.CLOSE_CASE:
            parts.append(close_form(b, controls))
        elif b.action is ActionId.REOPEN_CASE:
            parts.append(
                reason_form(
                    controls,
                    b.label,
                    b.action,
                    b.value,
                    (InputId.REOPEN_REASON.value, "reason", "Why is the case reopened?"),
                    "Reopen the case",
                )
            )
    return join(parts)


def close_form(button: Button, controls: CaseControls) -> Markup:
    errors = errors_for(controls, button.action)
    outcome = choice_group(
        InputId.CLOSE_OUTCOME.value,
        "How did the case end?",
        OUTCOME_CHOICES,
        kept_all(controls, button.action, InputId.CLOSE_OUTCOME.value) or [],
        multiple=False,
        error=errors.get("outcome"),
        required=True,
    )
    note = text_box(
        InputId.CLOSE_NOTE.value,
        "Closing note for the record",
        kept(controls, button.action, InputId.CLOSE_NOTE.value),
        error=errors.get("note"),
        multiline=True,
        required=True,
        max_length=2000,
    )
    body = form(
        controls.act,
        outcome,
        note,
        tag("div", {"class": "buttons"}, submit("Close the case", button.action, button.value)),
    )
    return tag("details", {"open": bool(errors)}, tag("summary", {}, button.label), body)
