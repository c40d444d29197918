"""The use cases, by job: the only place a case changes, each writing its timeline event.

CaseService is the one object the channels call; its methods come from the job modules beside
this file (reporting, deciding, follow_through, delivery, access, retention), which share the
core's commit, retry on conflict and per-case serialising. files.py serves a case's files to the
people allowed to see them.
"""

from bot.service.access import Access
from bot.service.core import DRAFT_DAYS, Outcome, check_text, text_errors, utcnow, who
from bot.service.deciding import Deciding
from bot.service.delivery import Delivery
from bot.service.follow_through import FollowThrough
from bot.service.reporting import Reporting
from bot.service.retention import Retaining, RetentionReport


class CaseService(Reporting, Deciding, FollowThrough, Delivery, Access, Retaining):
    """Every use case, on one store, trust file and policy."""


__all__ = [
    "DRAFT_DAYS",
    "CaseService",
    "Outcome",
    "RetentionReport",
    "check_text",
    "text_errors",
    "utcnow",
    "who",
]
