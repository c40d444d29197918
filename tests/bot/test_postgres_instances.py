"""Several instances on one PostgreSQL: one migration, one decision, one sequence, one delivery."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path

import asyncpg
import pytest

from bot.config import Trust
from bot.errors import StorageUnavailable
from bot.models import CaseFile, MessageRef, OutboxMessage
from bot.outbox import OutboxWorker
from bot.policy import Policy
from bot.service import CaseService
from bot.storage.postgres_store import MIGRATIONS, Migration, PostgresStore
from bot.timeline import verify
from tests.conftest import HEAD, REPORTER, Clock

Instances = Callable[[int], Awaitable[list[CaseService]]]


@pytest.fixture
async def instances(
    pg_url: str, tmp_path: Path, trust: Trust, policy: Policy, clock: Clock
) -> AsyncIterator[Instances]:
    """Open n services, each with its own store and pool on the same database: n instances."""
    opened: list[PostgresStore] = []

    async def make(n: int) -> list[CaseService]:
        services = []
        for _ in range(n):
            store = PostgresStore(pg_url, tmp_path / "data", max_size=4)
            await store.open()
            opened.append(store)
            services.append(CaseService(store, trust, policy, clock))
        return services

    yield make
    for store in opened:
        await store.close()


async def schema_versions(url: str) -> list[int]:
    conn = await asyncpg.connect(url)
    try:
        return [r["version"] for r in await conn.fetch("SELECT version FROM schema_version")]
    finally:
        await conn.close()


async def test_instances_starting_together_migrate_once(instances, pg_url: str):
    await asyncio.gather(instances(1), instances(1), instances(1))
    assert await schema_versions(pg_url) == [m.version for m in MIGRATIONS]


async def test_a_failing_migration_leaves_the_database_as_it_was(pg_url: str, tmp_path: Path):
    broken = Migration(len(MIGRATIONS) + 1, ("CREATE TABLE extra (x int)", "SELECT * FROM nowhere"))
    store = PostgresStore(pg_url, tmp_path, migrations=(*MIGRATIONS, broken))
    with pytest.raises(asyncpg.UndefinedTableError):
        await store.open()
    assert await schema_versions(pg_url) == [m.version for m in MIGRATIONS]
    conn = await asyncpg.connect(pg_url)
    try:
        assert await conn.fetchval("SELECT to_regclass('extra')") is None
    finally:
        await conn.close()


async def test_an_unreachable_database_is_named_without_its_password(tmp_path: Path):
    store = PostgresStore("postgresql://bot:s3cret@127.0.0.1:1/cases", tmp_path)
    with pytest.raises(StorageUnavailable) as err:
        await store.open()
    assert "s3cret" not in str(err.value)
    assert "s3cret" not in str(store.health())


async def test_two_instances_racing_on_one_approval_give_one_decision(instances, make_answers):
    a, b = await instances(2)
    case, _ = await a.submit(REPORTER, make_answers(), "k1")
    clicks = [s.approve(case.reference, HEAD, case.version, ["discuss"]) for s in (a, b) * 5]
    outcomes = await asyncio.gather(*clicks)
    assert sum(o.applied for o in outcomes) == 1
    record = await b.get(case.reference)
    assert [e.kind for e in record.timeline].count("decision_approved") == 1
    assert verify(record.timeline) == []


async def test_two_instances_submitting_share_one_reference_sequence(instances, make_answers):
    a, b = await instances(2)
    submits = [s.submit(REPORTER, make_answers(), f"key-{n}") for n, s in enumerate((a, b) * 15)]
    refs = sorted(c.reference for c, _ in await asyncio.gather(*submits))
    assert refs == [f"OAK-2026-{n:04d}" for n in range(1, 31)]


async def test_the_same_submission_on_two_instances_files_one_case(instances, make_answers):
    a, b = await instances(2)
    twice = await asyncio.gather(*(s.submit(REPORTER, make_answers(), "k") for s in (a, b)))
    assert twice[0][0].reference == twice[1][0].reference
    assert sorted(created for _, created in twice) == [False, True]
    assert len(await b.store.references()) == 1


class Recorder:
    """A sender that notes every delivery and takes a little while over each."""

    def __init__(self, log: list[tuple[str, str]]) -> None:
        self.log = log

    async def deliver(self, record: CaseFile, message: OutboxMessage) -> Sequence[MessageRef]:
        await asyncio.sleep(0.005)
        self.log.append((record.case.reference, message.id))
        return ()


async def test_two_workers_deliver_each_message_once(instances, make_answers):
    a, b = await instances(2)
    for n in range(10):
        await a.submit(REPORTER, make_answers(), f"key-{n}")
    sent: list[tuple[str, str]] = []
    workers = [OutboxWorker(s, {"slack": Recorder(sent)}) for s in (a, b)]
    for _ in range(20):
        await asyncio.gather(*(w.drain() for w in workers))
        if not await a.store.with_pending_outbox():
            break
    assert await a.store.with_pending_outbox() == []
    assert len(sent) == 20  # a receipt and an approval card per case
    assert max(Counter(sent).values()) == 1


async def test_a_killed_instance_lease_expires_and_another_delivers(instances, make_answers):
    (a,) = await instances(1)
    case, _ = await a.submit(REPORTER, make_answers(), "k1")
    assert await a.store.lease(case.reference, "killed-instance", 0.3)
    sent: list[tuple[str, str]] = []
    worker = OutboxWorker(a, {"slack": Recorder(sent)})
    assert await worker.drain() is True  # still waiting: someone else holds the case
    assert sent == []
    await asyncio.sleep(0.4)
    assert await worker.drain() is False
    assert len(sent) == 2
