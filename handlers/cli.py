"""The trust office's commands (`python app.py COMMAND`) and the settings and store they open."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from bot.config import Settings, Trust, load_trust
from bot.errors import ConfigError
from bot.policy import DEFAULT_POLICY, Policy, load_policy
from bot.service import CaseService
from bot.storage.port import Store
from bot.storage.tinydb_store import TinyDBStore
from bot.timeline import verify

if TYPE_CHECKING:
    from bot.storage.migration import CopyReport

Command = Callable[[argparse.Namespace], int]

# Settings, trust file, policy and store are opened here, for the commands and for app.py alike:
# no command can import app.py (run as `python app.py` it is __main__, and `import app` would
# load it a second time).


@dataclass(frozen=True)
class Loaded:
    settings: Settings
    trust: Trust
    policy: Policy


def load(settings: Settings) -> Loaded:
    """Read the trust file and the policy it names; raise ConfigError naming what is wrong."""
    trust = load_trust(settings.trust_config)
    policy = load_policy(trust.policy_file or DEFAULT_POLICY)
    return Loaded(settings, trust, policy)


def make_store(settings: Settings) -> Store:
    """TinyDB under DATA_DIR, or PostgreSQL when DATABASE_URL is set (evidence stays on disk)."""
    if settings.database_url:
        from bot.storage.postgres_store import PostgresStore  # the driver is needed only then

        return PostgresStore(settings.database_url, settings.data_dir)
    return TinyDBStore(settings.data_dir)


def redact(url: str) -> str:
    """A database URL fit to print: the password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def describe_store(settings: Settings) -> str:
    if settings.database_url:
        return (
            f"Store: PostgreSQL at {redact(settings.database_url)} "
            f"(evidence files under {settings.data_dir})"
        )
    return f"Store: TinyDB under {settings.data_dir} (one instance only)"


def describe(loaded: Loaded) -> list[str]:
    """What `check` and the start-up log say: platforms, with why, and every warning."""
    lines = []
    for p in loaded.settings.platforms:
        lines.append(f"{p.name}: {'enabled' if p.enabled else 'disabled'} ({p.why})")
    web_channel = loaded.settings.web
    lines.append(f"Web: {'enabled' if web_channel.enabled else 'disabled'} ({web_channel.why})")
    lines.append(
        f"Trust: {loaded.trust.name}, {len(loaded.trust.schools)} school(s), "
        f"from {loaded.trust.source}"
    )
    lines.append(f"Policy: version {loaded.policy.version}, {len(loaded.policy.rules)} rules")
    lines.append(describe_store(loaded.settings))
    for w in (*loaded.settings.warnings, *loaded.policy.warnings(time_today(loaded))):
        lines.append(f"Warning: {w}")
    return lines


def time_today(loaded: Loaded) -> date:
    return datetime.now(loaded.trust.tz).date()


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


def cmd_migrate(args: argparse.Namespace) -> int:
    """Copy the TinyDB store under DATA_DIR into PostgreSQL; a second run copies nothing."""
    from tqdm import tqdm

    from bot.storage.migration import copy_store
    from bot.storage.postgres_store import PostgresStore

    settings = load(Settings.from_env()).settings
    if not args.to.startswith(("postgresql://", "postgres://")):
        raise ConfigError("migrate", "--to", "must be a postgresql:// URL")
    source = TinyDBStore(settings.data_dir)
    target = PostgresStore(args.to, settings.data_dir)

    async def run() -> int:
        await source.open()
        await target.open()
        try:
            total = len(await source.references())
            with tqdm(total=total, desc="Copying cases", unit="case", file=sys.stderr) as bar:
                report = await copy_store(source, target, bar.update)
        finally:
            await target.close()
            await source.close()
        print_copy_report(report, redact(args.to), settings.data_dir)
        return 0 if report.ok else 1

    return asyncio.run(run())


def print_copy_report(report: CopyReport, where: str, data_dir: Path) -> None:
    print(f"Copied {len(report.copied):,} case(s) from {data_dir} to PostgreSQL at {where}.")
    if report.already:
        print(f"Skipped {len(report.already):,} case(s) already there with the same content.")
    for ref in report.different:
        print(f"Not copied: {ref} is already there with different content (kept as it is).")
    problems = len(report.problems)
    print(f"Verified {report.verified:,} hash chain(s) in PostgreSQL: {problems} problem(s).")
    for problem in report.problems:
        print(f"Problem: {problem}")
    print(
        f"Values (conversation references, drafts, caches): copied {report.values_copied}, "
        f"skipped {report.values_already} already there."
    )
    for key in report.values_different:
        print(f"Not copied: value {key} is already there with different content.")
    print(f"Evidence files stay under {data_dir / 'evidence'}: keep DATA_DIR when you switch.")


def with_service(run):  # noqa: ANN001, ANN201 - runs an async command against the store
    loaded = load(Settings.from_env())

    async def go() -> int:
        store = make_store(loaded.settings)
        await store.open()
        try:
            return await run(CaseService(store, loaded.trust, loaded.policy))
        finally:
            await store.close()

    return asyncio.run(go())


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date such as 2026-09-01") from None


def cmd_export(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from bot import office

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
        for ref in tqdm(sorted(chosen), desc="Reading cases", unit="case", file=sys.stderr):
            record = await service.store.load(ref)
            if record is not None:
                rows.append(office.register_row(record, service.policy, service))
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


def write_out(path: str | None, text: str) -> None:
    if path:
        Path(path).write_text(text, encoding="utf-8")
        print(f"Wrote {path}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def cmd_export_case(args: argparse.Namespace) -> int:
    from bot import office

    async def run(service: CaseService) -> int:
        record = await service.store.load(args.reference)
        if record is None:
            raise ConfigError("export-case", args.reference, "no such case")
        bundle = office.case_bundle(record, service)
        Path(args.out).write_bytes(bundle.data)
        chain = "intact" if bundle.chain_ok else "BROKEN (see summary.txt)"
        print(f"Wrote {args.out}: {bundle.files} files; timeline hash chain {chain}.")
        return 0 if bundle.chain_ok else 1

    return with_service(run)


def cmd_purge(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from bot import office

    async def run(service: CaseService) -> int:
        store, trust = service.store, service.trust
        refs = await store.references()
        records = []
        for ref in tqdm(refs, desc="Reading cases", unit="case", file=sys.stderr):
            record = await store.load(ref)
            if record is not None:
                records.append(record)
        today = service.today()
        plan = office.plan_purge(records, today, trust.retention_years, trust.tz)
        verb = "Would remove" if args.dry_run else "Removing"
        print(
            f"{verb} {len(plan.cases)} closed case(s) older than {trust.retention_years} years "
            f"and {len(plan.evidence)} evidence file(s); keeping {plan.kept} case(s)."
        )
        for record in plan.cases:
            print(f"  {record.case.reference}")
        if args.dry_run:
            return 0
        only_theirs = set(plan.evidence)
        for record in tqdm(plan.cases, desc="Purging", unit="case", file=sys.stderr):
            # The record of the purge first, the case last: a rerun after a crash finishes it.
            ref = record.case.reference
            await store.put_value("purged", ref, office.purge_record(record, today, trust.tz))
            for e in record.case.evidence:
                if e.sha256 in only_theirs:
                    await store.delete_evidence(e.sha256)
            await store.delete(ref)
        print(f"Done: {len(plan.cases)} case(s) purged; a record of each purge is kept.")
        return 0

    return with_service(run)


def cmd_teams_package(args: argparse.Namespace) -> int:
    from handlers.teams.package import build_teams_package

    settings = Settings.from_env()
    app_id = args.app_id or settings.app_id
    if not app_id:
        raise ConfigError("environment", "MicrosoftAppId", "needed to build the Teams app package")
    try:
        out = build_teams_package(app_id, args.domain, Path(args.out))
    except ValueError as exc:
        raise ConfigError("teams-package", "--app-id/--domain", str(exc)) from None
    print(f"Wrote {out}: upload it in Teams admin (Manage apps > Upload).")
    return 0


def parser(serve: Command) -> argparse.ArgumentParser:
    """Every command and its options; `serve` is handed in, as only the composition root runs it."""
    top = argparse.ArgumentParser(
        prog="python app.py",
        description="Post Concerns: report worrying social media posts under the trust's policy. "
        "With no command it runs the server.",
    )
    sub = top.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the server (the default)").set_defaults(func=serve)
    sub.add_parser("check", help="check the trust file and the policy").set_defaults(func=cmd_check)
    audit = sub.add_parser("audit", help="verify every case's hash-chained timeline")
    audit.add_argument("action", choices=["verify"])
    audit.set_defaults(func=cmd_audit)
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
    export.add_argument("--format", choices=["csv", "json"], default="csv")
    export.add_argument("--out", default=None, help="file to write (default: standard output)")
    export.set_defaults(func=cmd_export)
    bundle = sub.add_parser("export-case", help="everything about one case, as a zip")
    bundle.add_argument("reference", help="such as OAK-2026-0007")
    bundle.add_argument("--out", required=True, help="the zip file to write")
    bundle.set_defaults(func=cmd_export_case)
    migrate = sub.add_parser(
        "migrate", help="copy the TinyDB store under DATA_DIR into PostgreSQL (safe to repeat)"
    )
    migrate.add_argument("--to", required=True, metavar="URL", help="postgresql://user@host/db")
    migrate.set_defaults(func=cmd_migrate)
    purge = sub.add_parser(
        "purge", help="remove closed cases past the trust's retention_years, with their evidence"
    )
    purge.add_argument("--dry-run", action="store_true", help="say what would go; change nothing")
    purge.set_defaults(func=cmd_purge)
    pkg = sub.add_parser("teams-package", help="build the Teams app package (zip)")
    pkg.add_argument(
        "--domain",
        required=True,
        help="the bot's public host name, e.g. bot.example.org",
    )
    pkg.add_argument("--app-id", default="", help="defaults to MicrosoftAppId")
    pkg.add_argument("--out", default="build/teams-app.zip")
    pkg.set_defaults(func=cmd_teams_package)
    return top
