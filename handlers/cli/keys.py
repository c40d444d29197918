"""`keys rotate`: new keys for the bot's secrets, the old ones honoured while they must be."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime

from bot.config import Settings
from bot.errors import ConfigError
from bot.links import TTL_SECONDS, rotate_link_key
from bot.sealing import Sealer, key_id, key_source, new_key
from bot.storage.lock import DataDirLock
from bot.timeline import verify
from handlers.cli.common import load, make_store


def rotate_links(settings: Settings) -> str:
    """A new link-signing key in DATA_DIR; links issued before it work until they expire."""
    old, new = rotate_link_key(settings.data_dir, datetime.now(UTC))
    return (
        f"Link-signing key rotated: {old} -> {new}. Links issued with {old} keep working "
        f"until they expire (at most {TTL_SECONDS // 60} minutes); running servers pick up "
        "the new key by themselves."
    )


def rotate_data(settings: Settings) -> int:
    """The encryption key: a new key first, the old kept to open what is not sealed again
    yet; everything sealed again; every timeline read back and verified; then the old key
    dropped. Safe to run again after a stop (it goes on with the new key it made)."""
    source = key_source(settings.encryption_key, settings.encryption_key_file, settings.data_dir)
    keys = source.read()
    if keys is None:
        raise ConfigError("keys rotate", source.describe(), "no key yet: nothing is stored")
    if not source.writable and len(keys) < 2:
        raise ConfigError(
            "keys rotate",
            "ENCRYPTION_KEY",
            "holds one key: put a new key before it (ENCRYPTION_KEY=NEW,OLD) on every "
            "instance, then run keys rotate again",
        )
    if source.writable and len(keys) < 2:
        keys = (new_key(), *keys)
        source.write(keys)  # the old key stays until every record is sealed under the new
    sealer = Sealer(keys, source)
    old = [key_id(k) for k in keys[1:]]
    store = make_store(settings, sealer)

    async def run() -> int:
        await store.open()
        try:
            counts = await store.reseal()
            references = await store.references()
            broken = []
            for ref in references:
                record = await store.load(ref)
                if record is None or verify(record.timeline):
                    broken.append(ref)
        finally:
            await store.close()
        print(
            f"Sealed again under key id {sealer.current_id}: {counts['cases']} case(s), "
            f"{counts['values']} value table(s) or value(s), {counts.get('access', 0)} access "
            f"log(s), {counts['evidence']} evidence file(s). Read back {len(references)} "
            f"case(s): {len(broken)} with a problem."
        )
        for ref in broken:
            print(f"Problem: {ref} does not read back with an intact timeline")
        if broken:
            print(f"Kept the old key(s) ({', '.join(old)}) in {source.describe()}.")
            return 1
        if source.writable:
            source.write(keys[:1])
            print(f"Removed the old key(s) {', '.join(old)} from {source.describe()}.")
        else:
            print(
                f"Now set ENCRYPTION_KEY to the first key alone (key id {sealer.current_id}) "
                f"on every instance: nothing needs key id {', '.join(old)} any more."
            )
        return 0

    if settings.database_url:
        return asyncio.run(run())
    with DataDirLock(settings.data_dir, "keys rotate"):  # not beside a running server
        return asyncio.run(run())


def cmd_rotate(args: argparse.Namespace) -> int:
    settings = load(Settings.from_env()).settings
    code = 0
    if args.only in ("", "data"):
        code = rotate_data(settings)
    if args.only in ("", "links") and code == 0:
        print(rotate_links(settings))
    return code


def register(sub: argparse._SubParsersAction) -> None:
    keys = sub.add_parser("keys", help="the bot's keys")
    actions = keys.add_subparsers(
        dest="keys_command", metavar="ACTION", required=True, help="rotate: see keys rotate --help"
    )
    rotate = actions.add_parser(
        "rotate",
        help="seal all stored personal data again under a new encryption key (a TinyDB "
        "server must be stopped first), and make a new link-signing key (the old one is "
        "honoured for 5 minutes)",
    )
    rotate.add_argument(
        "--only",
        choices=["data", "links"],
        default="",
        help="only the encryption key (data) or only the link-signing key (links: fine beside "
        "a running server)",
    )
    rotate.set_defaults(func=cmd_rotate)
