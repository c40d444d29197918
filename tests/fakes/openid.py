"""A fake Bot Framework OpenID endpoint (its own thread) and tokens signed with its RSA key."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.fakes import teams_activities as ta

CHANNEL_ISSUER = "https://api.botframework.com"
EMULATOR_ISSUER = "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeOpenId:
    """Serves /.well-known/openid-configuration and /keys like login.botframework.com, on a
    thread of its own: botbuilder's own fetch blocks the event loop, and must still get an
    answer. Counts the key fetches; `delay` slows each answer, as a slow network would."""

    def __init__(self, endorsements: tuple[str, ...] = ("msteams",)) -> None:
        self.key = new_key()
        self.kid = f"test-{uuid.uuid4().hex[:8]}"
        self.endorsements = list(endorsements)
        self.extra_keys: list[tuple[str, rsa.RSAPrivateKey]] = []
        self.key_fetches = 0
        self.delay = 0.0
        self.url = ""

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in [(self.kid, self.key), *self.extra_keys]:
            jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            keys.append({**jwk, "kid": kid, "use": "sig", "endorsements": self.endorsements})
        return {"keys": keys}

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def token(
        self,
        service_url: str,
        *,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = None,
        lifetime: float = 3600,
        **claims: Any,
    ) -> str:
        """A channel token as Bot Framework signs it; any claim can be overridden (None leaves
        it out), and kid="" sends no key id."""
        now = int(time.time())
        payload = {
            "iss": CHANNEL_ISSUER,
            "aud": ta.BOT_APP_ID,
            "serviceurl": service_url,
            "nbf": now - 60,
            "exp": now + int(lifetime),
            **claims,
        }
        payload = {k: v for k, v in payload.items() if v is not None}
        headers = {"kid": self.kid if kid is None else kid} if kid != "" else {}
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers=headers)

    @contextmanager
    def serving(self) -> Iterator[FakeOpenId]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                time.sleep(fake.delay)
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": CHANNEL_ISSUER, "jwks_uri": f"{fake.url}/keys"}
                elif self.path == "/keys":
                    fake.key_fetches += 1
                    body = fake.jwks()
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the caller gave up waiting (its timeout): as a slow network does

            def log_message(self, *args: Any) -> None:
                return None

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
