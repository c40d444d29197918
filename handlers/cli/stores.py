"""Moving the store: `migrate` copies the TinyDB store into PostgreSQL, then removes it."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.errors import ConfigError
from bot.storage.lock import DataDirLock
from bot.storage.tinydb_store import TinyDBStore
from handlers.cli.common import load, make_sealer, redact

if TYPE_CHECKING:
    from bot.storage.migration import CopyReport
    from bot.storage.postgres_store import PostgresStore


def cmd_migrate(args: argparse.Namespace) -> int:
    """Copy the TinyDB store under DATA_DIR into PostgreSQL; a second run copies nothing."""
    from tqdm import tqdm

    from bot.storage.migration import copy_store
    from bot.storage.postgres_store import PostgresStore

    settings = load(Settings.from_env()).settings
    if not args.to.startswith(("postgresql://", "postgres://")):
        raise ConfigError("migrate", "--to", "must be a postgresql:// URL")
    sealer = make_sealer(settings)  # one key for both: the copy is sealed as the source was
    source = TinyDBStore(settings.data_dir, sealer)
    target = PostgresStore(args.to, settings.data_dir, sealer=sealer)

    async def run() -> int:
        await source.open()
        await target.open()
        try:
            total = len(await source.references())
            with tqdm(total=total, desc="Copying cases", unit="case", file=sys.stderr) as bar:
                report = await copy_store(source, target, bar.update)
            # Before the source may go, every access log must be in PostgreSQL as it is here
            # (a case copied by an earlier run may have been opened since).
            behind = [] if args.keep_source else await access_behind(source, target)
        finally:
            await target.close()
            await source.close()
        print_copy_report(report, redact(args.to), settings.data_dir)
        for ref in behind:
            print(f"Not copied: the access log of {ref} differs in PostgreSQL.")
        if not report.ok or behind:
            print(f"The TinyDB files under {settings.data_dir} are kept: the copy did not verify.")
            return 1
        if args.keep_source:
            print(f"The TinyDB files under {settings.data_dir} are kept (--keep-source).")
        else:
            removed = await asyncio.to_thread(remove_source, settings.data_dir)
            print(
                f"Removed the TinyDB store's {removed:,} file(s) under {settings.data_dir} "
                "now that the copy verified (--keep-source keeps them)."
            )
        return 0

    with DataDirLock(settings.data_dir, "migrate"):
        return asyncio.run(run())


async def access_behind(source: TinyDBStore, target: PostgresStore) -> list[str]:
    """Cases with access entries on disk that PostgreSQL's log does not begin with."""
    behind = []
    for ref in sorted(await source.access_references()):
        ours = await source.access_log(ref)
        if (await target.access_log(ref))[: len(ours)] != ours:
            behind.append(ref)
    return behind


def remove_source(data_dir: Path) -> int:
    """The TinyDB store's own files (cases, values, access logs, index); evidence and the link
    key stay, as PostgreSQL keeps using them. Each folder is synced once, after its files go."""
    from bot.storage.files import remove_durably
    from bot.storage.tinydb_store import INDEX_FILE

    removed = 0
    for folder, pattern in (("cases", "*.json"), ("values", "*.json"), ("access", "*.jsonl")):
        where = data_dir / folder
        if not where.is_dir():
            continue
        for path in where.glob(pattern):
            path.unlink()
            removed += 1
        fd = os.open(where, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if not any(where.iterdir()):
            where.rmdir()
    if (data_dir / INDEX_FILE).exists():
        remove_durably(data_dir / INDEX_FILE)
        removed += 1
    return removed


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
        "migrate",
        help="copy the TinyDB store under DATA_DIR into PostgreSQL (safe to repeat), then "
        "remove its files once the copy verifies",
    )
    migrate.add_argument("--to", required=True, metavar="URL", help="postgresql://user@host/db")
    migrate.add_argument(
        "--keep-source",
        action="store_true",
        help="keep the TinyDB files after the copy verifies (by default they are removed)",
    )
    migrate.set_defaults(func=cmd_migrate)
