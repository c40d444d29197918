"""The web channel in Debian's Chromium: report, errors, another school's head, approve, notices."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.models import DecisionKind, Status
from tests.e2e.browser import SHOTS, phone_browser, png, require_chromium
from tests.e2e.harness import base_env, running_server

REFERENCE = "OAK-2026-0001"


async def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def act_as(page: Any, url: str, email: str) -> None:
    """The demo identity picker on the home page (a radio per person, then Continue)."""
    await page.goto(f"{url}/")
    await page.locator(f"input[name=email][value='{email}']").check()
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_text(f"({email})").first.wait_for()


async def report_as_staff(page: Any, url: str) -> None:
    await act_as(page, url, "teacher@oakprimary.example")
    await shot(page, "01-home")
    await page.get_by_role("link", name="Report a post").first.click()
    await page.get_by_role("button", name="Next").click()
    await shot(page, "02-form-errors")
    await assert_blank_form_errors(page)

    await page.get_by_label("Where was it posted?").select_option("facebook")
    await page.get_by_label("What does the post say?").fill("The year 4 teacher should be sacked")
    await page.set_input_files(
        "#evidence", files=[{"name": "post.png", "mimeType": "image/png", "buffer": png()}]
    )
    await page.get_by_role("button", name="Next").click()
    await page.get_by_label("Parent", exact=True).check()
    await page.get_by_label("A member of staff").check()
    await page.get_by_role("button", name="Next").click()
    await page.get_by_label("Complaints about the school or its staff").check()
    await page.locator("input[name=history][value=not_discussed]").check()
    await page.get_by_role("button", name="Review").click()
    await page.get_by_text("post.png").wait_for()
    await shot(page, "03-summary")
    await page.get_by_role("button", name="Submit report").click()
    await page.get_by_role("heading", name=f"Report {REFERENCE} received").wait_for()
    await shot(page, "04-receipt")


async def assert_blank_form_errors(page: Any) -> None:
    """The summary is announced; each message sits next to its field, which points to it."""
    summary = page.get_by_role("alert")
    assert "There is a problem" in await summary.inner_text()
    platform = page.get_by_label("Where was it posted?")
    assert await platform.get_attribute("aria-invalid") == "true"
    assert "platform-error" in await platform.get_attribute("aria-describedby")
    assert await page.locator("#platform-error").inner_text() == "Error: Please choose one."
    text = page.get_by_label("What does the post say?")
    assert "post_text-error" in await text.get_attribute("aria-describedby")
    assert await page.locator("#post_text-error").inner_text() == "Error: Please fill this in."
    await summary.get_by_role("link", name="What does the post say: Please fill this in.").click()
    assert await text.evaluate("el => el === document.activeElement")


async def other_head_cannot_decide(page: Any, url: str, server: Any) -> None:
    """Another school's head neither sees the case nor gets a forged approval through."""
    await act_as(page, url, "head@oaksecondary.example")
    response = await page.goto(f"{url}/cases/{REFERENCE}")
    assert response.status == 403
    await page.get_by_role("heading", name="Not your case").wait_for()
    await shot(page, "05-other-school-head")
    await page.goto(f"{url}/")
    csrf = await page.locator("input[name=csrf]").first.get_attribute("value")
    forged = await page.request.post(
        f"{url}/cases/{REFERENCE}/act",
        form={
            "csrf": csrf,
            "action": "case_approve",
            "value": f"{REFERENCE}:1",
            "decision_actions": "discuss",
        },
    )
    assert forged.status == 403
    assert "approvers can decide" in await forged.text()
    case = (await server.service.get(REFERENCE)).case
    assert case.status is Status.AWAITING_DECISION and case.decision is None


async def head_approves(page: Any, url: str, server: Any) -> None:
    await act_as(page, url, "head@oakprimary.example")
    await page.get_by_role("link", name="Notices", exact=True).click()
    await page.get_by_text(f"New report {REFERENCE} needs your decision").wait_for()
    await page.get_by_role("link", name="Open the approval card").click()
    await page.get_by_role("heading", name="Your decision").wait_for()
    await shot(page, "06-approval-card")
    await page.set_viewport_size({"width": 1100, "height": 900})
    await shot(page, "06-approval-card-desktop")
    await page.set_viewport_size({"width": 390, "height": 844})
    assert await page.locator("input[name=decision_actions][value=discuss]").is_checked()
    await page.get_by_role("button", name="Approve ticked actions").click()
    await page.get_by_text("Approved by Head").first.wait_for()
    assert await page.get_by_role("button", name="Approve ticked actions").count() == 0
    assert await page.get_by_role("heading", name="Tasks").is_visible()
    await shot(page, "07-approved-card")


async def reporter_is_told(page: Any, url: str, server: Any) -> None:
    await server.idle()
    await act_as(page, url, "teacher@oakprimary.example")
    await page.get_by_role("link", name="Notices", exact=True).click()
    update = page.locator("li.note", has_text=f"Update on {REFERENCE}")
    assert "The head approved action on your report" in await update.inner_text()
    await shot(page, "08-reporter-notices")


async def test_report_decide_and_notices_in_the_browser(tmp_path: Path) -> None:
    require_chromium()
    async with (
        running_server(base_env(tmp_path / "data")) as server,
        phone_browser(tmp_path / "profile") as context,
    ):
        page = await context.new_page()  # type: ignore[attr-defined]
        await report_as_staff(page, server.url)
        await server.idle()
        await other_head_cannot_decide(page, server.url, server)
        await head_approves(page, server.url, server)
        await reporter_is_told(page, server.url, server)
        record = await server.service.get(REFERENCE)

    case = record.case
    assert case.reporter.platform == "web" and case.reporter.email == "teacher@oakprimary.example"
    assert case.decision is not None and case.decision.kind is DecisionKind.APPROVED
    assert case.decision.by.email == "head@oakprimary.example"
    assert [e.name for e in case.evidence] == ["post.png"]
    assert case.evidence[0].source == "web:upload"
    kinds = [e.kind for e in record.timeline]
    assert kinds.count("decision_approved") == 1 and "evidence_retained" in kinds
    assert all(m.delivered_at for m in record.outbox)
    assert re.match(r"^[0-9a-f]{64}$", case.evidence[0].sha256)
