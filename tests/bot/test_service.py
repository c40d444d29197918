"""The use cases: who may do what, exactly-once decisions, idempotency, the timeline."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import replace

import pytest

from bot.errors import Conflict, EvidenceRejected, FormErrors, NotAllowed, StaleVersion
from bot.models import Actor, DecisionKind, Notice, Status
from bot.timeline import verify
from tests.conftest import DEPUTY, DSL, HEAD, OTHER_HEAD, REPORTER
from tests.samples import png


async def submit(service, make_answers, key="k1", **overrides):
    case, created = await service.submit(REPORTER, make_answers(**overrides), key)
    assert created
    return case


async def test_submit_stores_case_with_reference_timeline_and_outbox(service, make_answers):
    case = await submit(service, make_answers)
    assert case.reference == "OAK-2026-0001"
    assert case.status is Status.AWAITING_DECISION
    record = await service.get(case.reference)
    assert record.case == case
    assert [e.kind for e in record.timeline] == ["report_submitted", "triaged"]
    assert record.timeline[1].after["rules_fired"] == [
        "first_step_discuss",
        "keep_evidence",
    ]
    assert [m.notice for m in record.outbox] == [Notice.RECEIPT, Notice.APPROVAL_CARD]
    assert verify(record.timeline) == []


async def test_references_are_sequential(service, make_answers):
    refs = [(await submit(service, make_answers, key=f"k{n}")).reference for n in range(3)]
    assert refs == ["OAK-2026-0001", "OAK-2026-0002", "OAK-2026-0003"]


async def test_concurrent_submissions_get_distinct_sequential_references(service, make_answers):
    cases = await asyncio.gather(
        *(service.submit(REPORTER, make_answers(), f"key-{n}") for n in range(20))
    )
    refs = sorted(c.reference for c, _ in cases)
    assert refs == [f"OAK-2026-{n:04d}" for n in range(1, 21)]


async def test_repeated_submission_returns_the_same_case(service, make_answers):
    first = await submit(service, make_answers)
    again, created = await service.submit(REPORTER, make_answers(), "k1")
    assert not created and again.reference == first.reference
    assert len(await service.store.references()) == 1


async def test_urgent_case_alerts_safeguarding(service, make_answers):
    case = await submit(service, make_answers, categories=["violence"])
    record = await service.get(case.reference)
    assert Notice.SAFEGUARDING_ALERT in [m.notice for m in record.outbox]


async def test_stranger_cannot_report(service, make_answers):
    stranger = Actor("slack", "UX", "someone@gmail.example", "X")
    with pytest.raises(NotAllowed):
        await service.submit(stranger, make_answers(), "k")
    assert await service.store.references() == []


async def test_reporter_cannot_file_for_another_school(service, make_answers):
    with pytest.raises(FormErrors) as err:
        await service.submit(REPORTER, make_answers(school_id="oak-secondary"), "k")
    assert "school_id" in err.value.errors


async def test_approve_records_one_decision_and_notifies(service, make_answers):
    case = await submit(service, make_answers)
    out = await service.approve(case.reference, HEAD, case.version, ["discuss", "retain_evidence"])
    assert out.applied
    record = await service.get(case.reference)
    assert record.case.status is Status.APPROVED
    assert record.case.decision.actions == ("discuss", "retain_evidence")
    assert record.case.decision.by == HEAD
    assert [e.kind for e in record.timeline][-2:] == ["decision_approved", "tasks_created"]
    assert record.timeline[-2].before == {"status": "awaiting_decision", "version": 1}
    assert [t.action_id for t in record.case.tasks] == ["discuss", "retain_evidence"]
    assert {t.owner for t in record.case.tasks} == {HEAD}
    notices = [m.notice for m in record.outbox]
    assert notices[-3:] == [Notice.CARD_UPDATE, Notice.DECISION_NOTE, Notice.DECISION_TO_REPORTER]


async def test_two_approvers_at_once_give_exactly_one_decision(service, make_answers):
    case = await submit(service, make_answers)
    results = await asyncio.gather(
        service.approve(case.reference, HEAD, 1, ["discuss"]),
        service.decline(case.reference, DEPUTY, 1, "Not our business"),
        service.approve(case.reference, DEPUTY, 1, ["retain_evidence"]),
    )
    assert sum(r.applied for r in results) == 1
    winner = next(r for r in results if r.applied).case.decision
    for late in (r for r in results if not r.applied):
        assert "already" in late.note and (winner.by.name in late.note or "You" in late.note)
    record = await service.get(case.reference)
    assert [e.kind for e in record.timeline].count("decision_approved") + [
        e.kind for e in record.timeline
    ].count("decision_declined") == 1


async def test_repeated_click_changes_nothing(service, make_answers):
    case = await submit(service, make_answers)
    await service.approve(case.reference, HEAD, 1, ["discuss"])
    before = await service.get(case.reference)
    again = await service.approve(case.reference, HEAD, 1, ["discuss"])
    assert not again.applied and again.note.startswith("You already approved")
    assert await service.get(case.reference) == before


async def test_non_approver_is_refused_and_nothing_changes(service, make_answers):
    case = await submit(service, make_answers)
    before = await service.get(case.reference)
    for actor in (REPORTER, DSL, OTHER_HEAD):
        with pytest.raises(NotAllowed) as err:
            await service.approve(case.reference, actor, 1, ["discuss"])
        assert "approvers can decide" in str(err.value)
        assert "@" not in str(err.value)  # a refusal names nobody's email
    assert await service.get(case.reference) == before


async def test_stale_version_is_refused(service, make_answers):
    case = await submit(service, make_answers)
    await service.ask_more_info(case.reference, HEAD, 1, "Which class?")
    with pytest.raises(StaleVersion):
        await service.approve(case.reference, HEAD, 1, ["discuss"])


async def test_approve_needs_an_action_and_other_text(service, make_answers):
    case = await submit(service, make_answers)
    with pytest.raises(FormErrors) as err:
        await service.approve(case.reference, HEAD, 1, [])
    assert "actions" in err.value.errors
    with pytest.raises(FormErrors) as err:
        await service.approve(case.reference, HEAD, 1, ["other_action"], "")
    assert "other_action" in err.value.errors
    assert (await service.get(case.reference)).case.decision is None


async def test_decline_needs_a_reason(service, make_answers):
    case = await submit(service, make_answers)
    with pytest.raises(FormErrors):
        await service.decline(case.reference, HEAD, 1, "  ")
    out = await service.decline(case.reference, HEAD, 1, "Fair comment")
    assert out.case.decision.kind is DecisionKind.DECLINED
    assert out.case.status is Status.DECLINED


async def test_more_information_round_trip(service, make_answers):
    case = await submit(service, make_answers)
    asked = await service.ask_more_info(case.reference, HEAD, 1, "Which class is it about?")
    assert asked.case.status is Status.MORE_INFO_REQUESTED
    repeat = await service.ask_more_info(case.reference, HEAD, 2, "Which class is it about?")
    assert not repeat.applied
    with pytest.raises(NotAllowed):
        await service.add_information(case.reference, HEAD, "4B")
    answered = await service.add_information(case.reference, REPORTER, "Year 4B")
    assert answered.case.status is Status.AWAITING_DECISION
    assert answered.case.info_requests[-1].answer == "Year 4B"
    again = await service.add_information(case.reference, REPORTER, "Year 4B")
    assert not again.applied
    record = await service.get(case.reference)
    kinds = [e.kind for e in record.timeline]
    assert kinds[-2:] == ["more_info_requested", "information_added"]
    assert [m.notice for m in record.outbox][-2:] == [Notice.INFO_ANSWER, Notice.CARD_UPDATE]
    assert (await service.approve(case.reference, HEAD, answered.case.version, ["discuss"])).applied


async def test_evidence_is_hashed_kept_and_limited(service, make_answers, store):
    case = await submit(service, make_answers)
    e = await service.attach_evidence(
        case.reference, REPORTER, "shot.png", "image/png", png("fake"), "slack:F1"
    )
    assert e.sha256 == hashlib.sha256(png("fake")).hexdigest()
    assert store.read_evidence(e.sha256) == png("fake")
    same = await service.attach_evidence(
        case.reference, REPORTER, "shot.png", "image/png", png("fake"), "slack:F1"
    )
    assert same == e
    with pytest.raises(EvidenceRejected):
        await service.attach_evidence(case.reference, REPORTER, "e.png", "image/png", b"", "x")
    big = b"x" * (service.trust.evidence_max_bytes + 1)
    with pytest.raises(EvidenceRejected):
        await service.attach_evidence(case.reference, REPORTER, "big.png", "image/png", big, "x")
    for n in range(service.trust.evidence_max_files - 1):
        await service.attach_evidence(
            case.reference, REPORTER, f"{n}.png", "image/png", png(bytes([n]) * 3), "x"
        )
    with pytest.raises(EvidenceRejected):
        await service.attach_evidence(
            case.reference, REPORTER, "11.png", "image/png", png("eleven"), "x"
        )
    # Refused before it is written: nothing of it stays on disk.
    assert not store.evidence_path(hashlib.sha256(png("eleven")).hexdigest()).exists()
    record = await service.get(case.reference)
    assert len(record.case.evidence) == service.trust.evidence_max_files
    assert verify(record.timeline) == []


async def test_evidence_type_is_what_its_bytes_are(service, make_answers, store):
    case = await submit(service, make_answers)
    page = b"<html><script>alert(1)</script></html>"
    with pytest.raises(EvidenceRejected, match="page.png is not a picture or a PDF"):
        await service.attach_evidence(case.reference, REPORTER, "page.png", "image/png", page, "x")
    assert not store.evidence_path(hashlib.sha256(page).hexdigest()).exists()
    pdf = await service.attach_evidence(
        case.reference, REPORTER, "notes", "image/png", b"%PDF-1.4 notes", "x"
    )
    assert pdf.media_type == "application/pdf"


async def test_delivery_is_recorded_with_message_refs(service, make_answers):
    from bot.models import MessageRef

    case = await submit(service, make_answers)
    record = await service.get(case.reference)
    card = record.outbox[1]
    ref = MessageRef("slack", "approval", "C0LEADERS1", "1700000000.000100")
    await service.delivered(case.reference, card.id, [ref])
    record = await service.get(case.reference)
    assert record.case.message("slack", "approval") == (ref,)
    assert [m.notice for m in record.pending] == [Notice.RECEIPT]
    assert record.case.version == case.version  # delivery does not make cards stale


async def test_visible_cases(service, make_answers):
    case = await submit(service, make_answers)
    assert [s.reference for s in await service.visible(HEAD)] == [case.reference]
    assert [s.reference for s in await service.visible(DSL)] == [case.reference]
    assert [s.reference for s in await service.visible(REPORTER)] == [case.reference]
    assert await service.visible(OTHER_HEAD) == []


async def test_store_refuses_a_stale_revision(service, make_answers, store):
    case = await submit(service, make_answers)
    record = await store.load(case.reference)
    await store.save(replace(record, revision=record.revision + 1))
    with pytest.raises(Conflict):
        await store.save(replace(record, revision=record.revision + 1))


async def test_two_services_on_one_store_still_give_one_decision(service, make_answers, store):
    """Two instances (own locks, shared store) race: the store's compare-and-set decides."""
    from bot.service import CaseService

    other = CaseService(store, service.trust, service.policy, service.clock)
    case = await submit(service, make_answers)
    for _ in range(10):
        results = await asyncio.gather(
            service.approve(case.reference, HEAD, case.version, ["discuss"]),
            other.approve(case.reference, DEPUTY, case.version, ["retain_evidence"]),
        )
        assert sum(r.applied for r in results) == 1
        record = await service.get(case.reference)
        decisions = [e for e in record.timeline if e.kind.startswith("decision_")]
        assert len(decisions) == 1
        case = await submit(service, make_answers, key=f"again-{_}")
