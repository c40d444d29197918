"""A throwaway PostgreSQL server for the tests: one per run, a fresh database for each test."""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

USER = "postgres"  # the OS user the server runs as (PostgreSQL refuses to run as root)


def server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: PG_BIN, the newest Debian install, or the PATH."""
    candidates = [os.environ.get("PG_BIN", "")]
    candidates += [str(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)]
    found = shutil.which("pg_ctl")
    candidates.append(str(Path(found).parent) if found else "")
    for folder in filter(None, candidates):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_sync(coro_fn, *args):  # noqa: ANN001, ANN201 - any coroutine function and its result
    """Run a coroutine to completion from sync code, even inside a running event loop."""
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro_fn(*args))
        except BaseException as exc:  # handed back to the caller below
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box.get("value")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def _empty(url: str) -> None:
    """Make a used test database as good as new: end its sessions, drop everything in it."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()


class PgServer:
    """A cluster in a temporary folder, on a free loopback port, socket in that folder.

    Stopped with -m immediate: nothing in it is kept, so its shutdown checkpoint is skipped.
    """

    def __init__(self, binaries: Path) -> None:
        self.bin = binaries
        self.root = Path(tempfile.mkdtemp(prefix="pgtest-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.admin_url = f"postgresql://{USER}@127.0.0.1:{self.port}/postgres"

    def _run(self, *argv: str) -> None:
        command = [str(self.bin / argv[0]), *argv[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", USER, "--", *command]
        done = subprocess.run(command, cwd=self.root, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {done.stdout[-1500:]}{done.stderr[-1500:]}")

    def start(self) -> None:
        if os.geteuid() == 0:
            ensure_user()
            entry = pwd.getpwnam(USER)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        # initdb's own fsyncs are skipped (the cluster is thrown away); the server keeps fsync on.
        self._run(
            "initdb", "-D", str(self.data), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-sync"
        )
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        log = str(self.root / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def ensure_user() -> None:
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER],
            check=True,
        )


class Databases:
    """Hands out an empty database per test on one server.

    A finished test's database is emptied and handed out again: dropping a schema takes a few
    milliseconds where CREATE DATABASE takes a few hundred.
    """

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.created: list[str] = []
        self.free: list[str] = []

    def new(self) -> str:
        if self.free:
            url = with_database(self.admin_url, self.free.pop())
            run_sync(_empty, url)
            return url
        name = f"test_{uuid.uuid4().hex[:12]}"
        run_sync(_admin, self.admin_url, f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return with_database(self.admin_url, name)

    def done(self, url: str) -> None:
        self.free.append(urlsplit(url).path.lstrip("/"))

    def drop_all(self) -> None:
        for name in self.created:
            run_sync(_admin, self.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Databases]:
    """DATABASE_URL_TEST's server if set (its databases dropped after), else a throwaway one."""
    external = os.environ.get("DATABASE_URL_TEST", "")
    if external:
        databases = Databases(with_database(external, "postgres"))
        yield databases
        databases.drop_all()
        return
    binaries = server_binaries()
    if binaries is None:
        pytest.skip(
            "PostgreSQL server binaries (initdb, pg_ctl) not found: "
            "apt-get install postgresql-15, or set DATABASE_URL_TEST"
        )
    server = PgServer(binaries)
    server.start()
    try:
        yield Databases(server.admin_url)
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: Databases) -> Iterator[str]:
    """The URL of an empty database on the test server, for this test alone."""
    url = pg_server.new()
    yield url
    pg_server.done(url)
