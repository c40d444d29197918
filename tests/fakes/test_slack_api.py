"""The fake Slack Web API answers slack_sdk's real client as Slack would, and fails on demand."""

import asyncio
import time
from collections.abc import AsyncIterator
from urllib.parse import parse_qs

import aiohttp
import pytest
import pytest_asyncio
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_api import DOWNLOAD, FakeSlackApi
from tests.fakes.slack_signing import FORM, command_body, event_body, form_payload, sign

TOKEN = "xoxb-test-token"
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "New report OAK-2026-0007"}}]


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeSlackApi]:
    api = FakeSlackApi(
        users={"U1": ("head@oakprimary.example", "Ann Head")},
        files={"F1": {"name": "post.png", "mimetype": "image/png", "content": b"\x89PNG fake"}},
    )
    async with api:
        yield api


def client_for(fake: FakeSlackApi, token: str | None = TOKEN) -> AsyncWebClient:
    return AsyncWebClient(token=token, base_url=fake.base_url)


@pytest.mark.asyncio
async def test_post_message_is_recorded_with_its_blocks_decoded(fake: FakeSlackApi) -> None:
    client = client_for(fake)
    first = await client.chat_postMessage(channel="C1", text="New report", blocks=BLOCKS)
    second = await client.chat_postMessage(channel="U1", text="Thanks")

    [call, _] = fake.calls_to("chat.postMessage")
    assert call.args["blocks"] == BLOCKS
    assert call.token == TOKEN
    assert first["channel"] == "C1" and second["channel"] == "DU1"
    assert float(second["ts"]) > float(first["ts"])


@pytest.mark.asyncio
async def test_form_encoded_json_fields_are_decoded(fake: FakeSlackApi) -> None:
    client = client_for(fake)
    # Passing `data=` makes slack_sdk form-encode: blocks then travel as a JSON string.
    await client.api_call(
        "chat.postMessage", data={"channel": "C1", "text": "x", "blocks": '[{"type": "divider"}]'}
    )

    assert fake.calls_to("chat.postMessage")[0].args["blocks"] == [{"type": "divider"}]


@pytest.mark.asyncio
async def test_chat_update_needs_a_posted_message(fake: FakeSlackApi) -> None:
    client = client_for(fake)
    posted = await client.chat_postMessage(channel="C1", text="pending")
    updated = await client.chat_update(channel="C1", ts=posted["ts"], text="approved")

    assert updated["message"]["text"] == "approved"
    with pytest.raises(SlackApiError) as raised:
        await client.chat_update(channel="C1", ts="1.000000", text="nope")
    assert raised.value.response["error"] == "message_not_found"
    assert [c.error for c in fake.calls_to("chat.update")] == [None, "message_not_found"]


@pytest.mark.asyncio
async def test_users_info_answers_from_the_directory(fake: FakeSlackApi) -> None:
    client = client_for(fake)
    user = (await client.users_info(user="U1"))["user"]
    by_email = (await client.users_lookupByEmail(email="HEAD@oakprimary.example"))["user"]

    assert user["profile"]["email"] == "head@oakprimary.example"
    assert user["real_name"] == "Ann Head"
    assert by_email["id"] == "U1"
    with pytest.raises(SlackApiError) as raised:
        await client.users_info(user="U404")
    assert raised.value.response["error"] == "user_not_found"


@pytest.mark.asyncio
async def test_calls_without_a_token_are_refused(fake: FakeSlackApi) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client_for(fake, token=None).auth_test()
    assert raised.value.response["error"] == "not_authed"


@pytest.mark.asyncio
async def test_files_info_and_authenticated_download(fake: FakeSlackApi) -> None:
    info = (await client_for(fake).files_info(file="F1"))["file"]
    url = info["url_private_download"]

    async with aiohttp.ClientSession() as session:
        async with session.get(url, headers={"Authorization": f"Bearer {TOKEN}"}) as allowed:
            assert allowed.status == 200
            assert await allowed.read() == b"\x89PNG fake"
        async with session.get(url) as anonymous:
            assert anonymous.status == 401
    assert info["size"] == len(b"\x89PNG fake") and info["mimetype"] == "image/png"
    assert [c.status for c in fake.calls_to(DOWNLOAD)] == [200, 401]


@pytest.mark.asyncio
async def test_files_upload_v2_stores_the_bytes(fake: FakeSlackApi) -> None:
    result = await client_for(fake).files_upload_v2(
        content=b"letter", filename="warning-letter.docx", title="Draft", channel="C1"
    )

    file_id = result["file"]["id"]
    assert fake.files[file_id]["content"] == b"letter"
    assert result["file"]["title"] == "Draft" and result["file"]["channels"] == ["C1"]
    assert fake.calls_to("files.completeUploadExternal")[0].args["files"] == [
        {"id": file_id, "title": "Draft"}
    ]


@pytest.mark.asyncio
async def test_views_update_checks_the_hash(fake: FakeSlackApi) -> None:
    client = client_for(fake)
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Report"}, "blocks": []}
    opened = (await client.views_open(trigger_id="1.2.abc", view=view))["view"]
    updated = (await client.views_update(view_id=opened["id"], hash=opened["hash"], view=view))[
        "view"
    ]

    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    with pytest.raises(SlackApiError) as raised:
        await client.views_update(view_id=opened["id"], hash=opened["hash"], view=view)
    assert raised.value.response["error"] == "hash_conflict"


@pytest.mark.asyncio
async def test_a_failure_then_success_is_one_failed_and_one_delivered_call(
    fake: FakeSlackApi,
) -> None:
    client = client_for(fake)
    fake.fail_next("chat.postMessage", status=500)

    with pytest.raises(SlackApiError):
        await client.chat_postMessage(channel="C1", text="first try")
    await client.chat_postMessage(channel="C1", text="second try")

    attempts = fake.calls_to("chat.postMessage", include_failed=True)
    assert [(c.failed, c.status, c.args["text"]) for c in attempts] == [
        (True, 500, "first try"),
        (False, 200, "second try"),
    ]
    assert [c.args["text"] for c in fake.calls_to("chat.postMessage")] == ["second try"]


@pytest.mark.asyncio
async def test_rate_limit_carries_retry_after(fake: FakeSlackApi) -> None:
    fake.fail_next("chat.postMessage", status=429, retry_after=7)

    with pytest.raises(SlackApiError) as raised:
        await client_for(fake).chat_postMessage(channel="C1", text="x")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"
    assert raised.value.response["error"] == "ratelimited"


@pytest.mark.asyncio
async def test_slack_sdk_rate_limit_handler_retries_after_the_delay(fake: FakeSlackApi) -> None:
    client = client_for(fake)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    fake.fail_next("chat.postMessage", status=429, retry_after=0)

    await client.chat_postMessage(channel="C1", text="x")

    assert [c.failed for c in fake.calls_to("chat.postMessage", include_failed=True)] == [
        True,
        False,
    ]


@pytest.mark.asyncio
async def test_a_dropped_connection_gives_no_response(fake: FakeSlackApi) -> None:
    fake.fail_next(
        "auth.test", count=2, status="drop"
    )  # slack_sdk retries a dropped connection once

    with pytest.raises(aiohttp.ClientError):
        await client_for(fake).auth_test()
    assert [c.failed for c in fake.calls_to("auth.test", include_failed=True)] == [True, True]
    assert (await client_for(fake).auth_test())["user_id"] == "UBOT"


@pytest.mark.asyncio
async def test_wait_for_sees_a_call_made_later_and_reports_on_timeout(fake: FakeSlackApi) -> None:
    client = client_for(fake)
    later = asyncio.create_task(client.chat_postEphemeral(channel="C1", user="U1", text="Only you"))

    [call] = await fake.wait_for("chat.postEphemeral", timeout=5)
    await later
    assert call.args["user"] == "U1"
    started = time.monotonic()
    with pytest.raises(AssertionError, match="chat.postEphemeral"):
        await fake.wait_for("views.open", timeout=0.1)
    assert time.monotonic() - started < 2


@pytest.mark.asyncio
async def test_response_url_posts_are_recorded(fake: FakeSlackApi) -> None:
    url = fake.response_url()
    async with aiohttp.ClientSession() as session:
        async with session.post(
            url, json={"text": "Thanks, report received", "response_type": "ephemeral"}
        ):
            pass

    [call] = await fake.wait_for("response_url")
    assert call.args["text"] == "Thanks, report received" and call.args["url"] == url


@pytest.mark.asyncio
async def test_unknown_methods_are_refused(fake: FakeSlackApi) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client_for(fake).api_call("reactions.add", json={"name": "eyes"})
    assert raised.value.response["error"] == "unknown_method"


def test_signature_is_accepted_by_slack_sdk() -> None:
    body = form_payload({"type": "block_actions", "actions": []})
    headers = sign(body, "s3cret", content_type=FORM)
    verifier = SignatureVerifier("s3cret")

    assert headers["Content-Type"] == FORM
    assert verifier.is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    assert not verifier.is_valid(
        body + b"x", headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    assert not SignatureVerifier("other").is_valid_request(body, headers)


def test_bodies_have_slacks_shapes() -> None:
    command = parse_qs(command_body("/report-post", "https://x.example/p/1", "U1").decode())
    event = event_body({"type": "app_mention", "user": "U1", "text": "<@UBOT> hi"})

    assert command["command"] == ["/report-post"] and command["user_id"] == ["U1"]
    assert command["trigger_id"][0] and command["response_url"][0]
    assert b'"type": "event_callback"' in event and b'"event_id": "Ev' in event
