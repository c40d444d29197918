"""Follow-through forms on Teams: each a card that replaces the clicked one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cards.ids import InputId, ViewId
from cards.teams.base import (
    BACK,
    CASE,
    FILE,
    ON_CASE,
    REFRESH,
    TASK,
    Card,
    Element,
    card,
    error_text,
    execute,
    heading,
    text,
)
from cards.views import (
    DATE_REFERENCES,
    LETTER_ONCE,
    MAKE_LETTER,
    OUTCOME_CHOICES,
    REFERENCE_LABELS,
    REMOVE_BY_HINT,
    REMOVE_BY_LABEL,
)

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


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


def letter_form(
    reference: str,
    file_payload: str,
    case_payload: str,
    back: str,
    value: str = "",
    error: str | None = None,
) -> Card:
    """5.1.1: make the letter, with a remove-by date only if the head wants one."""
    label = f"{REMOVE_BY_LABEL} (optional)"
    field: Element = {"type": "Input.Date", "id": InputId.REMOVE_BY.value, "label": label}
    if value:
        field["value"] = value
    body: list[Element] = [
        heading(f"The warning letter for {reference} (5.1.1)"),
        text(LETTER_ONCE, subtle=True),
        *_with_error(field, error),
        text(REMOVE_BY_HINT, subtle=True),
    ]
    actions = _form_actions(MAKE_LETTER, ViewId.LETTER, {FILE: file_payload}, back, case_payload)
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


def correct_form(
    reference: str,
    case_payload: str,
    fields: list[tuple[str, str]],
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
) -> Card:
    """Correct an answer: which one, the corrected value, and why (the filed report is kept)."""
    values, errors = values or {}, errors or {}
    body: list[Element] = [
        heading(f"Correct an answer of {reference}"),
        text(
            "The report as filed is kept; the case shows the corrected answer, and the "
            "correction goes on its record with your reason.",
            subtle=True,
        ),
    ]
    which: Element = {
        "type": "Input.ChoiceSet",
        "id": InputId.CORRECT_FIELD.value,
        "label": "Which answer",
        "isRequired": True,
        "errorMessage": "Choose the answer to correct.",
        "choices": [{"title": label, "value": value} for value, label in fields],
    }
    if values.get(InputId.CORRECT_FIELD):
        which["value"] = str(values[InputId.CORRECT_FIELD])
    body += _with_error(which, errors.get("field"))
    value = _box(
        InputId.CORRECT_VALUE,
        "The corrected answer",
        required=False,
        multiline=True,
        max_length=3000,
        value=str(values.get(InputId.CORRECT_VALUE) or ""),
    )
    body += _with_error(value, errors.get("value"))
    reason = _box(
        InputId.CORRECT_REASON,
        "Why it is corrected",
        multiline=True,
        value=str(values.get(InputId.CORRECT_REASON) or ""),
    )
    body += _with_error(reason, errors.get("reason"))
    actions = [
        execute("Correct the answer", ViewId.CORRECT, {CASE: case_payload}, "positive"),
        _cancel(case_payload),
    ]
    return card(body, actions)
