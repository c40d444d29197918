"""Finding the bot's own posts in Slack history by their metadata; pacing posts per channel."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from functools import partial
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.outbox import NotYet, RetryLater

Message = Mapping[str, Any]
EVENT_CARD = "case_card"  # an approval card: healing updates every one of a case's cards
EVENT_NOTICE = "case_notice"  # anything else the bot posts for a case
# Our clock and Slack's may differ a little: search from a few seconds before the mark.
SKEW_S = 5.0
PAGE = 200
MAX_PAGES = 25  # 5,000 messages since the mark is more than any recovery needs to read
LONGEST_WAIT_S = 2.0  # a longer wait frees the outbox's slot for other conversations


def metadata(event_type: str, reference: str, notice: str) -> dict[str, Any]:
    """The message metadata naming the case and the outbox entry a post belongs to."""
    return {"event_type": event_type, "event_payload": {"case": reference, "notice": notice}}


def payload(message: Message) -> Mapping[str, Any]:
    meta = message.get("metadata") or {}
    return meta.get("event_payload") or {} if isinstance(meta, Mapping) else {}


def of_notice(notice: str) -> Callable[[Message], bool]:
    return lambda m: payload(m).get("notice") == notice


def card_of(reference: str) -> Callable[[Message], bool]:
    return lambda m: (
        (m.get("metadata") or {}).get("event_type") == EVENT_CARD
        and payload(m).get("case") == reference
    )


def retry_after(exc: SlackApiError) -> float | None:
    if exc.response.status_code != 429:
        return None
    value = (exc.response.headers or {}).get("Retry-After") or (exc.response.headers or {}).get(
        "retry-after"
    )
    if value is None:
        return 1.0
    try:
        return float(value[0] if isinstance(value, list) else value)
    except (TypeError, ValueError):
        return 1.0


class Bucket:
    """`rate` calls a second after a burst of `burst`, by reserving each call's slot; a wait
    longer than LONGEST_WAIT_S is NotYet (the outbox's slot goes to another conversation)."""

    def __init__(self, rate: float, burst: float) -> None:
        self.interval = 1.0 / rate
        self.tolerance = (burst - 1) * self.interval
        self.due = 0.0  # when the next call would be due at the steady rate
        self.blocked_until = 0.0  # a Retry-After: nothing before it

    async def take(self) -> None:
        while True:
            now = time.monotonic()
            slot = max(now, self.due - self.tolerance, self.blocked_until)
            if slot - now > LONGEST_WAIT_S:
                raise NotYet(slot - now)
            self.due = max(self.due, slot) + self.interval  # reserved before waiting: no lock
            if slot > now:
                await asyncio.sleep(slot - now)
            if time.monotonic() >= self.blocked_until:
                return  # else a Retry-After came while this call waited: wait that out too

    def hold(self, seconds: float) -> None:
        self.blocked_until = max(self.blocked_until, time.monotonic() + seconds)


class History:
    """conversations.history and .replies with metadata, paged, within Tier 3's 50 a minute."""

    def __init__(self, client: AsyncWebClient, per_minute: float = 50.0) -> None:
        self.client = client
        self.bucket = Bucket(per_minute / 60.0, burst=10)
        self._dm: dict[str, str] = {}

    async def dm_channel(self, user_id: str) -> str | None:
        """The id of the DM with a person, where the bot's posts to their user id went; None if
        the bot has none with them yet (then nothing was ever posted there)."""
        if user_id[:1] not in ("U", "W"):
            return user_id
        if user_id not in self._dm:
            cursor = ""
            for _ in range(MAX_PAGES):
                page = await self._call(
                    partial(
                        self.client.users_conversations,
                        types="im",
                        limit=PAGE,
                        cursor=cursor or None,
                    )
                )
                ims = page.get("channels") or ()
                self._dm.update({str(c["user"]): str(c["id"]) for c in ims if c.get("user")})
                cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
                if user_id in self._dm or not cursor:
                    break
        return self._dm.get(user_id)

    async def find(
        self, channel: str, since: datetime, match: Callable[[Message], bool], thread_ts: str = ""
    ) -> list[Message]:
        """The bot's messages in a conversation (or one thread) since a time that match."""
        oldest = f"{since.timestamp() - SKEW_S:.6f}"
        found: list[Message] = []
        conversation = await self.dm_channel(channel)
        if conversation is None:
            return found
        channel = conversation
        cursor = ""
        for _ in range(MAX_PAGES):
            args: dict[str, Any] = {
                "channel": channel,
                "oldest": oldest,
                "include_all_metadata": True,
                "limit": PAGE,
            }
            if cursor:
                args["cursor"] = cursor
            if thread_ts:
                page = await self._call(
                    partial(self.client.conversations_replies, ts=thread_ts, **args)
                )
            else:
                page = await self._call(partial(self.client.conversations_history, **args))
            found += [
                {**m, "channel": channel}
                for m in page.get("messages") or ()
                if m.get("ts") != thread_ts and match(m)
            ]
            cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
            if not page.get("has_more") or not cursor:
                break
        return found

    async def _call(self, read: Callable[[], Awaitable[Any]]) -> Any:
        """One Web API read, paced; a 429 holds every read for its Retry-After, then tries again."""
        for _ in range(3):
            await self.bucket.take()
            try:
                return await read()
            except SlackApiError as exc:
                wait = retry_after(exc)
                if wait is None:
                    raise
                self.bucket.hold(wait)
        raise RetryLater("slack history rate limited", LONGEST_WAIT_S)


class Pacer:
    """About one post a second to each conversation after a short burst (as Slack allows), none
    before the end of a Retry-After it was given there; conversations do not wait for each other."""

    def __init__(self, per_second: float = 1.0, burst: float = 3.0) -> None:
        self.per_second, self.burst = per_second, burst
        self._buckets: dict[str, Bucket] = {}

    def _bucket(self, channel: str) -> Bucket:
        return self._buckets.setdefault(channel, Bucket(self.per_second, self.burst))

    async def turn(self, channel: str) -> None:
        """Wait for this conversation's next slot and take it."""
        await self._bucket(channel).take()

    def hold(self, channel: str, seconds: float) -> None:
        """Slack answered 429 here: nothing more to this conversation until it says."""
        self._bucket(channel).hold(seconds)
