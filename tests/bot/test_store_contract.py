"""The storage port's contract: every store (TinyDB, PostgreSQL) must pass each of these."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.access import AccessEntry, AccessKind, next_entry
from bot.access import verify as verify_access
from bot.errors import Conflict
from bot.models import CaseFile, CaseSummary, MessageRef, Status
from bot.service import CaseService
from bot.storage.port import Store
from bot.storage.postgres_store import PostgresStore
from bot.storage.tinydb_store import TinyDBStore
from tests.conftest import REPORTER

KINDS = ["tinydb", "postgresql"]


def open_store(kind: str, data_dir: Path, request: pytest.FixtureRequest) -> Store:
    if kind == "tinydb":
        return TinyDBStore(data_dir)
    return PostgresStore(request.getfixturevalue("pg_url"), data_dir)


@pytest.fixture(params=KINDS)
async def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    store = open_store(request.param, tmp_path / "store", request)
    await store.open()
    yield store
    await store.close()


@pytest.fixture
async def template(service: CaseService, make_answers) -> CaseFile:  # noqa: ANN001
    """A real case file, filed through the service on a scratch store, to copy from."""
    case, _ = await service.submit(REPORTER, make_answers(), "template")
    return await service.get(case.reference)


def copy(template: CaseFile, n: int, **case_changes: object) -> CaseFile:
    changes = {"reference": f"OAK-2026-{n:04d}", "submission_key": f"key-{n}", **case_changes}
    case = replace(template.case, **changes)
    return replace(template, case=case, revision=1)


def delivered(record: CaseFile) -> CaseFile:
    now = datetime(2026, 11, 26, 10, tzinfo=UTC)
    outbox = tuple(replace(m, delivered_at=now) for m in record.outbox)
    return replace(record, outbox=outbox, revision=record.revision + 1)


async def test_create_load_round_trip(any_store: Store, template: CaseFile):
    record = copy(template, 1)
    await any_store.create(record)
    assert await any_store.load("OAK-2026-0001") == record
    assert await any_store.load("OAK-2026-0002") is None
    assert await any_store.load("not a reference") is None


async def test_save_is_compare_and_set_on_the_revision(any_store: Store, template: CaseFile):
    record = copy(template, 1)
    await any_store.create(record)
    moved = replace(record, case=replace(record.case, version=2), revision=2)
    await any_store.save(moved)
    assert await any_store.load("OAK-2026-0001") == moved
    with pytest.raises(Conflict):
        await any_store.save(moved)  # revision 2 again: someone else's save got there first
    with pytest.raises(Conflict):
        await any_store.save(replace(moved, revision=5))
    with pytest.raises(Conflict):
        await any_store.save(replace(copy(template, 9), revision=2))  # never created
    assert await any_store.load("OAK-2026-0001") == moved


async def test_create_refuses_a_taken_reference_or_submission_key(
    any_store: Store, template: CaseFile
):
    await any_store.create(copy(template, 1))
    with pytest.raises(Conflict):
        await any_store.create(copy(template, 1, submission_key="another-key"))
    with pytest.raises(Conflict):
        await any_store.create(copy(template, 2, submission_key="key-1"))
    assert await any_store.references() == ["OAK-2026-0001"]
    assert await any_store.find_submission("key-1") == "OAK-2026-0001"
    assert await any_store.find_submission("key-2") is None


async def test_next_reference_is_sequential_per_prefix_and_year(any_store: Store):
    assert await any_store.next_reference("OAK", 2026) == "OAK-2026-0001"
    assert await any_store.next_reference("OAK", 2026) == "OAK-2026-0002"
    assert await any_store.next_reference("OAK", 2027) == "OAK-2027-0001"
    assert await any_store.next_reference("ELM", 2026) == "ELM-2026-0001"


async def test_next_reference_is_distinct_under_concurrency(any_store: Store):
    refs = await asyncio.gather(*(any_store.next_reference("OAK", 2026) for _ in range(50)))
    assert sorted(refs) == [f"OAK-2026-{n:04d}" for n in range(1, 51)]


async def test_listings_follow_the_writes(any_store: Store, template: CaseFile):
    first, second = copy(template, 1), copy(template, 2, status=Status.APPROVED, version=3)
    await any_store.create(first)
    await any_store.create(second)
    assert await any_store.references() == ["OAK-2026-0001", "OAK-2026-0002"]
    summaries = sorted(await any_store.summaries(), key=lambda s: s.reference)
    assert summaries == [CaseSummary.of(first.case), CaseSummary.of(second.case)]
    assert await any_store.with_pending_outbox() == ["OAK-2026-0001", "OAK-2026-0002"]
    await any_store.save(delivered(first))
    assert await any_store.with_pending_outbox() == ["OAK-2026-0002"]


async def test_a_lease_has_one_owner_at_a_time(any_store: Store, template: CaseFile):
    await any_store.create(copy(template, 1))
    ref = "OAK-2026-0001"
    assert await any_store.lease(ref, "a", 30)
    assert not await any_store.lease(ref, "b", 30)
    assert await any_store.lease(ref, "a", 30)  # the holder renews
    await any_store.release(ref, "b")  # not b's to give back: nothing happens
    assert not await any_store.lease(ref, "b", 30)
    await any_store.release(ref, "a")
    assert await any_store.lease(ref, "b", 30)
    assert not await any_store.lease("OAK-2026-0099", "a", 30)  # no such case


async def test_an_expired_lease_can_be_taken(any_store: Store, template: CaseFile):
    await any_store.create(copy(template, 1))
    ref = "OAK-2026-0001"
    assert await any_store.lease(ref, "killed", 0.2)
    assert not await any_store.lease(ref, "b", 30)
    await asyncio.sleep(0.3)
    assert await any_store.lease(ref, "b", 30)
    assert not await any_store.lease(ref, "killed", 30)


async def test_a_save_keeps_the_lease(any_store: Store, template: CaseFile):
    record = copy(template, 1)
    await any_store.create(record)
    assert await any_store.lease(record.case.reference, "a", 30)
    await any_store.save(delivered(record))
    assert not await any_store.lease(record.case.reference, "b", 30)


async def test_key_values(any_store: Store):
    assert await any_store.get_value("drafts", "U1") is None
    await any_store.put_value("drafts", "U1", {"step": 1, "text": "é"})
    await any_store.put_value("conversations", "U1", {"id": "c"})
    assert await any_store.get_value("drafts", "U1") == {"step": 1, "text": "é"}
    await any_store.put_value("drafts", "U1", {"step": 2})
    assert await any_store.get_value("drafts", "U1") == {"step": 2}
    await any_store.delete_value("drafts", "U1")
    await any_store.delete_value("drafts", "U404")
    assert await any_store.get_value("drafts", "U1") is None
    assert await any_store.get_value("conversations", "U1") == {"id": "c"}
    # A whole table (the reminder pass reads the drafts tables this way to forget old ones).
    await any_store.put_value("drafts", "U2", {"step": 3})
    await any_store.put_value("drafts", "U3", {"step": 1})
    assert await any_store.values("drafts") == {"U2": {"step": 3}, "U3": {"step": 1}}
    assert await any_store.values("web_drafts") == {}


async def test_evidence_is_kept_once_by_its_hash(any_store: Store):
    data = b"\x89PNG screenshot"
    sha = await any_store.put_evidence(data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert await any_store.put_evidence(data) == sha
    assert any_store.read_evidence(sha) == data
    with pytest.raises(ValueError, match="not a SHA-256"):
        any_store.evidence_path("../../etc/passwd")


@pytest.mark.parametrize("kind", KINDS)
async def test_everything_survives_closing_and_reopening(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, template: CaseFile
):
    first = open_store(kind, tmp_path / "store", request)
    await first.open()
    assert await first.next_reference("OAK", 2026) == "OAK-2026-0001"
    record = copy(template, 1)
    await first.create(record)
    await first.put_value("drafts", "U1", {"a": 1})
    await first.close()
    again = open_store(kind, tmp_path / "store", request)
    await again.open()
    try:
        assert await again.load("OAK-2026-0001") == record
        assert await again.next_reference("OAK", 2026) == "OAK-2026-0002"
        assert await again.get_value("drafts", "U1") == {"a": 1}
        assert again.health()["kind"] == kind
    finally:
        await again.close()


async def test_the_outbox_keeps_its_order_past_ten_messages(any_store: Store, template: CaseFile):
    outbox = tuple(replace(template.outbox[0], id=f"m{n}") for n in range(12))
    await any_store.create(replace(copy(template, 1), outbox=outbox))
    loaded = await any_store.load("OAK-2026-0001")
    assert [m.id for m in loaded.outbox] == [f"m{n}" for n in range(12)]


async def test_delete_removes_a_case_and_its_own_evidence(any_store: Store, template: CaseFile):
    kept, gone = copy(template, 1), copy(template, 2)
    await any_store.create(kept)
    await any_store.create(gone)
    sha = await any_store.put_evidence(b"purged screenshot")
    await any_store.delete(gone.case.reference)
    await any_store.delete_evidence(sha)
    assert await any_store.load(gone.case.reference) is None
    assert await any_store.find_submission(gone.case.submission_key) is None
    assert await any_store.references() == [kept.case.reference]
    assert [s.reference for s in await any_store.summaries()] == [kept.case.reference]
    assert not any_store.evidence_path(sha).exists()
    await any_store.delete(gone.case.reference)  # idempotent


def access_entries(n: int) -> list[AccessEntry]:
    log: list[AccessEntry] = []
    for k in range(n):
        at = datetime(2026, 11, 26, 10, k, tzinfo=UTC)
        log.append(
            next_entry(
                log,
                at=at,
                actor="head@oakprimary.example (web:head)",
                kind=AccessKind.CASE_VIEWED,
                channel="web",
            )
        )
    return log


async def test_the_access_log_appends_in_order_and_refuses_a_gap_or_repeat(
    any_store: Store, template: CaseFile
):
    record = copy(template, 1)
    await any_store.create(record)
    ref = record.case.reference
    assert await any_store.access_log(ref) == []
    first, second, third = access_entries(3)
    await any_store.append_access(ref, first)
    with pytest.raises(Conflict):
        await any_store.append_access(ref, first)  # another view appended entry 1 first
    with pytest.raises(Conflict):
        await any_store.append_access(ref, third)  # a gap
    await any_store.append_access(ref, second)
    assert await any_store.access_log(ref) == [first, second]
    assert verify_access(await any_store.access_log(ref)) == []
    assert await any_store.load(ref) == record  # a view never touches the case file
    assert await any_store.access_log("OAK-2026-0002") == []


async def test_concurrent_appends_get_one_winner_per_place(any_store: Store, template: CaseFile):
    record = copy(template, 1)
    await any_store.create(record)
    entries = access_entries(1) * 4
    results = await asyncio.gather(
        *(any_store.append_access("OAK-2026-0001", e) for e in entries), return_exceptions=True
    )
    assert sum(r is None for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if r is not None)
    assert len(await any_store.access_log("OAK-2026-0001")) == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_the_access_log_survives_reopening_and_can_be_deleted(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path, template: CaseFile
):
    first = open_store(kind, tmp_path / "store", request)
    await first.open()
    await first.create(copy(template, 1))
    await first.create(copy(template, 2))
    log = access_entries(2)
    for entry in log:
        await first.append_access("OAK-2026-0001", entry)
        await first.append_access("OAK-2026-0002", entry)
    await first.close()
    again = open_store(kind, tmp_path / "store", request)
    await again.open()
    try:
        assert await again.access_log("OAK-2026-0001") == log
        await again.delete_access_log("OAK-2026-0001")
        assert await again.access_log("OAK-2026-0001") == []
        assert await again.access_log("OAK-2026-0002") == log  # another case's is kept
        await again.delete_access_log("OAK-2026-0001")  # idempotent
    finally:
        await again.close()


async def test_tables_names_every_value_table_in_use(any_store: Store):
    assert await any_store.tables() == []
    await any_store.put_value("web_inbox", "a@b.example", {"items": []})
    await any_store.put_value("purged", "OAK-2026-0001", {"reference": "OAK-2026-0001"})
    assert await any_store.tables() == ["purged", "web_inbox"]


async def test_evidence_files_lists_each_kept_file_with_when_it_was_stored(any_store: Store):
    before = datetime.now(UTC).replace(microsecond=0)
    sha = await any_store.put_evidence(b"an orphan")
    other = await any_store.put_evidence(b"another")
    listed = await any_store.evidence_files()
    assert set(listed) == {sha, other}
    assert all(when >= before and when.tzinfo is not None for when in listed.values())
    await any_store.delete_evidence(sha)
    assert set(await any_store.evidence_files()) == {other}


async def test_an_in_flight_mark_is_kept_and_the_entry_stays_pending(
    any_store: Store, template: CaseFile
):
    """The outbox's in-flight time survives a reload, with the pending entry and its refs."""
    record = copy(template, 1)
    await any_store.create(record)
    marked = datetime(2026, 11, 26, 10, 0, 0, 123456, tzinfo=UTC)
    first = replace(record.outbox[0], in_flight_at=marked)
    ref = MessageRef("slack", "approval", "C0LEADERS1", "1790000000.000100", (("retried", "1"),))
    saved = replace(
        record,
        case=replace(record.case, messages=(ref,)),
        outbox=(first, *record.outbox[1:]),
        revision=2,
    )
    await any_store.save(saved)
    loaded = await any_store.load("OAK-2026-0001")
    assert loaded == saved and loaded.outbox[0].in_flight_at == marked
    assert "OAK-2026-0001" in await any_store.with_pending_outbox()
