"""Signed links to a case's files: exact bytes when valid; 403 when tampered or expired."""

from __future__ import annotations

import hashlib
import io

import aiohttp
import pytest
from docx import Document

from app import FILES_KEY
from bot.errors import NotAllowed
from bot.service.files import FileKind
from tests.conftest import DSL, HEAD, OTHER_HEAD, REPORTER
from tests.e2e.harness import base_env, running_server
from tests.samples import answers_values, png


async def filed_case(server):
    from bot.forms import report_form, to_answers

    service = server.service
    answers = to_answers(
        report_form(service.policy),
        answers_values(history="refused"),
        service.today(),
        "oak-primary",
    )
    case, _ = await service.submit(REPORTER, answers, "files-test")
    evidence = await service.attach_evidence(
        case.reference, REPORTER, "shot.png", "image/png", png("evidence bytes"), "test"
    )
    await service.approve(case.reference, HEAD, case.version, ["warning_letter", "retain_evidence"])
    return case.reference, evidence


async def test_links_download_exact_bytes_and_refuse_tampering(tmp_path):
    async with running_server(base_env(tmp_path / "data")) as server:
        files = server.app[FILES_KEY]
        ref, evidence = await filed_case(server)
        async with aiohttp.ClientSession() as http:
            link = await files.link(ref, DSL, FileKind.EVIDENCE, evidence.sha256)
            async with http.get(server.url + link) as r:
                body = await r.read()
                assert r.status == 200
                assert hashlib.sha256(body).hexdigest() == evidence.sha256
                assert "shot.png" in r.headers["Content-Disposition"]

            letter = await files.link(ref, HEAD, FileKind.LETTER, "warning-letter")
            async with http.get(server.url + letter) as r:
                doc = Document(io.BytesIO(await r.read()))
            assert any("Oak Primary School" in p.text for p in doc.paragraphs)

            tampered = link.replace(evidence.sha256[:4], "0000", 1)
            for bad in (
                tampered,
                link[:-1] + ("0" if link[-1] != "0" else "1"),
                link.split("?")[0],
                link.replace("expires=", "expires=9"),
                link.replace("expires=", "expires=%C2%B2"),  # expires=²: once a 500
                link.replace("expires=", "expires=²&expires="),
                link.replace("kid=", "kid=0"),
                link.replace("for=", "for=x"),
                link + "&for=slack%3AU0HEAD0001",
            ):
                async with http.get(server.url + bad) as r:
                    assert r.status == 403, bad
                    assert evidence.sha256 not in await r.text()

            path = files.path(ref, FileKind.EVIDENCE, evidence.sha256)
            expired = files.signer.sign(path, DSL.key, ttl=-1)
            async with http.get(server.url + expired) as r:
                assert r.status == 403

        with pytest.raises(NotAllowed):
            await files.link(ref, OTHER_HEAD, FileKind.EVIDENCE, evidence.sha256)
