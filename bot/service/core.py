"""The service's core: locks, commit with retry on conflict, the outbox queue, reading cases."""

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
    FormErrors,
    UnknownCase,
)
from bot.forms import Section
from bot.models import (
    Actor,
    Case,
    CaseFile,
    CaseSummary,
    Notice,
    OutboxMessage,
    Task,
    TimelineEvent,
)
from bot.policy import Policy
from bot.sight import sight
from bot.storage.port import Store
from bot.timeline import append

BOT = "bot"
ESCALATED = "escalated_cases"  # value table: references of cases about one of a school's deciders
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


class ServiceCore:
    """Shared by every use case: per-case serialising, commit with a timeline event, the outbox."""

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
        # The platforms the bot runs on (set by the composition root): urgent alerts go to each.
        self.platforms: tuple[str, ...] = ()

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

    def schools_for(self, actor: Actor) -> tuple[School, ...]:
        return self.trust.schools_for(actor.email)

    def school_of(self, case: Case) -> School:
        """The case's school as its deciders see it: when the post is about one of the school's
        deciders, the trust's escalation contacts take their place, by direct message, and the
        school's approvers neither decide nor see the case (design section 2)."""
        school = self.trust.school(case.school_id)
        if school is None:
            raise UnknownCase(f"{case.reference} belongs to a school no longer in the trust file")
        contacts = self.trust.escalation_contacts
        if case.recommendation.escalated and contacts:
            return replace(
                school,
                approvers=contacts,
                safeguarding_leads=tuple(
                    e for e in school.safeguarding_leads if e not in school.approvers
                ),
                slack_leadership_channel="",
                teams_leadership_channel="",
            )
        return school

    def is_subject_decider(self, email: str, case: Case) -> bool:
        """One of the school's own deciders, on a case that is about one of them."""
        school = self.trust.school(case.school_id)
        email = email.lower()
        return bool(
            school
            and case.recommendation.escalated
            and self.trust.escalation_contacts
            and email in school.approvers
            and email not in self.trust.escalation_contacts
        )

    def can_view(self, actor: Actor, case: Case) -> bool:
        """Whether the person may open the case at all (bot/sight.py: what of it they see)."""
        return sight(actor.email, case, self.school_of(case)).any

    async def get(self, reference: str) -> CaseFile:
        record = await self.store.load(reference)
        if record is None:
            raise UnknownCase(f"There is no case {reference}.")
        return record

    async def visible(self, actor: Actor, open_only: bool = True) -> list[CaseSummary]:
        """Cases this person may see: their schools' if they lead one, and their own reports; a
        case about one of a school's deciders for the escalation contacts, not for the deciders."""
        led = {s.id for s in self.trust.led_by(actor.email)}
        email = actor.email.lower()
        contacts = self.trust.escalation_contacts
        escalated = await self.store.values(ESCALATED) if contacts else {}

        def sees(s: CaseSummary) -> bool:
            if s.reporter_email == email:
                return True
            if s.reference in escalated:
                school = self.trust.school(s.school_id)
                if email in contacts:
                    return True
                if school and email in school.approvers:
                    return False
            return s.school_id in led

        rows = [
            s
            for s in await self.store.summaries()
            if sees(s) and (s.status.is_open or not open_only)
        ]
        return sorted(rows, key=lambda s: (-s.urgency.rank, s.created_at), reverse=False)

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
