"""Slack's API and the Bot Connector fail for a while: acks stay prompt, and all goes out once."""

from __future__ import annotations

import time
from pathlib import Path

from tests.e2e import teams_support as tsup
from tests.e2e.slack_support import STEP_PEOPLE, STEP_POST, STEP_WHAT, World, world
from tests.fakes.slack_session import LEADERS, TEACHER
from tests.faults.support import FULL, duplicates

__all__ = ["world"]  # the Slack world fixture, used by name
REPORTS = 6 if FULL else 3
SLACK_ACK_S = 3.0
TEAMS_INVOKE_S = 5.0


def slack_outage(w: World) -> None:
    """Every kind of failure, in turn, for the calls that deliver notifications."""
    for method in ("chat.postMessage", "conversations.open"):
        w.api.fail_next(method, 2, 500)
        w.api.fail_next(method, 1, 429, retry_after=1)
        w.api.fail_next(method, 1, "drop")


async def timed_report(w: World) -> tuple[str, float]:
    """One report through the form; its reference and the slowest of its acks."""
    slowest = 0.0

    async def acked(call):  # noqa: ANN001, ANN202 - a SlackClient coroutine
        nonlocal slowest
        started = time.monotonic()
        reply = await call
        slowest = max(slowest, time.monotonic() - started)
        assert reply.status == 200, reply.text
        return reply

    opened = len(w.api.calls_to("views.open"))
    await acked(w.slack.command(TEACHER))
    modal = await w.slack.opened(TEACHER, opened + 1)
    for answers in (STEP_POST, STEP_PEOPLE, STEP_WHAT, {}):
        await acked(w.slack.submit(modal, answers))
    header = next(b for b in modal.view["blocks"] if b["type"] == "header")
    return header["text"]["text"].split()[1], slowest


async def test_slack_outage_keeps_acks_prompt_and_delivers_every_notice_once(world: World):
    slack_outage(world)
    filed = [await timed_report(world) for _ in range(REPORTS)]
    assert max(s for _, s in filed) < SLACK_ACK_S, filed
    await world.server.idle(timeout=90)  # the retries, with their back-off, until all is out
    assert world.api.calls_to("chat.postMessage", include_failed=True) != world.api.calls_to(
        "chat.postMessage"
    ), "the outage should have failed some deliveries"
    posts = world.api.calls_to("chat.postMessage")
    for reference, _ in filed:
        cards = [p for p in posts if p.args["channel"] == LEADERS and reference in p.args["text"]]
        assert len(cards) == 1, (reference, world.api.describe_calls())
    sent = [
        (p.args["channel"], str(p.args.get("thread_ts", "")), p.args.get("text", "")) for p in posts
    ]
    assert duplicates(sent) == {}, world.api.describe_calls()


async def test_teams_outage_keeps_invokes_prompt_and_delivers_every_notice_once(tmp_path: Path):
    async with tsup.teams_world(tmp_path / "data") as t:
        for user in (tsup.TEACHER, tsup.HEAD, tsup.DEPUTY):
            await t.install(user)
        # New conversations (the card posted to the leadership channel, proactive chats): the
        # outbox's work. A reply to the teacher within a request has no retry to prove (Teams
        # would show its own error), so it is left alone.
        new = {"create_conversation"}
        t.connector.fail_next(2, 500, kinds=new)
        t.connector.fail_next(1, 429, retry_after=1, kinds=new)
        t.connector.fail_next(1, "drop", kinds=new)
        slowest, references = 0.0, []
        for _ in range(REPORTS):
            started = time.monotonic()
            filed = await t.report(tsup.TEACHER)
            slowest = max(slowest, time.monotonic() - started)
            references.append(filed["body"][0]["text"].split()[1])
        # t.report is three requests (say, review, submit): each took less than the whole.
        assert slowest < TEAMS_INVOKE_S, slowest
        await t.server.idle(timeout=90)
        assert t.connector.failed(), "the outage should have failed some calls"
        sent = [
            (c.conversation_id or "", str(a.get("text")), str(a.get("attachments")))
            for c in t.connector.of_kind("send", "reply", "create_conversation")
            for a in [c.activity]
        ]
        assert duplicates(sent) == {}, t.connector.summary()
        for reference in references:
            cards = [s for s in sent if reference in s[1] + s[2]]
            assert cards, (reference, t.connector.summary())
