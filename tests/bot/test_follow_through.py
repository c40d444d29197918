"""After the decision: tasks, closing and reopening, and reminders in working hours only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import FormErrors, InvalidTransition, NotAllowed
from bot.models import CaseOutcome, Notice, ReminderKind, Status, TaskStatus
from bot.service import CaseService
from bot.storage.tinydb_store import TinyDBStore
from bot.timeline import verify
from tests.conftest import DEPUTY, DSL, HEAD, OTHER_HEAD, REPORTER


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def approved(service, make_answers, clock, at, actions, key="k"):
    clock.now = at
    case, _ = await service.submit(REPORTER, make_answers(), key)
    out = await service.approve(case.reference, HEAD, case.version, actions)
    return out.case


async def test_approval_makes_tasks_due_by_working_days(service, make_answers, clock):
    # Thursday 22 October 2026, 10:00 BST
    case = await approved(
        service, make_answers, clock, utc(2026, 10, 22, 9), ["police", "discuss", "warning_letter"]
    )
    due = {t.action_id: t.due_at for t in case.tasks}
    assert due["police"] == utc(2026, 10, 22, 16)  # the same day, 17:00 BST
    assert due["discuss"] == utc(2026, 10, 26, 17)  # Monday, 17:00 GMT: the weekend skipped
    assert due["warning_letter"] == utc(2026, 10, 27, 17)
    assert all(t.owner == HEAD and t.status is TaskStatus.OPEN for t in case.tasks)
    record = await service.get(case.reference)
    assert Notice.LETTER_DRAFT in [m.notice for m in record.outbox]


async def test_mark_done_reassign_close_reopen(service, make_answers, clock, store):
    case = await approved(
        service, make_answers, clock, utc(2026, 11, 26, 10), ["police", "discuss"]
    )
    ref = case.reference
    with pytest.raises(FormErrors):
        await service.complete_task(ref, HEAD, "t1", "  ")
    with pytest.raises(NotAllowed):
        await service.complete_task(ref, REPORTER, "t1", "Rang them")
    done = await service.complete_task(ref, HEAD, "t1", "Reported to the police", "CAD-1234")
    assert done.applied and done.case.status is Status.IN_PROGRESS
    t1 = done.case.task("t1")
    assert (t1.status, t1.result_reference, t1.done_by) == (TaskStatus.DONE, "CAD-1234", HEAD)
    again = await service.complete_task(ref, HEAD, "t1", "Again")
    assert not again.applied

    moved = await service.reassign_task(ref, HEAD, "t2", DEPUTY)
    assert moved.case.task("t2").owner.email == DEPUTY.email
    with pytest.raises(FormErrors):
        await service.reassign_task(
            ref, HEAD, "t2", REPORTER.__class__("slack", "U9", "x@gmail.example")
        )

    with pytest.raises(FormErrors) as err:
        await service.close(ref, HEAD, "post_removed", "Gone")
    assert "still open" in err.value.errors["outcome"]
    with pytest.raises(NotAllowed):
        await service.close(ref, DSL, "no_further_action", "x")
    await service.complete_task(ref, DEPUTY, "t2", "Spoke to the parent; post taken down")
    with pytest.raises(FormErrors) as err:
        await service.close(ref, HEAD, "post_removed", "")
    assert "note" in err.value.errors
    closed = await service.close(ref, HEAD, "post_removed", "Removed after the conversation")
    assert closed.case.status is Status.CLOSED
    assert closed.case.closure.outcome is CaseOutcome.POST_REMOVED
    assert not (await service.close(ref, HEAD, "post_removed", "again")).applied

    reopened = await service.reopen(ref, HEAD, "It is back up")
    assert reopened.case.status is Status.REOPENED and reopened.case.closure is None
    record = await service.get(ref)
    kinds = [e.kind for e in record.timeline]
    for kind in ("task_done", "task_reassigned", "case_closed", "case_reopened"):
        assert kind in kinds
    assert verify(record.timeline) == []
    notices = [m.notice for m in record.outbox]
    assert Notice.TASK_ASSIGNED in notices and Notice.CASE_CLOSED in notices
    assert [m.detail for m in record.outbox if m.notice is Notice.TASK_ASSIGNED] == ["t2"]


async def test_no_further_action_closes_with_open_tasks(service, make_answers, clock):
    case = await approved(service, make_answers, clock, utc(2026, 11, 26, 10), ["discuss"])
    out = await service.close(case.reference, HEAD, "no_further_action", "Parent apologised")
    assert out.case.task("t1").status is TaskStatus.CANCELLED
    assert out.case.next_reminder_at is None


async def test_a_case_awaiting_decision_cannot_be_closed(service, make_answers):
    case, _ = await service.submit(REPORTER, make_answers(), "k")
    with pytest.raises(InvalidTransition):
        await service.close(case.reference, HEAD, "no_further_action", "note")
    with pytest.raises(NotAllowed):
        await service.close(case.reference, OTHER_HEAD, "no_further_action", "note")


async def test_overdue_reminder_fires_once_after_the_clocks_go_back_and_not_at_weekends(
    service, make_answers, clock, store, tmp_path
):
    # Friday 23 October 2026, 16:30 BST: police due the same day at 17:00 BST (16:00 UTC).
    case = await approved(service, make_answers, clock, utc(2026, 10, 23, 15, 30), ["police"])
    task = case.task("t1")
    # The clocks go back on Sunday 25 October: 08:00 on Monday is 08:00 UTC, not 07:00.
    assert task.remind_at == utc(2026, 10, 26, 8)
    for at in (
        utc(2026, 10, 23, 18),
        utc(2026, 10, 24, 12),
        utc(2026, 10, 25, 12),
        utc(2026, 10, 26, 7, 30),
    ):
        assert await service.fire_reminders(at) == 0, at
    assert await service.fire_reminders(utc(2026, 10, 26, 8)) == 1
    assert await service.fire_reminders(utc(2026, 10, 26, 8, 1)) == 0

    # A restart: a new store and service over the same folder neither lose nor repeat it.
    reopened = TinyDBStore(store.root)
    await reopened.open()
    again = CaseService(reopened, service.trust, service.policy, clock)
    assert await again.fire_reminders(utc(2026, 10, 26, 12)) == 0
    record = await again.get(case.reference)
    reminders = [m for m in record.outbox if m.notice is Notice.TASK_REMINDER]
    assert [m.detail for m in reminders] == ["t1:overdue"]
    # Still overdue: it nags again at the start of the next working day.
    assert record.case.task("t1").remind_at == utc(2026, 10, 27, 8)
    assert await again.fire_reminders(utc(2026, 10, 27, 8, 5)) == 1


async def test_a_reminder_missed_outside_hours_waits_for_working_hours(
    service, make_answers, clock
):
    case = await approved(service, make_answers, clock, utc(2026, 11, 26, 10), ["police"])
    # The server was down all Friday; it comes back at 20:00: nothing until Monday 08:00.
    assert await service.fire_reminders(utc(2026, 11, 27, 20)) == 0
    record = await service.get(case.reference)
    assert record.case.task("t1").remind_at == utc(2026, 11, 30, 8)


async def test_snooze_moves_the_reminder_to_the_next_working_day(service, make_answers, clock):
    case = await approved(service, make_answers, clock, utc(2026, 11, 26, 10), ["police"])
    clock.now = utc(2026, 11, 27, 9)  # Friday
    out = await service.snooze_task(case.reference, HEAD, "t1")
    assert out.case.task("t1").remind_at == utc(2026, 11, 30, 8)
    assert not (await service.snooze_task(case.reference, HEAD, "t1")).applied


async def test_removal_request_is_followed_by_a_check_two_working_days_later(
    service, make_answers, clock
):
    case = await approved(service, make_answers, clock, utc(2026, 11, 26, 10), ["discuss"])
    clock.now = utc(2026, 11, 26, 14)  # Thursday
    done = await service.complete_task(case.reference, HEAD, "t1", "Asked them to remove it")
    task = done.case.task("t1")
    assert task.remind_kind is ReminderKind.POST_CHECK
    assert task.remind_at == utc(2026, 11, 30, 14)  # Monday: two working days later
    assert await service.fire_reminders(utc(2026, 11, 30, 14)) == 1
    record = await service.get(case.reference)
    assert record.outbox[-1].detail == "t1:post_check"
    assert record.case.task("t1").remind_at is None
    out = await service.answer_post_check(case.reference, HEAD, "t1", still_up=True)
    assert out.applied
    assert not (await service.answer_post_check(case.reference, HEAD, "t1", still_up=False)).applied
