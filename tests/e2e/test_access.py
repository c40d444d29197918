"""Who opened what, and need to know, over HTTP: the head's accesses are logged; the reporter
sees their report and status, never the reasons, the tasks' references or the letter."""

from __future__ import annotations

import asyncio
import html
from pathlib import Path
from urllib.parse import quote

from bot.config import EXAMPLE_TRUST
from bot.models import Actor
from cards.ids import FilePayload
from tests.e2e.test_web_channel import Browser, one_case
from tests.samples import png
from tests.test_cli import run

HEAD = Actor("web", "head@oakprimary.example", "head@oakprimary.example", "Hana Head")
TEACHER = Actor("web", "teacher@oakprimary.example", "teacher@oakprimary.example", "Tess")
HEAD_AS_LOGGED = "head@oakprimary.example (web:head@oakprimary.example)"
POLICE_REF = "CAD-4471-26"
DECLINE_REASON = "Discussed with the DSL: police first"


def file_url(ref: str, kind: str, key: str) -> str:
    return f"/cases/{ref}/file?f={quote(FilePayload(ref, kind, key).encode())}"


async def test_the_heads_accesses_are_logged_and_the_reporter_sees_only_their_part(
    tmp_path: Path,
) -> None:
    async with one_case(tmp_path) as (server, http, ref):
        service = server.service
        await service.attach_evidence(ref, TEACHER, "post.png", "image/png", png("t"), "web:upload")
        await service.attach_evidence(ref, HEAD, "dsl-notes.png", "image/png", png("h"), "web")
        await service.approve(ref, HEAD, 1, ["police", "warning_letter", "retain_evidence"])
        case = (await service.get(ref)).case
        police = next(t for t in case.tasks if t.action_id == "police")
        await service.complete_task(ref, HEAD, police.id, "Reported to the police", POLICE_REF)
        await service.make_letter(ref, HEAD)
        await server.idle()
        case = (await service.get(ref)).case
        mine, theirs = case.evidence[0], case.evidence[1]
        assert await service.access_log(ref) == []  # nobody has looked yet

        head = Browser(http, server.url)
        await head.act_as(HEAD.email)
        status, page = await head.get(f"/cases/{ref}")
        assert status == 200 and POLICE_REF in page and "Warning letter (5.1.1)" in page
        async with http.get(server.url + file_url(ref, "evidence", mine.sha256)) as r:
            assert r.status == 200 and await r.read() == png("t")
        env = {"DATA_DIR": str(tmp_path / "data"), "TRUST_CONFIG": str(EXAMPLE_TRUST)}
        out = tmp_path / "case.zip"
        done = await asyncio.to_thread(
            run,
            "export-case",
            ref,
            "--out",
            str(out),
            "--by",
            HEAD.email,
            "--passphrase",
            "for the police, not for the post",
            **env,
        )
        assert done.returncode == 0, done.stderr

        log = await service.access_log(ref)
        assert [(e.kind.value, e.channel) for e in log] == [
            ("case_viewed", "web"),
            ("file_link_issued", "web"),
            ("file_opened", "web"),
            ("case_exported", "cli"),
        ]
        assert [e.actor for e in log[:3]] == [HEAD_AS_LOGGED] * 3
        assert log[3].actor.startswith("head@oakprimary.example (cli:")
        assert log[2].what == f"evidence post.png (SHA-256 {mine.sha256[:12]})"
        printed = (await asyncio.to_thread(run, "access", ref, **env)).stdout
        assert f"{HEAD_AS_LOGGED} opened the case" in printed
        assert f"{HEAD_AS_LOGGED} opened a file: evidence post.png" in printed
        assert "head@oakprimary.example (cli:" in printed and "exported the case" in printed

        # The reporter: their report, its status, their own file; nothing else.
        http.cookie_jar.clear()
        teacher = Browser(http, server.url)
        await teacher.act_as(TEACHER.email)
        status, page = await teacher.get(f"/cases/{ref}")
        assert status == 200
        assert "The year 4 teacher is useless" in page and "post.png" in page
        assert "The school approved action on" in page
        for hidden in (
            POLICE_REF,
            "Reported to the police",  # a task's result
            "Warning letter",
            "dsl-notes.png",  # the head's file
            "5.1.3",  # the approved actions (other people's tasks)
            "head@oakprimary.example",
        ):
            assert hidden not in page, hidden
        for kind, key in (("letter", "warning-letter"), ("evidence", theirs.sha256)):
            async with http.get(server.url + file_url(ref, kind, key)) as r:
                text = html.unescape(await r.text())
                assert r.status == 403, kind
                assert f"This file of {ref} is only for the school's leads." in text
                assert "@" not in text.replace(TEACHER.email, "")  # nobody else's email
        async with http.get(server.url + file_url(ref, "evidence", mine.sha256)) as r:
            assert r.status == 200 and await r.read() == png("t")

        # Refusals are not accesses; the reporter's own look and file are.
        teacher_entries = [e for e in await service.access_log(ref) if "teacher@" in e.actor]
        assert [e.kind.value for e in teacher_entries] == [
            "case_viewed",
            "file_link_issued",
            "file_opened",
        ]


async def test_a_colleague_of_another_school_is_refused_without_anyones_email(
    tmp_path: Path,
) -> None:
    async with one_case(tmp_path) as (server, http, ref):
        other = Browser(http, server.url)
        await other.act_as("head@oaksecondary.example")
        status, page = await other.get(f"/cases/{ref}")
        assert status == 403
        assert f"You are not one of the people who can see {ref}." in html.unescape(page)
        assert "oakprimary.example" not in page
        assert await server.service.access_log(ref) == []
