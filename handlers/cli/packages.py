"""Installing on the platforms: the Teams app package, and the Slack manifest to paste."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.config import Settings
from bot.errors import ConfigError


def cmd_teams_package(args: argparse.Namespace) -> int:
    from handlers.teams.package import build_teams_package

    settings = Settings.from_env()
    app_id = args.app_id or settings.app_id
    if not app_id:
        raise ConfigError(
            "teams-package",
            "--app-id",
            "the bot's Microsoft app id is needed: give --app-id ID or set MicrosoftAppId",
        )
    try:
        out = build_teams_package(app_id, args.domain, Path(args.out))
    except ValueError as exc:
        raise ConfigError("teams-package", "--app-id/--domain", str(exc)) from None
    print(f"Wrote {out}: upload it in Teams admin (Manage apps > Upload).")
    return 0


MANIFEST = Path(__file__).resolve().parents[2] / "manifest.json"
EVENTS = "/slack/events"


def slack_manifest(manifest: dict[str, Any], url: str, socket_mode: bool) -> dict[str, Any]:
    """The Slack app manifest with this server's URLs, or in Socket Mode with none at all."""
    out = json.loads(json.dumps(manifest))
    features, settings = out["features"], out["settings"]
    settings["socket_mode_enabled"] = socket_mode
    targets = [*features.get("slash_commands", []), settings["interactivity"]]
    events = settings.get("event_subscriptions", {})
    if socket_mode:  # Slack reaches the bot over the app-level token's connection
        for command in features.get("slash_commands", []):
            command.pop("url", None)
        settings["interactivity"].pop("request_url", None)
        events.pop("request_url", None)
        return out
    for target in targets:
        target["url" if "command" in target else "request_url"] = url + EVENTS
    events["request_url"] = url + EVENTS
    return out


def public_url(text: str) -> str:
    parts = urlsplit(text.strip())
    if parts.scheme != "https" or not parts.hostname or parts.path not in ("", "/"):
        raise ConfigError(
            "slack-manifest",
            "--url",
            f"{text!r} must be the bot's public address, such as https://concerns.school.example",
        )
    return f"https://{parts.netloc}"


def cmd_slack_manifest(args: argparse.Namespace) -> int:
    if not args.socket_mode and not args.url:
        raise ConfigError(
            "slack-manifest", "--url", "give the bot's public https address, or --socket-mode"
        )
    url = public_url(args.url) if args.url else ""
    manifest = slack_manifest(json.loads(MANIFEST.read_text()), url, args.socket_mode)
    sys.stdout.write(json.dumps(manifest, indent=2) + "\n")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    about = "build the Teams app package (a zip to upload in the Teams admin center)"
    pkg = sub.add_parser("teams-package", help=about, description=about)
    pkg.add_argument(
        "--domain",
        required=True,
        help="the bot's public host name, e.g. concerns.school.example",
    )
    pkg.add_argument(
        "--app-id", default="", help="the bot's Microsoft app id (default: MicrosoftAppId)"
    )
    pkg.add_argument(
        "--out", default="build/teams-app.zip", help="the zip to write (default: %(default)s)"
    )
    pkg.set_defaults(func=cmd_teams_package)
    about = "print the Slack app manifest with this server's URLs filled in, to paste at Slack"
    manifest = sub.add_parser("slack-manifest", help=about, description=about)
    manifest.add_argument(
        "--url",
        default="",
        help="the bot's public https address, e.g. https://concerns.school.example",
    )
    manifest.add_argument(
        "--socket-mode",
        action="store_true",
        help="Socket Mode instead: no public URL (needs SLACK_APP_TOKEN on the server)",
    )
    manifest.set_defaults(func=cmd_slack_manifest)
