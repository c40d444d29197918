"""The approval card and the register: a case as its approvers and followers see it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, tzinfo

from bot.config import School
from bot.corrections import CORRECTABLE, corrected
from bot.drafts import LETTER_SOURCE, conversation_guide, platform_route
from bot.models import (
    Case,
    CaseSummary,
    DecisionKind,
    Status,
    Task,
    TaskStatus,
    TimelineEvent,
    Urgency,
)
from bot.policy import Policy
from bot.sight import Sight
from cards.ids import ActionId, CasePayload, FilePayload, TaskPayload
from cards.views.models import (
    MAKE_LETTER,
    URGENCY_LABEL,
    ApprovalCardView,
    Button,
    CaseListView,
    CaseRow,
    Fact,
    FileRow,
    TaskRow,
    file_size,
    when,
)
from cards.views.report import action_options, report_facts, urgent_banner


def approval_card(
    case: Case,
    policy: Policy,
    school: School,
    tz: tzinfo,
    now: datetime | None = None,
    sight: Sight | None = None,
) -> ApprovalCardView:
    """The case as one person may see it (sight: need to know), or as the school's leads see it
    where only they can look (the leadership channel, an approver's message): sight None."""
    whole = sight is None or sight.whole
    # A closed case is no longer urgent: its banner would tell a head to act on nothing.
    urgent = case.urgency is Urgency.URGENT and case.status is not Status.CLOSED
    decided = case.decision is not None
    chosen = case.decision.actions if case.decision else None
    status = case.status.label
    pending = ""
    if not decided:
        escalated = case.recommendation.escalated
        if whole:
            who = "the trust's escalation contacts" if escalated else "the approvers"
            pending = f"Waiting for a decision from {who}: {', '.join(school.approvers)}."
        else:
            who = (
                "the trust's escalation contacts"
                if escalated
                else f"{school.name}'s head or deputy"
            )
            pending = f"Waiting for a decision from {who}."
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
            *(finding_facts(case) if whole else ()),
            *report_facts(policy, corrected(case.answers, case.corrections), school),
            Fact(
                "Reported by",
                f"{case.reporter.name or case.reporter.email} on {when(case.created_at, tz)}",
            ),
            *correction_facts(case, tz, whole),
        ),
        categories=tuple(policy.category(c).labelled for c in case.answers.categories),
        evidence=tuple(
            f"{e.name} ({file_size(e.size)}, SHA-256 {e.short_hash})"
            for e in case.evidence
            if sight is None or sight.evidence(e)
        ),
        actions=action_options(policy, case.recommendation, chosen) if whole else (),
        info=tuple(info),
        decision=decision_lines(case, policy, tz) if whole else decision_status(case, tz),
        pending=pending,
        decidable=case.status.awaits_decision and not decided and whole,
        payload=CasePayload(case.reference, case.version),
        approvers=school.approvers if whole else (),
        tasks=tuple(
            task_row(case, t, policy, tz, now or case.created_at)
            for t in case.tasks
            if sight is None or sight.task(t)
        ),
        files=file_rows(case, sight),
        closure=closure_lines(case, tz) if whole else closure_status(case, tz),
        case_buttons=case_buttons(case) if whole else (),
        correctable=whole,
        banner=urgent_banner(case),
    )


def finding_facts(case: Case) -> tuple[Fact, ...]:
    """Why the case is high priority, or why the DSL was told, where no recommended action says
    so: the rules' reasons with whose they are (the urgent banner says why a case is urgent)."""
    found = case.recommendation.findings
    return tuple(
        Fact(label, "; ".join(f"{f.reason} ({f.cited})" for f in found if f.alert is alert))
        for label, alert in (("Why it is high priority", False), ("Why the DSL was told", True))
        if any(f.alert is alert for f in found)
    )


def correction_facts(case: Case, tz: tzinfo, whole: bool) -> tuple[Fact, ...]:
    """Each corrected answer, said to be corrected: the value above is the corrected one, the
    report as filed is kept. The leads see who corrected it and why."""
    facts = []
    for c in case.corrections:
        label = CORRECTABLE[c.field][0]
        if whole:
            by = c.by.name or c.by.email
            text = f"{label}: by {by} on {when(c.at, tz)}, was “{c.before}”. Reason: {c.reason}"
        else:
            text = f"{label}: corrected on {when(c.at, tz)}"
        facts.append(Fact("Corrected", text))
    return tuple(facts)


def notification_text(case: Case) -> str:
    if case.decision is not None:
        return f"Report {case.reference}: decision made"
    if case.status is Status.MORE_INFO_REQUESTED:
        return f"Report {case.reference}: more information requested"
    return f"New report {case.reference} needs your decision"


def decision_lines(case: Case, policy: Policy, tz: tzinfo) -> tuple[str, ...]:
    d = case.decision
    if d is None:
        return ()
    by = d.by.name or d.by.email
    if d.kind is DecisionKind.DECLINED:
        return (f"Declined by {by} on {when(d.at, tz)}.", f"Reason: {d.reason}")
    lines = [f"Approved by {by} on {when(d.at, tz)}:"]
    for a in d.actions:
        o = policy.action(a)
        lines.append(
            f"• {o.clause} {o.label}" + (f": {d.other_action}" if a == "other_action" else "")
        )
    return tuple(lines)


def decision_status(case: Case, tz: tzinfo) -> tuple[str, ...]:
    """The decision without its actions or reasons: for those who need only to know it is made."""
    d = case.decision
    if d is None:
        return ()
    if d.kind is DecisionKind.DECLINED:
        return (f"The school decided not to take action ({when(d.at, tz)}).",)
    return (f"The school approved action on {when(d.at, tz)}.",)


def closure_status(case: Case, tz: tzinfo) -> tuple[str, ...]:
    """How the case ended, without the closing note (it stays with the leads)."""
    c = case.closure
    return () if c is None else (f"Closed on {when(c.at, tz)}: {c.outcome.label}.",)


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
        result = f"{result}: {task.done_by.name or task.done_by.email}, {when(task.done_at, tz)}"
    return TaskRow(
        id=task.id,
        title=action.labelled,
        owner=task.owner.name or task.owner.email,
        due=f"{when(task.due_at, tz)} (the trust's deadline)",
        status=status[task.status],
        overdue=task.overdue(now),
        result=result,
        help=help_lines,
        buttons=buttons,
    )


def file_rows(case: Case, sight: Sight | None = None) -> tuple[FileRow, ...]:
    """The files' Open buttons, for the files this person may open (all, where sight is None)."""
    rows = [
        FileRow(
            f"{e.name} ({file_size(e.size)}, SHA-256 {e.short_hash})",
            Button(
                "Open",
                ActionId.OPEN_FILE,
                FilePayload(case.reference, "evidence", e.sha256).encode(),
            ),
        )
        for e in case.evidence
        if e.source != LETTER_SOURCE and (sight is None or sight.evidence(e))
    ]
    see_letter = sight is None or sight.letter
    if case.decision and "warning_letter" in case.decision.actions and see_letter:
        letter = next((e for e in case.evidence if e.source == LETTER_SOURCE), None)
        label = (
            f"Warning letter (5.1.1), Word document ({file_size(letter.size)}, "
            f"SHA-256 {letter.short_hash})"
            if letter
            else "Warning letter (5.1.1): not made yet; made once, then kept as it is"
        )
        payload = FilePayload(case.reference, "letter", "warning-letter").encode()
        button = (
            Button("Open", ActionId.OPEN_FILE, payload)
            if letter
            else Button(MAKE_LETTER, ActionId.MAKE_LETTER, payload)
        )
        rows.append(FileRow(label, button))
    return tuple(rows)


def timeline_rows(events: Sequence[TimelineEvent], tz: tzinfo) -> tuple[Fact, ...]:
    """Who did what, when, for the school's leads: the reason given with a reopening or a
    decline included, since the page has no other place for it."""
    rows = []
    for e in events:
        reason = (e.after or {}).get("reason")
        text = f"{e.summary}. Reason: {reason}" if isinstance(reason, str) and reason else e.summary
        rows.append(Fact(when(e.at, tz), text))
    return tuple(rows)


def closure_lines(case: Case, tz: tzinfo) -> tuple[str, ...]:
    c = case.closure
    if c is None:
        return ()
    return (
        f"Closed by {c.by.name or c.by.email} on {when(c.at, tz)}: {c.outcome.label}.",
        f"Note: {c.note}",
    )


def case_buttons(case: Case) -> tuple[Button, ...]:
    value = CasePayload(case.reference, case.version).encode()
    if case.status is Status.CLOSED:
        return (Button("Reopen", ActionId.REOPEN_CASE, value),)
    if case.status.follows_through:
        return (Button("Close case", ActionId.CLOSE_CASE, value),)
    return ()


def case_list(
    rows: Sequence[CaseSummary],
    schools: Mapping[str, str],
    now: datetime,
    reach_note: str = "",
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
        reach_note=reach_note,
    )


def read_only(view: ApprovalCardView) -> ApprovalCardView:
    """The card to look at, without its controls (a case opened from the register): deciding,
    tasks and files are done on the card where it lives."""
    return replace(
        view,
        decidable=False,
        case_buttons=(),
        correctable=False,
        evidence=tuple(f.label for f in view.files) or view.evidence,  # listed, no buttons
        files=(),
        tasks=tuple(replace(t, buttons=()) for t in view.tasks),
    )
