"""Sample answers for tests, importable without pytest (the crash child uses them)."""

from __future__ import annotations

from typing import Any


def answers_values(**overrides: Any) -> dict[str, Any]:
    """Valid form values for a standard report; override any field."""
    values: dict[str, Any] = {
        "platform": "facebook",
        "link": "https://facebook.example/post/1",
        "seen_on": "2026-11-20",
        "post_text": "The year 4 teacher is useless and should be sacked",
        "author_relationship": "parent",
        "author_name": "",
        "about": ["staff"],
        "categories": ["complaints"],
        "facts": [],
        "history": "not_discussed",
        "investigation_under_way": [],
        "child_note": "",
    }
    values.update(overrides)
    return values


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png(tag: bytes | str = b"") -> bytes:
    """Bytes the bot takes for a PNG (its signature), distinct per tag, for evidence in tests."""
    return PNG_SIGNATURE + (tag.encode() if isinstance(tag, str) else tag)
