"""Malformed and hostile Teams activities at the running server: never a 5xx, never a change."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from cards import teams as teams_cards
from cards.ids import ActionId, ViewId
from tests.e2e import teams_support as tsup
from tests.e2e.hostile_support import (
    EXAMPLES,
    JSON_VALUES,
    ODD_TEXT,
    Background,
    no_traceback,
    settle,
    snapshot,
)

# Everyone but Oak Primary's head and deputy: none of them may change its case.
NOT_ALLOWED = [tsup.TEACHER, tsup.DSL, tsup.HEAD2, tsup.TEACHER2]
INVOKES = [
    "adaptiveCard/action",
    "task/fetch",
    "task/submit",
    "composeExtension/fetchTask",
    "composeExtension/submitAction",
]


@dataclass
class Hostile:
    bg: Background
    teams: tsup.Teams
    reference: str
    http: requests.Session

    def post(self, body: bytes, content_type: str = "application/json") -> requests.Response:
        return self.http.post(
            f"{self.teams.server.url}/api/messages",
            data=body,
            headers={"Content-Type": content_type},
        )

    def state(self) -> dict[str, tuple[str, int, int]]:
        self.bg.run(settle(self.teams.server.idle))
        return self.bg.run(snapshot(self.teams.server.service))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    """One server (Teams without a token check, as on a loopback HOST) and one open case."""
    bg = Background()
    data = tmp_path_factory.mktemp("hostile-teams") / "data"
    teams = bg.enter(lambda: tsup.teams_world(data))
    for user in (tsup.TEACHER, tsup.HEAD, tsup.DEPUTY, *NOT_ALLOWED):
        bg.run(teams.install(user))
    filed = bg.run(teams.report(tsup.TEACHER))
    reference = filed["body"][0]["text"].split()[1]
    with requests.Session() as session:
        yield Hostile(bg, teams, reference, session)
    bg.close()


def case_values(reference: str) -> st.SearchStrategy[Any]:
    refs = st.sampled_from([reference, "OAK-2026-9999", "OAKS-2026-0001", "../x"])
    return st.builds(lambda r, v: f"{r}:{v}", refs, st.integers(-2, 10**12)) | JSON_VALUES


def activity(h: Hostile) -> st.SearchStrategy[dict[str, Any]]:
    """Activities of every type, with wrong, missing and extra fields."""
    users = NOT_ALLOWED
    verbs = st.sampled_from(
        [a.value for a in ActionId] + [v.value for v in ViewId] + [teams_cards.REFRESH]
    )
    data = st.fixed_dictionaries(
        {},
        optional={
            teams_cards.CASE: case_values(h.reference),
            teams_cards.FORM: ODD_TEXT,
            teams_cards.VALUES: JSON_VALUES,
            "msteams": JSON_VALUES,
        },
    )
    value = st.fixed_dictionaries(
        {
            "action": st.fixed_dictionaries(
                {"type": st.just("Action.Execute") | ODD_TEXT, "verb": verbs | ODD_TEXT},
                optional={"data": data | JSON_VALUES},
            )
            | JSON_VALUES
        },
        optional={"trigger": st.sampled_from(["manual", "automatic"]) | ODD_TEXT},
    )
    return st.fixed_dictionaries(
        {
            "type": st.sampled_from(["message", "invoke", "conversationUpdate"]) | ODD_TEXT,
            "serviceUrl": st.just(h.teams.url),
            "channelId": st.just("msteams") | ODD_TEXT,
        },
        optional={
            "id": ODD_TEXT,
            "name": st.sampled_from(INVOKES) | ODD_TEXT,
            "from": st.sampled_from([u.account() for u in users]) | JSON_VALUES,
            "conversation": st.sampled_from([{"id": tsup.chat(u).id} for u in users]) | JSON_VALUES,
            "recipient": JSON_VALUES,
            "text": ODD_TEXT,
            "value": value | data | JSON_VALUES,
            "attachments": JSON_VALUES,
            "channelData": JSON_VALUES,
            "replyToId": ODD_TEXT,
            "extra": JSON_VALUES,
        },
    )


@EXAMPLES
@given(data=st.data())
def test_hostile_activities_change_nothing(hostile: Hostile, data: st.DataObject):
    before = hostile.state()
    payload = data.draw(activity(hostile))
    r = hostile.post(json.dumps(payload).encode())
    no_traceback(r.status_code, r.text)
    assert hostile.state() == before


@EXAMPLES
@given(
    body=st.one_of(
        st.binary(max_size=4000),
        ODD_TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
        JSON_VALUES.map(lambda v: json.dumps(v).encode()),
        st.just(b'{"type": "invoke", "name": '),
    ),
    content_type=st.sampled_from(["application/json", "text/plain", "multipart/form-data"]),
)
def test_broken_bodies_never_break_the_server(hostile: Hostile, body: bytes, content_type: str):
    before = hostile.state()
    r = hostile.post(body, content_type)
    no_traceback(r.status_code, r.text)
    assert hostile.state() == before


def test_a_reply_the_connector_cannot_address_is_400_not_500(hostile: Hostile):
    """Found by the test above: a message with no conversation id and a string for channel
    data got as far as the reply, whose serialisation (msrest) refused it: a 500."""
    before = hostile.state()
    payload = {
        "type": "message",
        "serviceUrl": hostile.teams.url,
        "channelId": "msteams",
        "from": NOT_ALLOWED[0].account(),
        "conversation": {"id": None},
        "channelData": "not an object",
        "text": "hello",
    }
    r = hostile.post(json.dumps(payload).encode())
    assert r.status_code == 400, r.text
    no_traceback(r.status_code, r.text)
    assert hostile.state() == before
