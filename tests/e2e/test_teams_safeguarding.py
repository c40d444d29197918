"""Teams end to end (issue 13): the safeguarding route, a case about the head, an unknown author."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from bot.models import Notice, Status, Urgency
from tests.e2e.teams_support import (
    DSL,
    HEAD,
    LEADERSHIP,
    TEACHER,
    Teams,
    assert_all_cards_valid,
    chat,
    sent_card,
    teams_world,
)
from tests.fakes import teams_activities as ta

CHAIR = ta.TeamsUser(
    "29:1chairOakTrust",
    "be6c7b80-0000-4f60-8a71-92b3c4d5e6fc",
    "Cara Chair",
    "chair@oaktrust.example",
)


@pytest.fixture
async def world(tmp_path) -> AsyncIterator[Teams]:
    async with teams_world(tmp_path / "data") as teams:
        teams.connector.members[CHAIR.id] = CHAIR.member()
        yield teams
        assert_all_cards_valid(teams.connector)


async def filed(world: Teams, **overrides) -> str:
    await world.install(TEACHER)
    card = await world.report(TEACHER, **overrides)
    reference = card["body"][0]["text"].split()[1]
    await world.server.idle()
    return reference


def leadership_cards(world: Teams) -> list[dict]:
    return [
        sent_card(c)
        for c in world.connector.created_conversations()
        if c.body["channelData"]["channel"]["id"] == LEADERSHIP
    ]


async def test_allegation_against_staff_alerts_the_dsl_on_every_platform(world: Teams) -> None:
    await world.install(DSL)
    reference = await filed(world, categories=["allegations"], allegation_against_staff=["yes"])
    record = await world.server.service.get(reference)
    assert record.case.urgency is Urgency.URGENT
    [task] = record.case.tasks
    assert (task.action_id, task.owner.email) == ("lado_referral", DSL.email)
    # Teams and the web inbox (demo mode runs both): the DSL is told on each.
    alerts = sorted(m.platform for m in record.outbox if m.notice is Notice.SAFEGUARDING_ALERT)
    assert alerts == ["teams", "web"]
    to_dsl = json.dumps([sent_card(c) for c in world.connector.sent(chat(DSL).id)])
    assert "an allegation against a member of staff or volunteer" in to_dsl
    assert "Consider a referral to the LADO (within 1 working day)" in to_dsl
    [card] = leadership_cards(world)
    text = json.dumps(card)
    assert "URGENT: an allegation against a member of staff or volunteer" in text
    assert "Held back until the DSL has advised" in text
    assert "the policy recommends" not in text.lower()


async def test_a_case_about_the_head_goes_to_the_escalation_contact(world: Teams) -> None:
    await world.install(HEAD)
    await world.install(CHAIR)
    reference = await filed(world, about=["head"])
    assert leadership_cards(world) == []  # the head sits in the leadership channel
    [call] = world.connector.sent(chat(CHAIR).id)[-1:]
    card = sent_card(call)
    # the approver's own copy: the decision controls, under the headline
    assert '"verb": "case_approve"' in json.dumps(card)
    assert card["refresh"]["userIds"] == [CHAIR.id]
    refused = await world.execute(
        HEAD, "case_approve", {"case": f"{reference}:1", "decision_actions": "discuss"}
    )
    text = json.dumps(refused)
    assert "escalation contacts" in text and "case_approve" not in text
    assert "The year 4 teacher" not in text  # the head does not see the post either
    assert (await world.server.service.get(reference)).case.decision is None
    done = await world.execute(
        CHAIR,
        "case_approve",
        {"case": f"{reference}:1", "decision_actions": "discuss,retain_evidence"},
    )
    assert "Approved by Cara Chair" in json.dumps(done)
    case = (await world.server.service.get(reference)).case
    assert case.status is Status.APPROVED and case.decision.by.email == CHAIR.email


def elements(node):
    """Every element of a card, however deeply it is nested."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from elements(value)
    elif isinstance(node, list):
        for value in node:
            yield from elements(value)


async def test_an_unknown_author_has_no_conversation_step(world: Teams) -> None:
    await world.install(HEAD)
    reference = await filed(world, author_relationship="unknown")
    card = await world.execute(HEAD, "case_refresh", {"case": f"{reference}:1"})
    [picker] = [
        e for e in elements(card) if e.get("type") == "Input.ChoiceSet" and e.get("isMultiSelect")
    ]
    ticked = picker["value"]
    assert "discuss" not in ticked.split(",")
    assert set(ticked.split(",")) == {"report_to_platform", "retain_evidence"}
    assert "The trust's practice: Nobody knows who posted it" in json.dumps(card)


async def test_the_dsl_advises_on_teams_then_the_head_can_approve_the_conversation(
    world: Teams,
) -> None:
    await world.install(DSL)
    await world.install(HEAD)
    reference = await filed(world, categories=["allegations"], allegation_against_staff=["yes"])
    approve = {"case": f"{reference}:1", "decision_actions": "discuss,retain_evidence"}
    card = await world.execute(HEAD, "case_approve", approve)
    said = [e["text"] for e in elements(card) if "advice is awaited" in str(e.get("text", ""))]
    assert said and all("@" not in t for t in said)  # names the DSL's advice, lists no emails
    assert (await world.server.service.get(reference)).case.decision is None
    to_dsl = json.dumps([sent_card(c) for c in world.connector.sent(chat(DSL).id)])
    assert "Record your advice on talking to the parent" in to_dsl
    assert '"verb": "dsl_advise_go_ahead"' in to_dsl and '"verb": "dsl_advise_hold"' in to_dsl
    told = await world.execute(
        DSL, "dsl_advise_go_ahead", {"task": f"{reference}:t1", "back": "note"}
    )
    assert "Your advice is recorded: the conversation may go ahead." in json.dumps(told)
    record = await world.server.service.get(reference)
    [event] = [e for e in record.timeline if e.kind == "dsl_advice"]
    assert event.after == {"go_ahead": True, "note": ""} and event.actor.startswith(DSL.email)
    [discuss] = [a for a in record.case.recommendation.actions if a.action_id == "discuss"]
    assert discuss.reason.startswith("The DSL advised on") and discuss.reason.endswith(
        "may go ahead"
    )
    done = await world.execute(HEAD, "case_approve", approve)
    assert "Approved by" in json.dumps(done)
    case = (await world.server.service.get(reference)).case
    assert case.status is Status.APPROVED and "discuss" in case.decision.actions
