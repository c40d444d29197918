"""Correcting an answer end to end: in Slack (button, modal) and on the web case page; a timeline
event with the old and new value and the reason, and the card re-rendered with the correction;
in Teams too (its button, the form card, the reason required)."""

from __future__ import annotations

import html
import json
from pathlib import Path

from bot.timeline import verify
from tests.e2e.slack_support import World, card_of, file_report, world
from tests.e2e.teams_support import HEAD as TEAMS_HEAD
from tests.e2e.teams_support import TEACHER, teams_world
from tests.e2e.test_slack_follow_through import (
    modal_from,
    press,
    settled,
    whispered,
)
from tests.e2e.test_web_channel import Browser, one_case
from tests.fakes.slack_session import DSL, HEAD, button_values

__all__ = ["world"]

CORRECT = "case_correct_answer"


async def test_an_approver_corrects_an_answer_in_slack(world: World) -> None:
    w = world
    reference = await file_report(w)
    record = await w.server.service.get(reference)
    filed = record.case.answers.post_text
    _, card = await card_of(w, reference)
    [value] = button_values(card, CORRECT)

    # A safeguarding lead is not an approver: told privately, no modal, nothing changes.
    await press(w, DSL, reference, CORRECT, value)
    refused = await whispered(w, DSL)
    assert "approvers can close, reopen or correct" in refused["text"]
    assert "@" not in refused["text"]

    modal = await modal_from(w, HEAD, press(w, HEAD, reference, CORRECT, value))
    assert modal.view["callback_id"] == "correct_form"
    fields = [o["value"] for o in modal.block("correct_field")["element"]["options"]]
    assert fields[:2] == ["post_text", "link"]
    reply = await w.slack.submit(
        modal, {"correct_field": "post_text", "correct_value": "Fixed words", "correct_reason": ""}
    )
    assert "correct_reason" in reply.json["errors"]  # the reason is required, in the modal
    reply = await w.slack.submit(
        modal,
        {
            "correct_field": "post_text",
            "correct_value": "The year 4 teacher is useless, says a parent",
            "correct_reason": "The screenshot shows the post ends there",
        },
    )
    assert reply.status == 200 and "errors" not in reply.json
    record = await settled(w, reference, lambda r: r.case.corrections != ())
    [event] = [e for e in record.timeline if e.kind == "answer_corrected"]
    assert event.actor.startswith("head@oakprimary.example")
    assert event.before["post_text"] == filed
    assert event.after["post_text"] == "The year 4 teacher is useless, says a parent"
    assert event.after["reason"] == "The screenshot shows the post ends there"
    assert verify(record.timeline) == []
    assert record.case.answers.post_text == filed  # the report as filed is never edited

    _, card = await card_of(w, reference)  # the card in the channel, updated in place
    text = html.unescape(json.dumps(card["blocks"], ensure_ascii=False))
    assert "The year 4 teacher is useless, says a parent" in text and "Corrected" in text
    assert "The screenshot shows the post ends there" in text


async def test_an_approver_corrects_an_answer_on_the_web(tmp_path: Path) -> None:
    async with one_case(tmp_path) as (server, http, ref):
        head = Browser(http, server.url)
        await head.act_as("head@oakprimary.example")
        status, page = await head.get(f"/cases/{ref}")
        assert status == 200 and "Correct an answer" in page
        form = {"action": CORRECT, "value": f"{ref}:1", "correct_field": "link"}
        status, page, _ = await head.post(
            f"/cases/{ref}/act", {**form, "correct_value": "https://facebook.example/post/2"}
        )
        assert status == 422 and "Say why the answer is corrected." in page
        assert (await server.service.get(ref)).case.corrections == ()
        status, page, url = await head.post(
            f"/cases/{ref}/act",
            {
                **form,
                "correct_value": "https://facebook.example/post/2",
                "correct_reason": "The reporter pasted the wrong post's link",
            },
        )
        assert status == 200 and url.endswith(f"/cases/{ref}?done={CORRECT}")
        assert "The answer is corrected; the report as filed is kept." in html.unescape(page)
        assert "https://facebook.example/post/2" in page
        record = await server.service.get(ref)
        [event] = [e for e in record.timeline if e.kind == "answer_corrected"]
        assert (event.kind, event.before["link"], event.after["link"]) == (
            "answer_corrected",
            "https://facebook.example/post/1",
            "https://facebook.example/post/2",
        )
        assert event.after["reason"] == "The reporter pasted the wrong post's link"
        assert record.case.answers.link == "https://facebook.example/post/1"

        # The reporter sees the corrected answer and that it was corrected; no form, no reason.
        http.cookie_jar.clear()
        teacher = Browser(http, server.url)
        await teacher.act_as("teacher@oakprimary.example")
        status, page = await teacher.get(f"/cases/{ref}")
        assert status == 200 and "https://facebook.example/post/2" in page
        assert "Link: corrected on" in page
        assert "wrong post" not in page and "Correct an answer" not in page
        status, _, _ = await teacher.post(
            f"/cases/{ref}/act",
            {**form, "correct_value": "https://x.example/", "correct_reason": "x"},
        )
        assert status == 403
        assert len((await server.service.get(ref)).case.corrections) == 1


async def test_an_approver_corrects_an_answer_in_teams(tmp_path: Path) -> None:
    async with teams_world(tmp_path / "data") as teams:
        for user in (TEACHER, TEAMS_HEAD):
            await teams.install(user)
        await teams.report(TEACHER)
        service = teams.server.service
        [ref] = await service.store.references()
        case = (await service.get(ref)).case
        button = {"case": f"{ref}:{case.version}", "back": "case"}
        heads_card = await teams.execute(TEAMS_HEAD, "case_refresh", {"case": button["case"]})
        assert CORRECT in json.dumps(heads_card)  # the approver's copy offers it
        teachers_card = await teams.execute(TEACHER, "case_refresh", {"case": button["case"]})
        assert CORRECT not in json.dumps(teachers_card)

        refused = await teams.execute(TEACHER, CORRECT, button)
        assert "approvers can close, reopen or correct" in json.dumps(refused)
        form = await teams.execute(TEAMS_HEAD, CORRECT, button)
        [submit] = [a for a in form["actions"] if a["verb"] == "correct_form"]
        answers = {"correct_field": "author_name", "correct_value": "Jo Bloggs"}
        again = await teams.execute(TEAMS_HEAD, "correct_form", {**submit["data"], **answers})
        assert "Say why the answer is corrected." in json.dumps(again)
        assert (await service.get(ref)).case.corrections == ()
        reason = {"correct_reason": "The reporter named the parent later"}
        done = await teams.execute(
            TEAMS_HEAD, "correct_form", {**submit["data"], **answers, **reason}
        )
        shown = json.dumps(done, ensure_ascii=False)
        assert "The answer is corrected; the report as filed is kept." in shown
        assert "Jo Bloggs" in shown and "Corrected" in shown
        record = await service.get(ref)
        [event] = [e for e in record.timeline if e.kind == "answer_corrected"]
        assert event.before["author_name"] == "" and event.after["author_name"] == "Jo Bloggs"
        assert event.after["reason"] == "The reporter named the parent later"
        assert record.case.answers.author_name == ""
