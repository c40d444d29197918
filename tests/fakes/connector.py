"""A fake Bot Framework connector service on 127.0.0.1 that records what the bot sends to Teams."""

from __future__ import annotations

import asyncio
import itertools
import json
import mimetypes
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal

from aiohttp import web

CallKind = Literal[
    "send",
    "reply",
    "update",
    "delete",
    "create_conversation",
    "get_member",
    "get_members",
    "get_paged_members",
    "file",
    "unknown",
]
Failure = int | Literal["drop"]
DROPPED = 0  # the status recorded for a call whose connection was dropped

# Calls that fail_next() affects unless told otherwise: everything the Bot Connector serves.
CONNECTOR_KINDS: frozenset[str] = frozenset(
    {
        "send",
        "reply",
        "update",
        "delete",
        "create_conversation",
        "get_member",
        "get_members",
        "get_paged_members",
    }
)

_KIND_GROUPS: dict[str, tuple[str, ...]] = {"sent": ("send", "reply")}


@dataclass(frozen=True)
class ConnectorCall:
    """One HTTP request the fake received, and how it answered."""

    kind: str
    method: str
    path: str
    conversation_id: str | None
    activity_id: str | None
    body: Any
    headers: dict[str, str]
    query: dict[str, str]
    status: int
    response: Any = None

    @property
    def ok(self) -> bool:
        """Whether the fake answered with a 2xx status (the call took effect)."""
        return 200 <= self.status < 300

    @property
    def activity(self) -> dict[str, Any]:
        """The activity a send, reply or update carried (create_conversation: the one inside)."""
        if self.kind == "create_conversation":
            return dict((self.body or {}).get("activity") or {})
        return dict(self.body or {})

    @property
    def result_id(self) -> str | None:
        """The id the fake returned (new activity id, or new conversation id)."""
        if isinstance(self.response, dict):
            value = self.response.get("id")
            return str(value) if value is not None else None
        return None

    def describe(self) -> str:
        """A one-line summary for assertion messages."""
        status = "dropped" if self.status == DROPPED else str(self.status)
        return f"{self.method} {self.path} [{self.kind}] -> {status}"


@dataclass
class _FailurePlan:
    remaining: int
    status: Failure
    retry_after: int
    kinds: frozenset[str]
    conversation_id: str | None = None


@dataclass
class FakeConnector:
    """Bot Connector REST routes on a free local port; point an activity's serviceUrl at it.

    `members` is the roster TeamsInfo reads, keyed by Teams user id (29:...) or AAD object id;
    each value has id, name, email, userPrincipalName and aadObjectId. `files` maps a name to the
    bytes served at /files/{name} (see `file_url`).
    """

    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    tenant_id: str = "bec8e231-67ad-484e-87f4-3e5438390a77"
    host: str = "127.0.0.1"
    latency: float = 0.0  # seconds each answer takes, after the call took effect
    calls: list[ConnectorCall] = field(default_factory=list, init=False)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._ids = itertools.count(1_700_000_000_001)  # Teams message ids look like ms timestamps
        self._conversation_numbers = itertools.count(1)
        self._failures: list[_FailurePlan] = []
        self._changed = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> str:
        """Start serving and return the base URL (ending with '/') to use as serviceUrl."""
        if self._base_url is not None:
            return self._base_url
        self._changed = asyncio.Event()  # bind to the running loop
        app = web.Application(client_max_size=20 * 1024 * 1024)
        routes = app.router
        activities = "/v3/conversations/{conversation_id}/activities"
        routes.add_post(activities, self._send)
        routes.add_post(activities + "/history", self._unknown)  # not faked; before {activity_id}
        routes.add_post(activities + "/{activity_id}", self._reply)
        routes.add_put(activities + "/{activity_id}", self._update)
        routes.add_delete(activities + "/{activity_id}", self._delete)
        routes.add_post("/v3/conversations", self._create_conversation)
        routes.add_get("/v3/conversations/{conversation_id}/members", self._get_members)
        routes.add_get("/v3/conversations/{conversation_id}/members/{member_id}", self._get_member)
        routes.add_get("/v3/conversations/{conversation_id}/pagedmembers", self._get_paged_members)
        routes.add_get("/files/{name}", self._file)
        routes.add_route("*", "/{tail:.*}", self._unknown)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((self.host, 0))
        await web.SockSite(self._runner, sock).start()
        self._base_url = f"http://{self.host}:{sock.getsockname()[1]}/"
        return self._base_url

    async def stop(self) -> None:
        """Stop serving (the recorded calls stay readable)."""
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None
        self._base_url = None

    async def __aenter__(self) -> FakeConnector:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def service_url(self) -> str:
        """The base URL (ending with '/'); only valid once started."""
        if self._base_url is None:
            raise RuntimeError("FakeConnector is not started: await start() first")
        return self._base_url

    def file_url(self, name: str) -> str:
        """The download URL of a file registered in `files` (for attachment contentUrl)."""
        return f"{self.service_url}files/{name}"

    # -- configuration -----------------------------------------------------------------------

    def add_member(
        self,
        user_id: str,
        name: str,
        email: str,
        aad_object_id: str,
        user_principal_name: str | None = None,
    ) -> dict[str, Any]:
        """Add a person to the roster and return the member record the fake will serve."""
        given, _, surname = name.partition(" ")
        member: dict[str, Any] = {
            "id": user_id,
            "name": name,
            "aadObjectId": aad_object_id,
            "givenName": given,
            "surname": surname,
            "email": email,
            "userPrincipalName": user_principal_name or email,
            "tenantId": self.tenant_id,
            "userRole": "user",
        }
        self.members[user_id] = member
        return member

    def fail_next(
        self,
        count: int = 1,
        status: Failure = 500,
        *,
        retry_after: int = 1,
        kinds: set[str] | frozenset[str] | None = None,
        conversation_id: str | None = None,
    ) -> None:
        """Make the next `count` connector calls fail: 500, 429 (with Retry-After) or "drop".

        "drop" closes the connection without an answer. `kinds` limits the failure to some call
        kinds (default: every Bot Connector route, not /files), `conversation_id` to the calls
        into one conversation. Plans queue up in order.
        """
        if count < 1:
            raise ValueError("count must be at least 1")
        if status != "drop" and not (isinstance(status, int) and 400 <= status <= 599):
            raise ValueError("status must be an HTTP error status (4xx/5xx) or 'drop'")
        chosen = frozenset(kinds) if kinds is not None else CONNECTOR_KINDS
        self._failures.append(_FailurePlan(count, status, retry_after, chosen, conversation_id))

    def reset(self) -> None:
        """Forget recorded calls, stored messages and pending failures (keep roster and files)."""
        self.calls.clear()
        self.messages.clear()
        self._failures.clear()

    # -- reading what happened ---------------------------------------------------------------

    def of_kind(self, *kinds: str, conversation_id: str | None = None) -> list[ConnectorCall]:
        """Successful calls of the given kinds, in arrival order."""
        return [
            call
            for call in self.calls
            if call.ok
            and call.kind in kinds
            and (conversation_id is None or call.conversation_id == conversation_id)
        ]

    def sent(self, conversation_id: str | None = None) -> list[ConnectorCall]:
        """Activities delivered as new messages or replies (successful calls only)."""
        return self.of_kind("send", "reply", conversation_id=conversation_id)

    def updates(self, conversation_id: str | None = None) -> list[ConnectorCall]:
        """Successful message updates (PUT), e.g. a card edited in place."""
        return self.of_kind("update", conversation_id=conversation_id)

    def deletes(self, conversation_id: str | None = None) -> list[ConnectorCall]:
        """Successful message deletions."""
        return self.of_kind("delete", conversation_id=conversation_id)

    def created_conversations(self) -> list[ConnectorCall]:
        """Successful create-conversation calls; `body` holds the ConversationParameters."""
        return self.of_kind("create_conversation")

    def failed(self) -> list[ConnectorCall]:
        """Calls the fake answered with an error or dropped."""
        return [call for call in self.calls if not call.ok]

    def summary(self) -> str:
        """Every recorded call on its own line (for assertion messages)."""
        return "\n".join(call.describe() for call in self.calls) or "(no calls)"

    async def wait_for(
        self,
        kind: str,
        count: int = 1,
        timeout: float = 10.0,
        predicate: Callable[[ConnectorCall], bool] | None = None,
    ) -> list[ConnectorCall]:
        """Wait until `count` successful calls of `kind` (matching `predicate`) have arrived.

        `kind` is a call kind, or "sent" for send and reply together: botbuilder posts a
        proactive message (continue_conversation) as a reply to a made-up activity id.
        Returns the matching calls; raises AssertionError listing every call on timeout.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            self._changed.clear()  # clear before checking, so no arrival is missed
            kinds = _KIND_GROUPS.get(kind, (kind,))
            matching = [
                call for call in self.of_kind(*kinds) if predicate is None or predicate(call)
            ]
            if len(matching) >= count:
                return matching
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"waited {timeout}s for {count} successful {kind!r} call(s)"
                    f"{' matching the predicate' if predicate else ''}, got {len(matching)}."
                    f" Calls so far:\n{self.summary()}"
                )
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                pass

    # -- request handling --------------------------------------------------------------------

    def _next_id(self) -> str:
        return str(next(self._ids))

    def _take_failure(self, kind: str, conversation_id: str | None) -> _FailurePlan | None:
        for plan in self._failures:
            if kind in plan.kinds and plan.conversation_id in (None, conversation_id):
                plan.remaining -= 1
                if plan.remaining == 0:
                    self._failures.remove(plan)
                return plan
        return None

    def _record(
        self,
        request: web.Request,
        kind: str,
        body: Any,
        status: int,
        response: Any,
    ) -> None:
        info = request.match_info
        self.calls.append(
            ConnectorCall(
                kind=kind,
                method=request.method,
                path=request.path,
                conversation_id=info.get("conversation_id"),
                activity_id=info.get("activity_id"),
                body=body,
                headers=dict(request.headers),
                query=dict(request.query),
                status=status,
                response=response,
            )
        )
        self._changed.set()

    async def _handle(
        self,
        request: web.Request,
        kind: str,
        respond: Callable[[Any], tuple[int, Any]],
    ) -> web.StreamResponse:
        """Parse, maybe inject a failure, answer via `respond`, and record the call."""
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        plan = self._take_failure(kind, request.match_info.get("conversation_id"))
        if plan is not None:
            if plan.status == "drop":
                self._record(request, kind, body, DROPPED, None)
                if request.transport is not None:
                    request.transport.close()
                return web.Response(status=500)  # never reaches the client: the socket is closed
            error = {"error": {"code": "ServiceError", "message": "injected failure"}}
            headers: dict[str, str] = {}
            if plan.status == 429:
                error["error"]["code"] = "Throttled"
                headers["Retry-After"] = str(plan.retry_after)
            self._record(request, kind, body, plan.status, error)
            return web.json_response(error, status=plan.status, headers=headers)
        status, payload = respond(body)
        self._record(request, kind, body, status, payload)
        if self.latency:
            await asyncio.sleep(self.latency)
        if isinstance(payload, bytes):
            name = request.match_info.get("name", "")
            content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return web.Response(body=payload, status=status, content_type=content_type)
        if payload is None:
            return web.Response(status=status)
        return web.json_response(payload, status=status)

    async def _send(self, request: web.Request) -> web.StreamResponse:
        def respond(body: Any) -> tuple[int, Any]:
            new_id = self._next_id()
            self.messages[new_id] = dict(body or {})
            return 201, {"id": new_id}

        return await self._handle(request, "send", respond)

    async def _reply(self, request: web.Request) -> web.StreamResponse:
        def respond(body: Any) -> tuple[int, Any]:
            new_id = self._next_id()
            self.messages[new_id] = dict(body or {})
            return 201, {"id": new_id}

        return await self._handle(request, "reply", respond)

    async def _update(self, request: web.Request) -> web.StreamResponse:
        activity_id = request.match_info["activity_id"]

        def respond(body: Any) -> tuple[int, Any]:
            self.messages[activity_id] = dict(body or {})
            return 200, {"id": activity_id}

        return await self._handle(request, "update", respond)

    async def _delete(self, request: web.Request) -> web.StreamResponse:
        activity_id = request.match_info["activity_id"]

        def respond(_: Any) -> tuple[int, Any]:
            self.messages.pop(activity_id, None)
            return 200, None  # botbuilder accepts only 200 or 202 here, not 204

        return await self._handle(request, "delete", respond)

    async def _create_conversation(self, request: web.Request) -> web.StreamResponse:
        def respond(body: Any) -> tuple[int, Any]:
            parameters = body or {}
            activity = parameters.get("activity")
            activity_id = self._next_id() if activity else None
            channel = ((parameters.get("channelData") or {}).get("channel") or {}).get("id")
            if channel:
                # A new post in a channel: Teams names the thread after the channel and message.
                conversation_id = f"{channel};messageid={activity_id or self._next_id()}"
            else:
                conversation_id = f"a:new-conv-{next(self._conversation_numbers)}"
            if activity_id:
                self.messages[activity_id] = dict(activity)
            result: dict[str, Any] = {"id": conversation_id, "serviceUrl": self._base_url}
            if activity_id:
                result["activityId"] = activity_id
            return 201, result

        return await self._handle(request, "create_conversation", respond)

    def _find_member(self, member_id: str) -> dict[str, Any] | None:
        if member_id in self.members:
            return self.members[member_id]
        for member in self.members.values():
            if member_id in (member.get("id"), member.get("aadObjectId")):
                return member
        return None

    def _roster(self) -> list[dict[str, Any]]:
        unique: dict[str, dict[str, Any]] = {}
        for member in self.members.values():
            unique.setdefault(str(member.get("id")), member)
        return list(unique.values())

    async def _get_member(self, request: web.Request) -> web.StreamResponse:
        member_id = request.match_info["member_id"]

        def respond(_: Any) -> tuple[int, Any]:
            member = self._find_member(member_id)
            if member is None:
                return 404, {
                    "error": {
                        "code": "MemberNotFoundInConversation",
                        "message": "The member is not part of the conversation.",
                    }
                }
            return 200, member

        return await self._handle(request, "get_member", respond)

    async def _get_members(self, request: web.Request) -> web.StreamResponse:
        return await self._handle(request, "get_members", lambda _: (200, self._roster()))

    async def _get_paged_members(self, request: web.Request) -> web.StreamResponse:
        def respond(_: Any) -> tuple[int, Any]:
            roster = self._roster()
            size = max(1, min(int(request.query.get("pageSize") or 100), 500))
            start = int(request.query.get("continuationToken") or 0)
            page: dict[str, Any] = {"members": roster[start : start + size]}
            if start + size < len(roster):
                page["continuationToken"] = str(start + size)
            return 200, page

        return await self._handle(request, "get_paged_members", respond)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]

        def respond(_: Any) -> tuple[int, Any]:
            if name not in self.files:
                return 404, {"error": {"code": "NotFound", "message": f"no file {name!r}"}}
            return 200, self.files[name]

        return await self._handle(request, "file", respond)

    async def _unknown(self, request: web.Request) -> web.StreamResponse:
        # Recorded so a test that fails shows which route the bot expected to exist.
        return await self._handle(
            request,
            "unknown",
            lambda _: (404, {"error": {"code": "NotFound", "message": "not faked"}}),
        )
