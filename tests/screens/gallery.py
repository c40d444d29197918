"""Every Teams card the bot sends or returns, built from real cases: the ordinary and the long."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.corrections import CORRECTABLE
from bot.forms import report_form
from bot.models import Actor, Case, ReminderKind
from bot.policy import Policy, evaluate
from bot.service import CaseService
from cards import teams
from cards.views import (
    FormView,
    approval_card,
    case_closed,
    case_list,
    case_removed,
    decision_note,
    file_link,
    info_note,
    info_question,
    letter_note,
    receipt_view,
    reminder,
    reporter_update,
    retention_due,
    safeguarding_alert,
    summary_view,
    task_assigned,
)
from tests.conftest import HEAD, REPORTER
from tests.samples import answers_values, png

# The card renderers of cards.teams: the gallery must draw each (a new one cannot slip past).
CARD_FUNCTIONS = (
    "approval_card",
    "case_list_card",
    "close_form",
    "correct_form",
    "form_card",
    "letter_form",
    "link_card",
    "message_card",
    "note_card",
    "reassign_form",
    "receipt_card",
    "reopen_form",
    "summary_card",
    "task_done_form",
    "welcome_card",
)
# What else cards.teams exports builds no card of its own: wrappers for an activity or an invoke
# answer, the card shell, a text block, the refresh block inside an approval card.
NOT_CARDS = {
    "approval_refresh",
    "attachment",
    "card",
    "invoke_card",
    "task_card",
    "task_message",
    "text",
}
CORRECT_FIELDS = [(field, label) for field, (label, _) in CORRECTABLE.items()]
APPROVERS = ["29:head", "29:deputy"]
LONG_NAME = "Alexandra-Bartholomew Fitzwilliam-Montgomery-Smythe"
LONG_REPORTER = Actor(
    "teams", "29:long", "alexandra.fitzwilliam-montgomery-smythe@oakprimary.example", LONG_NAME
)
LONG_POST = ("This is a long post about the school and the year 4 teacher, shared widely. " * 27)[
    :2000
]


@dataclass(frozen=True)
class Drawn:
    name: str
    function: str
    card: dict[str, Any]


class Gallery:
    """Collects cards by name, remembering which renderer made each."""

    def __init__(self) -> None:
        self.cards: list[Drawn] = []

    def add(
        self, name: str, function: Callable[..., dict[str, Any]], *args: Any, **kw: Any
    ) -> None:
        self.cards.append(Drawn(name, function.__name__, function(*args, **kw)))


def form_steps(policy: Policy, values: dict[str, Any], errors: dict[str, str]) -> list[FormView]:
    sections = report_form(policy)
    return [
        FormView("Report a post", n, len(sections), (s,), values, errors, "", "Next")
        for n, s in enumerate(sections)
    ]


async def ordinary(service: CaseService, policy: Policy, trust: Any) -> Gallery:
    """A report from the form to its closing, every card on the way, as Teams shows it."""
    g = Gallery()
    school = trust.school("oak-primary")
    tz = trust.tz
    g.add("welcome", teams.welcome_card)
    g.add("refusal", teams.message_card, "Not allowed", ["Only the head can decide."], True)
    values = answers_values(categories=["violence"], about=["staff"])
    for view in form_steps(policy, values, {}):
        g.add(f"form-step-{view.step + 1}", teams.form_card, view, "execute", "f")
    errors = {f.id: "Please fill this in." for s in report_form(policy) for f in s.fields[:1]}
    g.add("form-errors", teams.form_card, form_steps(policy, {}, errors)[0], "execute", "f")
    answers = _answers(policy, values)
    summary = summary_view(policy, answers, school, evaluate(policy, answers))
    g.add("summary", teams.summary_card, summary, "execute", "f", values)
    case, _ = await service.submit(REPORTER, answers, "ordinary")
    await service.attach_evidence(case.reference, REPORTER, "post.png", "image/png", png("a"), "t")
    case = (await service.get(case.reference)).case
    g.add("receipt", teams.receipt_card, receipt_view(case, policy, school), ["Send screenshots."])
    g.add("safeguarding-alert", teams.note_card, safeguarding_alert(case, school))
    view = approval_card(case, policy, school, tz)
    g.add("approval-everyone", teams.approval_card, view, approver_ids=APPROVERS)
    g.add(
        "approval-approver",
        teams.approval_card,
        view,
        for_approver=True,
        approver_ids=APPROVERS,
    )
    asked = await service.ask_more_info(case.reference, HEAD, case.version, "Which class?")
    g.add("info-question", teams.note_card, info_question(asked.case))
    answered = await service.add_information(case.reference, REPORTER, "Year 4")
    g.add("info-note", teams.note_card, info_note(answered.case))
    out = await service.approve(
        case.reference, HEAD, answered.case.version, ["discuss", "police", "warning_letter"]
    )
    decided = out.case
    task = decided.tasks[0]
    view = approval_card(decided, policy, school, tz)
    ids = [t.id for t in decided.tasks]
    g.add("approved-approver", teams.approval_card, view, for_approver=True, task_ids=ids)
    g.add("approved-everyone", teams.approval_card, view, approver_ids=APPROVERS)
    g.add("decision-note", teams.note_card, decision_note(decided, policy, tz))
    g.add("reporter-update", teams.note_card, reporter_update(decided, policy, tz))
    g.add("task-assigned", teams.note_card, task_assigned(decided, task, policy, tz))
    for kind in ReminderKind:
        g.add(f"reminder-{kind.value}", teams.note_card, reminder(decided, task, kind, policy, tz))
    g.add("letter-note", teams.note_card, letter_note(decided))
    g.add(
        "file-link",
        teams.link_card,
        file_link("the letter", "https://bot.example/f?e=1"),
        "https://bot.example/f?e=1",
    )
    g.add("letter-form", teams.letter_form, decided.reference, "F", "C", teams.ON_CASE)
    g.add(
        "letter-form-rejected",
        teams.letter_form,
        decided.reference,
        "F",
        "C",
        teams.ON_CASE,
        "2026-11-01",
        "The remove-by date must be after today.",
    )
    g.add("correct-form", teams.correct_form, decided.reference, "C", CORRECT_FIELDS)
    g.add(
        "correct-form-rejected",
        teams.correct_form,
        decided.reference,
        "C",
        CORRECT_FIELDS,
        {"correct_field": "author_name"},
        {"reason": "Say why the answer is corrected."},
    )
    g.add("task-done-form", teams.task_done_form, "5.1.3 Police", "police", "T", "C", teams.ON_CASE)
    g.add("reassign-form", teams.reassign_form, "5.1.3", "Hana Head", "T", "C", teams.ON_CASE)
    g.add(
        "close-form-rejected",
        teams.close_form,
        decided.reference,
        "C",
        len(decided.tasks),
        {"close_outcome": "post_removed", "close_note": "Spoke to the parent"},
        {"outcome": f"{len(decided.tasks)} task(s) are still open"},
    )
    for t in decided.tasks:
        await service.complete_task(decided.reference, HEAD, t.id, "Done", "")
    closed = (await service.close(decided.reference, HEAD, "post_removed", "Post removed")).case
    g.add("case-closed-note", teams.note_card, case_closed(closed, tz))
    g.add(
        "closed-approver",
        teams.approval_card,
        approval_card(closed, policy, school, tz),
        for_approver=True,
    )
    g.add("reopen-form", teams.reopen_form, closed.reference, "C", "Say why")
    g.add("retention-due", teams.note_card, retention_due(closed, "2027-12-01 2026-11-26", 1))
    g.add("case-removed", teams.note_card, case_removed(closed.reference, "the retention period"))
    rows = await service.visible(HEAD, open_only=False)
    names = {"oak-primary": school.name}
    g.add("case-list", teams.case_list_card, case_list(rows, names, datetime.now(tz)))
    g.add("case-list-empty", teams.case_list_card, case_list([], {}, datetime.now(tz)))
    return g


@dataclass(frozen=True)
class LongCase:
    """One case at the limits: as filed (ten screenshots) and after eight actions approved."""

    values: dict[str, Any]
    answers: Any
    filed: Case
    decided: Case


async def long_case(service: CaseService, policy: Policy) -> LongCase:
    """A 2,000-character post, ten screenshots, eight tasks and long names on one case."""
    values = answers_values(
        post_text=LONG_POST,
        author_name=LONG_NAME,
        link="https://facebook.example/groups/" + "x" * 300,
        categories=["violence", "defamatory", "complaints"],
        about=["staff", "student"],
    )
    answers = _answers(policy, values)
    case, _ = await service.submit(LONG_REPORTER, answers, "long")
    for n in range(10):
        name = f"screenshot-of-the-facebook-group-post-number-{n + 1:02d}.png"
        await service.attach_evidence(
            case.reference, LONG_REPORTER, name, "image/png", png(f"{n}"), "t"
        )
    filed = (await service.get(case.reference)).case
    eight = [a.id for a in policy.actions if a.id != "other_action"][:8]
    decided = (await service.approve(case.reference, HEAD, filed.version, eight, "")).case
    assert len(decided.tasks) == 8, [t.action_id for t in decided.tasks]
    return LongCase(values, answers, filed, decided)


async def long_content(service: CaseService, policy: Policy, trust: Any) -> Gallery:
    """Every Teams card of the long case."""
    g = Gallery()
    school, tz = trust.school("oak-primary"), trust.tz
    long = await long_case(service, policy)
    summary = summary_view(policy, long.answers, school, evaluate(policy, long.answers))
    g.add("long-summary", teams.summary_card, summary, "execute", "f", long.values)
    g.add("long-receipt", teams.receipt_card, receipt_view(long.filed, policy, school))
    view = approval_card(long.filed, policy, school, tz)
    many = APPROVERS * 30
    g.add("long-approval-approver", teams.approval_card, view, for_approver=True, approver_ids=many)
    view = approval_card(long.decided, policy, school, tz)
    ids = [t.id for t in long.decided.tasks]
    g.add(
        "long-approved-approver",
        teams.approval_card,
        view,
        for_approver=True,
        task_ids=ids,
        approver_ids=many,
    )
    g.add("long-approved-everyone", teams.approval_card, view, approver_ids=many)
    g.add("long-decision-note", teams.note_card, decision_note(long.decided, policy, tz))
    g.add("long-reporter-update", teams.note_card, reporter_update(long.decided, policy, tz))
    for view in form_steps(policy, long.values, {}):
        g.add(f"long-form-step-{view.step + 1}", teams.form_card, view, "execute", "f")
    for task in long.decided.tasks:
        note = task_assigned(long.decided, task, policy, tz)
        g.add(f"long-task-assigned-{task.id}", teams.note_card, note)
    for kind in ReminderKind:
        note = reminder(long.decided, long.decided.tasks[-1], kind, policy, tz)
        g.add(f"long-reminder-{kind.value}", teams.note_card, note)
    for task in long.decided.tasks:
        await service.complete_task(long.decided.reference, HEAD, task.id, "Done: " + LONG_NAME, "")
    closed = await service.close(long.decided.reference, HEAD, "post_removed", LONG_POST)
    view = approval_card(closed.case, policy, school, tz)
    g.add("long-closed-approver", teams.approval_card, view, for_approver=True, approver_ids=many)
    g.add("long-case-closed-note", teams.note_card, case_closed(closed.case, tz))
    return g


def _answers(policy: Policy, values: dict[str, Any]) -> Any:
    from datetime import date

    from bot.forms import to_answers

    return to_answers(report_form(policy), values, date(2026, 11, 26), "oak-primary")
