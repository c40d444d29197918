"""HTML renderer: golden files for every screen, escaping, and the accessibility rules."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from bot.forms import FieldId, report_form
from cards import html, views
from cards.html import CaseControls, InboxItem, Person, Post
from cards.ids import ActionId, InputId
from tests.cards.htmlcheck import parse, problems
from tests.conftest import DSL, HEAD, REPORTER, answers_values
from tests.samples import png

GOLDEN = Path(__file__).parent / "golden" / "html"
TODAY = date(2026, 11, 26)
POST = Post("/cases/OAK-2026-0001/act", "token")
TEACHER = Person("teacher@oakprimary.example", "Teacher", "member of staff, Oak Primary School")


def assert_golden(name: str, markup: str) -> None:
    """Compare with the stored page; UPDATE_GOLDEN=1 rewrites it (review the diff)."""
    path = GOLDEN / f"{name}.html"
    if os.environ.get("UPDATE_GOLDEN") == "1" or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(markup, encoding="utf-8")
    assert markup == path.read_text(encoding="utf-8"), f"{name} changed: UPDATE_GOLDEN=1 to accept"
    assert problems(markup) == []


def controls(**kw: object) -> CaseControls:
    return CaseControls(act=POST, file_url="/cases/OAK-2026-0001/file", **kw)  # type: ignore[arg-type]


async def submitted(service, make_answers, **overrides):
    case, _ = await service.submit(REPORTER, make_answers(**overrides), "k")
    return case


def card(case, policy, trust, clock) -> views.ApprovalCardView:
    school = trust.school(case.school_id)
    return views.approval_card(case, policy, school, trust.tz, clock.now)


def test_form_step_with_errors_next_to_their_fields(policy, trust):
    sections = report_form(policy, trust.schools)
    values = answers_values(post_text="kept <b>text</b>", about=["staff", "student"])
    errors = {FieldId.PLATFORM: "Please choose one.", FieldId.ABOUT: "Tick at least one."}
    view = views.form_view(sections, 1, {**values, "platform": ""}, errors)
    markup = html.form_step(view, Post("/report/d/1", "token"), TODAY, ["post.png"], back=True)
    assert_golden("form-step-people", html.page("Report a post", markup, TEACHER))
    page = parse(markup)
    group = next(a for t, a in page.elements if t == "fieldset" and a.get("id") == "about")
    assert group["aria-describedby"] == "about-error"
    ticked = [a["value"] for t, a in page.elements if a.get("name") == "about" and "checked" in a]
    assert ticked == ["staff", "student"]
    assert "Who is the post about? Tick all that apply: Tick at least one." in page.all_text()


def test_first_step_prefills_today_and_is_multipart(policy):
    view = views.form_view(report_form(policy), 0, {"post_text": "<script>x</script>"}, {})
    markup = html.form_step(view, Post("/report/d/0", "token"), TODAY)
    assert_golden("form-step-post", markup)
    assert 'enctype="multipart/form-data"' in markup and 'value="2026-11-26"' in markup
    assert "&lt;script&gt;x&lt;/script&gt;" in markup and "<script>" not in markup


async def test_summary_and_receipt(policy, trust, make_answers, service):
    answers = make_answers(categories=["violence"])
    school = trust.school("oak-primary")
    view = views.summary_view(policy, answers, school, policy_preview(policy, answers))
    markup = html.summary(view, Post("/report/d/summary", "token"), "/report/d/0", ["post.png"])
    assert_golden("summary-urgent", markup)
    assert parse(markup).buttons() == {ActionId.FORM_SUBMIT}
    case = await submitted(service, make_answers, categories=["violence"])
    receipt = html.receipt(views.receipt_view(case, policy, school), "/cases/OAK-2026-0001")
    assert_golden("receipt-urgent", receipt)
    assert 'role="alert"' in receipt and "call 999" in receipt


def policy_preview(policy, answers):
    from bot.policy import evaluate

    return evaluate(policy, answers)


async def test_approval_card_for_the_approver(policy, trust, make_answers, service, clock):
    case = await submitted(service, make_answers, post_text='He said "<img src=x onerror=1>"')
    view = card(case, policy, trust, clock)
    markup = html.approval_card(view, controls(approver=True, upload=POST))
    assert_golden("card-decidable", markup)
    page = parse(markup)
    assert page.buttons() == {
        ActionId.APPROVE,
        ActionId.DECLINE,
        ActionId.ASK_INFO,
        ActionId.CORRECT_ANSWER,
    }
    ticked = [a["value"] for t, a in page.elements if "checked" in a]
    assert ticked == ["discuss", "retain_evidence"]
    assert "<img" not in markup and "&lt;img src=x onerror=1&gt;" in markup


async def test_approval_card_for_someone_else_has_no_controls(
    policy, trust, make_answers, service, clock
):
    case = await submitted(service, make_answers)
    markup = html.approval_card(card(case, policy, trust, clock), controls())
    assert parse(markup).buttons() == set()
    assert "Waiting for a decision from the approvers: head@oakprimary.example" in markup


async def test_decision_errors_are_announced_and_sit_by_their_inputs(
    policy, trust, make_answers, service, clock
):
    case = await submitted(service, make_answers)
    errors = {"actions": "Tick at least one action to approve, or decline the report."}
    markup = html.approval_card(
        card(case, policy, trust, clock),
        controls(approver=True, errors=errors, failed=ActionId.APPROVE),
    )
    assert problems(markup) == []
    page = parse(markup)
    alert = next(a for t, a in page.elements if a.get("role") == "alert" and t == "div")
    assert alert["class"] == "error-summary"
    assert f'href="#{InputId.ACTIONS.value}-0"' in markup
    assert f'aria-describedby="{InputId.ACTIONS.value}-error"' in markup


async def test_approved_card_with_tasks_files_and_close(
    policy, trust, make_answers, service, clock
):
    case = await submitted(service, make_answers, history="refused")
    await service.attach_evidence(
        case.reference, REPORTER, "post.png", "image/png", png("x"), "web"
    )
    done = await service.approve(case.reference, HEAD, 1, ["warning_letter", "retain_evidence"])
    view = card(done.case, policy, trust, clock)
    ids = frozenset(t.id for t in done.case.tasks)
    owners = (("dsl@oakprimary.example", "DSL: safeguarding lead, Oak Primary School"),)
    markup = html.approval_card(
        view, controls(approver=True, task_ids=ids, owners=owners, letter=True)
    )
    assert_golden("card-approved-tasks", markup)
    page = parse(markup)
    assert page.buttons() == {
        ActionId.TASK_DONE,
        ActionId.TASK_REASSIGN,
        ActionId.CLOSE_CASE,
        ActionId.CORRECT_ANSWER,
        ActionId.MAKE_LETTER,
    }
    assert "Warning letter (5.1.1): not made yet" in page.all_text()
    # The letter form: an optional date, nothing invented; someone who may not make it sees
    # only that it is not made yet.
    assert 'type="date"' in markup and f'name="{InputId.REMOVE_BY.value}"' in markup
    assert "names no date" in page.all_text()
    plain = html.approval_card(view, controls(approver=False))
    assert "Warning letter (5.1.1): not made yet" in plain and "letter_remove_by" not in plain
    made = await service.make_letter(case.reference, HEAD)
    view = card(made.case, policy, trust, clock)
    markup = html.approval_card(view, controls(approver=True, task_ids=ids, letter=True))
    sha = made.case.evidence[-1].sha256
    assert "Warning letter (5.1.1), Word document" in markup and sha[:12] in markup
    assert "/cases/OAK-2026-0001/file?f=OAK-2026-0001%3Aletter%3Awarning-letter" in markup
    assert "letter_remove_by" not in markup


async def test_closed_card_offers_reopen(policy, trust, make_answers, service, clock):
    case = await submitted(service, make_answers)
    out = await service.decline(case.reference, HEAD, 1, "Not about our school")
    closed = await service.close(case.reference, HEAD, "no_further_action", "Nothing to do")
    markup = html.approval_card(card(closed.case, policy, trust, clock), controls(approver=True))
    assert_golden("card-closed", markup)
    assert parse(markup).buttons() == {ActionId.REOPEN_CASE, ActionId.CORRECT_ANSWER}
    assert out.applied and "Closed by Hana Head" in markup


async def test_inbox_notes_and_register(policy, trust, make_answers, service, clock):
    case = await submitted(service, make_answers)
    out = await service.approve(case.reference, HEAD, 1, ["discuss"])
    task = out.case.tasks[0]
    reminder = views.reminder(out.case, task, task.remind_kind, policy, trust.tz)
    items = [
        (InboxItem(reminder, "26 Nov 2026, 09:30", "/cases/OAK-2026-0001"), POST),
        (InboxItem(views.reporter_update(out.case, policy, trust.tz), "26 Nov", "/c"), POST),
    ]
    markup = html.inbox(items)
    assert_golden("inbox", markup)
    page = parse(markup)
    assert ActionId.TASK_SNOOZE in page.buttons() and ActionId.TASK_DONE not in page.buttons()
    rows = await service.visible(DSL, open_only=False)
    register = html.case_list(views.case_list(rows, {"oak-primary": "Oak Primary"}, clock.now))
    assert_golden("register", register)
    assert "OAK-2026-0001" in parse(register).all_text()
    assert "No open cases." in html.case_list(views.case_list([], {}, clock.now))


def test_identity_picker_and_page_chrome():
    people = [TEACHER, Person("head@oakprimary.example", "Head", "head or deputy, Oak")]
    picker = html.identity_picker(people, TEACHER.email, Post("/identity", "token"))
    markup = html.page("Home", html.home(TEACHER, picker, "/report"), TEACHER)
    assert_golden("home", markup)
    assert markup.startswith("<!doctype html>") and 'lang="en-GB"' in markup
    assert "Demo identity: this is not sign-in." in markup
    assert '<a href="#main" class="skip">' in markup and '<main id="main"' in markup


@pytest.mark.parametrize("hostile", ['"><script>alert(1)</script>', "' onmouseover='x"])
def test_attribute_values_are_escaped(hostile):
    markup = html.tag("input", {"value": hostile, "data_x": hostile})
    assert "<script>" not in markup and "onmouseover='x" not in markup
    assert parse(markup).elements[0][1]["value"] == hostile
