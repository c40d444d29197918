"""File links end to end: a short key stops the server, rotation keeps old links, links are
bound to the person they were issued to."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qs, urlsplit

import aiohttp

from app import FILES_KEY, main
from bot.links import KEY_FILE
from bot.service.files import FileKind
from tests.conftest import DSL
from tests.e2e.harness import base_env, running_server
from tests.e2e.test_files import filed_case
from tests.e2e.test_web_channel import Browser, one_case
from tests.samples import png
from tests.test_cli import run


def test_an_empty_or_short_key_file_stops_the_server_naming_it(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for content in (b"", b"cut short by a full disk"):
        (data / KEY_FILE).write_bytes(content)
        env = base_env(data)
        done = run(**{k: v for k, v in env.items() if k != "DEMO_MODE"}, DEMO_MODE="1")
        assert done.returncode == 2, done.stderr
        [line] = [x for x in done.stderr.splitlines() if x.startswith("Error:")]
        assert str(data / KEY_FILE) in line and f"this file has {len(content)}" in line
        assert "Traceback" not in done.stderr
        checked = run("check", DATA_DIR=str(data))  # check and the server agree
        assert checked.returncode == 2 and str(data / KEY_FILE) in checked.stderr


async def test_a_link_issued_before_keys_rotate_works_until_it_expires(
    tmp_path, monkeypatch, capsys
):
    async with running_server(base_env(tmp_path / "data")) as server:
        files = server.app[FILES_KEY]
        ref, evidence = await filed_case(server)
        path = files.path(ref, FileKind.EVIDENCE, evidence.sha256)
        before = files.signer.sign(path, DSL.key, ttl=2)
        # `python app.py keys rotate`, in this process so that it takes no time of the link's.
        monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
        assert main(["keys", "rotate", "--only", "links"]) == 0
        old = parse_qs(urlsplit(before).query)["kid"][0]
        said = capsys.readouterr().out.strip()
        assert re.fullmatch(rf"Link-signing key rotated: {old} -> [0-9a-f]{{8}}\. .*", said)
        after = await files.link(ref, DSL, FileKind.EVIDENCE, evidence.sha256)
        assert parse_qs(urlsplit(after).query)["kid"][0] != old
        async with aiohttp.ClientSession() as http:
            for link in (before, after):
                async with http.get(server.url + link) as r:
                    assert r.status == 200 and await r.read() == evidence_bytes(server, evidence)
            await asyncio.sleep(3)  # the old link's five minutes, shortened to two seconds
            async with http.get(server.url + before) as r:
                assert r.status == 403
            async with http.get(server.url + after) as r:
                assert r.status == 200


def evidence_bytes(server, evidence) -> bytes:
    return server.service.store.read_evidence(evidence.sha256)


async def test_a_web_link_opens_only_in_its_persons_session(tmp_path):
    async with one_case(tmp_path) as (server, http, ref):
        teacher = Browser(http, server.url)
        await teacher.act_as("teacher@oakprimary.example")
        await teacher.get(f"/cases/{ref}")
        data = aiohttp.FormData()
        data.add_field("csrf", teacher.csrf)
        data.add_field("evidence", png("mine"), filename="post.png")
        _, text, _ = await teacher.post(f"/cases/{ref}/evidence", data)
        opener = re.search(r'href="(/cases/[^"]+/file\?f=[^"]+)"', text)[1].replace("&amp;", "&")
        async with http.get(server.url + opener, allow_redirects=False) as r:
            signed = r.headers["Location"]
        assert parse_qs(urlsplit(signed).query)["for"] == ["web:teacher@oakprimary.example"]
        async with http.get(server.url + signed) as r:
            assert r.status == 200 and await r.read() == png("mine")
        # Issued to and opened by the person the link names, as the access log records them.
        log = await server.service.access_log(ref)
        who = "teacher@oakprimary.example (web:teacher@oakprimary.example)"
        assert [(e.kind.value, e.actor) for e in log if e.kind.value.startswith("file")] == [
            ("file_link_issued", who),
            ("file_opened", who),
        ]
        # The same link in a browser with no session, and in the head's: refused.
        async with aiohttp.ClientSession() as stranger, stranger.get(server.url + signed) as r:
            assert r.status == 403
        head_jar = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        async with head_jar:
            head = Browser(head_jar, server.url)
            await head.act_as("head@oakprimary.example")
            async with head_jar.get(server.url + signed) as r:
                assert r.status == 403 and "not valid" in await r.text()
