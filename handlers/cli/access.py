"""Who opened a case: `access REF` prints its access log and checks its hash chain."""

from __future__ import annotations

import argparse
import getpass

from bot.access import verify
from bot.errors import ConfigError
from bot.service import CaseService
from handlers.cli.common import with_service

CLI = "cli"


def cli_actor(by: str) -> str:
    """The person behind a command, as the access log names them: who they say they are (--by)
    and the account that ran it."""
    account = getpass.getuser()
    return f"{by.strip().lower() or account} ({CLI}:{account})"


def cmd_access(args: argparse.Namespace) -> int:
    async def run(service: CaseService) -> int:
        log = await service.access_log(args.reference)
        if not log and await service.store.load(args.reference) is None:
            raise ConfigError("access", args.reference, "no such case")
        print(f"Access log of {args.reference}: {len(log)} entr{'y' if len(log) == 1 else 'ies'}")
        for entry in log:
            print(entry.line)
        problems = verify(log)
        for p in problems:
            print(f"{args.reference}: {p}")
        print("Hash chain " + ("BROKEN" if problems else "intact") + ".")
        return 1 if problems else 0

    return with_service(run)


def register(sub: argparse._SubParsersAction) -> None:
    access = sub.add_parser("access", help="who opened a case, its files and exports, and when")
    access.add_argument("reference", help="such as OAK-2026-0007")
    access.set_defaults(func=cmd_access)
