"""Delivers queued notifications in order per case, retrying with backoff until they arrive."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.background import BackgroundLoop
from bot.models import CaseFile, MessageRef, OutboxMessage
from bot.service import CaseService, utcnow

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """The platform could not take the message now; retry_after is its hint in seconds."""

    def __init__(self, why: str, retry_after: float | None = None) -> None:
        super().__init__(why)
        self.retry_after = retry_after


class NotYet(Exception):
    """Nothing was sent: the platform's pace for that conversation allows it in seconds."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"not before {seconds:.1f}s")
        self.seconds = seconds


Mark = Callable[[], Awaitable[None]]


class Sender(Protocol):
    """A platform's way of delivering a notice; returns where any card it posted lives.

    message.in_flight_at set means an earlier attempt may have reached the platform. The
    worker marks the message in flight before deliver, unless the sender says it marks it
    itself (`marks_in_flight`), right before each platform call, given `mark=`.
    """

    async def deliver(self, record: CaseFile, message: OutboxMessage) -> Sequence[MessageRef]: ...


class OutboxWorker(BackgroundLoop):
    name = "outbox"

    def __init__(
        self,
        service: CaseService,
        senders: Mapping[str, Sender],
        clock: Callable[[], datetime] = utcnow,
        max_backoff: float = 300.0,
        concurrency: int = 32,
        lease_seconds: float = 30.0,
        idle_poll: float = 30.0,
    ) -> None:
        self.service = service
        self.senders = dict(senders)
        self.clock = clock
        self.max_backoff = max_backoff
        self._wake = asyncio.Event()
        self._gate = asyncio.Semaphore(concurrency)
        # Several instances may share a store: a case's messages go out from one at a time.
        self.lease_seconds = lease_seconds
        self.idle_poll = idle_poll
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        # By platform, since start-up, for /metrics.
        self.delivered: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self._not_before: dict[str, float] = {}  # case -> when its sender's pace lets it go on
        service.on_change(self.wake)

    def wake(self) -> None:
        self._wake.set()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                waiting = await self.drain()
            except Exception:
                log.exception("outbox pass failed; trying again shortly")
                waiting = True
            pause = 1.0 if waiting else self.idle_poll
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=pause)
            except TimeoutError:
                pass

    async def drain(self) -> bool:
        """One pass over every case with pending messages; True if some still wait."""
        references = await self.service.store.with_pending_outbox()
        now = time.monotonic()
        paced = [r for r in references if self._not_before.get(r, 0.0) > now]
        ready = [r for r in references if r not in paced]
        results = await asyncio.gather(*(self._deliver_case(r) for r in ready))
        return bool(paced) or any(results)

    async def _deliver_case(self, reference: str) -> bool:
        async with self._gate:
            # A token per pass, so two passes in this process exclude each other too.
            owner = f"{self.owner}:{uuid.uuid4().hex[:8]}"
            if not await self.service.store.lease(reference, owner, self.lease_seconds):
                return True  # another instance is delivering; look again later
            try:
                return await self._deliver_leased(reference, owner)
            finally:
                await self.service.store.release(reference, owner)

    async def _deliver_leased(self, reference: str, owner: str) -> bool:
        store = self.service.store
        record = await store.load(reference)  # loaded after leasing: sees the last holder's work
        while record is not None:
            message = next(iter(record.pending), None)
            if message is None:
                return False
            if message.next_attempt_at and message.next_attempt_at > self.clock():
                return True
            sender = self.senders.get(message.platform)
            if sender is None:
                return False  # that platform is not enabled here: keep it for when it is
            if not await store.lease(reference, owner, self.lease_seconds):
                return True  # our lease ran out and another instance took the case over

            # Durably in flight before the platform hears of it: a kill from there until it is
            # recorded leaves the mark, and the next attempt (given the message as it was, its
            # earlier mark if any) looks for what may have arrived before sending again.
            async def mark(message_id: str = message.id) -> None:
                await self.service.in_flight(reference, message_id)

            try:
                if getattr(sender, "marks_in_flight", False):
                    refs = await sender.deliver(record, message, mark=mark)  # type: ignore[call-arg]
                else:
                    await mark()
                    refs = await sender.deliver(record, message)
            except NotYet as exc:  # paced, nothing sent: no failure, the case waits its turn
                self._not_before[reference] = time.monotonic() + exc.seconds
                return True
            except Exception as exc:  # any failure is retried; the case stays as it was
                await self._failed(reference, message, exc)
                return True
            self._not_before.pop(reference, None)
            await self.service.delivered(reference, message.id, refs)
            self.delivered[message.platform] += 1
            log.info("delivered %s for %s on %s", message.notice.value, reference, message.platform)
            record = await store.load(reference)
        return False

    async def _failed(self, reference: str, message: OutboxMessage, exc: Exception) -> None:
        self.failures[message.platform] += 1
        hint = exc.retry_after if isinstance(exc, RetryLater) else None
        delay = hint if hint is not None else min(self.max_backoff, 2.0**message.attempts)
        retry_at = self.clock() + timedelta(seconds=delay)
        why = type(exc).__name__ if not isinstance(exc, RetryLater) else str(exc)
        log.warning(
            "could not deliver %s for %s on %s (attempt %d, %s); retrying in %.0fs",
            message.notice.value,
            reference,
            message.platform,
            message.attempts + 1,
            why,
            delay,
        )
        await self.service.delivery_failed(reference, message.id, why, retry_at)
