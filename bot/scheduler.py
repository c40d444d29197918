"""Fires due reminders every minute and forgets abandoned form drafts; runs retention daily.
The schedule itself lives in the store."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import date

from bot.background import BackgroundLoop
from bot.service import CaseService, RetentionReport

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
        self.reminders_queued = 0  # since start-up, for /metrics

    async def _run(self) -> None:
        # A pass needs every case's summary, which the store builds after start-up (most of a
        # second of CPU at 100,000 cases): the first pass waits until the server is up.
        await asyncio.sleep(self.first_after)
        while True:
            try:
                queued = await self.service.fire_reminders()
                self.reminders_queued += queued
                if queued:
                    log.info("queued %d reminder(s)", queued)
                forgotten = await self.service.forget_old_drafts(self.drafts)
                if forgotten:
                    log.info("forgot %d abandoned form draft(s)", forgotten)
            except Exception:
                log.exception("reminder pass failed; trying again next minute")
            await asyncio.sleep(self.interval)


class RetentionLoop(BackgroundLoop):
    """Once a day (on the service's clock, in the trust's time zone) the retention pass; every
    tick in between, the removals whose cards have been replaced since."""

    name = "retention"

    def __init__(self, service: CaseService, interval: float = 60.0, first_after: float = 300.0):
        self.service = service
        self.interval = interval
        self.first_after = first_after
        self.last_day: date | None = None

    async def tick(self) -> RetentionReport | None:
        """One look: the whole pass on a new day, else only the removals ready to finish."""
        today = self.service.today()
        if today == self.last_day:
            removed = await self.service.finish_removals()
            if removed:
                log.info("retention: removed %s", ", ".join(removed))
            return None
        report = await self.service.retention_pass()
        self.last_day = today
        log.info(
            "retention pass: %d flagged, %d in their grace period, %d being removed, "
            "%d removed, %d orphan file(s) removed",
            len(report.flagged),
            len(report.waiting),
            len(report.removing),
            len(report.removed),
            report.orphans,
        )
        return report

    async def _run(self) -> None:
        # Well after start-up: the pass reads every case once (to know which files are in use),
        # which can wait until the server has settled.
        await asyncio.sleep(self.first_after)
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("retention pass failed; trying again next tick")
            await asyncio.sleep(self.interval)
