"""Teams people by tenant and object id: the roster's email believed 5 minutes, references kept."""

from __future__ import annotations

import asyncio

from handlers.teams import people
from tests.e2e.teams_support import HEAD, TEACHER, teams_world
from tests.fakes import teams_activities as ta

IMPOSTOR = ta.TeamsUser(
    "29:1impostorOakPrimary",
    "f00dface-0000-4f60-8a71-92b3c4d5e6ff",
    "Ivan Impostor",
    HEAD.email,  # the roster says the head's address: renamed, reassigned or claimed
)


async def test_a_reference_is_never_replaced_by_another_persons(tmp_path, caplog):
    async with teams_world(tmp_path / "data") as world:
        store = world.server.service.store
        await world.install(HEAD)
        kept = await store.get_value(people.REFS, HEAD.email)
        assert kept["user_id"] == HEAD.id and kept["aad_id"] == HEAD.aad_object_id
        world.connector.members[IMPOSTOR.id] = IMPOSTOR.member()
        await world.install(IMPOSTOR)
        status, _ = await world.say(IMPOSTOR, "help")
        assert status in (200, 201)
        assert await store.get_value(people.REFS, HEAD.email) == kept  # still the head's chat
        assert any("another person has that email now" in r.getMessage() for r in caplog.records)
        # Each is known by tenant and object id, whatever the email says.
        for user in (HEAD, IMPOSTOR):
            key = f"{ta.TENANT_ID}:{user.aad_object_id}"
            assert (await store.get_value(people.USERS, key))["user_id"] == user.id


async def test_the_rosters_email_is_believed_for_five_minutes_at_most(tmp_path, monkeypatch):
    monkeypatch.setattr(people, "EMAIL_TTL", 1.0)  # five minutes in the server; a second here
    async with teams_world(tmp_path / "data") as world:
        store = world.server.service.store
        key = f"{ta.TENANT_ID}:{TEACHER.aad_object_id}"

        def roster_reads() -> int:
            return len(world.connector.of_kind("get_member"))

        await world.say(TEACHER, "help")
        assert roster_reads() == 1
        moved = {**TEACHER.member(), "email": "t.teacher@oakprimary.example"}
        world.connector.members[TEACHER.id] = moved  # the address changed in Entra
        await world.say(TEACHER, "help")
        assert roster_reads() == 1  # within the time: the email known is used
        assert (await store.get_value(people.USERS, key))["email"] == TEACHER.email
        await asyncio.sleep(1.1)
        await world.say(TEACHER, "help")
        assert roster_reads() == 2  # asked again
        assert (await store.get_value(people.USERS, key))["email"] == moved["email"]
        assert (await store.get_value(people.REFS, TEACHER.email))["user_id"] == TEACHER.id
