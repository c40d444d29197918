"""Need to know and the access log on Teams: "case REF" opens the card as that person may see
it and is logged; the automatic refresh of a card is not."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.models import Actor
from tests.e2e.teams_support import HEAD, TEACHER, Teams, chat, sent_card, teams_world

POLICE_REF = "CAD-4471-26"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[Teams]:
    async with teams_world(tmp_path / "data") as teams:
        yield teams


async def card_for(world: Teams, user, text: str) -> str:  # noqa: ANN001
    """What the bot sent back to this person's chat after they typed text."""
    before = len(world.connector.sent(chat(user).id))
    status, _ = await world.say(user, text)
    assert status in (200, 201)
    for _ in range(200):
        sent = world.connector.sent(chat(user).id)[before:]
        if sent:
            return json.dumps(sent_card(sent[-1]), ensure_ascii=False)
        await asyncio.sleep(0.02)
    raise AssertionError(f"nothing came back for {text!r}")


async def test_case_ref_shows_each_person_their_part_and_is_logged(world: Teams) -> None:
    for user in (TEACHER, HEAD):
        await world.install(user)
    await world.report(TEACHER)
    service = world.server.service
    [ref] = await service.store.references()
    head = Actor("teams", HEAD.id, HEAD.email, HEAD.name)
    await service.approve(ref, head, 1, ["police", "warning_letter", "retain_evidence"])
    case = (await service.get(ref)).case
    police = next(t for t in case.tasks if t.action_id == "police")
    await service.complete_task(ref, head, police.id, "Reported to the police", POLICE_REF)
    await service.make_letter(ref, head)
    await world.server.idle()
    assert await service.access_log(ref) == []  # cards posted by the bot are not accesses

    theirs = await card_for(world, TEACHER, f"case {ref.lower()}")
    assert "The year 4 teacher is useless" in theirs
    assert "The school approved action on" in theirs
    for hidden in (POLICE_REF, "Reported to the police", "Warning letter", "5.1.3", "head@"):
        assert hidden not in theirs, hidden
    leads = await card_for(world, HEAD, f"case {ref}")
    assert POLICE_REF in leads and "Warning letter" in leads and "5.1.3" in leads

    log = await service.access_log(ref)
    assert [(e.kind.value, e.channel, e.actor.split(" ")[0]) for e in log] == [
        ("case_viewed", "teams", TEACHER.email),
        ("case_viewed", "teams", HEAD.email),
    ]

    # Teams refreshing the card by itself is no deliberate look: nothing is logged.
    refreshed = await world.execute(HEAD, "case_refresh", {"case": f"{ref}:{case.version}"})
    assert POLICE_REF in json.dumps(refreshed)
    assert len(await service.access_log(ref)) == 2

    stranger = await card_for(world, TEACHER, "case OAK-2026-9999")
    assert "There is no case OAK-2026-9999." in stranger
