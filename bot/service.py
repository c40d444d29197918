"""The use cases: the only place a case changes, each writing its timeline event."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from bot.config import School, Trust
from bot.errors import (
    Conflict,
    EvidenceRejected,
    FormErrors,
    NotAllowed,
    StaleVersion,
    UnknownCase,
)
from bot.forms import Section, report_form
from bot.models import (
    Actor,
    Answers,
    Case,
    CaseFile,
    CaseSummary,
    Decision,
    DecisionKind,
    Evidence,
    InfoRequest,
    MessageRef,
    Notice,
    OutboxMessage,
    Recommendation,
    Status,
    Urgency,
    check_transition,
    to_plain,
)
from bot.policy import Policy, evaluate
from bot.store import Store
from bot.timeline import append

BOT = "bot"
CONFLICT_RETRIES = 5
T = TypeVar("T")
MAX_REASON = 2000


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
        return report_form(self.policy, self.schools_for(actor))

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
        self, reporter: Actor, answers: Answers, submission_key: str
    ) -> tuple[Case, bool]:
        """File a report as a new case; a repeated submission returns the first case."""
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
            record = CaseFile(case, timeline, self._queue((), reporter.platform, notices))
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
            timeline = append(
                record.timeline,
                at=now,
                actor=who(actor),
                kind="evidence_retained",
                summary=f"Evidence kept: {evidence.name} (SHA-256 {sha[:12]}…)",
                after={k: v for k, v in to_plain(evidence).items() if k != "captured_by"},
            )
            case = replace(case, evidence=(*case.evidence, evidence))
            await self._save(record, case, timeline, [Notice.CARD_UPDATE])
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
        if len(other_action) > MAX_REASON:
            errors["other_action"] = f"Please keep this under {MAX_REASON} characters."

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
            if not reason:
                raise FormErrors(
                    {"reason": "Say why the report is declined; the reporter is told."}
                )
            if len(reason) > MAX_REASON:
                raise FormErrors({"reason": f"Please keep this under {MAX_REASON} characters."})
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
        case = replace(case, status=status, decision=decision, version=case.version + 1)
        notices = [
            Notice.CARD_UPDATE,
            Notice.DECISION_NOTE,
            Notice.DECISION_TO_REPORTER,
        ]
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
            if not question:
                raise FormErrors({"question": "Write the question for the reporter."})
            if len(question) > MAX_REASON:
                raise FormErrors({"question": f"Please keep this under {MAX_REASON} characters."})
            status = check_transition(case.status, Status.MORE_INFO_REQUESTED)
            now = self.clock()
            request = InfoRequest(question, actor, now)
            timeline = append(
                record.timeline,
                at=now,
                actor=who(actor),
                kind="more_info_requested",
                summary=f"More information asked for by {actor.email}",
                before={"status": case.status.value, "version": case.version},
                after={
                    "status": status.value,
                    "version": case.version + 1,
                    "question": question,
                },
            )
            case = replace(
                case,
                status=status,
                version=case.version + 1,
                info_requests=(*case.info_requests, request),
            )
            await self._save(record, case, timeline, [Notice.CARD_UPDATE, Notice.INFO_QUESTION])
            return Outcome(case, True)

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
            if not answer:
                raise FormErrors({"answer": "Write your answer."})
            if len(answer) > MAX_REASON * 2:
                raise FormErrors({"answer": f"Please keep this under {MAX_REASON * 2} characters."})
            now = self.clock()
            n = pending[-1]
            status = check_transition(case.status, Status.AWAITING_DECISION)
            requests = list(case.info_requests)
            requests[n] = replace(requests[n], answer=answer, answered_at=now)
            timeline = append(
                record.timeline,
                at=now,
                actor=who(actor),
                kind="information_added",
                summary=f"The reporter answered: {len(answer)} characters",
                before={"status": case.status.value, "version": case.version},
                after={
                    "status": status.value,
                    "version": case.version + 1,
                    "answer": answer,
                },
            )
            case = replace(
                case,
                status=status,
                version=case.version + 1,
                info_requests=tuple(requests),
            )
            await self._save(record, case, timeline, [Notice.INFO_ANSWER, Notice.CARD_UPDATE])
            return Outcome(case, True)

        return await self._serialised(reference, op)

    # the outbox

    def _queue(
        self, outbox: Sequence[OutboxMessage], platform: str, notices: Sequence[Notice]
    ) -> tuple[OutboxMessage, ...]:
        now = self.clock()
        new = [OutboxMessage(uuid.uuid4().hex, n, platform, now) for n in notices]
        return (*outbox, *new)

    async def _save(
        self,
        record: CaseFile,
        case: Case,
        timeline: tuple[Any, ...],
        notices: Sequence[Notice] = (),
    ) -> CaseFile:
        outbox = self._queue(record.outbox, case.reporter.platform, notices)
        saved = CaseFile(case, timeline, outbox, record.revision + 1)
        await self.store.save(saved)
        if notices:
            self._changed()
        return saved

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
