"""Slack end to end: notifications survive a failing or rate-limiting Slack, and a restart."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Trust
from bot.models import Answers, CaseFile, Notice, OutboxMessage
from bot.outbox import RetryLater
from bot.policy import Policy
from bot.service import CaseService
from bot.storage.tinydb_store import TinyDBStore
from handlers.slack.people import SlackDirectory
from handlers.slack.sender import SlackSender
from tests.conftest import REPORTER
from tests.e2e.harness import ServerProcess, base_env
from tests.e2e.slack_support import (
    STEP_PEOPLE,
    STEP_POST,
    STEP_WHAT,
    World,
    file_report,
    posted_to,
    world,
)
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_session import (
    DEPUTY,
    HEAD,
    LEADERS,
    TEACHER,
    TOKEN,
    USERS,
    SlackClient,
    slack_env,
)

__all__ = ["world"]


def failed_posts(api: FakeSlackApi) -> list:
    return [c for c in api.calls_to("chat.postMessage", include_failed=True) if c.failed]


async def test_500s_then_recovery_deliver_each_notice_once(world: World) -> None:
    w = world
    w.api.fail_next("chat.postMessage", count=2, status=500)
    reference = await file_report(w)
    await w.server.idle(timeout=15)
    assert len(failed_posts(w.api)) == 2
    assert len(posted_to(w, TEACHER)) == 1 and len(posted_to(w, LEADERS)) == 1
    record = await w.server.service.get(reference)
    receipt, card = record.outbox
    assert receipt.delivered_at and receipt.attempts == 3 and "500" in receipt.last_error
    assert card.delivered_at and card.attempts == 1
    first, second, ok = [
        c.at
        for c in w.api.calls_to("chat.postMessage", include_failed=True)
        if c.args["channel"] == TEACHER
    ]
    assert second - first >= 0.9 and ok - second >= 1.9  # backs off 1 s, then 2 s


async def test_429_waits_for_retry_after_then_delivers_once(world: World) -> None:
    w = world
    w.api.fail_next("chat.postMessage", count=1, status=429, retry_after=1)
    w.api.fail_next("chat.update", count=1, status="drop")
    reference = await file_report(w)
    await w.server.idle(timeout=15)
    [limited] = failed_posts(w.api)
    assert limited.status == 429
    delivered = [c for c in w.api.calls_to("chat.postMessage") if c.args["channel"] == TEACHER]
    assert len(delivered) == 1 and 0.9 <= delivered[0].at - limited.at < 3
    record = await w.server.service.get(reference)
    assert "429 ratelimited" in record.outbox[0].last_error
    assert all(m.delivered_at for m in record.outbox)


async def test_a_notice_pending_across_a_kill_arrives_once_after_restart(tmp_path: Path) -> None:
    async with FakeSlackApi(users=USERS, token=TOKEN) as api, aiohttp.ClientSession() as http:
        env = base_env(tmp_path / "data", **slack_env(api))
        server = ServerProcess(env)
        await server.start()
        try:
            api.fail_next("chat.postMessage", count=10_000, status=500)
            w = World(api, None, SlackClient(server.url, api, http), tmp_path / "data")  # type: ignore[arg-type]
            await file_report_via_http(w)
            deadline = time.monotonic() + 10
            # the fake API records calls in a list and has no event to wait on
            while not failed_posts(api) and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            assert failed_posts(api), "the outbox never tried"
            await wait_for_attempt_on_disk(tmp_path / "data")
            server.kill()
            # A request the killed process sent just before dying can still be in the fake's
            # queue: let it meet the failing API, or it would count as a delivery by the dead.
            await asyncio.sleep(0.5)
            api.recover()
            await server.start()
            await api.wait_for("chat.postMessage", 2, timeout=15)
            await asyncio.sleep(1.5)  # room for a duplicate to show up, if there were one
        finally:
            server.stop()
    assert [c.args["channel"] for c in api.calls_to("chat.postMessage")] == [TEACHER, LEADERS]
    store = TinyDBStore(tmp_path / "data")
    await store.open()
    [reference] = await store.references()
    record = await store.load(reference)
    await store.close()
    assert record is not None and all(m.delivered_at for m in record.outbox)
    assert record.outbox[0].attempts >= 2  # the failed try before the kill was kept


async def wait_for_attempt_on_disk(data_dir: Path, timeout: float = 10) -> None:
    """Until the failed attempt is durable: the kill then lands between two tries."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        store = TinyDBStore(data_dir)
        await store.open()
        references = await store.references()
        record = await store.load(references[0]) if references else None
        await store.close()
        if record and record.outbox[0].attempts >= 1:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the failed attempt was never saved")


async def file_report_via_http(w: World) -> None:
    """The form filled against a server in another process (no Server object to ask)."""
    await w.slack.command(TEACHER)
    modal = await w.slack.opened(TEACHER)
    for answers in (STEP_POST, STEP_PEOPLE, STEP_WHAT, {}):
        reply = await w.slack.submit(modal, answers)
        assert reply.json.get("response_action") == "update", reply.text
    assert "Report filed" in modal.text()


async def test_a_restart_midway_through_approver_dms_does_not_dm_anyone_twice(
    tmp_path: Path, trust: Trust, policy: Policy, make_answers: Callable[..., Answers]
) -> None:
    """No leadership channel: a card to each approver. The first gets it, then Slack fails;
    a new process (a fresh sender and directory over the same store) sends only the second."""
    school = replace(trust.school("oak-primary"), slack_leadership_channel="")
    trust = replace(trust, schools=(school, *trust.schools[1:]))
    store = TinyDBStore(tmp_path / "data")
    await store.open()
    service = CaseService(store, trust, policy)
    case, _ = await service.submit(REPORTER, make_answers(), "restart-test")
    async with FakeSlackApi(users=USERS, token=TOKEN) as api, aiohttp.ClientSession() as http:

        def sender() -> SlackSender:
            client = AsyncWebClient(token=TOKEN, base_url=api.base_url, session=http)
            return SlackSender(client, service, SlackDirectory(client), lambda: http)

        async def card_message() -> tuple[CaseFile, OutboxMessage]:
            record = await service.get(case.reference)
            return record, next(m for m in record.outbox if m.notice is Notice.APPROVAL_CARD)

        first = sender()
        await first.directory.user_id(school.approvers[0])  # the head is looked up already
        api.fail_next("users.lookupByEmail", count=1, status=500)  # the deputy's look-up fails
        with pytest.raises(RetryLater):
            await first.deliver(*await card_message())
        record, message = await card_message()
        assert len(message.sent) == 1 and message.sent[0].startswith(f"{HEAD}:")

        refs = await sender().deliver(record, message)  # after the "restart"
        assert sorted(c.args["channel"] for c in api.calls_to("chat.postMessage")) == [
            DEPUTY,
            HEAD,
        ]
        assert sorted(r.conversation for r in refs) == [f"D{DEPUTY}", f"D{HEAD}"]
    await store.close()
