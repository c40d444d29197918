"""Slack end to end: the ways in, the form's checks, App Home, and request signatures."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime, timedelta

from tests.e2e.slack_support import (
    PNG,
    STEP_PEOPLE,
    STEP_POST,
    STEP_WHAT,
    World,
    file_report,
    world,
)
from tests.fakes.slack_session import HEAD, STAFFROOM, STRANGER, TEACHER, fresh_ts
from tests.fakes.slack_signing import FORM, command_body

__all__ = ["world"]


async def test_invalid_answers_come_back_as_errors_on_their_fields(world: World) -> None:
    w = world
    await w.slack.command(TEACHER)
    modal = await w.slack.opened(TEACHER)
    tomorrow = (datetime.now(UTC).date() + timedelta(days=2)).isoformat()
    reply = await w.slack.submit(
        modal, {"platform": "facebook", "link": "not a link", "seen_on": tomorrow, "post_text": ""}
    )
    assert reply.json["response_action"] == "errors"
    errors = reply.json["errors"]
    assert set(errors) == {"link", "seen_on", "post_text"}
    assert errors["link"].startswith("A link starts with https://")
    assert errors["seen_on"] == "That date is in the future."
    assert modal.input_ids()[0] == "platform"  # still on the first step

    reply = await w.slack.submit(modal, {**STEP_POST, "link": ""})
    assert reply.json["response_action"] == "update"
    reply = await w.slack.submit(modal, {"author_relationship": "parent", "about": []})
    assert reply.json == {
        "response_action": "errors",
        "errors": {"about": "Tick at least one."},
    }
    await w.slack.submit(modal, STEP_PEOPLE)
    reply = await w.slack.submit(modal, {**STEP_WHAT, "categories": ["other"]})
    assert set(reply.json["errors"]) == {"other_category"}
    assert await w.server.service.store.references() == []


async def test_back_keeps_the_answers_and_closing_drops_the_draft(world: World) -> None:
    w = world
    await w.slack.command(TEACHER)
    modal = await w.slack.opened(TEACHER)
    await w.slack.submit(modal, STEP_POST)
    await w.slack.click(TEACHER, "report_back", modal=modal)
    [update] = await w.api.wait_for("views.update")
    back = update.args["view"]
    post_text = next(b for b in back["blocks"] if b.get("block_id") == "post_text")
    assert post_text["element"]["initial_value"] == STEP_POST["post_text"]
    metadata = json.loads(back["private_metadata"])
    assert metadata["s"] == 0
    assert await w.server.service.store.get_value("drafts", metadata["d"])
    modal.view = back
    await w.slack.close(modal)
    for _ in range(100):
        if await w.server.service.store.get_value("drafts", metadata["d"]) is None:
            break
        await w.server.idle()
    assert await w.server.service.store.get_value("drafts", metadata["d"]) is None


async def test_message_shortcut_prefills_text_permalink_and_files(world: World) -> None:
    w = world
    message = {
        "type": "message",
        "user": "UOTHER1",
        "ts": fresh_ts(),
        "text": "Look at this <https://facebook.example/p/9|post> about Miss Oak &amp; year 4",
        "files": [{"id": "F0SHOT0001", "name": "post.png"}],
    }
    reply = await w.slack.message_shortcut(TEACHER, message, STAFFROOM)
    assert reply.status == 200
    modal = await w.slack.opened(TEACHER)
    [link] = w.api.calls_to("chat.getPermalink")
    assert link.args == {"channel": STAFFROOM, "message_ts": message["ts"]}
    permalink = f"https://oak.slack.com/archives/{STAFFROOM}/p{message['ts'].replace('.', '')}"
    assert modal.block("link")["element"]["initial_value"] == "https://facebook.example/p/9"
    assert modal.block("post_text")["element"]["initial_value"] == (
        "Look at this https://facebook.example/p/9 about Miss Oak & year 4"
    )
    assert permalink in modal.text()
    offered = modal.block("message_files")["element"]
    assert [o["value"] for o in offered["initial_options"]] == ["F0SHOT0001"]
    assert offered["options"][0]["text"]["text"] == "post.png"

    for answers in ({"platform": "facebook"}, STEP_PEOPLE, STEP_WHAT, {}):
        await w.slack.submit(modal, answers)
    [reference] = await w.server.service.store.references()
    await w.api.wait_for("files:download")
    for _ in range(100):
        case = (await w.server.service.get(reference)).case
        if case.evidence:
            break
        await w.server.idle()
    assert case.answers.post_text.startswith("Look at this")
    assert [e.sha256 for e in case.evidence] == [hashlib.sha256(PNG).hexdigest()]
    assert case.evidence[0].source == "slack:F0SHOT0001"


async def test_global_shortcut_and_home_button_open_the_form(world: World) -> None:
    w = world
    await w.slack.global_shortcut(TEACHER)
    modal = await w.slack.opened(TEACHER)
    assert modal.view["callback_id"] == "report_form"
    await w.slack.click(TEACHER, "report_open", channel="DUTEACH1")
    modal = await w.slack.opened(TEACHER, 2)
    assert modal.input_ids()[0] == "platform"


async def test_someone_outside_the_trust_is_told_and_no_form_opens(world: World) -> None:
    w = world
    await w.slack.command(STRANGER)
    modal = await w.slack.opened(STRANGER)
    assert "Only the trust's staff can report" in modal.text()
    assert modal.view.get("submit") is None
    assert await w.server.service.store.references() == []


async def test_app_home_shows_the_button_and_the_cases_each_person_may_see(world: World) -> None:
    w = world
    reference = await file_report(w)
    await w.server.idle()
    for user in (HEAD, TEACHER, STRANGER):
        reply = await w.slack.event({"type": "app_home_opened", "user": user, "tab": "home"})
        assert reply.status == 200
    published = await w.api.wait_for("views.publish", 3)
    by_user = {c.args["user_id"]: json.dumps(c.args["view"]) for c in published}
    for user in (HEAD, TEACHER):
        assert reference in by_user[user] and "Awaiting decision" in by_user[user]
        assert "report_open" in by_user[user]
    assert reference not in by_user[STRANGER] and "No open cases." in by_user[STRANGER]


async def test_forged_or_stale_signatures_get_401_and_do_nothing(world: World) -> None:
    w = world
    body = command_body("/report-post", "", TEACHER)
    forged = await w.slack.post(body, FORM, secret="not-the-secret")
    stale = await w.slack.post(body, FORM, timestamp=int(time.time()) - 600)
    assert (forged.status, stale.status) == (401, 401)
    async with w.slack.http.post(
        f"{w.server.url}/slack/events", data=body, headers={"Content-Type": FORM}
    ) as unsigned:
        assert unsigned.status == 401
    good = await w.slack.post(body, FORM)
    assert good.status == 200
    await w.api.wait_for("views.open")
    assert len(w.api.calls_to("views.open")) == 1
