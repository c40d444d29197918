"""Every Teams renderer emits a valid Adaptive Card 1.5 with the ids the handlers read."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.forms import FieldId, report_form
from bot.models import ReminderKind
from bot.policy import evaluate
from cards import teams
from cards.ids import ActionId, CasePayload, InputId, ViewId
from cards.views import (
    FormView,
    approval_card,
    case_list,
    decision_note,
    file_link,
    info_note,
    info_question,
    letter_note,
    receipt_view,
    reminder,
    reporter_update,
    safeguarding_alert,
    summary_view,
    task_assigned,
)
from tests.cards.adaptive import TEAMS_MESSAGE_LIMIT, assert_valid_card
from tests.conftest import HEAD, REPORTER
from tests.samples import answers_values, png

APPROVER_IDS = ["29:head", "29:deputy"]


def whole_form(policy, values=None, errors=None) -> FormView:
    sections = report_form(policy)
    return FormView("Report a post", 0, 2, sections, values or {}, errors or {}, "Intro", "Review")


def walk(element):
    """Every element and action inside a card, depth first."""
    yield element
    for key in ("body", "actions", "items", "columns", "card"):
        value = element.get(key)
        if isinstance(value, list):
            for child in value:
                yield from walk(child)
        elif isinstance(value, dict):
            yield from walk(value)
    if isinstance(element.get("fallback"), dict):
        yield from walk(element["fallback"])


def by_id(card, element_id):
    return next(e for e in walk(card) if e.get("id") == element_id)


async def decided_case(service, make_answers, **overrides):
    case, _ = await service.submit(REPORTER, make_answers(**overrides), "k")
    return case


def test_form_renders_every_kind_of_input(policy):
    card = teams.form_card(whole_form(policy), "execute", "form-1")
    assert_valid_card(card)
    assert by_id(card, FieldId.PLATFORM)["style"] == "compact"
    assert by_id(card, FieldId.AUTHOR_RELATIONSHIP)["style"] == "expanded"
    assert by_id(card, FieldId.ABOUT)["isMultiSelect"] is True
    assert by_id(card, FieldId.POST_TEXT)["isMultiline"] is True
    assert by_id(card, FieldId.POST_TEXT)["maxLength"] == 3000
    assert by_id(card, FieldId.SEEN_ON)["type"] == "Input.Date"
    assert by_id(card, FieldId.INVESTIGATION)["type"] == "Input.Toggle"
    assert by_id(card, FieldId.PLATFORM)["isRequired"] is True
    action = card["actions"][0]
    assert action["type"] == "Action.Execute" and action["verb"] == ActionId.FORM_NEXT
    assert action["data"] == {teams.FORM: "form-1"}
    assert action["fallback"]["type"] == "Action.Submit"
    assert action["fallback"]["data"][teams.VERB] == ActionId.FORM_NEXT


def test_form_shows_errors_in_red_beside_their_fields_and_keeps_values(policy):
    values = answers_values(post_text="kept text", about=["staff", "student"])
    view = whole_form(policy, values, {FieldId.PLATFORM: "Please choose one."})
    card = teams.form_card(view, "execute", "f")
    assert_valid_card(card)
    texts = [e for e in card["body"] if e["type"] == "TextBlock"]
    red = [t["text"] for t in texts if t.get("color") == "Attention"]
    assert "Please choose one." in red
    ids = [e.get("id") or e.get("text") for e in card["body"]]
    assert ids.index("Please choose one.") == ids.index(FieldId.PLATFORM) + 1
    assert by_id(card, FieldId.POST_TEXT)["value"] == "kept text"
    assert by_id(card, FieldId.ABOUT)["value"] == "staff,student"


def test_dialog_form_uses_action_submit(policy):
    card = teams.form_card(whole_form(policy), "submit", "f")
    assert_valid_card(card)
    assert card["actions"][0]["type"] == "Action.Submit"
    assert card["actions"][0]["data"] == {teams.FORM: "f", teams.VERB: ActionId.FORM_NEXT}


@pytest.mark.parametrize("mode", ["execute", "submit"])
def test_summary_carries_the_answers(policy, trust, make_answers, mode):
    answers = make_answers(categories=["violence"])
    view = summary_view(policy, answers, trust.school("oak-primary"), evaluate(policy, answers))
    values = answers_values(categories=["violence"])
    card = teams.summary_card(view, mode, "f", values)
    assert_valid_card(card)
    assert card["body"][0]["color"] == "Attention"
    submit = card["actions"][0]
    data = submit["data"]
    assert data[teams.VALUES] == values and data[teams.FORM] == "f"
    assert submit.get("verb", data.get(teams.VERB)) == ActionId.FORM_SUBMIT


async def test_receipt_and_notes_validate(service, policy, trust, make_answers):
    case = await decided_case(service, make_answers, categories=["violence"])
    school = trust.school("oak-primary")
    receipt = teams.receipt_card(receipt_view(case, policy, school), ["Send screenshots."])
    assert_valid_card(receipt)
    assert receipt["body"][0]["color"] == "Attention" and "999" in receipt["body"][0]["text"]
    assert_valid_card(teams.note_card(safeguarding_alert(case, school)))
    out = await service.ask_more_info(case.reference, HEAD, case.version, "Which class?")
    question = teams.note_card(info_question(out.case), {"answer": "Write your answer."})
    assert_valid_card(question)
    assert by_id(question, InputId.ANSWER)["isRequired"] is True
    assert question["actions"][0]["verb"] == ActionId.ANSWER_INFO
    assert question["actions"][0]["data"] == {teams.CASE: f"{case.reference}:2"}
    assert_valid_card(teams.note_card(info_note(out.case)))


async def test_approval_card_for_everyone_and_for_approvers(service, policy, trust, make_answers):
    case = await decided_case(service, make_answers)
    view = approval_card(case, policy, trust.school("oak-primary"), trust.tz)
    everyone = teams.approval_card(view, approver_ids=APPROVER_IDS)
    assert_valid_card(everyone)
    assert "actions" not in everyone
    assert "Waiting for a decision from the approvers: head@oakprimary.example" in json.dumps(
        everyone
    )
    assert everyone["refresh"]["userIds"] == APPROVER_IDS
    assert everyone["refresh"]["action"]["verb"] == teams.REFRESH
    assert everyone["refresh"]["action"]["data"] == {
        teams.CASE: CasePayload(case.reference, 1).encode()
    }
    approver = teams.approval_card(view, for_approver=True, approver_ids=APPROVER_IDS)
    assert_valid_card(approver)
    picker = by_id(approver, InputId.ACTIONS)
    assert picker["isMultiSelect"] and picker["value"] == "discuss,retain_evidence"
    verbs = [a.get("verb") for a in walk(approver) if a.get("type") == "Action.Execute"]
    assert {ActionId.APPROVE, ActionId.DECLINE, ActionId.ASK_INFO} <= set(verbs)
    assert by_id(approver, InputId.REASON)["isRequired"] is True


async def test_after_a_decision_the_card_has_tasks_and_closing_but_no_decision_controls(
    service, policy, trust, make_answers
):
    case = await decided_case(service, make_answers, categories=["violence"])
    out = await service.approve(case.reference, HEAD, 1, ["police", "retain_evidence"])
    view = approval_card(out.case, policy, trust.school("oak-primary"), trust.tz)
    card = teams.approval_card(
        view, for_approver=True, approver_ids=APPROVER_IDS, note="Done", task_ids=["t1", "t2"]
    )
    assert_valid_card(card)
    verbs = [a.get("verb") for a in walk(card) if a.get("type") == "Action.Execute"]
    assert ActionId.APPROVE not in verbs and ActionId.DECLINE not in verbs
    assert verbs.count(ActionId.TASK_DONE) == 2 and verbs.count(ActionId.TASK_REASSIGN) == 2
    assert card["actions"][0]["verb"] == ActionId.CLOSE_CASE
    assert card["refresh"]["userIds"] == APPROVER_IDS  # leads get their controls back
    assert card["body"][0]["color"] == "Attention"
    assert "Approved by Hana Head" in json.dumps(card)
    everyone = teams.approval_card(view, approver_ids=APPROVER_IDS)
    assert_valid_card(everyone)
    assert "actions" not in everyone
    assert not [a for a in walk(everyone) if a.get("verb") in (ActionId.TASK_DONE,)]
    assert_valid_card(teams.note_card(decision_note(out.case, policy, trust.tz)))
    assert_valid_card(teams.note_card(reporter_update(out.case, policy, trust.tz)))


async def test_follow_through_forms_and_notes_validate(service, policy, trust, make_answers):
    case = await decided_case(service, make_answers, categories=["violence"])
    out = await service.approve(case.reference, HEAD, 1, ["police", "warning_letter"])
    task = out.case.tasks[0]
    errors = {"result": "Say what was done.", "reference": "Too long"}
    done = teams.task_done_form("5.1.3 Police", "police", "T", "C", teams.ON_CASE, {}, errors)
    assert_valid_card(done)
    assert by_id(done, InputId.TASK_RESULT)["isRequired"] is True
    assert by_id(done, InputId.TASK_REFERENCE)["label"] == "Police incident number"
    assert done["actions"][0]["verb"] == ViewId.TASK_DONE
    assert done["actions"][1]["verb"] == teams.REFRESH  # cancel: back to the case
    letter = teams.task_done_form("5.1.1", "warning_letter", "T", "C", teams.ON_NOTE)
    assert by_id(letter, InputId.TASK_REFERENCE)["type"] == "Input.Date"
    assert len(letter["actions"]) == 1  # on a note there is no case to go back to
    reassign = teams.reassign_form("5.1.3", "Hana Head", "T", "C", teams.ON_CASE, "x", "No")
    assert_valid_card(reassign)
    assert by_id(reassign, InputId.TASK_OWNER)["style"] == "Email"
    close = teams.close_form("OAK-2026-0001", "C", 2, {}, {"outcome": "2 task(s) are still open"})
    assert_valid_card(close)
    outcome = by_id(close, InputId.CLOSE_OUTCOME)
    assert outcome["style"] == "expanded" and len(outcome["choices"]) == 4
    assert by_id(close, InputId.CLOSE_NOTE)["isRequired"] is True
    assert "2 task(s) are still open" in json.dumps(close)
    assert_valid_card(teams.reopen_form("OAK-2026-0001", "C", "Say why"))
    for kind in ReminderKind:
        note = teams.note_card(reminder(out.case, task, kind, policy, trust.tz))
        assert_valid_card(note)
        assert all(a["data"][teams.BACK] == teams.ON_NOTE for a in note["actions"])
        assert all(a["data"][teams.TASK] == f"{case.reference}:t1" for a in note["actions"])
    letter_card = teams.note_card(letter_note(out.case))
    assert_valid_card(letter_card)
    assert letter_card["actions"][0]["verb"] == ActionId.MAKE_LETTER
    form = teams.letter_form(case.reference, "F", "C", teams.ON_CASE, "2026-12-09", "Too soon")
    assert_valid_card(form)
    assert by_id(form, InputId.REMOVE_BY) == {
        "type": "Input.Date",
        "id": InputId.REMOVE_BY.value,
        "label": "Remove by (optional)",
        "value": "2026-12-09",
    }
    assert "Too soon" in json.dumps(form) and [a["verb"] for a in form["actions"]] == [
        ViewId.LETTER,
        "case_refresh",
    ]
    link = teams.link_card(file_link("the letter", "http://x/files/a?e=1"), "http://x/files/a?e=1")
    assert_valid_card(link)
    assert_valid_card(teams.note_card(task_assigned(out.case, task, policy, trust.tz)))


async def test_nine_tasks_and_ten_files_fit_a_teams_message(service, policy, trust, make_answers):
    long_post = "This is a long and nasty post about the school. " * 62
    answers = make_answers(post_text=long_post[:3000], categories=["violence", "defamatory"])
    case, _ = await service.submit(REPORTER, answers, "long")
    for n in range(10):
        await service.attach_evidence(
            case.reference, REPORTER, f"screenshot-{n}.png", "image/png", png(bytes([n]) * 9), "t"
        )
    everything = [a.id for a in policy.actions]
    out = await service.approve(case.reference, HEAD, 1, everything, "Speak to the governors")
    assert len(out.case.tasks) == 10  # 5.1, 4.3 and 5.1.1-5.1.8; referrals are not approved
    view = approval_card(out.case, policy, trust.school("oak-primary"), trust.tz)
    assert len(view.files) == 11  # ten screenshots and the letter
    ids = [t.id for t in out.case.tasks]
    for card in (
        teams.approval_card(view, approver_ids=APPROVER_IDS * 30),
        teams.approval_card(
            view, for_approver=True, approver_ids=APPROVER_IDS * 30, task_ids=ids, note="x" * 200
        ),
    ):
        assert_valid_card(card)
        size = len(json.dumps(teams.attachment(card)).encode())
        assert size < TEAMS_MESSAGE_LIMIT, f"{size} bytes"


def test_refresh_lists_at_most_60_approvers():
    ids = [f"29:{n}" for n in range(80)]
    view = type("V", (), {"decidable": True, "payload": CasePayload("OAK-2026-0001", 1)})()
    assert len(teams.approval_refresh(view, ids)["userIds"]) == 60


async def test_case_list_welcome_and_messages_validate(service, make_answers):
    case = await decided_case(service, make_answers)
    rows = await service.visible(HEAD)
    listing = teams.case_list_card(
        case_list(rows, {"oak-primary": "Oak Primary School"}, datetime.now(UTC))
    )
    assert_valid_card(listing)
    assert case.reference in json.dumps(listing)
    assert_valid_card(teams.case_list_card(case_list([], {}, datetime.now(UTC))))
    welcome = teams.welcome_card()
    assert_valid_card(welcome)
    assert welcome["actions"][0]["verb"] == ActionId.OPEN_REPORT
    assert_valid_card(teams.message_card("Not allowed", ["Only the head can."], attention=True))


def test_envelopes():
    card = teams.welcome_card()
    assert teams.invoke_card(card) == {
        "statusCode": 200,
        "type": "application/vnd.microsoft.card.adaptive",
        "value": card,
    }
    task = teams.task_card(card)["task"]
    assert task["type"] == "continue"
    assert task["value"]["card"] == {"contentType": teams.CARD_CONTENT_TYPE, "content": card}


async def test_whole_flow_fits_a_teams_message_with_a_long_post(
    service, policy, trust, make_answers
):
    long_post = "This is a long and nasty post about the school. " * 62
    values = answers_values(post_text=long_post[:3000], categories=["violence", "defamatory"])
    answers = make_answers(post_text=long_post[:3000], categories=["violence", "defamatory"])
    school = trust.school("oak-primary")
    recommendation = evaluate(policy, answers)
    case, _ = await service.submit(REPORTER, answers, "long")
    for n in range(10):
        await service.attach_evidence(
            case.reference, REPORTER, f"screenshot-{n}.png", "image/png", png(bytes([n]) * 9), "t"
        )
    case = (await service.get(case.reference)).case
    view = approval_card(case, policy, school, trust.tz)
    errors = {f.id: "x" * 80 for s in report_form(policy) for f in s.fields}
    cards = [
        teams.form_card(whole_form(policy, values, errors), "execute", "f"),
        teams.summary_card(
            summary_view(policy, answers, school, recommendation), "execute", "f", values
        ),
        teams.receipt_card(receipt_view(case, policy, school)),
        teams.approval_card(view, approver_ids=APPROVER_IDS * 30),
        teams.approval_card(view, for_approver=True, approver_ids=APPROVER_IDS * 30),
    ]
    for card in cards:
        assert_valid_card(card)
        size = len(json.dumps(teams.attachment(card)).encode())
        assert size < TEAMS_MESSAGE_LIMIT, f"{size} bytes"
