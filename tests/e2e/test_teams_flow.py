"""Teams end to end: the real server, a fake Bot Connector, and what each side ends up holding."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from bot.models import Status
from tests.e2e.teams_support import (
    DEPUTY,
    DSL,
    HEAD,
    HEAD2,
    LEADERSHIP,
    TEACHER,
    TEACHER2,
    Teams,
    assert_all_cards_valid,
    chat,
    flatten,
    sent_card,
    teams_world,
)
from tests.fakes import teams_activities as ta
from tests.samples import answers_values


@pytest.fixture
async def world(tmp_path) -> AsyncIterator[Teams]:
    async with teams_world(tmp_path / "data") as teams:
        yield teams
        assert_all_cards_valid(teams.connector)


async def filed(world: Teams, user=TEACHER, **overrides) -> str:
    """Report as this user and wait until every notification is out; the case reference."""
    await world.install(user)
    card = await world.report(user, **overrides)
    reference = card["body"][0]["text"].split()[1]
    await world.server.idle()
    return reference


def approval_post(world: Teams):
    [post] = world.connector.created_conversations()
    return post


async def test_install_keeps_the_reference_by_email_and_welcomes_once(world):
    await world.install(TEACHER)
    status, _ = await world.post(ta.installation_update(TEACHER, world.url, chat(TEACHER)))
    assert status in (200, 201)
    stored = await world.server.service.store.get_value("teams_refs", TEACHER.email)
    assert stored["user_id"] == TEACHER.id and stored["aad_id"] == TEACHER.aad_object_id
    assert stored["reference"]["conversation"]["id"] == chat(TEACHER).id
    assert stored["reference"]["serviceUrl"] == world.url
    key = f"{ta.TENANT_ID}:{TEACHER.aad_object_id}"  # people by tenant and object id
    user = await world.server.service.store.get_value("teams_users", key)
    assert user["email"] == TEACHER.email and user["user_id"] == TEACHER.id
    [welcome] = world.connector.sent()
    card = sent_card(welcome)
    assert card["actions"][0]["verb"] == "report_open"


async def test_report_gives_the_form_and_bad_answers_come_back_with_errors(world):
    await world.install(TEACHER)
    await world.say(TEACHER, "report")
    form = sent_card((await world.wait_sent(2))[-1])
    ids = {e.get("id") for e in form["body"]}
    assert {"platform", "post_text", "seen_on", "categories", "history"} <= ids
    form_key = form["actions"][0]["data"]["form"]
    bad = flatten(answers_values(platform="", link="not a link", seen_on="2999-01-01"))
    card = await world.execute(TEACHER, "report_next", {"form": form_key, **bad})
    red = [b["text"] for b in card["body"] if b.get("color") == "Attention"]
    assert "Please choose one." in red
    assert "A link starts with https:// (or leave it empty)." in red
    assert "That date is in the future." in red
    assert next(b for b in card["body"] if b.get("id") == "post_text")["value"]  # kept
    assert await world.server.service.store.references() == []


async def test_a_report_is_filed_and_the_card_goes_to_the_leadership_channel(world):
    await world.install(HEAD)
    reference = await filed(world)
    record = await world.server.service.get(reference)
    assert record.case.status is Status.AWAITING_DECISION
    assert record.case.reporter.platform == "teams" and record.case.reporter.user_id == TEACHER.id
    assert record.pending == ()
    assert [e.kind for e in record.timeline][:2] == ["report_submitted", "triaged"]
    post = approval_post(world)
    assert post.body["channelData"]["channel"]["id"] == LEADERSHIP
    assert post.body["isGroup"] is True
    activity = post.activity
    assert activity["summary"] == f"New report {reference} needs your decision"
    card = sent_card(post)
    assert card["refresh"]["userIds"] == [HEAD.id]
    assert "Waiting for a decision from the approvers: head@oakprimary.example" in json.dumps(card)
    [ref] = record.case.message("teams", "approval")
    assert ref.conversation == post.result_id and ref.message_id == post.response["activityId"]
    receipt = world.connector.sent(chat(TEACHER).id)[-1]
    assert f"Report {reference} received" in json.dumps(sent_card(receipt))


async def test_without_a_channel_each_approver_gets_a_personal_chat(world):
    await world.install(HEAD2)
    reference = await filed(world, TEACHER2)
    [card_call] = world.connector.sent(chat(HEAD2).id)[-1:]
    card = sent_card(card_call)
    # the approver's own copy: the decision controls, under the headline
    assert '"verb": "case_approve"' in json.dumps(card)
    assert card_call.activity["summary"] == f"New report {reference} needs your decision"
    record = await world.server.service.get(reference)
    [ref] = record.case.message("teams", "approval")
    assert ref.conversation == chat(HEAD2).id and ref.message_id == card_call.result_id
    assert world.connector.created_conversations() == []


async def test_someone_else_cannot_decide_and_nothing_changes(world):
    reference = await filed(world)
    before = await world.server.service.get(reference)
    for user in (TEACHER, DSL, HEAD2):
        await world.install(user)
        card = await world.execute(
            user, "case_approve", {"case": f"{reference}:1", "decision_actions": "discuss"}
        )
        text = json.dumps(card)
        assert "Only Oak Primary School's approvers can decide" in text
        assert "case_approve" not in text  # no controls for them
    assert await world.server.service.get(reference) == before


async def test_the_approvers_decision_updates_the_card_for_everyone_and_tells_the_reporter(world):
    await world.install(HEAD)
    reference = await filed(world)
    post = approval_post(world)
    thread, message_id = post.result_id, post.response["activityId"]
    card = await world.execute(
        HEAD,
        "case_approve",
        {"case": f"{reference}:1", "decision_actions": "discuss,retain_evidence"},
        ta.TeamsConversation.from_id(thread),
        reply_to_id=message_id,
    )
    assert "Approved by Jane Head" in json.dumps(card) and "case_approve" not in json.dumps(card)
    await world.server.idle()
    [update] = world.connector.updates(thread)
    assert update.activity_id == message_id
    assert "Approved by Jane Head" in json.dumps(sent_card(update))
    assert update.activity["summary"] == f"Report {reference}: decision made"
    note = world.connector.sent(thread)[-1]
    assert note.kind == "reply" and note.activity_id == message_id
    assert f"Decision on {reference}" in json.dumps(sent_card(note))
    told = world.connector.sent(chat(TEACHER).id)[-1]
    assert f"The head approved action on your report {reference}" in json.dumps(sent_card(told))
    record = await world.server.service.get(reference)
    assert record.case.status is Status.APPROVED
    assert record.case.decision.actions == ("discuss", "retain_evidence")
    assert "decision_approved" in [e.kind for e in record.timeline]
    assert record.pending == ()


async def test_a_repeated_click_and_a_second_approver_give_one_decision(world):
    await world.install(HEAD)
    await world.install(DEPUTY)
    reference = await filed(world)
    data = {"case": f"{reference}:1", "decision_actions": "discuss"}
    first = await world.execute(HEAD, "case_approve", data)
    again = await world.execute(HEAD, "case_approve", data)
    other = await world.execute(
        DEPUTY, "case_decline", {"case": f"{reference}:1", "decline_reason": "No"}
    )
    assert "Approved by" in json.dumps(first)
    assert "You already approved" in json.dumps(again)
    assert "Jane Head already approved" in json.dumps(other)
    record = await world.server.service.get(reference)
    kinds = [e.kind for e in record.timeline]
    assert kinds.count("decision_approved") == 1 and "decision_declined" not in kinds
    await world.server.idle()
    assert len(world.connector.updates()) == 1


async def test_more_information_goes_to_the_reporter_and_back(world):
    await world.install(HEAD)
    reference = await filed(world)
    await world.execute(
        HEAD, "case_ask_info", {"case": f"{reference}:1", "info_question": "Which class?"}
    )
    await world.server.idle()
    question = sent_card(world.connector.sent(chat(TEACHER).id)[-1])
    answer = question["actions"][0]
    assert answer["verb"] == "case_answer_info"
    thanks = await world.execute(
        TEACHER, "case_answer_info", {**answer["data"], "info_answer": "4B"}
    )
    assert "your answer" in json.dumps(thanks)
    await world.server.idle()
    record = await world.server.service.get(reference)
    assert record.case.status is Status.AWAITING_DECISION
    assert record.case.info_requests[-1].answer == "4B"
    thread = approval_post(world).result_id
    notes = [json.dumps(sent_card(c)) for c in world.connector.sent(thread)]
    assert any("The reporter answered: 4B" in n for n in notes)
    stale = await world.execute(
        HEAD, "case_approve", {"case": f"{reference}:1", "decision_actions": "discuss"}
    )
    assert "changed since this card was shown" in json.dumps(stale)
    assert "case_approve" in json.dumps(stale)  # the refreshed controls, at the new version
    assert f"{reference}:3" in json.dumps(stale)


async def test_an_urgent_case_is_marked_and_alerts_the_safeguarding_lead(world):
    await world.install(DSL)
    reference = await filed(world, categories=["violence"])
    card = sent_card(approval_post(world))
    assert card["body"][0]["color"] == "Attention"
    alert = sent_card(world.connector.sent(chat(DSL).id)[-1])
    assert f"URGENT report {reference}" in json.dumps(alert)
    receipt = sent_card(world.connector.sent(chat(TEACHER).id)[-1])
    assert receipt["body"][0]["color"] == "Attention" and "999" in receipt["body"][0]["text"]


async def test_cases_lists_what_the_user_may_see(world):
    reference = await filed(world)
    await world.install(HEAD)
    await world.say(HEAD, "cases")
    listing = sent_card((await world.wait_sent(len(world.connector.sent())))[-1])
    assert reference in json.dumps(listing)
    await world.install(HEAD2)
    await world.say(HEAD2, "cases")
    await world.wait_sent(len(world.connector.sent()))
    assert reference not in json.dumps(sent_card(world.connector.sent(chat(HEAD2).id)[-1]))


async def test_older_clients_action_submit_runs_the_same_verb(world):
    await world.install(HEAD)
    reference = await filed(world)
    before = len(world.connector.sent())
    value = {"verb": "case_approve", "case": f"{reference}:1", "decision_actions": "discuss"}
    status, _ = await world.say(HEAD, "", value=value, reply_to_id="1700000000099")
    assert status in (200, 201)
    [edited] = world.connector.updates(chat(HEAD).id)
    assert edited.activity_id == "1700000000099"
    assert (await world.server.service.get(reference)).case.status is Status.APPROVED
    assert len(world.connector.sent()) >= before


async def test_the_automatic_refresh_shows_controls_to_approvers_only(world):
    await world.install(HEAD)
    reference = await filed(world)
    data = {"case": f"{reference}:1"}
    mine = await world.execute(HEAD, "case_refresh", data)
    assert "case_approve" in json.dumps(mine)
    await world.install(DSL)
    theirs = await world.execute(DSL, "case_refresh", data)
    assert "case_approve" not in json.dumps(theirs)
    waiting = "Waiting for a decision from the approvers: head@oakprimary.example"
    assert waiting in json.dumps(theirs)
