"""Short notes about a case: reminders, task and decision notices, questions, alerts."""

from __future__ import annotations

from datetime import date, tzinfo

from bot.config import School
from bot.drafts import LETTER_SOURCE
from bot.models import Case, DecisionKind, ReminderKind, Task, Urgency
from bot.policy import Policy
from cards.ids import ActionId, CasePayload, FilePayload, TaskPayload
from cards.views.case import decision_lines
from cards.views.models import LETTER_ONCE, MAKE_LETTER, Button, NoteView, when


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


ADVICE_ASKED = (
    "Record your advice on talking to the parent: the conversation is held back until you have "
    "advised (the trust's safeguarding practice, Keeping Children Safe in Education Part 4)."
)


def task_assigned(case: Case, task: Task, policy: Policy, tz: tzinfo) -> NoteView:
    payload = TaskPayload(case.reference, task.id).encode()
    lines: tuple[str, ...] = (
        policy.action(task.action_id).labelled,
        f"Due {when(task.due_at, tz)}.",
    )
    advice: tuple[Button, ...] = ()
    if policy.action(task.action_id).referral == "lado" and any(
        a.held_back for a in case.recommendation.actions
    ):
        lines = (*lines, ADVICE_ASKED)
        advice = (
            Button("The conversation may go ahead", ActionId.ADVISE_GO_AHEAD, payload),
            Button("Hold it: the LADO/police are involved", ActionId.ADVISE_HOLD, payload),
        )
    return NoteView(
        case.reference,
        f"A task on {case.reference} is now yours",
        lines,
        f"Report {case.reference}: a task was assigned to you",
        buttons=(Button("Mark done", ActionId.TASK_DONE, payload, primary=True), *advice),
    )


def case_closed(case: Case, tz: tzinfo) -> NoteView:
    """To the reporter: how the case ended (the closing note stays with the leads)."""
    c = case.closure
    if c is None:
        raise ValueError(f"{case.reference} is not closed")
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
    made = any(e.source == LETTER_SOURCE for e in case.evidence)
    return NoteView(
        case.reference,
        f"Warning letter for {case.reference} (5.1.1)",
        (
            LETTER_ONCE,
            "Check it, sign it and send it; then mark the task done with the date it was sent.",
        ),
        f"Report {case.reference}: warning letter to make",
        buttons=(
            Button(
                "Open the letter" if made else MAKE_LETTER,
                ActionId.OPEN_FILE if made else ActionId.MAKE_LETTER,
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
    """To the reporter: the decision is made. Its reasons and the tasks it sets stay with the
    school's leads (need to know: bot/sight.py)."""
    d = case.decision
    if d is None:
        raise ValueError(f"{case.reference} has no decision")
    lines: tuple[str, ...]
    if d.kind is DecisionKind.DECLINED:
        lines = (
            f"The head looked at your report {case.reference} and decided not to take action.",
            "Thank you for reporting it.",
        )
    else:
        lines = (
            f"The head approved action on your report {case.reference}.",
            "The school's leads will follow it up; you will be told when the case is closed.",
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
    """To the safeguarding leads at filing: why they are told, and what is theirs to do."""
    rec = case.recommendation
    why = "; ".join(rec.urgent_because) or "the report concerns a child's safety"
    lines = [f"A report ({case.reference}) was filed at {school.name}: {why}."]
    lines += [f"For you: {r.reason}." for r in rec.referrals]
    lines += [f"For you: {f.reason} ({f.cited})." for f in rec.findings if f.alert]
    lines += [
        f"{r.reason} ({r.cited})."
        for r in rec.actions
        if not r.preselected and r.reason.startswith("Held back")
    ]
    deciders = "The trust's escalation contacts" if rec.escalated else "The approvers"
    lines.append(f"{deciders} have the decision card: {', '.join(school.approvers)}.")
    urgent = case.urgency is Urgency.URGENT
    label = "URGENT report" if urgent else "Safeguarding: report"
    return NoteView(
        case.reference,
        f"{label} {case.reference} at {school.name}",
        tuple(lines),
        f"{label} {case.reference} at {school.name}",
    )


def retention_due(case: Case, detail: str, years: int) -> NoteView:
    """To the approvers: an open case nobody has touched for longer than the trust keeps cases.

    detail is the outbox message's: the removal day, then the day of the last activity."""
    purge_text, _, last_text = detail.partition(" ")
    purge_on, last_activity = date.fromisoformat(purge_text), date.fromisoformat(last_text)
    return NoteView(
        case.reference,
        f"{case.reference} is past the trust's retention period",
        (
            (
                f"Nothing has happened on this case since {last_activity:%-d %B %Y}, "
                f"and the trust keeps cases for {years} year{'s' if years != 1 else ''}."
            ),
            f"It will be removed on {purge_on:%-d %B %Y} unless someone acts on it before then.",
        ),
        f"Report {case.reference} is due to be removed",
    )


REMOVED_WHY = {
    "retention": "under the trust's retention policy",
    "erasure": "at the trust's data protection request (erasure)",
}


def case_removed(reference: str, basis: str) -> NoteView:
    """What replaces every card of a purged case: its reference and why, nothing else."""
    why = REMOVED_WHY.get(basis, REMOVED_WHY["retention"])
    return NoteView(
        reference,
        f"{reference} was removed",
        (f"This case was removed {why}.",),
        f"Report {reference} was removed",
    )
