"""Data protection requests: `subject-access` (everything about a person) and `erase`."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from bot.errors import BotError, ConfigError
from bot.service import CaseService
from handlers.cli.access import CLI, cli_actor
from handlers.cli.common import ask_passphrase, with_service, write_private


def cmd_subject_access(args: argparse.Namespace) -> int:
    import pyzipper

    from bot import office
    from bot.access import AccessKind
    from bot.subject_access import Subject, checklist, matching

    subject = Subject(email=args.email or "", name=args.name or "")
    if not (subject.email or subject.name).strip():
        raise ConfigError("subject-access", "--email/--name", "give the person's email or name")
    out = Path(args.out)
    if not out.parent.is_dir():
        raise ConfigError("subject-access", "--out", f"no folder {out.parent}")
    passphrase = ask_passphrase(args.passphrase, "subject-access")

    async def run(service: CaseService) -> int:
        records = []
        for ref in await service.store.references():
            record = await service.store.load(ref)
            if record is not None:
                records.append(record)
        found = matching(records, subject)
        actor = cli_actor(args.by or "")
        buffer = io.BytesIO()
        # AES-256 (WinZip AES), as export-case writes: 7-Zip, WinZip and macOS open it.
        with pyzipper.AESZipFile(
            buffer, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
        ) as z:
            z.setpassword(passphrase.encode())
            z.writestr("CHECKLIST.txt", checklist(found, subject))
            for record, _ in found:
                ref = record.case.reference
                # Recorded before it is written, so the export's own access log shows it.
                await service.record_access(ref, actor, AccessKind.SUBJECT_ACCESS_EXPORTED, CLI)
                access = await service.access_log(ref)
                for name, body in office.case_contents(record, service, (), access).items():
                    z.writestr(f"{ref}/{name}", body)
        write_private(out, buffer.getvalue())
        refs = ", ".join(r.case.reference for r, _ in found) or "none"
        print(f"Wrote {out}: {len(found)} case(s) ({refs}) and CHECKLIST.txt of third parties.")
        print("Redact the third parties listed in CHECKLIST.txt before disclosure.")
        return 0

    return with_service(run)


def cmd_erase(args: argparse.Namespace) -> int:
    async def run(service: CaseService) -> int:
        try:
            if args.confirm:
                removed = await service.confirm_erasure(args.reference, args.by)
            else:
                await service.request_erasure(args.reference, args.by, args.reason or "")
        except BotError as exc:
            print(f"Error: {exc}", file=sys.stderr)
            return 2
        if not args.confirm:
            print(
                f"Erasure of {args.reference} requested. Another approver of the school confirms "
                f"it with: python app.py erase {args.reference} --confirm --by EMAIL"
            )
        elif args.reference in removed:
            print(f"Erased {args.reference}; an anonymous record of the removal is kept.")
        else:
            print(
                f"Erasure of {args.reference} confirmed. The server replaces the bot's Slack and "
                "Teams cards of the case, then removes it; an anonymous record is kept."
            )
        return 0

    if not args.confirm and not (args.reason or "").strip():
        raise ConfigError("erase", "--reason", "say why the case is to be erased")
    return with_service(run, writes="erase")


def register(sub: argparse._SubParsersAction) -> None:
    access = sub.add_parser(
        "subject-access",
        help="every case that names a person, as an encrypted zip (0600) with a checklist of "
        "third parties to redact",
    )
    who = access.add_mutually_exclusive_group(required=True)
    who.add_argument("--email", help="the person's email address")
    who.add_argument("--name", help="the person's name as it would be written in a case")
    access.add_argument(
        "--out", required=True, metavar="FILE.zip", help="the zip file to write (owner-only, 0600)"
    )
    access.add_argument(
        "--passphrase",
        help="the zip's passphrase (else asked for; on the command line it shows in ps)",
    )
    access.add_argument(
        "--by",
        default="",
        metavar="EMAIL",
        help="who asked for it, for the access log (default: the account running the command)",
    )
    access.set_defaults(func=cmd_subject_access)
    erase = sub.add_parser(
        "erase",
        help="remove a case before its retention ends: one approver asks (--reason), "
        "another confirms (--confirm)",
    )
    erase.add_argument("reference", help="such as OAK-2026-0007")
    erase.add_argument("--reason", help="why the case is to be erased (the first approver)")
    erase.add_argument("--confirm", action="store_true", help="confirm another approver's request")
    erase.add_argument("--by", required=True, metavar="EMAIL", help="the approver doing this")
    erase.set_defaults(func=cmd_erase)
