"""Slack users as the core knows them: id to Actor (with email), email to id, briefly cached."""

from __future__ import annotations

import time
from collections.abc import Callable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.models import Actor

PLATFORM = "slack"
TTL_SECONDS = 300.0  # short: a changed email (and so changed rights) counts within minutes


class SlackDirectory:
    """users.info and users.lookupByEmail with a small time-limited cache."""

    def __init__(
        self,
        client: AsyncWebClient,
        ttl: float = TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.ttl = ttl
        self.clock = clock
        self._actors: dict[str, tuple[float, Actor]] = {}
        self._ids: dict[str, tuple[float, str]] = {}

    async def actor(self, user_id: str) -> Actor:
        """The person behind a Slack user id; email empty if Slack has none (a guest, a bot)."""
        cached = self._actors.get(user_id)
        if cached and self.clock() - cached[0] < self.ttl:
            return cached[1]
        resp = await self.client.users_info(user=user_id)
        user = resp["user"]
        profile = user.get("profile") or {}
        actor = Actor(
            PLATFORM,
            user_id,
            str(profile.get("email") or "").lower(),
            str(profile.get("real_name") or user.get("real_name") or user.get("name") or ""),
        )
        self._actors[user_id] = (self.clock(), actor)
        return actor

    async def user_id(self, email: str) -> str | None:
        """The Slack user with this email, or None if there is none in the workspace."""
        email = email.lower()
        cached = self._ids.get(email)
        if cached and self.clock() - cached[0] < self.ttl:
            return cached[1]
        try:
            resp = await self.client.users_lookupByEmail(email=email)
        except SlackApiError as exc:
            if exc.response.get("error") == "users_not_found":
                return None
            raise
        found = str(resp["user"]["id"])
        self._ids[email] = (self.clock(), found)
        return found
