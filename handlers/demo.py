"""Demo mode's fence: every request from this machine, named by a loopback Host, not forwarded."""

from __future__ import annotations

import ipaddress
import logging
import re
from http import HTTPStatus

from aiohttp import web

from handlers.failures import Handler

log = logging.getLogger(__name__)

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
# A Host header is a name and an optional port: anything else (a second colon, letters after
# the colon) is not one of ours.
HOST_HEADER = re.compile(r"^(?P<name>\[[^\]]*\]|[^:\[\]]*)(?::\d{1,5})?$")
REFUSED = (
    "Demo mode answers only this machine: open http://127.0.0.1:PORT/ (or localhost) "
    "directly, not through a proxy or another name."
)


def loopback_peer(remote: str | None) -> bool:
    """The connection's own address is loopback (an IPv4-mapped ::ffff:127.x counts)."""
    if not remote:
        return False
    try:
        address = ipaddress.ip_address(remote.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def loopback_host(header: str | None) -> bool:
    """The Host header names 127.0.0.1, localhost or [::1], with any port or none."""
    match = HOST_HEADER.match((header or "").strip())
    return match is not None and match["name"].lower() in LOOPBACK_NAMES


def forwarded(request: web.Request) -> bool:
    """A proxy or tunnel says it is one: Forwarded, or any X-Forwarded-* header."""
    return any(
        name.lower() == "forwarded" or name.lower().startswith("x-forwarded-")
        for name in request.headers
    )


def why_refused(request: web.Request) -> str:
    """'' when the request may reach the demo; else which rule it broke (no values: they are
    the caller's, and a Host may carry anything)."""
    if not loopback_peer(request.remote):
        return "peer not loopback"
    if not loopback_host(request.headers.get("Host")):
        return "Host not loopback"
    if forwarded(request):
        return "forwarding header"
    return ""


@web.middleware
async def demo_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """In demo mode (app.py installs it first), refuse with 403 anything DNS rebinding, a
    reverse proxy or a tunnel could bring in; every route, /healthz included."""
    why = why_refused(request)
    if why:
        log.warning("demo mode refused a request to %s: %s", request.path[:80], why)
        return web.Response(status=HTTPStatus.FORBIDDEN, text=REFUSED)
    return await handler(request)
