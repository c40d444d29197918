"""Signed links expire within five minutes and name why they are refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.links import LinkSigner, load_or_create_key


def test_signed_link_checks_and_expires(tmp_path):
    now = [datetime(2026, 11, 26, 10, tzinfo=UTC)]
    signer = LinkSigner(load_or_create_key(tmp_path), lambda: now[0])
    link = signer.sign("/files/OAK-2026-0001/evidence/abc")
    path, query = link.split("?")
    params = dict(p.split("=") for p in query.split("&"))
    assert signer.check(path, params["expires"], params["signature"]) == ""
    assert signer.check(path + "x", params["expires"], params["signature"]) == "bad signature"
    assert (
        signer.check(path, str(int(params["expires"]) + 60), params["signature"]) == "bad signature"
    )
    assert signer.check(path, "soon", params["signature"]) == "malformed"
    now[0] += timedelta(minutes=5, seconds=1)
    assert signer.check(path, params["expires"], params["signature"]) == "expired"


def test_the_key_is_kept_and_private(tmp_path):
    first = load_or_create_key(tmp_path)
    assert load_or_create_key(tmp_path) == first and len(first) == 32
    assert (tmp_path / "link-signing.key").stat().st_mode & 0o077 == 0
