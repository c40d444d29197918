"""Deciding: approve, decline, ask the reporter for more, and the reporter's answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.config import School
from bot.corrections import CORRECTABLE, corrected, value_errors
from bot.errors import (
    FormErrors,
    NotAllowed,
    StaleVersion,
)
from bot.follow_through import (
    make_tasks,
)
from bot.models import (
    Actor,
    Case,
    CaseFile,
    Correction,
    Decision,
    DecisionKind,
    InfoRequest,
    Notice,
    Status,
    Urgency,
    check_transition,
)
from bot.service.core import (
    BOT,
    MAX_REASON,
    Outcome,
    ServiceCore,
    check_text,
    task_facts,
    text_errors,
    who,
)
from bot.timeline import append

HELD_MESSAGE = (
    "The conversation with the parent is held back: the DSL's advice is awaited (the trust's "
    "safeguarding practice, Keeping Children Safe in Education Part 4). Untick it to approve the "
    "rest, or approve once the DSL has advised that it may go ahead. Nothing was changed."
)


class Deciding(ServiceCore):
    """An approver decides a case, exactly once."""

    def _check_approver(self, actor: Actor, case: Case) -> School:
        school = self.school_of(case)
        if not school.is_approver(actor.email):
            who = (
                "the trust's escalation contacts (the post is about one of the school's deciders)"
                if case.recommendation.escalated
                else f"{school.name}'s approvers"
            )
            raise NotAllowed(f"Only {who} can decide on {case.reference}. Nothing was changed.")
        return school

    def _already(self, case: Case, actor: Actor) -> str:
        d = case.decision
        if d is None:  # only asked of a decided case; an assert would vanish under -O
            raise ValueError(f"{case.reference} has no decision")
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
        known = [a.id for a in self.policy.actions if not a.referral]
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
            held = [a for a in record.case.recommendation.actions if a.held_back]
            if any(a.action_id in actions for a in held):
                raise FormErrors({"actions": HELD_MESSAGE})
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
        tasks = make_tasks(
            decision,
            self.trust.due_days,
            self.trust.hours,
            first=len(case.tasks) + 1,
            urgent=case.urgency is Urgency.URGENT,
        )
        case = replace(
            case,
            status=status,
            decision=decision,
            version=case.version + 1,
            tasks=(*case.tasks, *tasks),  # the DSL's referral tasks, from filing, stay
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

    async def correct_answer(
        self, reference: str, actor: Actor, field: str, value: str, reason: str
    ) -> Outcome:
        """An approver corrects a submitted answer: a new timeline event with the old and new
        value and the reason; the report as filed is kept (design 5: court-safe records)."""
        value, reason = value.strip(), reason.strip()

        async def op() -> Outcome:
            record = await self.get(reference)
            case = record.case
            self._check_approver(actor, case)
            errors = value_errors(field, value)
            errors.update(text_errors(reason, "reason", "Say why the answer is corrected."))
            if errors:
                raise FormErrors(errors)
            before = str(getattr(corrected(case.answers, case.corrections), field))
            if before == value:
                return Outcome(case, False, "That is what the answer says already.")
            now = self.clock()
            correction = Correction(field, before, value, reason, actor, now)
            label = CORRECTABLE[field][0]
            return await self._commit(
                record,
                replace(
                    case,
                    version=case.version + 1,
                    corrections=(*case.corrections, correction),
                ),
                [Notice.CARD_UPDATE],
                at=now,
                actor=who(actor),
                kind="answer_corrected",
                summary=f"Answer corrected by {actor.email}: {label}",
                before={field: before, "version": case.version},
                after={field: value, "version": case.version + 1, "reason": reason},
            )

        return await self._serialised(reference, op)
