"""Moving the store: `migrate` copies the TinyDB store into PostgreSQL."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.errors import ConfigError
from bot.storage.tinydb_store import TinyDBStore
from handlers.cli.common import load, redact

if TYPE_CHECKING:
    from bot.storage.migration import CopyReport


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


def register(sub: argparse._SubParsersAction) -> None:
    migrate = sub.add_parser(
        "migrate", help="copy the TinyDB store under DATA_DIR into PostgreSQL (safe to repeat)"
    )
    migrate.add_argument("--to", required=True, metavar="URL", help="postgresql://user@host/db")
    migrate.set_defaults(func=cmd_migrate)
