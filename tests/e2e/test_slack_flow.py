"""Slack end to end: from /report-post to an approved decision, through the real server."""

from __future__ import annotations

import hashlib
import json

from bot.models import Notice, Status
from tests.e2e.slack_support import (
    PNG,
    STEP_PEOPLE,
    STEP_POST,
    STEP_WHAT,
    World,
    file_report,
    posted_to,
    world,
)
from tests.fakes.slack_session import (
    HEAD,
    LEADERS,
    TEACHER,
    TOKEN,
    button_value,
    checkbox_state,
)

__all__ = ["world"]


async def test_slash_command_to_approved_decision(world: World) -> None:
    w = world
    reply = await w.slack.command(TEACHER, "https://facebook.example/post/1")
    assert reply.status == 200 and reply.text == ""
    modal = await w.slack.opened(TEACHER)
    assert modal.block("link")["element"]["initial_value"] == "https://facebook.example/post/1"
    assert modal.input_ids() == ["platform", "link", "seen_on", "post_text", "evidence"]
    assert modal.block("evidence")["element"]["type"] == "file_input"

    await w.slack.submit(modal, STEP_POST)
    assert "author_relationship" in modal.input_ids()
    await w.slack.submit(modal, STEP_PEOPLE)
    assert "categories" in modal.input_ids()
    assert await w.server.service.store.references() == []  # nothing filed before submit
    await w.slack.submit(modal, STEP_WHAT)
    summary = modal.text()
    assert "Check and submit" in summary and "*5.1* Discuss" in summary and "*5.1.7*" in summary
    assert await w.server.service.store.references() == []

    reply = await w.slack.submit(modal)
    assert reply.json["response_action"] == "update"
    assert "OAK-2026-0001" in modal.text() or "OAK-" in modal.text()
    [reference] = await w.server.service.store.references()
    assert reference in modal.text()
    assert await w.server.service.store.get_value("drafts", "x") is None

    await w.server.idle()
    receipt = posted_to(w, TEACHER)
    assert len(receipt) == 1 and reference in receipt[0]["text"]
    assert "4.1" in json.dumps(receipt[0]["blocks"])
    [card] = posted_to(w, LEADERS)
    assert card["text"] == f"New report {reference} needs your decision"
    assert "useless" not in card["text"]
    record = await w.server.service.get(reference)
    assert [m.notice for m in record.outbox] == [Notice.RECEIPT, Notice.APPROVAL_CARD]
    assert all(m.delivered_at for m in record.outbox)
    [ref] = record.case.message("slack", "approval")
    assert (ref.platform, ref.purpose, ref.conversation) == ("slack", "approval", LEADERS)
    # The receipt is kept as one of the case's messages too (a purge replaces it).
    [note] = record.case.message("slack", "note")
    assert note.conversation == f"D{TEACHER}"

    message = w.api.messages[(LEADERS, ref.message_id)]
    reply = await w.slack.click(
        HEAD,
        "case_approve",
        button_value(message, "case_approve"),
        message=message,
        state=checkbox_state(message),
    )
    assert reply.status == 200
    [update] = await w.api.wait_for("chat.update")
    await w.server.idle()
    blocks = update.args["blocks"]
    ids = {e.get("action_id") for b in blocks for e in b.get("elements", [])}
    assert not ids & {"case_approve", "case_decline", "case_ask_info"}  # decided: no decision
    assert {"task_done", "task_reassign", "case_close"} <= ids  # but the follow-through
    assert "Approved by Hana Head" in json.dumps(blocks)
    assert update.args["ts"] == ref.message_id and update.args["channel"] == LEADERS
    thread = [c for c in posted_to(w, LEADERS) if c.get("thread_ts") == ref.message_id]
    assert len(thread) == 1 and "Approved by" in json.dumps(thread[0]["blocks"])
    told = posted_to(w, TEACHER)
    assert len(told) == 2 and "approved action" in json.dumps(told[1]["blocks"])

    record = await w.server.service.get(reference)
    assert record.case.status is Status.APPROVED
    assert record.case.decision.by.email == "head@oakprimary.example"
    assert record.case.decision.actions == ("discuss", "retain_evidence")
    kinds = [e.kind for e in record.timeline]
    assert kinds[:2] == ["report_submitted", "triaged"] and "decision_approved" in kinds
    assert all(m.delivered_at for m in record.outbox)


async def test_evidence_is_downloaded_with_the_bot_token_and_hashed(world: World) -> None:
    w = world
    reference = await file_report(w, post={**STEP_POST, "evidence": ["F0SHOT0001"]})
    [download] = await w.api.wait_for("files:download")
    assert download.token == TOKEN
    assert w.api.calls_to("files.info")[0].args["file"] == "F0SHOT0001"
    sha = hashlib.sha256(PNG).hexdigest()
    for _ in range(100):
        case = (await w.server.service.get(reference)).case
        if case.evidence:
            break
        await w.server.idle()
    [evidence] = case.evidence
    assert (evidence.sha256, evidence.name, evidence.size) == (sha, "post.png", len(PNG))
    assert evidence.captured_by.email == "teacher@oakprimary.example"
    stored = w.data_dir / "evidence" / sha[:2] / sha
    assert PNG not in stored.read_bytes()  # sealed at rest
    assert w.server.service.store.read_evidence(sha) == PNG
    await w.server.idle()
    record = await w.server.service.get(reference)
    assert "evidence_retained" in [e.kind for e in record.timeline]
    updates = w.api.calls_to("chat.update")
    assert updates and sha[:12] in json.dumps(updates[-1].args["blocks"])
