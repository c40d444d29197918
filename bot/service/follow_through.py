"""Follow-through: tasks (done, reassign, snooze), post checks, reminders, close and reopen."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from bot.config import School
from bot.drafts import DOCX, LETTER_SOURCE, long_date, warning_letter
from bot.errors import (
    FormErrors,
    InvalidTransition,
    NotAllowed,
    UnknownCase,
)
from bot.follow_through import (
    after_reminder,
    cancel_open,
    complete,
    due_reminders,
    open_tasks,
    replace_task,
)
from bot.models import (
    Actor,
    Case,
    CaseFile,
    CaseOutcome,
    Closure,
    Evidence,
    Notice,
    ReminderKind,
    Status,
    Task,
    TaskStatus,
    TimelineEvent,
    Urgency,
    check_transition,
    to_plain,
)
from bot.service.core import (
    BOT,
    Outcome,
    ServiceCore,
    check_text,
    snoozed_since_last_reminder,
    task_facts,
    text_errors,
    who,
)
from bot.timeline import append


class FollowThrough(ServiceCore):
    """After the decision: the tasks, their reminders, and closing the case."""

    if TYPE_CHECKING:
        # Deciding provides it; CaseService combines the two.
        def _check_approver(self, actor: Actor, case: Case) -> School: ...

    def _check_lead(self, actor: Actor, case: Case, what: str) -> School:
        school = self.school_of(case)
        if not school.is_lead(actor.email):
            raise NotAllowed(
                f"Only {school.name}'s approvers and safeguarding leads can {what} on "
                f"{case.reference}. Nothing was changed."
            )
        return school

    def _task(self, case: Case, task_id: str, actor: Actor) -> Task:
        task = case.task(task_id)
        if task is None:
            raise UnknownCase(f"{case.reference} has no task {task_id}.")
        if task.owner.email != actor.email.lower() and not self.school_of(case).is_lead(
            actor.email
        ):
            raise NotAllowed(
                "Only the task's owner or the school's leads can change it. Nothing was changed."
            )
        return task

    async def complete_task(
        self, reference: str, actor: Actor, task_id: str, result: str, result_reference: str = ""
    ) -> Outcome:
        """Mark a task done with what happened (and, say, the police incident number)."""
        result, result_reference = result.strip(), result_reference.strip()

        async def op() -> Outcome:
            record = await self.get(reference)
            case = record.case
            task = self._task(case, task_id, actor)
            if not task.is_open:
                by = task.done_by.name or task.done_by.email if task.done_by else "someone"
                return Outcome(case, False, f"That task is already {task.status.value} ({by}).")
            check_text(result, "result", "Say what was done.")
            if len(result_reference) > 200:
                raise FormErrors({"reference": "Please keep this under 200 characters."})
            now = self.clock()
            if task.action_id == "warning_letter" and letter_of(case) is None:
                # Marked done without "Make the letter": the letter is made now, so what the
                # school sent is kept with the case.
                case, timeline = await self._make_letter(case, record.timeline, actor, now, None)
                record = replace(record, timeline=timeline)
            done = complete(
                task, actor, now, result, result_reference, self.policy, self.trust.hours
            )
            status = case.status
            if status is Status.APPROVED:
                status = check_transition(status, Status.IN_PROGRESS)
            return await self._commit(
                record,
                replace(case, status=status, tasks=replace_task(case.tasks, done)),
                [Notice.CARD_UPDATE],
                at=now,
                actor=who(actor),
                kind="task_done",
                summary=f"Task {task.id} ({task.action_id}) done by {actor.email}",
                before={"task": task_facts(task), "status": case.status.value},
                after={
                    "task": task_facts(done),
                    "status": status.value,
                    "result": result,
                    "reference": result_reference,
                },
            )

        return await self._serialised(reference, op)

    async def record_dsl_advice(
        self, reference: str, actor: Actor, go_ahead: bool, note: str = ""
    ) -> Outcome:
        """The DSL advises whether the held-back conversation with the parent may go ahead."""
        note = note.strip()

        async def op() -> Outcome:
            record = await self.get(reference)
            case = record.case
            school = self.school_of(case)
            dsl = set(school.safeguarding_leads)
            if case.recommendation.escalated:
                dsl |= set(self.trust.escalation_contacts)
            if actor.email.lower() not in dsl:
                raise NotAllowed(
                    f"Only {school.name}'s safeguarding leads can advise on {case.reference}. "
                    "Nothing was changed."
                )
            held = {
                h
                for r in self.policy.rules
                if r.id in case.recommendation.fired_rules
                for h in r.hold
            }
            if not held:
                raise NotAllowed(f"Nothing on {case.reference} waits for the DSL's advice.")
            if case.decision is not None:
                return Outcome(case, False, f"{case.reference} has already been decided.")
            if note:
                check_text(note, "note", "")
            now = self.clock()
            on = long_date(now.astimezone(self.trust.tz).date())
            said = (
                f"The DSL advised on {on}: may go ahead"
                if go_ahead
                else f"Held back: the DSL advised on {on} to hold it"
            ) + (f" ({note})" if note else "")
            rec = case.recommendation
            actions = tuple(
                replace(a, reason=said) if a.action_id in held else a for a in rec.actions
            )
            return await self._commit(
                record,
                replace(case, recommendation=replace(rec, actions=actions)),
                [Notice.CARD_UPDATE],
                at=now,
                actor=who(actor),
                kind="dsl_advice",
                summary=f"DSL advice by {actor.email}: "
                + ("may go ahead" if go_ahead else "hold it"),
                before={"held_back": sorted(held)},
                after={"go_ahead": go_ahead, "note": note},
            )

        return await self._serialised(reference, op)

    async def make_letter(
        self, reference: str, actor: Actor, remove_by: date | None = None
    ) -> Outcome:
        """5.1.1: make the warning letter once, keep it as evidence; later opens get these bytes."""

        async def op() -> Outcome:
            record = await self.get(reference)
            case = record.case
            self.check_letter_maker(case, actor)
            made, tz = letter_of(case), self.trust.tz
            if made is not None:
                by = made.captured_by.name or made.captured_by.email
                return Outcome(
                    case,
                    False,
                    f"The letter was made on {long_date(made.captured_at.astimezone(tz).date())} "
                    f"by {by}; opening it gives that letter.",
                )
            now = self.clock()
            if remove_by is not None and remove_by <= now.astimezone(self.trust.tz).date():
                raise FormErrors({"remove_by": "Choose a date after today, or leave it empty."})
            changed, timeline = await self._make_letter(
                case, record.timeline, actor, now, remove_by
            )
            saved = await self._save(record, changed, timeline, [Notice.CARD_UPDATE])
            return Outcome(saved.case, True)

        return await self._serialised(reference, op)

    def check_letter_maker(self, case: Case, actor: Actor) -> None:
        """The letter's task owner or the school's leads may make it; raises otherwise."""
        task = next((t for t in case.tasks if t.action_id == "warning_letter"), None)
        if task is None or not (case.decision and "warning_letter" in case.decision.actions):
            raise UnknownCase(f"{case.reference} has no approved warning letter (5.1.1).")
        self._task(case, task.id, actor)
        if not case.status.is_open and letter_of(case) is None:
            raise NotAllowed(f"{case.reference} is closed: reopen it to make the letter.")

    async def _make_letter(
        self,
        case: Case,
        timeline: tuple[TimelineEvent, ...],
        actor: Actor,
        now: datetime,
        remove_by: date | None,
    ) -> tuple[Case, tuple[TimelineEvent, ...]]:
        """The letter as evidence on the case, and its SHA-256 on the timeline."""
        school = self.school_of(case)
        data = warning_letter(case, self.policy, school, now, self.trust.tz, remove_by)
        sha = await self.store.put_evidence(data)
        name = f"{case.reference}-warning-letter.docx"
        evidence = Evidence(sha, name, len(data), DOCX, actor, now, LETTER_SOURCE)
        after = {k: v for k, v in to_plain(evidence).items() if k != "captured_by"}
        after["remove_by"] = remove_by.isoformat() if remove_by else None
        timeline = append(
            timeline,
            at=now,
            actor=who(actor),
            kind="letter_made",
            summary=f"Warning letter made (5.1.1), SHA-256 {sha}",
            after=after,
        )
        return replace(case, evidence=(*case.evidence, evidence)), timeline

    async def reassign_task(
        self, reference: str, actor: Actor, task_id: str, new_owner: Actor
    ) -> Outcome:
        """Give a task to any member of staff; they are told."""

        async def op() -> Outcome:
            record = await self.get(reference)
            case = record.case
            task = self._task(case, task_id, actor)
            if not task.is_open:
                return Outcome(case, False, f"That task is already {task.status.value}.")
            if not self.trust.schools_for(new_owner.email):
                raise FormErrors({"owner": "Choose a member of the trust's staff."})
            if new_owner.email.lower() == task.owner.email:
                return Outcome(case, False, "That person already owns the task.")
            moved = replace(task, owner=replace(new_owner, email=new_owner.email.lower()))
            return await self._commit(
                record,
                replace(case, tasks=replace_task(case.tasks, moved)),
                [Notice.CARD_UPDATE, Notice.TASK_ASSIGNED],
                detail=task.id,
                at=self.clock(),
                actor=who(actor),
                kind="task_reassigned",
                summary=f"Task {task.id} reassigned to {new_owner.email}",
                before={"owner": task.owner.email},
                after={"owner": moved.owner.email, "task": task.id},
            )

        return await self._serialised(reference, op)

    async def snooze_task(self, reference: str, actor: Actor, task_id: str) -> Outcome:
        """Skip the next reminder: the one after comes a working day later (once per reminder)."""

        async def op() -> Outcome:
            record = await self.get(reference)
            case = record.case
            task = self._task(case, task_id, actor)
            if task.remind_at is None:
                return Outcome(case, False, "There is no reminder to snooze.")
            if snoozed_since_last_reminder(record.timeline, task.id):
                return Outcome(case, False, "Already snoozed.")
            later = self.trust.hours.next_working_day(max(self.clock(), task.remind_at))
            return await self._commit(
                record,
                replace(case, tasks=replace_task(case.tasks, replace(task, remind_at=later))),
                at=self.clock(),
                actor=who(actor),
                kind="reminder_snoozed",
                summary=f"Reminder for task {task.id} snoozed",
                before={"remind_at": task.remind_at.isoformat()},
                after={"remind_at": later.isoformat(), "task": task.id},
            )

        return await self._serialised(reference, op)

    async def answer_post_check(
        self, reference: str, actor: Actor, task_id: str, still_up: bool
    ) -> Outcome:
        """Two working days after a removal request: is the post still up?"""

        async def op() -> Outcome:
            record = await self.get(reference)
            case = record.case
            task = self._task(case, task_id, actor)
            if task.remind_kind is not ReminderKind.POST_CHECK or task.status is not (
                TaskStatus.DONE
            ):
                return Outcome(case, False, "There is no open question about this post.")
            answered = [
                e
                for e in record.timeline
                if e.kind == "post_check_answered" and (e.after or {}).get("task") == task.id
            ]
            if answered and task.remind_at is None:
                return Outcome(case, False, "Already answered.")
            return await self._commit(
                record,
                replace(case, tasks=replace_task(case.tasks, replace(task, remind_at=None))),
                [Notice.CARD_UPDATE],
                at=self.clock(),
                actor=who(actor),
                kind="post_check_answered",
                summary=f"The post is {'still up' if still_up else 'removed'} (task {task.id})",
                after={"task": task.id, "still_up": still_up},
            )

        return await self._serialised(reference, op)

    async def close(self, reference: str, actor: Actor, outcome: str, note: str) -> Outcome:
        """Close with an outcome and a note; open tasks must be done, unless no further action."""
        note = note.strip()

        async def op() -> Outcome:
            record = await self.get(reference)
            case = record.case
            self._check_approver(actor, case)
            if case.status is Status.CLOSED:
                by = case.closure.by.name or case.closure.by.email if case.closure else "someone"
                return Outcome(case, False, f"{case.reference} is already closed ({by}).")
            errors = {}
            try:
                result = CaseOutcome(outcome)
            except ValueError:
                errors["outcome"] = "Choose how the case ended."
                result = CaseOutcome.NO_FURTHER_ACTION
            errors.update(text_errors(note, "note", "A closing note is needed for the record."))
            still_open = open_tasks(case.tasks)
            if still_open and result is not CaseOutcome.NO_FURTHER_ACTION and not errors:
                errors["outcome"] = (
                    f"{len(still_open)} task(s) are still open: mark them done first, "
                    "or close with no further action."
                )
            if errors:
                raise FormErrors(errors)
            if not case.status.follows_through:
                raise InvalidTransition(case.status.value, Status.CLOSED.value)
            status = check_transition(case.status, Status.CLOSED)
            now = self.clock()
            closure = Closure(result, note, actor, now)
            return await self._commit(
                record,
                replace(case, status=status, closure=closure, tasks=cancel_open(case.tasks)),
                [Notice.CARD_UPDATE, Notice.CASE_CLOSED],
                at=now,
                actor=who(actor),
                kind="case_closed",
                summary=f"Closed by {actor.email}: {result.label}",
                before={"status": case.status.value, "open_tasks": len(still_open)},
                after={"status": status.value, "outcome": result.value, "note": note},
            )

        return await self._serialised(reference, op)

    async def reopen(self, reference: str, actor: Actor, reason: str) -> Outcome:
        reason = reason.strip()

        async def op() -> Outcome:
            record = await self.get(reference)
            case = record.case
            self._check_approver(actor, case)
            if case.status is not Status.CLOSED:
                return Outcome(case, False, f"{case.reference} is not closed.")
            check_text(reason, "reason", "Say why the case is reopened.")
            status = check_transition(case.status, Status.REOPENED)
            return await self._commit(
                record,
                replace(case, status=status, closure=None),
                [Notice.CARD_UPDATE],
                at=self.clock(),
                actor=who(actor),
                kind="case_reopened",
                summary=f"Reopened by {actor.email}",
                before={
                    "status": case.status.value,
                    "outcome": case.closure.outcome.value if case.closure else None,
                },
                after={"status": status.value, "reason": reason},
            )

        return await self._serialised(reference, op)

    async def fire_reminders(self, now: datetime | None = None) -> int:
        """Queue every reminder now due, in working hours only; each one exactly once."""
        now = now or self.clock()
        hours = self.trust.hours
        due = [
            s.reference
            for s in await self.store.summaries()
            if s.next_reminder_at is not None and s.next_reminder_at <= now
        ]
        queued = 0
        for reference in due:

            async def op(reference: str = reference) -> int:
                record = await self.get(reference)
                case = record.case
                tasks, timeline, details = case.tasks, record.timeline, []
                urgent = (
                    case.urgency is Urgency.URGENT
                )  # someone may be in danger: out of hours too
                for task in due_reminders(case, now):
                    if (not urgent and hours.next_open(now) != now) or not case.status.is_open:
                        later = hours.next_open(now) if case.status.is_open else None
                        tasks = replace_task(tasks, replace(task, remind_at=later))
                        continue
                    tasks = replace_task(tasks, after_reminder(task, now, hours, urgent))
                    details.append(f"{task.id}:{task.remind_kind.value}")
                    timeline = append(
                        timeline,
                        at=now,
                        actor=BOT,
                        kind="reminder_queued",
                        summary=f"Reminder ({task.remind_kind.value}) for task {task.id}",
                        after={
                            "task": task.id,
                            "kind": task.remind_kind.value,
                            "owner": task.owner.email,
                        },
                    )
                if tasks == case.tasks:
                    return 0
                saved = CaseFile(
                    replace(case, tasks=tasks),
                    timeline,
                    self._queue(
                        record.outbox,
                        case.reporter.platform,
                        [Notice.TASK_REMINDER] * len(details),
                        details,
                    ),
                    record.revision + 1,
                )
                await self.store.save(saved)
                return len(details)

            queued += await self._serialised(reference, op)
        if queued:
            self._changed()
        return queued


def letter_of(case: Case) -> Evidence | None:
    """The 5.1.1 letter made for this case, if it has been."""
    return next((e for e in case.evidence if e.source == LETTER_SOURCE), None)
