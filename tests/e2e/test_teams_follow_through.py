"""Teams end to end after the decision: tasks, linked drafts, reminders, closing, the register."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from bot.config import EXAMPLE_TRUST
from bot.drafts import long_date
from bot.models import Notice, Status, TaskStatus
from tests.e2e.harness import (
    BEFORE_CHRISTMAS,
    DUE_AFTER_CHRISTMAS,
    SHOWN_AFTER_CHRISTMAS,
    christmas_trust,
)
from tests.e2e.teams_support import (
    DEPUTY,
    DSL,
    HEAD,
    HEAD2,
    TEACHER,
    Teams,
    assert_all_cards_valid,
    chat,
    sent_card,
    teams_world,
)
from tests.fakes import teams_activities as ta


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[Teams]:
    async with teams_world(tmp_path / "data") as teams:
        yield teams
        assert_all_cards_valid(teams.connector)


# helpers


def walk(element: Any) -> Iterator[dict[str, Any]]:
    """Every element and action of a card, depth first."""
    if isinstance(element, dict):
        yield element
        for value in element.values():
            yield from walk(value)
    elif isinstance(element, list):
        for value in element:
            yield from walk(value)


def action(card: dict[str, Any], verb: str, **data: str) -> dict[str, Any]:
    """The Action.Execute with this verb (and these data values) on a card."""
    found = [
        a
        for a in walk(card)
        if a.get("type") == "Action.Execute"
        and a.get("verb") == verb
        and all(a["data"].get(k) == v for k, v in data.items())
    ]
    assert found, f"no {verb} {data} on the card: {json.dumps(card)[:2000]}"
    return found[0]


def verbs(card: dict[str, Any]) -> set[str]:
    return {a["verb"] for a in walk(card) if a.get("type") == "Action.Execute"}


def red(card: dict[str, Any]) -> list[str]:
    return [b["text"] for b in walk(card) if b.get("type") == "TextBlock" and b.get("color")]


async def filed(world: Teams, user: ta.TeamsUser = TEACHER, **overrides: Any) -> str:
    await world.install(user)
    card = await world.report(user, **overrides)
    reference = card["body"][0]["text"].split()[1]
    await world.server.idle()
    return reference


class Case:
    """A case approved in the leadership channel, and where its card lives."""

    def __init__(self, world: Teams, reference: str, thread: str, message_id: str) -> None:
        self.world = world
        self.reference = reference
        self.thread = ta.TeamsConversation.from_id(thread)
        self.message_id = message_id

    async def click(self, user: ta.TeamsUser, verb: str, data: dict[str, Any]) -> dict[str, Any]:
        """A click on the channel card (or on a form that replaced it for this person)."""
        return await self.world.execute(user, verb, data, self.thread, reply_to_id=self.message_id)

    async def record(self):  # noqa: ANN201 - the stored CaseFile
        return await self.world.server.service.get(self.reference)

    def updates(self) -> list[dict[str, Any]]:
        return [sent_card(u) for u in self.world.connector.updates(self.thread.id)]


async def approved(world: Teams, actions: str, **overrides: Any) -> tuple[Case, dict[str, Any]]:
    await world.install(HEAD)
    reference = await filed(world, **overrides)
    post = next(
        c for c in world.connector.created_conversations() if reference in json.dumps(c.body)
    )
    case = Case(world, reference, post.result_id, post.response["activityId"])
    card = await case.click(
        HEAD, "case_approve", {"case": f"{reference}:1", "decision_actions": actions}
    )
    await world.server.idle()
    return case, card


# tasks


async def test_approved_tasks_appear_and_one_is_marked_done_with_a_reference(world):
    case, card = await approved(world, "police,retain_evidence")
    text = json.dumps(card)
    assert "Tasks" in text and "5.1.3" in text and "5.1.7" in text
    done = action(card, "task_done", task=f"{case.reference}:t1")
    assert action(card, "task_reassign", task=f"{case.reference}:t2")
    [shared] = case.updates()  # the channel's copy: the tasks, controls through the refresh
    assert "5.1.3" in json.dumps(shared) and "task_done" not in verbs(shared)
    assert HEAD.id in shared["refresh"]["userIds"]

    form = await case.click(HEAD, "task_done", done["data"])
    labels = {e.get("id"): e.get("label") for e in walk(form) if e.get("id")}
    assert labels["task_reference"] == "Police incident number"
    submit = action(form, "task_done_form")
    again = await case.click(HEAD, "task_done_form", {**submit["data"], "task_result": " "})
    assert "Say what was done." in red(again)

    after = await case.click(
        HEAD,
        "task_done_form",
        {**submit["data"], "task_result": "Reported to the police", "task_reference": "CAD-4411"},
    )
    assert "Task marked done." in red(after)
    assert "Reported to the police (ref CAD-4411)" in json.dumps(after)
    record = await case.record()
    task = record.case.task("t1")
    assert task.status is TaskStatus.DONE and task.result_reference == "CAD-4411"
    assert task.done_by.email == HEAD.email
    assert record.case.status is Status.IN_PROGRESS
    [event] = [e for e in record.timeline if e.kind == "task_done"]
    assert event.after["reference"] == "CAD-4411"
    await world.server.idle()
    latest = case.updates()[-1]  # PUT: everyone's card shows it
    assert "CAD-4411" in json.dumps(latest)
    assert world.connector.updates(case.thread.id)[-1].activity_id == case.message_id


async def test_tasks_fall_due_after_christmas_and_after_a_closure(tmp_path: Path) -> None:
    trust = christmas_trust(tmp_path)
    async with teams_world(tmp_path / "data", TRUST_CONFIG=str(trust)) as world:
        world.server.service.clock = lambda: BEFORE_CHRISTMAS
        case, card = await approved(world, "warning_letter,legal_advice")
        record = await case.record()
        assert {t.action_id: t.due_at for t in record.case.tasks} == DUE_AFTER_CHRISTMAS
        due = [fact["value"] for fact in walk(card) if fact.get("title") == "Due"]
        assert due == [f"{shown} (the trust's deadline)" for shown in SHOWN_AFTER_CHRISTMAS]
        assert_all_cards_valid(world.connector)


async def test_a_task_is_reassigned_and_the_new_owner_is_told(world):
    await world.install(DSL)
    case, card = await approved(world, "discuss")
    guide = json.dumps(card)
    assert "3.2.1" in guide  # the conversation guide travels with the discuss task
    reassign = action(card, "task_reassign", task=f"{case.reference}:t1")
    form = await case.click(HEAD, "task_reassign", reassign["data"])
    submit = action(form, "task_reassign_form")
    outsider = await case.click(
        HEAD, "task_reassign_form", {**submit["data"], "task_owner": "someone@gmail.example"}
    )
    assert "Choose a member of the trust's staff." in red(outsider)
    assert (await case.record()).case.task("t1").owner.email == HEAD.email

    before = len(world.connector.sent(chat(DSL).id))
    moved = await case.click(
        HEAD, "task_reassign_form", {**submit["data"], "task_owner": "DSL@oakprimary.example"}
    )
    assert f"Reassigned to {DSL.email}: I have sent them a message." in red(moved)
    record = await case.record()
    owner = record.case.task("t1").owner
    assert owner.email == DSL.email and owner.user_id == DSL.id and owner.name == DSL.name
    assert "task_reassigned" in [e.kind for e in record.timeline]
    await world.server.idle()
    [told] = world.connector.sent(chat(DSL).id)[before:]
    note = sent_card(told)
    assert f"A task on {case.reference} is now yours" in json.dumps(note)
    assert told.activity["summary"] == f"Report {case.reference}: a task was assigned to you"
    assert DSL.name in json.dumps(case.updates()[-1])

    # The new owner marks it done from that message: the answer is a short note, not the case.
    form = await world.execute(DSL, "task_done", action(note, "task_done")["data"])
    submit = action(form, "task_done_form")
    done = await world.execute(
        DSL, "task_done_form", {**submit["data"], "task_result": "Met the parent; post removed"}
    )
    assert done["body"][1]["text"] == "Task marked done."
    assert (await case.record()).case.task("t1").status is TaskStatus.DONE


async def test_someone_who_is_neither_owner_nor_lead_gets_no_task_form(world):
    case, card = await approved(world, "discuss")
    await world.install(HEAD2)
    done = action(card, "task_done", task=f"{case.reference}:t1")
    answer = await world.execute(HEAD2, "task_done", done["data"])
    assert "task_done_form" not in verbs(answer)
    assert "Only the task's owner" in json.dumps(answer)
    assert "@" not in json.dumps(answer)  # a refusal names nobody's email
    assert "What it says" not in json.dumps(answer)  # no case details for another school
    forged = await world.execute(
        HEAD2, "task_done_form", {**done["data"], "task_result": "Nothing"}
    )
    assert "Only the task's owner" in json.dumps(forged)
    assert (await case.record()).case.task("t1").is_open


# closing and reopening


async def test_close_says_tasks_are_open_then_closes_and_reopens(world):
    await world.install(DSL)
    case, card = await approved(world, "discuss")
    close = action(card, "case_close")
    refused = await case.click(DSL, "case_close", close["data"])
    assert "Only Oak Primary School's approvers can close" in json.dumps(refused)

    form = await case.click(HEAD, "case_close", close["data"])
    outcome = next(e for e in walk(form) if e.get("id") == "close_outcome")
    assert outcome["style"] == "expanded"
    assert {c["value"] for c in outcome["choices"]} == {
        "post_removed",
        "resolved_otherwise",
        "referred_to_police",
        "no_further_action",
    }
    submit = action(form, "close_form")
    first = await case.click(
        HEAD, "close_form", {**submit["data"], "close_outcome": "post_removed", "close_note": ""}
    )
    assert "A closing note is needed for the record." in red(first)
    second = await case.click(
        HEAD,
        "close_form",
        {**submit["data"], "close_outcome": "post_removed", "close_note": "Gone"},
    )
    assert "1 task(s) are still open: mark them done first" in " ".join(red(second))
    assert (await case.record()).case.status is Status.APPROVED

    done = await case.click(HEAD, "task_done", action(card, "task_done")["data"])
    await case.click(
        HEAD,
        "task_done_form",
        {**action(done, "task_done_form")["data"], "task_result": "Parent agreed to remove it"},
    )
    closed = await case.click(
        HEAD,
        "close_form",
        {**submit["data"], "close_outcome": "post_removed", "close_note": "Removed on Friday"},
    )
    text = json.dumps(closed)
    assert "Closed by Jane Head" in text and "Post removed" in text
    assert verbs(closed) >= {"case_reopen"} and "case_close" not in verbs(closed)
    record = await case.record()
    assert record.case.status is Status.CLOSED
    assert record.case.closure.note == "Removed on Friday"
    await world.server.idle()
    assert "Closed by Jane Head" in json.dumps(case.updates()[-1])
    told = sent_card(world.connector.sent(chat(TEACHER).id)[-1])
    assert "The case you reported is closed: post removed." in json.dumps(told)
    assert "Removed on Friday" not in json.dumps(told)  # the note stays with the leads

    reopen = await case.click(HEAD, "case_reopen", action(closed, "case_reopen")["data"])
    submit = action(reopen, "reopen_form")
    empty = await case.click(HEAD, "reopen_form", {**submit["data"], "reopen_reason": ""})
    assert "Say why the case is reopened." in red(empty)
    reopened = await case.click(
        HEAD, "reopen_form", {**submit["data"], "reopen_reason": "It is back up"}
    )
    assert "Case reopened." in red(reopened) and "case_close" in verbs(reopened)
    record = await case.record()
    assert record.case.status is Status.REOPENED and record.case.closure is None
    [event] = [e for e in record.timeline if e.kind == "case_reopened"]
    assert event.after == {"status": "reopened", "reason": "It is back up"}


# drafts and links


async def test_the_letter_is_linked_privately_and_downloads_as_a_docx(world):
    case, card = await approved(world, "warning_letter", history="refused")
    letter_note = next(
        sent_card(c)
        for c in world.connector.sent(case.thread.id)
        if "Warning letter for" in json.dumps(c.body)
    )
    assert "/files/" not in json.dumps(letter_note)  # no link for everyone in the channel
    # The note's button opens the letter form: an optional date, checked, nothing invented.
    make = action(letter_note, "case_make_letter")
    form = await case.click(HEAD, "case_make_letter", make["data"])
    [field] = [e for e in walk(form) if e.get("id") == "letter_remove_by"]
    assert field["type"] == "Input.Date" and not field.get("isRequired")
    send = action(form, "letter_form")
    today = world.server.service.today()
    again_form = await case.click(
        HEAD, "letter_form", {**send["data"], "letter_remove_by": today.isoformat()}
    )
    assert "Choose a date after today" in json.dumps(again_form)
    assert not (await case.record()).case.evidence
    answer = await case.click(HEAD, "letter_form", {**send["data"], "letter_remove_by": ""})
    [link] = [a for a in walk(answer) if a.get("type") == "Action.OpenUrl"]
    url = link["url"]
    assert url.startswith(f"{world.server.url}/files/{case.reference}/letter/")
    assert "expires=" in url and "signature=" in url
    async with world.http.get(url) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        )
        data = await r.read()
    text = "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)
    assert "Oak Primary School" in text and "Private and confidential" in text
    assert long_date(world.server.service.today()) in text
    assert "5.1.1" in text and "4.2" in text and case.reference in text
    assert "removed by" not in text  # no date was set, so none is named
    async with world.http.get(url.replace("signature=", "signature=0")) as r:
        assert r.status == 403
    # Made once, on the first press: kept as evidence, its SHA-256 on the timeline.
    sha = hashlib.sha256(data).hexdigest()
    record = await case.record()
    assert [e.sha256 for e in record.case.evidence] == [sha]
    [made] = [e for e in record.timeline if e.kind == "letter_made"]
    assert made.after["sha256"] == sha and made.after["remove_by"] is None

    # From the case card the link comes on the card itself, for the clicker only; a day
    # later the same letter, byte for byte.
    world.server.service.clock = lambda: datetime.now(UTC) + timedelta(days=1)
    card = await case.click(HEAD, "case_refresh", {"case": f"{case.reference}:2"})
    file_button = action(card, "case_open_file", back="case", file=make["data"]["file"])
    on_case = await case.click(HEAD, "case_open_file", file_button["data"])
    assert "Tasks" in json.dumps(on_case)
    [again] = [a["url"] for a in walk(on_case) if a.get("type") == "Action.OpenUrl"]
    async with world.http.get(again) as r:
        assert r.status == 200 and await r.read() == data
    assert [e.kind for e in (await case.record()).timeline].count("letter_made") == 1
    await world.server.idle()
    # Links only ever go back to the clicker in the invoke response: none reached the connector.
    assert "/files/" not in json.dumps([c.body for c in world.connector.calls])


async def test_someone_who_may_not_see_the_case_gets_no_link(world):
    case, _ = await approved(world, "warning_letter")
    await world.install(HEAD2)
    letter_note = next(
        sent_card(c)
        for c in world.connector.sent(case.thread.id)
        if "Warning letter for" in json.dumps(c.body)
    )
    answer = await world.execute(
        HEAD2, "case_make_letter", action(letter_note, "case_make_letter")["data"]
    )
    text = json.dumps(answer)
    assert "the school's leads can" in text and "/files/" not in text
    assert not [a for a in walk(answer) if a.get("type") == "Action.OpenUrl"]
    assert not (await case.record()).case.evidence  # and no letter was made by the attempt


# reminders


async def test_a_reminder_reaches_the_owner_once_and_can_be_snoozed(world):
    case, _ = await approved(world, "police")
    service = world.server.service
    due = (await case.record()).case.task("t1").remind_at
    before = len(world.connector.sent(chat(HEAD).id))
    assert await service.fire_reminders(due) == 1
    assert await service.fire_reminders(due) == 0  # the same moment again: nothing new
    await world.server.idle()
    [reminder] = world.connector.sent(chat(HEAD).id)[before:]
    assert reminder.activity["summary"] == f"Report {case.reference}: a task is overdue"
    card = sent_card(reminder)
    assert f"Overdue task on {case.reference}" in json.dumps(card)
    assert verbs(card) == {"task_done", "task_snooze"}

    # The owner presses snooze early next morning, before that day's reminder is due.
    next_at = (await case.record()).case.task("t1").remind_at
    service.clock = lambda: next_at - timedelta(minutes=30)
    snoozed = await world.execute(HEAD, "task_snooze", action(card, "task_snooze")["data"])
    assert "Snoozed: the next reminder comes at 08:00" in json.dumps(snoozed)
    later = (await case.record()).case.task("t1").remind_at
    assert later > next_at
    assert await service.fire_reminders(next_at) == 0  # snoozed past this one
    again = await world.execute(HEAD, "task_snooze", action(card, "task_snooze")["data"])
    assert "Already snoozed" in json.dumps(again)
    await world.server.idle()
    assert len(world.connector.sent(chat(HEAD).id)[before:]) == 1


async def test_the_post_check_asks_the_owner_whether_the_post_is_still_up(world):
    case, card = await approved(world, "discuss")
    form = await case.click(HEAD, "task_done", action(card, "task_done")["data"])
    await case.click(
        HEAD,
        "task_done_form",
        {**action(form, "task_done_form")["data"], "task_result": "Asked them to remove it"},
    )
    service = world.server.service
    check_at = (await case.record()).case.task("t1").remind_at
    assert await service.fire_reminders(check_at) == 1
    await world.server.idle()
    question = sent_card(world.connector.sent(chat(HEAD).id)[-1])
    assert "Is the post still up?" in json.dumps(question)
    answer = await world.execute(HEAD, "post_removed", action(question, "post_removed")["data"])
    assert "Noted: the post has been removed." in json.dumps(answer)
    [event] = [e for e in (await case.record()).timeline if e.kind == "post_check_answered"]
    assert event.after == {"task": "t1", "still_up": False}


# the register


async def test_cases_shows_open_and_recently_closed_cases_with_overdue_counts(world):
    late, _ = await approved(world, "police")
    done, card = await approved(world, "discuss")
    close = await done.click(HEAD, "case_close", action(card, "case_close")["data"])
    await done.click(
        HEAD,
        "close_form",
        {
            **action(close, "close_form")["data"],
            "close_outcome": "no_further_action",
            "close_note": "Resolved at the gate",
        },
    )
    service = world.server.service
    due = (await late.record()).case.task("t1").due_at
    service.clock = lambda: due + timedelta(hours=20)
    await world.say(HEAD, "cases")
    [register] = [
        sent_card(c)
        for c in world.connector.sent(chat(HEAD).id)
        if "Cases you can see" in json.dumps(c.body)
    ]
    blocks = {
        b["items"][0]["text"].split()[0]: json.dumps(b)
        for b in register["body"]
        if b.get("type") == "Container"
    }
    assert "1 overdue task(s)" in blocks[late.reference] and "Approved" in blocks[late.reference]
    assert "Closed" in blocks[done.reference] and "overdue" not in blocks[done.reference]
    await world.install(HEAD2)
    await world.say(HEAD2, "cases")
    theirs = json.dumps(sent_card(world.connector.sent(chat(HEAD2).id)[-1]))
    assert late.reference not in theirs and done.reference not in theirs


# one card per approver, however often the delivery is retried


async def test_a_failed_send_to_one_approver_does_not_duplicate_the_others_card(tmp_path):
    trust = tmp_path / "trust.toml"
    trust.write_text(
        EXAMPLE_TRUST.read_text().replace('teams_leadership_channel = "19:abc@thread.tacv2"', "")
    )
    async with teams_world(tmp_path / "data", TRUST_CONFIG=str(trust)) as world:
        await world.install(HEAD)
        await world.install(DEPUTY)
        world.connector.fail_next(1, 500, kinds={"send"}, conversation_id=chat(DEPUTY).id)
        reference = await filed(world)
        await world.server.idle(timeout=15)

        def cards_to(user: ta.TeamsUser) -> list[Any]:
            return [
                c
                for c in world.connector.sent(chat(user).id)
                if c.activity.get("summary") == f"New report {reference} needs your decision"
            ]

        assert len(cards_to(HEAD)) == 1 and len(cards_to(DEPUTY)) == 1
        assert len(world.connector.failed()) == 1
        record = await world.server.service.get(reference)
        refs = record.case.message("teams", "approval")
        assert {r.conversation for r in refs} == {chat(HEAD).id, chat(DEPUTY).id}
        [message] = [m for m in record.outbox if m.notice is Notice.APPROVAL_CARD]
        assert message.attempts == 2 and message.delivered_at is not None
        assert await world.server.service.store.get_value("teams_sent", message.id) is None
        assert_all_cards_valid(world.connector)
