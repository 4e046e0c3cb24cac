"""Calendar writes and the deadline entry point against the database (ORG-10, ORG-11, D1)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from banzu.conftest import PERSONAS
from banzu.core import calendar as work_calendar
from banzu.core import services
from banzu.core.errors import NotAllowed
from banzu.core.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOT_ADMINISTRATORS = [persona for persona in PERSONAS if persona != "admin"]


@pytest.fixture
def admin(org):
    return org.people["admin"].user


def deadline(day: str, days: int, clock: str = "10:00") -> datetime:
    moment = datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=SHANGHAI)
    return work_calendar.add_working_days(moment, days, zone=SHANGHAI)


def error_of(exc: pytest.ExceptionInfo, field: str):
    return exc.value.error_dict[field][0]


# --- seeding ------------------------------------------------------------------------------------


def test_seeding_twice_adds_no_years():
    years, days = CalendarYear.objects.count(), CalendarDay.objects.count()

    assert services.seed_calendar_from_package() == []
    assert services.seed_calendar_from_package() == []
    assert (CalendarYear.objects.count(), CalendarDay.objects.count()) == (years, days)


def test_seeding_puts_back_a_missing_year_once():
    CalendarYear.objects.filter(year=2025).delete()

    assert services.seed_calendar_from_package() == [2025]
    assert services.seed_calendar_from_package() == []
    assert CalendarDay.objects.filter(year=2025).count() == 365
    spring = CalendarDay.objects.get(date=date(2025, 1, 28))
    assert (spring.kind, spring.is_working_day, spring.name) == ("holiday", False, "春节")
    make_up = CalendarDay.objects.get(date=date(2025, 1, 26))
    assert (make_up.kind, make_up.is_working_day) == ("adjusted_workday", True)
    assert CalendarYear.objects.get(year=2025).published is True


# --- a later year -------------------------------------------------------------------------------


def test_adding_a_year_creates_a_draft_with_weekends(admin):
    entry = services.add_calendar_year(user=admin, year=2027)

    entry.refresh_from_db()
    assert (entry.source, entry.published) == ("administrator", False)
    rows = CalendarDay.objects.filter(year=2027)
    assert rows.count() == 365
    assert rows.filter(is_working_day=True).count() == 261
    saturday = rows.get(date=date(2027, 1, 2))
    assert (saturday.kind, saturday.is_working_day) == ("weekend", False)
    monday = rows.get(date=date(2027, 1, 4))
    assert (monday.kind, monday.is_working_day) == ("workday", True)
    assert CalendarYear.history.get(year=2027).history_user == admin


def test_a_draft_year_is_not_used_for_deadlines(admin):
    services.add_calendar_year(user=admin, year=2027)

    with pytest.raises(ValidationError) as caught:
        deadline("2026-12-30", 5)

    error = error_of(caught, "start")
    assert error.code == "calendar_not_covered"
    assert error.params == {"year": 2027}
    assert "2027" in error.message
    with pytest.raises(ValidationError) as caught:
        work_calendar.working_days_between(date(2026, 12, 30), date(2027, 1, 6))
    assert error_of(caught, "end").code == "calendar_not_covered"


def test_publishing_a_year_makes_it_usable_and_unpublishing_takes_it_back(admin, django_capture_on_commit_callbacks):
    services.add_calendar_year(user=admin, year=2027)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_calendar_year(user=admin, year=2027)

    assert CalendarYear.objects.get(year=2027).published is True
    # 31 Dec, then the draft's plain weekdays 1, 4, 5, 6 January 2027.
    assert deadline("2026-12-30", 5).isoformat() == "2027-01-06T23:59:59+08:00"
    assert work_calendar.working_days_between(date(2026, 12, 30), date(2027, 1, 6)) == 5

    with django_capture_on_commit_callbacks(execute=True):
        services.publish_calendar_year(user=admin, year=2027, published=False)

    with pytest.raises(ValidationError):
        deadline("2026-12-30", 5)


# --- changing a day -----------------------------------------------------------------------------


def test_marking_a_holiday_moves_the_next_deadline(admin, django_capture_on_commit_callbacks):
    assert deadline("2024-09-27", 5) == datetime(2024, 10, 10, 23, 59, 59, tzinfo=SHANGHAI)

    with django_capture_on_commit_callbacks(execute=True):
        row = services.set_calendar_day(user=admin, date=date(2024, 10, 8), kind="holiday", name=" 国庆节 ")

    row.refresh_from_db()
    assert (row.kind, row.is_working_day, row.name) == ("holiday", False, "国庆节")
    assert deadline("2024-09-27", 5) == datetime(2024, 10, 11, 23, 59, 59, tzinfo=SHANGHAI)


def test_marking_an_adjusted_working_day_brings_the_deadline_forward(admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.set_calendar_day(user=admin, date=date(2024, 10, 5), kind="adjusted_workday", name="国庆节")

    row = CalendarDay.objects.get(date=date(2024, 10, 5))
    assert (row.kind, row.is_working_day) == ("adjusted_workday", True)
    # 29 Sep, 30 Sep, 5 Oct (now worked), 8 Oct, 9 Oct.
    assert deadline("2024-09-27", 5).date() == date(2024, 10, 9)
    assert work_calendar.working_days_between(date(2024, 9, 30), date(2024, 10, 8)) == 2


def test_a_change_to_a_draft_year_does_not_affect_deadlines_until_published(admin, django_capture_on_commit_callbacks):
    services.add_calendar_year(user=admin, year=2027)
    with django_capture_on_commit_callbacks(execute=True):
        services.set_calendar_day(user=admin, date=date(2027, 1, 1), kind="holiday", name="元旦")
    with pytest.raises(ValidationError):
        deadline("2026-12-31", 1)

    with django_capture_on_commit_callbacks(execute=True):
        services.publish_calendar_year(user=admin, year=2027)

    assert deadline("2026-12-31", 1).date() == date(2027, 1, 4)


def test_history_records_who_changed_a_day_and_why(admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.set_calendar_day(
            user=admin, date=date(2024, 10, 8), kind="holiday", name="国庆节", reason="Local government notice"
        )

    record = CalendarDay.history.filter(date=date(2024, 10, 8)).latest("history_date")
    assert record.history_user == admin
    assert record.history_change_reason == "Local government notice"
    assert record.history_type == "~"
    assert (record.kind, record.is_working_day) == ("holiday", False)


def test_history_records_who_published_a_year(admin, django_capture_on_commit_callbacks):
    services.add_calendar_year(user=admin, year=2027)
    with django_capture_on_commit_callbacks(execute=True):
        services.publish_calendar_year(user=admin, year=2027)

    record = CalendarYear.history.filter(year=2027).latest("history_date")
    assert (record.history_user, record.published, record.history_type) == (admin, True, "~")


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", NOT_ADMINISTRATORS)
def test_only_an_administrator_may_mark_a_day(org, persona):
    with pytest.raises(NotAllowed):
        services.set_calendar_day(user=org.people[persona].user, date=date(2024, 10, 8), kind="holiday")

    row = CalendarDay.objects.get(date=date(2024, 10, 8))
    assert (row.kind, row.is_working_day) == ("workday", True)
    assert not CalendarDay.history.filter(date=date(2024, 10, 8)).exists()


@pytest.mark.parametrize("persona", NOT_ADMINISTRATORS)
def test_only_an_administrator_may_add_or_publish_a_year(org, persona):
    user = org.people[persona].user

    with pytest.raises(NotAllowed):
        services.add_calendar_year(user=user, year=2027)
    with pytest.raises(NotAllowed):
        services.publish_calendar_year(user=user, year=2024, published=False)

    assert not CalendarYear.objects.filter(year=2027).exists()
    assert CalendarYear.objects.get(year=2024).published is True


def test_an_unknown_kind_of_day_is_refused_and_nothing_changes(admin):
    with pytest.raises(ValidationError) as caught:
        services.set_calendar_day(user=admin, date=date(2024, 10, 8), kind="party")

    assert error_of(caught, "kind").code == "invalid_choice"
    assert CalendarDay.objects.get(date=date(2024, 10, 8)).kind == "workday"


def test_a_day_in_an_uncovered_year_cannot_be_marked(admin):
    with pytest.raises(ValidationError) as caught:
        services.set_calendar_day(user=admin, date=date(2031, 1, 1), kind="holiday")

    assert error_of(caught, "date").code == "calendar_not_covered"
    assert not CalendarDay.objects.filter(date=date(2031, 1, 1)).exists()


@pytest.mark.parametrize(("year", "code"), [(2024, "year_exists"), (1800, "year_range"), (2500, "year_range")])
def test_a_year_that_exists_or_is_out_of_range_cannot_be_added(admin, year, code):
    sources = dict(CalendarYear.objects.values_list("year", "source"))

    with pytest.raises(ValidationError) as caught:
        services.add_calendar_year(user=admin, year=year)

    assert error_of(caught, "year").code == code
    assert dict(CalendarYear.objects.values_list("year", "source")) == sources


def test_publishing_a_missing_year_is_refused(admin):
    with pytest.raises(ValidationError) as caught:
        services.publish_calendar_year(user=admin, year=2031)

    assert error_of(caught, "year").code == "not_found"
    assert not CalendarYear.objects.filter(year=2031).exists()


# --- time zones (ORG-11) ------------------------------------------------------------------------


def test_a_utc_moment_counts_from_the_local_day_of_the_centre():
    # 16:30 UTC on Sunday 29 September 2024: already Monday 30 September in Shanghai,
    # still Sunday (22:30) in Urumqi.
    moment = datetime(2024, 9, 29, 16, 30, tzinfo=UTC)

    in_shanghai = work_calendar.add_working_days(moment, 1, zone=SHANGHAI)
    in_urumqi = work_calendar.add_working_days(moment, 1, zone=ZoneInfo("Asia/Urumqi"))

    assert in_shanghai.isoformat() == "2024-10-08T23:59:59+08:00"
    assert in_urumqi.isoformat() == "2024-09-30T23:59:59+06:00"


def test_days_zero_is_the_end_of_the_local_event_day():
    assert deadline("2024-10-02", 0, "23:30").isoformat() == "2024-10-02T23:59:59+08:00"


def test_each_centre_has_its_own_zone(org):
    assert work_calendar.centre_zone(org.centre) == SHANGHAI
    org.centre.timezone = "Asia/Urumqi"
    assert work_calendar.centre_zone(org.centre) == ZoneInfo("Asia/Urumqi")
    assert work_calendar.centre_zone(None) == SHANGHAI
