"""Slack at the limits: a 2,000-character post, ten screenshots, eight tasks and long names in
every message and view the bot sends, each valid per slack_sdk.models and within Block Kit."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from slack_sdk.models.views import View

from bot.models import ReminderKind
from bot.policy import evaluate
from cards import slack, views
from tests.cards.test_slack_render import assert_within_limits, parsed
from tests.conftest import HEAD
from tests.screens.gallery import LONG_NAME, long_case

MESSAGE_BLOCKS, VIEW_BLOCKS = 50, 100  # Block Kit: a message, a modal or the Home tab


def check_message(name: str, message: Any) -> str:
    blocks = message.block_dicts()
    parsed(blocks)
    assert_within_limits(blocks, MESSAGE_BLOCKS)
    assert len(message.text) <= 4000, name  # the notification text (and it is content-free)
    return json.dumps(blocks)


def check_view(name: str, view: View) -> str:
    view.validate_json()
    body = view.to_dict()
    parsed(body["blocks"])
    assert_within_limits(body["blocks"], VIEW_BLOCKS)
    return json.dumps(body)


async def test_every_slack_message_of_a_case_at_the_limits(service, policy, trust):
    school, tz = trust.school("oak-primary"), trust.tz
    long = await long_case(service, policy)
    filed, decided = long.filed, long.decided
    task = decided.tasks[0]
    messages = {
        "approval": slack.approval_card(views.approval_card(filed, policy, school, tz)),
        "approved": slack.approval_card(views.approval_card(decided, policy, school, tz)),
        "receipt": slack.receipt_message(views.receipt_view(filed, policy, school)),
        "decision": slack.note_message(views.decision_note(decided, policy, tz)),
        "reporter": slack.note_message(views.reporter_update(decided, policy, tz)),
        "assigned": slack.note_message(views.task_assigned(decided, task, policy, tz)),
        "alert": slack.note_message(views.safeguarding_alert(filed, school)),
        "letter": slack.note_message(views.letter_note(decided)),
        **{
            f"reminder-{k.value}": slack.note_message(views.reminder(decided, task, k, policy, tz))
            for k in ReminderKind
        },
    }
    seen = {name: check_message(name, m) for name, m in messages.items()}
    # What a person needs is there, not cut away: the files, every task, the long names.
    assert "screenshot-of-the-facebook-group-post-number-10.png" in seen["approval"]
    assert all(policy.action(t.action_id).clause in seen["approved"] for t in decided.tasks)
    assert LONG_NAME[:30] in seen["approval"]
    assert filed.reference in seen["receipt"]

    summary = views.summary_view(policy, long.answers, school, evaluate(policy, long.answers))
    modals = {
        "summary": slack.summary_modal(summary, "m"),
        "receipt-modal": slack.receipt_modal(views.receipt_view(filed, policy, school)),
        "case": slack.case_modal(views.approval_card(decided, policy, school, tz)),
        "close": slack.close_modal(f"Close {decided.reference}", "m"),
        "task-done": slack.task_done_modal(
            policy.action(task.action_id).labelled, "Reference", "m"
        ),
        "reassign": slack.reassign_modal(policy.action(task.action_id).labelled, "m"),
    }
    for name, view in modals.items():
        check_view(name, view)
    rows = await service.visible(HEAD, open_only=False)
    home = slack.home_view(
        views.case_list(rows * 40, {"oak-primary": school.name}, datetime.now(tz)), "Intro"
    )
    check_view("home", home)
