"""Drive the real server as Slack does: signed commands, shortcuts, clicks and modal submissions."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.fakes.slack_api import TEAM_DOMAIN, TEAM_ID, FakeSlackApi
from tests.fakes.slack_signing import (
    APP_ID,
    FORM,
    JSON,
    command_body,
    event_body,
    form_payload,
    new_trigger_id,
    sign,
)

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"
LEADERS = "C0LEADERS1"
STAFFROOM = "C0STAFF001"

TEACHER = "UTEACH1"
HEAD = "UHEAD01"
DEPUTY = "UDEP001"
DSL = "UDSL001"
SECONDARY_HEAD = "UHEAD02"
SECONDARY_TEACHER = "UTEACH2"
STRANGER = "USTRANGE"
CHAIR = "UCHAIR1"  # the trust's escalation contact (chair of governors)

USERS: dict[str, tuple[str, str]] = {
    TEACHER: ("teacher@oakprimary.example", "Tess Teacher"),
    HEAD: ("head@oakprimary.example", "Hana Head"),
    DEPUTY: ("deputy@oakprimary.example", "Dev Deputy"),
    DSL: ("dsl@oakprimary.example", "Dana Lead"),
    SECONDARY_HEAD: ("head@oaksecondary.example", "Sam Second"),
    SECONDARY_TEACHER: ("teacher@oaksecondary.example", "Toby Teacher"),
    STRANGER: ("someone@gmail.example", "Stan Stranger"),
    CHAIR: ("chair@oaktrust.example", "Cara Chair"),
}

_ts = itertools.count(1)


def slack_env(api: FakeSlackApi, **extra: str) -> dict[str, str]:
    """The Slack settings of a test server whose Web API is the fake."""
    return {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api.base_url,
        # An app id without a password keeps Teams off: these tests are about Slack alone.
        "MicrosoftAppId": "00000000-0000-0000-0000-000000000000",
        **extra,
    }


@dataclass
class Reply:
    """What the server answered to one request."""

    status: int
    text: str

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.text) if self.text.startswith("{") else {}


@dataclass
class Modal:
    """An open modal as the person sees it: Slack's view id and hash, and its current view."""

    id: str
    hash: str
    view: dict[str, Any]
    user: str

    def input_ids(self) -> list[str]:
        return [b["block_id"] for b in self.view["blocks"] if b["type"] == "input"]

    def block(self, block_id: str) -> dict[str, Any]:
        return next(b for b in self.view["blocks"] if b.get("block_id") == block_id)

    def text(self) -> str:
        return json.dumps(self.view)


def element_state(element: Mapping[str, Any], answer: Any, files: Mapping[str, Any]) -> Any:
    """The state Slack reports for an element: the answer given, else what it was prefilled with."""
    kind = element["type"]
    given = answer is not None
    if kind == "plain_text_input":
        return {"type": kind, "value": answer if given else element.get("initial_value")}
    if kind in ("static_select", "radio_buttons"):
        if not given:
            return {"type": kind, "selected_option": element.get("initial_option")}
        chosen = next((o for o in element["options"] if o["value"] == answer), {"value": answer})
        return {"type": kind, "selected_option": chosen if answer else None}
    if kind == "checkboxes":
        if not given:
            return {"type": kind, "selected_options": element.get("initial_options") or []}
        return {
            "type": kind,
            "selected_options": [o for o in element["options"] if o["value"] in answer]
            or [{"value": a} for a in answer],
        }
    if kind == "datepicker":
        return {"type": kind, "selected_date": answer if given else element.get("initial_date")}
    if kind == "users_select":
        return {"type": kind, "selected_user": answer if given else element.get("initial_user")}
    if kind == "file_input":
        return {"type": kind, "files": [files[f] for f in answer or []]}
    raise AssertionError(f"unexpected element {kind}")


def view_state(view: Mapping[str, Any], answers: Mapping[str, Any], api: FakeSlackApi) -> dict:
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        answer = answers.get(block["block_id"])
        files = {f: api.file_object(f) for f in api.files}
        values[block["block_id"]] = {element["action_id"]: element_state(element, answer, files)}
    return {"values": values}


@dataclass
class SlackClient:
    """Posts signed requests to /slack/events like Slack's servers do."""

    url: str
    api: FakeSlackApi
    http: aiohttp.ClientSession
    secret: str = SECRET
    modals: dict[str, Modal] = field(default_factory=dict)

    async def post(
        self,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> Reply:
        signed = sign(body, secret or self.secret, timestamp, content_type=content_type)
        async with self.http.post(
            f"{self.url}/slack/events", data=body, headers={**signed, **(headers or {})}
        ) as r:
            return Reply(r.status, await r.text())

    async def interact(self, payload: Mapping[str, Any], **kw: Any) -> Reply:
        return await self.post(form_payload(dict(payload)), FORM, **kw)

    async def command(self, user: str, text: str = "", command: str = "/report-post") -> Reply:
        body = command_body(command, text, user, channel_id=STAFFROOM)
        return await self.post(body, FORM)

    async def event(self, event: Mapping[str, Any]) -> Reply:
        return await self.post(event_body(dict(event)), JSON)

    def base(self, user: str, kind: str) -> dict[str, Any]:
        return {
            "type": kind,
            "token": "verification_token",
            "api_app_id": APP_ID,
            "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID},
            "is_enterprise_install": False,
        }

    # modals

    async def opened(self, user: str, count: int = 1) -> Modal:
        """The modal most recently opened for this person (waits for views.open)."""
        calls = await self.api.wait_for("views.open", count)
        view_id = sorted(self.api.views, key=lambda v: v)[-1]
        stored = self.api.views[view_id]
        modal = Modal(view_id, stored["hash"], calls[-1].args["view"], user)
        self.modals[user] = modal
        return modal

    async def submit(
        self,
        modal: Modal,
        answers: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """Press the modal's submit button with these answers; follows response_action update."""
        payload = {
            **self.base(modal.user, "view_submission"),
            "trigger_id": new_trigger_id(),
            "view": {
                **modal.view,
                "id": modal.id,
                "hash": modal.hash,
                "team_id": TEAM_ID,
                "app_id": APP_ID,
                "state": view_state(modal.view, answers or {}, self.api),
            },
            "response_urls": [],
        }
        reply = await self.interact(payload, headers=headers)
        if reply.json.get("response_action") == "update":
            modal.view = reply.json["view"]
            modal.hash = f"{modal.hash}+"
        return reply

    async def close(self, modal: Modal) -> Reply:
        payload = {
            **self.base(modal.user, "view_closed"),
            "view": {**modal.view, "id": modal.id, "state": {"values": {}}},
            "is_cleared": False,
        }
        return await self.interact(payload)

    # clicks

    async def click(
        self,
        user: str,
        action_id: str,
        value: str = "",
        *,
        message: Mapping[str, Any] | None = None,
        channel: str = LEADERS,
        state: Mapping[str, Any] | None = None,
        modal: Modal | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """A button press on a message (with the message's input state) or in a modal."""
        action = {
            "type": "button",
            "action_id": action_id,
            "block_id": "b",
            "value": value,
            "action_ts": f"{time.time():.6f}",
        }
        payload: dict[str, Any] = {
            **self.base(user, "block_actions"),
            "trigger_id": new_trigger_id(),
            "actions": [action],
            "response_url": self.api.response_url(),
        }
        if modal is not None:
            payload["container"] = {"type": "view", "view_id": modal.id}
            payload["view"] = {
                **modal.view,
                "id": modal.id,
                "hash": self.api.views.get(modal.id, {}).get("hash", modal.hash),
                "state": view_state(modal.view, {}, self.api),
            }
        else:
            message = dict(message or {})
            payload["container"] = {
                "type": "message",
                "message_ts": message.get("ts", ""),
                "channel_id": channel,
                "is_ephemeral": False,
            }
            payload["channel"] = {"id": channel, "name": "leadership"}
            payload["message"] = message
            payload["state"] = dict(state or {"values": {}})
        return await self.interact(payload, headers=headers)

    async def message_shortcut(self, user: str, message: Mapping[str, Any], channel: str) -> Reply:
        payload = {
            **self.base(user, "message_action"),
            "callback_id": "report_post_message",
            "trigger_id": new_trigger_id(),
            "channel": {"id": channel, "name": "staffroom"},
            "message": dict(message),
            "message_ts": message["ts"],
            "response_url": self.api.response_url(),
        }
        return await self.interact(payload)

    async def global_shortcut(self, user: str) -> Reply:
        payload = {
            **self.base(user, "shortcut"),
            "callback_id": "report_post_global",
            "trigger_id": new_trigger_id(),
        }
        return await self.interact(payload)


def checkbox_state(
    message: Mapping[str, Any], ticked: list[str] | None = None, other: str = ""
) -> dict:
    """The card's input state as the approver leaves it: the pre-ticked actions, or `ticked`."""
    values: dict[str, Any] = {}
    for block in message.get("blocks", []):
        if block["type"] != "input":
            continue
        element = block["element"]
        if element["type"] == "checkboxes":
            chosen = (
                element.get("initial_options") or []
                if ticked is None
                else [o for o in element["options"] if o["value"] in ticked]
            )
            state = {"type": "checkboxes", "selected_options": chosen}
        else:
            state = {"type": element["type"], "value": other or None}
        values[block["block_id"]] = {element["action_id"]: state}
    return {"values": values}


def button_values(message: Mapping[str, Any], action_id: str) -> list[str]:
    """The values of every button with this action id, in actions blocks and as accessories."""
    found = []
    for block in message.get("blocks", []):
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("action_id") == action_id and "value" in element:
                found.append(element["value"])
    return found


def button_value(message: Mapping[str, Any], action_id: str) -> str:
    values = button_values(message, action_id)
    if not values:
        raise AssertionError(f"no {action_id} button on the message")
    return values[0]


def fresh_ts() -> str:
    return f"1700001{next(_ts):03d}.000100"
