"""Delivery bookkeeping: what the outbox sent, where the cards now live, what failed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from bot.models import (
    NOTE,
    CaseFile,
    MessageRef,
)
from bot.service.core import (
    BOT,
    ServiceCore,
)
from bot.timeline import append


def replaces(new: MessageRef, old: MessageRef) -> bool:
    """A card posted again in a conversation replaces its ref there; notes are each kept."""
    if (new.platform, new.purpose, new.conversation) != (
        old.platform,
        old.purpose,
        old.conversation,
    ):
        return False
    return new.purpose != NOTE or new.message_id == old.message_id


class Delivery(ServiceCore):
    """The outbox worker records each delivery here."""

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
            kept = [m for m in record.case.messages if not any(replaces(r, m) for r in refs)]
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

    async def in_flight(self, reference: str, message_id: str) -> datetime:
        """Durably mark an outbox message as being sent, before the platform is called.

        The first mark is kept through retries: a search for an earlier copy starts from it.
        """

        async def op() -> datetime:
            record = await self.get(reference)
            now = self.clock()
            message = next(m for m in record.outbox if m.id == message_id)
            if message.in_flight_at is not None:
                return message.in_flight_at
            outbox = tuple(
                replace(m, in_flight_at=now) if m.id == message_id else m for m in record.outbox
            )
            await self.store.save(replace(record, outbox=outbox, revision=record.revision + 1))
            return now

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
