"""Child process for the two-process test: one bot instance submitting or approving on PostgreSQL.

python -m tests.bot.pg_child URL DATA_DIR submit TAG COUNT
python -m tests.bot.pg_child URL DATA_DIR approve REF [REF ...]

It prints "ready", waits for a line on stdin (so both children start together), then prints a
line per case: "submitted REF", "applied REF" or "already REF", and "done".
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from bot.config import EXAMPLE_TRUST, load_trust
from bot.forms import report_form, to_answers
from bot.models import Actor
from bot.policy import load_policy
from bot.service import CaseService
from bot.storage.postgres_store import PostgresStore
from tests.samples import answers_values

REPORTER = Actor("slack", "UTEACH1", "teacher@oakprimary.example", "Tess Teacher")
HEAD = Actor("slack", "UHEAD01", "head@oakprimary.example", "Hana Head")
CONCURRENCY = 4  # requests in flight per instance, as a server would have


def fixed_clock() -> datetime:
    return datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


async def submit(service: CaseService, tag: str, count: int) -> None:
    answers = to_answers(
        report_form(service.policy), answers_values(), date(2026, 11, 26), "oak-primary"
    )
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(n: int) -> None:
        async with gate:
            case, _ = await service.submit(REPORTER, answers, f"{tag}-{n}")
        print(f"submitted {case.reference}", flush=True)

    await asyncio.gather(*(one(n) for n in range(count)))


async def approve(service: CaseService, references: list[str]) -> None:
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(ref: str) -> None:
        async with gate:
            case = (await service.get(ref)).case
            outcome = await service.approve(ref, HEAD, case.version, ["discuss"])
        print(f"{'applied' if outcome.applied else 'already'} {ref}", flush=True)

    await asyncio.gather(*(one(ref) for ref in references))


async def main(url: str, data_dir: Path, mode: str, args: list[str]) -> None:
    store = PostgresStore(url, data_dir, max_size=CONCURRENCY)
    await store.open()
    service = CaseService(store, load_trust(EXAMPLE_TRUST), load_policy(), fixed_clock)
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    try:
        if mode == "submit":
            await submit(service, args[0], int(args[1]))
        else:
            await approve(service, args)
    finally:
        await store.close()
    print("done", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4:]))
