"""`keys rotate`: new keys for the bot's secrets, the old ones honoured while they must be."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from bot.config import Settings
from bot.links import TTL_SECONDS, rotate_link_key


def rotate_links(settings: Settings) -> str:
    """A new link-signing key in DATA_DIR; links issued before it work until they expire."""
    old, new = rotate_link_key(settings.data_dir, datetime.now(UTC))
    return (
        f"Link-signing key rotated: {old} -> {new}. Links issued with {old} keep working "
        f"until they expire (at most {TTL_SECONDS // 60} minutes); running servers pick up "
        "the new key by themselves."
    )


def cmd_rotate(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    print(rotate_links(settings))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    keys = sub.add_parser("keys", help="the bot's keys")
    actions = keys.add_subparsers(
        dest="keys_command", metavar="ACTION", required=True, help="rotate: see keys rotate --help"
    )
    rotate = actions.add_parser(
        "rotate", help="make a new link-signing key (the old one is honoured for 5 minutes)"
    )
    rotate.set_defaults(func=cmd_rotate)
