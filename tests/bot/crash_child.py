"""Child process for the crash test: saves cases and decisions, printing each durable one."""

from __future__ import annotations

import asyncio
import sys
import uuid
from datetime import date
from pathlib import Path

from bot.config import EXAMPLE_TRUST, load_trust
from bot.forms import report_form, to_answers
from bot.models import Actor
from bot.policy import load_policy
from bot.service import CaseService
from bot.storage.tinydb_store import TinyDBStore
from tests.samples import answers_values

REPORTER = Actor("slack", "UTEACH1", "teacher@oakprimary.example", "Tess Teacher")
HEAD = Actor("slack", "UHEAD01", "head@oakprimary.example", "Hana Head")


async def main(data_dir: Path) -> None:
    policy = load_policy()
    store = TinyDBStore(data_dir)
    await store.open()
    service = CaseService(store, load_trust(EXAMPLE_TRUST), policy)
    answers = to_answers(report_form(policy), answers_values(), date(2026, 11, 26), "oak-primary")
    print("ready", flush=True)
    n = 0
    while True:
        case, _ = await service.submit(REPORTER, answers, uuid.uuid4().hex)
        print(f"saved {case.reference}", flush=True)
        n += 1
        if n % 3 == 0:
            await service.approve(case.reference, HEAD, case.version, ["discuss"])
            print(f"decided {case.reference}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
