"""Short notes about a case: reminders, task and decision notices, questions, alerts."""

from __future__ import annotations

from datetime import tzinfo

from bot.config import School
from bot.models import Case, DecisionKind, ReminderKind, Task
from bot.policy import Policy
from cards.ids import ActionId, CasePayload, FilePayload, TaskPayload
from cards.views.case import decision_lines
from cards.views.models import Button, NoteView, when


def reminder(case: Case, task: Task, kind: ReminderKind, policy: Policy, tz: tzinfo) -> NoteView:
    """To a task's owner: overdue (mark done, snooze), or is the post still up?"""
    payload = TaskPayload(case.reference, task.id).encode()
    title = policy.action(task.action_id).labelled
    if kind is ReminderKind.POST_CHECK:
        return NoteView(
            case.reference,
            f"Is the post still up? ({case.reference})",
            (
                f"Two working days ago you completed: {title}.",
                "Please check the post and say whether it is still there.",
            ),
            f"Report {case.reference}: is the post still up?",
            buttons=(
                Button("It has been removed", ActionId.POST_REMOVED, payload, primary=True),
                Button("It is still up", ActionId.POST_STILL_UP, payload),
            ),
        )
    return NoteView(
        case.reference,
        f"Overdue task on {case.reference}",
        (f"{title}", f"It was due {when(task.due_at, tz)}."),
        f"Report {case.reference}: a task is overdue",
        buttons=(
            Button("Mark done", ActionId.TASK_DONE, payload, primary=True),
            Button("Snooze until tomorrow", ActionId.TASK_SNOOZE, payload),
        ),
    )


def task_assigned(case: Case, task: Task, policy: Policy, tz: tzinfo) -> NoteView:
    return NoteView(
        case.reference,
        f"A task on {case.reference} is now yours",
        (policy.action(task.action_id).labelled, f"Due {when(task.due_at, tz)}."),
        f"Report {case.reference}: a task was assigned to you",
        buttons=(
            Button(
                "Mark done",
                ActionId.TASK_DONE,
                TaskPayload(case.reference, task.id).encode(),
                primary=True,
            ),
        ),
    )


def case_closed(case: Case, tz: tzinfo) -> NoteView:
    """To the reporter: how the case ended (the closing note stays with the leads)."""
    c = case.closure
    assert c is not None
    return NoteView(
        case.reference,
        f"{case.reference} is closed",
        (
            f"The case you reported is closed: {c.outcome.label.lower()}.",
            "Thank you for reporting it.",
        ),
        f"Update on your report {case.reference}",
    )


def letter_note(case: Case) -> NoteView:
    return NoteView(
        case.reference,
        f"Draft warning letter for {case.reference} (5.1.1)",
        ("Check it, sign it and send it; then mark the task done with the date it was sent.",),
        f"Report {case.reference}: draft letter ready",
        buttons=(
            Button(
                "Open the letter",
                ActionId.OPEN_FILE,
                FilePayload(case.reference, "letter", "warning-letter").encode(),
                primary=True,
            ),
        ),
    )


def file_link(name: str, url: str) -> NoteView:
    """The private answer to an Open button: a link that works for five minutes."""
    return NoteView(
        "", f"Open {name}", (f"{url}", "This link works for 5 minutes."), f"Open {name}"
    )


def decision_note(case: Case, policy: Policy, tz: tzinfo) -> NoteView:
    return NoteView(
        case.reference,
        f"Decision on {case.reference}",
        decision_lines(case, policy, tz),
        f"Report {case.reference}: decision made",
    )


def reporter_update(case: Case, policy: Policy, tz: tzinfo) -> NoteView:
    d = case.decision
    assert d is not None
    if d.kind is DecisionKind.DECLINED:
        lines = (
            f"The head looked at your report {case.reference} and decided not to take action.",
            f"Reason: {d.reason}",
        )
    else:
        lines = (
            f"The head approved action on your report {case.reference}:",
            *[f"• {policy.action(a).clause} {policy.action(a).label}" for a in d.actions],
            "Thank you for reporting it.",
        )
    return NoteView(
        case.reference,
        f"Update on {case.reference}",
        lines,
        f"Update on your report {case.reference}",
    )


def info_question(case: Case) -> NoteView:
    r = case.info_requests[-1]
    return NoteView(
        case.reference,
        f"A question about your report {case.reference}",
        (f"{r.asked_by.name or r.asked_by.email} asks:", r.question),
        f"A question about your report {case.reference}",
        button="Answer",
        payload=CasePayload(case.reference, case.version),
    )


def info_note(case: Case) -> NoteView:
    """For the card's thread: the last question and, once given, its answer."""
    r = case.info_requests[-1]
    lines = [f"Question from {r.asked_by.name or r.asked_by.email}: {r.question}"]
    if r.answer:
        lines.append(f"The reporter answered: {r.answer}")
    return NoteView(
        case.reference,
        f"More information on {case.reference}",
        tuple(lines),
        f"Report {case.reference}: more information",
    )


def safeguarding_alert(case: Case, school: School) -> NoteView:
    return NoteView(
        case.reference,
        f"URGENT report {case.reference} at {school.name}",
        (
            (
                f"An urgent report ({case.reference}) was filed at {school.name}: the policy "
                "recommends contacting the police, or a child may be at risk."
            ),
            f"The approvers have the decision card: {', '.join(school.approvers)}.",
        ),
        f"Urgent report {case.reference} at {school.name}",
    )
