"""Working days: weekends, England and Wales bank holidays and the trust's [[closure]] ranges."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.config import EXAMPLE_TRUST, parse_trust
from bot.errors import ConfigError
from bot.service import CaseService
from bot.worktime import ClosedDays, WorkingHours
from tests.conftest import HEAD, REPORTER

LONDON = ZoneInfo("Europe/London")
# An INSET day and a spare day straight after the Christmas bank holidays, as a trust might set.
INSET = ClosedDays("INSET days", date(2027, 1, 4), date(2027, 1, 5))


def hours(*closures: ClosedDays) -> WorkingHours:
    return WorkingHours(LONDON, time(8), time(17), closures)


def test_bank_holidays_are_not_working_days():
    h = hours()
    assert not h.is_working_day(date(2026, 12, 25))  # Christmas Day, a Friday
    assert not h.is_working_day(date(2026, 12, 28))  # Boxing Day (Saturday) observed on Monday
    assert not h.is_working_day(date(2027, 1, 1))
    assert not h.is_working_day(date(2026, 8, 31))  # late summer bank holiday (England and Wales)
    assert h.is_working_day(date(2026, 8, 3))  # Scotland's summer bank holiday is not England's
    assert h.is_working_day(date(2026, 12, 24))
    # Thursday 24 December + 1 working day: Friday 25, the weekend and Monday 28 are skipped.
    assert h.add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)


def test_closures_are_skipped_after_the_bank_holidays():
    h = hours(INSET)
    assert not h.is_working_day(date(2027, 1, 4))
    assert not h.is_working_day(date(2027, 1, 5))
    # 29, 30, 31 December; 1 January a bank holiday; weekend; 4-5 January closed; then 6 January.
    assert h.add_working_days(date(2026, 12, 24), 4) == date(2027, 1, 6)
    assert hours().add_working_days(date(2026, 12, 24), 4) == date(2027, 1, 4)
    # A reminder due in a closure waits for the first working morning after it.
    assert h.next_open(datetime(2027, 1, 4, 9, tzinfo=UTC)) == datetime(2027, 1, 6, 8, tzinfo=UTC)
    assert h.next_working_day(datetime(2026, 12, 31, 12, tzinfo=UTC)) == datetime(
        2027, 1, 6, 8, tzinfo=UTC
    )


async def test_a_task_due_over_christmas_and_a_closure_after_it(store, policy, make_answers, clock):
    raw = tomllib.loads(EXAMPLE_TRUST.read_text())
    raw["closure"] = [{"from": date(2027, 1, 4), "to": date(2027, 1, 5), "name": "INSET days"}]
    trust = parse_trust(raw, "trust.toml")
    service = CaseService(store, trust, policy, clock)
    clock.now = datetime(2026, 12, 24, 10, tzinfo=UTC)  # Thursday, Christmas Eve
    case, _ = await service.submit(REPORTER, make_answers(), "xmas")
    out = await service.approve(case.reference, HEAD, case.version, ["discuss", "warning_letter"])
    due = {t.action_id: t.due_at for t in out.case.tasks}
    days = {t.action_id: trust.due_days(t.action_id) for t in out.case.tasks}  # the trust's
    expected = {1: date(2026, 12, 29), 2: date(2026, 12, 30), 3: date(2026, 12, 31)}
    expected |= {4: date(2027, 1, 6), 5: date(2027, 1, 7)}
    for action, at in due.items():
        # 17:00 GMT on the working day that many days on: never 25, 28 December or 1, 4, 5 January.
        assert at == datetime.combine(expected[days[action]], time(17), UTC), action
    # Without the closure only the bank holidays move it.
    plain = CaseService(store, replace(trust, closures=()), policy, clock)
    assert plain.trust.hours.add_working_days(date(2026, 12, 24), 4) == date(2027, 1, 4)


def test_the_example_trust_file_has_closures():
    trust = parse_trust(tomllib.loads(EXAMPLE_TRUST.read_text()), "trust.toml")
    assert trust.closures and trust.hours.closures == trust.closures
    school = trust.school("oak-primary")
    assert school is not None and school.address and school.head_name


@pytest.mark.parametrize(
    ("closure", "key", "problem"),
    [
        ({"to": date(2027, 1, 5), "name": "INSET"}, "closure[0].from", "missing"),
        ({"from": "2027-01-04", "name": "INSET"}, "closure[0].from", "date such as"),
        (
            # naive, as tomllib reads a local date-time such as 2027-01-04T09:00
            {"from": datetime(2027, 1, 4, 9), "name": "INSET"},  # noqa: DTZ001
            "closure[0].from",
            "date such as",
        ),
        (
            {"from": date(2027, 1, 5), "to": date(2027, 1, 4), "name": "x"},
            "closure[0].to",
            "before",
        ),
        ({"from": date(2027, 1, 4)}, "closure[0].name", "missing"),
        ({"from": date(2027, 1, 4), "name": "x", "till": 1}, "closure[0].till", "unknown key"),
        ({"from": date(2027, 1, 1), "to": date(2029, 1, 1), "name": "x"}, "closure[0].to", "year"),
    ],
)
def test_closure_errors_name_the_key(closure, key, problem):
    raw = tomllib.loads(EXAMPLE_TRUST.read_text())
    raw["closure"] = [closure]
    with pytest.raises(ConfigError) as err:
        parse_trust(raw, "trust.toml")
    assert err.value.key == key
    assert problem in err.value.problem


@pytest.mark.parametrize(
    ("school", "key", "problem"),
    [
        ({"address": 12}, "school.oak-primary.address", "list of lines"),
        ({"address": ["x" * 101]}, "school.oak-primary.address", "100 characters"),
        ({"head_name": ["Mrs Patel"]}, "school.oak-primary.head_name", "must be a string"),
        ({"head_name": "Mrs\nPatel"}, "school.oak-primary.head_name", "one line"),
    ],
)
def test_school_letter_keys_are_checked(school, key, problem):
    raw = tomllib.loads(EXAMPLE_TRUST.read_text())
    raw["school"][0].update(school)
    with pytest.raises(ConfigError) as err:
        parse_trust(raw, "trust.toml")
    assert err.value.key == key
    assert problem in err.value.problem


def test_an_address_may_be_one_string_a_line_each():
    raw = tomllib.loads(EXAMPLE_TRUST.read_text())
    raw["school"][0]["address"] = "1 Oak Lane\nOakton\nOK1 2AB\n"
    school = parse_trust(raw, "trust.toml").school("oak-primary")
    assert school is not None and school.address == ("1 Oak Lane", "Oakton", "OK1 2AB")
