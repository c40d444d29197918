"""Every web page in Chromium at 1280 and 390 px: a PNG of each, axe-core with no serious or
critical violation, and what a worried teacher and a busy head need on the first screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.models import Actor, Status
from tests.e2e.browser import png
from tests.e2e.harness import Server, base_env, running_server
from tests.e2e.test_web_browser import act_as
from tests.samples import answers_values
from tests.screens.chromium import PAGE_SHOTS, axe_violations, chromium, publish, require_npm

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TEACHER = "teacher@oakprimary.example"
HEAD = "head@oakprimary.example"
DSL = "dsl@oakprimary.example"


async def look(page: Any, name: str) -> None:
    """A PNG at both widths, axe-core at both, and no sideways scrolling on a phone."""
    PAGE_SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        await page.set_viewport_size(size)
        made = PAGE_SHOTS / f"{name}-{label}.png"
        await page.screenshot(path=str(made), full_page=True)
        publish(made)
        problems += [f"{name} at {label}: {v}" for v in await axe_violations(page)]
        wide = await page.evaluate("() => document.documentElement.scrollWidth")
        if wide > size["width"]:
            problems.append(f"{name} at {label}: {wide} px wide, scrolls sideways")
    await page.set_viewport_size(DESKTOP)
    assert problems == []


async def urgent_case(server: Server, key: str = "urgent") -> str:
    """A report that threatens violence, filed on the web by the teacher."""
    from bot.forms import report_form, to_answers

    service = server.service
    values = answers_values(categories=["violence"], about=["staff"])
    answers = to_answers(report_form(service.policy), values, service.today(), "oak-primary")
    teacher = Actor("web", TEACHER, TEACHER, "Tess Teacher")
    case, _ = await service.submit(teacher, answers, key)
    await service.attach_evidence(case.reference, teacher, "post.png", "image/png", png(), "t")
    await server.idle()
    return case.reference


async def optional_once(page: Any) -> None:
    for label in await page.locator("main label, main legend").all_inner_texts():
        said = label.lower().count("optional") + label.lower().count("if you have it")
        assert said <= 1, label  # "optional" once


async def the_reporter_pages(page: Any, url: str) -> None:
    await page.goto(f"{url}/")
    await look(page, "identity-picker")
    await act_as(page, url, TEACHER)
    await look(page, "home")
    await page.goto(f"{url}/report")
    await optional_once(page)
    await look(page, "report-form")
    await page.get_by_role("button", name="Next").click()
    await page.get_by_role("alert").wait_for()
    await look(page, "report-form-errors")
    # Every step of the form, and the page that checks the answers before they are sent.
    await page.get_by_label("Where was it posted?").select_option("facebook")
    await page.get_by_label("What does the post say?").fill("The year 4 teacher should be sacked")
    await page.get_by_role("button", name="Next").click()
    await page.get_by_label("Parent", exact=True).wait_for()
    await optional_once(page)
    await look(page, "report-form-people")
    await page.get_by_label("Parent", exact=True).check()
    await page.get_by_label("A member of staff").check()
    await page.get_by_role("button", name="Next").click()
    await page.locator("input[name=history][value=not_discussed]").wait_for()
    await optional_once(page)
    await look(page, "report-form-what")
    await page.get_by_label("Complaints about the school or its staff", exact=False).check()
    await page.locator("input[name=history][value=not_discussed]").check()
    await page.get_by_role("button", name="Review").click()
    await page.get_by_role("button", name="Submit report").wait_for()
    await look(page, "report-check")


async def the_receipt_speaks_to_the_teacher(page: Any, url: str, reference: str) -> None:
    await page.goto(f"{url}/cases/{reference}/receipt")
    text = await page.locator("main").inner_text()
    assert "What happens next" in text and "If a parent asks what they can do instead" in text
    assert "call 999" in text  # urgent: the first thing said
    await look(page, "receipt")


async def the_head_decides(page: Any, url: str, reference: str) -> None:
    await act_as(page, url, HEAD)
    await page.goto(f"{url}/inbox")
    await look(page, "notices-head")
    await page.goto(f"{url}/cases/{reference}")
    await look(page, "case-awaiting-decision")
    # Every decision control in the first screen: the actions, Approve, Ask the reporter, Decline.
    approve = page.get_by_role("button", name="Approve ticked actions")
    first = page.locator("input[name=decision_actions]").first
    controls = [first, approve, page.get_by_text("Ask the reporter", exact=True)]
    for control in [*controls, page.get_by_text("Decline", exact=True)]:
        box = await control.bounding_box()
        assert box is not None and box["y"] + box["height"] <= DESKTOP["height"], box
    await approve.click()
    await page.get_by_text("Approved by").first.wait_for()
    await look(page, "case-approved")


async def a_rejected_close_keeps_its_values(page: Any, server: Server, reference: str) -> None:
    """Closing as 'post removed' while tasks are open is refused; the form keeps what was typed."""
    await page.get_by_text("Close case", exact=True).click()
    await page.get_by_label("Post removed", exact=True).check()
    await page.get_by_label("Closing note for the record").fill("Spoke to the parent on Monday")
    await page.get_by_role("button", name="Close the case").click()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    await summary.wait_for()
    assert await summary.evaluate("el => el === document.activeElement")
    assert await page.get_by_label("Post removed", exact=True).is_checked()
    note = page.get_by_label("Closing note for the record")
    assert await note.input_value() == "Spoke to the parent on Monday"
    assert "still open" in await page.locator("#close_outcome-error").inner_text()
    await look(page, "case-close-rejected")
    record = await server.service.get(reference)
    assert record.case.status is not Status.CLOSED


async def the_closed_case_has_no_urgent_banner(page: Any, server: Server, reference: str) -> None:
    head = Actor("web", HEAD, HEAD, "Hana Head")
    case = (await server.service.get(reference)).case
    dsl = Actor("web", DSL, DSL, "DSL")
    await server.service.reassign_task(reference, head, case.tasks[0].id, dsl)
    await server.idle()
    for n, task in enumerate(case.tasks):
        await server.service.complete_task(reference, dsl if n == 0 else head, task.id, "Done", "")
    await page.goto(f"{server.url}/cases/{reference}")
    await page.get_by_text("Close case", exact=True).click()
    await page.get_by_label("Post removed", exact=True).check()
    await page.get_by_label("Closing note for the record").fill("The post is gone")
    await page.get_by_role("button", name="Close the case").click()
    await page.get_by_role("heading", name="Closed").wait_for()
    assert (await server.service.get(reference)).case.status is Status.CLOSED
    assert await page.locator(".urgent").count() == 0
    assert "URGENT:" not in await page.locator("main").inner_text()
    await look(page, "case-closed")
    await notices_say_what_was_done(page, server, reference)


async def notices_say_what_was_done(page: Any, server: Server, reference: str) -> None:
    """The head's notices: the decision they were asked for is done, a done task has no button."""
    await page.goto(f"{server.url}/inbox")
    asked = page.locator("li.note", has_text=f"New report {reference} needs your decision")
    assert "Done: Approved by Head" in await asked.inner_text()
    assert await asked.get_by_role("link", name="Open the case").count() == 1
    await look(page, "notices-after")
    await act_as(page, server.url, DSL)
    await page.goto(f"{server.url}/inbox")
    given = page.locator("li.note", has_text="Done: marked done by DSL")
    assert await given.count() == 1
    assert await page.get_by_role("link", name="Mark done").count() == 0
    assert await page.get_by_role("button", name="Mark done").count() == 0
    await look(page, "notices-task-done")
    await act_as(page, server.url, HEAD)


async def the_lists_and_errors(page: Any, url: str, reference: str) -> None:
    await page.goto(f"{url}/cases?all=1")
    await look(page, "cases")
    await page.set_viewport_size(PHONE)
    table = page.locator("table")
    assert await table.count() == 1
    right = await table.evaluate("t => t.getBoundingClientRect().right")
    assert right <= PHONE["width"], right
    await page.set_viewport_size(DESKTOP)
    missing = await page.goto(f"{url}/no-such-page")
    assert missing.status == 404
    await page.get_by_role("link", name="Home").first.wait_for()
    await look(page, "not-found")
    expired = await page.goto(f"{url}/files/{reference}/evidence/x?expires=1&sig=0")
    assert expired.status in (403, 404)
    await page.get_by_role("heading").first.wait_for()
    await look(page, "link-expired")
    await act_as(page, url, "head@oaksecondary.example")
    assert (await page.goto(f"{url}/cases/{reference}")).status == 403
    await look(page, "not-your-case")
    await page.goto(f"{url}/privacy")
    await look(page, "privacy")
    await page.goto(f"{url}/terms")
    await look(page, "terms")


async def every_state_of_a_case(page: Any, server: Server, closed: str) -> None:
    """The case page as each person sees it, in the states not met above: reopened (with its
    reason on the timeline), declined, waiting for the reporter's answer; as the reporter and
    as the DSL."""
    service, url = server.service, server.url
    head = Actor("web", HEAD, HEAD, "Hana Head")
    await service.reopen(closed, head, "The parent posted again on Friday")
    await server.idle()
    await act_as(page, url, HEAD)
    await page.goto(f"{url}/cases/{closed}")
    await page.locator("details.timeline > summary").click()
    timeline = await page.locator("details.timeline").inner_text()
    assert "Reason: The parent posted again on Friday" in timeline, timeline
    await look(page, "case-reopened")
    await act_as(page, url, DSL)
    await page.goto(f"{url}/cases/{closed}")
    await look(page, "case-as-the-dsl")

    declined = await urgent_case(server, "to decline")
    case = (await service.get(declined)).case
    await service.decline(declined, head, case.version, "Not a post by a parent of the school")
    asked = await urgent_case(server, "to ask about")
    case = (await service.get(asked)).case
    await service.ask_more_info(asked, head, case.version, "Which class is the child in?")
    await server.idle()
    await act_as(page, url, HEAD)
    await page.goto(f"{url}/cases/{declined}")
    assert "Not a post by a parent of the school" in await page.locator("main").inner_text()
    await look(page, "case-declined")
    await page.goto(f"{url}/cases/{asked}")
    assert "Which class is the child in?" in await page.locator("main").inner_text()
    await look(page, "case-waiting-for-the-answer")
    await act_as(page, url, TEACHER)
    await page.goto(f"{url}/cases/{asked}")
    assert "Which class is the child in?" in await page.locator("main").inner_text()
    await look(page, "case-as-the-reporter")


async def test_every_page_at_desktop_and_phone_width(tmp_path: Path) -> None:
    require_npm()
    async with running_server(base_env(tmp_path / "data")) as server, chromium(DESKTOP) as ctx:
        page = await ctx.new_page()
        favicons: list[int] = []
        page.on(
            "response",
            lambda r: favicons.append(r.status) if "favicon" in r.url else None,
        )
        await the_reporter_pages(page, server.url)
        reference = await urgent_case(server)
        await the_receipt_speaks_to_the_teacher(page, server.url, reference)
        await the_head_decides(page, server.url, reference)
        await a_rejected_close_keeps_its_values(page, server, reference)
        await the_closed_case_has_no_urgent_banner(page, server, reference)
        await the_lists_and_errors(page, server.url, reference)
        await every_state_of_a_case(page, server, reference)
    assert favicons and all(s == 200 for s in favicons), favicons
