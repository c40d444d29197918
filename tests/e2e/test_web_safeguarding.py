"""The web channel end to end (issue 13): the report form's safeguarding question, a case about
the head, an unknown author; what each person sees on their case page, inbox and file links."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import aiohttp

from bot.models import Status, Urgency
from tests.e2e.harness import Server, base_env, running_server
from tests.e2e.test_web_channel import Browser
from tests.samples import png

POST = [("platform", "facebook"), ("seen_on", "2026-11-25"), ("post_text", "The post")]
PEOPLE = [("author_relationship", "parent"), ("about", "staff")]
WHAT = [("categories", "allegations"), ("history", "not_discussed")]


class People:
    """One browser (its own cookie jar) per person, as people are on their own devices."""

    def __init__(self, server: Server, stack: AsyncExitStack) -> None:
        self.server = server
        self.stack = stack
        self.http: aiohttp.ClientSession | None = None

    async def __call__(self, email: str) -> Browser:
        jar = aiohttp.CookieJar(unsafe=True)
        http = await self.stack.enter_async_context(aiohttp.ClientSession(cookie_jar=jar))
        self.http = http
        browser = Browser(http, self.server.url)
        await browser.act_as(email)
        return browser


@asynccontextmanager
async def web(tmp_path: Path) -> AsyncIterator[tuple[Server, People]]:
    async with running_server(base_env(tmp_path / "data")) as server, AsyncExitStack() as stack:
        yield server, People(server, stack)


async def file_through_the_form(person: People, post=POST, people=PEOPLE, what=WHAT) -> str:
    """A teacher's way through the web form, step by step, to the receipt; the reference."""
    teacher = await person("teacher@oakprimary.example")
    _, page = await teacher.get("/report")
    action = re.search(r'action="(/report/[^/"]+)/0"', page)[1]
    for step, answers in enumerate((post, people, what)):
        status, page, url = await teacher.post(
            f"{action}/{step}", [("csrf", teacher.csrf), *answers]
        )
        assert status == 200 and '-error"' not in page, page
        teacher.csrf = re.search(r'name="csrf" value="([^"]+)"', page)[1]
    assert url.endswith("/summary")
    status, page, url = await teacher.post(f"{action}/summary", {})
    assert status == 200 and url.endswith("/receipt"), page
    return re.search(r"/cases/([A-Z]+-\d{4}-\d{4})/receipt", url)[1]


async def urgent_with_a_task_for_the_dsl(
    server: Server, person: People, what: list, action_id: str
) -> tuple[str, Browser, str]:
    """File through the form; the case is urgent with one task, action_id, owned by the DSL, and
    the DSL's inbox says so. The reference, the DSL's browser and that inbox."""
    ref = await file_through_the_form(person, what=what)
    await server.idle()
    case = (await server.service.get(ref)).case
    assert case.urgency is Urgency.URGENT
    assert [(t.action_id, t.owner.email) for t in case.tasks] == [
        (action_id, "dsl@oakprimary.example")
    ]
    dsl = await person("dsl@oakprimary.example")
    _, inbox = await dsl.get("/inbox")
    assert f"URGENT report {ref}" in inbox
    return ref, dsl, inbox


async def test_the_form_asks_the_safeguarding_question_in_plain_words(tmp_path: Path) -> None:
    async with web(tmp_path) as (server, person):
        teacher = await person("teacher@oakprimary.example")
        _, page = await teacher.get("/report")
        action = re.search(r'action="(/report/[^/"]+)/0"', page)[1]
        await teacher.post(f"{action}/0", [("csrf", teacher.csrf), *POST])
        _, page = await teacher.get(f"{action}/2")
        assert (
            "Does the post allege that a member of staff or volunteer has harmed a child, "
            "or may pose a risk to children?" in page
        )
        assert "A child may be at risk" in page


async def test_allegation_against_staff_reaches_the_dsl_with_the_lado_task(
    tmp_path: Path,
) -> None:
    async with web(tmp_path) as (server, person):
        what = [*WHAT, ("allegation_against_staff", "yes")]
        ref, dsl, inbox = await urgent_with_a_task_for_the_dsl(
            server, person, what, "lado_referral"
        )
        assert "an allegation against a member of staff or volunteer" in inbox
        _, page = await dsl.get(f"/cases/{ref}")
        assert "Consider a referral to the LADO (within 1 working day)" in page
        assert "URGENT: an allegation against a member of staff or volunteer" in page
        head = await person("head@oakprimary.example")
        _, page = await head.get(f"/cases/{ref}")
        assert "Held back until the DSL has advised" in page
        assert 'value="discuss" checked' not in page
        assert "the policy recommends" not in page.lower()


async def test_a_case_about_the_head_is_decided_by_the_escalation_contact(
    tmp_path: Path,
) -> None:
    async with web(tmp_path) as (server, person):
        ref = await file_through_the_form(person, people=[*PEOPLE[:1], ("about", "head")])
        await server.idle()
        chair = await person("chair@oaktrust.example")
        _, inbox = await chair.get("/inbox")
        assert f"New report {ref} needs your decision" in inbox
        # The chair adds a screenshot, so that there is a file the head might try to open.
        await chair.get(f"/cases/{ref}")
        data = aiohttp.FormData()
        data.add_field("csrf", chair.csrf)
        data.add_field("evidence", png("shot"), filename="post.png", content_type="image/png")
        status, page, _ = await chair.post(f"/cases/{ref}/evidence", data)
        assert status == 200, page
        link = re.search(r'href="(/cases/[^"]+/file\?f=[^"]+)"', page)[1].replace("&amp;", "&")

        head = await person("head@oakprimary.example")
        _, inbox = await head.get("/inbox")
        assert ref not in inbox
        _, register = await head.get("/cases")
        assert ref not in register
        _, register = await chair.get("/cases")
        assert ref in register
        status, page = await head.get(f"/cases/{ref}")
        assert status == 403 and "The post" not in page
        async with head.http.get(server.url + link) as r:  # the file, and so any export of it
            assert r.status == 403 and await r.read() != png("shot")
        form = {"action": "case_approve", "value": f"{ref}:1", "decision_actions": "discuss"}
        await head.get("/inbox")
        status, page, _ = await head.post(f"/cases/{ref}/act", form)
        assert status == 403
        assert (await server.service.get(ref)).case.decision is None

        await chair.get(f"/cases/{ref}")
        status, page, _ = await chair.post(f"/cases/{ref}/act", form)
        assert status == 200 and "Approved by" in page
        case = (await server.service.get(ref)).case
        assert case.status is Status.APPROVED
        assert case.decision.by.email == "chair@oaktrust.example"


async def test_an_unknown_author_has_no_conversation_step(tmp_path: Path) -> None:
    async with web(tmp_path) as (server, person):
        people = [("author_relationship", "unknown"), ("about", "staff")]
        ref = await file_through_the_form(person, people=people)
        case = (await server.service.get(ref)).case
        assert case.recommendation.action_ids == ("report_to_platform", "retain_evidence")
        head = await person("head@oakprimary.example")
        _, page = await head.get(f"/cases/{ref}")
        assert 'value="discuss" checked' not in page
        assert 'value="report_to_platform" checked' in page
        assert "The trust&#39;s practice: Nobody knows who posted it" in page


async def test_the_dsl_advises_then_the_head_can_approve_the_conversation(tmp_path: Path) -> None:
    async with web(tmp_path) as (server, person):
        what = [*WHAT, ("allegation_against_staff", "yes")]
        ref = await file_through_the_form(person, what=what)
        await server.idle()
        head = await person("head@oakprimary.example")
        approve = {"action": "case_approve", "value": f"{ref}:1", "decision_actions": "discuss"}
        status, page, _ = await head.post(f"/cases/{ref}/act", approve)
        assert status == 422 and "advice is awaited" in page, page
        assert (await server.service.get(ref)).case.decision is None
        dsl = await person("dsl@oakprimary.example")
        _, inbox = await dsl.get("/inbox")
        assert "Record your advice on talking to the parent" in inbox
        assert "dsl_advise_go_ahead" in inbox and "dsl_advise_hold" in inbox
        advise = {"action": "dsl_advise_go_ahead", "value": f"{ref}:t1"}
        advise["advice_note"] = "Spoken to the LADO"
        status, page, url = await dsl.post(f"/cases/{ref}/act", advise)
        assert status == 200 and url.endswith("?done=dsl_advise_go_ahead"), page
        record = await server.service.get(ref)
        [event] = [e for e in record.timeline if e.kind == "dsl_advice"]
        assert event.after == {"go_ahead": True, "note": "Spoken to the LADO"}
        _, page = await head.get(f"/cases/{ref}")
        assert "The DSL advised on" in page and "may go ahead" in page
        status, page, url = await head.post(f"/cases/{ref}/act", approve)
        assert status == 200 and url.endswith("?done=case_approve"), page
        case = (await server.service.get(ref)).case
        assert case.status is Status.APPROVED and case.decision.actions == ("discuss",)


async def test_a_child_at_risk_reaches_the_dsl_with_the_social_care_task(tmp_path: Path) -> None:
    async with web(tmp_path) as (server, person):
        what = [("categories", "complaints"), ("facts", "child_at_risk"), *WHAT[1:]]
        _, _, inbox = await urgent_with_a_task_for_the_dsl(
            server, person, what, "social_care_referral"
        )
        assert "a child may be at risk" in inbox
        assert "Consider a referral to children&#39;s social care" in inbox


async def test_a_students_own_post_starts_with_their_parent_and_no_letter(tmp_path: Path) -> None:
    async with web(tmp_path) as (server, person):
        people = [("author_relationship", "student"), ("about", "student")]
        ref = await file_through_the_form(person, people=people)
        await server.idle()
        case = (await server.service.get(ref)).case
        preselected = [a.action_id for a in case.recommendation.actions if a.preselected]
        assert "discuss_pupil" in preselected
        assert "discuss" not in preselected and "warning_letter" not in preselected
        # Cyber-bullying of another student (4.2.1): the DSL is told.
        dsl = await person("dsl@oakprimary.example")
        _, inbox = await dsl.get("/inbox")
        assert f"Safeguarding: report {ref}" in inbox
        head = await person("head@oakprimary.example")
        _, page = await head.get(f"/cases/{ref}")
        assert 'value="discuss_pupil" checked' in page
        assert "Parents are expected to monitor their children&#39;s use of social media" in page


async def test_a_students_photo_alerts_the_dsl_and_recommends_the_platform(tmp_path: Path) -> None:
    async with web(tmp_path) as (server, person):
        people = [("author_relationship", "parent"), ("about", "student")]
        what = [("categories", "personal_data"), *WHAT[1:]]
        ref = await file_through_the_form(person, people=people, what=what)
        await server.idle()
        case = (await server.service.get(ref)).case
        assert "dsl" in case.recommendation.alerts
        assert "report_to_platform" in case.recommendation.action_ids
        dsl = await person("dsl@oakprimary.example")
        _, inbox = await dsl.get("/inbox")
        assert f"Safeguarding: report {ref}" in inbox
        head = await person("head@oakprimary.example")
        _, page = await head.get(f"/cases/{ref}")
        assert "the DSL checks the student&#39;s photo and contact restrictions" in page


async def test_an_investigation_under_way_makes_the_case_high_and_says_why(tmp_path: Path) -> None:
    async with web(tmp_path) as (server, person):
        what = [("categories", "complaints"), *WHAT[1:], ("investigation_under_way", "yes")]
        ref = await file_through_the_form(person, what=what)
        case = (await server.service.get(ref)).case
        assert case.urgency is Urgency.HIGH and case.answers.investigation_under_way
        head = await person("head@oakprimary.example")
        _, page = await head.get(f"/cases/{ref}")
        assert "comments may prejudice the enquiry" in page
