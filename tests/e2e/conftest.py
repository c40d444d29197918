"""Every end-to-end test: nothing personal or secret reaches a log (in-process or a server's file).

The values are the ones the fakes and samples put in: people's emails and names, tokens and
secrets, the reported posts' words, evidence file names. A report's reference may be logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e import teams_support as tsup
from tests.e2e.slack_support import FILES, STEP_POST
from tests.fakes import teams_activities as ta
from tests.fakes.slack_session import SECRET, TOKEN, USERS
from tests.samples import answers_values

TEAMS_PEOPLE = (*tsup.EVERYONE, ta.TEACHER, ta.HEAD)
SENSITIVE = sorted(
    {
        *(email for email, _ in USERS.values()),
        *(name for _, name in USERS.values()),
        *(u.email for u in TEAMS_PEOPLE if u.email),
        *(u.name for u in TEAMS_PEOPLE),
        TOKEN,
        SECRET,
        "not-a-real-secret",  # the Teams app password of the auth tests
        STEP_POST["post_text"],
        answers_values()["post_text"],
        *(f["name"] for f in FILES.values()),
    }
)


class Collector(logging.Handler):
    """Keeps every record as it would be written, exception text included."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def leaks(lines: list[str]) -> list[str]:
    found = []
    for line in lines:
        lowered = line.lower()
        found += [f"{v!r} in: {line[:300]}" for v in SENSITIVE if v.lower() in lowered]
    return found


def server_logs(request: pytest.FixtureRequest) -> list[str]:
    """The log files of `python app.py` children a test started under its tmp_path."""
    tmp = request.node.funcargs.get("tmp_path")
    if not isinstance(tmp, Path):
        return []
    return [
        line
        for path in tmp.glob("**/*.log")
        for line in path.read_text(errors="replace").splitlines()
    ]


@pytest.fixture(autouse=True)
def no_personal_data_in_logs(request: pytest.FixtureRequest) -> Iterator[None]:
    """Logs at INFO, as the server runs, and fails the test if any line names a sample value."""
    collector = Collector()
    root = logging.getLogger()
    level = root.level
    root.addHandler(collector)
    root.setLevel(min(level, logging.INFO) if level else logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(collector)
        root.setLevel(level)
    found = leaks(collector.lines + server_logs(request))
    assert not found, "personal data or a secret in the logs:\n" + "\n".join(found[:20])


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Servers started by module fixtures log under the session's base temp: check those too."""
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None:
        return
    base = factory.getbasetemp()
    lines = [
        ln
        for p in base.glob("**/server-*.log")
        for ln in p.read_text(errors="replace").splitlines()
    ]
    found = leaks(lines)
    if found:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print("\npersonal data or a secret in a server log:\n" + "\n".join(found[:20]))
