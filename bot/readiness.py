"""Whether the bot is ready to serve: the store answers, and no notice has waited too long."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.models import Urgency
from bot.storage.port import Store

URGENT_LIMIT = timedelta(minutes=5)  # a notice about someone who may be in danger
ANY_LIMIT = timedelta(hours=1)
STORE_TIMEOUT = 3.0  # seconds: a store slower than this is not ready either


@dataclass(frozen=True)
class Waiting:
    """The notices of one platform not yet delivered: how many, and the oldest's age."""

    count: int = 0
    oldest_seconds: float = 0.0
    urgent_oldest_seconds: float = 0.0


@dataclass(frozen=True)
class Readiness:
    store_ok: bool
    waiting: dict[str, Waiting] = field(default_factory=dict)
    problems: tuple[str, ...] = ()

    @property
    def ready(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, object]:
        """The /readyz body: counts and ages only, never a reference, name or text."""
        return {
            "status": "ready" if self.ready else "not ready",
            "problems": list(self.problems),
            "store": "ok" if self.store_ok else "unreachable",
            "notices_waiting": {
                platform: {
                    "count": w.count,
                    "oldest_seconds": round(w.oldest_seconds),
                    "urgent_oldest_seconds": round(w.urgent_oldest_seconds),
                }
                for platform, w in sorted(self.waiting.items())
            },
        }


async def check(
    store: Store,
    now: Callable[[], datetime],
    urgent_limit: timedelta = URGENT_LIMIT,
    limit: timedelta = ANY_LIMIT,
) -> Readiness:
    """Read the undelivered notices of every case that has some, and judge them."""
    try:
        async with asyncio.timeout(STORE_TIMEOUT):
            references = await store.with_pending_outbox()
            records = await asyncio.gather(*(store.load(r) for r in references))
    except Exception:  # noqa: BLE001 - any failure to read means the store is not usable
        return Readiness(False, problems=("the store cannot be reached",))
    at = now()
    counts: Counter[str] = Counter()
    oldest: dict[str, float] = {}
    urgent: dict[str, float] = {}
    for record in records:
        if record is None:
            continue
        for message in record.pending:
            age = max(0.0, (at - message.created_at).total_seconds())
            counts[message.platform] += 1
            oldest[message.platform] = max(oldest.get(message.platform, 0.0), age)
            if record.case.urgency is Urgency.URGENT:
                urgent[message.platform] = max(urgent.get(message.platform, 0.0), age)
    waiting = {
        p: Waiting(counts[p], oldest.get(p, 0.0), urgent.get(p, 0.0)) for p in sorted(counts)
    }
    problems = []
    for platform, w in waiting.items():
        if w.urgent_oldest_seconds > urgent_limit.total_seconds():
            problems.append(
                f"an urgent notice on {platform} has waited "
                f"{round(w.urgent_oldest_seconds / 60)} minutes"
            )
        elif w.oldest_seconds > limit.total_seconds():
            problems.append(
                f"a notice on {platform} has waited {round(w.oldest_seconds / 60)} minutes"
            )
    return Readiness(True, waiting, tuple(problems))
