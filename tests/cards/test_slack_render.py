"""Block Kit renderers: valid for slack_sdk.models, within Block Kit limits, content-free text."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.config import Trust
from bot.follow_through import make_tasks
from bot.forms import FieldId, report_form
from bot.models import (
    Case,
    CaseOutcome,
    CaseSummary,
    Closure,
    Decision,
    DecisionKind,
    Evidence,
    InfoRequest,
    ReminderKind,
    Status,
    Urgency,
)
from bot.policy import Policy, evaluate
from cards import slack as render
from cards import views
from cards.ids import ActionId, InputId, ViewId
from tests.conftest import HEAD, REPORTER

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
LONG_POST = ("They are a disgrace and everyone should know it. " * 80)[:3000]


@pytest.fixture
def case(make_answers: Any, policy: Policy) -> Case:
    answers = make_answers(
        post_text=LONG_POST,
        categories=["complaints", "defamatory", "other"],
        other_category="x" * 400,
        author_name="A" * 200,
    )
    evidence = tuple(
        Evidence(
            f"{n:064x}",
            f"screenshot-{n}-{'long' * 40}.png",
            5_000_000,
            "image/png",
            REPORTER,
            NOW,
            "slack:F",
        )
        for n in range(10)
    )
    return Case(
        reference="OAK-2026-0007",
        school_id="oak-primary",
        status=Status.AWAITING_DECISION,
        urgency=Urgency.HIGH,
        reporter=REPORTER,
        answers=answers,
        recommendation=evaluate(policy, answers),
        created_at=NOW,
        submission_key="k",
        evidence=evidence,
        info_requests=tuple(InfoRequest("q" * 2000, HEAD, NOW, "a" * 4000, NOW) for _ in range(5)),
    )


def card_view(case: Case, policy: Policy, trust: Trust) -> views.ApprovalCardView:
    return views.approval_card(case, policy, trust.school(case.school_id), trust.tz)


def parsed(blocks: list[dict[str, Any]]) -> list[Block]:
    """Every block parses back with slack_sdk.models and validates (lengths, counts)."""
    out = Block.parse_all(blocks)
    assert len(out) == len(blocks) and all(b is not None for b in out)
    for b in out:
        b.validate_json()
    return out


def walk(value: Any, key: str) -> list[Any]:
    """Every value under this key anywhere in a JSON tree."""
    found: list[Any] = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key:
                found.append(v)
            found.extend(walk(v, key))
    elif isinstance(value, list):
        for v in value:
            found.extend(walk(v, key))
    return found


def option_lists(value: Any) -> list[tuple[str, list[Any]]]:
    """Every element with options in a JSON tree: its type and its options."""
    found: list[tuple[str, list[Any]]] = []
    if isinstance(value, dict):
        if isinstance(value.get("options"), list):
            found.append((str(value.get("type", "")), value["options"]))
        for v in value.values():
            found.extend(option_lists(v))
    elif isinstance(value, list):
        for v in value:
            found.extend(option_lists(v))
    return found


def assert_within_limits(blocks: list[dict[str, Any]], max_blocks: int) -> None:
    assert len(blocks) <= max_blocks
    for b in blocks:
        if b["type"] == "section":
            assert len(b.get("text", {}).get("text", "")) <= 3000
            assert len(b.get("fields", [])) <= 10
            assert all(len(f["text"]) <= 2000 for f in b.get("fields", []))
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= 150
    for kind, options in option_lists(blocks):
        assert len(options) <= (100 if kind.endswith("select") else 10)  # Block Kit's limits
        for o in options:
            assert len(o["text"]["text"]) <= 75
            assert len(o.get("description", {}).get("text", "")) <= 75


def test_approval_card_with_a_long_post_and_ten_files_stays_within_limits(case, policy, trust):
    card = render.approval_card(card_view(case, policy, trust))
    blocks = card.block_dicts()
    parsed(blocks)
    assert_within_limits(blocks, 50)
    text = json.dumps(blocks)
    assert "OAK-2026-0007" in blocks[0]["text"]["text"]
    assert "screenshot-9" in text and f"{9:064x}"[:12] in text
    assert "4.2.3" in text and "Defamatory" in text
    checkboxes = next(b for b in blocks if b.get("block_id") == InputId.ACTIONS)
    ticked = [o["value"] for o in checkboxes["element"]["initial_options"]]
    assert ticked == ["discuss", "retain_evidence"]  # issue 13: 5.1.2 waits for a refusal
    assert len(checkboxes["element"]["options"]) == len(
        [a for a in policy.actions if not a.referral]
    )
    other = next(b for b in blocks if b.get("block_id") == InputId.OTHER_ACTION)
    assert other["dispatch_action"] is False
    buttons = next(b for b in blocks if b["type"] == "actions")["elements"]
    assert [e["action_id"] for e in buttons] == [
        ActionId.APPROVE,
        ActionId.DECLINE,
        ActionId.ASK_INFO,
    ]
    assert {e["value"] for e in buttons} == {"OAK-2026-0007:1"}


def test_the_notification_text_is_content_free(case, policy, trust):
    card = render.approval_card(card_view(case, policy, trust))
    assert card.text == "New report OAK-2026-0007 needs your decision"
    for note in (
        views.safeguarding_alert(case, trust.school("oak-primary")),
        views.info_question(case),
        views.info_note(case),
    ):
        message = render.note_message(note, ActionId.ANSWER_INFO)
        assert "disgrace" not in message.text and "qqq" not in message.text
        assert "OAK-2026-0007" in message.text
        parsed(message.block_dicts())
    receipt = render.receipt_message(views.receipt_view(case, policy, trust.school("oak-primary")))
    assert receipt.text == "Report OAK-2026-0007 received"


def test_a_decided_card_has_no_actions_and_says_who_decided(case, policy, trust):
    decided = replace(
        case,
        status=Status.APPROVED,
        version=2,
        decision=Decision(DecisionKind.APPROVED, HEAD, NOW, ("discuss", "retain_evidence")),
    )
    card = render.approval_card(card_view(decided, policy, trust))
    blocks = card.block_dicts()
    parsed(blocks)
    assert not [b for b in blocks if b["type"] == "input"]
    ids = {e.get("action_id") for b in blocks for e in b.get("elements", [])}
    # no decision buttons: only closing (and correcting an answer) is left
    assert ids - {None} == {ActionId.CLOSE_CASE, ActionId.CORRECT_ANSWER}
    assert "Approved by Hana Head on 26 Nov 2026, 09:30" in json.dumps(blocks)
    assert card.text == "Report OAK-2026-0007: decision made"


def test_an_urgent_card_says_so_at_the_top(case, policy, trust):
    urgent = replace(case, urgency=Urgency.URGENT)
    blocks = render.approval_card(card_view(urgent, policy, trust)).block_dicts()
    assert blocks[0]["text"]["text"].startswith("URGENT: Report OAK-2026-0007")
    assert "URGENT" in blocks[1]["text"]["text"]


def test_user_text_cannot_ping_or_link(case, policy, trust):
    noisy = replace(
        case, answers=replace(case.answers, post_text="<!channel> <@U123> <https://x|y>")
    )
    text = json.dumps(render.approval_card(card_view(noisy, policy, trust)).block_dicts())
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text


def test_every_form_step_is_a_valid_modal_with_field_ids_as_block_ids(policy, trust):
    sections = report_form(policy, trust.schools)
    values = {FieldId.POST_TEXT: LONG_POST, FieldId.PLATFORM: "x", FieldId.ABOUT: ["staff"]}
    offered = [render.OfferedFile(f"F{n}", f"file-{n}.png") for n in range(12)]
    for step in range(len(sections)):
        d = render.form_modal(
            views.form_view(sections, step, values, {}),
            '{"d":"x","s":0}',
            date(2026, 11, 26),
            offered,
        )
        View(**d).validate_json()
        assert_within_limits(d["blocks"], 100)
        ids = [b["block_id"] for b in d["blocks"] if b["type"] == "input"]
        expected = [f.id.value for f in sections[step].fields]
        assert [i for i in ids if i != render.MESSAGE_FILES] == expected
        assert all(
            b["label"]["text"] == f.said
            for b, f in zip(
                [
                    b
                    for b in d["blocks"]
                    if b["type"] == "input" and b["block_id"] != "message_files"
                ],
                sections[step].fields,
                strict=True,
            )
        )
    first = render.form_modal(views.form_view(sections, 0, values, {}), "m", date(2026, 11, 26))
    post = next(b for b in first["blocks"] if b.get("block_id") == "post_text")
    assert post["element"]["initial_value"] == LONG_POST and post["element"]["multiline"]
    assert next(b for b in first["blocks"] if b.get("block_id") == "evidence")["element"] == {
        "type": "file_input",
        "action_id": "evidence",
        "max_files": 10,
        "filetypes": ["png", "jpg", "jpeg", "gif", "webp", "heic", "heif", "pdf"],
    }


def test_an_unanswered_step_is_rendered_once_and_carries_each_drafts_own_metadata(policy, trust):
    sections = report_form(policy, trust.schools)
    today = date(2026, 11, 26)
    blank = views.form_view(sections, 1, {}, {})
    first = render.form_modal(blank, "draft-a", today)
    second = render.form_modal(blank, "draft-b", today)
    assert (first["private_metadata"], second["private_metadata"]) == ("draft-a", "draft-b")
    assert first["blocks"] is second["blocks"]  # the kept rendering, not a second one
    View(**second).validate_json()
    # Rendered afresh, the same step is the same JSON: keeping it changes nothing.
    assert render._form_step(blank, today, (), "") | {"private_metadata": "draft-b"} == second
    # A step with an answer in it, or another day's date picker, is not the kept one.
    answered = render.form_modal(
        views.form_view(sections, 0, {FieldId.POST_TEXT: "It was rude"}, {}), "draft-a", today
    )
    post = next(b for b in answered["blocks"] if b.get("block_id") == "post_text")
    assert post["element"]["initial_value"] == "It was rude"
    unanswered = render.form_modal(views.form_view(sections, 0, {}, {}), "draft-a", today)
    post = next(b for b in unanswered["blocks"] if b.get("block_id") == "post_text")
    assert "initial_value" not in post["element"]
    dates = [
        b["element"]["initial_date"]
        for day in (today, date(2026, 11, 27))
        for b in render.form_modal(views.form_view(sections, 0, {}, {}), "m", day)["blocks"]
        if b.get("element", {}).get("type") == "datepicker"
    ]
    assert dates == ["2026-11-26", "2026-11-27"]


def test_summary_receipt_and_home_are_valid_views(case, policy, trust):
    school = trust.school("oak-primary")
    summary = views.summary_view(policy, case.answers, school, case.recommendation)
    for view in (
        render.summary_modal(summary, "m"),
        render.receipt_modal(
            views.receipt_view(replace(case, urgency=Urgency.URGENT), policy, school)
        ),
        render.home_view(views.case_list([], {}, NOW), "intro"),
        render.text_modal(
            ViewId.DECLINE, "Decline the report", "i", InputId.REASON, "Why?", "Decline", "m"
        ),
        render.notice_modal("Report a post", "x" * 5000),
    ):
        d = view.to_dict()
        View(**d).validate_json()
        assert_within_limits(d["blocks"], 100)
    receipt = render.receipt_modal(
        views.receipt_view(replace(case, urgency=Urgency.URGENT), policy, school)
    ).to_dict()
    assert "call 999" in json.dumps(receipt)


def followed_through(case: Case, policy: Policy, trust: Trust) -> Case:
    """Every action approved (nine tasks), ten screenshots and the letter: the fullest card."""
    actions = tuple(a.id for a in policy.actions if not a.referral)
    decision = Decision(DecisionKind.APPROVED, HEAD, NOW, actions, "Ask the diocese")
    return replace(
        case,
        status=Status.IN_PROGRESS,
        version=2,
        decision=decision,
        tasks=make_tasks(decision, trust.due_days, trust.hours),
    )


def test_a_card_with_nine_tasks_and_eleven_files_stays_within_limits(case, policy, trust):
    full = followed_through(case, policy, trust)
    assert len(full.tasks) == 10 and len(full.evidence) == 10  # 5.1, 4.3 and 5.1.1-5.1.8
    later = datetime(2026, 12, 10, 9, tzinfo=UTC)
    view = views.approval_card(full, policy, trust.school("oak-primary"), trust.tz, later)
    blocks = render.approval_card(view).block_dicts()
    parsed(blocks)
    assert_within_limits(blocks, 50)
    text = json.dumps(blocks)
    assert "5.1.3 Contact the police" in text and "overdue" in text
    assert "3.2.1" in text and "facebook" in text.lower()  # the guide and the platform's route
    done = [e["value"] for b in blocks for e in b.get("elements", []) if e.get("action_id")]
    assert done.count("OAK-2026-0007:t10") == 2  # Mark done and Reassign on the last task
    opens = [b["accessory"]["value"] for b in blocks if "accessory" in b]
    assert len(opens) == 11 and opens[-1] == "OAK-2026-0007:letter:warning-letter"
    actions = [b["accessory"]["action_id"] for b in blocks if "accessory" in b]
    assert set(actions[:-1]) == {ActionId.OPEN_FILE} and actions[-1] == ActionId.MAKE_LETTER
    assert [b["block_id"] for b in blocks if b.get("block_id", "").startswith("task_")] == [
        f"task_t{n}" for n in range(1, 11)
    ]


def test_files_fall_back_to_one_select_when_the_card_is_full(case, policy, trust):
    full = followed_through(case, policy, trust)
    view = views.approval_card(full, policy, trust.school("oak-primary"), trust.tz, NOW)
    many = replace(view, files=view.files * 4)  # more files than a message has room for
    blocks = render.approval_card(many).block_dicts()
    parsed(blocks)
    assert_within_limits(blocks, 50)
    [picker] = [e for b in blocks for e in b.get("elements", []) if e["type"] == "static_select"]
    assert picker["action_id"] == ActionId.OPEN_FILE and len(picker["options"]) == 44


def test_a_closed_card_shows_the_outcome_and_reopen_only(case, policy, trust):
    full = followed_through(case, policy, trust)
    closed = replace(
        full,
        status=Status.CLOSED,
        tasks=tuple(replace(t, status=t.status.CANCELLED, remind_at=None) for t in full.tasks),
        closure=Closure(CaseOutcome.POLICE, "Handed to the police", HEAD, NOW),
    )
    blocks = render.approval_card(card_view(closed, policy, trust)).block_dicts()
    parsed(blocks)
    text = json.dumps(blocks)
    assert "Closed by Hana Head on 26 Nov 2026, 09:30: Referred to the police." in text
    ids = {e.get("action_id") for b in blocks for e in b.get("elements", [])} - {None}
    assert ids == {ActionId.REOPEN_CASE, ActionId.CORRECT_ANSWER}


def test_reminders_notes_modals_links_and_the_register_are_valid(case, policy, trust):
    full = followed_through(case, policy, trust)
    task = full.tasks[0]
    for view, expected in (
        (
            views.reminder(full, task, ReminderKind.OVERDUE, policy, trust.tz),
            ["task_done", "task_snooze"],
        ),
        (
            views.reminder(full, task, ReminderKind.POST_CHECK, policy, trust.tz),
            ["post_removed", "post_still_up"],
        ),
        (views.task_assigned(full, task, policy, trust.tz), ["task_done"]),
        (views.letter_note(full), ["case_make_letter"]),
    ):
        message = render.note_message(view)
        blocks = message.block_dicts()
        parsed(blocks)
        assert [e["action_id"] for e in blocks[-1]["elements"]] == expected
        assert "disgrace" not in message.text and "OAK-2026-0007" in message.text
    url = "http://127.0.0.1:3978/files/OAK-2026-0007/letter/warning-letter?expires=1&signature=a"
    link = render.file_link_message(views.file_link("the letter", url), url).block_dicts()
    parsed(link)
    assert link[0]["elements"][0]["elements"][0] == {
        "type": "link",
        "url": url,
        "text": "Open the letter",
        "style": {"bold": True},
    }
    for modal in (
        render.task_done_modal("OAK-2026-0007: 5.1.3", "Police incident number", "m"),
        render.task_done_modal("OAK-2026-0007: 5.1.7", "", "m"),
        render.reassign_modal("OAK-2026-0007: 5.1", "m"),
        render.close_modal("Close OAK-2026-0007?", "m"),
    ):
        d = modal.to_dict()
        View(**d).validate_json()
    close = render.close_modal("Close?", "m").to_dict()
    outcome = next(b for b in close["blocks"] if b.get("block_id") == InputId.CLOSE_OUTCOME)
    assert [o["value"] for o in outcome["element"]["options"]] == [o.value for o in CaseOutcome]
    summary = replace(CaseSummary.of(full), task_dues=(NOW, NOW))
    register = views.case_list([summary], {"oak-primary": "Oak"}, NOW.replace(day=28))
    home = render.home_view(register, "i").to_dict()
    View(**home).validate_json()
    assert "2 overdue tasks" in json.dumps(home)
