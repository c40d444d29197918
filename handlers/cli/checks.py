"""Commands that check: the trust file and policy (`check`), every timeline and access log
(`audit verify`)."""

from __future__ import annotations

import argparse
import asyncio

from bot.access import verify as verify_access
from bot.config import Settings
from bot.links import KEY_FILE, read_key
from bot.storage.port import Store
from bot.timeline import verify
from handlers.cli.common import describe, load, make_store


def cmd_check(args: argparse.Namespace) -> int:
    loaded = load(Settings.from_env())
    key = loaded.settings.data_dir / KEY_FILE
    if key.exists():
        read_key(key)  # a key the server would refuse at start is refused here too
    for line in describe(loaded):
        print(line)
    settings = loaded.settings
    if not any(p.enabled for p in (*settings.platforms, settings.web)):
        print(
            "Not ready: no channel can run. Set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET "
            "(or SLACK_APP_TOKEN for Socket Mode), or MicrosoftAppId and MicrosoftAppPassword; "
            "DEMO_MODE=1 tries it locally."
        )
        return 1
    print("OK: the trust file and the policy are valid.")
    return 0


async def audit_store(store: Store) -> int:
    """Verify every case's timeline and access log on an open store; print what is wrong."""
    bad = bad_access = 0
    references = await store.references()
    for start in range(0, len(references), 100):
        chunk = references[start : start + 100]
        # Loaded 100 at a time: a database's round trips overlap instead of adding up.
        records = await asyncio.gather(*(store.load(ref) for ref in chunk))
        logs = await asyncio.gather(*(store.access_log(ref) for ref in chunk))
        for ref, record, log in zip(chunk, records, logs, strict=True):
            problems = verify(record.timeline) if record else ["missing"]
            access = verify_access(log)
            for p in (*problems, *access):
                print(f"{ref}: {p}")
            bad += bool(problems)
            bad_access += bool(access)
    print(f"Checked {len(references)} case(s): {bad} with a broken timeline.")
    print(f"Access logs: {bad_access} with a broken hash chain.")
    return 1 if bad or bad_access else 0


def cmd_audit(args: argparse.Namespace) -> int:
    store = make_store(load(Settings.from_env()).settings)

    async def run() -> int:
        await store.open()
        try:
            return await audit_store(store)
        finally:
            await store.close()

    return asyncio.run(run())


def register(sub: argparse._SubParsersAction) -> None:
    sub.add_parser("check", help="check the trust file and the policy").set_defaults(func=cmd_check)
    audit = sub.add_parser("audit", help="verify every case's hash-chained timeline and access log")
    audit.add_argument(
        "action", choices=["verify"], help="verify: check every hash chain; exit 1 if one is broken"
    )
    audit.set_defaults(func=cmd_audit)
