"""Shared fixtures: the example trust, the policy, a fresh store and service per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.config import EXAMPLE_TRUST, Trust, load_trust
from bot.forms import to_answers
from bot.models import Actor, Answers
from bot.policy import Policy, load_policy
from bot.service import CaseService
from bot.storage.tinydb_store import TinyDBStore
from tests.pg import pg_server, pg_url  # noqa: F401 - fixtures for every test module
from tests.samples import answers_values

SHARED = Path(__file__).resolve().parents[2] / "shared"

REPORTER = Actor("slack", "UTEACH1", "teacher@oakprimary.example", "Tess Teacher")
HEAD = Actor("slack", "UHEAD01", "head@oakprimary.example", "Hana Head")
DEPUTY = Actor("slack", "UDEP001", "deputy@oakprimary.example", "Dev Deputy")
OTHER_HEAD = Actor("slack", "UHEAD02", "head@oaksecondary.example", "Sam Second")
DSL = Actor("slack", "UDSL001", "dsl@oakprimary.example", "Dana Lead")


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy()


@pytest.fixture(scope="session")
def trust() -> Trust:
    return load_trust(EXAMPLE_TRUST)


@pytest.fixture
def make_answers(policy: Policy):  # noqa: ANN201
    def make(**overrides: Any) -> Answers:
        from bot.forms import report_form

        return to_answers(
            report_form(policy),
            answers_values(**overrides),
            date(2026, 11, 26),
            "oak-primary",
        )

    return make


class Clock:
    """A settable clock for the service."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[TinyDBStore]:
    s = TinyDBStore(tmp_path / "data")
    await s.open()
    yield s
    await s.close()


@pytest.fixture
def service(store: TinyDBStore, trust: Trust, policy: Policy, clock: Clock) -> CaseService:
    return CaseService(store, trust, policy, clock)
