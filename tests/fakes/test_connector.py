"""The fake connector answers botbuilder's real ConnectorClient and records what it was sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationParameters,
    ErrorResponseException,
)
from msrest.exceptions import ClientRequestError

from tests.fakes import teams_activities as ta
from tests.fakes.connector import FakeConnector

Logic = Callable[[TurnContext], Awaitable[None]]


@pytest.fixture
async def fake() -> AsyncIterator[FakeConnector]:
    async with FakeConnector() as connector:
        connector.members[ta.HEAD.id] = ta.HEAD.member()
        connector.members[ta.TEACHER.id] = ta.TEACHER.member()
        yield connector


@pytest.fixture
def adapter() -> CloudAdapter:
    # No app id: anonymous, as with the Bot Framework Emulator. botbuilder reads APP_ID and
    # APP_PASSWORD from this object, not the MicrosoftAppId names.
    settings = SimpleNamespace(APP_ID="", APP_PASSWORD="", APP_TYPE="MultiTenant")
    return CloudAdapter(ConfigurationBotFrameworkAuthentication(settings))


async def run_turn(adapter: CloudAdapter, payload: dict[str, Any], logic: Logic) -> None:
    """Run one inbound activity through the adapter the way /api/messages would."""
    await adapter.process_activity("", ta.to_activity(payload), logic)


@pytest.mark.asyncio
async def test_a_reply_and_an_update_reach_the_fake(
    fake: FakeConnector, adapter: CloudAdapter
) -> None:
    payload = ta.message_from("report", ta.TEACHER, ta.TEACHER_CHAT, fake.service_url)
    ids: list[str] = []

    async def logic(context: TurnContext) -> None:
        sent = await context.send_activity("Thanks, your report is saved.")
        ids.append(sent.id)
        edited = Activity(
            type=ActivityTypes.message,
            id=sent.id,
            text="Thanks, your report OAK-2026-0001 is saved.",
            conversation=context.activity.conversation,
        )
        await context.update_activity(edited)

    await run_turn(adapter, payload, logic)

    (reply,) = fake.sent()
    assert reply.kind == "reply"  # the incoming activity had an id, so botbuilder replies to it
    assert reply.conversation_id == ta.TEACHER_CHAT.id
    assert reply.activity_id == payload["id"]
    assert reply.activity["text"] == "Thanks, your report is saved."
    assert reply.activity["recipient"]["id"] == ta.TEACHER.id
    assert "Authorization" not in reply.headers  # anonymous: no token is sent
    (update,) = fake.updates()
    assert update.activity_id == ids[0] == reply.result_id
    assert fake.messages[ids[0]]["text"] == "Thanks, your report OAK-2026-0001 is saved."


@pytest.mark.asyncio
async def test_a_proactive_message_reaches_a_channel_thread(
    fake: FakeConnector, adapter: CloudAdapter
) -> None:
    thread = ta.TeamsConversation.channel(
        ta.LEADERSHIP_CHANNEL.channel_id or "", message_id="1600000000999"
    )
    payload = ta.message_from("hello", ta.HEAD, thread, fake.service_url)
    reference = TurnContext.get_conversation_reference(ta.to_activity(payload))
    reference.activity_id = None  # a stored reference is for the conversation, not a message

    async def logic(context: TurnContext) -> None:
        await context.send_activity("New report OAK-2026-0007 needs your decision")

    await adapter.continue_conversation(reference, logic, bot_app_id="")

    (sent,) = await fake.wait_for("sent")
    # botbuilder's continuation activity gets a random uuid1 id and the message is posted as a
    # reply to it, not as a plain send.
    assert sent.kind == "reply"
    assert sent.activity_id == sent.activity["replyToId"] != payload["id"]
    # The ';messageid=' of a thread survives the round trip through the URL.
    assert sent.conversation_id == thread.id == "19:abc@thread.tacv2;messageid=1600000000999"
    assert sent.activity["text"] == "New report OAK-2026-0007 needs your decision"


@pytest.mark.asyncio
async def test_teams_info_reads_the_roster(fake: FakeConnector, adapter: CloudAdapter) -> None:
    payload = ta.message_from("hi", ta.HEAD, ta.HEAD_CHAT, fake.service_url)
    found: dict[str, Any] = {}

    async def logic(context: TurnContext) -> None:
        found["by_id"] = await TeamsInfo.get_member(context, ta.HEAD.id)
        found["by_aad"] = await TeamsInfo.get_member(context, ta.TEACHER.aad_object_id)
        found["all"] = await TeamsInfo.get_members(context)
        first = await TeamsInfo.get_paged_members(context, page_size=1)
        second = await TeamsInfo.get_paged_members(context, first.continuation_token, 1)
        found["pages"] = (first, second)
        try:
            await TeamsInfo.get_member(context, "29:stranger")
        except ErrorResponseException as error:
            found["missing"] = error.error.error.code

    await run_turn(adapter, payload, logic)

    assert found["by_id"].email == "head@oakprimary.example"
    assert found["by_id"].aad_object_id == ta.HEAD.aad_object_id
    assert found["by_aad"].email == "teacher@oakprimary.example"
    assert found["by_aad"].user_principal_name == "teacher@oakprimary.example"
    assert sorted(m.email for m in found["all"]) == [
        "head@oakprimary.example",
        "teacher@oakprimary.example",
    ]
    first, second = found["pages"]
    assert [m.id for m in first.members + second.members] == [ta.HEAD.id, ta.TEACHER.id]
    assert second.continuation_token is None
    assert found["missing"] == "MemberNotFoundInConversation"
    lookups = [c for c in fake.calls if c.kind == "get_member"]
    assert [c.path.rsplit("/", 1)[-1] for c in lookups] == [
        ta.HEAD.id,
        ta.TEACHER.aad_object_id,
        "29:stranger",
    ]


@pytest.mark.asyncio
async def test_create_conversation_records_the_parameters(
    fake: FakeConnector, adapter: CloudAdapter
) -> None:
    parameters = ConversationParameters(
        is_group=False,
        bot=ChannelAccount(id=f"28:{ta.BOT_APP_ID}"),
        members=[ChannelAccount(id=ta.HEAD.id)],
        tenant_id=ta.TENANT_ID,
        channel_data={"tenant": {"id": ta.TENANT_ID}},
    )
    seen: list[str] = []

    async def callback(context: TurnContext) -> None:
        seen.append(context.activity.conversation.id)
        await context.send_activity("New report OAK-2026-0007 needs your decision")

    await adapter.create_conversation(
        ta.BOT_APP_ID, callback, parameters, "msteams", fake.service_url, None
    )

    (created,) = fake.created_conversations()
    assert created.body["members"] == [{"id": ta.HEAD.id}]
    # botbuilder serialises ConversationParameters.tenant_id as "tenantID" (sic); Teams reads
    # the tenant from channelData, so set both.
    assert created.body["tenantID"] == ta.TENANT_ID
    assert created.body["channelData"]["tenant"]["id"] == ta.TENANT_ID
    assert seen == [created.result_id] == ["a:new-conv-1"]
    (sent,) = fake.sent(conversation_id="a:new-conv-1")
    assert sent.kind == "reply"  # again a reply, to the uuid4 botbuilder gave the new turn


@pytest.mark.asyncio
async def test_a_channel_post_with_an_activity_gets_a_thread_id(
    fake: FakeConnector, adapter: CloudAdapter
) -> None:
    parameters = ConversationParameters(
        is_group=True,
        channel_data={"channel": {"id": ta.LEADERSHIP_CHANNEL.channel_id}},
        activity=Activity(type=ActivityTypes.message, text="New report needs your decision"),
    )
    seen: list[Activity] = []

    async def callback(context: TurnContext) -> None:
        seen.append(context.activity)

    await adapter.create_conversation(
        ta.BOT_APP_ID, callback, parameters, "msteams", fake.service_url, None
    )

    (created,) = fake.created_conversations()
    assert created.activity["text"] == "New report needs your decision"
    message_id = created.response["activityId"]
    assert seen[0].id == message_id
    assert seen[0].conversation.id == f"19:abc@thread.tacv2;messageid={message_id}"
    assert fake.messages[message_id]["text"] == "New report needs your decision"


@pytest.mark.asyncio
async def test_injected_failures_reach_the_bot(fake: FakeConnector, adapter: CloudAdapter) -> None:
    payload = ta.message_from("hi", ta.HEAD, ta.HEAD_CHAT, fake.service_url)
    outcomes: list[str] = []

    async def logic(context: TurnContext) -> None:
        fake.fail_next(1, 429, retry_after=7)
        fake.fail_next(1, 500)
        fake.fail_next(1, "drop")
        for _ in range(3):
            try:
                await context.send_activity("New report OAK-2026-0007 needs your decision")
            except ErrorResponseException as error:
                outcomes.append(f"http {error.response.status_code}")
            except ClientRequestError:
                outcomes.append("connection lost")
        await context.send_activity("New report OAK-2026-0007 needs your decision")
        outcomes.append("delivered")

    await run_turn(adapter, payload, logic)

    assert outcomes == ["http 429", "http 500", "connection lost", "delivered"]
    throttled, failed, dropped, delivered = fake.calls
    assert throttled.status == 429
    assert throttled.response["error"]["code"] == "Throttled"
    assert failed.status == 500
    assert not dropped.ok
    assert delivered.ok
    assert len(fake.sent()) == 1
    assert len(fake.failed()) == 3


@pytest.mark.asyncio
async def test_botbuilder_retries_a_failed_update_by_itself(
    fake: FakeConnector, adapter: CloudAdapter
) -> None:
    # msrest's urllib3 retry policy repeats PUT/GET/DELETE (not POST) after a 5xx or a lost
    # connection, so a single injected failure of an update never reaches the bot.
    payload = ta.message_from("hi", ta.HEAD, ta.HEAD_CHAT, fake.service_url, reply_to_id="1")

    async def logic(context: TurnContext) -> None:
        fake.fail_next(1, 500, kinds={"update"})
        edited = Activity(
            type=ActivityTypes.message,
            id="1",
            text="Approved",
            conversation=context.activity.conversation,
        )
        await context.update_activity(edited)

    await run_turn(adapter, payload, logic)

    assert [c.status for c in fake.calls] == [500, 200]
    assert fake.messages["1"]["text"] == "Approved"


@pytest.mark.asyncio
async def test_delete_removes_the_stored_message(
    fake: FakeConnector, adapter: CloudAdapter
) -> None:
    payload = ta.message_from("hi", ta.HEAD, ta.HEAD_CHAT, fake.service_url)

    async def logic(context: TurnContext) -> None:
        sent = await context.send_activity("temporary")
        await context.delete_activity(sent.id)

    await run_turn(adapter, payload, logic)

    (deleted,) = fake.deletes()
    assert deleted.activity_id == fake.sent()[0].result_id
    assert deleted.activity_id not in fake.messages


@pytest.mark.asyncio
async def test_wait_for_sees_a_background_send_and_explains_a_timeout(
    fake: FakeConnector, adapter: CloudAdapter
) -> None:
    payload = ta.message_from("hi", ta.HEAD, ta.HEAD_CHAT, fake.service_url)

    async def logic(context: TurnContext) -> None:
        await asyncio.sleep(0.05)
        await context.send_activity("later")

    task = asyncio.create_task(run_turn(adapter, payload, logic))
    (reply,) = await fake.wait_for(
        "reply", predicate=lambda call: call.activity.get("text") == "later", timeout=5
    )
    await task
    assert reply.conversation_id == ta.HEAD_CHAT.id

    with pytest.raises(AssertionError, match=r"(?s)'update'.*POST /v3/conversations/"):
        await fake.wait_for("update", timeout=0.1)


@pytest.mark.asyncio
async def test_files_are_served_for_attachment_downloads(fake: FakeConnector) -> None:
    fake.files["screenshot.png"] = b"\x89PNG\r\n\x1a\nfake"
    async with aiohttp.ClientSession() as session:
        async with session.get(fake.file_url("screenshot.png")) as response:
            assert response.status == 200
            assert response.content_type == "image/png"
            assert await response.read() == b"\x89PNG\r\n\x1a\nfake"
        async with session.get(fake.file_url("missing.png")) as response:
            assert response.status == 404
    assert [c.kind for c in fake.calls] == ["file", "file"]


@pytest.mark.asyncio
async def test_an_unfaked_route_is_recorded_not_hidden(fake: FakeConnector) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{fake.service_url}v3/conversations/x/activities/history"
        async with session.post(url, json={"activities": []}) as response:
            assert response.status == 404
    (call,) = fake.calls
    assert call.kind == "unknown"
    assert call.body == {"activities": []}


def test_builders_match_the_documented_shapes() -> None:
    service_url = "http://127.0.0.1:1/"
    invoke = ta.adaptive_card_invoke(
        "approve", {"case": "OAK-2026-0007"}, ta.HEAD, service_url, ta.HEAD_CHAT, reply_to_id="5"
    )
    assert invoke["name"] == "adaptiveCard/action"
    assert invoke["value"] == {
        "action": {"type": "Action.Execute", "verb": "approve", "data": {"case": "OAK-2026-0007"}},
        "trigger": "manual",
    }
    assert invoke["recipient"]["id"] == f"28:{ta.BOT_APP_ID}"
    assert invoke["from"]["aadObjectId"] == ta.HEAD.aad_object_id
    assert invoke["channelData"]["tenant"]["id"] == invoke["conversation"]["tenantId"]

    fetch = ta.fetch_task_from_message("They are a disgrace <b>", ta.TEACHER, service_url)
    assert fetch["name"] == "composeExtension/fetchTask"
    assert fetch["value"]["commandId"] == "reportPost"
    assert fetch["value"]["commandContext"] == "message"
    body = fetch["value"]["messagePayload"]["body"]
    assert body == {"contentType": "html", "content": "<p>They are a disgrace &lt;b&gt;</p>"}
    assert fetch["channelData"]["channel"]["id"] == ta.STAFFROOM.channel_id

    submit = ta.submit_action({"category": "4.2.3"}, ta.TEACHER, service_url)
    assert submit["name"] == "composeExtension/submitAction"
    assert submit["value"]["data"] == {"category": "4.2.3"}

    installed = ta.conversation_update_installed(ta.HEAD, service_url, ta.HEAD_CHAT)
    assert installed["membersAdded"] == [{"id": f"28:{ta.BOT_APP_ID}"}]
    assert ta.installation_update(ta.HEAD, service_url, ta.HEAD_CHAT)["action"] == "add"

    click = ta.message("", ta.HEAD.id, ta.HEAD.aad_object_id, "a:1x", service_url, {"ok": 1})
    activity = ta.to_activity(click)
    assert activity.value == {"ok": 1}
    assert activity.from_property.aad_object_id == ta.HEAD.aad_object_id
    assert activity.conversation.conversation_type == "personal"
    assert activity.channel_id == "msteams"
