"""Teams through SIGKILL: how often a card or message goes out twice, and every copy healed.

The Bot Connector gives a bot no history to look in, so a kill between the connector taking an
activity and the store recording it sends it again on restart: at least once, not exactly once.
The test measures that rate (printed, not asserted) under the kills the Slack test uses, and
checks that every copy of every approval card shows the case as it stands once it is viewed:
a refresh returns the current card, and a copy the bot never recorded is edited for everyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

from bot.storage.tinydb_store import TinyDBStore
from cards.teams import CASE, REFRESH
from tests.cards.adaptive import cards_in
from tests.e2e.harness import ServerProcess, base_env
from tests.e2e.teams_support import DEPUTY, DSL, EVERYONE, HEAD, LEADERSHIP, Teams
from tests.fakes import teams_activities as ta
from tests.fakes.connector import ConnectorCall, FakeConnector
from tests.faults.support import FULL

KILLS = 50 if FULL else 20
LATENCY = 0.15
REPORTERS = (
    ta.TEACHER,
    ta.TeamsUser(
        "29:1teacher3OakPrimary",
        "be6c7b80-0000-4f60-8a71-92b3c4d5e6fc",
        "Theo Teacher",
        "teacher3@oakprimary.example",
    ),
    ta.TeamsUser(
        "29:1teacher4OakPrimary",
        "cf7d8c91-0000-4f60-8a71-92b3c4d5e6fd",
        "Tara Teacher",
        "teacher4@oakprimary.example",
    ),
)
LOST = (aiohttp.ClientError, asyncio.TimeoutError, AssertionError, ConnectionError, KeyError)
REFERENCE = re.compile(r"OAK-\d{4}-\d{4,}")


def reference_in(card: dict[str, Any]) -> str:
    found = REFERENCE.search(json.dumps(card))
    assert found, card
    return found[0]


def channel_cards(connector: FakeConnector) -> list[ConnectorCall]:
    """Approval cards posted as new threads in the leadership channel."""
    return [
        c
        for c in connector.of_kind("create_conversation")
        if c.ok and ((c.body or {}).get("channelData") or {}).get("channel", {}).get("id")
    ]


async def reporter(teams: Teams, user: ta.TeamsUser, acked: set[str], rng: random.Random) -> None:
    with contextlib.suppress(*LOST):
        while True:
            acked.add(reference_in(await teams.report(user)))
            cards = channel_cards(teams.connector)
            if cards and rng.random() < 0.5:
                card = rng.choice(cards)
                ref = REFERENCE.search(json.dumps(card.activity))[0]  # type: ignore[index]
                thread = ta.TeamsConversation.channel(LEADERSHIP, message_id=card.result_id)
                await teams.execute(
                    HEAD,
                    "case_approve",
                    {CASE: f"{ref}:1", "decision_actions": "discuss"},
                    conversation=thread,
                    reply_to_id=card.response.get("activityId"),
                )
            await asyncio.sleep(rng.uniform(0.5, 1.5))


async def drained(url: str, http: aiohttp.ClientSession, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with http.get(f"{url}/healthz") as r:
            if (await r.json())["store"]["pending_outbox"] == 0:
                return
        await asyncio.sleep(0.3)
    raise AssertionError("the outbox did not drain after the last restart")


def twice(keys: list[str]) -> int:
    return sum(n - 1 for n in Counter(keys).values() if n > 1)


async def test_teams_under_sigkill_duplicate_rate_and_every_copy_current(tmp_path: Path):
    rng = random.Random(20261208)
    acked: set[str] = set()
    data = tmp_path / "data"
    async with FakeConnector(latency=LATENCY) as connector, aiohttp.ClientSession() as http:
        for user in (*EVERYONE, *REPORTERS):
            connector.members[user.id] = user.member()
        server = ServerProcess(base_env(data))
        teams = Teams(server, connector, http)  # type: ignore[arg-type]  # posts to server.url
        await server.start(timeout=30)
        for user in (HEAD, DEPUTY, DSL, *REPORTERS):
            await teams.install(user)
        for _ in range(KILLS):
            tasks = [asyncio.create_task(reporter(teams, u, acked, rng)) for u in REPORTERS]
            await asyncio.sleep(rng.uniform(0.3, 2.5))
            server.kill()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await server.start(timeout=30)
        try:
            await drained(server.url, http, timeout=180)
            await asyncio.sleep(1.0)

            cards = channel_cards(connector)
            by_case = Counter(reference_in(c.activity) for c in cards)
            receipts = [
                f"{c.conversation_id} {reference_in(c.activity)}"
                for c in connector.sent()
                if "received" in json.dumps(c.activity)
            ]
            entries = len(by_case) + len(set(receipts))
            extra = twice([reference_in(c.activity) for c in cards]) + twice(receipts)
            print(
                f"\nTeams, {KILLS} kills, {len(acked)} reports: {extra} of {entries} cards and "
                f"receipts went out twice ({100 * extra / max(entries, 1):.1f}%); "
                f"cases with two cards: {sum(1 for n in by_case.values() if n > 1)}"
            )

            store = TinyDBStore(data)
            await store.open()
            try:
                stored = {r: await store.load(r) for r in await store.references()}
            finally:
                await store.close()
            assert acked <= set(stored), f"acknowledged but lost: {sorted(acked - set(stored))}"

            # Every copy, viewed once more: the refresh shows the case as stored, and a copy
            # the bot did not record is edited for everyone (Teams' other viewers).
            for call in cards:
                ref = reference_in(call.activity)
                record = stored[ref]
                assert record is not None
                activity_id = call.response["activityId"]
                recorded = {m.message_id for m in record.case.messages if m.platform == "teams"}
                before = len(connector.updates())
                thread = ta.TeamsConversation.channel(LEADERSHIP, message_id=activity_id)
                shown = await teams.execute(
                    HEAD,
                    REFRESH,
                    {CASE: f"{ref}:{record.case.version}"},
                    conversation=thread,
                    reply_to_id=activity_id,
                )
                assert reference_in(shown) == ref
                decided = record.case.decision is not None
                assert ("case_approve" in json.dumps(shown)) is not decided, (ref, decided)
                if activity_id not in recorded:
                    edits = [
                        u for u in connector.updates()[before:] if u.activity_id == activity_id
                    ]
                    assert edits, f"an unrecorded copy of {ref}'s card was not edited"
                    [copy] = cards_in(edits[-1].body.get("attachments") or [])
                    waiting = "Waiting for a decision" in json.dumps(copy)
                    assert waiting is not decided, (ref, "the copy was edited to a stale state")
        finally:
            server.stop()
