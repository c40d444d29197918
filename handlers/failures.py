"""When the store cannot save (disk full, I/O error): say so plainly, on Slack and on Teams."""

from __future__ import annotations

import asyncio
import json
import logging
from http import HTTPStatus
from typing import Any

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import StorageUnavailable
from cards import slack as slack_cards
from cards import teams as teams_cards

log = logging.getLogger(__name__)
TITLE = "Not saved"
ACK_POLL_S = 0.02  # twice Bolt's poll for the ack of a listener that runs after it


def explain(exc: StorageUnavailable) -> str:
    """The message for the person: what happened, that nothing was kept, what to do."""
    return (
        f"{exc} Nothing was saved, so please try again in a few minutes. "
        "If it keeps happening, tell your IT admin: the bot's storage needs attention."
    )


def install_slack(bolt: AsyncApp) -> None:
    """A Bolt error handler: a form submission that could not be saved gets a notice modal."""

    @bolt.error
    async def on_error(
        error: Exception, body: dict[str, Any], client: AsyncWebClient
    ) -> BoltResponse | None:
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
        # Bolt then sets the request's ack to None; one that failed within its 10 ms poll would
        # lose the ack (Slack sees a 404 after 3 s), so this answer never returns sooner.
        await asyncio.sleep(ACK_POLL_S)
        if body.get("trigger_id"):
            try:
                await client.views_open(trigger_id=body["trigger_id"], view=notice)
            except SlackApiError as exc:
                log.warning("could not show the storage notice: %s", exc.response.get("error"))
        return None


def install_teams(adapter: CloudAdapter) -> None:
    """The adapter's turn error handler: a card (for an invoke) or a message saying so."""
    earlier = adapter.on_turn_error

    async def on_turn_error(context: TurnContext, error: Exception) -> None:
        if not isinstance(error, StorageUnavailable):
            if earlier is None:
                raise error
            await earlier(context, error)
            return
        log.error("a Teams activity could not be saved: %s", error)
        if context.activity.type == ActivityTypes.invoke:
            card = teams_cards.message_card(TITLE, [explain(error)], attention=True)
            body = teams_cards.invoke_card(card)
            response = InvokeResponse(status=int(HTTPStatus.OK), body=body)
            answer = Activity(type=ActivityTypes.invoke_response, value=response)
            await context.send_activity(answer)
        else:
            await context.send_activity(explain(error))

    adapter.on_turn_error = on_turn_error
