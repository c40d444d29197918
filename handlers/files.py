"""GET /files/...: a case's files through signed links that expire within five minutes."""

from __future__ import annotations

import logging
from urllib.parse import quote

from aiohttp import web

from bot.errors import UnknownCase
from bot.service.files import CaseFiles, FileKind

log = logging.getLogger(__name__)


def mount(app: web.Application, files: CaseFiles) -> None:
    async def serve(request: web.Request) -> web.StreamResponse:
        ref, kind, key = (request.match_info[k] for k in ("reference", "kind", "key"))
        why = files.check(
            request.path, request.query.get("expires", ""), request.query.get("signature", "")
        )
        if why:
            log.warning("refused a file link for %s: %s", ref if len(ref) < 40 else "?", why)
            raise web.HTTPForbidden(
                text="This link is not valid or has expired. Ask the bot again."
            )
        try:
            found = await files.read(ref, FileKind(kind), key)
        except (UnknownCase, ValueError):
            raise web.HTTPNotFound(text="No such file.") from None
        log.info("served a %s file of %s", kind, ref)
        return web.Response(
            body=found.data,
            content_type=found.media_type,
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.name)}",
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    app.router.add_get("/files/{reference}/{kind}/{key}", serve)
