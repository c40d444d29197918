"""Fires due reminders every minute, and forgets abandoned form drafts; the schedule itself
lives in the store."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from bot.background import BackgroundLoop
from bot.service import CaseService

log = logging.getLogger(__name__)


class ReminderLoop(BackgroundLoop):
    name = "reminders"

    def __init__(
        self,
        service: CaseService,
        interval: float = 60.0,
        first_after: float = 5.0,
        drafts: Sequence[str] = (),
    ) -> None:
        self.service = service
        self.interval = interval
        self.first_after = first_after
        self.drafts = tuple(drafts)  # the value tables of the platforms' form drafts

    async def _run(self) -> None:
        # A pass needs every case's summary, which the store builds after start-up (most of a
        # second of CPU at 100,000 cases): the first pass waits until the server is up.
        await asyncio.sleep(self.first_after)
        while True:
            try:
                queued = await self.service.fire_reminders()
                if queued:
                    log.info("queued %d reminder(s)", queued)
                forgotten = await self.service.forget_old_drafts(self.drafts)
                if forgotten:
                    log.info("forgot %d abandoned form draft(s)", forgotten)
            except Exception:
                log.exception("reminder pass failed; trying again next minute")
            await asyncio.sleep(self.interval)
