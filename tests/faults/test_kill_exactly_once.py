"""Exactly once through SIGKILL: three reporters at once, Slack's Web API answering in 150 ms.

Each kill may land between Slack taking a message and the store recording it; the restarted
server finds such a message in the conversation's history (by its metadata) instead of sending it
again. Checked on TinyDB and PostgreSQL, and with two instances on one PostgreSQL, one of them
killed again and again: no acknowledged report lost, one approval card per case, no direct
message or thread note twice, and every card showing its case as it now stands.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.models import CaseFile
from bot.storage.port import Store
from bot.storage.postgres_store import PostgresStore
from bot.storage.tinydb_store import TinyDBStore
from bot.timeline import verify
from tests.e2e.harness import ServerProcess, base_env
from tests.e2e.slack_support import STEP_PEOPLE, STEP_POST, STEP_WHAT
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_session import (
    HEAD,
    LEADERS,
    STAFFROOM,
    TOKEN,
    USERS,
    Modal,
    SlackClient,
    button_value,
    checkbox_state,
    slack_env,
)
from tests.fakes.slack_signing import FORM, command_body, new_trigger_id
from tests.faults.support import FULL, audit

KILLS = 50 if FULL else 20
LATENCY = 0.15
REPORTERS = {
    "UTEACH1": ("teacher@oakprimary.example", "Tess Teacher"),
    "UTEACH3": ("teacher3@oakprimary.example", "Theo Teacher"),
    "UTEACH4": ("teacher4@oakprimary.example", "Tara Teacher"),
}
LOST = (aiohttp.ClientError, asyncio.TimeoutError, AssertionError, ConnectionError, KeyError)
CASE_BUTTON = re.compile(r"^([A-Z][A-Z0-9]{1,7}-\d{4}-\d{4,}):(\d+)$")


async def open_form(slack: SlackClient, user: str) -> Modal:
    """/report-post, and the modal it opened (by trigger id: three people open forms at once)."""
    trigger = new_trigger_id()
    body = command_body("/report-post", "", user, channel_id=STAFFROOM, trigger_id=trigger)
    reply = await slack.post(body, FORM)
    assert reply.status == 200, reply.text
    calls = await slack.api.wait_for(
        "views.open", 1, timeout=5, predicate=lambda c: c.args.get("trigger_id") == trigger
    )
    view_id = slack.api.opened_by_trigger[trigger]
    return Modal(view_id, slack.api.views[view_id]["hash"], calls[-1].args["view"], user)


async def report(slack: SlackClient, user: str, acknowledged: set[str]) -> None:
    """A teacher's whole report; the reference counts once the modal showed it."""
    modal = await open_form(slack, user)
    for answers in (STEP_POST, STEP_PEOPLE, STEP_WHAT, {}):
        reply = await slack.submit(modal, answers)
        assert reply.status == 200, reply.text
    header = next(b for b in modal.view["blocks"] if b["type"] == "header")
    reference = header["text"]["text"].split()[1]
    assert reference.startswith("OAK-"), modal.view
    acknowledged.add(reference)


async def decide(slack: SlackClient, rng: random.Random) -> None:
    """The head approves one of the cards in the leadership channel, as it stands."""
    cards = [m for (channel, _), m in slack.api.messages.items() if channel == LEADERS]
    undecided = [m for m in cards if "case_approve" in str(m.get("blocks"))]
    if undecided:
        message = rng.choice(undecided)
        await slack.click(
            HEAD,
            "case_approve",
            button_value(message, "case_approve"),
            message=message,
            state=checkbox_state(message),
        )


async def reporter(slack: SlackClient, user: str, acked: set[str], rng: random.Random) -> None:
    """Reports with a pause between them: the leadership channel takes about a card a second
    (the bot keeps to Slack's pace), and a faster stream would only grow the backlog."""
    with contextlib.suppress(*LOST):
        while True:
            await report(slack, user, acked)
            if rng.random() < 0.5:
                await decide(slack, rng)
            await asyncio.sleep(rng.uniform(0.5, 1.5))


async def traffic_then_kill(
    server: ServerProcess, slacks: list[SlackClient], acked: set[str], rng: random.Random
) -> None:
    """Three reporters (spread over the instances given) until the server is killed."""
    tasks = [
        asyncio.create_task(reporter(slacks[n % len(slacks)], user, acked, rng))
        for n, user in enumerate(REPORTERS)
    ]
    await asyncio.sleep(rng.uniform(0.3, 2.5))
    server.kill()
    await asyncio.sleep(0.3)  # the others' requests to the dead server fail; theirs go on
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def drained(
    url: str, http: aiohttp.ClientSession, timeout: float, store: Store | None = None
) -> None:
    """Nothing left in the outbox: as /healthz says (TinyDB), or the shared store itself."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if store is not None:
            if not await store.with_pending_outbox():
                return
        else:
            async with http.get(f"{url}/healthz") as r:
                if (await r.json())["store"]["pending_outbox"] == 0:
                    return
        await asyncio.sleep(0.3)
    raise AssertionError("the outbox did not drain after the last restart")


def payload(message: Mapping[str, Any]) -> Mapping[str, Any]:
    return (message.get("metadata") or {}).get("event_payload") or {}


def posted_twice(api: FakeSlackApi) -> dict[tuple[str, str, str], int]:
    """Outbox entries that reached one conversation (or thread) more than once."""
    return {
        key: n
        for key, n in Counter(
            (str(c.args["channel"]), str(c.args.get("thread_ts") or ""), payload(c.args)["notice"])
            for c in api.calls_to("chat.postMessage")
            if payload(c.args)
        ).items()
        if n > 1
    }


def cards_of(api: FakeSlackApi) -> dict[str, list[Mapping[str, Any]]]:
    """Every approval card in the leadership channel, by case (as Slack now shows it)."""
    found: dict[str, list[Mapping[str, Any]]] = {}
    for (channel, _), message in api.messages.items():
        meta = message.get("metadata") or {}
        if channel == LEADERS and meta.get("event_type") == "case_card":
            found.setdefault(payload(message)["case"], []).append(message)
    return found


def stale(card: Mapping[str, Any], record: CaseFile) -> str | None:
    """Why a card does not show its case as stored, if it does not."""
    text = str(card.get("blocks"))
    if record.case.decision is not None and "case_approve" in text:
        return "decided, but the card still offers Approve"
    for value in re.findall(r"'value': '([^']+)'", text):
        m = CASE_BUTTON.match(value)
        if m and int(m[2]) != record.case.version:
            return f"card shows version {m[2]}, the case is at {record.case.version}"
    return None


async def check(store: Store, api: FakeSlackApi, acked: set[str]) -> None:
    stored = set(await store.references())
    assert acked <= stored, f"acknowledged but lost: {sorted(acked - stored)}"
    cards = cards_of(api)
    two = {ref: len(c) for ref, c in cards.items() if len(c) > 1}
    assert two == {}, f"cases with more than one approval card: {two}"
    assert posted_twice(api) == {}, "a direct message or thread note went out twice"
    for ref in stored:
        record = await store.load(ref)
        assert record is not None and verify(record.timeline) == [], ref
        assert not record.pending, f"{ref} still has notifications to send"
        assert len(cards.get(ref, [])) == 1, f"{ref} has no card"
        assert stale(cards[ref][0], record) is None, (ref, stale(cards[ref][0], record))
    found = len(api.calls_to("conversations.history")) + len(api.calls_to("conversations.replies"))
    print(
        f"\n{len(acked)} reports acknowledged, {len(stored)} stored, "
        f"{len(api.calls_to('chat.postMessage'))} posts, {found} history reads"
    )


@pytest.mark.parametrize("backend", ["tinydb", "postgresql"])
async def test_sigkill_under_three_reporters_sends_each_card_and_dm_once(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    rng = random.Random(20261206)
    acked: set[str] = set()
    data = tmp_path / "data"
    extra = {"DATABASE_URL": request.getfixturevalue("pg_url")} if backend == "postgresql" else {}
    users = {**USERS, **REPORTERS}
    async with (
        FakeSlackApi(users=users, token=TOKEN, latency=LATENCY) as api,
        aiohttp.ClientSession() as http,
    ):
        env = base_env(data, **slack_env(api), **extra)
        server = ServerProcess(env)
        slack = SlackClient(server.url, api, http)
        for _ in range(KILLS):
            await server.start(timeout=30)
            await traffic_then_kill(server, [slack], acked, rng)
        await server.start(timeout=30)
        shared = PostgresStore(extra["DATABASE_URL"], data) if extra else None
        try:
            if shared is not None:
                await shared.open()
            await drained(server.url, http, timeout=180, store=shared)
            await asyncio.sleep(1.0)  # anything sent twice would arrive now
        finally:
            server.stop()
            if shared is not None:
                await shared.close()
    assert len(acked) >= KILLS, "the traffic should have filed reports between kills"
    audit(env)
    store: Store = PostgresStore(extra["DATABASE_URL"], data) if extra else TinyDBStore(data)
    await store.open()
    try:
        await check(store, api, acked)
    finally:
        await store.close()


async def test_two_instances_one_killed_again_and_again(tmp_path: Path, pg_url: str) -> None:
    """B stays up throughout; A is killed under load and restarted, 20 times."""
    rng = random.Random(20261207)
    acked: set[str] = set()
    data = tmp_path / "data"
    users = {**USERS, **REPORTERS}
    async with (
        FakeSlackApi(users=users, token=TOKEN, latency=LATENCY) as api,
        aiohttp.ClientSession() as http,
    ):
        a, b = (
            ServerProcess(base_env(data, DATABASE_URL=pg_url, **slack_env(api))) for _ in range(2)
        )
        await b.start(timeout=30)
        shared = PostgresStore(pg_url, data)
        await shared.open()
        try:
            to_a, to_b = SlackClient(a.url, api, http), SlackClient(b.url, api, http)
            for _ in range(KILLS):
                await a.start(timeout=30)
                await traffic_then_kill(a, [to_a, to_b, to_a], acked, rng)
            await a.start(timeout=30)
            await drained(b.url, http, timeout=180, store=shared)
            await asyncio.sleep(1.0)
        finally:
            a.stop()
            b.stop()
            await shared.close()
    assert len(acked) >= KILLS
    store = PostgresStore(pg_url, data)
    await store.open()
    try:
        await check(store, api, acked)
    finally:
        await store.close()
