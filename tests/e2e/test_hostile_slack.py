"""Malformed and hostile Slack requests at the running server: never a 5xx, never a change."""

from __future__ import annotations

import json
import string
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from cards.ids import ActionId, ViewId
from tests.e2e.harness import base_env, running_server
from tests.e2e.hostile_support import (
    EXAMPLES,
    JSON_VALUES,
    ODD_TEXT,
    Background,
    no_traceback,
    settle,
    snapshot,
)
from tests.e2e.slack_support import FILES, World, card_of, file_report
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_session import (
    DSL,
    SECONDARY_HEAD,
    SECONDARY_TEACHER,
    SECRET,
    STRANGER,
    TEACHER,
    TOKEN,
    USERS,
    SlackClient,
    slack_env,
)
from tests.fakes.slack_signing import APP_ID, FORM, JSON, sign

# Everyone but the case's approvers (the head and deputy of Oak Primary): none may change it.
NOT_ALLOWED = [TEACHER, DSL, SECONDARY_HEAD, SECONDARY_TEACHER, STRANGER]


@dataclass
class Hostile:
    bg: Background
    world: World
    reference: str
    card: dict[str, Any]
    http: requests.Session

    def post(self, body: bytes, headers: dict[str, str]) -> requests.Response:
        return self.http.post(f"{self.world.server.url}/slack/events", data=body, headers=headers)

    def state(self) -> dict[str, tuple[str, int, int]]:
        self.bg.run(settle(self.world.server.idle))
        return self.bg.run(snapshot(self.world.server.service))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    """One server for the module, with one case awaiting its head's decision."""
    bg = Background()
    data = tmp_path_factory.mktemp("hostile-slack") / "data"
    api = bg.enter(lambda: FakeSlackApi(users=USERS, files=FILES, token=TOKEN))
    server = bg.enter(lambda: running_server(base_env(data, **slack_env(api))))
    http = bg.enter(aiohttp.ClientSession)
    world = World(api, server, SlackClient(server.url, api, http), data)
    reference = bg.run(file_report(world))
    _, card = bg.run(card_of(world, reference))
    with requests.Session() as session:
        yield Hostile(bg, world, reference, card, session)
    bg.close()


def case_values(reference: str) -> st.SearchStrategy[str]:
    """Button values aimed at real cases: this one, stale or future versions, made-up ones."""
    refs = st.sampled_from([reference, "OAK-2026-9999", "OAKS-2026-0001", "../../etc/passwd"])
    return st.builds(lambda r, v: f"{r}:{v}", refs, st.integers(-2, 10**12)) | ODD_TEXT


def interaction(reference: str, card: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Interactivity payloads of every kind, with wrong, missing and extra fields."""
    action_ids = st.sampled_from([a.value for a in ActionId]) | ODD_TEXT
    actions = st.lists(
        st.fixed_dictionaries(
            {"type": st.sampled_from(["button", "checkboxes", "static_select"]) | ODD_TEXT},
            optional={
                "action_id": action_ids,
                "value": case_values(reference),
                "block_id": ODD_TEXT,
                "selected_options": JSON_VALUES,
            },
        ),
        max_size=3,
    )
    view = st.fixed_dictionaries(
        {},
        optional={
            "id": ODD_TEXT,
            "callback_id": st.sampled_from([v.value for v in ViewId]) | ODD_TEXT,
            "private_metadata": case_values(reference) | st.just("0" * 32 + ":3") | ODD_TEXT,
            "state": st.fixed_dictionaries({"values": JSON_VALUES}) | JSON_VALUES,
            "blocks": st.just(card.get("blocks", [])) | JSON_VALUES,
        },
    )
    return st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                ["block_actions", "view_submission", "view_closed", "shortcut", "message_action"]
            )
            | ODD_TEXT,
            "user": st.sampled_from([{"id": u} for u in NOT_ALLOWED]) | JSON_VALUES,
        },
        optional={
            "api_app_id": st.just(APP_ID),
            "team": st.just({"id": "T0001"}) | JSON_VALUES,
            "trigger_id": st.just("1.1.x") | ODD_TEXT,
            "actions": actions | JSON_VALUES,
            "view": view | JSON_VALUES,
            "callback_id": ODD_TEXT,
            "message": st.just(card) | JSON_VALUES,
            "channel": st.just({"id": "C0LEADERS1"}) | JSON_VALUES,
            "state": JSON_VALUES,
            "extra": JSON_VALUES,
        },
    )


@EXAMPLES
@given(data=st.data())
def test_hostile_interactions_change_nothing(hostile: Hostile, data: st.DataObject):
    before = hostile.state()
    payload = data.draw(interaction(hostile.reference, hostile.card))
    body = urlencode({"payload": json.dumps(payload)}).encode()
    r = hostile.post(body, sign(body, SECRET, content_type=FORM))
    no_traceback(r.status_code, r.text)
    assert hostile.state() == before


MAX_BODY = 2 * 1024 * 1024  # app.py: client_max_size
ENCODINGS = st.sampled_from([FORM, JSON, "text/plain", "multipart/form-data", ""])
BODIES = st.one_of(
    st.binary(max_size=4000),
    ODD_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
    ODD_TEXT.map(lambda t: urlencode({"payload": t}).encode()),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    JSON_VALUES.map(lambda v: urlencode({"command": "/report-post", "user_id": v}).encode()),
    st.just(b"payload=%7B%22type%22%3A"),  # form encoding of a cut-off JSON object
)


@EXAMPLES
@given(body=BODIES, content_type=ENCODINGS)
def test_broken_bodies_signed_correctly_never_break_the_server(
    hostile: Hostile, body: bytes, content_type: str
):
    before = hostile.state()
    r = hostile.post(body, sign(body, SECRET, content_type=content_type or None))
    no_traceback(r.status_code, r.text)
    assert hostile.state() == before


@EXAMPLES
@given(
    body=BODIES,
    # Header values a client can send at all: printable ASCII.
    secret=st.text(alphabet=string.printable.strip(), min_size=1, max_size=40).filter(
        lambda s: s != SECRET
    ),
    skew=st.sampled_from([0, -301, 301, -(10**6)]),
    forge=st.sampled_from(["secret", "timestamp", "missing", "garbage"]),
)
def test_forged_or_stale_signatures_are_always_401(
    hostile: Hostile, body: bytes, secret: str, skew: int, forge: str
):
    now = int(time.time())
    if forge == "secret":
        headers = sign(body, secret, now + skew, content_type=FORM)
    elif forge == "timestamp":  # the right secret, but older or newer than five minutes
        headers = sign(body, SECRET, now + (skew or 301), content_type=FORM)
    elif forge == "missing":
        headers = {"Content-Type": FORM}
    else:
        headers = {
            "Content-Type": FORM,
            "X-Slack-Request-Timestamp": secret,
            "X-Slack-Signature": f"v0={secret}",
        }
    r = hostile.post(body, headers)
    # A body past the server's size limit is refused unread (413); any other forgery is 401.
    expected = 413 if len(body) > MAX_BODY else 401
    assert r.status_code == expected, (forge, r.status_code, r.text[:200])
