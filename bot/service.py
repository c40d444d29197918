"""The use cases: the only place a case changes, each writing its timeline event."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from bot.config import School, Trust
from bot.errors import (
    Conflict,
    EvidenceRejected,
    FormErrors,
    InvalidTransition,
    NotAllowed,
    StaleVersion,
    UnknownCase,
)
from bot.follow_through import (
    after_reminder,
    cancel_open,
    complete,
    due_reminders,
    make_tasks,
    open_tasks,
    replace_task,
)
from bot.forms import Section, report_form
from bot.models import (
    Actor,
    Answers,
    Case,
    CaseFile,
    CaseOutcome,
    CaseSummary,
    Closure,
    Decision,
    DecisionKind,
    Evidence,
    InfoRequest,
    MessageRef,
    Notice,
    OutboxMessage,
    Recommendation,
    ReminderKind,
    Status,
    Task,
    TaskStatus,
    TimelineEvent,
    Urgency,
    check_transition,
    to_plain,
)
from bot.policy import Policy, evaluate
from bot.storage.port import Store
from bot.timeline import append

BOT = "bot"
CONFLICT_RETRIES = 5
T = TypeVar("T")
MAX_REASON = 2000
DRAFT_DAYS = 7  # a report form not touched for this long was abandoned: its draft is forgotten


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Outcome:
    """What a decision-type request did: applied, or why not (for the person who asked)."""

    case: Case
    applied: bool
    note: str = ""


def who(actor: Actor) -> str:
    return f"{actor.email} ({actor.key})"


def text_errors(text: str, field: str, missing: str, limit: int = MAX_REASON) -> dict[str, str]:
    """The message for an empty or overlong answer, by field; none when it is fine."""
    if not text:
        return {field: missing}
    if len(text) > limit:
        return {field: f"Please keep this under {limit} characters."}
    return {}


def check_text(text: str, field: str, missing: str, limit: int = MAX_REASON) -> None:
    errors = text_errors(text, field, missing, limit)
    if errors:
        raise FormErrors(errors)


def snoozed_since_last_reminder(timeline: Sequence[TimelineEvent], task_id: str) -> bool:
    """Whether this task's reminder was snoozed after the last one went out."""
    for event in reversed(timeline):
        if (event.after or {}).get("task") != task_id:
            continue
        if event.kind == "reminder_queued":
            return False
        if event.kind == "reminder_snoozed":
            return True
    return False


def task_facts(task: Task) -> dict[str, Any]:
    """A task as the timeline records it."""
    return {
        "id": task.id,
        "action": task.action_id,
        "owner": task.owner.email,
        "due_at": task.due_at.isoformat(),
        "status": task.status.value,
    }


class CaseService:
    def __init__(
        self,
        store: Store,
        trust: Trust,
        policy: Policy,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.trust = trust
        self.policy = policy
        self.clock = clock
        self._locks: dict[str, asyncio.Lock] = {}
        self._listeners: list[Callable[[], None]] = []
        self._forms: dict[tuple[School, ...], tuple[Section, ...]] = {}

    def on_change(self, listener: Callable[[], None]) -> None:
        """Called after every write that queued outbox messages (the outbox worker wakes)."""
        self._listeners.append(listener)

    def _lock(self, key: str) -> asyncio.Lock:
        return self._locks.setdefault(key, asyncio.Lock())

    async def _serialised(self, key: str, op: Callable[[], Awaitable[T]]) -> T:
        """Run op alone for this key; if another process saved the case first, run it again."""
        for attempt in range(CONFLICT_RETRIES):
            async with self._lock(key):
                try:
                    return await op()
                except Conflict:
                    if attempt == CONFLICT_RETRIES - 1:
                        raise
        raise AssertionError("unreachable")

    def today(self) -> date:
        return self.clock().astimezone(self.trust.tz).date()

    # reading

    def schools_for(self, actor: Actor) -> tuple[School, ...]:
        return self.trust.schools_for(actor.email)

    def form(self, actor: Actor) -> tuple[Section, ...]:
        schools = self.schools_for(actor)
        if schools not in self._forms:  # the form depends on the schools alone: make it once
            self._forms[schools] = report_form(self.policy, schools)
        return self._forms[schools]

    def preview(self, answers: Answers) -> Recommendation:
        return evaluate(self.policy, answers)

    def school_of(self, case: Case) -> School:
        school = self.trust.school(case.school_id)
        if school is None:
            raise UnknownCase(f"{case.reference} belongs to a school no longer in the trust file")
        return school

    def can_view(self, actor: Actor, case: Case) -> bool:
        return actor.email.lower() == case.reporter.email.lower() or self.school_of(case).is_lead(
            actor.email
        )

    async def get(self, reference: str) -> CaseFile:
        record = await self.store.load(reference)
        if record is None:
            raise UnknownCase(f"There is no case {reference}.")
        return record

    async def visible(self, actor: Actor, open_only: bool = True) -> list[CaseSummary]:
        """Cases this person may see: their schools' if they lead one, and their own reports."""
        led = {s.id for s in self.trust.led_by(actor.email)}
        email = actor.email.lower()
        rows = [
            s
            for s in await self.store.summaries()
            if (s.school_id in led or s.reporter_email == email)
            and (s.status.is_open or not open_only)
        ]
        return sorted(rows, key=lambda s: (-s.urgency.rank, s.created_at), reverse=False)

    # use cases

    async def submit(
        self,
        reporter: Actor,
        answers: Answers,
        submission_key: str,
        files_to_fetch: Sequence[str] = (),
    ) -> tuple[Case, bool]:
        """File a report as a new case; a repeated submission returns the first case.

        files_to_fetch: the platform's ids of screenshots still to download, queued in the same
        save as the case so that a crash before the download cannot lose them.
        """
        schools = {s.id for s in self.schools_for(reporter)}
        if not schools:
            raise NotAllowed(
                "Only the trust's staff can report a post, and your account's email address is "
                "not one of the trust's staff domains. Please ask your IT admin."
            )
        if answers.school_id not in schools:
            raise FormErrors({"school_id": "Choose one of your own schools."})

        async def op() -> tuple[Case, bool]:
            existing = await self.store.find_submission(submission_key)
            if existing:
                return (await self.get(existing)).case, False
            now = self.clock()
            recommendation = evaluate(self.policy, answers)
            reference = await self.store.next_reference(self.trust.reference_prefix, now.year)
            case = Case(
                reference=reference,
                school_id=answers.school_id,
                status=Status.SUBMITTED,
                urgency=recommendation.urgency,
                reporter=reporter,
                answers=answers,
                recommendation=recommendation,
                created_at=now,
                submission_key=submission_key,
            )
            timeline = append(
                (),
                at=now,
                actor=who(reporter),
                kind="report_submitted",
                summary=f"Report submitted by {reporter.email}",
                after={"status": Status.SUBMITTED.value, "answers": to_plain(answers)},
            )
            status = check_transition(case.status, Status.AWAITING_DECISION)
            timeline = append(
                timeline,
                at=now,
                actor=BOT,
                kind="triaged",
                summary=f"Triage: {recommendation.urgency.value}; "
                f"recommended {', '.join(recommendation.action_ids)}",
                before={"status": case.status.value},
                after={
                    "status": status.value,
                    "urgency": recommendation.urgency.value,
                    "recommendation": to_plain(recommendation),
                    "rules_fired": list(recommendation.fired_rules),
                    "policy_version": self.policy.version,
                },
            )
            case = replace(case, status=status)
            notices = [Notice.RECEIPT, Notice.APPROVAL_CARD]
            if case.urgency is Urgency.URGENT:
                notices.append(Notice.SAFEGUARDING_ALERT)
            details = [""] * len(notices) + list(files_to_fetch)
            notices += [Notice.FETCH_EVIDENCE] * len(files_to_fetch)
            record = CaseFile(case, timeline, self._queue((), reporter.platform, notices, details))
            await self.store.create(record)
            self._changed()
            return case, True

        return await self._serialised(f"submit:{submission_key}", op)

    async def attach_evidence(
        self,
        reference: str,
        actor: Actor,
        name: str,
        media_type: str,
        data: bytes,
        source: str,
    ) -> Evidence:
        """Keep a screenshot (5.1.7): stored by SHA-256, with who captured it and when."""
        if not data:
            raise EvidenceRejected(f"{name or 'The file'} is empty.")
        limit = self.trust.evidence_max_bytes
        if len(data) > limit:
            raise EvidenceRejected(
                f"{name} is {len(data) / 1048576:.1f} MB; "
                f"files can be at most {limit // 1048576} MB."
            )

        async def op() -> Evidence:
            record = await self.get(reference)
            case = record.case
            if not self.can_view(actor, case):
                raise NotAllowed("Only the reporter and the school's leads can add evidence.")
            sha = await self.store.put_evidence(data)
            for e in case.evidence:
                if e.sha256 == sha:
                    return e
            if len(case.evidence) >= self.trust.evidence_max_files:
                raise EvidenceRejected(
                    f"A case can keep at most {self.trust.evidence_max_files} files; "
                    f"{name} was not added."
                )
            now = self.clock()
            evidence = Evidence(sha, name[:200], len(data), media_type[:100], actor, now, source)
            await self._commit(
                record,
                replace(case, evidence=(*case.evidence, evidence)),
                [Notice.CARD_UPDATE],
                at=now,
                actor=who(actor),
                kind="evidence_retained",
                summary=f"Evidence kept: {evidence.name} (SHA-256 {sha[:12]}…)",
                after={k: v for k, v in to_plain(evidence).items() if k != "captured_by"},
            )
            return evidence

        return await self._serialised(reference, op)

    def _check_approver(self, actor: Actor, case: Case) -> School:
        school = self.school_of(case)
        if not school.is_approver(actor.email):
            raise NotAllowed(
                f"Only {school.name}'s approvers can decide on {case.reference}: "
                f"{', '.join(school.approvers)}. Nothing was changed."
            )
        return school

    def _already(self, case: Case, actor: Actor) -> str:
        d = case.decision
        assert d is not None
        at = d.at.astimezone(self.trust.tz)
        by = (
            "You"
            if d.by.email == actor.email.lower() or d.by.user_id == actor.user_id
            else (d.by.name or d.by.email)
        )
        return f"{by} already {d.kind.value} {case.reference} at {at:%H:%M on %d %b %Y}."

    async def _decision_precheck(
        self, reference: str, actor: Actor, version: int
    ) -> tuple[CaseFile, Outcome | None]:
        record = await self.get(reference)
        case = record.case
        self._check_approver(actor, case)
        if case.decision is not None:
            return record, Outcome(case, False, self._already(case, actor))
        if version != case.version:
            raise StaleVersion(
                f"{case.reference} changed since this card was shown (it is now "
                f"{case.status.label.lower()}). The card has been refreshed: please look again."
            )
        return record, None

    async def check_decision(self, reference: str, actor: Actor, version: int) -> Outcome | None:
        """Before asking for a reason: raises NotAllowed or StaleVersion, or says it is done."""
        _, done = await self._decision_precheck(reference, actor, version)
        return done

    async def approve(
        self,
        reference: str,
        actor: Actor,
        version: int,
        actions: Sequence[str],
        other_action: str = "",
    ) -> Outcome:
        """Approve the ticked actions; exactly one decision however many clicks arrive."""
        known = [a.id for a in self.policy.actions]
        actions = [a for a in known if a in set(actions)]
        other_action = other_action.strip()
        errors = {}
        if not actions:
            errors["actions"] = "Tick at least one action to approve, or decline the report."
        if "other_action" in actions and not other_action:
            errors["other_action"] = "Say what the other action (5.1.8) is."
        if other_action:
            errors.update(text_errors(other_action, "other_action", ""))

        async def op() -> Outcome:
            record, done = await self._decision_precheck(reference, actor, version)
            if done:
                return done
            if errors:
                raise FormErrors(errors)
            decision = Decision(
                DecisionKind.APPROVED, actor, self.clock(), tuple(actions), other_action
            )
            return await self._decide(record, decision, Status.APPROVED)

        return await self._serialised(reference, op)

    async def decline(self, reference: str, actor: Actor, version: int, reason: str) -> Outcome:
        reason = reason.strip()

        async def op() -> Outcome:
            record, done = await self._decision_precheck(reference, actor, version)
            if done:
                return done
            check_text(reason, "reason", "Say why the report is declined; the reporter is told.")
            decision = Decision(DecisionKind.DECLINED, actor, self.clock(), reason=reason)
            return await self._decide(record, decision, Status.DECLINED)

        return await self._serialised(reference, op)

    async def _decide(self, record: CaseFile, decision: Decision, status: Status) -> Outcome:
        case = record.case
        check_transition(case.status, status)
        timeline = append(
            record.timeline,
            at=decision.at,
            actor=who(decision.by),
            kind=f"decision_{decision.kind.value}",
            summary=f"{decision.kind.value.capitalize()} by {decision.by.email}",
            before={"status": case.status.value, "version": case.version},
            after={
                "status": status.value,
                "version": case.version + 1,
                "actions": list(decision.actions),
                "other_action": decision.other_action,
                "reason": decision.reason,
            },
        )
        tasks = make_tasks(decision, self.policy, self.trust.hours)
        case = replace(
            case, status=status, decision=decision, version=case.version + 1, tasks=tasks
        )
        if tasks:
            timeline = append(
                timeline,
                at=decision.at,
                actor=BOT,
                kind="tasks_created",
                summary=f"{len(tasks)} task(s) for {decision.by.email}",
                after={"tasks": [task_facts(t) for t in tasks]},
            )
        notices = [Notice.CARD_UPDATE, Notice.DECISION_NOTE, Notice.DECISION_TO_REPORTER]
        if "warning_letter" in decision.actions:
            notices.append(Notice.LETTER_DRAFT)
        await self._save(record, case, timeline, notices)
        return Outcome(case, True)

    async def ask_more_info(
        self, reference: str, actor: Actor, version: int, question: str
    ) -> Outcome:
        question = question.strip()

        async def op() -> Outcome:
            record = await self.get(reference)
            case = record.case
            self._check_approver(actor, case)
            last = case.info_requests[-1] if case.info_requests else None
            if (
                last
                and not last.answer
                and last.question == question
                and last.asked_by.email == actor.email.lower()
            ):
                return Outcome(
                    case,
                    False,
                    "You already asked this; the reporter has been sent it.",
                )
            record, done = await self._decision_precheck(reference, actor, version)
            if done:
                return done
            check_text(question, "question", "Write the question for the reporter.")
            status = check_transition(case.status, Status.MORE_INFO_REQUESTED)
            now = self.clock()
            request = InfoRequest(question, actor, now)
            return await self._commit(
                record,
                replace(
                    case,
                    status=status,
                    version=case.version + 1,
                    info_requests=(*case.info_requests, request),
                ),
                [Notice.CARD_UPDATE, Notice.INFO_QUESTION],
                at=now,
                actor=who(actor),
                kind="more_info_requested",
                summary=f"More information asked for by {actor.email}",
                before={"status": case.status.value, "version": case.version},
                after={"status": status.value, "version": case.version + 1, "question": question},
            )

        return await self._serialised(reference, op)

    async def add_information(self, reference: str, actor: Actor, answer: str) -> Outcome:
        """The reporter answers the open question; the case goes back to awaiting a decision."""
        answer = answer.strip()

        async def op() -> Outcome:
            record = await self.get(reference)
            case = record.case
            if actor.email.lower() != case.reporter.email.lower():
                raise NotAllowed(f"Only the person who reported {case.reference} can answer.")
            pending = [n for n, r in enumerate(case.info_requests) if not r.answer]
            if not pending or case.status is not Status.MORE_INFO_REQUESTED:
                return Outcome(case, False, "There is no open question on this case any more.")
            check_text(answer, "answer", "Write your answer.", MAX_REASON * 2)
            now = self.clock()
            n = pending[-1]
            status = check_transition(case.status, Status.AWAITING_DECISION)
            requests = list(case.info_requests)
            requests[n] = replace(requests[n], answer=answer, answered_at=now)
            return await self._commit(
                record,
                replace(
                    case, status=status, version=case.version + 1, info_requests=tuple(requests)
                ),
                [Notice.INFO_ANSWER, Notice.CARD_UPDATE],
                at=now,
                actor=who(actor),
                kind="information_added",
                summary=f"The reporter answered: {len(answer)} characters",
                before={"status": case.status.value, "version": case.version},
                after={"status": status.value, "version": case.version + 1, "answer": answer},
            )

        return await self._serialised(reference, op)

    # after the decision

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
                f"Only the task's owner ({task.owner.name or task.owner.email}) or the "
                "school's leads can change it. Nothing was changed."
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

    # form drafts: a report's answers so far, kept between the form's steps

    async def keep_draft(self, table: str, key: str, value: dict[str, Any]) -> None:
        """Save a form's answers so far, stamped so that an abandoned form can be forgotten."""
        await self.store.put_value(table, key, {**value, "saved_at": self.clock().isoformat()})

    async def forget_old_drafts(self, tables: Sequence[str], days: int = DRAFT_DAYS) -> int:
        """Drop the drafts of forms left for `days` days; how many. A draft without a readable
        stamp (one kept before drafts were stamped) is stamped now, and forgotten `days` days
        later, not at once."""
        cutoff = self.clock() - timedelta(days=days)
        forgotten = 0
        for table in tables:
            for key, value in (await self.store.values(table)).items():
                try:
                    saved = datetime.fromisoformat(value["saved_at"])
                except (KeyError, TypeError, ValueError):
                    await self.keep_draft(table, key, value)
                    continue
                if saved < cutoff:
                    await self.store.delete_value(table, key)
                    forgotten += 1
        return forgotten

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
                for task in due_reminders(case, now):
                    if hours.next_open(now) != now or not case.status.is_open:
                        later = hours.next_open(now) if case.status.is_open else None
                        tasks = replace_task(tasks, replace(task, remind_at=later))
                        continue
                    tasks = replace_task(tasks, after_reminder(task, now, hours))
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

    # the outbox

    def _queue(
        self,
        outbox: Sequence[OutboxMessage],
        platform: str,
        notices: Sequence[Notice],
        details: Sequence[str] = (),
    ) -> tuple[OutboxMessage, ...]:
        now = self.clock()
        details = list(details) or [""] * len(notices)
        new = [
            OutboxMessage(uuid.uuid4().hex, n, platform, now, detail)
            for n, detail in zip(notices, details, strict=True)
        ]
        return (*outbox, *new)

    async def _save(
        self,
        record: CaseFile,
        case: Case,
        timeline: tuple[Any, ...],
        notices: Sequence[Notice] = (),
        detail: str = "",
    ) -> CaseFile:
        details = [detail if n is Notice.TASK_ASSIGNED else "" for n in notices]
        outbox = self._queue(record.outbox, case.reporter.platform, notices, details)
        saved = CaseFile(case, timeline, outbox, record.revision + 1)
        await self.store.save(saved)
        if notices:
            self._changed()
        return saved

    async def _commit(
        self,
        record: CaseFile,
        case: Case,
        notices: Sequence[Notice] = (),
        *,
        detail: str = "",
        **event: Any,
    ) -> Outcome:
        """Save the changed case with one more timeline event (event: append's keywords)."""
        timeline = append(record.timeline, **event)
        await self._save(record, case, timeline, notices, detail)
        return Outcome(case, True)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    async def delivered(
        self, reference: str, message_id: str, refs: Sequence[MessageRef] = ()
    ) -> None:
        """Mark an outbox message delivered, keep where its cards now live, note it."""

        async def op() -> None:
            record = await self.get(reference)
            now = self.clock()
            outbox = tuple(
                replace(m, delivered_at=now, attempts=m.attempts + 1) if m.id == message_id else m
                for m in record.outbox
            )
            msg = next(m for m in record.outbox if m.id == message_id)
            kept = [
                m
                for m in record.case.messages
                if not any(
                    (m.platform, m.purpose, m.conversation)
                    == (r.platform, r.purpose, r.conversation)
                    for r in refs
                )
            ]
            case = replace(record.case, messages=(*kept, *refs))
            timeline = append(
                record.timeline,
                at=now,
                actor=BOT,
                kind="notified",
                summary=f"Delivered on {msg.platform}: {msg.notice.value}",
                after={
                    "notice": msg.notice.value,
                    "platform": msg.platform,
                    "messages": len(refs),
                },
            )
            await self.store.save(CaseFile(case, timeline, outbox, record.revision + 1))

        return await self._serialised(reference, op)

    async def note_sent(self, reference: str, message_id: str, entry: str) -> None:
        """One target of an outbox message reached: kept, so a retry does not send it twice."""

        async def op() -> None:
            record = await self.get(reference)
            outbox = tuple(
                replace(m, sent=(*m.sent, entry))
                if m.id == message_id and entry not in m.sent
                else m
                for m in record.outbox
            )
            await self.store.save(replace(record, outbox=outbox, revision=record.revision + 1))

        return await self._serialised(reference, op)

    async def delivery_failed(
        self, reference: str, message_id: str, error: str, retry_at: datetime
    ) -> None:
        async def op() -> None:
            record = await self.get(reference)
            outbox = tuple(
                replace(
                    m,
                    attempts=m.attempts + 1,
                    next_attempt_at=retry_at,
                    last_error=error[:200],
                )
                if m.id == message_id
                else m
                for m in record.outbox
            )
            await self.store.save(replace(record, outbox=outbox, revision=record.revision + 1))

        return await self._serialised(reference, op)
