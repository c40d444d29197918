"""Working days and hours in the trust's time zone: due dates and when reminders may go out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from holidays import HolidayBase


@dataclass(frozen=True)
class ClosedDays:
    """A closure from the trust file: a term holiday or INSET day, both dates included."""

    name: str
    start: date
    end: date

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class WorkingHours:
    tz: ZoneInfo
    start: time
    end: time
    closures: tuple[ClosedDays, ...] = ()

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.tz)

    def at(self, day: date, when: time) -> datetime:
        """A local wall-clock moment as UTC (zoneinfo handles the change to and from BST)."""
        return datetime.combine(day, when, tzinfo=self.tz).astimezone(UTC)

    def is_working_day(self, day: date) -> bool:
        """Not a weekend, an England and Wales bank holiday, or one of the trust's closures."""
        return (
            not is_weekend(day)
            and day not in bank_holidays()
            and not any(c.covers(day) for c in self.closures)
        )

    def add_working_days(self, day: date, days: int) -> date:
        while not self.is_working_day(day):
            day += timedelta(days=1)
        while days > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                days -= 1
        return day

    def due(self, decided_at: datetime, working_days: int) -> datetime:
        """The end of the working day that many working days after the decision."""
        return self.at(self.add_working_days(self.local(decided_at).date(), working_days), self.end)

    def next_open(self, after: datetime) -> datetime:
        """The first moment at or after this one inside working hours on a working day."""
        local = self.local(after)
        day = local.date()
        if self.is_working_day(day) and self.start <= local.time() < self.end:
            return after
        if not self.is_working_day(day) or local.time() >= self.end:
            day = self.add_working_days(day, 0 if not self.is_working_day(day) else 1)
        return self.at(day, self.start)

    def next_working_day(self, after: datetime) -> datetime:
        """The start of the next working day's hours after this moment (a snooze)."""
        day = self.add_working_days(self.local(after).date(), 1)
        return self.at(day, self.start)


def is_weekend(day: date) -> bool:
    return day.weekday() >= 5


@cache
def bank_holidays() -> HolidayBase:
    """England and Wales bank holidays (the holidays package computes each year when asked)."""
    # Imported here: only due dates need it, and it takes a moment to load.
    import holidays

    return holidays.country_holidays("GB", subdiv="ENG")
