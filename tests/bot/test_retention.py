"""Retention on the service's clock: flag, grace, removal of all a case left; erasure by two."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.access import AccessKind
from bot.errors import NotAllowed
from bot.models import Actor, MessageRef, Notice, Status
from bot.retention import ERASURES, PURGED, REMOVALS, Due
from bot.scheduler import RetentionLoop
from bot.service import CaseService
from bot.service.core import ESCALATED
from bot.storage.tinydb_store import TinyDBStore
from tests.conftest import DEPUTY, HEAD, REPORTER, Clock
from tests.sealed_files import plaintext

START = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
SIX_YEARS_ON = datetime(2032, 11, 27, 9, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n"


async def filed(service: CaseService, make_answers, key: str, **answers: object) -> str:  # noqa: ANN001
    case, _ = await service.submit(REPORTER, make_answers(**answers), key)
    return case.reference


async def test_closed_cases_go_when_retention_ends_open_ones_are_flagged_first(
    service: CaseService, clock: Clock, make_answers
):
    closed = await filed(service, make_answers, "a")
    declined = await filed(service, make_answers, "b")
    left_open = await filed(service, make_answers, "c")
    await service.approve(closed, HEAD, 1, ["retain_evidence"])
    await service.complete_task(closed, HEAD, "t1", "Kept")
    await service.close(closed, HEAD, "resolved_otherwise", "Sorted")
    await service.decline(declined, HEAD, 1, "Not a matter for the school")
    clock.now = START + timedelta(days=365 * 6)  # a day short of six years for all three
    assert {service.verdict(await service.get(r)).due for r in (closed, declined)} == {Due.KEEP}

    clock.now = SIX_YEARS_ON
    dry = await service.retention_pass(dry_run=True)
    assert dry.removing == [closed]
    assert sorted(r for r, _ in dry.flagged) == sorted([declined, left_open])
    assert await service.store.references() == sorted([closed, declined, left_open])

    report = await service.retention_pass()
    assert report.removed == [closed]
    assert await service.store.load(closed) is None
    purge_on = SIX_YEARS_ON.date() + timedelta(days=service.trust.retention_grace_days)
    assert sorted(report.flagged) == sorted([(declined, purge_on), (left_open, purge_on)])
    record = await service.get(left_open)
    assert record.timeline[-1].kind == "retention_flagged"
    [due] = [m for m in record.outbox if m.notice is Notice.RETENTION_DUE]
    assert due.detail == f"{purge_on.isoformat()} 2026-11-26"

    again = await service.retention_pass()  # the next day: flagged once, not twice
    assert again.flagged == [] and sorted(r for r, _ in again.waiting) == sorted(
        [declined, left_open]
    )
    # Someone acts on the declined case during its grace: the clock starts again.
    clock.now = SIX_YEARS_ON + timedelta(days=10)
    await service.close(declined, HEAD, "resolved_otherwise", "Nothing more to do")
    clock.now = datetime.combine(purge_on, datetime.min.time(), UTC) + timedelta(hours=9)
    report = await service.retention_pass()
    assert report.removed == [left_open]
    assert await service.store.references() == [declined]
    kept = await service.store.get_value(PURGED, left_open)
    assert kept["basis"] == "retention" and kept["status"] == "awaiting_decision"
    assert kept["categories"] == {"complaints": 1} and "teacher@" not in json.dumps(kept)


async def test_a_removed_case_leaves_nothing_but_its_anonymous_record(
    service: CaseService, clock: Clock, make_answers, store: TinyDBStore
):
    ref = await filed(service, make_answers, "a", post_text="Only-in-this-case sentence")
    other = await filed(service, make_answers, "b")
    await service.attach_evidence(ref, REPORTER, "s.png", "image/png", PNG + b"mine", "t")
    await service.attach_evidence(ref, REPORTER, "t.png", "image/png", PNG + b"shared", "t")
    await service.attach_evidence(other, REPORTER, "t.png", "image/png", PNG + b"shared", "t")
    orphan = await store.put_evidence(b"rejected upload")
    young_orphan = await store.put_evidence(b"uploaded a moment ago")
    for sha, stored in ((orphan, SIX_YEARS_ON - timedelta(days=9)), (young_orphan, SIX_YEARS_ON)):
        os.utime(store.evidence_path(sha), (stored.timestamp(), stored.timestamp()))
    note = {"id": "x", "reference": ref, "headline": f"{ref} needs you"}
    await store.put_value("web_inbox", "head@oakprimary.example", {"items": [note, {"id": "y"}]})
    await store.put_value("teams_sent", "some-message", {"case": ref})
    await store.put_value("teams_refs", "head@oakprimary.example", {"id": "kept"})
    await service.approve(ref, HEAD, 1, ["retain_evidence"])
    await service.complete_task(ref, HEAD, "t1", "Kept")
    await service.close(ref, HEAD, "resolved_otherwise", "Sorted")
    await service.record_access(ref, HEAD, AccessKind.CASE_VIEWED, "slack")
    assert len(await store.access_log(ref)) == 1
    clock.now = SIX_YEARS_ON

    await service.retention_pass()
    assert await store.access_log(ref) == []

    assert await store.load(ref) is None
    sha = {c: hashlib.sha256(PNG + c).hexdigest() for c in (b"mine", b"shared")}
    assert set(await store.evidence_files()) == {sha[b"shared"], young_orphan}
    assert await store.get_value("web_inbox", "head@oakprimary.example") == {"items": [{"id": "y"}]}
    assert await store.get_value("teams_sent", "some-message") is None
    assert await store.get_value("teams_refs", "head@oakprimary.example") == {"id": "kept"}
    await store.close()
    await store.open()
    for path in store.root.rglob("*"):
        if path.is_file() and path.name != "purged.json":
            assert ref not in plaintext(path, store.root).decode(errors="replace"), path
    assert ref in plaintext(store.values_dir / "purged.json", store.root).decode()


async def test_cards_are_replaced_before_the_case_goes(
    service: CaseService, clock: Clock, make_answers
):
    ref = await filed(service, make_answers, "a")
    record = await service.get(ref)
    card = MessageRef("slack", "approval", "C0LEADERS1", "1700000000.000100")
    await service.store.save(
        replace(record, case=replace(record.case, messages=(card,)), revision=record.revision + 1)
    )
    await service.decline(ref, HEAD, 1, "Not for the school")
    await service.close(ref, HEAD, "no_further_action", "Nothing to do")
    clock.now = SIX_YEARS_ON
    report = await service.retention_pass()
    assert report.removed == [] and report.removing == [ref]
    record = await service.get(ref)
    [removal] = [m for m in record.pending if m.notice is Notice.CASE_REMOVED]
    assert (removal.platform, removal.detail) == ("slack", "retention")
    loop = RetentionLoop(service)
    loop.last_day = service.today()
    assert await loop.tick() is None and await service.store.load(ref) is not None
    await service.delivered(ref, removal.id)
    await loop.tick()  # the same day: only the removals whose cards went
    assert await service.store.load(ref) is None
    assert await service.store.values(REMOVALS) == {}


async def test_the_loop_runs_the_whole_pass_once_a_day(service: CaseService, clock: Clock):
    loop = RetentionLoop(service, interval=0.01, first_after=0)
    passes = []
    real = service.retention_pass

    async def counted(dry_run: bool = False):  # noqa: ANN202
        passes.append(service.today())
        return await real(dry_run)

    service.retention_pass = counted  # type: ignore[method-assign]
    loop.start()
    await asyncio.sleep(0.1)
    clock.now = START + timedelta(days=1)
    await asyncio.sleep(0.1)
    await loop.stop()
    assert passes == [START.date(), START.date() + timedelta(days=1)]


async def test_erasure_needs_a_second_approver(service: CaseService, make_answers):
    ref = await filed(service, make_answers, "a")
    with pytest.raises(NotAllowed, match="Only the approvers who decide"):
        await service.request_erasure(ref, REPORTER.email, "Asked by the subject")
    with pytest.raises(NotAllowed, match="Nobody has requested"):
        await service.confirm_erasure(ref, DEPUTY.email)
    await service.request_erasure(ref, HEAD.email, "The subject asked (Article 17)")
    assert (await service.get(ref)).timeline[-1].kind == "erasure_requested"
    with pytest.raises(NotAllowed, match="already requested"):
        await service.request_erasure(ref, DEPUTY.email, "Again")
    with pytest.raises(NotAllowed, match="cannot confirm it"):
        await service.confirm_erasure(ref, HEAD.email.upper())
    assert (await service.get(ref)).case.status is Status.AWAITING_DECISION
    assert await service.confirm_erasure(ref, DEPUTY.email) == [ref]
    assert await service.store.load(ref) is None
    kept = await service.store.get_value(PURGED, ref)
    assert kept["basis"] == "erasure" and "Article 17" not in json.dumps(kept)
    assert await service.store.values(ERASURES) == {}


async def test_the_web_channel_files_the_retention_notice_for_the_approvers(
    service: CaseService, clock: Clock, make_answers
):
    from handlers.web.sender import WebSender, inbox_of

    ref = await filed(service, make_answers, "a")
    clock.now = SIX_YEARS_ON
    await service.retention_pass()
    record = await service.get(ref)
    [due] = [m for m in record.pending if m.notice is Notice.RETENTION_DUE]
    await WebSender(service).deliver(record, due)
    for approver in service.trust.school("oak-primary").approvers:
        [note] = await inbox_of(service, approver)
        assert note["headline"] == f"{ref} is past the trust's retention period"
        assert note["lines"][1].startswith("It will be removed on 25 February 2033")
    assert await inbox_of(service, REPORTER.email) == []


async def test_a_case_that_cannot_be_read_does_not_stop_the_pass(
    service: CaseService, clock: Clock, make_answers, store: TinyDBStore
):
    broken = await filed(service, make_answers, "a")
    fine = await filed(service, make_answers, "b")
    orphan = await store.put_evidence(b"perhaps the broken case's")
    old = (SIX_YEARS_ON - timedelta(days=30)).timestamp()
    os.utime(store.evidence_path(orphan), (old, old))
    (store.cases_dir / f"{broken}.json").write_text("{not json")
    clock.now = SIX_YEARS_ON
    report = await service.retention_pass()
    assert [r for r, _ in report.flagged] == [fine]
    # Which files the unreadable case uses is unknown: none is removed as unused.
    assert report.orphans == 0 and store.evidence_path(orphan).exists()


async def test_a_case_about_a_decider_is_erased_by_the_escalation_contacts_not_the_school(
    service: CaseService, make_answers
):
    ref = await filed(service, make_answers, "a", about=["head"])
    assert (await service.get(ref)).case.recommendation.escalated
    with pytest.raises(NotAllowed, match="escalation contacts"):
        await service.request_erasure(ref, HEAD.email, "The head asks")
    await service.request_erasure(ref, "chair@oaktrust.example", "The subject asked")
    with pytest.raises(NotAllowed, match="Only the approvers who decide"):
        await service.confirm_erasure(ref, DEPUTY.email)  # a school approver: not for this case
    assert await service.store.load(ref) is not None


async def test_a_removed_escalated_case_leaves_no_escalated_cases_entry(
    service: CaseService, clock: Clock, make_answers, store: TinyDBStore
):
    chair = Actor("slack", "UCHAIR1", "chair@oaktrust.example", "Cara Chair")
    ref = await filed(service, make_answers, "a", about=["head"])
    assert await store.get_value(ESCALATED, ref) == {"school": "oak-primary"}
    await service.approve(ref, chair, 1, ["retain_evidence"])
    await service.complete_task(ref, chair, "t1", "Kept")
    await service.close(ref, chair, "resolved_otherwise", "Sorted")
    clock.now = SIX_YEARS_ON
    await service.retention_pass()
    assert await store.load(ref) is None
    assert await store.get_value(ESCALATED, ref) is None
    assert ref not in await store.values(ESCALATED)
