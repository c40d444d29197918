"""One case, three renderers: the web, Slack and Teams show the same facts and decision buttons."""

from __future__ import annotations

import html as stdlib_html
import re
from collections.abc import Iterator
from typing import Any

import pytest

from cards import html, slack, teams, views
from cards.html import CaseControls, Post
from cards.ids import ActionId
from tests.cards.htmlcheck import parse
from tests.conftest import REPORTER

DECISIONS = {ActionId.APPROVE, ActionId.DECLINE, ActionId.ASK_INFO}


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def strings(value: Any, keys: set[str]) -> Iterator[str]:
    """Every string under these keys anywhere in a JSON tree."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k in keys and isinstance(v, str):
                yield v
            yield from strings(v, keys)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v, keys)


def web_rendering(view: views.ApprovalCardView) -> tuple[str, set[str]]:
    controls = CaseControls(act=Post("/cases/x/act", "t"), approver=True)
    page = parse(html.approval_card(view, controls))
    return page.all_text(), page.buttons()


def slack_rendering(view: views.ApprovalCardView) -> tuple[str, set[str]]:
    blocks = slack.approval_card(view).block_dicts()
    # mrkdwn escapes &, < and >, and marks bold with *: read it back as a person would.
    text = " ".join(stdlib_html.unescape(s).replace("*", "") for s in strings(blocks, {"text"}))
    buttons = {
        e["action_id"]
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["type"] == "button"
    }
    return squash(text), buttons


def teams_rendering(view: views.ApprovalCardView) -> tuple[str, set[str]]:
    card = teams.approval_card(view, for_approver=True, approver_ids=["29:head"])
    text = " ".join(strings(card, {"text", "title", "value", "label"}))
    verbs = {
        s
        for s in strings(card, {"verb"})
        if s in {a.value for a in ActionId}  # the refresh verb is not a button
    }
    return squash(text), verbs


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"categories": ["violence", "defamatory"], "author_name": "A. Parent"},
        {"categories": ["racist", "other"], "other_category": "Mocks a pupil's accent"},
    ],
    ids=["standard", "urgent-defamatory", "other-category"],
)
async def test_web_slack_and_teams_show_the_same_case(
    service, policy, trust, make_answers, overrides
):
    case, _ = await service.submit(REPORTER, make_answers(**overrides), "k")
    view = views.approval_card(case, policy, trust.school(case.school_id), trust.tz)
    renderings = {
        "web": web_rendering(view),
        "slack": slack_rendering(view),
        "teams": teams_rendering(view),
    }
    ticked = [a for a in view.actions if a.ticked]
    assert ticked, "a case always has recommended actions"
    expected = [
        *(squash(f.label) for f in view.facts),
        *(squash(f.value) for f in view.facts),
        *view.categories,
        *(f"{a.clause} {a.label}" for a in ticked),
    ]
    for platform, (text, buttons) in renderings.items():
        missing = [e for e in expected if e not in text]
        assert missing == [], f"{platform} does not show {missing}"
        # Each also offers the approvers a correction of an answer.
        assert buttons == DECISIONS | {ActionId.CORRECT_ANSWER}, platform
