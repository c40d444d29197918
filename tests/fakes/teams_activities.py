"""Builders for inbound Teams activities shaped like the platform samples in ../shared."""

from __future__ import annotations

import hashlib
import html
import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from botbuilder.schema import Activity

ConversationType = Literal["personal", "channel", "groupChat"]

BOT_APP_ID = "76096e45-119f-4736-859c-6dfff54395f7"
BOT_NAME = "Post Concerns"
TENANT_ID = "bec8e231-67ad-484e-87f4-3e5438390a77"
TEAM_ID = "19:12d021jdoijsaeoaue0u@thread.tacv2"

_message_ids = itertools.count(1_600_000_000_001)  # Teams message ids are ms timestamps
_invoke_ids = itertools.count(6_894_910_862_892_785_421)  # invoke ids look like "f:<digits>"
_request_ids = itertools.count(1)


@dataclass(frozen=True)
class TeamsUser:
    """A Teams user as activities name them: a 29: id, an AAD object id and a display name."""

    id: str
    aad_object_id: str
    name: str
    email: str = ""

    def account(self) -> dict[str, Any]:
        """The `from` object of an activity this user sends."""
        return {"id": self.id, "name": self.name, "aadObjectId": self.aad_object_id}

    def member(self, tenant_id: str = TENANT_ID) -> dict[str, Any]:
        """The roster record the connector returns for this user (see FakeConnector.members)."""
        given, _, surname = self.name.partition(" ")
        return {
            "id": self.id,
            "name": self.name,
            "aadObjectId": self.aad_object_id,
            "givenName": given,
            "surname": surname,
            "email": self.email,
            "userPrincipalName": self.email,
            "tenantId": tenant_id,
            "userRole": "user",
        }


@dataclass(frozen=True)
class TeamsConversation:
    """Where an activity happens: a personal chat, a channel thread or a group chat."""

    id: str
    conversation_type: ConversationType = "personal"
    tenant_id: str = TENANT_ID
    team_id: str | None = None
    channel_id: str | None = None
    name: str | None = None

    @classmethod
    def personal(cls, conversation_id: str, tenant_id: str = TENANT_ID) -> TeamsConversation:
        """A one-to-one chat between a user and the bot (ids start with 'a:')."""
        return cls(id=conversation_id, conversation_type="personal", tenant_id=tenant_id)

    @classmethod
    def channel(
        cls,
        channel_id: str,
        team_id: str = TEAM_ID,
        message_id: str | None = None,
        name: str | None = None,
        tenant_id: str = TENANT_ID,
    ) -> TeamsConversation:
        """A channel, or with `message_id` the thread under that channel post."""
        conversation_id = f"{channel_id};messageid={message_id}" if message_id else channel_id
        return cls(
            id=conversation_id,
            conversation_type="channel",
            tenant_id=tenant_id,
            team_id=team_id,
            channel_id=channel_id,
            name=name,
        )

    @classmethod
    def group_chat(cls, conversation_id: str, tenant_id: str = TENANT_ID) -> TeamsConversation:
        """A group chat the bot was added to (ids end with '@thread.v2')."""
        return cls(id=conversation_id, conversation_type="groupChat", tenant_id=tenant_id)

    @classmethod
    def from_id(cls, conversation_id: str, tenant_id: str = TENANT_ID) -> TeamsConversation:
        """Guess the kind of conversation from the shape of its id."""
        if conversation_id.startswith("19:") and "@thread.v2" in conversation_id:
            return cls.group_chat(conversation_id, tenant_id)
        if conversation_id.startswith("19:"):
            channel_id, _, message_id = conversation_id.partition(";messageid=")
            return cls.channel(channel_id, message_id=message_id or None, tenant_id=tenant_id)
        return cls.personal(conversation_id, tenant_id)

    def account(self) -> dict[str, Any]:
        """The `conversation` object of an activity."""
        account: dict[str, Any] = {
            "id": self.id,
            "conversationType": self.conversation_type,
            "tenantId": self.tenant_id,
        }
        if self.conversation_type != "personal":
            account["isGroup"] = True
        if self.name:
            account["name"] = self.name
        return account

    def channel_data(self) -> dict[str, Any]:
        """The Teams `channelData`: tenant always; team and channel in a channel."""
        data: dict[str, Any] = {"tenant": {"id": self.tenant_id}}
        if self.conversation_type == "channel":
            data["team"] = {"id": self.team_id or TEAM_ID}
            data["channel"] = {"id": self.channel_id or self.id.partition(";")[0]}
        return data


# Sample people and places (emails match the example trust file).
TEACHER = TeamsUser(
    id="29:1aBjVi5MwCFfhPIV03E5uDdfpBFXp_2Yz-teacher",
    aad_object_id="b130c271-d2eb-45f9-83ab-9eb3fe3788bc",
    name="Olo Brockhouse",
    email="teacher@oakprimary.example",
)
HEAD = TeamsUser(
    id="29:102jd210jd010icsoaeclaejcoa9ue09u-head",
    aad_object_id="6a1f2d3c-4b5e-4f60-8a71-92b3c4d5e6f7",
    name="Jane Head",
    email="head@oakprimary.example",
)
TEACHER_CHAT = TeamsConversation.personal("a:1teacherPersonalChatWithPostConcerns")
HEAD_CHAT = TeamsConversation.personal("a:1headPersonalChatWithPostConcerns")
STAFFROOM = TeamsConversation.channel(
    "19:6decf54d86d945e4b3924b63a9161a78@thread.tacv2", name="Staffroom"
)
LEADERSHIP_CHANNEL = TeamsConversation.channel("19:abc@thread.tacv2", name="Leadership")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _bot_account(bot_app_id: str) -> dict[str, Any]:
    return {"id": f"28:{bot_app_id}", "name": BOT_NAME}


def _envelope(
    activity_type: str,
    activity_id: str,
    user: TeamsUser,
    conversation: TeamsConversation,
    service_url: str,
    bot_app_id: str,
) -> dict[str, Any]:
    """The fields every Teams activity carries."""
    return {
        "type": activity_type,
        "id": activity_id,
        "timestamp": _now(),
        "localTimestamp": _now(),
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": user.account(),
        "recipient": _bot_account(bot_app_id),
        "conversation": conversation.account(),
        "channelData": conversation.channel_data(),
        "locale": "en-GB",
        "entities": [
            {
                "type": "clientInfo",
                "locale": "en-GB",
                "country": "GB",
                "platform": "Web",
                "timezone": "Europe/London",
            }
        ],
    }


def _invoke(
    name: str,
    value: dict[str, Any],
    user: TeamsUser,
    conversation: TeamsConversation,
    service_url: str,
    bot_app_id: str,
) -> dict[str, Any]:
    payload = _envelope(
        "invoke", f"f:{next(_invoke_ids)}", user, conversation, service_url, bot_app_id
    )
    payload["name"] = name
    payload["value"] = value
    return payload


def message(
    text: str,
    user_id: str,
    aad_id: str,
    conversation_id: str,
    service_url: str,
    value: dict[str, Any] | None = None,
    *,
    name: str = "Staff Member",
    reply_to_id: str | None = None,
    attachments: list[dict[str, Any]] | None = None,
    bot_app_id: str = BOT_APP_ID,
    tenant_id: str = TENANT_ID,
) -> dict[str, Any]:
    """A user's message to the bot; with `value` and `reply_to_id`, an Action.Submit click."""
    user = TeamsUser(id=user_id, aad_object_id=aad_id, name=name)
    conversation = TeamsConversation.from_id(conversation_id, tenant_id)
    payload = _envelope(
        "message", str(next(_message_ids)), user, conversation, service_url, bot_app_id
    )
    payload["text"] = text
    payload["textFormat"] = "plain"
    payload["attachments"] = list(attachments or [])
    if value is not None:
        payload["value"] = value
    if reply_to_id is not None:
        payload["replyToId"] = reply_to_id
    return payload


def message_from(
    text: str,
    user: TeamsUser,
    conversation: TeamsConversation,
    service_url: str,
    value: dict[str, Any] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """`message` for a TeamsUser in a TeamsConversation."""
    payload = message(
        text,
        user.id,
        user.aad_object_id,
        conversation.id,
        service_url,
        value,
        name=user.name,
        tenant_id=conversation.tenant_id,
        **options,
    )
    payload["conversation"] = conversation.account()
    payload["channelData"] = conversation.channel_data()
    return payload


def file_download_attachment(name: str, download_url: str) -> dict[str, Any]:
    """A file a user attached in a personal chat (needs supportsFiles in the manifest)."""
    file_type = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return {
        "contentType": "application/vnd.microsoft.teams.file.download.info",
        "contentUrl": download_url,
        "name": name,
        "content": {
            "downloadUrl": download_url,
            "uniqueId": hashlib.sha1(download_url.encode(), usedforsecurity=False).hexdigest()[:32],
            "fileType": file_type,
        },
    }


def inline_image_attachment(content_url: str, content_type: str = "image/png") -> dict[str, Any]:
    """A pasted screenshot; Teams serves it from the connector and wants the bot's token."""
    return {"contentType": content_type, "contentUrl": content_url}


def conversation_update_installed(
    user: TeamsUser,
    service_url: str,
    conversation: TeamsConversation,
    *,
    bot_app_id: str = BOT_APP_ID,
) -> dict[str, Any]:
    """The conversationUpdate Teams sends when the bot is added (membersAdded holds the bot)."""
    payload = _envelope(
        "conversationUpdate", f"f:{next(_invoke_ids)}", user, conversation, service_url, bot_app_id
    )
    payload["membersAdded"] = [{"id": f"28:{bot_app_id}"}]
    if conversation.conversation_type == "channel":
        payload["channelData"]["eventType"] = "teamMemberAdded"
    return payload


def installation_update(
    user: TeamsUser,
    service_url: str,
    conversation: TeamsConversation,
    *,
    action: Literal["add", "remove", "add-upgrade", "remove-upgrade"] = "add",
    bot_app_id: str = BOT_APP_ID,
) -> dict[str, Any]:
    """The installationUpdate Teams sends when the app is installed (or removed) somewhere."""
    payload = _envelope(
        "installationUpdate", f"f:{next(_invoke_ids)}", user, conversation, service_url, bot_app_id
    )
    payload["action"] = action
    payload["channelData"]["source"] = {"name": "message"}
    return payload


def adaptive_card_invoke(
    verb: str,
    data: dict[str, Any],
    user: TeamsUser,
    service_url: str,
    conversation: TeamsConversation,
    *,
    reply_to_id: str | None = None,
    action_id: str | None = None,
    trigger: Literal["manual", "automatic"] = "manual",
    bot_app_id: str = BOT_APP_ID,
) -> dict[str, Any]:
    """An Action.Execute click (invoke adaptiveCard/action); `reply_to_id` is the card's message."""
    action: dict[str, Any] = {"type": "Action.Execute", "verb": verb, "data": dict(data)}
    if action_id is not None:
        action["id"] = action_id
    payload = _invoke(
        "adaptiveCard/action",
        {"action": action, "trigger": trigger},
        user,
        conversation,
        service_url,
        bot_app_id,
    )
    if reply_to_id is not None:
        payload["replyToId"] = reply_to_id
    return payload


def message_payload(
    message_text: str,
    author: TeamsUser,
    *,
    message_id: str | None = None,
    channel_id: str = STAFFROOM.channel_id or "",
    attachments: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The `messagePayload` of a message action: the message a user chose to report."""
    message_id = message_id or str(next(_message_ids))
    return {
        "linkToMessage": f"https://teams.microsoft.com/l/message/{channel_id}/{message_id}",
        "id": message_id,
        "replyToId": None,
        "createdDateTime": _now(),
        "lastModifiedDateTime": None,
        "deleted": False,
        "summary": None,
        "importance": "normal",
        "locale": "en-us",
        "body": {
            "contentType": "html",
            "content": f"<p>{html.escape(message_text)}</p>",
        },
        "from": {
            "device": None,
            "conversation": None,
            "user": {
                "userIdentityType": "aadUser",
                "id": author.aad_object_id,
                "displayName": author.name,
            },
            "application": None,
        },
        "reactions": [],
        "mentions": [],
        "attachments": list(attachments or []),
    }


def fetch_task_from_message(
    message_text: str,
    user: TeamsUser,
    service_url: str,
    conversation: TeamsConversation = STAFFROOM,
    *,
    author: TeamsUser | None = None,
    command_id: str = "reportPost",
    message_id: str | None = None,
    bot_app_id: str = BOT_APP_ID,
) -> dict[str, Any]:
    """The first invoke of the 'Report this post' message action (composeExtension/fetchTask)."""
    payload = _invoke(
        "composeExtension/fetchTask",
        {
            "commandId": command_id,
            "commandContext": "message",
            "requestId": f"{next(_request_ids):032x}",
            "messagePayload": message_payload(
                message_text,
                author or user,
                message_id=message_id,
                channel_id=conversation.channel_id or conversation.id,
            ),
            "context": {"theme": "default"},
        },
        user,
        conversation,
        service_url,
        bot_app_id,
    )
    payload["channelData"]["source"] = {"name": "compose"}  # as in the documented sample
    return payload


def submit_action(
    data: dict[str, Any],
    user: TeamsUser,
    service_url: str,
    conversation: TeamsConversation = STAFFROOM,
    *,
    command_id: str = "reportPost",
    command_context: Literal["message", "compose", "commandBox"] = "message",
    reported_message: dict[str, Any] | None = None,
    bot_app_id: str = BOT_APP_ID,
) -> dict[str, Any]:
    """The dialog's submit (composeExtension/submitAction); `data` is the form's values."""
    value: dict[str, Any] = {
        "commandId": command_id,
        "commandContext": command_context,
        "context": {"theme": "default"},
        "data": dict(data),
    }
    if reported_message is not None:
        value["messagePayload"] = reported_message
    payload = _invoke(
        "composeExtension/submitAction", value, user, conversation, service_url, bot_app_id
    )
    payload["imdisplayname"] = user.name
    return payload


def to_activity(payload: dict[str, Any]) -> Activity:
    """Deserialize a built payload into botbuilder's Activity (as the HTTP route would)."""
    return Activity().deserialize(payload)
