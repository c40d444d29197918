"""What the Teams end-to-end tests share: people, the fake connector, posting activities."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from tests.cards.adaptive import assert_valid_card, cards_in
from tests.e2e.harness import Server, base_env, running_server
from tests.fakes import teams_activities as ta
from tests.fakes.connector import ConnectorCall, FakeConnector
from tests.samples import answers_values

TEACHER = ta.TEACHER
HEAD = ta.HEAD
DEPUTY = ta.TeamsUser(
    "29:1deputyOakPrimary",
    "7b2e3d4c-0000-4f60-8a71-92b3c4d5e6f8",
    "Dee Deputy",
    "deputy@oakprimary.example",
)
DSL = ta.TeamsUser(
    "29:1dslOakPrimary",
    "8c3f4e5d-0000-4f60-8a71-92b3c4d5e6f9",
    "Dan Lead",
    "dsl@oakprimary.example",
)
HEAD2 = ta.TeamsUser(
    "29:1headOakSecondary",
    "9d4a5f6e-0000-4f60-8a71-92b3c4d5e6fa",
    "Sam Second",
    "head@oaksecondary.example",
)
TEACHER2 = ta.TeamsUser(
    "29:1teacherOakSecondary",
    "ad5b6a7f-0000-4f60-8a71-92b3c4d5e6fb",
    "Tom Teach",
    "teacher@oaksecondary.example",
)
EVERYONE = (TEACHER, HEAD, DEPUTY, DSL, HEAD2, TEACHER2)
LEADERSHIP = "19:abc@thread.tacv2"


def chat(user: ta.TeamsUser) -> ta.TeamsConversation:
    return ta.TeamsConversation.personal(f"a:chat-{user.id}")


@dataclass
class Teams:
    """The real server, a fake Bot Connector and a client that posts activities as Teams does."""

    server: Server
    connector: FakeConnector
    http: aiohttp.ClientSession

    @property
    def url(self) -> str:
        return self.connector.service_url

    async def post(
        self, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        async with self.http.post(
            f"{self.server.url}/api/messages", json=payload, headers=headers or {}
        ) as r:
            body = await r.json() if r.content_type == "application/json" else await r.text()
            return r.status, body

    async def install(self, user: ta.TeamsUser) -> None:
        status, _ = await self.post(ta.conversation_update_installed(user, self.url, chat(user)))
        assert status in (200, 201)

    async def say(self, user: ta.TeamsUser, text: str, **options: Any) -> tuple[int, Any]:
        return await self.post(ta.message_from(text, user, chat(user), self.url, **options))

    async def execute(
        self,
        user: ta.TeamsUser,
        verb: str,
        data: dict[str, Any],
        conversation: ta.TeamsConversation | None = None,
        reply_to_id: str | None = None,
    ) -> dict[str, Any]:
        """An Action.Execute click; returns the card of the invoke response (checked)."""
        payload = ta.adaptive_card_invoke(
            verb, data, user, self.url, conversation or chat(user), reply_to_id=reply_to_id
        )
        status, body = await self.post(payload)
        assert status == 200, body
        assert body["statusCode"] == 200
        assert body["type"] == "application/vnd.microsoft.card.adaptive"
        assert_valid_card(body["value"])
        return body["value"]

    async def report(self, user: ta.TeamsUser, **overrides: Any) -> dict[str, Any]:
        """Fill the form in a personal chat and submit it; returns the last card."""
        before = len(self.connector.sent(chat(user).id))
        await self.say(user, "report")
        card = await self.form_card(user, before)
        form_key = card["actions"][0]["data"]["form"]
        values = flatten(answers_values(**overrides))
        summary = await self.execute(user, "report_next", {"form": form_key, **values})
        submit = summary["actions"][0]
        assert submit["verb"] == "report_submit", summary
        return await self.execute(user, "report_submit", submit["data"])

    async def form_card(self, user: ta.TeamsUser, before: int, timeout: float = 10.0) -> dict:
        """The report form sent to this person after `before` messages in their chat.

        Looked for by its form key, not taken as the last message: a notice (a receipt, a
        reminder) may reach the same chat in between.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            for call in self.connector.sent(chat(user).id)[before:]:
                card = sent_card(call)
                if "form" in ((card.get("actions") or [{}])[0].get("data") or {}):
                    return card
            await asyncio.sleep(0.02)
        raise AssertionError(f"no report form reached {user.id}:\n{self.connector.summary()}")

    async def wait_reply(
        self, user: ta.TeamsUser, before: int, contains: str, timeout: float = 10.0
    ) -> str:
        """The text of the first message in this person's chat, after `before` of them,
        that contains `contains`: a notice for someone else (the head's card) may be sent
        in between, so the last message sent anywhere is not the reply."""
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            for call in self.connector.sent(chat(user).id)[before:]:
                text = call.activity.get("text") or ""
                if contains in text:
                    return text
            await asyncio.sleep(0.02)
        sent = self.connector.summary()
        raise AssertionError(f"no reply with {contains!r} for {user.id}:\n{sent}")

    async def wait_sent(self, count: int, timeout: float = 10.0) -> list[ConnectorCall]:
        """Wait for `count` messages (sends and replies) in all; returns them all."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.connector.sent()) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"wanted {count} messages:\n{self.connector.summary()}")
            await asyncio.sleep(0.02)
        return self.connector.sent()


def flatten(values: dict[str, Any]) -> dict[str, Any]:
    """Form values as Teams sends inputs: multi-selects as 'a,b'."""
    return {k: ",".join(v) if isinstance(v, list) else v for k, v in values.items()}


def sent_card(call: ConnectorCall) -> dict[str, Any]:
    """The one Adaptive Card an activity carried, checked against the schema."""
    cards = cards_in(call.activity.get("attachments") or [])
    assert len(cards) == 1, call.activity
    assert_valid_card(cards[0])
    return cards[0]


def assert_all_cards_valid(connector: FakeConnector) -> int:
    count = 0
    for call in connector.calls:
        for card in cards_in(call.body):
            assert_valid_card(card)
            count += 1
    return count


@asynccontextmanager
async def teams_world(data_dir: Path, **env: str) -> AsyncIterator[Teams]:
    async with FakeConnector() as connector:
        for user in EVERYONE:
            connector.members[user.id] = user.member()
        async with running_server(base_env(data_dir, **env)) as server:  # demo mode by default
            async with aiohttp.ClientSession() as http:
                yield Teams(server, connector, http)
