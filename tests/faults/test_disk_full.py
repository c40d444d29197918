"""The disk fills up: the person is told the report was not saved; nothing breaks; it recovers."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import bot.storage.files
from bot.timeline import verify
from tests.e2e import teams_support as tsup
from tests.e2e.slack_support import STEP_PEOPLE, STEP_POST, STEP_WHAT, World, file_report, world
from tests.fakes.slack_session import TEACHER
from tests.faults.support import no_stray_files

__all__ = ["world"]  # the Slack world fixture, used by name


class Disk:
    """The os module as bot.storage.files sees it: every durable write fails with ENOSPC while full.

    bot.storage.files is where both stores write (cases, drafts, evidence, the index snapshot), so
    this is the disk boundary of the server under test, and nothing else is touched.
    """

    def __init__(self) -> None:
        self.full = False
        self.refused = 0

    def __getattr__(self, name: str) -> object:
        return getattr(os, name)

    def write(self, fd: int, data: bytes | memoryview) -> int:
        if self.full:
            self.refused += 1
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return os.write(fd, data)


@pytest.fixture
def disk(monkeypatch: pytest.MonkeyPatch) -> Iterator[Disk]:
    fake = Disk()
    monkeypatch.setattr(bot.storage.files, "os", fake)
    return fake


async def all_intact(service) -> list[str]:  # noqa: ANN001 - the server's CaseService
    refs = await service.store.references()
    for ref in refs:
        record = await service.store.load(ref)
        assert record is not None and verify(record.timeline) == [], ref
    return refs


def says_not_saved(text: str) -> bool:
    return "the disk is full" in text and "Nothing was saved" in text


async def test_slack_a_full_disk_is_said_in_the_modal_and_the_bot_recovers(
    world: World, disk: Disk
):
    slack = world.slack
    await slack.command(TEACHER)
    modal = await slack.opened(TEACHER)
    for answers in (STEP_POST, STEP_PEOPLE, STEP_WHAT):
        await slack.submit(modal, answers)
    disk.full = True
    reply = await slack.submit(modal)  # Submit report
    assert reply.status == 200, reply.text
    assert reply.json["response_action"] == "update"
    assert says_not_saved(modal.text()), modal.text()
    assert disk.refused and await world.server.service.store.references() == []

    # Starting another report while the disk is still full (its draft cannot be kept): the
    # command is acknowledged and the notice opens in place of the form.
    reply = await slack.command(TEACHER)
    assert reply.status == 200, reply.text
    notice = await slack.opened(TEACHER, 2)
    assert says_not_saved(notice.text()), notice.text()

    disk.full = False
    reference = await file_report(world)
    assert await all_intact(world.server.service) == [reference]
    await world.server.idle()
    no_stray_files(world.data_dir)


async def test_teams_a_full_disk_is_said_on_the_card_and_the_bot_recovers(
    tmp_path: Path, disk: Disk
):
    async with tsup.teams_world(tmp_path / "data") as t:
        await t.install(tsup.TEACHER)
        before = len(t.connector.sent())
        await t.say(tsup.TEACHER, "report")
        card = tsup.sent_card((await t.wait_sent(before + 1))[-1])
        form = {"form": card["actions"][0]["data"]["form"]}
        values = tsup.flatten(tsup.answers_values())
        summary = await t.execute(tsup.TEACHER, "report_next", {**form, **values})
        submit = summary["actions"][0]["data"]
        disk.full = True
        refused = await t.execute(tsup.TEACHER, "report_submit", submit)
        assert says_not_saved(str(refused)), refused
        assert await t.server.service.store.references() == []

        disk.full = False
        filed = await t.execute(tsup.TEACHER, "report_submit", submit)
        assert "submitted" in str(filed), filed
        [reference] = await all_intact(t.server.service)
        assert reference in str(filed)
        await t.server.idle()
    no_stray_files(tmp_path / "data")
