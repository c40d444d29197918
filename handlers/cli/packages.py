"""Installing on the platforms: `teams-package` builds the Teams app package."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.config import Settings
from bot.errors import ConfigError


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


def register(sub: argparse._SubParsersAction) -> None:
    pkg = sub.add_parser("teams-package", help="build the Teams app package (zip)")
    pkg.add_argument(
        "--domain",
        required=True,
        help="the bot's public host name, e.g. bot.example.org",
    )
    pkg.add_argument("--app-id", default="", help="defaults to MicrosoftAppId")
    pkg.add_argument("--out", default="build/teams-app.zip")
    pkg.set_defaults(func=cmd_teams_package)
