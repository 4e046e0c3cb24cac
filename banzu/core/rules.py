"""Pure rules of the core: working-day arithmetic (ORG-10, D1) and policy value checks.

No ORM, clock or settings here: callers pass the calendar and the moment.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

END_OF_DAY = time(23, 59, 59)


class CalendarNotCovered(Exception):
    """The calendar has no data for a day that the arithmetic needs."""

    def __init__(self, day: date) -> None:
        super().__init__(f"The working-day calendar does not cover {day.isoformat()}.")
        self.day = day


@dataclass(frozen=True)
class WorkCalendar:
    """Working days of the official calendar over the years it covers.

    `working_days` holds every working day (调休 make-up days included, holidays and ordinary
    weekends excluded) of the `covered_years`. Asking about a day outside them raises
    CalendarNotCovered: a silent weekend-only guess would put deadlines on holidays.
    """

    working_days: frozenset[date]
    covered_years: frozenset[int]
    _sorted: tuple[date, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        # Built directly rather than through build(): without the sorted index
        # working_days_between would silently count nothing.
        if len(self._sorted) != len(self.working_days):
            object.__setattr__(self, "_sorted", tuple(sorted(self.working_days)))

    @classmethod
    def build(cls, working_days: Iterable[date], covered_years: Iterable[int]) -> WorkCalendar:
        days = frozenset(working_days)
        return cls(days, frozenset(covered_years), tuple(sorted(days)))

    def covers(self, day: date) -> bool:
        return day.year in self.covered_years

    def is_working_day(self, day: date) -> bool:
        if day.year not in self.covered_years:
            raise CalendarNotCovered(day)
        return day in self.working_days

    def nth_working_day_after(self, day: date, n: int) -> date:
        """The n-th working day after `day` (n >= 0; n == 0 is `day` itself, working or not)."""
        if n < 0:
            raise ValueError("n must not be negative")
        if not self.covers(day):
            raise CalendarNotCovered(day)
        current = day
        remaining = n
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: how many working days `end` lies after `start`.

        Negative when `end` is before `start`. Both ends must be covered.
        """
        if start > end:
            return -self.working_days_between(end, start)
        for day in (start, end):
            if not self.covers(day):
                raise CalendarNotCovered(day)
        for year in range(start.year, end.year + 1):
            if year not in self.covered_years:
                raise CalendarNotCovered(date(year, 1, 1))
        lo = bisect.bisect_right(self._sorted, start)
        hi = bisect.bisect_right(self._sorted, end)
        return hi - lo


def working_day_deadline(moment: datetime, working_days: int, calendar: WorkCalendar) -> datetime:
    """D1: the event day is day 0; the deadline is 23:59:59 local of the N-th working day after.

    `moment` must be aware and already in the centre's time zone; the answer carries that zone.
    """
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    day = calendar.nth_working_day_after(moment.date(), working_days)
    naive = datetime.combine(day, END_OF_DAY)
    zone = moment.tzinfo
    localize = getattr(zone, "localize", None)  # pytz-style zones; zoneinfo needs none
    return localize(naive) if localize else naive.replace(tzinfo=zone)
