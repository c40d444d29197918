"""Slack messages about a case, file links, the Home tab and the direct-message hint."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    RichTextBlock,
    RichTextElementParts,
    RichTextSectionElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from cards.ids import ActionId
from cards.slack.base import (
    MAX_OPTION_TEXT,
    MAX_VIEW_BLOCKS,
    SlackMessage,
    bullets,
    button_element,
    context,
    escape,
    fit,
    mrkdwn,
    plain,
    section,
)
from cards.views import Button, CaseListView, NoteView


def note_message(view: NoteView, button: ActionId | None = None) -> SlackMessage:
    """A short message about a case; button (with the case payload) when the view offers one."""
    blocks: list[Block] = [section(f"*{escape(view.headline)}*\n{bullets(view.lines)}")]
    if view.button and button and view.payload:
        blocks.append(
            ActionsBlock(
                block_id="note_actions",
                elements=[
                    ButtonElement(
                        text=plain(view.button, MAX_OPTION_TEXT),
                        action_id=button.value,
                        value=view.payload.encode(),
                        style="primary",
                    )
                ],
            )
        )
    if view.buttons:
        blocks.append(
            ActionsBlock(
                block_id="note_buttons", elements=[button_element(b) for b in view.buttons]
            )
        )
    return SlackMessage(view.notification, blocks)


def file_link_message(view: NoteView, url: str) -> SlackMessage:
    """The private answer to an Open button: the signed link, and how long it works.

    A rich-text link element, not mrkdwn `<url|text>`: the signed query string has `&`, which
    mrkdwn would want escaped and which Slack's iOS app has been known to break.
    """
    rest = " ".join(line for line in view.lines if line != url)
    parts: list[Any] = [
        RichTextElementParts.Link(url=url, text=view.headline, style={"bold": True})
    ]
    if rest:
        parts.append(RichTextElementParts.Text(text=f"\n{rest}"))
    link = RichTextBlock(elements=[RichTextSectionElement(elements=parts)])
    return SlackMessage(view.notification, [link])


def report_button() -> ActionsBlock:
    return ActionsBlock(
        block_id="home_actions",
        elements=[
            ButtonElement(
                text=plain("Report a post"), action_id=ActionId.OPEN_REPORT.value, style="primary"
            )
        ],
    )


def home_view(cases: CaseListView, intro: str) -> View:
    """The App Home tab: the button to report, then the open cases this person can see."""
    blocks: list[Block] = [
        HeaderBlock(text=plain("Social media concerns")),
        section(escape(intro)),
        report_button(),
        DividerBlock(),
        section(f"*{escape(cases.title)}*"),
    ]
    if cases.reach_note:
        blocks.insert(3, context(f":warning: {escape(cases.reach_note)}"))
    rows = [
        SectionBlock(
            text=mrkdwn(
                f"*{r.reference}* · {escape(r.school)}\n{escape(r.status)} · {escape(r.urgency)} · "
                f"{escape(r.age)}"
                + (
                    f" · :warning: {r.overdue} overdue task{'s' if r.overdue > 1 else ''}"
                    if r.overdue
                    else ""
                )
            ),
            accessory=button_element(Button("Open", ActionId.VIEW_CASE, r.reference)),
        )
        for r in cases.rows
    ]
    blocks.extend(rows or [context(escape(cases.empty))])
    return View(type="home", blocks=fit(blocks, MAX_VIEW_BLOCKS))


def hint_message() -> SlackMessage:
    """The answer to a direct message: how to report."""
    return SlackMessage(
        "Report a post",
        [
            section(
                "To report a worrying social media post, press the button, type "
                "`/report-post`, or use *Report this post* on a message."
            ),
            report_button(),
        ],
    )
