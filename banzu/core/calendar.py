"""The one entry point for working-day arithmetic (ORG-10, ORG-11, D1).

Every deadline in Banzu is computed by ``add_working_days`` (or the pure
``rules.working_day_deadline`` with a calendar from ``work_calendar()``). The calendar is data in
the database, seeded from the `chinesecalendar` package and editable by an administrator.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.utils.translation import gettext as _

from banzu.core.errors import invalid
from banzu.core.models import CalendarDay, CalendarYear
from banzu.core.rules import CalendarNotCovered, WorkCalendar, working_day_deadline

CACHE_KEY = "banzu:calendar:v1"
_local: dict[str, tuple[int, WorkCalendar]] = {}


def _version() -> int:
    return cache.get_or_set(CACHE_KEY, 1, timeout=None)


def invalidate() -> None:
    """Call after any change to calendar rows; every process reloads on its next use."""
    try:
        cache.incr(CACHE_KEY)
    except ValueError:
        cache.set(CACHE_KEY, 2, timeout=None)
    _local.clear()


def work_calendar() -> WorkCalendar:
    """The published calendar, cached per process and reloaded when any process changes it."""
    version = _version()
    hit = _local.get("calendar")
    if hit and hit[0] == version:
        return hit[1]
    years = list(CalendarYear.objects.filter(published=True).values_list("year", flat=True))
    days = CalendarDay.objects.filter(year__in=years, is_working_day=True).values_list("date", flat=True)
    calendar = WorkCalendar.build(days, years)
    _local["calendar"] = (version, calendar)
    return calendar


def centre_zone(centre) -> ZoneInfo:
    """ORG-11: each centre has its own time zone."""
    return ZoneInfo(getattr(centre, "timezone", None) or "Asia/Shanghai")


def not_covered_error(exc: CalendarNotCovered, field: str = "start"):
    return invalid(
        field,
        _("The working-day calendar has no data for %(year)s. An administrator must enter that year first.")
        % {"year": exc.day.year},
        code="calendar_not_covered",
        params={"year": exc.day.year},
    )


def add_working_days(moment: datetime, days: int, *, zone: ZoneInfo) -> datetime:
    """End (23:59:59 local) of the `days`-th working day after the local day of `moment` (D1).

    Raises a ValidationError naming the uncovered year, never a weekend-only guess.
    """
    local = moment.astimezone(zone)
    try:
        return working_day_deadline(local, days, work_calendar())
    except CalendarNotCovered as exc:
        raise not_covered_error(exc) from None


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]; negative when `end` is before `start`."""
    try:
        return work_calendar().working_days_between(start, end)
    except CalendarNotCovered as exc:
        # Name the input that lies in the uncovered year, so the form marks the right field.
        field = "start" if exc.day.year == start.year else "end"
        raise not_covered_error(exc, field) from None
