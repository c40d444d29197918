"""Signed links: bound to a person, strict in every parameter, a whole key, rotation honoured."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

import pytest

from bot.errors import ConfigError
from bot.links import (
    KEY_FILE,
    KeyRing,
    LinkSigner,
    key_id,
    load_or_create_key,
    rotate_link_key,
)

PATH = "/files/OAK-2026-0001/evidence/abc"
PERSON = "slack:U0TEACHER1"


def split(link: str) -> tuple[str, list[tuple[str, str]]]:
    path, _, query = link.partition("?")
    return path, parse_qsl(query, keep_blank_values=True)


def test_signed_link_checks_expires_and_names_its_person(tmp_path):
    now = [datetime(2026, 11, 26, 10, tzinfo=UTC)]
    signer = LinkSigner(KeyRing(tmp_path), lambda: now[0])
    path, query = split(signer.sign(PATH, PERSON))
    params = dict(query)
    assert params["kid"] == key_id(load_or_create_key(tmp_path)) and params["for"] == PERSON
    verdict = signer.check(path, query)
    assert verdict.ok and verdict.person == PERSON
    assert signer.check(path + "x", query).why == "bad signature"
    later = [(k, str(int(v) + 60) if k == "expires" else v) for k, v in query]
    assert signer.check(path, later).why == "bad signature"
    someone_else = [(k, "slack:U0HEAD0001" if k == "for" else v) for k, v in query]
    assert signer.check(path, someone_else).why == "bad signature"
    now[0] += timedelta(minutes=5, seconds=1)
    assert signer.check(path, query).why == "expired"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("expires", "²"),  # a digit to str.isdigit, not to int()
        ("expires", "١٢٣"),  # Arabic-Indic digits
        ("expires", "soon"),
        ("expires", ""),
        ("expires", "-1"),
        ("expires", "9" * 40),
        ("kid", "ZZZZZZZZ"),
        ("kid", ""),
        ("for", ""),
        ("for", "slack U1"),
        ("signature", "0" * 63),
        ("signature", "G" * 64),
    ],
)
def test_every_parameter_is_parsed_strictly(tmp_path, name, value):
    signer = LinkSigner(KeyRing(tmp_path), lambda: datetime(2026, 11, 26, tzinfo=UTC))
    path, query = split(signer.sign(PATH, PERSON))
    bad = [(k, value if k == name else v) for k, v in query]
    assert signer.check(path, bad).why == "malformed"


def test_missing_repeated_and_unknown_parameters_are_refused(tmp_path):
    signer = LinkSigner(KeyRing(tmp_path), lambda: datetime(2026, 11, 26, tzinfo=UTC))
    path, query = split(signer.sign(PATH, PERSON))
    assert signer.check(path, query[1:]).why == "malformed"
    assert signer.check(path, [*query, query[0]]).why == "malformed"
    assert signer.check(path, [*query, ("download", "1")]).why == "malformed"
    assert signer.check(path, []).why == "malformed"


def test_the_key_is_kept_private_and_whole(tmp_path):
    first = load_or_create_key(tmp_path)
    assert load_or_create_key(tmp_path) == first and len(first) == 32
    assert (tmp_path / KEY_FILE).stat().st_mode & 0o077 == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [KEY_FILE]  # no temporary file left


@pytest.mark.parametrize("content", [b"", b"\x00" * 16, b"x" * 31, b"x" * 33])
def test_an_empty_or_short_key_refuses_to_start_naming_the_file(tmp_path, content):
    (tmp_path / KEY_FILE).write_bytes(content)
    with pytest.raises(ConfigError) as refused:
        KeyRing(tmp_path)
    assert str(tmp_path / KEY_FILE) in str(refused.value)
    assert f"must be 32 bytes and this file has {len(content)}" in str(refused.value)
    assert (tmp_path / KEY_FILE).read_bytes() == content  # left for the office to restore


def test_instances_starting_together_keep_one_key(tmp_path):
    keys: list[bytes] = []
    start = threading.Barrier(8)

    def make() -> None:
        start.wait()
        keys.append(load_or_create_key(tmp_path))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1 and keys[0] == (tmp_path / KEY_FILE).read_bytes()
    assert os.listdir(tmp_path) == [KEY_FILE]


def test_rotation_honours_links_issued_before_it_until_they_expire(tmp_path):
    now = [datetime(2026, 11, 26, 10, tzinfo=UTC)]
    signer = LinkSigner(KeyRing(tmp_path), lambda: now[0])
    path, before = split(signer.sign(PATH, PERSON))
    old, new = rotate_link_key(tmp_path, now[0])
    assert dict(before)["kid"] == old != new
    # The same signer (a running server) sees the new key without a restart.
    assert signer.check(path, before).ok
    _, after = split(signer.sign(PATH, PERSON))
    assert dict(after)["kid"] == new and signer.check(path, after).ok
    now[0] += timedelta(minutes=5, seconds=1)
    assert signer.check(path, before).why == "expired"
    # A second rotation forgets the first key altogether.
    rotate_link_key(tmp_path, now[0])
    assert signer.check(path, before).why == "unknown key"


def test_the_previous_key_is_not_honoured_past_a_links_lifetime_after_rotation(tmp_path):
    """A link with the old key and an expiry later than rotation + 5 minutes was not issued
    before the rotation (someone holding the old key made it): refused."""
    now = [datetime(2026, 11, 26, 10, tzinfo=UTC)]
    signer = LinkSigner(KeyRing(tmp_path), lambda: now[0])
    path, long_lived = split(signer.sign(PATH, PERSON, ttl=3600))
    rotate_link_key(tmp_path, now[0])
    assert signer.check(path, long_lived).why == "unknown key"
