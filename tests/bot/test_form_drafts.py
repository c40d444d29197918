"""Form drafts: stamped when kept, forgotten once a form has been left for DRAFT_DAYS."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.scheduler import ReminderLoop
from bot.service import DRAFT_DAYS, CaseService
from tests.conftest import Clock


async def test_abandoned_drafts_are_forgotten_and_fresh_ones_kept(service: CaseService, clock):
    store = service.store
    await service.keep_draft("drafts", "old", {"user": "U1", "values": {"post_text": "x"}})
    await service.keep_draft("web_drafts", "old", {"owner": "a@oak.example", "values": {}})
    clock.now += timedelta(days=DRAFT_DAYS, minutes=1)
    await service.keep_draft("drafts", "fresh", {"user": "U2", "values": {}})
    # A draft kept before drafts were stamped: stamped now, forgotten DRAFT_DAYS from now.
    await store.put_value("drafts", "legacy", {"user": "U3", "values": {}})
    await store.put_value("web_drafts", "odd", {"owner": "b@oak.example", "saved_at": "soon"})

    assert await service.forget_old_drafts(["drafts", "web_drafts"]) == 2
    assert set(await store.values("drafts")) == {"fresh", "legacy"}
    assert set(await store.values("web_drafts")) == {"odd"}  # stamped now, like "legacy"
    fresh = await store.get_value("drafts", "fresh")
    assert fresh == {"user": "U2", "values": {}, "saved_at": clock.now.isoformat()}
    assert (await store.get_value("drafts", "legacy"))["saved_at"] == clock.now.isoformat()

    clock.now += timedelta(days=DRAFT_DAYS - 1)
    assert await service.forget_old_drafts(["drafts", "web_drafts"]) == 0
    clock.now += timedelta(days=1, seconds=1)
    assert await service.forget_old_drafts(["drafts", "web_drafts"]) == 3
    assert await store.values("drafts") == {} and await store.values("web_drafts") == {}


async def test_the_reminder_pass_forgets_the_platforms_drafts(service: CaseService, clock: Clock):
    await service.keep_draft("drafts", "left", {"user": "U1", "values": {}})
    clock.now += timedelta(days=DRAFT_DAYS + 1)
    loop = ReminderLoop(service, interval=0.01, first_after=0, drafts=["drafts"])
    loop.start()
    try:
        for _ in range(200):
            if not await service.store.values("drafts"):
                break
            await asyncio.sleep(0.01)
    finally:
        await loop.stop()
    assert await service.store.values("drafts") == {}
