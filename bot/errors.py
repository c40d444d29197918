"""Typed errors the core raises; handlers turn them into messages for people."""

from __future__ import annotations

from collections.abc import Mapping


class BotError(Exception):
    """Base of every error the core raises on purpose."""


class ConfigError(BotError):
    """A settings, trust or policy file is wrong: names the file, the key and the problem."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        super().__init__(f"{source}: {key}: {problem}")
        self.source = source
        self.key = key
        self.problem = problem


class FormErrors(BotError):
    """Answers that cannot be accepted, by field id, each with a message for the person."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


class NotAllowed(BotError):
    """The person may not do this; the message says who can."""


class UnknownCase(BotError):
    """No case has this reference."""


class InvalidTransition(BotError):
    """A case's status cannot move this way."""

    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(f"a case that is {current} cannot become {wanted}")
        self.current = current
        self.wanted = wanted


class StaleVersion(BotError):
    """The case changed since the person saw it: their card is out of date."""


class Conflict(BotError):
    """Another writer saved this case first (the store's compare-and-set); the service retries."""


class EvidenceRejected(BotError):
    """A file could not be kept as evidence: too large, too many, or empty."""


class StorageUnavailable(BotError):
    """The store could not make a write durable (disk full, I/O error); nothing was changed."""
