"""Who the bot must be able to reach on each platform (deciders, leads), and who it cannot yet."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

from bot.background import BackgroundLoop
from bot.config import Trust

log = logging.getLogger(__name__)

Check = Callable[[Sequence[str]], Awaitable[list[str]]]


def people_to_reach(trust: Trust) -> list[str]:
    """Every approver, safeguarding lead and escalation contact, once each, by email."""
    emails = {e for s in trust.schools for e in (*s.approvers, *s.safeguarding_leads)}
    emails |= set(trust.escalation_contacts)
    return sorted(emails)


class Reachability(BackgroundLoop):
    """Looks, at start and every interval, which of those people each platform cannot reach
    yet (a Teams user who never opened the bot, an email Slack does not know); logs counts
    (never the emails: those show on App Home and the register, to the leads)."""

    name = "reachability"

    def __init__(
        self,
        trust: Trust,
        checks: Mapping[str, Check],
        interval: float = 900.0,
        first_after: float = 2.0,
    ) -> None:
        self.people = people_to_reach(trust)
        self.first_after = first_after  # after start-up, not competing with it
        self.checks = dict(checks)
        self.interval = interval
        self.missing: dict[str, list[str]] = {}  # by platform, from the last look

    async def look(self) -> dict[str, list[str]]:
        found = {}
        for platform, check in self.checks.items():
            try:
                found[platform] = sorted(await check(self.people))
            except Exception as exc:  # noqa: BLE001 - the platform is down: look again later
                log.warning("could not check who %s can reach (%s)", platform, type(exc).__name__)
                found[platform] = self.missing.get(platform, [])
        self.missing = found
        return found

    async def _run(self) -> None:
        await asyncio.sleep(self.first_after)
        while True:
            for platform, missing in (await self.look()).items():
                if missing:
                    log.warning(
                        "%s: %d of %d approvers and safeguarding leads cannot be reached yet "
                        "(listed on App Home and the register)",
                        platform,
                        len(missing),
                        len(self.people),
                    )
            await asyncio.sleep(self.interval)
