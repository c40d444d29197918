"""Slack exactly once: in-flight entries found in history before a resend, copies healed, pacing.

The sender talks to the fake Web API answering in 150 ms, over a real TinyDB store; a "crash" is
a fresh sender given the stored outbox entry before the delivery was recorded.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Trust
from bot.models import Actor, Answers, CaseFile, Notice, OutboxMessage
from bot.outbox import OutboxWorker
from bot.policy import Policy
from bot.service import CaseService
from bot.storage.tinydb_store import TinyDBStore
from handlers.fetch import SafeFetch
from handlers.slack.history import EVENT_CARD, metadata
from handlers.slack.people import SlackDirectory
from handlers.slack.sender import SlackSender
from tests.conftest import HEAD, REPORTER
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_session import LEADERS, TOKEN, USERS

LATENCY = 0.15  # the Web API's answer time in the runs
RECEIPTS = 200
# The figure is 10 s; the bound leaves room for a loaded two-core machine and still
# fails a one-at-a-time outbox (200 x 150 ms is 30 s before any store write).
DRAIN_BOUND_S = 20.0


@dataclass
class Rig:
    service: CaseService
    api: FakeSlackApi
    sender: Callable[[], SlackSender]


@pytest.fixture
async def rig(tmp_path: Path, trust: Trust, policy: Policy) -> AsyncIterator[Rig]:
    store = TinyDBStore(tmp_path / "data")
    await store.open()
    service = CaseService(store, trust, policy)
    async with (
        FakeSlackApi(users=USERS, token=TOKEN, latency=LATENCY) as api,
        aiohttp.ClientSession() as http,
    ):

        def sender() -> SlackSender:  # a new one is a new process: nothing in memory
            client = AsyncWebClient(token=TOKEN, base_url=api.base_url, session=http)
            return SlackSender(client, service, SlackDirectory(client), SafeFetch())

        yield Rig(service, api, sender)
    await store.close()


async def entry(
    service: CaseService, reference: str, notice: Notice
) -> tuple[CaseFile, OutboxMessage]:
    record = await service.get(reference)
    return record, next(m for m in record.outbox if m.notice is notice)


async def sent_then_killed(rig: Rig, reference: str, notice: Notice) -> None:
    """The worker's mark, then a send that reached Slack, and no record of it (the kill)."""
    record, message = await entry(rig.service, reference, notice)

    async def mark() -> None:
        await rig.service.in_flight(reference, message.id)

    await rig.sender().deliver(record, message, mark=mark)


async def recovered(rig: Rig, reference: str, notice: Notice) -> OutboxMessage:
    """The restarted process delivers the entry as stored, and records it."""
    record, message = await entry(rig.service, reference, notice)
    assert message.in_flight_at is not None, "marked in flight before it was sent"
    refs = await rig.sender().deliver(record, message)
    await rig.service.delivered(reference, message.id, refs)
    return message


def posts(api: FakeSlackApi, channel: str) -> list:
    return [c for c in api.calls_to("chat.postMessage") if c.args["channel"] == channel]


async def test_an_in_flight_card_found_in_the_channel_is_recorded_not_posted_again(
    rig: Rig, make_answers: Callable[..., Answers]
) -> None:
    case, _ = await rig.service.submit(REPORTER, make_answers(), "k")
    await sent_then_killed(rig, case.reference, Notice.APPROVAL_CARD)
    [first] = posts(rig.api, LEADERS)
    _, message = await entry(rig.service, case.reference, Notice.APPROVAL_CARD)
    assert first.args["metadata"] == metadata(EVENT_CARD, case.reference, message.id)

    await recovered(rig, case.reference, Notice.APPROVAL_CARD)
    assert posts(rig.api, LEADERS) == [first], "the card went out twice"
    [search] = rig.api.calls_to("conversations.history")
    assert search.args["channel"] == LEADERS and search.args["include_all_metadata"] in (
        "1",
        "true",
    )
    assert float(search.args["oldest"]) <= message.in_flight_at.timestamp()
    stored = (await rig.service.get(case.reference)).case.message("slack", "approval")
    [card_ts] = [t for (c, t) in rig.api.messages if c == LEADERS]
    assert [(r.conversation, r.message_id) for r in stored] == [(LEADERS, card_ts)]


async def test_an_in_flight_dm_is_found_in_the_dm_channel(
    rig: Rig, make_answers: Callable[..., Answers]
) -> None:
    case, _ = await rig.service.submit(REPORTER, make_answers(), "k")
    await sent_then_killed(rig, case.reference, Notice.RECEIPT)
    await recovered(rig, case.reference, Notice.RECEIPT)
    assert len(posts(rig.api, REPORTER.user_id)) == 1, "the receipt went out twice"
    [listed] = rig.api.calls_to("users.conversations")  # which DM is with whom (im:read)
    assert listed.args["types"] == "im"
    [search] = rig.api.calls_to("conversations.history")
    assert search.args["channel"] == f"D{REPORTER.user_id}"


async def test_an_entry_that_never_reached_slack_is_sent_after_the_search(
    rig: Rig, make_answers: Callable[..., Answers]
) -> None:
    case, _ = await rig.service.submit(REPORTER, make_answers(), "k")
    record, message = await entry(rig.service, case.reference, Notice.RECEIPT)
    await rig.service.in_flight(case.reference, message.id)  # marked, then killed before the call
    await recovered(rig, case.reference, Notice.RECEIPT)
    # No DM with the reporter yet: nothing can have arrived, so no history to read.
    assert len(rig.api.calls_to("users.conversations")) == 1
    assert rig.api.calls_to("conversations.history") == []
    [post] = posts(rig.api, REPORTER.user_id)
    assert post.args["metadata"]["event_payload"] == {"case": case.reference, "notice": message.id}


async def test_the_search_reads_every_page_since_the_mark(
    rig: Rig, make_answers: Callable[..., Answers], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The card lies under more than a page of later posts in a busy channel."""
    case, _ = await rig.service.submit(REPORTER, make_answers(), "k")
    await sent_then_killed(rig, case.reference, Notice.APPROVAL_CARD)
    client = AsyncWebClient(token=TOKEN, base_url=rig.api.base_url)
    for n in range(3):
        await client.chat_postMessage(channel=LEADERS, text=f"later {n}")
    monkeypatch.setattr("handlers.slack.history.PAGE", 2)
    await recovered(rig, case.reference, Notice.APPROVAL_CARD)
    assert len(posts(rig.api, LEADERS)) == 4  # the card once, and the three others
    assert [c.args.get("cursor", "") for c in rig.api.calls_to("conversations.history")] == [
        "",
        "next:2",
    ]


async def decided(rig: Rig, reference: str) -> None:
    record = await rig.service.get(reference)
    await rig.service.approve(reference, HEAD, record.case.version, ["discuss"])


async def test_a_card_that_slipped_through_is_healed_by_the_next_update(
    rig: Rig, make_answers: Callable[..., Answers]
) -> None:
    case, _ = await rig.service.submit(REPORTER, make_answers(), "k")
    await sent_then_killed(rig, case.reference, Notice.APPROVAL_CARD)
    [card] = posts(rig.api, LEADERS)
    # A copy that got past the search (another process, or a Slack slow to index it).
    client = AsyncWebClient(token=TOKEN, base_url=rig.api.base_url)
    copy = await client.chat_postMessage(
        channel=LEADERS,
        text=card.args["text"],
        blocks=card.args["blocks"],
        metadata=card.args["metadata"],
    )
    await recovered(rig, case.reference, Notice.APPROVAL_CARD)
    assert len(posts(rig.api, LEADERS)) == 2
    await decided(rig, case.reference)
    await recovered_update(rig, case.reference)
    cards = [m for (c, _), m in rig.api.messages.items() if c == LEADERS]
    assert len(cards) == 2 and {m["ts"] for m in cards} >= {copy["ts"]}
    assert all("case_approve" not in str(m["blocks"]) for m in cards), "a copy kept its buttons"
    assert cards[0]["blocks"] == cards[1]["blocks"]
    assert len(posts(rig.api, LEADERS)) == 2, "no card is created after one is recorded"


async def recovered_update(rig: Rig, reference: str) -> None:
    record, message = await entry(rig.service, reference, Notice.CARD_UPDATE)
    await rig.sender().deliver(record, message)
    await rig.service.delivered(reference, message.id, [])


async def test_a_second_card_is_never_posted_once_one_is_recorded(
    rig: Rig, make_answers: Callable[..., Answers]
) -> None:
    case, _ = await rig.service.submit(REPORTER, make_answers(), "k")
    await recovered_first_time(rig, case.reference)
    record, message = await entry(rig.service, case.reference, Notice.APPROVAL_CARD)
    refs = await rig.sender().deliver(record, message)  # asked again, with no mark at all
    assert len(posts(rig.api, LEADERS)) == 1
    assert list(refs) == list(record.case.message("slack", "approval"))


async def recovered_first_time(rig: Rig, reference: str) -> None:
    record, message = await entry(rig.service, reference, Notice.APPROVAL_CARD)
    refs = await rig.sender().deliver(record, message)
    await rig.service.delivered(reference, message.id, refs)


async def test_posts_to_one_channel_are_paced_and_wait_out_a_retry_after(
    rig: Rig, make_answers: Callable[..., Answers]
) -> None:
    rig.api.latency = 0.0
    sender = rig.sender()
    cases = [(await rig.service.submit(REPORTER, make_answers(), f"k{n}"))[0] for n in range(6)]
    worker = OutboxWorker(rig.service, {"slack": sender})
    started = time.monotonic()
    while len(posts(rig.api, LEADERS)) < len(cases):
        await worker.drain()
        await asyncio.sleep(0.05)
        assert time.monotonic() - started < 30
    at = [c.at for c in posts(rig.api, LEADERS)]
    # A burst of three, then about one a second.
    assert at[-1] - at[0] >= 2.5, at
    assert all(b - a >= 0.9 for a, b in zip(at[2:], at[3:], strict=False)), at

    rig.api.fail_next("chat.postMessage", status=429, retry_after=3)
    more = [(await rig.service.submit(REPORTER, make_answers(), f"m{n}"))[0] for n in range(2)]
    limited_at = time.monotonic()
    while len(posts(rig.api, LEADERS)) < len(cases) + len(more):
        await worker.drain()
        await asyncio.sleep(0.05)
        assert time.monotonic() - limited_at < 30
    [limited] = [c for c in rig.api.calls_to("chat.postMessage", include_failed=True) if c.failed]
    channel = limited.args["channel"]
    after = [c.at for c in posts(rig.api, channel) if c.at > limited.at]
    assert after and min(after) - limited.at >= 2.9, "posted there before its Retry-After ended"


async def test_receipts_to_200_people_go_out_in_parallel(
    rig: Rig, make_answers: Callable[..., Answers]
) -> None:
    for n in range(RECEIPTS):
        person = Actor("slack", f"UR{n:05d}", f"teacher{n}@oakprimary.example", "A Teacher")
        await rig.service.submit(person, make_answers(), f"r{n}")
    worker = OutboxWorker(rig.service, {"slack": rig.sender()})

    def receipts() -> int:
        return sum(1 for c in rig.api.calls_to("chat.postMessage") if c.args["channel"] != LEADERS)

    started = time.monotonic()
    while receipts() < RECEIPTS:
        await worker.drain()
        assert time.monotonic() - started < 60
    took = time.monotonic() - started
    print(f"\n{RECEIPTS} receipts to {RECEIPTS} people: {took:.1f} s against a {LATENCY}s API")
    assert took < DRAIN_BOUND_S
    dms = [c.args["channel"] for c in rig.api.calls_to("chat.postMessage")]
    assert len(set(d for d in dms if d != LEADERS)) == RECEIPTS  # once each
