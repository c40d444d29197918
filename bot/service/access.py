"""Recording who opened what of a case, apart from its timeline, and what each person may see."""

from __future__ import annotations

from bot.access import AccessEntry, AccessKind, next_entry
from bot.errors import Conflict
from bot.models import Actor, Case
from bot.service.core import CONFLICT_RETRIES, ServiceCore, who
from bot.sight import Sight, sight

# Appends race only with other views of the same case: a few more tries than a decision gets.
ACCESS_RETRIES = CONFLICT_RETRIES * 4


class Access(ServiceCore):
    def sight(self, actor: Actor, case: Case) -> Sight:
        """What this person may see of the case (bot/sight.py holds the rule)."""
        return sight(actor.email, case, self.school_of(case))

    async def record_access(
        self,
        reference: str,
        actor: Actor | str,
        kind: AccessKind,
        channel: str = "",
        what: str = "",
    ) -> AccessEntry:
        """Append to the case's access log (channel: the actor's platform unless given). It
        takes neither the case's lock nor its file, so a view never holds up a decision; a race
        with another view is retried."""
        name = actor if isinstance(actor, str) else who(actor)
        if not channel and not isinstance(actor, str):
            channel = actor.platform
        for _ in range(ACCESS_RETRIES):
            log = await self.store.access_log(reference)
            entry = next_entry(
                log, at=self.clock(), actor=name, kind=kind, channel=channel, what=what
            )
            try:
                await self.store.append_access(reference, entry)
                return entry
            except Conflict:
                continue
        raise Conflict(f"could not record an access to {reference}")

    async def access_log(self, reference: str) -> list[AccessEntry]:
        return await self.store.access_log(reference)
