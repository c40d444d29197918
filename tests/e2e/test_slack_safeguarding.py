"""Slack end to end (issue 13): the safeguarding route, a case about the head, an unknown author."""

from __future__ import annotations

import json

from bot.models import Actor, Notice, Status, Urgency
from tests.e2e.slack_support import (
    STEP_PEOPLE,
    STEP_WHAT,
    World,
    card_of,
    click_card,
    file_report,
    posted_to,
    world,
)
from tests.e2e.test_slack_follow_through import settled
from tests.fakes.slack_session import CHAIR, DSL, HEAD, LEADERS, button_values

__all__ = ["world"]
HEAD_ACTOR = Actor("slack", HEAD, "head@oakprimary.example")

ALLEGATION = {
    **STEP_WHAT,
    "categories": ["allegations"],
    "allegation_against_staff": ["yes"],
}


def ticked(card: dict) -> list[str]:
    return [
        o["value"]
        for b in card["blocks"]
        if b["type"] == "input" and b["element"]["type"] == "checkboxes"
        for o in b["element"].get("initial_options", [])
    ]


async def test_allegation_against_staff_alerts_the_dsl_with_the_lado_task(world: World) -> None:
    w = world
    reference = await file_report(w, what=ALLEGATION)
    await w.server.idle()
    record = await w.server.service.get(reference)
    case = record.case
    assert case.urgency is Urgency.URGENT
    [task] = case.tasks
    assert task.action_id == "lado_referral" and task.owner.email == "dsl@oakprimary.example"
    assert task.remind_at == task.due_at  # urgent: it reminds out of hours too
    # Told at once on every platform the bot runs on (here Slack alone: Teams shows two).
    alerts = [m.platform for m in record.outbox if m.notice is Notice.SAFEGUARDING_ALERT]
    assert sorted(alerts) == sorted(w.server.service.platforms) == ["slack"]
    to_dsl = json.dumps(posted_to(w, DSL))
    assert "an allegation against a member of staff or volunteer" in to_dsl
    assert "Consider a referral to the LADO (within 1 working day)" in to_dsl
    [card] = posted_to(w, LEADERS)
    blocks = json.dumps(card["blocks"])
    assert "URGENT: an allegation against a member of staff or volunteer" in blocks
    assert "discuss" not in ticked(card)  # held back until the DSL has advised, and says so
    assert "Held back until the DSL has advised" in blocks
    assert "the policy recommends" not in blocks.lower()


async def test_a_case_about_the_head_goes_to_the_escalation_contact(world: World) -> None:
    w = world
    reference = await file_report(w, people={**STEP_PEOPLE, "about": ["head"]})
    await w.server.idle()
    assert posted_to(w, LEADERS) == []  # the head sits in the leadership channel
    [card] = posted_to(w, CHAIR)
    assert reference in card["text"]
    assert "the trust's escalation contacts" in json.dumps(card["blocks"])
    await click_card(w, HEAD, reference, "case_approve")
    [told] = await w.api.wait_for("chat.postEphemeral")
    assert told.args["user"] == HEAD and "escalation contacts" in told.args["text"]
    case = (await w.server.service.get(reference)).case
    assert case.status is Status.AWAITING_DECISION and case.decision is None
    await click_card(w, CHAIR, reference, "case_approve")
    case = (await settled(w, reference, lambda r: r.case.decision is not None)).case
    assert case.status is Status.APPROVED and case.decision.by.email == "chair@oaktrust.example"
    assert not w.server.service.can_view(HEAD_ACTOR, case)


async def test_an_unknown_author_gets_no_conversation_step(world: World) -> None:
    w = world
    reference = await file_report(w, people={**STEP_PEOPLE, "author_relationship": "unknown"})
    _, card = await card_of(w, reference)
    assert "discuss" not in ticked(card)
    assert set(ticked(card)) == {"report_to_platform", "retain_evidence"}
    assert "The trust's practice: Nobody knows who posted it" in json.dumps(card["blocks"])


async def test_the_dsl_advises_on_slack_then_the_head_can_approve_the_conversation(
    world: World,
) -> None:
    w = world
    reference = await file_report(w, what=ALLEGATION)
    await w.server.idle()
    await click_card(w, HEAD, reference, "case_approve", ticked=["discuss", "retain_evidence"])
    await w.api.wait_for("chat.postEphemeral")
    told = [c.args for c in w.api.calls_to("chat.postEphemeral") if c.args["user"] == HEAD]
    assert told and "the DSL's advice is awaited" in told[-1]["text"]
    assert "@" not in told[-1]["text"]
    assert (await w.server.service.get(reference)).case.decision is None
    [note] = [m for m in posted_to(w, DSL) if "Record your advice" in json.dumps(m["blocks"])]
    assert button_values(note, "dsl_advise_go_ahead") == [f"{reference}:t1"]
    assert button_values(note, "dsl_advise_hold") == [f"{reference}:t1"]
    reply = await w.slack.click(
        DSL, "dsl_advise_go_ahead", f"{reference}:t1", message=note, channel=DSL
    )
    assert reply.status == 200, reply.text
    record = await settled(w, reference, lambda r: any(e.kind == "dsl_advice" for e in r.timeline))
    [event] = [e for e in record.timeline if e.kind == "dsl_advice"]
    assert event.after == {"go_ahead": True, "note": ""}
    assert event.actor.startswith("dsl@oakprimary.example ")
    told = [c.args for c in w.api.calls_to("chat.postEphemeral") if c.args["user"] == DSL]
    assert "Your advice is recorded" in told[-1]["text"]
    _, card = await card_of(w, reference)
    assert "The DSL advised on" in json.dumps(card["blocks"])
    await click_card(w, HEAD, reference, "case_approve", ticked=["discuss", "retain_evidence"])
    case = (await settled(w, reference, lambda r: r.case.decision is not None)).case
    assert case.status is Status.APPROVED and "discuss" in case.decision.actions
