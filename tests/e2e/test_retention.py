"""Retention through the real server, on TinyDB and PostgreSQL: a declined and a never-closed
case are flagged to the approvers, then removed; their Slack and Teams cards are replaced
first, and afterwards only the anonymous record names them, on disk or in the database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from app import RETENTION_KEY
from bot.models import Status
from bot.retention import PURGED
from bot.sealing import Sealer
from bot.storage.port import Store
from bot.storage.postgres_store import PostgresStore
from tests.conftest import Clock
from tests.e2e import teams_support as tsup
from tests.e2e.harness import Server, base_env, running_server
from tests.e2e.slack_support import click_card, file_report, posted_to, slack_world
from tests.fakes.connector import FakeConnector
from tests.fakes.slack_session import (
    DEPUTY,
    HEAD,
    LEADERS,
)
from tests.sealed_files import plaintext

SENTENCE = "Retention-test sentence: the caretaker parks on the zigzags"
LATER = datetime(2032, 12, 20, 9, 0, tzinfo=UTC)  # six years and a bit after the reports
REMOVED = "was removed under the trust's retention policy"


def store_for(kind: str, data: Path, request: pytest.FixtureRequest) -> Store | None:
    if kind == "tinydb":
        return None  # the one DATA_DIR names
    return PostgresStore(request.getfixturevalue("pg_url"), data)


async def tick(server: Server) -> None:
    """One look of the server's own retention loop, then the outbox's deliveries."""
    await server.app[RETENTION_KEY].tick()
    await server.idle()


async def flag_then_purge(server: Server, clock: Clock, refs: list[str]) -> None:
    """Past retention: flagged (notices out); past the grace: cards replaced, then removed."""
    clock.now = LATER
    await tick(server)
    for ref in refs:
        record = await server.service.get(ref)
        assert "retention_flagged" in [e.kind for e in record.timeline]
        assert record.pending == ()  # the approvers' notices went out
    clock.now = LATER + timedelta(days=server.service.trust.retention_grace_days)
    await tick(server)  # the cards are replaced through the outbox...
    await tick(server)  # ...and once that went out, the cases go
    assert [r for r in refs if await server.service.store.load(r) is not None] == []


def files_naming(data: Path, ref: str) -> list[str]:
    return sorted(
        str(p.relative_to(data))
        for p in data.rglob("*")
        if p.is_file() and ref.encode() in plaintext(p, data)  # opened where sealed
    )


async def rows_naming(url: str, ref: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        tables = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        found = []
        for t in tables:
            name = t["table_name"]
            rows = await conn.fetch(
                # the table names come from the server's own catalogue, not from input
                f'SELECT t::text AS row FROM "{name}" t WHERE t::text LIKE $1',  # noqa: S608
                f"%{ref}%",
            )
            found += [f"{name}: {r['row'][:80]}" for r in rows]
        return found
    finally:
        await conn.close()


async def assert_only_the_anonymous_record(
    kind: str, data: Path, request: pytest.FixtureRequest, refs: list[str]
) -> None:
    for ref in refs:
        if kind == "tinydb":
            assert files_naming(data, ref) == ["values/purged.json"]
            kept = json.loads(plaintext(data / "values" / "purged.json", data))
            [record] = [d["value"] for d in kept["values"].values() if d["key"] == ref]
        else:
            assert files_naming(data, ref) == []
            url = request.getfixturevalue("pg_url")
            rows = await rows_naming(url, ref)
            assert len(rows) == 1 and rows[0].startswith(f"key_values: ({PURGED},{ref},"), rows
            conn = await asyncpg.connect(url)
            try:
                raw = await conn.fetchval(
                    "SELECT value FROM key_values WHERE tbl = $1 AND key = $2", PURGED, ref
                )
            finally:
                await conn.close()
            record = Sealer.for_data_dir(data).open_json(json.loads(raw), f"value:{PURGED}:{ref}")
        assert record["reference"] == ref and record["school"] == "oak-primary"
        assert "@" not in json.dumps(record) and SENTENCE not in json.dumps(record)
    # the servers have stopped: nothing else runs on the loop while the test reads the folder
    files = [p for p in data.rglob("*") if p.is_file()]  # noqa: ASYNC240
    assert not any(SENTENCE.encode() in plaintext(p, data) for p in files)


def slack_world_of(kind: str, data: Path, request: pytest.FixtureRequest):  # noqa: ANN201
    if kind == "postgresql":
        return slack_world(data, DATABASE_URL=request.getfixturevalue("pg_url"))
    return slack_world(data)


@pytest.mark.parametrize("kind", ["tinydb", "postgresql"])
async def test_slack_declined_and_never_closed_cases_are_flagged_then_removed(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
):
    data = tmp_path / "data"
    post = {"platform": "facebook", "post_text": SENTENCE}
    async with slack_world_of(kind, data, request) as w:
        clock = Clock()
        w.server.service.clock = clock
        declined = await file_report(w, post=post)
        left_open = await file_report(w, post=post)
        opened = len(w.api.calls_to("views.open"))
        await click_card(w, HEAD, declined, "case_decline")
        modal = await w.slack.opened(HEAD, opened + 1)
        await w.slack.submit(modal, {"decline_reason": "Not about our school"})
        await w.server.idle()
        assert (await w.server.service.get(declined)).case.status is Status.DECLINED
        cards, posts = {}, {}
        for ref in (declined, left_open):
            record = await w.server.service.get(ref)
            [card] = record.case.message("slack", "approval")
            cards[ref] = (card.conversation, card.message_id)
            assert SENTENCE in json.dumps(w.api.messages[cards[ref]])
            posts[ref] = {(m.conversation, m.message_id) for m in record.case.messages}
        # The reporter's receipt is kept too; for the declined case the decision in the card's
        # thread and the reporter's notice of it.
        assert len(posts[left_open]) == 2 and len(posts[declined]) >= 4, posts

        # Someone deleted the reporter's receipt meanwhile: its replacement is skipped.
        [receipt] = [p for p in posts[left_open] if p != cards[left_open]]
        del w.api.messages[receipt]
        posts[left_open].discard(receipt)

        await flag_then_purge(w.server, clock, [declined, left_open])

        for approver in (HEAD, DEPUTY):
            told = [p["text"] for p in posted_to(w, approver)]
            for ref in (declined, left_open):
                assert f"Report {ref} is due to be removed" in told
        for ref, where in cards.items():
            replaced = json.dumps(w.api.messages[where])
            assert SENTENCE not in replaced and REMOVED in replaced and ref in replaced
        # Every message the bot posted about either case now says only that it was removed.
        for where, message in w.api.messages.items():
            for ref in (declined, left_open):
                if ref in json.dumps(message):
                    assert REMOVED in json.dumps(message), (where, message)
        assert not any(SENTENCE in json.dumps(m) for m in w.api.messages.values())
        notices = [(p["channel"], p["ts"]) for p in (c.args for c in w.api.calls_to("chat.update"))]
        for ref in (declined, left_open):
            assert posts[ref] <= set(notices)
        updates = [c.args for c in w.api.calls_to("chat.update") if c.args["channel"] == LEADERS]
        assert {(u["channel"], u["ts"]) for u in updates} >= set(cards.values())
    await assert_only_the_anonymous_record(kind, data, request, [declined, left_open])


@pytest.mark.parametrize("kind", ["tinydb", "postgresql"])
async def test_teams_declined_and_never_closed_cases_are_flagged_then_removed(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
):
    data = tmp_path / "data"
    store = store_for(kind, data, request)
    async with FakeConnector() as connector:
        for user in tsup.EVERYONE:
            connector.members[user.id] = user.member()
        env = base_env(data, DEMO_MODE="1")
        async with running_server(env, store) as server, aiohttp.ClientSession() as http:
            teams = tsup.Teams(server, connector, http)
            clock = Clock()
            server.service.clock = clock
            await teams.install(tsup.HEAD)
            refs = []
            for _ in range(2):
                await teams.install(tsup.TEACHER)
                card = await teams.report(tsup.TEACHER, post_text=SENTENCE)
                refs.append(card["body"][0]["text"].split()[1])
                await server.idle()
            declined, left_open = refs
            await teams.execute(
                tsup.HEAD, "case_decline", {"case": f"{declined}:1", "decline_reason": "No"}
            )
            await server.idle()
            assert (await server.service.get(declined)).case.status is Status.DECLINED
            cards, posts = {}, {}
            for ref in refs:
                case = (await server.service.get(ref)).case
                [card_ref] = case.message("teams", "approval")
                cards[ref] = (card_ref.conversation, card_ref.message_id)
                posts[ref] = {(m.conversation, m.message_id) for m in case.messages}
                assert len(posts[ref]) >= 2  # the card and the receipt in the reporter's chat

            await flag_then_purge(server, clock, refs)

            told = json.dumps([c.activity for c in connector.sent(tsup.chat(tsup.HEAD).id)])
            for ref in refs:
                assert f"{ref} is past the trust's retention period" in told
            for ref, (conversation, activity_id) in cards.items():
                last = [u for u in connector.updates(conversation) if u.activity_id == activity_id][
                    -1
                ]
                card = tsup.sent_card(last)
                assert f"{ref} was removed" in json.dumps(card)
                assert "under the trust's retention policy" in json.dumps(card)
                assert SENTENCE not in json.dumps(card)
                assert last.activity["summary"] == f"Report {ref} was removed"
            updated = {(u.conversation_id, u.activity_id) for u in connector.updates()}
            for ref in refs:
                assert posts[ref] <= updated
            for ref in refs:  # every message of the bot's that named the case, now says removed
                for call in connector.sent():
                    if ref in json.dumps(call.activity):
                        done = [
                            u
                            for u in connector.updates(call.conversation_id)
                            if u.activity_id == call.result_id
                        ]
                        assert done and f"{ref} was removed" in json.dumps(done[-1].activity)
            tsup.assert_all_cards_valid(connector)
    await assert_only_the_anonymous_record(kind, data, request, refs)
