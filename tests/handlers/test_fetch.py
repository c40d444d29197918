"""The fetch helper: allowed origins only, no redirects, no internal address, the token exactly."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from handlers.fetch import (
    FetchFailed,
    FetchRefused,
    FetchRules,
    Origin,
    SafeFetch,
    slack_rules,
    teams_rules,
)
from tests.fakes.connector import FakeConnector

SERVICE = "https://smba.trafficmanager.net/emea/"


@pytest.fixture
async def target() -> AsyncIterator[FakeConnector]:
    """A server on an internal address that records every request it gets."""
    async with FakeConnector() as fake:
        fake.files["secret"] = b"instance metadata"
        yield fake


@pytest.fixture
async def fetch() -> AsyncIterator[SafeFetch]:
    helper = SafeFetch(timeout=10)
    yield helper
    await helper.close()


def token_counter() -> tuple[list[str], object]:
    asked: list[str] = []

    async def token() -> str:
        asked.append("asked")
        return "bot-secret-token"

    return asked, token


@pytest.mark.parametrize(
    "url",
    [
        "http://smba.trafficmanager.net/emea/v3/attachments/1",  # plain http to the connector
        "https://smba.trafficmanager.net:8443/emea/v3/attachments/1",  # another port
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://127.0.0.1:8080/admin",
        "https://oak.sharepoint.com.attacker.example/x.png",
        "http://oak.sharepoint.com/x.png",
        "https://user:pw@oak.sharepoint.com/x.png",
        "file:///etc/passwd",
        "ftp://oak.sharepoint.com/x",
        "https://oak.sharepoint.com:99999/x",
        "https://oak.sharepoint.com\\@evil.example/x.png",  # parsers that disagree on the host
        "https://oak.sharepoint.com%2F@evil.example/x.png",
        "https://0x7f000001/x.png",
        "not a url",
    ],
)
def test_teams_urls_off_the_allow_list_are_refused(url):
    with pytest.raises(FetchRefused):
        teams_rules(SERVICE, demo=False).check(url)


def test_teams_allow_list_and_where_the_token_goes():
    rules = teams_rules(SERVICE, demo=False)
    connector = rules.check(SERVICE + "v3/attachments/1/views/original")
    assert connector in rules.token_origins
    sharepoint = rules.check("https://oak-my.sharepoint.com/personal/t/Documents/x.png")
    assert sharepoint not in rules.token_origins
    assert not rules.internal_host(connector)
    # Demo mode lets a loopback serviceUrl over http through (the Emulator, the tests' fake);
    # without demo mode, or for any other host, it does not.
    with pytest.raises(FetchRefused):
        teams_rules("http://127.0.0.1:3979/", demo=False).check("http://127.0.0.1:3979/files/a")
    with pytest.raises(FetchRefused):
        teams_rules("http://10.0.0.5:3979/", demo=True).check("http://10.0.0.5:3979/files/a")
    demo = teams_rules("http://127.0.0.1:3979/", demo=True)
    assert demo.internal_host(demo.check("http://127.0.0.1:3979/files/a"))
    with pytest.raises(FetchRefused):
        demo.check("http://127.0.0.1:3980/files/a")


def test_slack_allow_list():
    rules = slack_rules("")
    origin = rules.check("https://files.slack.com/files-pri/T1-F1/download/post.png")
    assert origin in rules.token_origins and not rules.internal_host(origin)
    for bad in (
        "http://files.slack.com/files-pri/T1-F1/download/post.png",
        "https://files.slack.com.evil.example/x",
        "https://evil.example/files-pri/x",
        "http://127.0.0.1:9000/api/files/F1",
    ):
        with pytest.raises(FetchRefused):
            rules.check(bad)
    proxied = slack_rules("http://127.0.0.1:9000/api/")
    local = proxied.check("http://127.0.0.1:9000/files/F1/download/post.png")
    assert local in proxied.token_origins and proxied.internal_host(local)
    with pytest.raises(FetchRefused):
        proxied.check("http://127.0.0.1:9001/files/F1")


async def test_an_internal_address_behind_an_allowed_name_is_never_connected(fetch, target):
    """The name passes the allow-list; the address it resolves to is refused at connect time."""
    port = Origin.of(target.service_url).port
    url = f"http://localhost:{port}/files/secret"
    rules = FetchRules(origins=(Origin("http", "localhost", port),))
    asked, token = token_counter()
    with pytest.raises(FetchRefused):
        await fetch.get(url, rules, 1000, token)
    assert target.calls == []
    # The same rules allowing this internal origin (as for SLACK_API_URL) do fetch it.
    allowed = FetchRules(origins=rules.origins, internal_ok=rules.origins)
    assert await fetch.get(url, allowed, 1000, token) == b"instance metadata"
    assert [c.path for c in target.calls] == ["/files/secret"]
    assert "Authorization" not in target.calls[0].headers and asked == []


async def test_the_token_goes_only_to_the_exact_origin(fetch, target):
    origin = Origin.of(target.service_url)
    url = target.file_url("secret")
    asked, token = token_counter()
    other_scheme = FetchRules(
        origins=(origin,),
        internal_ok=(origin,),
        token_origins=(Origin("https", origin.host, origin.port),),
    )
    await fetch.get(url, other_scheme, 1000, token)
    other_port = FetchRules(
        origins=(origin,), internal_ok=(origin,), token_origins=(Origin("http", origin.host, 1),)
    )
    await fetch.get(url, other_port, 1000, token)
    assert [c.headers.get("Authorization") for c in target.calls] == [None, None]
    assert asked == []
    exact = FetchRules(origins=(origin,), internal_ok=(origin,), token_origins=(origin,))
    await fetch.get(url, exact, 1000, token)
    assert target.calls[-1].headers["Authorization"] == "Bearer bot-secret-token"


async def test_redirects_are_not_followed_and_size_is_capped(fetch, target, unused_tcp_port):
    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound(target.file_url("secret"))

    async def big(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * 5000)

    app = web.Application()
    app.router.add_get("/moved", moved)
    app.router.add_get("/big", big)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    try:
        here = Origin("http", "127.0.0.1", unused_tcp_port)
        rules = FetchRules(origins=(here,), internal_ok=(here,))
        base = f"http://127.0.0.1:{unused_tcp_port}"
        with pytest.raises(FetchFailed) as failed:
            await fetch.get(f"{base}/moved", rules, 1000, None)
        assert failed.value.status == 302
        assert target.calls == []  # the redirect's target was never asked
        assert len(await fetch.get(f"{base}/big", rules, 1000, None)) == 1001
    finally:
        await runner.cleanup()
