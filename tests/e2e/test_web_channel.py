"""The web channel over HTTP: demo mode only, CSRF, one decision, files, evidence and the inbox."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from docx import Document
from yarl import URL

from app import build_app, describe, load
from bot.config import Settings
from bot.drafts import long_date
from bot.models import Status
from handlers.web.identity import COOKIE
from tests.conftest import REPORTER
from tests.e2e.harness import (
    BEFORE_CHRISTMAS,
    DUE_AFTER_CHRISTMAS,
    SHOWN_AFTER_CHRISTMAS,
    Server,
    ServerProcess,
    base_env,
    christmas_trust,
    running_server,
)
from tests.samples import answers_values, png

REF = "OAK-2026-0001"
STYLESHEET = Path(__file__).resolve().parents[2] / "cards" / "static" / "style.css"


class Browser:
    """A cookie jar and the CSRF token of the last page, like a person's browser."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        self.http = http
        self.url = url
        self.csrf = ""

    async def get(self, path: str) -> tuple[int, str]:
        async with self.http.get(self.url + path) as r:
            text = await r.text()
        found = re.search(r'name="csrf" value="([^"]+)"', text)
        self.csrf = found[1] if found else self.csrf
        return r.status, text

    async def post(self, path: str, data: dict | aiohttp.FormData) -> tuple[int, str, str]:
        if isinstance(data, dict):
            data = {"csrf": self.csrf, **data}
        async with self.http.post(self.url + path, data=data) as r:
            return r.status, await r.text(), str(r.url)

    async def act_as(self, email: str) -> None:
        await self.get("/")
        status, _, _ = await self.post("/identity", {"email": email})
        assert status == 200
        await self.get("/")


@asynccontextmanager
async def one_case(tmp_path: Path) -> AsyncIterator[tuple[Server, aiohttp.ClientSession, str]]:
    """A running server with the web channel, a browser's cookie jar, and one case filed."""
    async with (
        running_server(base_env(tmp_path / "data")) as server,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        yield server, http, await file_a_case(server)


async def file_a_case(server) -> str:
    from bot.forms import report_form, to_answers
    from bot.models import Actor

    service = server.service
    answers = to_answers(
        report_form(service.policy), answers_values(), service.today(), "oak-primary"
    )
    teacher = Actor("web", REPORTER.email, REPORTER.email, "Teacher, Oak Primary School")
    case, _ = await service.submit(teacher, answers, "web:test")
    await server.idle()
    return case.reference


def test_the_web_channel_is_off_unless_demo_mode(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data", DEMO_MODE="")
    loaded = load(Settings.from_env(env))
    app = build_app(loaded)
    paths = {r.canonical for r in app.router.resources()}
    assert "/" not in paths and "/report" not in paths and "/healthz" in paths
    assert any(
        line.startswith("Web: disabled (DEMO_MODE not set: the demo web channel has no sign-in")
        for line in describe(loaded)
    )
    local = build_app(load(Settings.from_env(base_env(tmp_path / "data2"))))
    assert "/" in {r.canonical for r in local.router.resources()}


async def test_python_app_py_says_where_to_click(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data")
    server = ServerProcess(env)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{server.url}/") as r:
                assert r.status == 200
                page = await r.text()
                assert "Demo identity: this is not sign-in." in page
                assert r.headers["Content-Security-Policy"].startswith("default-src 'none'")
            assert '<link rel="stylesheet" href="/static/style.css">' in page
            for path in ("/static/style.css", "/web.css"):  # the old address still answers
                async with http.get(f"{server.url}{path}") as r:
                    assert r.status == 200 and r.content_type == "text/css"
                    assert await r.text() == STYLESHEET.read_text(encoding="utf-8")
    finally:
        server.stop()
    log = server.log.read_text()
    assert f"Try it in your browser: http://127.0.0.1:{env['PORT']}/" in log
    assert "Web: enabled" in log


async def test_posts_need_the_token_of_the_identity_cookie(tmp_path: Path) -> None:
    async with one_case(tmp_path) as (server, http, ref):
        me = Browser(http, server.url)
        await me.act_as("head@oakprimary.example")
        cookie = next(c for c in http.cookie_jar if c.key == COOKIE)
        assert cookie["httponly"] and cookie["samesite"] == "Strict"
        status, text, _ = await me.post(
            f"/cases/{ref}/act", {"csrf": "forged", "action": "case_approve", "value": f"{ref}:1"}
        )
        assert status == 403 and "expired or came from another site" in text
        tampered = cookie.value[:-1] + ("0" if cookie.value[-1] != "0" else "1")
        http.cookie_jar.clear()
        http.cookie_jar.update_cookies({COOKIE: tampered}, URL(server.url))
        async with http.get(f"{server.url}/inbox", allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/"
        assert (await server.service.get(ref)).case.decision is None


async def test_two_approvals_make_one_decision_and_the_second_is_told(tmp_path: Path) -> None:
    async with one_case(tmp_path) as (server, http, ref):
        head = Browser(http, server.url)
        await head.act_as("head@oakprimary.example")
        status, inbox = await head.get("/inbox")
        assert f"New report {ref} needs your decision" in inbox
        assert "The year 4 teacher" not in inbox  # content-free notice: details on the card
        await head.get(f"/cases/{ref}")
        form = {"action": "case_approve", "value": f"{ref}:1", "decision_actions": "discuss"}
        status, text, url = await head.post(f"/cases/{ref}/act", form)
        assert status == 200 and url.endswith("?done=case_approve")
        assert "Approved by Head, Oak Primary School" in text
        status, text, _ = await head.post(f"/cases/{ref}/act", form)
        assert status == 200 and "You already approved" in text
        record = await server.service.get(ref)
        assert [e.kind for e in record.timeline].count("decision_approved") == 1
        assert record.case.status is Status.APPROVED


async def test_blank_decline_shows_the_error_by_the_reason_box(tmp_path: Path) -> None:
    async with one_case(tmp_path) as (server, http, ref):
        head = Browser(http, server.url)
        await head.act_as("deputy@oakprimary.example")
        await head.get(f"/cases/{ref}")
        status, text, _ = await head.post(
            f"/cases/{ref}/act", {"action": "case_decline", "value": f"{ref}:1"}
        )
        assert status == 422
        assert 'aria-describedby="decline_reason-error"' in text
        assert "<details open>" in text and 'role="alert"' in text


async def test_evidence_upload_and_a_signed_file_link(tmp_path: Path) -> None:
    async with one_case(tmp_path) as (server, http, ref):
        teacher = Browser(http, server.url)
        await teacher.act_as("teacher@oakprimary.example")
        await teacher.get(f"/cases/{ref}")
        data = aiohttp.FormData()
        data.add_field("csrf", teacher.csrf)
        data.add_field("evidence", png("png bytes"), filename="post.png", content_type="image/png")
        status, text, _ = await teacher.post(f"/cases/{ref}/evidence", data)
        assert status == 200 and "post.png" in text
        evidence = (await server.service.get(ref)).case.evidence
        assert [(e.name, e.source) for e in evidence] == [("post.png", "web:upload")]
        link = re.search(r'href="(/cases/[^"]+/file\?f=[^"]+)"', text)[1]
        async with http.get(server.url + link.replace("&amp;", "&")) as r:
            assert r.status == 200 and await r.read() == png("png bytes")
            assert "/files/" in str(r.url) and "signature=" in str(r.url)
        empty = aiohttp.FormData()
        empty.add_field("csrf", teacher.csrf)
        empty.add_field("evidence", b"", filename="", content_type="application/octet-stream")
        status, text, _ = await teacher.post(f"/cases/{ref}/evidence", empty)
        assert status == 422 and "Choose a file to upload." in text


async def test_notices_are_filed_once_per_outbox_message(tmp_path: Path) -> None:
    async with running_server(base_env(tmp_path / "data")) as server:
        ref = await file_a_case(server)
        record = await server.service.get(ref)
        from handlers.web.sender import WebSender, inbox_of

        sender = WebSender(server.service)
        receipt = next(m for m in record.outbox if m.notice.value == "receipt")
        await sender.deliver(record, receipt)  # a retry of a message already delivered
        items = await inbox_of(server.service, REPORTER.email)
        assert [i["headline"] for i in items] == [f"Report {ref} received"]


async def test_follow_through_mark_done_reassign_and_close(tmp_path: Path) -> None:
    async with one_case(tmp_path) as (server, http, ref):
        head = Browser(http, server.url)
        await head.act_as("head@oakprimary.example")
        await head.get(f"/cases/{ref}")
        approve = {"action": "case_approve", "value": f"{ref}:1"}
        await head.post(f"/cases/{ref}/act", {**approve, "decision_actions": "discuss"})
        task = {"action": "task_done", "value": f"{ref}:t1"}
        status, text, _ = await head.post(f"/cases/{ref}/act", task)
        assert status == 422 and 'aria-describedby="task_result-t1-error"' in text
        done = {**task, "task_result": "Met the parent; post taken down", "task_reference": ""}
        status, text, _ = await head.post(f"/cases/{ref}/act", done)
        assert status == 200 and "The task is marked done." in text
        close = {"action": "case_close", "value": f"{ref}:2", "close_outcome": "post_removed"}
        status, text, _ = await head.post(f"/cases/{ref}/act", {**close, "close_note": "Gone"})
        assert status == 200 and "Closed by Head, Oak Primary School" in text
        assert 'value="case_reopen"' in text
        await server.idle()
        teacher = Browser(http, server.url)
        await teacher.act_as("teacher@oakprimary.example")
        _, inbox = await teacher.get("/inbox")
        assert f"{ref} is closed" in inbox and "post removed" in inbox
        case = (await server.service.get(ref)).case
        assert case.status is Status.CLOSED and case.tasks[0].result.startswith("Met the parent")


async def test_the_letter_form_makes_the_letter_once_and_every_open_gives_the_same_bytes(
    tmp_path: Path,
) -> None:
    async with one_case(tmp_path) as (server, http, ref):
        head = Browser(http, server.url)
        await head.act_as("head@oakprimary.example")
        await head.get(f"/cases/{ref}")
        approve = {"action": "case_approve", "value": f"{ref}:1"}
        await head.post(f"/cases/{ref}/act", {**approve, "decision_actions": "warning_letter"})
        _, page = await head.get(f"/cases/{ref}")
        assert "Warning letter (5.1.1): not made yet" in page and 'type="date"' in page
        make = {"action": "case_make_letter", "value": f"{ref}:letter:warning-letter"}
        # A date that is not after today is refused by the box; nothing is made.
        today = server.service.today()
        status, text, _ = await head.post(
            f"/cases/{ref}/act", {**make, "letter_remove_by": today.isoformat()}
        )
        assert status == 422 and "Choose a date after today" in text
        assert 'aria-invalid="true"' in text and "<details open>" in text
        assert not (await server.service.get(ref)).case.evidence
        remove_by = today + timedelta(days=10)
        status, text, _ = await head.post(
            f"/cases/{ref}/act", {**make, "letter_remove_by": remove_by.isoformat()}
        )
        assert status == 200 and "The letter is made and kept with the case" in text
        record = await server.service.get(ref)
        [letter] = record.case.evidence
        [made] = [e for e in record.timeline if e.kind == "letter_made"]
        assert made.after["sha256"] == letter.sha256 in made.summary
        # Opened twice, the second time days later: the same bytes, the hash on the timeline.
        link = re.search(r'href="(/cases/[^"]+/file\?f=[^"]+letter[^"]+)"', text)[1]
        bodies = []
        for days in (0, 3):
            server.service.clock = lambda days=days: datetime.now(UTC) + timedelta(days=days)
            async with http.get(server.url + link.replace("&amp;", "&")) as r:
                assert r.status == 200 and "/files/" in str(r.url)
                bodies.append(await r.read())
        assert bodies[0] == bodies[1]
        assert hashlib.sha256(bodies[0]).hexdigest() == letter.sha256
        words = "\n".join(p.text for p in Document(io.BytesIO(bodies[0])).paragraphs)
        assert f"removed by {long_date(remove_by)} at the latest" in words
        # Pressing the form again (an old page) makes nothing new.
        status, text, _ = await head.post(f"/cases/{ref}/act", make)
        assert "opening it gives that letter" in text
        assert len((await server.service.get(ref)).case.evidence) == 1


async def test_tasks_fall_due_after_christmas_and_after_a_closure(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data", TRUST_CONFIG=str(christmas_trust(tmp_path)))
    async with (
        running_server(env) as server,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
    ):
        server.service.clock = lambda: BEFORE_CHRISTMAS
        assert [server.service.trust.due_days(a) for a in ("warning_letter", "legal_advice")] == [
            3,
            5,
        ]
        ref = await file_a_case(server)
        head = Browser(http, server.url)
        await head.act_as("head@oakprimary.example")
        await head.get(f"/cases/{ref}")
        approve = {"action": "case_approve", "value": f"{ref}:1"}
        form = aiohttp.FormData({"csrf": head.csrf, **approve})
        for action in ("warning_letter", "legal_advice"):
            form.add_field("decision_actions", action)
        status, page, _ = await head.post(f"/cases/{ref}/act", form)
        assert status == 200
        tasks = {t.action_id: t.due_at for t in (await server.service.get(ref)).case.tasks}
        assert tasks == DUE_AFTER_CHRISTMAS
        assert all(shown in page for shown in SHOWN_AFTER_CHRISTMAS)
