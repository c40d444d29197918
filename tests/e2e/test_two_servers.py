"""Two `python app.py` processes on one PostgreSQL behind the fake Slack API: exactly once."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bot.storage.postgres_store import PostgresStore
from tests.e2e.harness import ServerProcess, base_env
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_session import (
    DEPUTY,
    HEAD,
    LEADERS,
    TEACHER,
    TOKEN,
    USERS,
    SlackClient,
    button_value,
    checkbox_state,
    slack_env,
)

# Cards and thread notes share the leadership channel, which the bot paces at about one post
# a second (Slack's limit): the counts keep the run near a minute of posting there.
REPORTS = 60
DECISIONS = 30
WHILE_DOWN = 6  # reports acknowledged by the server that is then killed, its notices unsent

ANSWERS = (
    {"platform": "facebook", "post_text": "The year 4 teacher is useless"},
    {"author_relationship": "parent", "about": ["staff"]},
    {"categories": ["complaints"], "history": "not_discussed"},
)


async def report(slack: SlackClient) -> str:
    """One reporter's whole way through the form on this server; the acknowledged reference."""
    opened = len(slack.api.calls_to("views.open"))
    assert (await slack.command(TEACHER, "https://facebook.example/post/1")).status == 200
    modal = await slack.opened(TEACHER, opened + 1)
    for answers in ANSWERS:
        assert (await slack.submit(modal, answers)).json.get("response_action") == "update"
    reply = await slack.submit(modal)
    header = next(b for b in reply.json["view"]["blocks"] if b["type"] == "header")
    return header["text"]["text"].split()[1]


def cards(api: FakeSlackApi) -> Counter[str]:
    """Approval cards posted to the leadership channel, by reference."""
    return Counter(
        ref
        for c in api.calls_to("chat.postMessage")
        if c.args["channel"] == LEADERS and not c.args.get("thread_ts")
        for ref in [c.args.get("text", "").split()[2]]
    )


def receipts(api: FakeSlackApi, refs: list[str]) -> Counter[str]:
    texts = [
        c.args.get("text", "")
        for c in api.calls_to("chat.postMessage")
        if c.args["channel"] != LEADERS
    ]
    return Counter(ref for ref in refs for text in texts if f"Report {ref} received" in text)


async def settle(api: FakeSlackApi, condition, timeout: float) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not settled:\n{api.describe_calls()[-3000:]}"
        await asyncio.sleep(0.2)
    await asyncio.sleep(2.0)  # anything sent twice would arrive now


def thread_notes(api: FakeSlackApi) -> list[str]:
    return [
        c.args["thread_ts"]
        for c in api.calls_to("chat.postMessage")
        if c.args["channel"] == LEADERS and c.args.get("thread_ts")
    ]


def card_message(api: FakeSlackApi, reference: str) -> tuple[str, dict]:
    for (channel, _ts), message in api.messages.items():
        if (
            channel == LEADERS
            and reference in message.get("text", "")
            and "thread_ts" not in message
        ):
            return channel, message
    raise AssertionError(f"no card for {reference}")


async def test_two_instances_file_decide_and_notify_exactly_once(tmp_path: Path, pg_url: str):
    data = tmp_path / "data"
    async with FakeSlackApi(users=USERS, token=TOKEN) as api, aiohttp.ClientSession() as http:
        servers = [
            ServerProcess(base_env(data, DATABASE_URL=pg_url, **slack_env(api))) for _ in range(2)
        ]
        for s in servers:
            await s.start(timeout=30)
        a, b = (SlackClient(s.url, api, http) for s in servers)
        try:
            refs = [await report((a, b)[n % 2]) for n in range(REPORTS - WHILE_DOWN)]

            # One instance acknowledges reports while Slack fails, and is killed before it
            # could deliver their notices: the other delivers them, once.
            api.fail_next("chat.postMessage", count=10_000, status=500)
            refs += [await report(a) for _ in range(WHILE_DOWN)]
            servers[0].kill()
            await asyncio.sleep(0.5)  # a request the dead process sent meets the failing API too
            api.recover()

            year = datetime.now(UTC).year
            assert sorted(refs) == [f"OAK-{year}-{n:04d}" for n in range(1, REPORTS + 1)]
            await settle(
                api, lambda: len(cards(api)) == REPORTS and len(receipts(api, refs)) == REPORTS, 150
            )
            assert set(cards(api)) == set(refs) and set(cards(api).values()) == {1}
            assert set(receipts(api, refs).values()) == {1}

            # Both instances again; the same approval clicked on both at once, for 100 cases.
            await servers[0].start(timeout=30)
            updates_before = len(api.calls_to("chat.update"))
            for ref in refs[:DECISIONS]:
                channel, message = card_message(api, ref)
                value = button_value(message, "case_approve")
                state = checkbox_state(message)
                replies = await asyncio.gather(
                    a.click(
                        HEAD, "case_approve", value, message=message, channel=channel, state=state
                    ),
                    b.click(
                        DEPUTY, "case_approve", value, message=message, channel=channel, state=state
                    ),
                )
                assert [r.status for r in replies] == [200, 200]
            await settle(
                api,
                lambda: (
                    len(api.calls_to("chat.update")) - updates_before >= DECISIONS
                    and len(thread_notes(api)) >= DECISIONS
                ),
                150,
            )
            assert len(thread_notes(api)) == DECISIONS  # one decision posted in each thread
            updated = Counter(
                (c.args["channel"], c.args["ts"])
                for c in api.calls_to("chat.update")[updates_before:]
            )
            assert len(updated) == DECISIONS and set(updated.values()) == {1}
        finally:
            for s in servers:
                s.stop()

    store = PostgresStore(pg_url, data)
    await store.open()
    try:
        decided = 0
        for ref in refs:
            record = await store.load(ref)
            kinds = [e.kind for e in record.timeline]
            decisions = sum(k.startswith("decision_") for k in kinds)
            assert decisions == (1 if ref in refs[:DECISIONS] else 0), (ref, kinds)
            decided += decisions
            assert not record.pending or ref not in refs[:DECISIONS], ref
        assert decided == DECISIONS
    finally:
        await store.close()
