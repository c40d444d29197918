"""GET /files/...: a case's files through signed links that expire within five minutes."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import quote

from aiohttp import web

from bot.errors import UnknownCase
from bot.service.files import CaseFiles, FileContent, FileKind

log = logging.getLogger(__name__)
TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


# The web channel (demo mode) says who a browser is, as "web:<email>", for links it issued.
Viewer = Callable[[web.Request], str | None]
VIEWER_KEY: web.AppKey[Viewer] = web.AppKey("file_viewer")
NOT_VALID = "This link is not valid or has expired. Ask the bot again."


def mount(app: web.Application, files: CaseFiles) -> None:
    async def serve(request: web.Request) -> web.StreamResponse:
        ref, kind, key = (request.match_info[k] for k in ("reference", "kind", "key"))
        verdict = files.check(request.path, list(request.query.items()))
        why = verdict.why or not_theirs(request, verdict.person)
        if why:
            log.warning("refused a file link for %s: %s", ref if len(ref) < 40 else "?", why)
            raise web.HTTPForbidden(text=NOT_VALID)
        try:
            found = await files.read(ref, FileKind(kind), key)
        except (UnknownCase, ValueError):
            raise web.HTTPNotFound(text="No such file.") from None
        await files.opened(ref, FileKind(kind), key, verdict.person)
        log.info("served a %s file of %s", kind, ref)
        return web.Response(body=found.data, headers=download_headers(found))

    app.router.add_get("/files/{reference}/{kind}/{key}", serve)


def download_headers(found: FileContent) -> dict[str, str]:
    """Always a download, never a page: a file (even one kept before types were checked by
    content) cannot run script in this server's origin, nor be sniffed into something else."""
    return {
        "Content-Type": media_type(found.media_type),
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.name)}",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
    }


def media_type(declared: str) -> str:
    """The bare type (parameters dropped) if it is a well-formed one, else octet-stream."""
    bare = declared.split(";", 1)[0].strip().lower()
    return bare if TYPE.fullmatch(bare) else "application/octet-stream"


def not_theirs(request: web.Request, person: str) -> str:
    """A link issued on the web channel opens only in that person's browser session."""
    if not person.startswith("web:"):
        return ""
    viewer = request.app.get(VIEWER_KEY)
    return "" if viewer is not None and viewer(request) == person else "another person's link"
