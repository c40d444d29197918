"""Who is talking on Teams (email via TeamsInfo, cached) and where to reach them later."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import ChannelAccount, ConversationReference

from bot.models import Actor
from bot.storage.port import Store

log = logging.getLogger(__name__)

PLATFORM = "teams"
USERS = "teams_users"  # tenant:aadObjectId -> email, name, Teams id, when the roster said so
REFS = "teams_refs"  # email -> how to message that person proactively (and who they are)
CHANNELS = "teams_channels"  # channel id (19:...) -> a reference to post there
MISS_TTL = 60.0
EMAIL_TTL = 300.0  # an email from the roster is believed this long (seconds), then asked again


class UnknownPerson(Exception):
    """Teams would not tell us this person's email address."""


@dataclass(frozen=True)
class Reach:
    """How to message someone proactively: their personal chat, or enough to open one."""

    user_id: str
    aad_id: str
    service_url: str
    tenant_id: str
    bot: dict[str, Any]
    reference: dict[str, Any] | None  # a serialized ConversationReference of the personal chat

    @classmethod
    def of(cls, value: dict[str, Any]) -> Reach:
        return cls(
            value["user_id"],
            value.get("aad_id", ""),
            value["service_url"],
            value.get("tenant_id", ""),
            value.get("bot") or {},
            value.get("reference"),
        )

    def conversation_reference(self) -> ConversationReference | None:
        if self.reference is None:
            return None
        return ConversationReference().deserialize(self.reference)

    def bot_account(self) -> ChannelAccount:
        return ChannelAccount().deserialize(self.bot)


def tenant_of(activity: Any) -> str:
    data = activity.channel_data or {}
    tenant = (data.get("tenant") or {}).get("id") if isinstance(data, dict) else None
    return tenant or getattr(activity.conversation, "tenant_id", None) or ""


def person_key(tenant_id: str, aad_id: str, user_id: str) -> str:
    """Who someone is: their Microsoft Entra tenant and object id (an email can be changed or
    claimed; these cannot). Without them (the Emulator's demo traffic), their Teams id."""
    if tenant_id and aad_id:
        return f"{tenant_id.lower()}:{aad_id.lower()}"
    return f"id:{user_id}"


def key_of(activity: Any) -> str:
    user = activity.from_property
    return person_key(tenant_of(activity), user.aad_object_id or "", user.id)


def same_person(old: dict[str, Any], activity: Any) -> bool:
    """Whether a stored reference is this activity's person: by tenant and object id when
    both sides have them, else by Teams id."""
    user = activity.from_property
    tenant, aad = tenant_of(activity), user.aad_object_id or ""
    if old.get("tenant_id") and old.get("aad_id") and tenant and aad:
        return (old["tenant_id"].lower(), old["aad_id"].lower()) == (tenant.lower(), aad.lower())
    return old.get("user_id") == user.id


def channel_of(activity: Any) -> str:
    data = activity.channel_data or {}
    channel = (data.get("channel") or {}).get("id") if isinstance(data, dict) else None
    return channel or ""


def unchanged(old: dict[str, Any], activity: Any, personal: bool) -> bool:
    """Whether a stored reference still matches where this person talks to the bot."""
    if old.get("service_url") != activity.service_url:
        return False
    if old.get("user_id") != activity.from_property.id:
        return False
    if not personal:
        return True
    conversation = ((old.get("reference") or {}).get("conversation") or {}).get("id")
    return conversation == activity.conversation.id


class People:
    """Maps Teams users to actors and keeps their conversation references in the store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # Per-process copies of what this class writes: every invoke needs them, and a store
        # read each time costs more than the rest of the turn. The store stays the record.
        self._actors: dict[str, tuple[float, Actor]] = {}  # person key -> (when, actor)
        self._refs: dict[str, dict[str, Any]] = {}
        self._missing: dict[str, float] = {}  # email -> when we last found no reference
        self._channels: set[str] = set()

    async def actor(self, turn_context: TurnContext) -> Actor:
        """The person behind this activity, keyed by tenant and object id; their email from
        the roster, believed for EMAIL_TTL seconds (an address can be reassigned)."""
        user = turn_context.activity.from_property
        key = key_of(turn_context.activity)
        now = time.time()
        cached = self._actors.get(key)
        if cached and now - cached[0] < EMAIL_TTL and cached[1].user_id == user.id:
            return cached[1]
        known = await self.store.get_value(USERS, key)
        if (
            known is None
            or known.get("user_id") != user.id
            or not 0 <= now - float(known.get("at", 0)) < EMAIL_TTL
        ):
            known = await self._look_up(turn_context, key, user.id)
        actor = Actor(PLATFORM, user.id, known["email"], known.get("name") or user.name or "")
        self._actors[key] = (float(known["at"]), actor)
        return actor

    async def _look_up(self, turn_context: TurnContext, key: str, user_id: str) -> dict[str, Any]:
        try:
            member = await TeamsInfo.get_member(turn_context, user_id)
        except Exception as exc:  # the connector's error types vary; the user gets one message
            log.warning("could not read the roster entry of %s: %s", user_id, type(exc).__name__)
            raise UnknownPerson(user_id) from exc
        email = (member.email or member.user_principal_name or "").lower()
        if not email:
            raise UnknownPerson(user_id)
        value = {
            "email": email,
            "name": member.name or "",
            "aad_id": member.aad_object_id or "",
            "user_id": user_id,
            "at": time.time(),
        }
        await self.store.put_value(USERS, key, value)
        return value

    async def remember(self, turn_context: TurnContext, actor: Actor) -> bool:
        """Keep how to reach this person (and the channel, if any); True if it is new."""
        activity = turn_context.activity
        personal = (activity.conversation.conversation_type or "personal") == "personal"
        reference = TurnContext.get_conversation_reference(activity)
        reference.activity_id = None  # a reference to the chat, not to one message in it
        channel = channel_of(activity)
        if channel and channel not in self._channels:
            await self._remember_channel(channel, reference)
        old = await self._ref(actor.email)
        if old and not same_person(old, activity):
            # Someone else now has (or claims) this email: the reference stays the first
            # person's, so their cards cannot be redirected. Who is not logged: ids only.
            log.warning(
                "kept the Teams reference of %s: another person has that email now", old["user_id"]
            )
            return False
        if old and unchanged(old, activity, personal):
            return False  # the usual case: skip serializing the reference on every turn
        kept = (old or {}).get("reference")
        value = {
            "user_id": actor.user_id,
            "aad_id": activity.from_property.aad_object_id or (old or {}).get("aad_id", ""),
            "service_url": activity.service_url,
            "tenant_id": tenant_of(activity),
            "bot": activity.recipient.serialize(),
            "reference": reference.serialize() if personal else kept,
        }
        if value == old:
            return False
        await self._put_ref(actor.email, value)
        return kept is None and personal

    async def _ref(self, email: str) -> dict[str, Any] | None:
        """A miss is remembered for a minute only: another instance may meet them meanwhile."""
        if email in self._refs:
            return self._refs[email]
        if time.monotonic() - self._missing.get(email, -MISS_TTL) < MISS_TTL:
            return None
        value = await self.store.get_value(REFS, email)
        if value is None:
            self._missing[email] = time.monotonic()
        else:
            self._refs[email] = value
        return value

    async def _put_ref(self, email: str, value: dict[str, Any]) -> None:
        await self.store.put_value(REFS, email, value)
        self._refs[email] = value
        self._missing.pop(email, None)

    async def _remember_channel(self, channel: str, reference: ConversationReference) -> None:
        self._channels.add(channel)
        if await self.store.get_value(CHANNELS, channel) is None:
            reference.conversation.id = channel  # the channel itself, not a thread in it
            await self.store.put_value(CHANNELS, channel, {"reference": reference.serialize()})

    async def remember_chat(self, email: str, reference: ConversationReference) -> None:
        """A personal chat the bot opened itself: use it next time."""
        old = await self._ref(email)
        if old is not None:
            await self._put_ref(email, {**old, "reference": reference.serialize()})

    async def reach(self, email: str) -> Reach | None:
        value = await self._ref(email.lower())
        return Reach.of(value) if value else None

    async def actor_for(self, email: str) -> Actor:
        """Someone named by email (a task's new owner): their Teams id and name if known."""
        email = email.strip().lower()
        reach = await self.reach(email) if email else None
        if reach is None:
            return Actor(PLATFORM, "", email)
        key = person_key(reach.tenant_id, reach.aad_id, reach.user_id)
        known = await self.store.get_value(USERS, key) or {}
        return Actor(PLATFORM, reach.user_id, email, str(known.get("name") or ""))

    async def channel(self, channel_id: str) -> ConversationReference | None:
        value = await self.store.get_value(CHANNELS, channel_id)
        return ConversationReference().deserialize(value["reference"]) if value else None

    async def unreachable(self, emails: Sequence[str]) -> list[str]:
        """Those who never opened the bot: no conversation to send them a card in."""
        return [e for e in emails if await self.reach(e) is None]

    async def teams_ids(self, emails: Sequence[str]) -> list[str]:
        """The Teams ids (29:...) of these people, for those who have used the bot."""
        ids = []
        for email in emails:
            reach = await self.reach(email)
            if reach is not None:
                ids.append(reach.user_id)
        return ids
