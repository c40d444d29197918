"""Teams activities that fail: a store that cannot save is said plainly; a bad activity is a 400."""

from __future__ import annotations

import logging
from http import HTTPStatus

from aiohttp import web
from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes
from msrest.exceptions import ValidationError

from bot.errors import StorageUnavailable
from cards import teams as teams_cards
from handlers.failures import SHAPE_ERRORS, TITLE, Handler, explain

# Beside the shapes every channel meets: a reply the connector's serialiser refuses because the
# activity it answers named no conversation (msrest checks the reply before it is sent).
TEAMS_SHAPE_ERRORS = (*SHAPE_ERRORS, ValidationError)

log = logging.getLogger(__name__)
ACTIVITIES_PATH = "/api/messages"  # where handlers.teams.channel takes Bot Framework activities


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


@web.middleware
async def teams_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """An activity of a shape botbuilder or the bot cannot read (a list where an object goes,
    no `from`): 400 and a log line, where it was a 500 from deep inside the framework."""
    if request.path != ACTIVITIES_PATH:
        return await handler(request)
    try:
        response = await handler(request)
    except TEAMS_SHAPE_ERRORS as exc:
        # The exception's type only: its message and traceback may quote the activity (names,
        # emails, report text), and nobody is authenticated yet.
        log.warning("a Teams activity of a shape that cannot be read: %s", type(exc).__name__)
        return web.Response(status=HTTPStatus.BAD_REQUEST, text="Malformed activity.")
    if response.status == HTTPStatus.NOT_IMPLEMENTED:
        # botbuilder's answer to an invoke name no handler knows: the sender's mistake, not
        # a server fault (no 5xx for anything a client can send).
        return web.Response(status=HTTPStatus.BAD_REQUEST, text="Unknown invoke.")
    return response
