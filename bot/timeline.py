"""The append-only, hash-chained timeline of a case, and its verification."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from bot.models import TimelineEvent

GENESIS = "0" * 64


def append(
    timeline: Sequence[TimelineEvent],
    *,
    at: datetime,
    actor: str,
    kind: str,
    summary: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> tuple[TimelineEvent, ...]:
    """The timeline with one more event, chained to the last one."""
    prev = timeline[-1].hash if timeline else GENESIS
    event = TimelineEvent(len(timeline) + 1, at, actor, kind, summary, before, after, prev)
    return (
        *timeline,
        TimelineEvent(**{**event.__dict__, "hash": event.computed_hash()}),
    )


class Chained(Protocol):
    """An entry of a hash chain: its number, the hash before it, its own."""

    @property
    def seq(self) -> int: ...

    @property
    def prev_hash(self) -> str: ...

    @property
    def hash(self) -> str: ...

    def computed_hash(self) -> str: ...


def verify_chain(entries: Sequence[Chained], noun: str, what: str) -> list[str]:
    """Problems found in a chain: an edited, removed, reordered or inserted entry."""
    problems = []
    prev = GENESIS
    for n, entry in enumerate(entries, start=1):
        if entry.seq != n:
            problems.append(f"{noun} {n}: numbered {entry.seq} (an {what} was removed or inserted)")
        if entry.prev_hash != prev:
            problems.append(f"{noun} {n}: does not follow {noun} {n - 1} (chain broken)")
        if entry.computed_hash() != entry.hash:
            problems.append(f"{noun} {n}: its content does not match its hash (edited)")
        prev = entry.hash
    return problems


def verify(timeline: Sequence[TimelineEvent]) -> list[str]:
    """Problems found in the timeline's chain."""
    return verify_chain(timeline, "event", "event")
