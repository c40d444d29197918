"""Block Kit limits and building blocks shared by the Slack renderers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from cards.views import Button, Fact

# Block Kit limits (https://docs.slack.dev/reference/block-kit): checked by the renderers,
# so a long post or many files shorten the card instead of making Slack refuse it.
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_HEADER = 150
MAX_OPTION_TEXT = 75
MAX_OPTIONS = 10
MAX_TITLE = 24
MAX_CONTEXT_TEXT = 2000
MAX_INFO_FACTS = 6  # the last three questions and answers on the card; all are in the thread
MAX_BUTTON_TEXT = 75
MAX_SELECT_OPTIONS = 100
MIN_MIDDLE = 4  # blocks kept for the report's facts however many tasks and files a case has


@dataclass(frozen=True)
class SlackMessage:
    """What chat.postMessage and chat.update take: the notification text and the blocks."""

    text: str
    blocks: list[Block] = field(default_factory=list)

    def block_dicts(self) -> list[dict[str, Any]]:
        return [b.to_dict() for b in self.blocks]


def clip(text: str, limit: int) -> str:
    """Shorten text to at most limit characters, marking the cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def escape(text: str) -> str:
    """Slack mrkdwn control characters: user text must not become mentions or links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str, limit: int = MAX_SECTION_TEXT) -> MarkdownTextObject:
    return MarkdownTextObject(text=clip(text, limit))


def plain(text: str, limit: int = MAX_SECTION_TEXT) -> PlainTextObject:
    return PlainTextObject(text=clip(text, limit), emoji=True)


def asking_modal(
    callback_id: str,
    title: str,
    submit: str,
    metadata: str,
    *,
    blocks: Sequence[Block],
    notify_on_close: bool = False,
) -> View:
    """A modal that asks something: its title, its submit button, Cancel, and what it carries."""
    return View(
        type="modal",
        callback_id=callback_id,
        title=plain(title, MAX_TITLE),
        submit=plain(submit, MAX_TITLE),
        close=plain("Cancel", MAX_TITLE),
        private_metadata=metadata,
        notify_on_close=notify_on_close,
        blocks=list(blocks),
    )


def section(text: str) -> SectionBlock:
    return SectionBlock(text=mrkdwn(text))


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[mrkdwn(text, MAX_CONTEXT_TEXT)])


def fact_text(fact: Fact, limit: int = MAX_SECTION_TEXT) -> str:
    return clip(f"*{escape(fact.label)}*\n{escape(fact.value)}", limit)


def bullets(lines: Sequence[str]) -> str:
    return "\n".join(escape(line) for line in lines)


def option(value: str, text: str, description: str = "") -> Option:
    return Option(
        value=value,
        text=plain(text, MAX_OPTION_TEXT),
        description=plain(description, MAX_OPTION_TEXT) if description else None,
    )


def fit(blocks: list[Block], limit: int) -> list[Block]:
    """Keep within Slack's block count: drop the middle, keep the top and the bottom."""
    if len(blocks) <= limit:
        return blocks
    head = blocks[: max(0, limit // 2)]
    keep = max(0, limit - len(head) - 1)
    tail = blocks[len(blocks) - keep :] if keep else []
    return [
        *head,
        context("_Some details are left out here; the case record has them all._"),
        *tail,
    ]


def button_element(b: Button) -> ButtonElement:
    return ButtonElement(
        text=plain(b.label, MAX_BUTTON_TEXT),
        action_id=b.action.value,
        value=b.value,
        style="primary" if b.primary else None,
    )


def view_json(view: View) -> str:
    """The view as Slack receives it (for size checks in tests and logs of sizes)."""
    return json.dumps(view.to_dict())
