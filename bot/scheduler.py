"""Fires due reminders every minute; the schedule itself lives in the store."""

from __future__ import annotations

import asyncio
import logging

from bot.background import BackgroundLoop
from bot.service import CaseService

log = logging.getLogger(__name__)


class ReminderLoop(BackgroundLoop):
    name = "reminders"

    def __init__(
        self, service: CaseService, interval: float = 60.0, first_after: float = 5.0
    ) -> None:
        self.service = service
        self.interval = interval
        self.first_after = first_after

    async def _run(self) -> None:
        # A pass needs every case's summary, which the store builds after start-up (most of a
        # second of CPU at 100,000 cases): the first pass waits until the server is up.
        await asyncio.sleep(self.first_after)
        while True:
            try:
                queued = await self.service.fire_reminders()
                if queued:
                    log.info("queued %d reminder(s)", queued)
            except Exception:
                log.exception("reminder pass failed; trying again next minute")
            await asyncio.sleep(self.interval)
