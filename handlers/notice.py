"""GET /privacy and /terms (the trust's notice, for everyone), and the pages' stylesheet."""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from bot.config import Trust
from bot.privacy import notice_text, terms_intro
from cards import html

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
    css = resources.files("cards").joinpath("static", "style.css").read_text(encoding="utf-8")

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
    app.router.add_get(html.STYLESHEET, stylesheet)
