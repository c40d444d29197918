"""One view model per screen, built from the core's records by pure functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from bot.config import School
from bot.drafts import conversation_guide, platform_route
from bot.forms import Section
from bot.models import (
    Case,
    CaseOutcome,
    CaseSummary,
    DecisionKind,
    Recommendation,
    ReminderKind,
    Status,
    Task,
    TaskStatus,
    Urgency,
)
from bot.policy import Policy
from cards.ids import ActionId, CasePayload, FilePayload, TaskPayload

URGENCY_LABEL = {
    Urgency.URGENT: "URGENT",
    Urgency.HIGH: "High priority",
    Urgency.STANDARD: "Standard",
}


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class ActionOption:
    id: str
    clause: str
    label: str
    reason: str
    ticked: bool

    @property
    def text(self) -> str:
        return f"{self.clause} {self.label}"


@dataclass(frozen=True)
class FormView:
    """A step of the report form: its section, prefilled values and errors by field id."""

    title: str
    step: int
    steps: int
    sections: tuple[Section, ...]
    values: Mapping[str, Any]
    errors: Mapping[str, str]
    intro: str
    submit_label: str


@dataclass(frozen=True)
class SummaryView:
    """The last step: what will be filed and what the policy recommends."""

    title: str
    facts: tuple[Fact, ...]
    urgency: str
    urgent: bool
    actions: tuple[ActionOption, ...]
    note: str
    submit_label: str = "Submit report"


@dataclass(frozen=True)
class ReceiptView:
    reference: str
    headline: str
    urgent: bool
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Button:
    """A button on a note or a task: its label, what it does and the payload it carries."""

    label: str
    action: ActionId
    value: str
    primary: bool = False


@dataclass(frozen=True)
class TaskRow:
    id: str
    title: str  # "5.1.3 Contact the police"
    owner: str
    due: str
    status: str
    overdue: bool
    result: str
    help: tuple[str, ...]  # the conversation guide, the platform's reporting route
    buttons: tuple[Button, ...]


@dataclass(frozen=True)
class FileRow:
    label: str
    button: Button


@dataclass(frozen=True)
class ApprovalCardView:
    reference: str
    headline: str
    notification: str  # content-free: what phones show
    urgent: bool
    urgency: str
    status: str
    school: str
    facts: tuple[Fact, ...]
    categories: tuple[str, ...]
    evidence: tuple[str, ...]
    actions: tuple[ActionOption, ...]
    info: tuple[Fact, ...]
    decision: tuple[str, ...]
    pending: str
    decidable: bool
    payload: CasePayload
    approvers: tuple[str, ...]
    tasks: tuple[TaskRow, ...] = ()
    files: tuple[FileRow, ...] = ()
    closure: tuple[str, ...] = ()
    case_buttons: tuple[Button, ...] = ()  # close, reopen: for the school's approvers


@dataclass(frozen=True)
class NoteView:
    """A short message about a case: a thread note, a notice to the reporter, an alert."""

    reference: str
    headline: str
    lines: tuple[str, ...]
    notification: str
    button: str = ""  # label of the one button it offers, if any
    payload: CasePayload | None = None
    buttons: tuple[Button, ...] = ()  # several buttons (reminders, file links)


@dataclass(frozen=True)
class CaseRow:
    reference: str
    school: str
    status: str
    urgency: str
    age: str
    overdue: int = 0


@dataclass(frozen=True)
class CaseListView:
    title: str
    rows: tuple[CaseRow, ...]
    empty: str


def _when(at: datetime, tz: tzinfo) -> str:
    return f"{at.astimezone(tz):%d %b %Y, %H:%M}"


def _labels(policy: Policy, group: str, ids: Sequence[str], clause: bool = False) -> str:
    out = []
    for i in ids:
        o = policy.option(group, i)
        out.append(o.labelled if clause else o.label)
    return ", ".join(out)


def report_facts(policy: Policy, case_answers: Any, school: School | None) -> tuple[Fact, ...]:
    """The answers as label/value pairs, in the form's order; empty answers left out."""
    a = case_answers
    author = policy.option("relationships", a.author_relationship).label
    if a.author_name:
        author = f"{author}: {a.author_name}"
    categories = _labels(policy, "categories", a.categories, clause=True)
    if a.other_category:
        categories += f" ({a.other_category})"
    rows = [
        ("School", school.name if school else a.school_id),
        ("Where", policy.option("platforms", a.platform).label),
        ("Link", a.link),
        ("Seen on", f"{a.seen_on:%d %b %Y}"),
        ("What it says", a.post_text),
        ("Posted by", author),
        ("About", _labels(policy, "subjects", a.about)),
        ("Inappropriate because", categories),
        ("Also", _labels(policy, "facts", a.facts)),
        ("So far", policy.option("histories", a.history).label),
        (
            "Investigation",
            "A school investigation or enquiry is under way" if a.investigation_under_way else "",
        ),
        ("Child's account or age (4.3)", a.child_note),
    ]
    return tuple(Fact(k, v) for k, v in rows if v)


def action_options(
    policy: Policy, recommendation: Recommendation, chosen: Sequence[str] | None = None
) -> tuple[ActionOption, ...]:
    """Every action of 5.1, the recommended ones ticked with their reason (or the chosen ones)."""
    reasons = {a.action_id: a.reason for a in recommendation.actions}
    ticked = set(chosen) if chosen is not None else set(reasons)
    return tuple(
        ActionOption(o.id, o.clause, o.label, reasons.get(o.id, ""), o.id in ticked)
        for o in policy.actions
    )


def form_view(
    sections: Sequence[Section],
    step: int,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
) -> FormView:
    last = step == len(sections) - 1
    return FormView(
        title="Report a post",
        step=step,
        steps=len(sections) + 1,
        sections=(sections[step],),
        values=values,
        errors=errors,
        intro=f"Step {step + 1} of {len(sections) + 1}: {sections[step].title}",
        submit_label="Review" if last else "Next",
    )


def summary_view(
    policy: Policy, answers: Any, school: School | None, recommendation: Recommendation
) -> SummaryView:
    urgent = recommendation.urgency is Urgency.URGENT
    return SummaryView(
        title="Check and submit",
        facts=report_facts(policy, answers, school),
        urgency=URGENCY_LABEL[recommendation.urgency],
        urgent=urgent,
        actions=tuple(a for a in action_options(policy, recommendation) if a.ticked),
        note=(
            "The head decides what happens; these are the policy's recommendations. "
            "Nothing is saved until you submit."
        ),
    )


def receipt_view(case: Case, policy: Policy, school: School) -> ReceiptView:
    urgent = case.urgency is Urgency.URGENT
    lines = [
        (
            f"Your report is filed as {case.reference}. {school.name}'s head or deputy will decide "
            "what to do, and you will be told here."
        ),
        "Please don't reply to the post or contact the parent about it yourself.",
        f"Other channels for the parent (clause {policy.channels_clause}): {policy.channels_text}",
    ]
    if urgent:
        lines.insert(0, "If anyone is in immediate danger, call 999 now.")
        lines.insert(1, "This case is urgent: the safeguarding leads have been told too.")
    return ReceiptView(case.reference, f"Report {case.reference} received", urgent, tuple(lines))


def decision_lines(case: Case, policy: Policy, tz: tzinfo) -> tuple[str, ...]:
    d = case.decision
    if d is None:
        return ()
    by = d.by.name or d.by.email
    if d.kind is DecisionKind.DECLINED:
        return (f"Declined by {by} on {_when(d.at, tz)}.", f"Reason: {d.reason}")
    lines = [f"Approved by {by} on {_when(d.at, tz)}:"]
    for a in d.actions:
        o = policy.action(a)
        lines.append(
            f"• {o.clause} {o.label}" + (f": {d.other_action}" if a == "other_action" else "")
        )
    return tuple(lines)


def approval_card(
    case: Case, policy: Policy, school: School, tz: tzinfo, now: datetime | None = None
) -> ApprovalCardView:
    urgent = case.urgency is Urgency.URGENT
    decided = case.decision is not None
    chosen = case.decision.actions if case.decision else None
    status = case.status.label
    pending = "" if decided else f"Waiting for a decision from {', '.join(school.approvers)}."
    info = []
    for r in case.info_requests:
        info.append(Fact(f"Question from {r.asked_by.name or r.asked_by.email}", r.question))
        info.append(Fact("Answer", r.answer or "(not answered yet)"))
    return ApprovalCardView(
        reference=case.reference,
        headline=f"{'URGENT: ' if urgent else ''}Report {case.reference}: {school.name}",
        notification=notification_text(case),
        urgent=urgent,
        urgency=URGENCY_LABEL[case.urgency],
        status=status,
        school=school.name,
        facts=(
            *report_facts(policy, case.answers, school),
            Fact(
                "Reported by",
                f"{case.reporter.name or case.reporter.email} on {_when(case.created_at, tz)}",
            ),
        ),
        categories=tuple(policy.category(c).labelled for c in case.answers.categories),
        evidence=tuple(
            f"{e.name} ({_size(e.size)}, SHA-256 {e.short_hash})" for e in case.evidence
        ),
        actions=action_options(policy, case.recommendation, chosen),
        info=tuple(info),
        decision=decision_lines(case, policy, tz),
        pending=pending,
        decidable=case.status.awaits_decision and not decided,
        payload=CasePayload(case.reference, case.version),
        approvers=school.approvers,
        tasks=tuple(task_row(case, t, policy, tz, now or case.created_at) for t in case.tasks),
        files=file_rows(case),
        closure=closure_lines(case, tz),
        case_buttons=case_buttons(case),
    )


def task_row(case: Case, task: Task, policy: Policy, tz: tzinfo, now: datetime) -> TaskRow:
    action = policy.action(task.action_id)
    payload = TaskPayload(case.reference, task.id).encode()
    help_lines: tuple[str, ...] = ()
    if task.action_id == "discuss":
        help_lines = conversation_guide(policy)
    elif task.action_id == "report_to_platform":
        route = platform_route(policy, case.answers.platform)
        help_lines = (f"Report it to {route.platform}: {route.url}",)
    buttons = (
        (
            Button("Mark done", ActionId.TASK_DONE, payload, primary=True),
            Button("Reassign", ActionId.TASK_REASSIGN, payload),
        )
        if task.is_open
        else ()
    )
    status = {TaskStatus.OPEN: "Open", TaskStatus.DONE: "Done", TaskStatus.CANCELLED: "Cancelled"}
    result = task.result + (f" (ref {task.result_reference})" if task.result_reference else "")
    if task.done_by and task.done_at:
        result = f"{result}: {task.done_by.name or task.done_by.email}, {_when(task.done_at, tz)}"
    return TaskRow(
        id=task.id,
        title=action.labelled,
        owner=task.owner.name or task.owner.email,
        due=_when(task.due_at, tz),
        status=status[task.status],
        overdue=task.overdue(now),
        result=result,
        help=help_lines,
        buttons=buttons,
    )


def file_rows(case: Case) -> tuple[FileRow, ...]:
    rows = [
        FileRow(
            f"{e.name} ({_size(e.size)}, SHA-256 {e.short_hash})",
            Button(
                "Open",
                ActionId.OPEN_FILE,
                FilePayload(case.reference, "evidence", e.sha256).encode(),
            ),
        )
        for e in case.evidence
    ]
    if case.decision and "warning_letter" in case.decision.actions:
        rows.append(
            FileRow(
                "Draft warning letter (5.1.1), Word document",
                Button(
                    "Open",
                    ActionId.OPEN_FILE,
                    FilePayload(case.reference, "letter", "warning-letter").encode(),
                ),
            )
        )
    return tuple(rows)


def closure_lines(case: Case, tz: tzinfo) -> tuple[str, ...]:
    c = case.closure
    if c is None:
        return ()
    return (
        f"Closed by {c.by.name or c.by.email} on {_when(c.at, tz)}: {c.outcome.label}.",
        f"Note: {c.note}",
    )


def case_buttons(case: Case) -> tuple[Button, ...]:
    value = CasePayload(case.reference, case.version).encode()
    if case.status is Status.CLOSED:
        return (Button("Reopen", ActionId.REOPEN_CASE, value),)
    if case.status.follows_through:
        return (Button("Close case", ActionId.CLOSE_CASE, value),)
    return ()


OUTCOME_CHOICES = tuple((o.value, o.label) for o in CaseOutcome)

# What "Mark done" asks for besides the outcome, by action: the reference that proves it was done.
REFERENCE_LABELS = {
    "police": "Police incident number",
    "warning_letter": "Date the letter was sent",
    "report_to_platform": "The platform's report reference, if it gave one",
    "legal_advice": "Adviser's reference, if any",
    "other_legal_action": "Reference, if any",
}
DATE_REFERENCES = frozenset({"warning_letter"})


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
        (f"{title}", f"It was due {_when(task.due_at, tz)}."),
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
        (policy.action(task.action_id).labelled, f"Due {_when(task.due_at, tz)}."),
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


def notification_text(case: Case) -> str:
    if case.decision is not None:
        return f"Report {case.reference}: decision made"
    if case.status is Status.MORE_INFO_REQUESTED:
        return f"Report {case.reference}: more information requested"
    return f"New report {case.reference} needs your decision"


def _size(n: int) -> str:
    return f"{n / 1048576:.1f} MB" if n >= 1048576 else f"{max(1, round(n / 1024))} KB"


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


def case_list(
    rows: Sequence[CaseSummary], schools: Mapping[str, str], now: datetime
) -> CaseListView:
    """The register: open cases, and those closed in the last 30 days, with overdue tasks."""

    def age(created: datetime) -> str:
        days = (now - created).days
        return "today" if days < 1 else f"{days} day{'s' if days > 1 else ''}"

    return CaseListView(
        title="Cases you can see: open, and closed in the last 30 days",
        rows=tuple(
            CaseRow(
                r.reference,
                schools.get(r.school_id, r.school_id),
                r.status.label,
                URGENCY_LABEL[r.urgency],
                age(r.created_at),
                r.overdue(now),
            )
            for r in rows
            if r.status.is_open or (r.closed_at and (now - r.closed_at).days <= 30)
        ),
        empty="No open cases.",
    )
