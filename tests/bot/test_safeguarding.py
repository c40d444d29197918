"""The safeguarding route in the service (issue 13): referral tasks for the DSL from filing, urgent
reminders out of hours, the escalation contacts in the deciders' place."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import FormErrors, NotAllowed
from bot.models import Actor, Notice, ReminderKind, Urgency
from tests.conftest import DSL, HEAD, REPORTER

CHAIR = Actor("slack", "UCHAIR1", "chair@oaktrust.example", "Cara Chair")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def test_a_lado_task_for_the_dsl_reminds_out_of_hours(service, make_answers, clock):
    clock.now = utc(2026, 11, 27, 16)  # Friday, 16:00
    answers = make_answers(allegation_against_staff=["yes"], categories=["allegations"])
    case, _ = await service.submit(REPORTER, answers, "lado")
    assert case.urgency is Urgency.URGENT
    [task] = case.tasks
    assert task.action_id == "lado_referral" and task.owner.email == DSL.email
    assert task.due_at == utc(2026, 11, 30, 17)  # one working day on: Monday 17:00
    record = await service.get(case.reference)
    assert Notice.TASK_ASSIGNED in [m.notice for m in record.outbox]
    # Monday 20:00, out of hours: an urgent task's reminder goes now, and again a day later.
    assert await service.fire_reminders(utc(2026, 11, 30, 20)) == 1
    task = (await service.get(case.reference)).case.task("t1")
    assert task.remind_kind is ReminderKind.OVERDUE and task.remind_at == utc(2026, 12, 1, 20)
    # The head's decision adds the approved actions' tasks; the DSL's stays.
    out = await service.approve(case.reference, HEAD, case.version, ["retain_evidence"])
    assert [t.action_id for t in out.case.tasks] == ["lado_referral", "retain_evidence"]


async def test_a_standard_task_still_waits_for_working_hours(service, make_answers, clock):
    clock.now = utc(2026, 11, 26, 10)
    case, _ = await service.submit(REPORTER, make_answers(), "standard")
    out = await service.approve(case.reference, HEAD, case.version, ["discuss"])
    task = out.case.tasks[0]
    assert task.due_at == utc(2026, 11, 30, 17)
    assert task.remind_at == utc(2026, 12, 1, 8)  # not urgent: the next working morning
    assert await service.fire_reminders(utc(2026, 11, 30, 20)) == 0


async def test_the_escalation_contacts_decide_a_case_about_the_head(service, make_answers):
    case, _ = await service.submit(REPORTER, make_answers(about=["head"]), "head")
    assert case.recommendation.escalated
    assert not service.can_view(HEAD, case) and service.can_view(CHAIR, case)
    assert service.can_view(DSL, case)  # the DSL is not one of the deciders
    listed = {
        who.email: [r.reference for r in await service.visible(who)] for who in (HEAD, CHAIR, DSL)
    }
    assert listed == {HEAD.email: [], CHAIR.email: [case.reference], DSL.email: [case.reference]}
    with pytest.raises(NotAllowed, match="escalation contacts"):
        await service.approve(case.reference, HEAD, case.version, ["discuss"])
    out = await service.approve(case.reference, CHAIR, case.version, ["discuss"])
    assert out.applied and out.case.decision.by.email == CHAIR.email
    assert [t.owner.email for t in out.case.tasks] == [CHAIR.email]


async def test_the_held_back_conversation_waits_for_the_dsls_advice(service, make_answers, clock):
    clock.now = utc(2026, 12, 2, 10)
    answers = make_answers(allegation_against_staff=["yes"], categories=["allegations"])
    case, _ = await service.submit(REPORTER, answers, "advice")
    [discuss] = [a for a in case.recommendation.actions if a.action_id == "discuss"]
    assert discuss.held_back and not discuss.preselected
    with pytest.raises(FormErrors) as refused:
        await service.approve(case.reference, HEAD, case.version, ["discuss", "retain_evidence"])
    message = refused.value.errors["actions"]
    assert "the DSL's advice is awaited" in message and "@" not in message
    assert "the policy" not in message and "Keeping Children Safe in Education" in message
    assert (await service.get(case.reference)).case.decision is None  # nothing changed
    with pytest.raises(NotAllowed, match="safeguarding leads"):
        await service.record_dsl_advice(case.reference, HEAD, True)
    # The DSL says hold it: still refused, and the card says so.
    out = await service.record_dsl_advice(case.reference, DSL, False, "The LADO is involved")
    [discuss] = [a for a in out.case.recommendation.actions if a.action_id == "discuss"]
    assert (
        discuss.reason
        == "Held back: the DSL advised on 2 December 2026 to hold it (The LADO is involved)"
    )
    with pytest.raises(FormErrors):
        await service.approve(case.reference, HEAD, case.version, ["discuss"])
    # Then it may go ahead: the approver can approve the conversation.
    out = await service.record_dsl_advice(case.reference, DSL, True)
    [discuss] = [a for a in out.case.recommendation.actions if a.action_id == "discuss"]
    assert discuss.reason == "The DSL advised on 2 December 2026: may go ahead"
    record = await service.get(case.reference)
    advice = [e for e in record.timeline if e.kind == "dsl_advice"]
    assert [e.after["go_ahead"] for e in advice] == [False, True]
    assert advice[0].after["note"] == "The LADO is involved"
    done = await service.approve(case.reference, HEAD, case.version, ["discuss"])
    assert done.applied and done.case.decision.actions == ("discuss",)
    assert "discuss" in [t.action_id for t in done.case.tasks]
