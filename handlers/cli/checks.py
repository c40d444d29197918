"""Commands that check: the trust file and policy (`check`), every timeline (`audit verify`)."""

from __future__ import annotations

import argparse
import asyncio

from bot.config import Settings
from bot.timeline import verify
from handlers.cli.common import describe, load, make_store


def cmd_check(args: argparse.Namespace) -> int:
    loaded = load(Settings.from_env())
    for line in describe(loaded):
        print(line)
    print("OK: the trust file and the policy are valid.")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    store = make_store(load(Settings.from_env()).settings)

    async def run() -> int:
        await store.open()
        bad = 0
        references = await store.references()
        for start in range(0, len(references), 100):
            chunk = references[start : start + 100]
            # Loaded 100 at a time: a database's round trips overlap instead of adding up.
            records = await asyncio.gather(*(store.load(ref) for ref in chunk))
            for ref, record in zip(chunk, records, strict=True):
                problems = verify(record.timeline) if record else ["missing"]
                for p in problems:
                    print(f"{ref}: {p}")
                bad += bool(problems)
        await store.close()
        print(f"Checked {len(references)} case(s): {bad} with a broken timeline.")
        return 1 if bad else 0

    return asyncio.run(run())


def register(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("check", help="check the trust file and the policy").set_defaults(func=cmd_check)
    audit = sub.add_parser("audit", help="verify every case's hash-chained timeline")
    audit.add_argument("action", choices=["verify"])
    audit.set_defaults(func=cmd_audit)
