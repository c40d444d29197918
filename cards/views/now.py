"""A notice as its case stands now: what it asked for, said to be done and by whom."""

from __future__ import annotations

from dataclasses import replace
from datetime import tzinfo

from bot.models import Case, DecisionKind, Notice, Task, TaskStatus
from cards.ids import ActionId, TaskPayload
from cards.views.models import NoteView, when

# The buttons that act on a task: none is offered once the task is done.
TASK_BUTTONS = frozenset(
    {
        ActionId.TASK_DONE,
        ActionId.TASK_REASSIGN,
        ActionId.TASK_SNOOZE,
        ActionId.POST_STILL_UP,
        ActionId.POST_REMOVED,
        ActionId.ADVISE_GO_AHEAD,
        ActionId.ADVISE_HOLD,
    }
)


def as_now(note: NoteView, notice: str, case: Case | None, tz: tzinfo) -> NoteView:
    """The note kept in an inbox, brought up to date with the case (None: it is gone)."""
    if case is None:
        return note
    lines = list(note.lines)
    button, payload = note.button, note.payload
    decision = case.decision
    if notice == Notice.APPROVAL_CARD and decision is not None:
        verb = "Approved" if decision.kind is DecisionKind.APPROVED else "Declined"
        lines.append(
            f"Done: {verb} by {decision.by.name or decision.by.email} on {when(decision.at, tz)}."
        )
        button = "Open the case"
    if notice == Notice.INFO_QUESTION and case.info_requests and case.info_requests[-1].answer:
        answered = case.info_requests[-1].answered_at
        lines.append(f"Done: answered{f' on {when(answered, tz)}' if answered else ''}.")
        button, payload = "", None
    buttons = []
    told: set[str] = set()
    for b in note.buttons:
        task = _task_of(case, b.value) if b.action in TASK_BUTTONS else None
        if task is None or task.is_open:
            buttons.append(b)
            continue
        if task.id not in told:
            told.add(task.id)
            by = task.done_by.name or task.done_by.email if task.done_by else "someone"
            at = f" on {when(task.done_at, tz)}" if task.done_at else ""
            done = "marked done" if task.status is TaskStatus.DONE else task.status.value
            lines.append(f"Done: {done} by {by}{at}.")
    return replace(note, lines=tuple(lines), button=button, payload=payload, buttons=tuple(buttons))


def _task_of(case: Case, value: str) -> Task | None:
    try:
        return case.task(TaskPayload.decode(value).task_id)
    except ValueError:
        return None
