"""Build Slack request bodies and sign them the way Slack does (v0 HMAC-SHA256)."""

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
TEAM_ID = "T0001"
TEAM_DOMAIN = "oak"
APP_ID = "A0001"
# Port 9 (discard) refuses connections at once: a forgotten response_url never reaches real Slack.
UNSET_RESPONSE_URL = "http://127.0.0.1:9/hooks/commands/T0001/0/unset"

_ids = itertools.count(1)


def sign(
    body: bytes,
    secret: str,
    timestamp: int | str | None = None,
    *,
    content_type: str | None = None,
) -> dict[str, str]:
    """Headers Slack sends with `body`: timestamp, v0 signature and, if given, the content type."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return headers


def retry_headers(num: int = 1, reason: str = "http_timeout") -> dict[str, str]:
    """The headers Slack adds when it redelivers an event."""
    return {"X-Slack-Retry-Num": str(num), "X-Slack-Retry-Reason": reason}


def form_payload(payload: dict[str, Any]) -> bytes:
    """An interactivity body (actions, shortcuts, submissions): form-encoded `payload=<json>`."""
    return urlencode({"payload": json.dumps(payload)}).encode()


def command_body(
    command: str,
    text: str,
    user_id: str,
    *,
    user_name: str = "teacher",
    channel_id: str = "C0000000001",
    channel_name: str = "staffroom",
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = APP_ID,
    response_url: str = UNSET_RESPONSE_URL,
    trigger_id: str | None = None,
) -> bytes:
    """A slash command body: flat form-encoded fields, as Slack posts them."""
    fields = {
        "token": "verification_token",
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }
    return urlencode(fields).encode()


def event_body(
    event: dict[str, Any],
    *,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    event_id: str | None = None,
    event_time: int | None = None,
) -> bytes:
    """An Events API `event_callback` envelope around `event`, JSON-encoded."""
    envelope = {
        "token": "verification_token",
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": int(time.time()) if event_time is None else event_time,
        "authed_users": [],
        "is_ext_shared_channel": False,
    }
    return json.dumps(envelope).encode()


def url_verification_body(challenge: str) -> bytes:
    """The body Slack sends to verify a Request URL."""
    return json.dumps(
        {"token": "verification_token", "challenge": challenge, "type": "url_verification"}
    ).encode()


def new_trigger_id() -> str:
    """A trigger id shaped like Slack's."""
    return f"{next(_ids)}.1.fake{next(_ids):06d}"
