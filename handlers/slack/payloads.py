"""Parse Slack interaction payloads once into plain values: form answers, ids, metadata."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.forms import FieldId
from cards.ids import CasePayload, FilePayload, InputId, TaskPayload
from cards.slack import MESSAGE_FILES, OfferedFile

URL_IN_TEXT = re.compile(r"https?://[^\s<>|]+", re.IGNORECASE)
SLACK_LINK = re.compile(r"<(https?://[^|>]+)(?:\|[^>]*)?>")


@dataclass(frozen=True)
class FormStep:
    """A report modal: its server-side draft and the step shown (past the last: summary)."""

    draft_id: str
    step: int

    def encode(self) -> str:
        return json.dumps({"d": self.draft_id, "s": self.step}, separators=(",", ":"))

    @classmethod
    def decode(cls, raw: object) -> FormStep:
        try:
            data = json.loads(raw) if isinstance(raw, str) else {}
            return cls(str(data["d"]), int(data["s"]))
        except (ValueError, TypeError, KeyError) as exc:
            raise ValueError("not a report form's metadata") from exc


def element_value(element: Mapping[str, Any]) -> Any:
    """One element's state as the form wants it: text, an option id, a list, or file ids."""
    kind = element.get("type")
    if kind in ("checkboxes", "multi_static_select"):
        return [o["value"] for o in element.get("selected_options") or []]
    if kind in ("static_select", "radio_buttons"):
        chosen = element.get("selected_option")
        return chosen["value"] if chosen else ""
    if kind == "users_select":
        return element.get("selected_user") or ""
    if kind == "datepicker":
        return element.get("selected_date") or ""
    if kind == "file_input":
        return [f["id"] for f in element.get("files") or [] if isinstance(f, Mapping) and "id" in f]
    return element.get("value") or ""


def state_values(state: Mapping[str, Any] | None) -> dict[str, Any]:
    """A view's or message's state.values, keyed by block id (our block ids are the field ids)."""
    values: dict[str, Any] = {}
    for block_id, actions in ((state or {}).get("values") or {}).items():
        for element in actions.values():
            values[block_id] = element_value(element)
    return values


def evidence_file_ids(values: Mapping[str, Any], offered: list[OfferedFile]) -> list[str]:
    """Uploaded files, then the ticked files of the reported message (only those offered)."""
    uploaded = [f for f in values.get(FieldId.EVIDENCE.value) or [] if isinstance(f, str)]
    allowed = {f.id for f in offered}
    ticked = [f for f in values.get(MESSAGE_FILES) or [] if f in allowed]
    return list(dict.fromkeys([*uploaded, *ticked]))


def ticked_actions(body: Mapping[str, Any]) -> tuple[list[str], str]:
    """The approver's ticked actions and 5.1.8 text, read from the card's state."""
    values = state_values(body.get("state"))
    actions = values.get(InputId.ACTIONS.value) or []
    other = values.get(InputId.OTHER_ACTION.value) or ""
    return [a for a in actions if isinstance(a, str)], other if isinstance(other, str) else ""


def action_value(body: Mapping[str, Any]) -> str:
    """The clicked button's value, or the chosen option's of a select."""
    action = (body.get("actions") or [{}])[0]
    chosen = action.get("selected_option") or {}
    return str(action.get("value") or chosen.get("value") or "")


def case_payload(body: Mapping[str, Any]) -> CasePayload:
    """The case and version carried by the clicked button."""
    return CasePayload.decode(action_value(body))


def task_payload(body: Mapping[str, Any]) -> TaskPayload:
    return TaskPayload.decode(action_value(body))


def file_payload(body: Mapping[str, Any]) -> FilePayload:
    return FilePayload.decode(action_value(body))


def where(body: Mapping[str, Any]) -> tuple[str, str]:
    """The channel and message timestamp of the clicked message."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id") or ""
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts") or ""
    return channel, ts


def user_id(body: Mapping[str, Any]) -> str:
    user = body.get("user")
    if isinstance(user, Mapping):
        return str(user.get("id", ""))
    return str(body.get("user_id", ""))


def first_url(text: str) -> str:
    """The first web link in a Slack message's text (Slack writes links as <url|label>)."""
    m = SLACK_LINK.search(text) or URL_IN_TEXT.search(text)
    return m.group(1) if m and m.re is SLACK_LINK else (m.group(0) if m else "")


def plain_text(text: str) -> str:
    """A Slack message's text with links unwrapped, as a person would copy it."""
    return (
        SLACK_LINK.sub(lambda m: m.group(1), text)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
    )


def message_files(message: Mapping[str, Any]) -> list[OfferedFile]:
    return [
        OfferedFile(str(f["id"]), str(f.get("name") or f.get("title") or f["id"]))
        for f in message.get("files") or []
        if isinstance(f, Mapping) and f.get("id")
    ]


def command_prefill(text: str) -> dict[str, Any]:
    """What follows /report-post: a link prefills the link, any other words the post's text."""
    text = text.strip()
    url = first_url(text)
    if url:
        return {FieldId.LINK.value: url}
    return {FieldId.POST_TEXT.value: text[:3000]} if text else {}
