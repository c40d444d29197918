"""Composition root: settings -> store -> service -> channels -> one aiohttp app; and main()."""

from __future__ import annotations

import gc
import sys

if __name__ == "__main__":
    # Start-up makes a great many objects (the platform SDKs' modules, the case index) and
    # none of them is garbage: with the cyclic collector off until the server is up (see
    # serving and main), `python app.py` answers about a quarter of a second sooner.
    gc.disable()
    # msrest and azure-core (under botbuilder) load their trio support whenever trio happens
    # to be installed (nothing in requirements.txt needs it); the bot runs on asyncio alone,
    # and not loading it saves about 0.2 s of start-up.
    # None in sys.modules makes `import trio` fail at once (typeshed types the values as modules).
    sys.modules.setdefault("trio", None)  # type: ignore[arg-type]

import argparse
import errno
import logging
import os
import socket
from pathlib import Path

from aiohttp import web
from dotenv import load_dotenv

from bot import logs
from bot.config import Settings
from bot.errors import ConfigError, StorageUnavailable
from bot.links import KeyRing, LinkSigner
from bot.outbox import OutboxWorker
from bot.reach import Reachability
from bot.scheduler import ReminderLoop, RetentionLoop
from bot.service import CaseService
from bot.service.files import CaseFiles
from bot.storage.lock import DataDirLock
from bot.storage.port import Store
from handlers import cli, notice
from handlers import files as file_routes
from handlers.channel import Channel
from handlers.cli import Loaded, describe, load, make_store
from handlers.failures import Middleware
from handlers.health import Probes

log = logging.getLogger("app")
STORE_KEY = web.AppKey("service", CaseService)
FILES_KEY = web.AppKey("files", CaseFiles)
RETENTION_KEY = web.AppKey("retention", RetentionLoop)


def make_channels(
    loaded: Loaded, service: CaseService, files: CaseFiles | None = None
) -> list[Channel]:
    settings = loaded.settings
    channels: list[Channel] = []
    if settings.web.enabled and files is not None:
        from handlers.web.channel import WebChannel

        channels.append(WebChannel(settings, service, files))
    if settings.slack.enabled:
        from handlers.slack.channel import SlackChannel
        from handlers.slack.failures import install_slack

        slack = SlackChannel(settings, service, files)
        install_slack(slack.bolt)  # a report the disk refused is said so in the modal
        channels.append(slack)
    if settings.teams.enabled:
        from handlers.teams.channel import TeamsChannel
        from handlers.teams.failures import install_teams

        teams = TeamsChannel(settings, service, files)
        install_teams(teams.adapter)  # and on the card
        channels.append(teams)
    return channels


def build_app(loaded: Loaded, store: Store | None = None) -> web.Application:
    """The one aiohttp application: /healthz, and the platform routes that are enabled."""
    settings = loaded.settings
    store = store or make_store(settings)
    service = CaseService(store, loaded.trust, loaded.policy)
    files = CaseFiles(service, LinkSigner(KeyRing(settings.data_dir), service.clock))
    channels = make_channels(loaded, service, files)
    service.platforms = tuple(c.name for c in channels)
    # On a shared store another instance may queue work: look for it every second.
    worker = OutboxWorker(
        service,
        {c.name: c.sender for c in channels},
        idle_poll=1.0 if getattr(store, "shared", False) else 30.0,
    )
    reminders = ReminderLoop(service, drafts=[c.drafts for c in channels if c.drafts])
    retention = RetentionLoop(service)
    reach = Reachability(loaded.trust, {c.name: c.unreachable for c in channels})
    guards: list[Middleware] = []  # malformed or forged platform requests get a 4xx, never a 500
    if settings.demo_mode:
        from handlers.demo import demo_guard

        guards.append(demo_guard)  # first: nothing from off this machine reaches the demo
    if settings.slack.enabled and not settings.slack_socket_mode:
        from handlers.slack.failures import slack_guard

        guards.append(slack_guard(settings.slack_signing_secret))
    if settings.teams.enabled:
        from handlers.teams.failures import teams_guard

        guards.append(teams_guard)
    probes = Probes(
        service,
        worker,
        reminders,
        reach,
        facts=lambda: {
            "store": store.health(),
            "platforms": {p.name.lower(): p.enabled for p in settings.platforms},
            "policy": {
                "version": loaded.policy.version,
                "review_due": loaded.policy.review_due.isoformat(),
                "past_review": loaded.policy.is_past_review(service.today()),
            },
        },
    )
    app = web.Application(
        client_max_size=2 * 1024 * 1024,
        middlewares=[probes.measure, notice.styled_errors, *guards],
    )
    app[STORE_KEY] = service
    app[FILES_KEY] = files
    app[RETENTION_KEY] = retention
    probes.mount(app)
    file_routes.mount(app, files)
    notice.mount(app, loaded.trust)  # /privacy, /terms: the Teams manifest points at them
    for channel in channels:
        channel.mount(app)
    if not settings.teams.enabled:
        app.router.add_post("/api/messages", unauthenticated)

    async def lifecycle(app: web.Application):  # noqa: ANN202 - aiohttp cleanup context
        await store.open()
        for channel in channels:
            await channel.start()
        worker.start()
        reminders.start()
        retention.start()
        reach.start()
        yield
        await reach.stop()
        await retention.stop()
        await reminders.stop()
        await worker.stop()
        for channel in channels:
            await channel.stop()
        await store.close()

    app.cleanup_ctx.append(lifecycle)
    return app


async def unauthenticated(request: web.Request) -> web.Response:
    """POST /api/messages with Teams off: no token can be valid, so every caller is refused
    as unauthenticated (401), as with Teams on and a missing or forged token."""
    return web.Response(status=401)


async def serving(app: web.Application) -> None:
    """Start-up is done (the store is open): what it made lives as long as the server, so it
    is frozen out of the cyclic collector's way, and the collector goes back on."""
    gc.freeze()
    gc.enable()


def listen(host: str, port: int) -> socket.socket:
    """The server's socket, bound before anything says "Listening": a taken port is one line."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        why = "is already in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc})"
        raise ConfigError("environment", "HOST/PORT", f"{host}:{port} {why}") from None
    return sock


def cmd_serve(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    loaded = load(settings)
    # TinyDB is for one process: a second server on the same folder would never see the
    # first one's cases. PostgreSQL is made for several.
    lock = None if settings.database_url else DataDirLock(settings.data_dir, "serve").acquire()
    try:
        sock = listen(settings.host, settings.port)
        for line in describe(loaded):
            (log.warning if line.startswith("Warning") else log.info)(line)
        app = build_app(loaded)
        app.on_startup.append(serving)
        log.info("Listening on http://%s:%d (health: /healthz)", settings.host, settings.port)
        if settings.web.enabled:
            log.info("Try it in your browser: http://%s:%d/", settings.host, settings.port)
        web.run_app(app, sock=sock, print=None, access_log=None)
    finally:
        if lock:
            lock.release()
    return 0


def main(argv: list[str] | None = None) -> int:
    # Settings may come from a .env file in the working folder; the environment wins over it.
    load_dotenv(Path.cwd() / ".env", override=False)
    logs.configure(os.environ.get("LOG_FORMAT", ""))
    args = cli.parser(cmd_serve).parse_args(argv)
    func = getattr(args, "func", cmd_serve)
    if func is not cmd_serve:
        gc.enable()  # only serving waits for start-up to be over (see serving)
    try:
        return func(args)
    except (ConfigError, StorageUnavailable) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        if not exc.filename:  # not a file the person named: a real fault, with its traceback
            raise
        # A file or folder given on the command line or in a setting that cannot be used.
        print(f"Error: {exc.filename}: {(exc.strerror or str(exc)).lower()}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
