"""GET /privacy and /terms (the trust's notice, for everyone), and the pages' stylesheet."""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from bot.config import Trust
from bot.privacy import notice_text, terms_intro
from cards import html
from handlers.failures import Handler

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
PRIVACY, TERMS = "/privacy", "/terms"


def mount(app: web.Application, trust: Trust) -> None:
    """The pages are made once: the notice changes only with the trust file (a restart)."""
    text = notice_text(trust)
    privacy = html.notice_page("Privacy notice", "", text, ("Terms of use", TERMS))
    terms = html.notice_page("Terms of use", terms_intro(trust), text, ("Privacy notice", PRIVACY))
    static = resources.files("cards").joinpath("static")
    css = static.joinpath("style.css").read_text(encoding="utf-8")
    icon = static.joinpath("favicon.svg").read_text(encoding="utf-8")

    def serve(body: str, content_type: str, cache: str) -> web.Response:
        headers = {**HEADERS, "Cache-Control": cache}
        return web.Response(text=body, content_type=content_type, headers=headers)

    async def show_privacy(request: web.Request) -> web.Response:
        return serve(privacy, "text/html", "max-age=300")

    async def show_terms(request: web.Request) -> web.Response:
        return serve(terms, "text/html", "max-age=300")

    async def stylesheet(request: web.Request) -> web.Response:
        return serve(css, "text/css", "max-age=300")

    app.router.add_get(PRIVACY, show_privacy)
    app.router.add_get(TERMS, show_terms)

    async def favicon(request: web.Request) -> web.Response:
        return serve(icon, "image/svg+xml", "max-age=86400")

    app.router.add_get(html.STYLESHEET, stylesheet)
    app.router.add_get("/web.css", stylesheet)  # its address before it became a static asset
    app.router.add_get(html.FAVICON, favicon)
    app.router.add_get("/favicon.ico", favicon)  # browsers ask for it by habit


# The pages a person can land on by mistake, in place of aiohttp's bare "404: Not Found".
TITLES = {
    403: ("This link cannot be opened", ""),
    404: ("Page not found", "There is no page at this address. Check the link, or start again."),
    405: ("Page not found", "There is no page at this address. Check the link, or start again."),
}


@web.middleware
async def styled_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A browser's GET that ends in a plain-text 403 or 404 gets a styled page with the way
    back; bots, POSTs and pages that are already HTML are left as they are."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        wanted = request.method in ("GET", "HEAD") and "text/html" in request.headers.get(
            "Accept", ""
        )
        if not wanted or exc.status not in TITLES or exc.content_type != "text/plain":
            raise
        title, text = TITLES[exc.status]
        body = html.error_page(title, text or (exc.text or title))
        return web.Response(text=body, status=exc.status, content_type="text/html", headers=HEADERS)
