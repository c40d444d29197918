"""With MicrosoftAppId and a password set, a missing or forged Bot Framework token is always 401."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from botframework.connector.auth import ChannelValidation, JwtTokenExtractor
from hypothesis import given
from hypothesis import strategies as st

from tests.e2e.harness import base_env, running_server
from tests.e2e.hostile_support import EXAMPLES, Background
from tests.fakes import teams_activities as ta
from tests.fakes.openid import FakeOpenId

APP = {
    "MicrosoftAppId": ta.BOT_APP_ID,
    "MicrosoftAppPassword": "not-a-real-secret",
    "MicrosoftAppTenantId": ta.TENANT_ID,
}
SERVICE_URL = "http://127.0.0.1:9/"  # never called: every request is refused first


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with FakeOpenId().serving() as openid, pytest.MonkeyPatch.context() as patch:
        # Bot Framework's keys come from a fake on this machine: none of the forgeries is
        # signed with its key, and its fetch count shows no forged kid made the server refetch.
        patch.setattr(ChannelValidation, "open_id_metadata_endpoint", openid.metadata_url)
        bg = Background()
        data = tmp_path_factory.mktemp("hostile-auth") / "data"
        server = bg.enter(lambda: running_server(base_env(data, **APP)))
        yield f"{server.url}/api/messages"
        assert bg.run(server.service.store.references()) == []  # nothing got through
        bg.close()
        JwtTokenExtractor.metadataCache.pop(openid.metadata_url, None)
        assert openid.key_fetches == 1


def b64(value: Any) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# Token-shaped strings that are not Bot Framework's: other issuers, no signature, "none" alg,
# HS256 with a guessed key, expired; none is sent to Microsoft (the issuer check fails first).
FORGED = st.builds(
    lambda header, claims, sig: f"{b64(header)}.{b64(claims)}.{b64(sig)}",
    st.fixed_dictionaries(
        {"alg": st.sampled_from(["RS256", "HS256", "none", "ES256"]), "typ": st.just("JWT")},
        optional={"kid": st.text(max_size=20)},
    ),
    st.fixed_dictionaries(
        {
            "iss": st.sampled_from(["https://evil.example", "", "https://api.botframework.co"]),
            "aud": st.sampled_from([ta.BOT_APP_ID, "someone-else"]),
        },
        optional={"exp": st.integers(0, 2**33), "serviceurl": st.just(SERVICE_URL)},
    ),
    st.binary(max_size=64),
)
AUTHORIZATION = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=80),
    FORGED.map(lambda t: f"Bearer {t}"),
    st.just("Bearer "),
    st.just("Basic dXNlcjpwYXNz"),
)


def activity(kind: str, extra: Any) -> dict[str, Any]:
    if kind == "message":
        payload = ta.message_from("report", ta.TEACHER, ta.TEACHER_CHAT, SERVICE_URL)
    elif kind == "invoke":
        data = {"case": "OAK-2026-0001:1"}
        payload = ta.adaptive_card_invoke("case_approve", data, ta.HEAD, SERVICE_URL, ta.HEAD_CHAT)
    else:
        payload = ta.conversation_update_installed(ta.HEAD, SERVICE_URL, ta.HEAD_CHAT)
    return {**payload, "extra": extra}


@EXAMPLES
@given(
    authorization=AUTHORIZATION,
    kind=st.sampled_from(["message", "invoke", "conversationUpdate"]),
    # Small extras: a body over the 2 MB limit is refused (413) before any token is read.
    extra=st.dictionaries(st.text(max_size=10), st.text(max_size=50), max_size=3),
)
def test_a_missing_or_forged_token_is_always_401(
    url: str, authorization: str | None, kind: str, extra: Any
):
    headers = {"Authorization": authorization} if authorization is not None else {}
    r = requests.post(url, json=activity(kind, extra), headers=headers, timeout=30)
    assert r.status_code == 401, (authorization, r.status_code, r.text[:200])
