"""Validate Adaptive Cards against the official 1.5 schema in ../shared/schemas (never copied)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft6Validator
from jsonschema.exceptions import best_match

SCHEMA = (
    Path(__file__).resolve().parents[3] / "shared" / "schemas" / "adaptive-card.schema.v1.5.json"
)
HOST_KEYS = ("msteams",)  # Teams-only extensions the strict schema rejects
TEAMS_MESSAGE_LIMIT = 28 * 1024


@cache
def validator() -> Draft6Validator:
    if not SCHEMA.exists():
        pytest.skip(f"the Adaptive Card schema is not at {SCHEMA} (the shared folder is absent)")
    return Draft6Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))


def strip_host_keys(card: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in card.items() if k not in HOST_KEYS}


def assert_valid_card(card: dict[str, Any]) -> None:
    """Fail with the schema's most relevant complaint if the card is not valid 1.5."""
    error = best_match(validator().iter_errors(strip_host_keys(card)))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path)
        raise AssertionError(f"invalid Adaptive Card at {where or '(root)'}: {error.message}")
    assert card["version"] == "1.5"


def cards_in(payload: Any) -> list[dict[str, Any]]:
    """Every Adaptive Card inside an activity, an invoke response or a task module."""
    found: list[dict[str, Any]] = []
    if isinstance(payload, dict):
        if payload.get("type") == "AdaptiveCard" and "version" in payload:
            return [payload]
        for value in payload.values():
            found += cards_in(value)
    elif isinstance(payload, list):
        for value in payload:
            found += cards_in(value)
    return found
