"""What every platform adapter offers the composition root."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from aiohttp import web

from bot.outbox import Sender


class Channel(Protocol):
    """A platform: its routes on the shared server, its sender for the outbox, its life cycle."""

    name: str  # the platform key used on actors and outbox messages: "slack", "teams"
    drafts: str  # the value table of its report forms' drafts ("" if it keeps none)

    @property
    def sender(self) -> Sender: ...  # read-only here, so a channel may keep its own kind

    def mount(self, app: web.Application) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def unreachable(self, emails: Sequence[str]) -> list[str]:
        """Those of these people the platform cannot deliver to yet."""
        ...
