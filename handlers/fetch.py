"""The one way the channels download a file a platform points at: allowed origins, no redirects."""

from __future__ import annotations

import contextvars
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL

# Where Slack keeps the files its API points at (url_private_download).
SLACK_FILE_HOSTS = ("files.slack.com", "files.slack-gov.com")
# Where Teams keeps files sent in a chat (downloadUrl) and pasted images (contentUrl): the
# organisation's SharePoint and OneDrive, the chat service's object store, Microsoft Graph.
MICROSOFT_FILE_SUFFIXES = (
    ".sharepoint.com",
    ".sharepoint.us",
    ".asm.skype.com",
    ".microsoftpersonalcontent.com",
)
MICROSOFT_FILE_HOSTS = ("graph.microsoft.com",)
DEFAULT_PORTS = {"https": 443, "http": 80}

# Set for the duration of one fetch: may this fetch's connection go to an internal address?
_INTERNAL_OK: contextvars.ContextVar[bool] = contextvars.ContextVar("internal_ok", default=False)


class FetchRefused(Exception):
    """The URL is not one this bot fetches: nothing was requested (the reason has no URL)."""


class FetchFailed(Exception):
    """The file's host answered something other than the file."""

    def __init__(self, status: int) -> None:
        super().__init__(f"download answered {status}")
        self.status = status


class BlockedAddress(OSError):
    """Raised at connect time for an internal address; aiohttp reports it as a connect error."""


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> Origin:
        """The scheme, lower-case host and port (default filled in); ValueError if it has none.
        Parsed by yarl, as aiohttp will parse it to connect: no second opinion to disagree."""
        parsed = URL(url)  # ValueError for a backslash in the host, a port out of range...
        scheme = parsed.scheme.lower()
        if scheme not in DEFAULT_PORTS or not parsed.host:
            raise ValueError("not an http(s) URL")
        if parsed.user is not None or parsed.password is not None:
            raise ValueError("a URL with credentials")
        return cls(scheme, parsed.host.lower(), parsed.port or DEFAULT_PORTS[scheme])

    @classmethod
    def maybe(cls, url: str) -> Origin | None:
        try:
            return cls.of(url) if url else None
        except ValueError:
            return None


@dataclass(frozen=True)
class FetchRules:
    """What one download may reach. https on 443 to `hosts` or a host under `suffixes`; any
    exact origin in `origins` (a configured API base, a conversation's service URL); the
    token only to `token_origins`, exactly; internal addresses only for `internal_ok`."""

    hosts: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()
    origins: tuple[Origin, ...] = ()
    token_origins: tuple[Origin, ...] = ()
    internal_ok: tuple[Origin, ...] = ()

    def check(self, url: str) -> Origin:
        """The URL's origin if it is allowed, else FetchRefused saying why."""
        try:
            origin = Origin.of(url)
        except ValueError as exc:
            raise FetchRefused(f"not a web address ({exc})") from None
        if origin in self.origins:
            return origin
        named = origin.host in self.hosts or origin.host.endswith(self.suffixes)
        if not named:
            raise FetchRefused("the file is not on the platform's own file hosts")
        if origin.scheme != "https" or origin.port != 443:
            raise FetchRefused("only https on the standard port is fetched")
        return origin

    def internal_host(self, origin: Origin) -> bool:
        return origin in self.internal_ok


def is_internal(address: str) -> bool:
    """Private, loopback, link-local, multicast, reserved or unspecified: not the internet."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def guarded_socket(addr_info: tuple[Any, ...]) -> socket.socket:
    """aiohttp's socket factory: called with the address about to be connected, after DNS."""
    family, kind, proto, _, sockaddr = addr_info
    if is_internal(str(sockaddr[0])) and not _INTERNAL_OK.get():
        raise BlockedAddress("an internal address")
    sock = socket.socket(family=family, type=kind, proto=proto)
    sock.setblocking(False)
    return sock


Token = Callable[[], Awaitable[str | None]]


class SafeFetch:
    """A session whose every connection is checked, used for every file download."""

    def __init__(self, timeout: float = 60.0) -> None:
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        """Made on the running loop; no keep-alive, so a connection is never reused unchecked."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                socket_factory=guarded_socket, force_close=True, use_dns_cache=False
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self._timeout),
                trust_env=False,  # never through a proxy named in the environment
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def get(self, url: str, rules: FetchRules, limit: int, token: Token | None) -> bytes:
        """At most `limit` + 1 bytes of the file (the caller refuses it as too large, with the
        reason). FetchRefused before anything is sent, or when the name resolves inside;
        FetchFailed for any answer but 200 (a redirect included); aiohttp errors as they come."""
        origin = rules.check(url)
        headers = {}
        if token is not None and origin in rules.token_origins:
            secret = await token()
            if secret:
                headers["Authorization"] = f"Bearer {secret}"
        marker = _INTERNAL_OK.set(rules.internal_host(origin))
        try:
            target = URL(url)  # the very parse the check above made
            async with self.session().get(target, headers=headers, allow_redirects=False) as resp:
                if resp.status != 200:
                    raise FetchFailed(resp.status)
                return await read_at_most(resp.content, limit + 1)
        except aiohttp.ClientConnectorError as exc:
            if _blocked(exc):
                raise FetchRefused("the file's address is inside a private network") from None
            raise
        finally:
            _INTERNAL_OK.reset(marker)


def _blocked(exc: aiohttp.ClientConnectorError) -> bool:
    """Was the connection refused by guarded_socket (for one address or for all of them)?"""
    error: BaseException | None = exc.os_error
    seen: Sequence[BaseException] = ()
    while error is not None and error not in seen:
        if isinstance(error, BlockedAddress) or "an internal address" in str(error):
            return True
        seen = (*seen, error)
        error = error.__cause__ or error.__context__
    return False


async def read_at_most(stream: aiohttp.StreamReader, limit: int) -> bytes:
    """The body, stopping once it reaches limit bytes."""
    data = bytearray()
    async for chunk in stream.iter_chunked(65536):
        data.extend(chunk)
        if len(data) >= limit:
            break
    return bytes(data[:limit])


def slack_rules(api_url: str) -> FetchRules:
    """Slack's file hosts, and the host of SLACK_API_URL when set (tests, proxies, GovSlack):
    the bot token goes to exactly those origins."""
    configured = Origin.maybe(api_url)
    own = (configured,) if configured else ()
    hosts = tuple(Origin("https", h, 443) for h in SLACK_FILE_HOSTS)
    return FetchRules(
        hosts=SLACK_FILE_HOSTS,
        origins=own,
        token_origins=(*hosts, *own),
        internal_ok=own,
    )


def teams_rules(service_url: str, demo: bool) -> FetchRules:
    """The conversation's service URL (https, or in demo mode plain http on a loopback host,
    which is how the Bot Framework Emulator and the tests' fake connector run) and Microsoft's
    file hosts. The bot's token goes only to the service URL's exact origin."""
    service = Origin.maybe(service_url)
    own: tuple[Origin, ...] = ()
    internal: tuple[Origin, ...] = ()
    if service is not None and service.scheme == "https":
        own = (service,)
    if service is not None and demo and _loopback_name(service.host):
        own = internal = (service,)
    return FetchRules(
        hosts=MICROSOFT_FILE_HOSTS,
        suffixes=MICROSOFT_FILE_SUFFIXES,
        origins=own,
        token_origins=own,
        internal_ok=internal,
    )


def _loopback_name(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
