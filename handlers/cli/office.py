"""The trust office's exports and retention: `export`, `export-case`, `purge`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date
from pathlib import Path

from bot.access import AccessKind
from bot.errors import ConfigError
from bot.service import CaseService
from handlers.cli.access import CLI, cli_actor
from handlers.cli.common import ask_passphrase, parse_date, with_service, write_out, write_private

BY_HELP = "who asked for it, for the access log (default: the account running the command)"


def cmd_export(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from bot import office

    if args.date_from > args.date_to:
        raise ConfigError(
            "export", "--from", f"{args.date_from} is after --to {args.date_to}: nothing between"
        )

    async def run(service: CaseService) -> int:
        if args.school and service.trust.school(args.school) is None:
            known = ", ".join(s.id for s in service.trust.schools)
            raise ConfigError("--school", args.school, f"no such school (known: {known})")
        tz = service.trust.tz
        chosen = [
            s.reference
            for s in await service.store.summaries()
            if (not args.school or s.school_id == args.school)
            and args.date_from <= s.created_at.astimezone(tz).date() <= args.date_to
        ]
        rows = []
        actor = cli_actor(args.by)
        for ref in tqdm(sorted(chosen), desc="Reading cases", unit="case", file=sys.stderr):
            record = await service.store.load(ref)
            if record is not None:
                rows.append(office.register_row(record, service.policy, service))
                what = Path(args.out).name if args.out else "standard output"
                await service.record_access(ref, actor, AccessKind.REGISTER_EXPORTED, CLI, what)
        summary = office.totals(rows, service.policy)
        if args.format == "json":
            text = json.dumps({"register": rows, "totals": summary}, indent=2)
            write_out(args.out, text)
        else:
            write_out(args.out, office.register_csv(rows))
            totals_path = f"{args.out.removesuffix('.csv')}-totals.csv" if args.out else None
            write_out(totals_path, office.totals_csv(summary))
        print(f"Exported {len(rows)} case(s).", file=sys.stderr)
        return 0

    return with_service(run)


def cmd_export_case(args: argparse.Namespace) -> int:
    from bot import office

    passphrase = ask_passphrase(args.passphrase, "export-case")

    async def run(service: CaseService) -> int:
        record = await service.store.load(args.reference)
        if record is None:
            raise ConfigError("export-case", args.reference, "no such case")
        if service.is_subject_decider(args.by, record.case):
            raise ConfigError(
                "export-case",
                args.reference,
                "the post is about one of the school's deciders: it is exported for the trust's "
                "escalation contacts, not for them (--by)",
            )
        # Recorded before it is written, so the bundle's own access log shows this export.
        await service.record_access(
            args.reference, cli_actor(args.by), AccessKind.CASE_EXPORTED, CLI, Path(args.out).name
        )
        access = await service.access_log(args.reference)
        bundle = office.case_bundle(record, service, access, passphrase=passphrase)
        await asyncio.to_thread(write_private, Path(args.out), bundle.data)
        chain = "intact" if bundle.chain_ok else "BROKEN (see summary.txt)"
        print(f"Wrote {args.out}: {bundle.files} files; timeline hash chain {chain}.")
        return 0 if bundle.chain_ok else 1

    return with_service(run)


def cmd_purge(args: argparse.Namespace) -> int:
    """The retention pass the server runs daily, now; --dry-run says what it would do."""

    async def run(service: CaseService) -> int:
        trust = service.trust
        report = await service.retention_pass(dry_run=args.dry_run)
        print(
            f"Retention: {trust.retention_years} year(s) from a case's last activity; an open case "
            f"is flagged to its approvers first and removed {trust.retention_grace_days} day(s) "
            "later."
        )
        for ref, purge_on in report.flagged:
            verb = "Would flag" if args.dry_run else "Flagged"
            print(f"  {verb} {ref}: open past retention; to be removed on {purge_on}")
        for ref, purge_on in report.waiting:
            print(f"  Flagged earlier: {ref}; to be removed on {purge_on}")
        for ref in report.removed:
            print(f"  Removed {ref}")
        for ref in report.removing:
            what = "Would remove" if args.dry_run else "Being removed (cards replaced first)"
            print(f"  {what}: {ref}")
        if args.dry_run:
            print(
                f"Would remove {report.orphans} evidence file(s) no case uses (rejected or "
                "abandoned uploads). Dry run: nothing was changed."
            )
            return 0
        print(
            f"Done: {len(report.removed)} case(s) removed, {len(report.flagged)} flagged, "
            f"{report.orphans} unattached evidence file(s) removed; an anonymous record of each "
            "removal is kept."
        )
        if report.removing:
            print(
                "The server replaces the bot's Slack and Teams cards of the cases being removed, "
                "then removes them."
            )
        return 0

    return with_service(run, writes="" if args.dry_run else "purge")


def register(sub: argparse._SubParsersAction) -> None:
    export = sub.add_parser(
        "export", help="the register for governors (no names or post text), with totals"
    )
    export.add_argument(
        "--school", default="", help="a school id from the trust file (default: all)"
    )
    export.add_argument(
        "--from",
        dest="date_from",
        type=parse_date,
        default=date(2000, 1, 1),
        metavar="DATE",
        help="first day a case was reported, e.g. 2026-09-01",
    )
    export.add_argument(
        "--to",
        dest="date_to",
        type=parse_date,
        default=date(2100, 1, 1),
        metavar="DATE",
        help="last day a case was reported",
    )
    export.add_argument(
        "--format",
        choices=["csv", "json"],
        default="csv",
        help="csv (two files: the register and its totals) or json (one file); default csv",
    )
    export.add_argument("--by", default="", metavar="EMAIL", help=BY_HELP)
    export.add_argument("--out", default=None, help="file to write (default: standard output)")
    export.set_defaults(func=cmd_export)
    bundle = sub.add_parser("export-case", help="everything about one case, as a zip")
    bundle.add_argument("reference", help="such as OAK-2026-0007")
    bundle.add_argument("--out", required=True, help="the zip file to write (owner-only, 0600)")
    bundle.add_argument("--by", default="", metavar="EMAIL", help=BY_HELP)
    bundle.add_argument(
        "--passphrase",
        help="the zip's passphrase (else asked for; on the command line it shows in ps)",
    )
    bundle.set_defaults(func=cmd_export_case)
    purge = sub.add_parser(
        "purge",
        help="the daily retention pass now: flag open cases past retention_years, remove those "
        "due with everything they left",
    )
    purge.add_argument("--dry-run", action="store_true", help="say what would go; change nothing")
    purge.set_defaults(func=cmd_purge)
