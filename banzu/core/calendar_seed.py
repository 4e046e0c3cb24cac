"""Days of the official calendar as the `chinesecalendar` package knows them (ORG-10).

Plain tuples, no ORM: the seeding migration and the seeding service both use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

SATURDAY = 5

# Stored under the official Chinese name: the calendar is content, shown as is.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def package_years() -> range:
    import chinese_calendar

    first = min(chinese_calendar.holidays).year
    last = max(max(chinese_calendar.holidays), max(chinese_calendar.workdays)).year
    return range(first, last + 1)


def year_days(year: int) -> Iterator[date]:
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)


def package_days(year: int) -> Iterator[tuple[date, bool, str, str]]:
    """(date, is working day, kind, name) for every day of `year`."""
    import chinese_calendar

    for day in year_days(year):
        _on_holiday, holiday_name = chinese_calendar.get_holiday_detail(day)
        working = chinese_calendar.is_workday(day)
        if working and day.weekday() >= SATURDAY:
            kind = "adjusted_workday"
        elif working:
            kind = "workday"
        elif holiday_name:
            kind = "holiday"
        else:
            kind = "weekend"
        name = HOLIDAY_NAMES.get(holiday_name, holiday_name) if holiday_name else ""
        yield day, working, kind, name


def weekend_days(year: int) -> Iterator[tuple[date, bool, str, str]]:
    """A year with weekends only: the starting point an administrator corrects by hand."""
    for day in year_days(year):
        weekend = day.weekday() >= SATURDAY
        yield day, not weekend, "weekend" if weekend else "workday", ""
