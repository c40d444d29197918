"""Honest labels (issue 13): every screen says whose a recommendation is, and none says "the
policy recommends" for a rule whose basis is the trust's. Every rule fires in some scenario of
bot/policy-scenarios.toml, so rendering each scenario's case covers every rule's words: before the
decision (summary, card, receipt, alert) and after it (the card with its tasks, the notes, the
reminders and the 5.1.1 letter)."""

from __future__ import annotations

import io
import json
import re
import tomllib
from pathlib import Path

import pytest
from docx import Document

from bot.drafts import warning_letter
from bot.models import Actor, Basis, ReminderKind
from bot.triage_io import answers_from_json
from cards import html, slack, teams, views
from cards.html import CaseControls, InboxItem, Post
from tests.conftest import HEAD, REPORTER
from tests.samples import answers_values

SCENARIOS = Path(__file__).resolve().parents[2] / "bot" / "policy-scenarios.toml"
FORBIDDEN = re.compile(r"policy recommends|policy's recommendation|always kept", re.IGNORECASE)


CHAIR = Actor("slack", "UCHAIR1", "chair@oaktrust.example", "Chris Chair")


def scenarios() -> list[dict]:
    return tomllib.loads(SCENARIOS.read_text(encoding="utf-8"))["scenario"]


def screens(case, policy, trust, now) -> dict[str, str]:
    """Every screen a case's recommendation appears on, rendered by each renderer, as text."""
    school = trust.school(case.school_id)
    summary = views.summary_view(policy, case.answers, school, case.recommendation)
    card = views.approval_card(case, policy, school, trust.tz, now)
    receipt = views.receipt_view(case, policy, school)
    alert = views.safeguarding_alert(case, school)
    controls = CaseControls(act=Post(f"/cases/{case.reference}/act", "t"), file_url="/f")
    values = answers_values()
    return {
        "slack summary": json.dumps(slack.summary_modal(summary, "m").to_dict()),
        "slack card": json.dumps(slack.approval_card(card).block_dicts()),
        "slack receipt": json.dumps(slack.receipt_message(receipt).block_dicts()),
        "slack alert": json.dumps(slack.note_message(alert).block_dicts()),
        "teams summary": json.dumps(teams.summary_card(summary, "execute", "f", values)),
        "teams card": json.dumps(teams.approval_card(card, for_approver=True)),
        "teams receipt": json.dumps(teams.receipt_card(receipt)),
        "teams alert": json.dumps(teams.note_card(alert)),
        "web summary": str(html.summary(summary, Post("/r", "t"), "/r/0")),
        "web card": str(html.approval_card(card, controls)),
        "web receipt": str(html.receipt(receipt, f"/cases/{case.reference}")),
    }


def notes(view: views.NoteView) -> dict[str, str]:
    """A note to one person, as each channel shows it."""
    item = InboxItem(view, "now", f"/cases/{view.reference}")
    return {
        "slack": json.dumps(slack.note_message(view).block_dicts()),
        "teams": json.dumps(teams.note_card(view)),
        "web": str(html.inbox([(item, Post("/inbox/act", "t"))])),
    }


def after_the_decision(case, policy, trust, now) -> dict[str, str]:
    """Everything written once the decision is made: the card with its tasks, the decision and the
    reporter's update, each task's assignment and reminders, and the letter (5.1.1)."""
    school, tz = trust.school(case.school_id), trust.tz
    shown = {
        name: text for name, text in screens(case, policy, trust, now).items() if "card" in name
    }
    written = {"decision": views.decision_note(case, policy, tz)}
    written["reporter update"] = views.reporter_update(case, policy, tz)
    for task in case.tasks:
        written[f"{task.id} assigned"] = views.task_assigned(case, task, policy, tz)
        for kind in ReminderKind:
            written[f"{task.id} {kind}"] = views.reminder(case, task, kind, policy, tz)
    for name, view in written.items():
        for channel, text in notes(view).items():
            shown[f"{channel} {name}"] = text
    letter = Document(io.BytesIO(warning_letter(case, policy, school, now, tz)))
    shown["letter"] = "\n".join(p.text for p in letter.paragraphs)
    return shown


async def filed(scenario, service, policy, trust):  # noqa: ANN201 - the filed Case
    """The scenario's answers, filed by the reporter."""
    schools = tuple(s.id for s in trust.schools)
    answers = answers_from_json(scenario.get("answers", {}), policy, schools, "scenario")
    case, _ = await service.submit(REPORTER, answers, scenario["name"])
    return case


@pytest.mark.parametrize("scenario", scenarios(), ids=lambda s: s["name"][:60])
async def test_no_screen_credits_the_policy_with_the_trusts_practice(
    scenario, service, policy, trust, clock
):
    case = await filed(scenario, service, policy, trust)
    shown = screens(case, policy, trust, clock.now)
    for name, text in shown.items():
        assert not FORBIDDEN.search(text), f"{name}: {FORBIDDEN.search(text)[0]!r}"
    recommended = (*case.recommendation.actions, *case.recommendation.referrals)
    for a in case.recommendation.actions:
        # Every recommendation on the approver's card names its basis, the trust's as the trust's.
        said = "The trust's practice: " if a.basis is Basis.TRUST else f"The policy ({a.clause}): "
        for name in ("web card", "teams card"):
            plain = shown[name].replace("&#39;", "'")
            assert said + a.reason[:40] in plain, (name, a.action_id)
    assert recommended  # every scenario recommends something: at least the copies (5.1.7)


async def test_5_1_7_says_the_school_may_keep_copies(service, policy, trust, make_answers, clock):
    case, _ = await service.submit(REPORTER, make_answers(), "copies")
    text = "\n".join(screens(case, policy, trust, clock.now).values())
    assert "The school may keep copies of posts, images and comments as evidence (5.1.7)" in text


async def test_the_urgent_banner_says_why_and_goes_when_the_case_closes(
    service, policy, trust, make_answers, clock
):
    case, _ = await service.submit(REPORTER, make_answers(categories=["violence"]), "urgent")
    shown = screens(case, policy, trust, clock.now)
    for name in ("slack card", "teams card", "web card"):
        assert (
            "URGENT: a threat of violence. The safeguarding leads have been told." in shown[name]
        ), name
    out = await service.approve(case.reference, HEAD, case.version, ["police"])
    closed = await service.close(out.case.reference, HEAD, "no_further_action", "Done")
    shown = screens(closed.case, policy, trust, clock.now)
    for name in ("slack card", "teams card", "web card"):
        assert "URGENT: a threat of violence" not in shown[name], name


@pytest.mark.parametrize("scenario", scenarios(), ids=lambda s: s["name"][:60])
async def test_nothing_written_after_the_decision_credits_the_policy_with_the_trusts_practice(
    scenario, service, policy, trust, clock
):
    case = await filed(scenario, service, policy, trust)
    decider = CHAIR if case.recommendation.escalated else HEAD
    ticked = [a.action_id for a in case.recommendation.actions if not a.held_back]
    out = await service.approve(case.reference, decider, case.version, [*ticked, "warning_letter"])
    assert out.case.decision is not None and out.case.tasks
    shown = after_the_decision(out.case, policy, trust, clock.now)
    assert "Re: your post on" in shown["letter"]
    for name, text in shown.items():
        assert not FORBIDDEN.search(text), f"{name}: {FORBIDDEN.search(text)[0]!r}"
