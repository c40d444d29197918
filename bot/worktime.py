"""Working days and hours in the trust's time zone: due dates and when reminders may go out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class WorkingHours:
    tz: ZoneInfo
    start: time
    end: time

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.tz)

    def at(self, day: date, when: time) -> datetime:
        """A local wall-clock moment as UTC (zoneinfo handles the change to and from BST)."""
        return datetime.combine(day, when, tzinfo=self.tz).astimezone(UTC)

    def add_working_days(self, day: date, days: int) -> date:
        while is_weekend(day):
            day += timedelta(days=1)
        while days > 0:
            day += timedelta(days=1)
            if not is_weekend(day):
                days -= 1
        return day

    def due(self, decided_at: datetime, working_days: int) -> datetime:
        """The end of the working day that many working days after the decision."""
        return self.at(self.add_working_days(self.local(decided_at).date(), working_days), self.end)

    def next_open(self, after: datetime) -> datetime:
        """The first moment at or after this one inside working hours on a weekday."""
        local = self.local(after)
        day = local.date()
        if not is_weekend(day) and self.start <= local.time() < self.end:
            return after
        if is_weekend(day) or local.time() >= self.end:
            day = self.add_working_days(day, 0 if is_weekend(day) else 1)
        return self.at(day, self.start)

    def next_working_day(self, after: datetime) -> datetime:
        """The start of the next working day's hours after this moment (a snooze)."""
        day = self.add_working_days(self.local(after).date(), 1)
        return self.at(day, self.start)


def is_weekend(day: date) -> bool:
    return day.weekday() >= 5
