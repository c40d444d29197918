"""Slack requests that fail: a store that cannot save is said plainly; a bad payload gets a 400."""

from __future__ import annotations

import asyncio
import json
import logging
from http import HTTPStatus
from typing import Any

from aiohttp import web
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import StorageUnavailable
from cards import slack as slack_cards
from handlers.failures import SHAPE_ERRORS, Handler, Middleware, explain

log = logging.getLogger(__name__)
ACK_POLL_S = 0.02  # twice Bolt's poll for the ack of a listener that runs after it
EVENTS_PATH = "/slack/events"  # where handlers.slack.channel mounts Bolt
MALFORMED = "Malformed Slack request."


def install_slack(bolt: AsyncApp) -> None:
    """A Bolt error handler: a form submission that could not be saved gets a notice modal."""

    @bolt.error
    async def on_error(
        error: Exception, body: dict[str, Any], client: AsyncWebClient
    ) -> BoltResponse | None:
        if body.get("type") != "view_submission":
            # Acknowledged already, if the listener got that far (a command, a shortcut, a
            # button: they ack first). Bolt then sets the request's ack to None, and one that
            # failed within Bolt's 10 ms poll would lose its ack (Slack sees a 404 after 3 s):
            # so this answer never comes sooner.
            await asyncio.sleep(ACK_POLL_S)
        if isinstance(error, SHAPE_ERRORS):
            # Bolt's matchers and our listeners read what the payload promises; a payload that
            # breaks that promise is the sender's fault. Logged in full, answered 400.
            log.warning("a Slack request could not be handled: %r", error, exc_info=error)
            return BoltResponse(status=HTTPStatus.BAD_REQUEST, body=MALFORMED)
        if not isinstance(error, StorageUnavailable):
            log.error("a Slack listener failed: %s", type(error).__name__, exc_info=error)
            return None  # Bolt answers 500, as it does without this handler
        log.error("a Slack request could not be saved: %s", error)
        notice = slack_cards.notice_modal("Report a post", explain(error))
        if body.get("type") == "view_submission":  # not acknowledged yet: the answer is the notice
            return BoltResponse(
                status=HTTPStatus.OK,
                body=json.dumps({"response_action": "update", "view": notice.to_dict()}),
                headers={"content-type": ["application/json;charset=utf-8"]},
            )
        # Acknowledged already (a command, a shortcut, a button): its trigger opens the notice.
        if body.get("trigger_id"):
            try:
                await client.views_open(trigger_id=body["trigger_id"], view=notice)
            except SlackApiError as exc:
                log.warning("could not show the storage notice: %s", exc.response.get("error"))
        return None


def slack_guard(signing_secret: str) -> Middleware:
    """Check the signature before Bolt reads the body (Bolt parses first: a forged, broken
    body was a 500, not a 401), and answer 400 to a signed body of a shape Bolt cannot read."""
    verifier = SignatureVerifier(signing_secret)

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path != EVENTS_PATH or request.method != "POST":
            return await handler(request)
        try:
            # Slack signs UTF-8 only (slack_sdk cannot check anything else), and a timestamp
            # that is not a number makes slack_sdk's int() raise: neither is Slack.
            body = (await request.read()).decode("utf-8")
            valid = verifier.is_valid_request(body, request.headers)
        except ValueError:
            valid = False
        if not valid:
            return web.Response(status=HTTPStatus.UNAUTHORIZED, text="Invalid signature.")
        try:
            return await handler(request)
        except SHAPE_ERRORS as exc:
            # The type only: the message and traceback may quote the payload (names, text).
            log.warning("a Slack request of a shape Bolt cannot read: %s", type(exc).__name__)
            return web.Response(status=HTTPStatus.BAD_REQUEST, text=MALFORMED)

    return guard
