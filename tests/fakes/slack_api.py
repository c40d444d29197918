"""A fake Slack Web API on 127.0.0.1: answers like Slack, records every call, fails on demand."""

from __future__ import annotations

import asyncio
import itertools
import json
import mimetypes
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal
from urllib.parse import quote

from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

TEAM_ID = "T0001"
TEAM_NAME = "Oak"
TEAM_DOMAIN = "oak"
BOT_USER_ID = "UBOT"
BOT_ID = "B0001"
APP_ID = "A0001"
BASE_TS = 1_700_000_000

# Form-encoded clients send these arguments as JSON strings; tests want the objects.
JSON_FIELDS = frozenset(
    {"blocks", "attachments", "view", "files", "metadata", "unfurls", "user_auth_blocks"}
)
# Pseudo-methods for the non-API routes, so they can be awaited and failed like API methods.
DOWNLOAD = "files:download"
UPLOAD = "files:upload"
RESPONSE_URL = "response_url"

FailStatus = int | Literal["drop"]
Args = dict[str, Any]
Body = dict[str, Any]


@dataclass(frozen=True)
class Call:
    """One request that reached the fake: delivered, or failed by `fail_next` (`failed`).

    `error` is the Slack error code the fake answered (`ok: false`), None when it answered ok.
    """

    method: str
    args: Args
    headers: Mapping[str, str]
    at: float
    failed: bool = False
    status: int = 200
    error: str | None = None

    @property
    def token(self) -> str | None:
        """The bearer token of the request, else its `token` argument."""
        token = bearer_token(self.headers) or self.args.get("token")
        return token if isinstance(token, str) and token else None


@dataclass
class _Failure:
    method: str | None
    remaining: int
    status: FailStatus
    retry_after: int
    error: str | None

    def matches(self, method: str) -> bool:
        return self.remaining > 0 and self.method in (None, method)


@dataclass
class _Upload:
    filename: str
    length: int
    content: bytes | None = None


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of an `Authorization: Bearer` header."""
    auth = headers.get("Authorization", "")
    if not auth.startswith("Bearer "):
        return None
    return auth.removeprefix("Bearer ").strip() or None


def error(code: str) -> Body:
    """A Slack error body."""
    return {"ok": False, "error": code}


def decode_json_fields(args: Args) -> Args:
    """Decode the arguments that form-encoded clients send as JSON strings."""
    decoded = dict(args)
    for key in JSON_FIELDS & decoded.keys():
        value = decoded[key]
        if isinstance(value, str) and value[:1] in "[{":
            try:
                decoded[key] = json.loads(value)
            except json.JSONDecodeError:
                pass  # keep what was sent: the test will see the malformed string
    return decoded


async def read_args(request: web.Request) -> Args:
    """Query string plus JSON, form-encoded or multipart body, as one dict."""
    args: Args = dict(request.query)
    if request.content_type == "application/json":
        raw = await request.read()
        body = json.loads(raw) if raw else {}
        args.update(body if isinstance(body, dict) else {"_body": body})
    elif request.can_read_body:
        form = await request.post()
        args.update(
            {k: v if isinstance(v, str) else getattr(v, "filename", None) for k, v in form.items()}
        )
    return decode_json_fields(args)


def free_socket() -> socket.socket:
    """A listening-ready TCP socket on a free loopback port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class FakeSlackApi:
    """Slack's Web API, file hosting and response URLs, served by aiohttp on a free loopback port.

    `users` maps user id to (email, real name); `files` maps file id to a dict with `name`,
    `mimetype`, `content` (bytes) and optionally `size`, `title`, `user`, `download_url`. When
    `token` is set, API calls and downloads must carry it; otherwise any token is accepted (but
    one is required).
    """

    def __init__(
        self,
        *,
        users: Mapping[str, tuple[str, str]] | None = None,
        files: Mapping[str, Mapping[str, Any]] | None = None,
        token: str | None = None,
        latency: float = 0.0,
    ) -> None:
        # Seconds every API call takes to answer, after it took effect (as a busy Slack: a
        # message is in the channel before the bot hears that it was accepted).
        self.latency = latency
        self.users: dict[str, tuple[str, str]] = dict(users or {})
        self.files: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (files or {}).items()}
        self.token = token
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], Body] = {}
        self.views: dict[str, Body] = {}
        self.opened_by_trigger: dict[str, str] = {}  # trigger_id -> the view it opened
        self.root_url = ""
        self._home_views: dict[str, str] = {}
        self._uploads: dict[str, _Upload] = {}
        self._failures: list[_Failure] = []
        self._seq = itertools.count(1)
        self._last_ts = 0
        self._started_at = time.monotonic()
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, Callable[[Args], Body]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "users.conversations": self._users_conversations,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.info": self._files_info,
            "files.upload": lambda args: error("method_deprecated"),
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
        }

    # lifecycle

    async def start(self) -> str:
        """Serve on a free 127.0.0.1 port; returns the base URL (ends in /api/) for slack_sdk."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_get("/files/{file_id}", self._handle_download)
        app.router.add_get("/files/{file_id}/{tail:.*}", self._handle_download)
        app.router.add_post("/upload/v1/{file_id}", self._handle_upload)
        app.router.add_post("/hooks/{tail:.*}", self._handle_response_url)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        sock = free_socket()
        await web.SockSite(self._runner, sock).start()
        self.root_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        return self.base_url

    async def stop(self) -> None:
        """Stop serving; the recorded calls stay readable."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeSlackApi:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """The value for `SLACK_API_URL` or `AsyncWebClient(base_url=...)`."""
        if not self.root_url:
            raise RuntimeError("FakeSlackApi is not started")
        return f"{self.root_url}/api/"

    # what tests use

    def calls_to(self, method: str, *, include_failed: bool = False) -> list[Call]:
        """The calls of one method, delivered ones only unless `include_failed`."""
        return [c for c in self.calls if c.method == method and (include_failed or not c.failed)]

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 10,
        predicate: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Wait for `count` delivered `method` calls matching `predicate`; returns all matches."""
        deadline = time.monotonic() + timeout
        while True:
            matching = [c for c in self.calls_to(method) if predicate is None or predicate(c)]
            if len(matching) >= count:
                return matching
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"expected {count} {method} call(s), got {len(matching)} within {timeout}s.\n"
                    f"Calls seen:\n{self.describe_calls()}"
                )
            await asyncio.sleep(0.01)

    def describe_calls(self) -> str:
        """One line per recorded call, for assertion messages."""
        if not self.calls:
            return "  (none)"
        return "\n".join(self._describe(call) for call in self.calls)

    def fail_next(
        self,
        method: str | None = None,
        count: int = 1,
        status: FailStatus = 500,
        *,
        retry_after: int = 1,
        error: str | None = None,
    ) -> None:
        """Fail the next `count` calls of `method` (any method when None).

        `status` 429 answers `ratelimited` with a Retry-After header of `retry_after` seconds;
        "drop" closes the connection without answering; 200 with `error` answers `ok: false`.
        Rules queue up in order.
        """
        if status == 200 and error is None:
            raise ValueError("a failure with status 200 needs an error code")
        self._failures.append(_Failure(method, count, status, retry_after, error))

    def recover(self) -> None:
        """Drop every failure still queued by `fail_next`: the API answers normally again."""
        self._failures.clear()

    def response_url(self) -> str:
        """A fresh response_url on this server; posts to it are recorded as `response_url` calls."""
        return f"{self.root_url}/hooks/commands/{TEAM_ID}/{next(self._seq)}/fake"

    def file_object(self, file_id: str) -> Body:
        """The file as files.info (and a file_input's state) describes it."""
        entry = self.files[file_id]
        name = entry["name"]
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else "binary"
        url = f"{self.root_url}/files/{file_id}"
        user = entry.get("user", "U0000000001")
        return {
            "id": file_id,
            "created": BASE_TS,
            "timestamp": BASE_TS,
            "name": name,
            "title": entry.get("title", name),
            "mimetype": entry["mimetype"],
            "filetype": ext,
            "pretty_type": ext.upper(),
            "user": user,
            "user_team": TEAM_ID,
            "editable": False,
            "size": entry.get("size", len(entry.get("content", b""))),
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": False,
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": f"{url}/{quote(name)}",
            # A test may point it elsewhere, as a hostile or broken workspace might.
            "url_private_download": entry.get("download_url", f"{url}/download/{quote(name)}"),
            "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{user}/{file_id}/{quote(name)}",
            "channels": [entry["channel_id"]] if entry.get("channel_id") else [],
            "groups": [],
            "ims": [],
            "comments_count": 0,
            "has_rich_preview": False,
            "file_access": "visible",
        }

    # request plumbing

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args = await read_args(request)
        failed = self._failure_response(request, method, args)
        if failed is not None:
            return failed
        body = self._answer(method, args, request.headers)
        self._record(request, method, args, error=body.get("error"))
        if self.latency:
            await asyncio.sleep(self.latency)
        return web.json_response(body)

    async def _handle_download(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["file_id"]
        args: Args = {"file": file_id}
        failed = self._failure_response(request, DOWNLOAD, args)
        if failed is not None:
            return failed
        status = self._download_status(request, file_id)
        self._record(request, DOWNLOAD, args, status=status)
        if status != 200:
            return web.Response(status=status, text=f"download refused ({status})")
        entry = self.files[file_id]
        return web.Response(body=entry["content"], content_type=entry["mimetype"])

    async def _handle_upload(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["file_id"]
        content = await request.read()
        args: Args = {"file_id": file_id, "length": len(content)}
        failed = self._failure_response(request, UPLOAD, args)
        if failed is not None:
            return failed
        upload = self._uploads.get(file_id)
        self._record(request, UPLOAD, args, status=200 if upload else 404)
        if upload is None:
            return web.Response(status=404, text="unknown upload")
        upload.content = content
        return web.Response(text=f"OK - {len(content)}")

    async def _handle_response_url(self, request: web.Request) -> web.StreamResponse:
        args = {**await read_args(request), "url": str(request.url)}
        failed = self._failure_response(request, RESPONSE_URL, args)
        if failed is not None:
            return failed
        self._record(request, RESPONSE_URL, args)
        return web.json_response({"ok": True})

    def _answer(self, method: str, args: Args, headers: Mapping[str, str]) -> Body:
        handler = self._methods.get(method)
        if handler is None:
            return error("unknown_method")
        auth_error = self._auth_error(bearer_token(headers) or args.get("token"))
        return error(auth_error) if auth_error else handler(args)

    def _auth_error(self, token: str | None) -> str | None:
        if token is None:
            return "not_authed"
        if self.token is not None and token != self.token:
            return "invalid_auth"
        return None

    def _download_status(self, request: web.Request, file_id: str) -> int:
        """Slack serves private files only to a request with a bearer token."""
        if self._auth_error(bearer_token(request.headers)):
            return 401
        return 200 if file_id in self.files else 404

    def _failure_response(
        self, request: web.Request, method: str, args: Args
    ) -> web.StreamResponse | None:
        rule = next((f for f in self._failures if f.matches(method)), None)
        if rule is None:
            return None
        rule.remaining -= 1
        if rule.status == "drop":
            self._record(request, method, args, failed=True, status=0)
            if request.transport is not None:
                request.transport.abort()
            return web.Response()  # never reaches the client: the connection is gone
        default = "ratelimited" if rule.status == 429 else "internal_error"
        code = rule.error or default
        self._record(request, method, args, failed=True, status=rule.status, error=code)
        headers = {"Retry-After": str(rule.retry_after)} if rule.status == 429 else None
        return web.json_response(error(code), status=rule.status, headers=headers)

    def _record(
        self,
        request: web.Request,
        method: str,
        args: Args,
        *,
        failed: bool = False,
        status: int = 200,
        error: str | None = None,
    ) -> None:
        headers = CIMultiDictProxy(CIMultiDict(request.headers))
        self.calls.append(Call(method, args, headers, time.monotonic(), failed, status, error))

    def _describe(self, call: Call) -> str:
        outcome = f"FAILED {call.status or 'dropped'}" if call.failed else str(call.status)
        outcome += f" {call.error}" if call.error else ""
        detail = ", ".join(
            f"{k}={str(call.args[k])[:40]!r}" for k in ("channel", "user", "text") if k in call.args
        )
        elapsed = call.at - self._started_at
        return f"  +{elapsed:.3f}s {call.method} [{outcome}] {detail} keys={sorted(call.args)}"

    # ids

    def _next_ts(self) -> str:
        """The wall clock, as Slack's ts is, and unique: the bot searches history by time."""
        micros = max(int(time.time() * 1_000_000), self._last_ts + 1)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._seq):08d}"

    # auth and users

    def _auth_test(self, args: Args) -> Body:
        return {
            "ok": True,
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": TEAM_NAME,
            "user": "post_concerns",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _user_object(self, user_id: str) -> Body:
        email, real_name = self.users[user_id]
        profile = {
            "real_name": real_name,
            "real_name_normalized": real_name,
            "display_name": real_name,
            "display_name_normalized": real_name,
            "email": email,
            "team": TEAM_ID,
        }
        return {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": email.split("@", 1)[0],
            "deleted": False,
            "real_name": real_name,
            "tz": "Europe/London",
            "tz_label": "Greenwich Mean Time",
            "tz_offset": 0,
            "is_admin": False,
            "is_owner": False,
            "is_bot": False,
            "is_app_user": False,
            "updated": BASE_TS,
            "profile": profile,
        }

    def _users_info(self, args: Args) -> Body:
        user_id = args.get("user", "")
        if user_id not in self.users:
            return error("user_not_found")
        return {"ok": True, "user": self._user_object(user_id)}

    def _users_lookup_by_email(self, args: Args) -> Body:
        wanted = str(args.get("email", "")).lower()
        user_id = next(
            (uid for uid, (email, _) in self.users.items() if email.lower() == wanted), None
        )
        if user_id is None:
            return error("users_not_found")
        return {"ok": True, "user": self._user_object(user_id)}

    def _conversations_open(self, args: Args) -> Body:
        users = [u for u in str(args.get("users", "")).split(",") if u]
        if args.get("channel"):
            channel_id = str(args["channel"])
        elif len(users) == 1:
            channel_id = f"D{users[0]}"
        elif users:
            channel_id = "G" + "".join(sorted(users))
        else:
            return error("invalid_arguments")
        return {"ok": True, "no_op": False, "already_open": False, "channel": {"id": channel_id}}

    # messages

    @staticmethod
    def _channel_id(channel: str) -> str:
        """Posting to a user id posts in the DM with them, as Slack does."""
        return f"D{channel}" if channel[:1] in ("U", "W") else channel

    def _message(self, args: Args, ts: str) -> Body:
        message = {
            "type": "message",
            "text": args.get("text", ""),
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if key in args:
                message[key] = args[key]
        return message

    def _chat_post_message(self, args: Args) -> Body:
        if not args.get("channel"):
            return error("channel_not_found")
        if not any(args.get(k) for k in ("text", "blocks", "attachments")):
            return error("no_text")
        channel, ts = self._channel_id(str(args["channel"])), self._next_ts()
        self.messages[(channel, ts)] = message = self._message(args, ts)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_update(self, args: Args) -> Body:
        channel, ts = self._channel_id(str(args.get("channel", ""))), str(args.get("ts", ""))
        if (channel, ts) not in self.messages:
            return error("message_not_found")
        message = {**self.messages[(channel, ts)], **self._message(args, ts)}
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        self.messages[(channel, ts)] = message
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message["text"],
            "message": message,
        }

    def _chat_post_ephemeral(self, args: Args) -> Body:
        if not args.get("channel"):
            return error("channel_not_found")
        if not args.get("user"):
            return error("user_not_in_channel")
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_get_permalink(self, args: Args) -> Body:
        channel, ts = str(args.get("channel", "")), str(args.get("message_ts", ""))
        if not channel or not ts:
            return error("invalid_arguments")
        permalink = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": permalink}

    def _page(self, found: list[Body], args: Args) -> Body:
        """One page of found messages: `limit` (at most 999) from the `cursor` on."""
        try:
            limit = min(999, max(1, int(args.get("limit") or 100)))
            start = int(str(args.get("cursor") or "0").removeprefix("next:"))
        except ValueError:
            return error("invalid_cursor")
        if str(args.get("include_all_metadata", "")).lower() not in ("1", "true"):
            found = [{k: v for k, v in m.items() if k != "metadata"} for m in found]
        page, more = found[start : start + limit], start + limit < len(found)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": f"next:{start + limit}" if more else ""},
        }

    @staticmethod
    def _within(message: Body, args: Args) -> bool:
        ts = float(message["ts"])
        oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or 0)
        return ts >= oldest and (not latest or ts <= latest)

    def _conversations_history(self, args: Args) -> Body:
        """A conversation's top-level messages, newest first, as Slack pages them."""
        channel = self._channel_id(str(args.get("channel", "")))
        if not channel:
            return error("channel_not_found")
        found = sorted(
            (
                m
                for (c, _), m in self.messages.items()
                if c == channel and m.get("thread_ts", m["ts"]) == m["ts"] and self._within(m, args)
            ),
            key=lambda m: float(m["ts"]),
            reverse=True,
        )
        return self._page(found, args)

    def _users_conversations(self, args: Args) -> Body:
        """types=im: the bot's direct messages (one with each person it has posted to)."""
        if str(args.get("types", "")) != "im":
            return error("invalid_types")  # the fake knows only the DM listing
        users = sorted({c[1:] for c, _ in self.messages if c.startswith("D")})
        found = [{"id": f"D{u}", "is_im": True, "user": u} for u in users]
        page = self._page(found, {**args, "include_all_metadata": "1"})
        return {**{k: v for k, v in page.items() if k != "messages"}, "channels": page["messages"]}

    def _conversations_replies(self, args: Args) -> Body:
        """A thread, its parent first, then the replies in order."""
        channel, ts = self._channel_id(str(args.get("channel", ""))), str(args.get("ts", ""))
        parent = self.messages.get((channel, ts))
        if parent is None:
            return error("thread_not_found")
        replies = sorted(
            (
                m
                for (c, t), m in self.messages.items()
                if c == channel and t != ts and m.get("thread_ts") == ts and self._within(m, args)
            ),
            key=lambda m: float(m["ts"]),
        )
        return self._page([parent, *replies], args)

    # views

    def _new_hash(self) -> str:
        return f"{BASE_TS + next(self._seq)}.fake{next(self._seq):04d}"

    def _store_view(
        self, view: Body, view_id: str, *, root: str | None, previous: str | None
    ) -> Body:
        stored = {
            "type": "modal",
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "clear_on_close": False,
            "notify_on_close": False,
            **view,
            "id": view_id,
            "team_id": TEAM_ID,
            "state": {"values": {}},
            "hash": self._new_hash(),
            "root_view_id": root or view_id,
            "previous_view_id": previous,
            "app_id": APP_ID,
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }
        self.views[view_id] = stored
        return stored

    def _views_open(self, args: Args) -> Body:
        if not args.get("trigger_id") or not isinstance(args.get("view"), dict):
            return error("invalid_arguments")
        view = self._store_view(args["view"], self._next_id("V"), root=None, previous=None)
        self.opened_by_trigger[str(args["trigger_id"])] = view["id"]
        return {"ok": True, "view": view}

    def _views_push(self, args: Args) -> Body:
        return self._views_open(args)

    def _find_view(self, args: Args) -> str | None:
        if args.get("view_id"):
            return args["view_id"] if args["view_id"] in self.views else None
        external_id = args.get("external_id")
        return next(
            (
                vid
                for vid, v in self.views.items()
                if external_id and v["external_id"] == external_id
            ),
            None,
        )

    def _views_update(self, args: Args) -> Body:
        if not isinstance(args.get("view"), dict):
            return error("invalid_arguments")
        view_id = self._find_view(args)
        if view_id is None:
            return error("not_found")
        current = self.views[view_id]
        if args.get("hash") and args["hash"] != current["hash"]:
            return error("hash_conflict")
        view = {**args["view"], "state": current["state"]}
        stored = self._store_view(
            view, view_id, root=current["root_view_id"], previous=current["previous_view_id"]
        )
        return {"ok": True, "view": stored}

    def _views_publish(self, args: Args) -> Body:
        user_id = args.get("user_id")
        if not user_id or not isinstance(args.get("view"), dict):
            return error("invalid_arguments")
        view_id = self._home_views.setdefault(user_id, self._next_id("V"))
        view = self._store_view({**args["view"], "type": "home"}, view_id, root=None, previous=None)
        return {"ok": True, "view": view}

    # files

    def _files_info(self, args: Args) -> Body:
        file_id = args.get("file", "")
        if file_id not in self.files:
            return error("file_not_found")
        return {
            "ok": True,
            "file": self.file_object(file_id),
            "comments": [],
            "response_metadata": {"next_cursor": ""},
        }

    def _files_get_upload_url_external(self, args: Args) -> Body:
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return error("invalid_arguments")
        file_id = self._next_id("F")
        self._uploads[file_id] = _Upload(str(args["filename"]), int(args["length"]))
        return {
            "ok": True,
            "upload_url": f"{self.root_url}/upload/v1/{file_id}",
            "file_id": file_id,
        }

    def _files_complete_upload_external(self, args: Args) -> Body:
        wanted = args.get("files")
        if not isinstance(wanted, list) or not wanted:
            return error("invalid_arguments")
        ids = [str(f.get("id", "")) for f in wanted]
        if any(self._uploads.get(i) is None or self._uploads[i].content is None for i in ids):
            return error("file_not_found")
        for item in wanted:
            self._complete_upload(item, args.get("channel_id"))
        if args.get("channel_id"):
            self._share(args, [self.file_object(i) for i in ids])
        return {"ok": True, "files": [self.file_object(i) for i in ids]}

    def _share(self, args: Args, files: list[Body]) -> None:
        """The message Slack posts where uploaded files are shared (the comment, the files)."""
        channel, ts = self._channel_id(str(args["channel_id"])), self._next_ts()
        message = self._message({"text": args.get("initial_comment", "")}, ts)
        message["files"] = files
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
        self.messages[(channel, ts)] = message

    def _complete_upload(self, item: Args, channel_id: str | None) -> None:
        upload = self._uploads.pop(item["id"])
        self.files[item["id"]] = {
            "name": upload.filename,
            "title": item.get("title") or upload.filename,
            "mimetype": mimetypes.guess_type(upload.filename)[0] or "application/octet-stream",
            "content": upload.content or b"",
            "user": BOT_USER_ID,
            "channel_id": channel_id,
        }
