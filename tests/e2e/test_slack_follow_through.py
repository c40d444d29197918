"""Slack end to end after the decision: tasks, letter, file links, reminders, closing, register."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from docx import Document

from bot.drafts import long_date
from bot.models import CaseFile, CaseOutcome, CaseSummary, Notice, Status, TaskStatus
from bot.timeline import verify
from tests.conftest import HEAD as HEAD_ACTOR
from tests.e2e.harness import (
    BEFORE_CHRISTMAS,
    DUE_AFTER_CHRISTMAS,
    SHOWN_AFTER_CHRISTMAS,
    christmas_trust,
)
from tests.e2e.slack_support import (
    PNG,
    STEP_POST,
    World,
    card_of,
    click_card,
    file_report,
    posted_to,
    slack_world,
    world,
)
from tests.fakes.slack_session import (
    DEPUTY,
    DSL,
    HEAD,
    LEADERS,
    SECONDARY_HEAD,
    STRANGER,
    TEACHER,
    Modal,
    Reply,
    button_values,
)

__all__ = ["world"]


async def indexed(w: World, record: CaseFile) -> bool:
    """Whether the store's summaries show this record: a TinyDB save renames the file into place,
    fsyncs the folder, and only then indexes it (summaries, pending outbox), so under load the
    file can be read well before fire_reminders or idle() see the write."""
    want = CaseSummary.of(record.case)
    return want in await w.server.service.store.summaries()


async def settled(w: World, reference: str, done: Callable[[CaseFile], bool]) -> CaseFile:
    """Wait until the stored case satisfies done and its save is complete (Bolt runs listeners
    after the ack)."""
    for _ in range(200):
        record = await w.server.service.get(reference)
        if done(record) and await indexed(w, record):
            await w.server.idle()
            return await w.server.service.get(reference)
        await asyncio.sleep(0.05)
    raise AssertionError(f"{reference} never settled")


async def approved(w: World, reference: str, ticked: list[str]) -> CaseFile:
    await click_card(w, HEAD, reference, "case_approve", ticked=ticked)
    return await settled(w, reference, lambda r: r.case.decision is not None)


async def press(w: World, user: str, reference: str, action_id: str, value: str) -> None:
    """Press a button on the case's card (its value must be on the card as it stands)."""
    channel, message = await card_of(w, reference)
    assert value in button_values(message, action_id), (action_id, value)
    reply = await w.slack.click(user, action_id, value, message=message, channel=channel)
    assert reply.status == 200, reply.text


async def modal_from(w: World, user: str, press_it: Any) -> Modal:
    opened = len(w.api.calls_to("views.open"))
    await press_it
    return await w.slack.opened(user, opened + 1)


async def mark_done(w: World, user: str, reference: str, task_id: str, **answers: str) -> Reply:
    value = f"{reference}:{task_id}"
    modal = await modal_from(w, user, press(w, user, reference, "task_done", value))
    assert modal.view["callback_id"] == "task_done_form"
    reply = await w.slack.submit(modal, answers)
    await settled(w, reference, lambda r: not r.case.task(task_id).is_open)
    return reply


def ephemerals(w: World, user: str) -> list[dict[str, Any]]:
    return [c.args for c in w.api.calls_to("chat.postEphemeral") if c.args["user"] == user]


async def whispered(w: World, user: str, count: int = 1) -> dict[str, Any]:
    """The count-th ephemeral message to this person, once it has reached the fake."""
    for _ in range(200):
        found = ephemerals(w, user)
        if len(found) >= count:
            return found[count - 1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no ephemeral #{count} for {user}")


def in_dm(w: World, channel: str, text: str) -> list[dict[str, Any]]:
    """The messages in this DM, as the fake Slack keeps them, whose notification is text."""
    return [m for (c, _), m in w.api.messages.items() if c == channel and m["text"] == text]


def card_text(message: dict[str, Any]) -> str:
    return json.dumps(message["blocks"])


async def card_with_tasks(w: World, record: CaseFile) -> tuple[str, dict]:
    """The approval card once it lists the tasks. The update is Web API work after Bolt's ack
    (design section 4): wait for the call itself."""
    [ref] = [m for m in record.case.messages if m.purpose == "approval"][:1]
    await w.api.wait_for(
        "chat.update",
        predicate=lambda c: (
            (c.args.get("channel"), c.args.get("ts")) == (ref.conversation, ref.message_id)
            and "task_done" in json.dumps(c.args)
        ),
    )
    return await card_of(w, record.case.reference)


async def test_tasks_done_reassigned_then_the_case_closed_and_reopened(world: World) -> None:
    w = world
    reference = await file_report(w)
    record = await approved(
        w, reference, ["discuss", "warning_letter", "police", "retain_evidence"]
    )
    assert [t.action_id for t in record.case.tasks] == [
        "discuss",
        "warning_letter",
        "police",
        "retain_evidence",
    ]

    # The card, updated in place, now lists the tasks with Mark done and Reassign, and their help.
    channel, card = await card_with_tasks(w, record)
    last_update = w.api.calls_to("chat.update")[-1].args
    assert (last_update["channel"], last_update["ts"]) == (channel, card["ts"])
    text = card_text(card)
    assert "5.1.3 Contact the police" in text and "Hana Head" in text
    assert "3.2.1" in text  # the conversation guide with the discuss task
    tasks = [f"{reference}:t{n}" for n in range(1, 5)]
    assert button_values(card, "task_done") == tasks
    assert button_values(card, "task_reassign") == tasks
    assert button_values(card, "case_approve") == []

    # Mark the police task done with the incident number: stored, on the timeline, on the card.
    modal = await modal_from(w, HEAD, press(w, HEAD, reference, "task_done", f"{reference}:t3"))
    assert modal.block("task_reference")["label"]["text"] == "Police incident number"
    reply = await w.slack.submit(modal, {"task_result": "Reported on 101", "task_reference": ""})
    assert reply.text == ""  # the reference is optional (it is given in the next test)
    record = await settled(w, reference, lambda r: r.case.task("t3").status is TaskStatus.DONE)
    assert record.case.task("t3").result == "Reported on 101"
    assert record.case.status is Status.IN_PROGRESS
    [event] = [e for e in record.timeline if e.kind == "task_done"]
    assert event.after["task"]["id"] == "t3" and event.actor.startswith(HEAD_ACTOR.email)

    await mark_done(w, HEAD, reference, "t4", task_result="Screenshots kept")
    modal = await modal_from(w, HEAD, press(w, HEAD, reference, "task_done", f"{reference}:t2"))
    assert modal.block("task_reference")["label"]["text"] == "Date the letter was sent"
    reply = await w.slack.submit(modal, {"task_result": "   "})
    assert reply.json["response_action"] == "errors" and "task_result" in reply.json["errors"]
    reply = await w.slack.submit(
        modal, {"task_result": "Signed and posted", "task_reference": "27 Nov 2026"}
    )
    assert reply.text == ""
    record = await settled(w, reference, lambda r: not r.case.task("t2").is_open)
    assert record.case.task("t2").result_reference == "27 Nov 2026"
    _, card = await card_of(w, reference)
    assert "27 Nov 2026" in card_text(card) and f"{reference}:t2" not in button_values(
        card, "task_done"
    )

    # Reassign the discuss task: a stranger is refused in the modal, the deputy gets a DM.
    value = f"{reference}:t1"
    modal = await modal_from(w, HEAD, press(w, HEAD, reference, "task_reassign", value))
    assert modal.block("task_owner")["element"]["type"] == "users_select"
    reply = await w.slack.submit(modal, {"task_owner": STRANGER})
    assert reply.json["response_action"] == "errors" and "task_owner" in reply.json["errors"]
    reply = await w.slack.submit(modal, {"task_owner": DEPUTY})
    assert reply.text == ""
    record = await settled(
        w, reference, lambda r: r.case.task("t1").owner.email == "deputy@oakprimary.example"
    )
    [assigned] = posted_to(w, DEPUTY)
    assert assigned["text"] == f"Report {reference}: a task was assigned to you"
    assert button_values(assigned, "task_done") == [value]
    assert "task_reassigned" in [e.kind for e in record.timeline]

    # Close: only approvers; with a task still open the modal says so; then it closes.
    await press(w, DSL, reference, "case_close", button_values(card, "case_close")[0])
    assert "approvers can close" in (await whispered(w, DSL))["text"]
    _, card = await card_of(w, reference)
    close = await modal_from(
        w, HEAD, press(w, HEAD, reference, "case_close", button_values(card, "case_close")[0])
    )
    assert close.view["callback_id"] == "close_form"
    outcomes = [o["value"] for o in close.block("close_outcome")["element"]["options"]]
    assert outcomes == [o.value for o in CaseOutcome]
    answers = {"close_outcome": "referred_to_police", "close_note": "The police have it."}
    reply = await w.slack.submit(close, answers)
    assert reply.json["response_action"] == "errors"
    assert "still open" in reply.json["errors"]["close_outcome"]
    assert (await w.server.service.get(reference)).case.status is Status.IN_PROGRESS

    await mark_done(w, DEPUTY, reference, "t1", task_result="Met the parent; post removed")
    reply = await w.slack.submit(close, answers)
    assert reply.text == ""
    record = await settled(w, reference, lambda r: r.case.status is Status.CLOSED)
    assert record.case.closure.outcome is CaseOutcome.POLICE
    assert record.case.closure.note == "The police have it."
    told = posted_to(w, TEACHER)[-1]
    assert told["text"] == f"Update on your report {reference}"
    assert "referred to the police" in json.dumps(told["blocks"])
    _, card = await card_of(w, reference)
    assert "Closed by Hana Head" in card_text(card)
    assert button_values(card, "case_close") == [] and button_values(card, "task_done") == []

    # Reopen: a reason is needed; the card can be closed again.
    reopen = await modal_from(
        w, HEAD, press(w, HEAD, reference, "case_reopen", button_values(card, "case_reopen")[0])
    )
    reply = await w.slack.submit(reopen, {"reopen_reason": " "})
    assert "reopen_reason" in reply.json["errors"]
    reply = await w.slack.submit(reopen, {"reopen_reason": "The post is back up"})
    record = await settled(w, reference, lambda r: r.case.status is Status.REOPENED)
    _, card = await card_of(w, reference)
    assert button_values(card, "case_close") and "Closed by" not in card_text(card)

    kinds = [e.kind for e in record.timeline]
    assert kinds.count("task_done") == 4
    for kind in ("tasks_created", "task_reassigned", "case_closed", "case_reopened"):
        assert kind in kinds
    assert verify(record.timeline) == []
    assert all(m.delivered_at for m in record.outbox)


async def test_the_incident_number_is_kept_on_the_task(world: World) -> None:
    w = world
    reference = await file_report(w)
    await approved(w, reference, ["police"])
    await mark_done(
        w, HEAD, reference, "t1", task_result="Reported to the police", task_reference="CAD-1234"
    )
    record = await w.server.service.get(reference)
    task = record.case.task("t1")
    assert (task.result, task.result_reference) == ("Reported to the police", "CAD-1234")
    [event] = [e for e in record.timeline if e.kind == "task_done"]
    assert event.after["reference"] == "CAD-1234"
    _, card = await card_of(w, reference)
    assert "CAD-1234" in card_text(card)


async def test_tasks_fall_due_after_christmas_and_after_a_closure(tmp_path: Path) -> None:
    trust = christmas_trust(tmp_path)
    async with slack_world(tmp_path / "data", TRUST_CONFIG=str(trust)) as w:
        w.server.service.clock = lambda: BEFORE_CHRISTMAS
        reference = await file_report(w)
        record = await approved(w, reference, ["warning_letter", "legal_advice"])
        assert {t.action_id: t.due_at for t in record.case.tasks} == DUE_AFTER_CHRISTMAS
        _, card = await card_with_tasks(w, record)
        assert all(f"due {shown}" in card_text(card) for shown in SHOWN_AFTER_CHRISTMAS)


async def test_the_letter_is_made_once_and_every_open_gives_the_same_bytes(
    world: World,
) -> None:
    w = world
    reference = await file_report(w, post={**STEP_POST, "evidence": ["F0SHOT0001"]})
    await settled(w, reference, lambda r: bool(r.case.evidence))
    await approved(w, reference, ["warning_letter", "retain_evidence"])

    # The thread gets the note with the button that makes the letter; nothing is made or
    # uploaded yet (the head may still set a date in it).
    channel, card = await card_of(w, reference)
    await settled(
        w,
        reference,
        lambda r: all(m.delivered_at for m in r.outbox if m.notice is Notice.LETTER_DRAFT),
    )
    [note] = [
        m
        for m in w.api.calls_to("chat.postMessage")
        if m.args.get("thread_ts") == card["ts"]
        and "Warning letter for" in m.args["text"] + json.dumps(m.args.get("blocks"))
    ]
    assert "Make the letter" in json.dumps(note.args["blocks"])
    assert not w.api.calls_to("files.completeUploadExternal")
    record = await w.server.service.get(reference)
    assert [e.source for e in record.case.evidence] == ["slack:F0SHOT0001"]
    assert "letter_made" not in [e.kind for e in record.timeline]

    # The letter form: an optional remove-by date, checked; nothing is made until it is sent.
    value = f"{reference}:letter:warning-letter"
    modal = await modal_from(w, HEAD, press(w, HEAD, reference, "case_make_letter", value))
    assert modal.view["callback_id"] == "letter_form"
    assert modal.block("letter_remove_by")["optional"] is True
    today = w.server.service.today()
    reply = await w.slack.submit(modal, {"letter_remove_by": today.isoformat()})
    assert reply.json["errors"] == {
        "letter_remove_by": "Choose a date after today, or leave it empty."
    }
    assert not (await w.server.service.get(reference)).case.evidence[1:]
    remove_by = today + timedelta(days=7)
    reply = await w.slack.submit(modal, {"letter_remove_by": remove_by.isoformat()})
    assert reply.json["response_action"] == "update"
    assert "The letter is made" in json.dumps(reply.json["view"])

    async def open_letter() -> bytes:
        await w.server.idle()
        before = len(ephemerals(w, HEAD))
        await press(w, HEAD, reference, "case_open_file", value)
        answer = await whispered(w, HEAD, before + 1)
        [link] = [
            e["url"]
            for b in answer["blocks"]
            for s in b["elements"]
            for e in s["elements"]
            if e["type"] == "link"
        ]
        async with aiohttp.ClientSession() as http, http.get(link) as r:
            assert r.status == 200
            return await r.read()

    first = await open_letter()
    w.server.service.clock = lambda: datetime.now(UTC) + timedelta(days=2)  # opened again later
    second = await open_letter()
    assert first == second
    sha = hashlib.sha256(first).hexdigest()
    record = await w.server.service.get(reference)
    [made] = [e for e in record.timeline if e.kind == "letter_made"]
    assert made.after["sha256"] == sha and sha in made.summary
    assert made.after["remove_by"] == remove_by.isoformat()
    assert [e.sha256 for e in record.case.evidence if e.source == "warning_letter"] == [sha]
    text = "\n".join(p.text for p in Document(io.BytesIO(first)).paragraphs)
    assert "Private and confidential" in text and "Mrs J. Patel" in text
    assert f"removed by {long_date(remove_by)} at the latest" in text
    assert "5.1.1" in text and "4.2.2" in text and reference in text
    # The card now offers the letter as made, with its hash.
    await w.server.idle()
    _, card = await card_of(w, reference)
    assert f"SHA-256 {sha[:12]}" in card_text(card)


async def test_the_open_buttons_give_private_links(world: World) -> None:
    w = world
    reference = await file_report(w, post={**STEP_POST, "evidence": ["F0SHOT0001"]})
    await settled(w, reference, lambda r: bool(r.case.evidence))
    await approved(w, reference, ["warning_letter", "retain_evidence"])
    channel, card = await card_of(w, reference)

    # Open buttons: the evidence and the letter, each answered privately with a signed link.
    # The letter's first press (from the thread's note: no date) makes it.
    sha = hashlib.sha256(PNG).hexdigest()
    await w.server.idle()
    channel, card = await card_of(w, reference)
    assert button_values(card, "case_make_letter") == [f"{reference}:letter:warning-letter"]
    await w.server.service.make_letter(reference, HEAD_ACTOR)
    await w.server.idle()
    channel, card = await card_of(w, reference)
    values = button_values(card, "case_open_file")
    assert values == [
        f"{reference}:evidence:{sha}",
        f"{reference}:letter:warning-letter",
    ]
    async with aiohttp.ClientSession() as http:
        for value, check in zip(values, ("evidence", "letter"), strict=True):
            before = len(ephemerals(w, DSL))
            await press(w, DSL, reference, "case_open_file", value)
            answer = await whispered(w, DSL, before + 1)
            assert answer["channel"] == LEADERS
            [link] = [
                e["url"]
                for b in answer["blocks"]
                for s in b["elements"]
                for e in s["elements"]
                if e["type"] == "link"
            ]
            assert link.startswith(f"{w.server.url}/files/{reference}/") and "signature=" in link
            expires = int(link.split("expires=")[1].split("&")[0])
            assert 0 < expires - datetime.now(UTC).timestamp() <= 300
            assert "5 minutes" in json.dumps(answer["blocks"])
            async with http.get(link) as r:
                assert r.status == 200
                body = await r.read()
            if check == "evidence":
                assert body == PNG
            else:
                assert "Oak Primary School" in "\n".join(
                    p.text for p in Document(io.BytesIO(body)).paragraphs
                )

    # Someone who may not see the case is told so, privately, and gets no link.
    await press(w, SECONDARY_HEAD, reference, "case_open_file", values[0])
    refused = await whispered(w, SECONDARY_HEAD)
    assert refused["text"] == f"You are not one of the people who can see {reference}."
    assert "/files/" not in json.dumps(refused)


async def test_a_reminder_reaches_the_owner_once_snooze_post_check_and_the_register(
    world: World,
) -> None:
    w = world
    service = w.server.service
    reference = await file_report(w)
    record = await approved(w, reference, ["discuss", "police"])
    police = record.case.task("t2")
    hours = service.trust.hours
    at = police.remind_at + timedelta(hours=2)  # the morning after it fell due, in hours
    assert hours.next_open(at) == at

    assert await service.fire_reminders(at) == 1
    assert await service.fire_reminders(at + timedelta(minutes=1)) == 0
    await w.server.idle()
    owner_dm = f"D{HEAD}"
    reminders = [m for m in posted_to(w, HEAD) if "overdue" in m["text"]]
    assert len(reminders) == 1
    [reminder] = in_dm(w, owner_dm, f"Report {reference}: a task is overdue")
    assert button_values(reminder, "task_done") == [f"{reference}:t2"]
    assert button_values(reminder, "task_snooze") == [f"{reference}:t2"]

    # The next morning, before the next nag, the owner snoozes it to the following working day.
    nag = (await service.get(reference)).case.task("t2").remind_at
    service.clock = lambda: nag - timedelta(hours=1)
    reply = await w.slack.click(
        HEAD, "task_snooze", f"{reference}:t2", message=reminder, channel=owner_dm
    )
    assert reply.status == 200
    record = await settled(w, reference, lambda r: r.case.task("t2").remind_at > nag)
    assert record.case.task("t2").remind_at == hours.next_working_day(nag - timedelta(hours=1))
    assert "reminder_snoozed" in [e.kind for e in record.timeline]
    snoozed = await whispered(w, HEAD)
    assert snoozed["channel"] == owner_dm and snoozed["text"].startswith("Snoozed")

    # The register: the case with its overdue task for the head; not for another school's head.
    other = await file_report(w)
    await service.approve(other, HEAD_ACTOR, 1, ["discuss"])
    await service.close(other, HEAD_ACTOR, "no_further_action", "Resolved by phone")
    for user in (HEAD, SECONDARY_HEAD):
        await w.slack.event({"type": "app_home_opened", "user": user, "tab": "home"})
    published = await w.api.wait_for("views.publish", 2)
    by_user = {c.args["user_id"]: json.dumps(c.args["view"]) for c in published}
    assert f"*{reference}*" in by_user[HEAD] and "1 overdue task" in by_user[HEAD]
    assert f"*{other}*" in by_user[HEAD] and "Closed" in by_user[HEAD]
    assert reference not in by_user[SECONDARY_HEAD]

    # Discussing asks for removal: two working days after it is done, is the post still up?
    await service.complete_task(reference, HEAD_ACTOR, "t1", "Asked them to take it down")
    check_at = (await service.get(reference)).case.task("t1").remind_at
    assert await service.fire_reminders(check_at) >= 1
    await w.server.idle()
    [message] = in_dm(w, owner_dm, f"Report {reference}: is the post still up?")
    assert button_values(message, "post_removed") == [f"{reference}:t1"]
    await w.slack.click(HEAD, "post_still_up", f"{reference}:t1", message=message, channel=owner_dm)
    record = await settled(
        w, reference, lambda r: "post_check_answered" in [e.kind for e in r.timeline]
    )
    [event] = [e for e in record.timeline if e.kind == "post_check_answered"]
    assert event.after == {"task": "t1", "still_up": True}


async def test_evidence_is_fetched_through_the_outbox_when_slack_fails_first(
    world: World,
) -> None:
    w = world
    w.api.fail_next("files:download", count=1, status=500)
    reference = await file_report(w, post={**STEP_POST, "evidence": ["F0SHOT0001"]})
    # Queued with the case, in the same save: a crash after the ack could not lose it.
    record = await w.server.service.get(reference)
    [fetch] = [m for m in record.outbox if m.notice is Notice.FETCH_EVIDENCE]
    assert fetch.detail == "F0SHOT0001"
    record = await settled(w, reference, lambda r: bool(r.case.evidence))
    assert record.case.evidence[0].sha256 == hashlib.sha256(PNG).hexdigest()
    [fetch] = [m for m in record.outbox if m.notice is Notice.FETCH_EVIDENCE]
    assert fetch.delivered_at and fetch.attempts == 2 and "500" in fetch.last_error
    assert len(w.api.calls_to("files:download")) == 1  # the failed one is not counted
    assert [c for c in w.api.calls_to("chat.postMessage") if "could not" in c.args["text"]] == []
