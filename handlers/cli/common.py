"""What every command shares: the settings, trust file, policy and store they open, and output."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bot.config import Settings, Trust, load_trust
from bot.errors import ConfigError
from bot.policy import DEFAULT_POLICY, Policy, load_policy
from bot.practice import check_against_policy
from bot.sealing import Sealer, key_source
from bot.service import CaseService
from bot.storage.lock import DataDirLock
from bot.storage.port import Store
from bot.storage.tinydb_store import TinyDBStore

Command = Callable[[argparse.Namespace], int]

# Settings, trust file, policy and store are opened here, for the commands and for app.py alike:
# no command can import app.py (run as `python app.py` it is __main__, and `import app` would
# load it a second time).


@dataclass(frozen=True)
class Loaded:
    settings: Settings
    trust: Trust
    policy: Policy


def load(settings: Settings) -> Loaded:
    """Read the trust file and the policy it names; raise ConfigError naming what is wrong."""
    trust = load_trust(settings.trust_config)
    policy = load_policy(trust.policy_file or DEFAULT_POLICY)
    check_against_policy(trust, {a.id for a in policy.actions})
    return Loaded(settings, trust, policy)


def make_sealer(settings: Settings) -> Sealer:
    """The keys personal data is sealed with: ENCRYPTION_KEY, ENCRYPTION_KEY_FILE or DATA_DIR's."""
    return Sealer.from_source(
        key_source(settings.encryption_key, settings.encryption_key_file, settings.data_dir)
    )


def make_store(settings: Settings, sealer: Sealer | None = None) -> Store:
    """TinyDB under DATA_DIR, or PostgreSQL when DATABASE_URL is set (evidence stays on disk)."""
    sealer = sealer or make_sealer(settings)
    if settings.database_url:
        from bot.storage.postgres_store import PostgresStore  # the driver is needed only then

        return PostgresStore(settings.database_url, settings.data_dir, sealer=sealer)
    return TinyDBStore(settings.data_dir, sealer)


def redact(url: str) -> str:
    """A database URL fit to print: the password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def describe_store(settings: Settings) -> str:
    if settings.database_url:
        return (
            f"Store: PostgreSQL at {redact(settings.database_url)} "
            f"(evidence files under {settings.data_dir})"
        )
    return f"Store: TinyDB under {settings.data_dir} (one instance only)"


def describe_key(settings: Settings) -> str:
    source = key_source(settings.encryption_key, settings.encryption_key_file, settings.data_dir)
    return f"Encryption at rest: AES-GCM, key from {source.describe()}"


def describe(loaded: Loaded) -> list[str]:
    """What `check` and the start-up log say: platforms, with why, and every warning."""
    lines = []
    for p in loaded.settings.platforms:
        lines.append(f"{p.name}: {'enabled' if p.enabled else 'disabled'} ({p.why})")
    web_channel = loaded.settings.web
    lines.append(f"Web: {'enabled' if web_channel.enabled else 'disabled'} ({web_channel.why})")
    lines.append(
        f"Trust: {loaded.trust.name}, {len(loaded.trust.schools)} school(s), "
        f"from {loaded.trust.source}"
    )
    lines.append(f"Policy: version {loaded.policy.version}, {len(loaded.policy.rules)} rules")
    lines.append(describe_store(loaded.settings))
    if not loaded.trust.escalation_contacts:
        lines.append(
            "Warning: no trust.escalation_contacts: a case about a head or another approver is "
            "decided by the school's own approvers."
        )
    lines.append(describe_key(loaded.settings))
    for w in (*loaded.settings.warnings, *loaded.policy.warnings(time_today(loaded))):
        lines.append(f"Warning: {w}")
    return lines


def time_today(loaded: Loaded) -> date:
    return datetime.now(loaded.trust.tz).date()


def with_service(run, writes: str = ""):  # noqa: ANN001, ANN201 - an async command on the store
    """Run `run(service)` on the configured store. A command that `writes` (its name) holds
    the data folder's lock while it runs, as the server does: not beside a running server."""
    loaded = load(Settings.from_env())
    settings = loaded.settings

    async def go() -> int:
        store = make_store(settings)
        await store.open()
        try:
            return await run(CaseService(store, loaded.trust, loaded.policy))
        finally:
            await store.close()

    if not writes or settings.database_url:
        return asyncio.run(go())
    with DataDirLock(settings.data_dir, writes):
        return asyncio.run(go())


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date such as 2026-09-01") from None


MIN_PASSPHRASE = 10


def ask_passphrase(given: str | None, command: str) -> str:
    """--passphrase, else asked for twice at the terminal; a short or missing one is refused."""
    if given is None:
        if not sys.stdin.isatty():
            raise ConfigError(command, "--passphrase", "give one (there is no terminal to ask on)")
        import getpass

        given = getpass.getpass("Passphrase for the zip: ")
        if getpass.getpass("The same again: ") != given:
            raise ConfigError(command, "passphrase", "the two did not match")
    if len(given) < MIN_PASSPHRASE:
        raise ConfigError(command, "passphrase", f"use at least {MIN_PASSPHRASE} characters")
    return given


def write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner can read (0600), also when it existed with another mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def write_out(path: str | None, text: str) -> None:
    if path:
        Path(path).write_text(text, encoding="utf-8")
        print(f"Wrote {path}", file=sys.stderr)
    else:
        sys.stdout.write(text)
