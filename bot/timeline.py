"""The append-only, hash-chained timeline of a case, and its verification."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

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


def verify(timeline: Sequence[TimelineEvent]) -> list[str]:
    """Problems found in the chain: an edited, removed, reordered or inserted event."""
    problems = []
    prev = GENESIS
    for n, event in enumerate(timeline, start=1):
        if event.seq != n:
            problems.append(f"event {n}: numbered {event.seq} (an event was removed or inserted)")
        if event.prev_hash != prev:
            problems.append(f"event {n}: does not follow event {n - 1} (chain broken)")
        if event.computed_hash() != event.hash:
            problems.append(f"event {n}: its content does not match its hash (edited)")
        prev = event.hash
    return problems
