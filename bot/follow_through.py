"""After the decision: tasks from approved actions, their reminders, and when a case may close."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.models import Actor, Case, Decision, ReminderKind, Task, TaskStatus
from bot.policy import Policy
from bot.worktime import WorkingHours

POST_CHECK_DAYS = 2


def make_tasks(
    decision: Decision,
    due_days: Callable[[str], int],
    hours: WorkingHours,
    first: int = 1,
    urgent: bool = False,
) -> tuple[Task, ...]:
    """One task per approved action, owned by the approver, due by the trust's working days."""
    return tuple(
        new_task(f"t{n}", action_id, decision.by, decision.at, due_days(action_id), hours, urgent)
        for n, action_id in enumerate(decision.actions, start=first)
    )


def new_task(
    task_id: str,
    action_id: str,
    owner: Actor,
    at: datetime,
    days: int,
    hours: WorkingHours,
    urgent: bool = False,
) -> Task:
    """A task due `days` working days from `at`; an urgent case's task reminds out of hours too."""
    due = hours.due(at, days)
    return Task(
        id=task_id,
        action_id=action_id,
        owner=owner,
        due_at=due,
        created_at=at,
        remind_at=due if urgent else hours.next_open(due),
    )


def complete(
    task: Task,
    by: Actor,
    at: datetime,
    result: str,
    reference: str,
    policy: Policy,
    hours: WorkingHours,
) -> Task:
    """Mark a task done; a removal request schedules the check that the post has gone."""
    check_at = None
    if policy.action(task.action_id).removal_request:
        day = hours.add_working_days(hours.local(at).date(), POST_CHECK_DAYS)
        check_at = hours.next_open(hours.at(day, hours.local(at).time()))
    return replace(
        task,
        status=TaskStatus.DONE,
        result=result,
        result_reference=reference,
        done_by=by,
        done_at=at,
        remind_at=check_at,
        remind_kind=ReminderKind.POST_CHECK if check_at else task.remind_kind,
    )


def due_reminders(case: Case, now: datetime) -> tuple[Task, ...]:
    return tuple(t for t in case.tasks if t.remind_at is not None and t.remind_at <= now)


def after_reminder(task: Task, now: datetime, hours: WorkingHours, urgent: bool = False) -> Task:
    """The task once its reminder is queued: an overdue one nags again the next working day, or
    for an urgent case a day later whatever the day (someone may be in danger)."""
    again = None
    if task.remind_kind is ReminderKind.OVERDUE:
        again = now + timedelta(days=1) if urgent else hours.next_working_day(now)
    return replace(task, remind_at=again, reminders_sent=task.reminders_sent + 1)


def open_tasks(tasks: Sequence[Task]) -> tuple[Task, ...]:
    return tuple(t for t in tasks if t.is_open)


def cancel_open(tasks: Sequence[Task]) -> tuple[Task, ...]:
    return tuple(
        replace(t, status=TaskStatus.CANCELLED, remind_at=None) if t.is_open else t for t in tasks
    )


def replace_task(tasks: Sequence[Task], task: Task) -> tuple[Task, ...]:
    return tuple(task if t.id == task.id else t for t in tasks)
