"""Teams end to end: the message action, screenshots, and a connector outage survived."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator

import pytest

from bot.models import Notice
from tests.cards.adaptive import assert_valid_card
from tests.e2e.teams_support import (
    HEAD,
    TEACHER,
    Teams,
    assert_all_cards_valid,
    chat,
    flatten,
    teams_world,
)
from tests.fakes import teams_activities as ta
from tests.samples import answers_values, png

PNG = b"\x89PNG\r\n\x1a\n" + b"screenshot of the post" * 50


@pytest.fixture
async def world(tmp_path) -> AsyncIterator[Teams]:
    async with teams_world(tmp_path / "data") as teams:
        yield teams
        assert_all_cards_valid(teams.connector)


def task_card(body: dict) -> dict:
    task = body["task"]
    assert task["type"] == "continue", body
    attachment = task["value"]["card"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert_valid_card(attachment["content"])
    return attachment["content"]


def field(card: dict, field_id: str) -> dict:
    return next(e for e in card["body"] if e.get("id") == field_id)


async def test_report_this_post_opens_a_prefilled_dialog_and_files_the_case(world):
    post = "Mrs Smith is a disgrace & should be sacked"
    status, body = await world.post(ta.fetch_task_from_message(post, TEACHER, world.url))
    assert status == 200
    form = task_card(body)
    assert field(form, "post_text")["value"] == post
    assert field(form, "seen_on")["value"]
    submit = form["actions"][0]
    assert submit["type"] == "Action.Submit" and submit["data"]["verb"] == "report_next"
    # Missing answers: the dialog comes back with the errors and nothing is stored.
    data = {**submit["data"], "post_text": post}
    status, body = await world.post(ta.submit_action(data, TEACHER, world.url))
    again = task_card(body)
    assert any(b.get("color") == "Attention" for b in again["body"])
    assert await world.server.service.store.references() == []
    # Complete answers: the summary, then the final submit files the case.
    values = flatten(answers_values(post_text=post))
    status, body = await world.post(
        ta.submit_action({**submit["data"], **values}, TEACHER, world.url)
    )
    summary = task_card(body)
    final = summary["actions"][0]
    assert final["data"]["verb"] == "report_submit"
    status, body = await world.post(ta.submit_action(final["data"], TEACHER, world.url))
    done = task_card(body)
    reference = done["body"][0]["text"].split()[1]
    record = await world.server.service.get(reference)
    assert record.case.answers.post_text == post
    assert record.case.reporter.email == TEACHER.email
    # The same submit again (a retry) files nothing new.
    status, body = await world.post(ta.submit_action(final["data"], TEACHER, world.url))
    assert reference in json.dumps(body)
    assert await world.server.service.store.references() == [reference]
    await world.server.idle()
    # The reporter had never opened a chat with the bot: it opens one for the receipt.
    opened = [c for c in world.connector.created_conversations() if not c.body.get("isGroup")]
    assert opened and opened[0].body["members"] == [{"id": TEACHER.id}]


async def test_screenshots_are_downloaded_hashed_and_kept_on_the_recent_case(world):
    await world.install(TEACHER)
    card = await world.report(TEACHER)
    reference = card["body"][0]["text"].split()[1]
    world.connector.files["post.png"] = PNG
    world.connector.files["pasted.png"] = png("pasted image bytes")
    attachments = [
        ta.file_download_attachment("post.png", world.connector.file_url("post.png")),
        ta.inline_image_attachment(world.connector.file_url("pasted.png")),
        {"contentType": "text/html", "content": "<p>here</p>"},
    ]
    before = len(world.connector.sent(chat(TEACHER).id))
    await world.say(TEACHER, "", attachments=attachments)
    await world.wait_reply(TEACHER, before, f"Added post.png to {reference}")
    record = await world.server.service.get(reference)
    hashes = [e.sha256 for e in record.case.evidence]
    assert hashes == [
        hashlib.sha256(PNG).hexdigest(),
        hashlib.sha256(png("pasted image bytes")).hexdigest(),
    ]
    store = world.server.service.store
    assert store.read_evidence(hashes[0]) == PNG
    assert [e.kind for e in record.timeline].count("evidence_retained") == 2
    assert record.case.evidence[0].captured_by.user_id == TEACHER.id


async def test_a_file_over_the_limit_is_refused_with_a_reason(world):
    await world.install(TEACHER)
    await world.report(TEACHER)
    limit = world.server.service.trust.evidence_max_bytes
    world.connector.files["huge.png"] = b"x" * (limit + 10)
    before = len(world.connector.sent(chat(TEACHER).id))
    attachment = ta.file_download_attachment("huge.png", world.connector.file_url("huge.png"))
    await world.say(TEACHER, "", attachments=[attachment])
    reply = await world.wait_reply(TEACHER, before, "Not added")
    assert "MB" in reply


async def test_screenshots_without_a_recent_report_are_not_kept(world):
    await world.install(TEACHER)
    world.connector.files["post.png"] = PNG
    before = len(world.connector.sent(chat(TEACHER).id))
    attachment = ta.file_download_attachment("post.png", world.connector.file_url("post.png"))
    await world.say(TEACHER, "", attachments=[attachment])
    await world.wait_reply(TEACHER, before, "last hour")
    assert world.connector.of_kind("file") == []


async def test_a_connector_outage_is_survived_and_the_card_delivered_once(world):
    await world.install(HEAD)
    await world.install(TEACHER)
    world.connector.fail_next(2, 500, kinds={"create_conversation"})
    world.connector.fail_next(1, 429, retry_after=1, kinds={"send"})
    card = await world.report(TEACHER)
    reference = card["body"][0]["text"].split()[1]
    await world.server.idle(timeout=20)
    failed = world.connector.failed()
    assert [c.kind for c in failed].count("create_conversation") == 2
    assert [c.status for c in failed if c.kind == "send"] == [429]
    assert len(world.connector.created_conversations()) == 1
    receipts = [
        c for c in world.connector.sent(chat(TEACHER).id) if "received" in json.dumps(c.body)
    ]
    assert len(receipts) == 1
    record = await world.server.service.get(reference)
    by_notice = {m.notice: m for m in record.outbox}
    assert by_notice[Notice.APPROVAL_CARD].delivered_at is not None
    assert by_notice[Notice.APPROVAL_CARD].attempts == 3
    assert "500" in by_notice[Notice.APPROVAL_CARD].last_error
    assert "429" in by_notice[Notice.RECEIPT].last_error
    assert len(record.case.message("teams", "approval")) == 1
