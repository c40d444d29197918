"""Settings from the environment and the trust file, checked with precise messages."""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError
from bot.practice import (
    DEFAULT_ACTION_URGENCY,
    DEFAULT_DUE_DAYS,
    URGENCIES,
    per_action,
)
from bot.sealing import encryption_settings
from bot.worktime import ClosedDays, WorkingHours

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_TRUST = ROOT / "trust.example.toml"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PREFIX = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")
HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class School:
    id: str
    name: str
    staff_email_domains: tuple[str, ...]
    approvers: tuple[str, ...]
    safeguarding_leads: tuple[str, ...]
    slack_leadership_channel: str = ""
    teams_leadership_channel: str = ""
    address: tuple[str, ...] = ()  # its postal address, a line each, for letters
    head_name: str = ""  # as the head signs letters, such as "Mrs J. Patel"

    def is_approver(self, email: str) -> bool:
        return email.lower() in self.approvers

    def is_lead(self, email: str) -> bool:
        return email.lower() in self.approvers or email.lower() in self.safeguarding_leads


@dataclass(frozen=True)
class Trust:
    name: str
    reference_prefix: str
    timezone: str
    working_hours: tuple[time, time]
    retention_years: int
    staff_email_domains: tuple[str, ...]
    schools: tuple[School, ...]
    evidence_max_files: int = 10
    evidence_max_bytes: int = 20 * 1024 * 1024
    # An open case past retention is flagged first, and purged only this many days later.
    retention_grace_days: int = 90
    policy_file: Path | None = None
    source: str = ""
    closures: tuple[ClosedDays, ...] = ()
    privacy_notice: str = ""  # the trust's notice (trust.privacy_notice), read from its file
    escalation_contacts: tuple[str, ...] = ()  # decide a case about a school's decider
    due_working_days: tuple[tuple[str, int], ...] = tuple(DEFAULT_DUE_DAYS.items())
    action_urgency: tuple[tuple[str, str], ...] = tuple(DEFAULT_ACTION_URGENCY.items())

    def due_days(self, action_id: str) -> int:
        """Working days after the decision a task for this action is due (the trust's setting)."""
        return dict(self.due_working_days).get(action_id, 5)

    def urgency_of(self, action_id: str) -> str:
        """The urgency a recommended action gives a case (the trust's setting), else standard."""
        return dict(self.action_urgency).get(action_id, "standard")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def hours(self) -> WorkingHours:
        return WorkingHours(self.tz, *self.working_hours, self.closures)

    def school(self, school_id: str) -> School | None:
        return next((s for s in self.schools if s.id == school_id), None)

    def schools_for(self, email: str) -> tuple[School, ...]:
        """The schools a member of staff may report for: their own, or all for trust-wide staff."""
        domain = email.lower().rpartition("@")[2]
        own = tuple(s for s in self.schools if domain in s.staff_email_domains)
        if own:
            return own
        led = tuple(s for s in self.schools if s.is_lead(email))
        if led or domain in self.staff_email_domains:
            return led or self.schools
        return ()

    def led_by(self, email: str) -> tuple[School, ...]:
        return tuple(s for s in self.schools if s.is_lead(email))


def _emails(raw: Any, key: str, source: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(e, str) for e in raw):
        raise ConfigError(source, key, "must be a list of email addresses")
    for e in raw:
        if not EMAIL.match(e):
            raise ConfigError(source, key, f"{e!r} is not an email address")
    return tuple(e.lower() for e in raw)


def _domains(raw: Any, key: str, source: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(d, str) and "." in d for d in raw):
        raise ConfigError(source, key, 'must be a list of domains such as "oakprimary.example"')
    return tuple(d.lower().lstrip("@") for d in raw)


def _str(
    table: Mapping[str, Any],
    key: str,
    where: str,
    source: str,
    default: str | None = None,
) -> str:
    value = table.get(key, default)
    if value is None:
        raise ConfigError(source, f"{where}{key}", "missing")
    if not isinstance(value, str):
        raise ConfigError(source, f"{where}{key}", "must be a string")
    return value


def _address(raw: Any, key: str, source: str) -> tuple[str, ...]:
    """Lines of a postal address: a list of strings, or one string with a line per line."""
    if isinstance(raw, str):
        raw = raw.strip().splitlines()
    if not isinstance(raw, list) or not all(isinstance(line, str) for line in raw):
        raise ConfigError(source, key, 'must be a list of lines, such as ["1 Oak Lane", "Oakton"]')
    lines = tuple(line.strip() for line in raw if line.strip())
    if len(lines) > 8 or any(len(line) > 100 for line in lines):
        raise ConfigError(source, key, "at most 8 lines of at most 100 characters each")
    return lines


def _head_name(s: Mapping[str, Any], where: str, source: str) -> str:
    name = _str(s, "head_name", where, source, "").strip()
    if len(name) > 100 or "\n" in name:
        raise ConfigError(source, f"{where}head_name", "one line of at most 100 characters")
    return name


def _date(table: Mapping[str, Any], key: str, where: str, source: str) -> date:
    value = table.get(key)
    if value is None:
        raise ConfigError(source, f"{where}{key}", "missing")
    # TOML's local date (2026-12-21) arrives as a date; a date-time is a date too, so refuse it.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ConfigError(source, f"{where}{key}", "must be a date such as 2026-12-21 (no quotes)")
    return value


def _closures(raw: Any, source: str) -> tuple[ClosedDays, ...]:
    """[[closure]] entries: term holidays and INSET days that are not working days."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(c, dict) for c in raw):
        raise ConfigError(source, "[[closure]]", "must be tables with from, to and name")
    closures = []
    for n, c in enumerate(raw):
        where = f"closure[{n}]."
        _only(c, CLOSURE_KEYS, where, source)
        name = _str(c, "name", where, source)
        if not name.strip() or len(name) > 100:
            raise ConfigError(source, f"{where}name", "1 to 100 characters")
        start = _date(c, "from", where, source)
        end = _date(c, "to", where, source) if "to" in c else start
        if end < start:
            raise ConfigError(source, f"{where}to", f"{end} is before from ({start})")
        if (end - start).days > 366:
            raise ConfigError(source, f"{where}to", "a closure may last at most a year")
        closures.append(ClosedDays(name.strip(), start, end))
    return tuple(closures)


NOTICE_MAX = 50_000  # characters: a notice, not a book
NOTICE_FILES = (".txt", ".md", ".text")  # a one-line value ending so names a file


def _privacy_notice(value: Any, source: str, base: Path) -> str:
    """The notice's text: the value itself, or the text of the file it names (one line ending
    .txt or .md, relative to the trust file); empty for the bot's default."""
    key = "trust.privacy_notice"
    if not isinstance(value, str):
        raise ConfigError(source, key, "must be the notice's text or the path of a text file")
    text = value
    if "\n" not in value.strip() and value.strip().lower().endswith(NOTICE_FILES):
        path = base / value.strip()
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(source, key, f"the file {path} does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(source, key, f"cannot read {path} as text ({exc})") from None
    if len(text) > NOTICE_MAX:
        raise ConfigError(source, key, f"at most {NOTICE_MAX} characters")
    return text.strip()


TOP_KEYS = frozenset({"trust", "school", "closure"})
TRUST_KEYS = frozenset(
    {
        "name",
        "reference_prefix",
        "timezone",
        "working_hours",
        "retention_years",
        "retention_grace_days",
        "evidence_max_files",
        "evidence_max_mb",
        "staff_email_domains",
        "policy_file",
        "escalation_contacts",
        "due_working_days",
        "action_urgency",
        "privacy_notice",
    }
)
SCHOOL_KEYS = frozenset(
    {
        "id",
        "name",
        "staff_email_domains",
        "approvers",
        "safeguarding_leads",
        "slack_leadership_channel",
        "teams_leadership_channel",
        "address",
        "head_name",
    }
)
CLOSURE_KEYS = frozenset({"from", "to", "name"})


def _only(table: Mapping[str, Any], known: frozenset[str], where: str, source: str) -> None:
    """Refuse a key the bot does not read (a typo would be ignored silently), naming the
    nearest valid one."""
    for key in sorted(set(table) - known):
        near = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
        hint = f" (did you mean {near[0]}?)" if near else f" (known: {', '.join(sorted(known))})"
        raise ConfigError(source, f"{where}{key}", f"unknown key{hint}")


def load_trust(path: Path) -> Trust:
    source = str(path)
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            "TRUST_CONFIG",
            source,
            "the trust file does not exist (start from trust.example.toml)",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, "-", f"not valid TOML ({exc})") from None
    return parse_trust(raw, source, Path(path).parent)


def parse_trust(raw: dict[str, Any], source: str, base: Path = ROOT) -> Trust:
    t = raw.get("trust")
    if not isinstance(t, dict):
        raise ConfigError(source, "[trust]", "missing")
    _only(raw, TOP_KEYS, "", source)
    _only(t, TRUST_KEYS, "trust.", source)
    prefix = _str(t, "reference_prefix", "trust.", source)
    if not PREFIX.match(prefix):
        raise ConfigError(
            source,
            "trust.reference_prefix",
            '2 to 8 capital letters or digits, such as "OAK"',
        )
    tz = _str(t, "timezone", "trust.", source, "Europe/London")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(source, "trust.timezone", f"unknown time zone {tz!r}") from None
    hours = _str(t, "working_hours", "trust.", source, "08:00-17:00")
    m = HOURS.match(hours)
    if not m:
        raise ConfigError(source, "trust.working_hours", 'must look like "08:00-17:00"')
    start, end = time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4]))
    if start >= end:
        raise ConfigError(source, "trust.working_hours", "the day must end after it starts")
    retention = t.get("retention_years", 6)
    if not isinstance(retention, int) or retention < 1:
        raise ConfigError(
            source,
            "trust.retention_years",
            "must be a whole number of years, 1 or more",
        )
    grace = t.get("retention_grace_days", 90)
    if not isinstance(grace, int) or isinstance(grace, bool) or grace < 1:
        raise ConfigError(
            source,
            "trust.retention_grace_days",
            "must be a whole number of days, 1 or more",
        )
    max_files = t.get("evidence_max_files", 10)
    max_mb = t.get("evidence_max_mb", 20)
    if not isinstance(max_files, int) or max_files < 1:
        raise ConfigError(source, "trust.evidence_max_files", "must be a whole number, 1 or more")
    if not isinstance(max_mb, (int, float)) or max_mb <= 0:
        raise ConfigError(source, "trust.evidence_max_mb", "must be a positive number of megabytes")
    schools_raw = raw.get("school")
    if not isinstance(schools_raw, list) or not schools_raw:
        raise ConfigError(source, "[[school]]", "at least one school is needed")
    schools = []
    for n, s in enumerate(schools_raw):
        sid = s.get("id")
        if not isinstance(sid, str) or not re.match(r"^[a-z0-9][a-z0-9-]*$", sid):
            raise ConfigError(
                source,
                f"school[{n}].id",
                "needs an id of lower-case letters, digits and dashes",
            )
        where = f"school.{sid}."
        approvers = _emails(s.get("approvers"), f"{where}approvers", source)
        if not approvers:
            raise ConfigError(
                source, f"{where}approvers", "each school needs at least one approver"
            )
        _only(s, SCHOOL_KEYS, where, source)
        schools.append(
            School(
                id=sid,
                name=_str(s, "name", where, source),
                staff_email_domains=_domains(
                    s.get("staff_email_domains", []),
                    f"{where}staff_email_domains",
                    source,
                ),
                approvers=approvers,
                safeguarding_leads=_emails(
                    s.get("safeguarding_leads", []),
                    f"{where}safeguarding_leads",
                    source,
                ),
                slack_leadership_channel=_str(s, "slack_leadership_channel", where, source, ""),
                teams_leadership_channel=_str(s, "teams_leadership_channel", where, source, ""),
                address=_address(s.get("address", []), f"{where}address", source),
                head_name=_head_name(s, where, source),
            )
        )
    ids = [s.id for s in schools]
    for sid in ids:
        if ids.count(sid) > 1:
            raise ConfigError(source, f"school.{sid}", "duplicate school id")
    policy = t.get("policy_file")
    escalation = _emails(t.get("escalation_contacts", []), "trust.escalation_contacts", source)
    due_days = per_action(t.get("due_working_days", {}), "trust.due_working_days", source)
    for action_id, days in due_days.items():
        if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 60:
            raise ConfigError(
                source,
                f"trust.due_working_days.{action_id}",
                "must be a whole number of working days from 0 to 60",
            )
    urgency = per_action(t.get("action_urgency", {}), "trust.action_urgency", source)
    for action_id, level in urgency.items():
        if level not in URGENCIES:
            raise ConfigError(
                source, f"trust.action_urgency.{action_id}", f"must be one of {list(URGENCIES)}"
            )
    return Trust(
        name=_str(t, "name", "trust.", source),
        reference_prefix=prefix,
        timezone=tz,
        working_hours=(start, end),
        retention_years=retention,
        retention_grace_days=grace,
        staff_email_domains=_domains(
            t.get("staff_email_domains", []), "trust.staff_email_domains", source
        ),
        schools=tuple(schools),
        evidence_max_files=max_files,
        evidence_max_bytes=int(max_mb * 1024 * 1024),
        policy_file=(base / policy) if isinstance(policy, str) else None,
        source=source,
        closures=_closures(raw.get("closure"), source),
        privacy_notice=_privacy_notice(t.get("privacy_notice", ""), source, base),
        escalation_contacts=escalation,
        due_working_days=tuple({**DEFAULT_DUE_DAYS, **due_days}.items()),
        action_urgency=tuple({**DEFAULT_ACTION_URGENCY, **urgency}.items()),
    )


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
