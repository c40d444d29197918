"""Evidence by content: pictures and PDFs by their first bytes; HTML, SVG, programs refused."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import aiohttp
import pytest

from app import FILES_KEY
from bot.service.files import FileKind
from tests.conftest import DSL, REPORTER
from tests.e2e.harness import base_env, running_server
from tests.e2e.slack_support import FILES, PNG, STEP_POST, World, file_report
from tests.e2e.teams_support import TEACHER, chat, teams_world
from tests.e2e.test_web_channel import Browser, one_case
from tests.fakes import teams_activities as ta
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_session import TOKEN, USERS, SlackClient, slack_env
from tests.samples import png

HTML = b"<!doctype html><script>fetch('/cases').then(r => r.text()).then(alert)</script>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"/>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
# Named and typed as pictures, as an attacker would send them.
HOSTILE = {"post.html.png": HTML, "logo.svg": SVG, "screenshot.exe.jpg": EXE}
REASON = "is not a picture or a PDF; evidence can be PNG, JPEG, GIF, WebP or HEIC pictures"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"jpeg bytes"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 "
GIF = b"GIF89a\x01\x00\x01\x00"


def stored_files(data_dir: Path) -> set[str]:
    return {p.name for p in (data_dir / "evidence").rglob("*") if p.is_file()}


async def test_web_upload_refuses_html_svg_and_programs_with_the_reason(tmp_path):
    async with one_case(tmp_path) as (server, http, ref):
        teacher = Browser(http, server.url)
        await teacher.act_as("teacher@oakprimary.example")
        await teacher.get(f"/cases/{ref}")
        data = aiohttp.FormData()
        data.add_field("csrf", teacher.csrf)
        for name, content in HOSTILE.items():
            data.add_field("evidence", content, filename=name, content_type="image/png")
        status, text, _ = await teacher.post(f"/cases/{ref}/evidence", data)
        assert status == 422
        for name in HOSTILE:
            assert f"{name} {REASON}" in text
        assert (await server.service.get(ref)).case.evidence == ()
        assert stored_files(tmp_path / "data") == set()


async def test_web_report_form_refuses_them_too_and_keeps_nothing(tmp_path):
    async with (
        running_server(base_env(tmp_path / "data")) as server,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        teacher = Browser(http, server.url)
        await teacher.act_as("teacher@oakprimary.example")
        _, page = await teacher.get("/report")
        step = re.search(r'action="(/report/[^"]+/0)"', page)[1]
        assert 'accept="image/png,image/jpeg,image/gif,image/webp,image/heic' in page
        data = aiohttp.FormData()
        data.add_field("csrf", teacher.csrf)
        for name, content in HOSTILE.items():
            data.add_field("evidence", content, filename=name, content_type="image/png")
        status, text, _ = await teacher.post(step, data)
        assert status == 422
        for name in HOSTILE:
            assert f"{name} {REASON}" in text
        assert stored_files(tmp_path / "data") == set()


async def test_web_upload_limits_files_and_parts_before_writing(tmp_path):
    async with one_case(tmp_path) as (server, http, ref):
        limit = server.service.trust.evidence_max_files
        teacher = Browser(http, server.url)
        await teacher.act_as("teacher@oakprimary.example")
        await teacher.get(f"/cases/{ref}")
        data = aiohttp.FormData()
        data.add_field("csrf", teacher.csrf)
        for n in range(limit + 2):
            data.add_field("evidence", png(f"shot {n}"), filename=f"{n}.png")
        status, text, _ = await teacher.post(f"/cases/{ref}/evidence", data)
        assert status == 422
        assert f"At most {limit} files at a time: {limit}.png was not added." in text
        kept = (await server.service.get(ref)).case.evidence
        assert [e.name for e in kept] == [f"{n}.png" for n in range(limit)]
        assert stored_files(tmp_path / "data") == {e.sha256 for e in kept}
        # A case already full: the next file is refused before it reaches the disk.
        one = aiohttp.FormData()
        one.add_field("csrf", teacher.csrf)
        one.add_field("evidence", png("one too many"), filename="late.png")
        status, text, _ = await teacher.post(f"/cases/{ref}/evidence", one)
        assert status == 422 and f"A case can keep at most {limit} files" in text
        assert stored_files(tmp_path / "data") == {e.sha256 for e in kept}
        # More parts than any form has: refused unread.
        many = aiohttp.FormData()
        many.add_field("csrf", teacher.csrf)
        for n in range(150):
            many.add_field(f"field{n}", "x")
        many.add_field("evidence", png("not read"), filename="unread.png")
        status, text, _ = await teacher.post(f"/cases/{ref}/evidence", many)
        assert status == 413 and "more than 100 parts" in text
        assert stored_files(tmp_path / "data") == {e.sha256 for e in kept}


async def test_teams_chat_refuses_them_with_the_reason(tmp_path):
    async with teams_world(tmp_path / "data") as world:
        await world.install(TEACHER)
        card = await world.report(TEACHER)
        reference = card["body"][0]["text"].split()[1]
        attachments = []
        for name, content in HOSTILE.items():
            world.connector.files[name] = content
            attachments.append(ta.file_download_attachment(name, world.connector.file_url(name)))
        before = len(world.connector.sent(chat(TEACHER).id))
        await world.say(TEACHER, "", attachments=attachments)
        reply = await world.wait_reply(TEACHER, before, "Not added to")
        for name in HOSTILE:
            assert f"Not added to {reference}: {name} {REASON}" in reply
        assert (await world.server.service.get(reference)).case.evidence == ()
        assert stored_files(tmp_path / "data") == set()


async def test_slack_evidence_refused_is_said_to_the_reporter(tmp_path):
    files = dict(FILES)
    for n, (name, content) in enumerate(HOSTILE.items()):
        files[f"F0HOSTILE{n}"] = {"name": name, "mimetype": "image/png", "content": content}
    async with FakeSlackApi(users=USERS, files=files, token=TOKEN) as api:
        env = base_env(tmp_path / "data", **slack_env(api))
        async with running_server(env) as server, aiohttp.ClientSession() as http:
            w = World(api, server, SlackClient(server.url, api, http), tmp_path / "data")
            evidence = ["F0SHOT0001", *(k for k in files if k.startswith("F0HOSTILE"))]
            reference = await file_report(w, post={**STEP_POST, "evidence": evidence})
            await server.idle()
            record = await server.service.get(reference)
    assert [e.sha256 for e in record.case.evidence] == [hashlib.sha256(PNG).hexdigest()]
    told = json.dumps([c.args for c in api.calls_to("chat.postMessage")])
    for name in HOSTILE:
        assert f"{name} was not kept as evidence for {reference}: {name} {REASON}" in told
    assert stored_files(tmp_path / "data") == {hashlib.sha256(PNG).hexdigest()}


@pytest.mark.parametrize(
    ("content", "detected"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (GIF, "image/gif"),
        (WEBP, "image/webp"),
        (HEIC, "image/heic"),
        (PDF, "application/pdf"),
    ],
)
async def test_accepted_types_are_kept_as_detected_and_served_as_downloads(
    tmp_path, content, detected
):
    from tests.e2e.test_files import filed_case

    async with running_server(base_env(tmp_path / "data")) as server:
        ref, _ = await filed_case(server)
        service = server.service
        # Claimed as HTML with a parameter: the stored type is what the bytes are.
        kept = await service.attach_evidence(
            ref, REPORTER, "shot", "text/html; charset=utf-8", content, "test"
        )
        assert kept.media_type == detected
        link = await server.app[FILES_KEY].link(ref, DSL, FileKind.EVIDENCE, kept.sha256)
        async with aiohttp.ClientSession() as http, http.get(server.url + link) as r:
            assert r.status == 200 and await r.read() == content
            assert r.headers["Content-Type"] == detected
            assert r.headers["Content-Disposition"].startswith("attachment;")
            assert r.headers["X-Content-Type-Options"] == "nosniff"
            assert r.headers["Content-Security-Policy"] == "sandbox"


async def test_a_type_with_parameters_stays_downloadable(tmp_path):
    """A file kept before types were checked, recorded with parameters, still downloads."""
    from dataclasses import replace

    from tests.e2e.test_files import filed_case

    async with running_server(base_env(tmp_path / "data")) as server:
        ref, evidence = await filed_case(server)
        store = server.service.store
        record = await store.load(ref)
        old = replace(evidence, media_type="image/png; name=shot.png")
        case = replace(record.case, evidence=(old,))
        await store.save(replace(record, case=case, revision=record.revision + 1))
        link = await server.app[FILES_KEY].link(ref, DSL, FileKind.EVIDENCE, evidence.sha256)
        async with aiohttp.ClientSession() as http, http.get(server.url + link) as r:
            assert r.status == 200
            assert r.headers["Content-Type"] == "image/png"
            assert re.match(
                r"attachment; filename\*=UTF-8''shot.png", r.headers["Content-Disposition"]
            )
