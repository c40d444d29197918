"""The trust office learns which deciders and leads a platform cannot reach yet: counted in
/readyz and the log (no emails there), named on Slack's App Home and the Teams register for
the leads only."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp

from tests.e2e.slack_support import World, world
from tests.e2e.teams_support import DEPUTY, HEAD, TEACHER, sent_card, teams_world
from tests.fakes.slack_session import HEAD as SLACK_HEAD
from tests.fakes.slack_session import TEACHER as SLACK_TEACHER

__all__ = ["world"]
# The example trust's deciders and leads; the fake Slack workspace has every one of them but
# the secondary school's safeguarding lead.
NOT_IN_SLACK = "dsl@oaksecondary.example"


async def readyz(url: str) -> dict:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/readyz") as r:
        return await r.json()


async def unreachable_counts(url: str, timeout: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = (await readyz(url))["unreachable_people"]
        if counts:
            return counts
        await asyncio.sleep(0.2)
    raise AssertionError("the first look at who can be reached did not happen")


async def home_text(w: World, user: str) -> str:
    published = len(w.api.calls_to("views.publish"))
    await w.slack.event({"type": "app_home_opened", "user": user, "tab": "home"})
    [*_, home] = await w.api.wait_for("views.publish", published + 1)
    return json.dumps(home.args["view"])


async def test_slack_names_who_it_cannot_reach_to_the_leads_only(world: World, caplog) -> None:
    w = world
    assert await unreachable_counts(w.server.url) == {"slack": 1}
    head = await home_text(w, SLACK_HEAD)
    assert f"Not reachable in Slack yet: {NOT_IN_SLACK}." in head
    assert "head@oakprimary.example" not in head  # those Slack knows are not listed
    assert "Not reachable" not in await home_text(w, SLACK_TEACHER)
    assert "slack: 1 of 6 approvers and safeguarding leads cannot be reached yet" in caplog.text
    assert NOT_IN_SLACK not in caplog.text  # counts in the log, never the emails


async def test_teams_names_those_who_never_opened_the_bot(tmp_path) -> None:
    async with teams_world(tmp_path / "data") as world:
        await world.install(HEAD)
        await world.install(TEACHER)
        await world.say(HEAD, "cases")
        listing = sent_card((await world.wait_sent(len(world.connector.sent())))[-1])
        note = next(
            b["text"] for b in listing["body"] if b.get("text", "").startswith("Not reachable")
        )
        assert note.startswith("Not reachable in Teams yet: ")
        assert DEPUTY.email in note and "dsl@oakprimary.example" in note
        assert "head@oakprimary.example" not in note  # the head has opened the bot
        assert "app setup policy" in note
        await world.say(TEACHER, "cases")
        teacher = sent_card((await world.wait_sent(len(world.connector.sent())))[-1])
        assert "Not reachable" not in json.dumps(teacher)
        counts = await unreachable_counts(world.server.url)
        # The deputy, both leads and the chair never opened it; the head and teacher may have
        # by the time of the first look.
        assert 4 <= counts["teams"] <= 6
