"""The command line (`python app.py COMMAND`): an adapter like the channels, for the trust office.

Each module here holds one group of commands and a `register(sub)` that adds their parsers; a new
command goes in the module of its group (or a new one, listed in GROUPS). `common.py` opens the
settings, trust file, policy and store for the commands and for app.py alike.
"""

from __future__ import annotations

import argparse

from handlers.cli import access, backup, checks, keys, office, packages, policy, privacy, stores
from handlers.cli.common import Command, Loaded, describe, load, make_store

GROUPS = (checks, office, access, privacy, stores, keys, packages, policy, backup)

__all__ = ["Command", "Loaded", "describe", "load", "make_store", "parser"]


# What `python app.py --help` says of each setting (.env.example has the long form).
ENVIRONMENT = (
    ("HOST, PORT", "where the server listens (default 127.0.0.1:3978)"),
    ("PUBLIC_URL", "the public https address people's browsers use (links to files)"),
    ("DATA_DIR", "the TinyDB store and evidence files (default ./data)"),
    ("DATABASE_URL", "postgresql://... instead of TinyDB, for several instances"),
    ("TRUST_CONFIG", "the trust file (default ./trust.toml, else the bundled example)"),
    ("ENCRYPTION_KEY, ENCRYPTION_KEY_FILE", "the key for personal data at rest"),
    ("LOG_FORMAT", "json for one JSON object a line"),
    ("DEMO_MODE", "1: the local demo (web channel, Bot Framework Emulator), loopback only"),
    ("SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET", "Slack over HTTP at POST /slack/events"),
    ("SLACK_APP_TOKEN", "Slack in Socket Mode (no public URL)"),
    ("SLACK_API_URL", "another Slack Web API base URL (GovSlack, a proxy)"),
    ("SLACK_TEAM_ID, SLACK_ENTERPRISE_ID", "accept requests from this workspace only"),
    ("MicrosoftAppId, MicrosoftAppPassword", "Teams (the Bot Framework's names)"),
    ("MicrosoftAppType, MicrosoftAppTenantId", "the app's type and the trust's tenant"),
    ("TEAMS_ALLOWED_TENANTS", "more tenants to accept, comma-separated"),
)


def epilog() -> str:
    lines = [f"  {name}\n      {what}" for name, what in ENVIRONMENT]
    return "settings (environment variables, or a .env file in the working folder):\n" + "\n".join(
        lines
    )


def parser(serve: Command) -> argparse.ArgumentParser:
    """Every command and its options; `serve` is handed in, as only the composition root runs it."""
    top = argparse.ArgumentParser(
        prog="python app.py",
        description="Post Concerns: report worrying social media posts under the trust's policy. "
        "With no command it runs the server. `python app.py COMMAND --help` says more.",
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    about = "run the server (the default): the platforms the settings enable, and /healthz"
    sub.add_parser("serve", help=about, description=about).set_defaults(func=serve)
    for group in GROUPS:
        group.register(sub)
    describe_commands(sub)
    return top


def describe_commands(sub: argparse._SubParsersAction) -> None:
    """Each command's --help opens with what it does; a command of commands lists them."""
    for choice in sub._choices_actions:
        command = sub.choices[choice.dest]
        command.description = command.description or choice.help
        for action in command._actions:
            if isinstance(action, argparse._SubParsersAction):
                action.help = action.help or "one of: " + ", ".join(action.choices)
                describe_commands(action)
