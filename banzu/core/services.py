"""Writes of the core: the calendar and policy values. Each is one transaction, audited."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from banzu.core import calendar as work_calendar
from banzu.core import calendar_seed, scoping
from banzu.core.errors import invalid
from banzu.core.models import CalendarDay, CalendarYear, PolicyValue
from banzu.core.policies import PolicyValueError, definition, from_storage, to_storage


def _record_user(row: Any, user: Any) -> None:
    """Name `user` in the history row even outside a request (commands, tests, tasks).

    Left unset for system callers, so that simple_history falls back to the request's user.
    """
    if getattr(user, "pk", None):
        row._history_user = user


@transaction.atomic
def seed_calendar_from_package() -> list[int]:
    """Load every year the `chinesecalendar` package knows; years already present are kept.

    Returns the years added. Idempotent: a second run adds nothing.
    """
    known = set(CalendarYear.objects.values_list("year", flat=True))
    added = [year for year in calendar_seed.package_years() if year not in known]
    for year in added:
        CalendarYear.objects.create(year=year, source=CalendarYear.Source.PACKAGE, published=True)
    CalendarDay.objects.bulk_create(
        (
            CalendarDay(date=day, year_id=year, is_working_day=working, kind=kind, name=name)
            for year in added
            for day, working, kind, name in calendar_seed.package_days(year)
        ),
        batch_size=2000,
    )
    transaction.on_commit(work_calendar.invalidate)
    return added


@transaction.atomic
def add_calendar_year(*, user: Any, year: int) -> CalendarYear:
    """A later year for an administrator to fill in: weekends pre-set, unpublished until checked."""
    scoping.ensure_can(user, "core.change_calendar")
    if not 1900 <= year <= 2200:
        raise invalid("year", _("Enter a year between 1900 and 2200."), code="year_range")
    if CalendarYear.objects.filter(year=year).exists():
        raise invalid("year", _("The calendar already has %(year)s.") % {"year": year}, code="year_exists")
    entry = CalendarYear(year=year, source=CalendarYear.Source.ADMINISTRATOR, published=False)
    _record_user(entry, user)
    entry.save(force_insert=True)
    CalendarDay.objects.bulk_create(
        CalendarDay(date=day, year=entry, is_working_day=working, kind=kind, name=name)
        for day, working, kind, name in calendar_seed.weekend_days(year)
    )
    return entry


@transaction.atomic
def set_calendar_day(*, user: Any, date: date, kind: str, name: str = "", reason: str = "") -> CalendarDay:
    """Mark one day as working, weekend, holiday or adjusted working day (调休).

    The keyword is `date`, like the form field and the field its errors name.
    """
    scoping.ensure_can(user, "core.change_calendar")
    if kind not in CalendarDay.Kind.values:
        raise invalid("kind", _("Choose a valid kind of day."), code="invalid_choice")
    row = CalendarDay.objects.select_for_update().filter(date=date).first()
    if row is None:
        raise invalid(
            "date",
            _("The calendar has no year %(year)s; add the year first.") % {"year": date.year},
            code="calendar_not_covered",
        )
    row.kind = kind
    row.is_working_day = kind in (CalendarDay.Kind.WORKDAY, CalendarDay.Kind.ADJUSTED_WORKDAY)
    row.name = name.strip()[:60]
    row._change_reason = reason
    _record_user(row, user)
    row.save()
    transaction.on_commit(work_calendar.invalidate)
    return row


@transaction.atomic
def publish_calendar_year(*, user: Any, year: int, published: bool = True) -> CalendarYear:
    scoping.ensure_can(user, "core.change_calendar")
    entry = CalendarYear.objects.select_for_update().filter(year=year).first()
    if entry is None:
        raise invalid("year", _("The calendar has no year %(year)s.") % {"year": year}, code="not_found")
    entry.published = published
    _record_user(entry, user)
    entry.save()
    transaction.on_commit(work_calendar.invalidate)
    return entry


@transaction.atomic
def set_policy(*, user: Any, centre: Any, key: str, value: Any, reason: str = "") -> Any:
    """Validate and store a centre's policy value; history records who, when, old → new (ORG-9)."""
    scoping.ensure_can(user, "core.change_policies")
    try:
        item = definition(key)
    except KeyError:
        raise invalid("key", _("There is no policy with this key."), code="unknown_policy") from None
    try:
        typed = item.parse(value)
    except PolicyValueError as exc:
        raise invalid("value", exc.message, code=exc.code) from None
    row = PolicyValue.objects.select_for_update().filter(centre=centre, key=key).first()
    if row is None:
        row = PolicyValue(centre=centre, key=key)
    row.value = to_storage(item, typed)
    row._change_reason = reason.strip()[:100]
    # Explicit, so the audit names the editor outside a request too (commands, shell, tasks).
    row._history_user = user
    row.save()
    return from_storage(item, row.value)


@transaction.atomic
def reset_policy(*, user: Any, centre: Any, key: str, reason: str = "") -> Any:
    """Back to the seed default: the override row is deleted (history keeps it)."""
    scoping.ensure_can(user, "core.change_policies")
    try:
        item = definition(key)
    except KeyError:
        raise invalid("key", _("There is no policy with this key."), code="unknown_policy") from None
    row = PolicyValue.objects.select_for_update().filter(centre=centre, key=key).first()
    if row is not None:
        row._change_reason = reason.strip()[:100]
        row._history_user = user
        row.delete()
    return item.default
