"""Teams: a copy of an approval card the bot never recorded shows the case as it stands once viewed.

Teams gives a bot no history to look in before it sends again after a crash, so a second copy of
a card can exist; its refresh or click must not leave it stale for anyone.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from cards.teams import CASE, REFRESH
from tests.cards.adaptive import cards_in
from tests.e2e.teams_support import HEAD, LEADERSHIP, TEACHER, Teams, teams_world
from tests.fakes import teams_activities as ta

UNRECORDED = "1700000009999"  # a copy the connector took before the kill; the store never knew


@pytest.fixture
async def world(tmp_path) -> AsyncIterator[Teams]:
    async with teams_world(tmp_path / "data") as teams:
        yield teams


async def decided_case(world: Teams) -> str:
    await world.install(HEAD)
    await world.install(TEACHER)
    card = await world.report(TEACHER)
    reference = card["body"][0]["text"].split()[1]
    await world.server.idle()
    await world.execute(
        HEAD, "case_approve", {CASE: f"{reference}:1", "decision_actions": "discuss"}
    )
    await world.server.idle()
    return reference


def thread(activity_id: str) -> ta.TeamsConversation:
    return ta.TeamsConversation.channel(LEADERSHIP, message_id=activity_id)


@pytest.mark.parametrize("verb", [REFRESH, "case_approve"])
async def test_a_view_of_an_unrecorded_copy_edits_it_to_the_current_state(
    world: Teams, verb: str
) -> None:
    reference = await decided_case(world)
    before = len(world.connector.updates())
    data = {CASE: f"{reference}:1", "decision_actions": "discuss"}
    shown = await world.execute(
        HEAD, verb, data, conversation=thread(UNRECORDED), reply_to_id=UNRECORDED
    )
    assert "case_approve" not in json.dumps(shown)  # the clicker sees it decided
    [edit] = [u for u in world.connector.updates()[before:] if u.activity_id == UNRECORDED]
    [copy] = cards_in(edit.body.get("attachments") or [])
    assert "Waiting for a decision" not in json.dumps(copy)
    assert "Approved by" in json.dumps(copy)  # and so does everyone else, from now on
    record = await world.server.service.get(reference)
    assert [k for k in (e.kind for e in record.timeline) if k.startswith("decision_")] == [
        "decision_approved"
    ]


async def test_a_refresh_of_the_recorded_card_does_not_edit_it_again(world: Teams) -> None:
    reference = await decided_case(world)
    [ref] = (await world.server.service.get(reference)).case.message("teams", "approval")
    before = len(world.connector.updates())
    shown = await world.execute(
        HEAD,
        REFRESH,
        {CASE: f"{reference}:1"},
        conversation=thread(ref.message_id),
        reply_to_id=ref.message_id,
    )
    assert "case_approve" not in json.dumps(shown)
    assert world.connector.updates()[before:] == []  # the outbox keeps that one current
