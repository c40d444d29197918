"""The log check itself: it sees what the server logs, and it would catch a leak."""

from __future__ import annotations

import logging

from tests.e2e.conftest import SENSITIVE, Collector, leaks
from tests.fakes.slack_session import TOKEN


def test_the_sample_values_are_all_checked():
    assert TOKEN in SENSITIVE
    assert "teacher@oakprimary.example" in SENSITIVE
    assert any("useless" in v for v in SENSITIVE)


def test_a_leak_is_found_whatever_its_case_and_an_info_line_is_collected():
    collector = Collector()
    log = logging.getLogger("handlers.example")
    log.addHandler(collector)
    log.setLevel(logging.INFO)
    log.propagate = False  # this leak is on purpose: kept from the suite's own check
    try:
        log.info("report filed as OAK-2026-0001")
        log.info("resolved TEACHER@OAKPRIMARY.EXAMPLE")
    finally:
        log.removeHandler(collector)
        log.propagate = True
    assert leaks(collector.lines[:1]) == []
    assert len(leaks(collector.lines)) == 1
