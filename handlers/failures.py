"""What every channel's failure mapping shares: the storage message, the shapes of bad payloads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware as Middleware  # aiohttp's own: names its arguments

from bot.errors import StorageUnavailable

TITLE = "Not saved"
# What the frameworks raise on a payload of the wrong shape: Bolt on block_actions with no
# actions (its to_action indexes actions[0]) or null for an action; msrest's deserializers
# (ValueErrors) on a list where an object goes; the bot on an activity without `from`.
SHAPE_ERRORS = (IndexError, KeyError, TypeError, AttributeError, ValueError)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def explain(exc: StorageUnavailable) -> str:
    """The message for the person: what happened, that nothing was kept, what to do."""
    return (
        f"{exc} Nothing was saved, so please try again in a few minutes. "
        "If it keeps happening, tell your IT admin: the bot's storage needs attention."
    )
