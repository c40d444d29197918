"""The trust file: schools, their deciders and leads, the trust's practice, checked precisely."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
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
    pupil_word: str = "student"  # the policy's word, or "pupil" where the school says that

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


PUPIL_WORDS = ("student", "pupil")


def _pupil_word(s: Mapping[str, Any], where: str, source: str) -> str:
    word = _str(s, "pupil_word", where, source, "student")
    if word not in PUPIL_WORDS:
        raise ConfigError(
            source, f"{where}pupil_word", f'{word!r}: "student" (the policy\'s word) or "pupil"'
        )
    return word


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
        "pupil_word",
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
                pupil_word=_pupil_word(s, where, source),
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
