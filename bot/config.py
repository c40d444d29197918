"""Settings from the environment, checked with precise messages; the trust file is bot/trust.py."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import ConfigError
from bot.sealing import encryption_settings
from bot.trust import EXAMPLE_TRUST, ROOT, School, Trust, load_trust, parse_trust

__all__ = [
    "EXAMPLE_TRUST",
    "ROOT",
    "PRODUCTION_SETTINGS",
    "Platform",
    "School",
    "Settings",
    "Trust",
    "load_trust",
    "parse_trust",
]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


PRODUCTION_SETTINGS = ("SLACK_BOT_TOKEN", "MicrosoftAppId", "DATABASE_URL")


def demo_mode(env: Mapping[str, str]) -> bool:
    """DEMO_MODE=1, refused beside any production setting or on a HOST others can reach: the
    demo's identity picker and unauthenticated Teams route must never face real people."""
    raw = env.get("DEMO_MODE", "").strip()
    if raw in ("", "0"):
        return False
    if raw != "1":
        raise ConfigError("environment", "DEMO_MODE", f"{raw!r} must be 1 (on) or 0 (off)")
    production = [name for name in PRODUCTION_SETTINGS if env.get(name)]
    if production:
        raise ConfigError(
            "environment",
            "DEMO_MODE",
            f"refused together with {' and '.join(production)}: the demo has no sign-in, "
            "so it never runs beside production settings (unset one or the other)",
        )
    host = env.get("HOST", "127.0.0.1")
    if not is_loopback(host):
        raise ConfigError(
            "environment",
            "DEMO_MODE",
            f"refused with HOST {host}, which is not a loopback address: the demo has no "
            "sign-in, so it listens on 127.0.0.1, localhost or ::1 only",
        )
    return True


def tenants(env: Mapping[str, str]) -> tuple[str, ...]:
    """The Microsoft Entra tenants whose Teams activities are served, lower-cased, in order."""
    raw = [env.get("MicrosoftAppTenantId", ""), *env.get("TEAMS_ALLOWED_TENANTS", "").split(",")]
    found: list[str] = []
    for item in (r.strip().lower() for r in raw):
        if item and item not in found:
            found.append(item)
    return tuple(found)


@dataclass(frozen=True)
class Platform:
    name: str
    enabled: bool
    why: str


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 3978
    data_dir: Path = Path("./data")
    database_url: str = ""
    trust_config: Path = Path("./trust.toml")
    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_app_token: str = ""
    slack_api_url: str = ""
    public_url: str = ""  # where people's browsers reach this server (links to files)
    app_id: str = ""
    app_password: str = ""
    app_type: str = "MultiTenant"
    app_tenant_id: str = ""
    teams_tenants: tuple[str, ...] = ()  # MicrosoftAppTenantId and TEAMS_ALLOWED_TENANTS
    slack_team_id: str = ""
    slack_enterprise_id: str = ""
    demo_mode: bool = False  # DEMO_MODE=1: the web channel and unauthenticated Teams, loopback only
    encryption_key: str = ""  # base64 of 32 bytes; "NEW,OLD" while keys rotate
    encryption_key_file: Path | None = None
    warnings: tuple[str, ...] = field(default=())

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        port_raw = env.get("PORT", "3978")
        if not port_raw.isdigit() or not 0 <= int(port_raw) < 65536:
            raise ConfigError("environment", "PORT", f"{port_raw!r} is not a port number")
        trust = Path(env.get("TRUST_CONFIG", "./trust.toml"))
        warnings: list[str] = []
        if "TRUST_CONFIG" not in env and not trust.exists():
            warnings.append(
                f"No trust file at {trust}: using the bundled example {EXAMPLE_TRUST.name}. "
                "Copy it to trust.toml and put in your schools."
            )
            trust = EXAMPLE_TRUST
        url = env.get("DATABASE_URL", "")
        if url and not url.startswith(("postgresql://", "postgres://")):
            raise ConfigError("environment", "DATABASE_URL", "must start with postgresql://")
        demo = demo_mode(env)
        key, key_file = encryption_settings(env, Path(env.get("DATA_DIR", "./data")), warnings)
        return cls(
            host=env.get("HOST", "127.0.0.1"),
            port=int(port_raw),
            data_dir=Path(env.get("DATA_DIR", "./data")),
            database_url=url,
            trust_config=trust,
            slack_bot_token=env.get("SLACK_BOT_TOKEN", ""),
            slack_signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
            slack_app_token=env.get("SLACK_APP_TOKEN", ""),
            slack_api_url=env.get("SLACK_API_URL", ""),
            public_url=env.get("PUBLIC_URL", "").rstrip("/"),
            app_id=env.get("MicrosoftAppId", ""),
            app_password=env.get("MicrosoftAppPassword", ""),
            app_type=env.get("MicrosoftAppType", "MultiTenant") or "MultiTenant",
            app_tenant_id=env.get("MicrosoftAppTenantId", ""),
            teams_tenants=tenants(env),
            slack_team_id=env.get("SLACK_TEAM_ID", "").strip(),
            slack_enterprise_id=env.get("SLACK_ENTERPRISE_ID", "").strip(),
            demo_mode=demo,
            encryption_key=key,
            encryption_key_file=key_file,
            warnings=tuple(warnings),
        )

    @property
    def base_url(self) -> str:
        """PUBLIC_URL, else this server's own address (fine for the loopback web channel)."""
        return self.public_url or f"http://{self.host}:{self.port}"

    @property
    def slack(self) -> Platform:
        if self.slack_socket_mode:
            return Platform(
                "Slack", True, "Socket Mode (SLACK_APP_TOKEN is set; POST /slack/events is off)"
            )
        missing = [
            n
            for n, v in (
                ("SLACK_BOT_TOKEN", self.slack_bot_token),
                ("SLACK_SIGNING_SECRET", self.slack_signing_secret),
            )
            if not v
        ]
        if missing:
            return Platform("Slack", False, f"{' and '.join(missing)} not set")
        return Platform("Slack", True, "HTTP mode at POST /slack/events")

    @property
    def slack_socket_mode(self) -> bool:
        """Socket Mode needs the bot token and the app-level token only: Slack's requests come
        over the socket the bot opens, so there is nothing to sign and no route to mount."""
        return bool(self.slack_bot_token and self.slack_app_token)

    @property
    def teams(self) -> Platform:
        if self.app_id:
            if not self.app_password and self.app_type != "UserAssignedMSI":
                return Platform("Teams", False, "MicrosoftAppPassword not set (MicrosoftAppId is)")
            if not self.teams_tenants:
                return Platform(
                    "Teams",
                    False,
                    "neither MicrosoftAppTenantId nor TEAMS_ALLOWED_TENANTS is set: no tenant "
                    "is allowed, so POST /api/messages answers 401",
                )
            return Platform(
                "Teams",
                True,
                f"authenticated as app {self.app_id} at POST /api/messages, "
                f"{len(self.teams_tenants)} allowed tenant(s)",
            )
        if self.demo_mode:
            return Platform(
                "Teams",
                True,
                "DEMO_MODE=1 and MicrosoftAppId not set: unauthenticated (Bot Framework "
                "Emulator), loopback requests only",
            )
        return Platform(
            "Teams",
            False,
            "MicrosoftAppId not set (DEMO_MODE=1 allows unauthenticated local traffic): "
            "POST /api/messages answers 401",
        )

    @property
    def web(self) -> Platform:
        """The demo web channel at /: its identity is not sign-in, so only in demo mode."""
        if self.demo_mode:
            return Platform(
                "Web", True, f"DEMO_MODE=1: local demo channel at http://{self.host}:{self.port}/"
            )
        return Platform(
            "Web",
            False,
            "DEMO_MODE not set: the demo web channel has no sign-in "
            "(DEMO_MODE=1 turns it on, on this machine only)",
        )

    @property
    def platforms(self) -> tuple[Platform, ...]:
        return (self.slack, self.teams)
