"""The command line (`python app.py COMMAND`): an adapter like the channels, for the trust office.

Each module here holds one group of commands and a `register(sub)` that adds their parsers; a new
command goes in the module of its group (or a new one, listed in GROUPS). `common.py` opens the
settings, trust file, policy and store for the commands and for app.py alike.
"""

from __future__ import annotations

import argparse

from handlers.cli import access, checks, keys, office, packages, privacy, stores
from handlers.cli.common import Command, Loaded, describe, load, make_store

GROUPS = (checks, office, access, privacy, stores, keys, packages)

__all__ = ["Command", "Loaded", "describe", "load", "make_store", "parser"]


def parser(serve: Command) -> argparse.ArgumentParser:
    """Every command and its options; `serve` is handed in, as only the composition root runs it."""
    top = argparse.ArgumentParser(
        prog="python app.py",
        description="Post Concerns: report worrying social media posts under the trust's policy. "
        "With no command it runs the server.",
    )
    sub = top.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the server (the default)").set_defaults(func=serve)
    for group in GROUPS:
        group.register(sub)
    return top
