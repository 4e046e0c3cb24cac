"""Pure working-day arithmetic (ORG-10, ORG-11, D1): core.rules.WorkCalendar and working_day_deadline.

The "official" calendar here is built from the same `chinesecalendar` data the seeding migration
loads (core.calendar_seed), so these tests need no database; one test checks that the seeded
rows give the same calendar.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from banzu.core import calendar_seed
from banzu.core.rules import END_OF_DAY, CalendarNotCovered, WorkCalendar, working_day_deadline

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICIAL_YEARS = calendar_seed.package_years()
OFFICIAL = WorkCalendar.build(
    (day for year in OFFICIAL_YEARS for day, working, _kind, _name in calendar_seed.package_days(year) if working),
    OFFICIAL_YEARS,
)

# A hand-made year: Tuesday 1 to Friday 4 October 2030 off, Sunday 29 September worked instead.
HAND_HOLIDAYS = {date(2030, 10, 1), date(2030, 10, 2), date(2030, 10, 3), date(2030, 10, 4)}
HAND_MAKE_UP = {date(2030, 9, 29)}
HAND = WorkCalendar.build(
    [day for day in calendar_seed.year_days(2030) if day.weekday() < 5 and day not in HAND_HOLIDAYS] + [*HAND_MAKE_UP],
    {2030},
)


def at(day: str, clock: str = "10:00", zone=SHANGHAI) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=zone)


def end_of(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), END_OF_DAY, tzinfo=SHANGHAI)


# --- the official calendar around National Day 2024 and Spring Festival 2025 ---------------------

OFFICIAL_DEADLINES = [
    # 2024 National Day: 1-7 October off; Sunday 29 September and Saturday 12 October worked.
    ("2024-09-27", 0, "2024-09-27"),
    ("2024-09-27", 1, "2024-09-29"),
    ("2024-09-27", 2, "2024-09-30"),
    ("2024-09-27", 3, "2024-10-08"),
    ("2024-09-27", 5, "2024-10-10"),
    ("2024-09-28", 1, "2024-09-29"),
    ("2024-09-30", 1, "2024-10-08"),
    ("2024-10-01", 0, "2024-10-01"),
    ("2024-10-01", 1, "2024-10-08"),
    ("2024-10-03", 2, "2024-10-09"),
    ("2024-10-07", 1, "2024-10-08"),
    ("2024-10-10", 2, "2024-10-12"),
    ("2024-10-11", 1, "2024-10-12"),
    ("2024-10-12", 1, "2024-10-14"),
    # New Year 2025 across the year boundary.
    ("2024-12-31", 1, "2025-01-02"),
    # 2025 Spring Festival: 28 January to 4 February off; Sunday 26 January and Saturday 8 February worked.
    ("2025-01-24", 1, "2025-01-26"),
    ("2025-01-24", 2, "2025-01-27"),
    ("2025-01-24", 3, "2025-02-05"),
    ("2025-01-27", 1, "2025-02-05"),
    ("2025-01-28", 0, "2025-01-28"),
    ("2025-01-28", 1, "2025-02-05"),
    ("2025-01-29", 4, "2025-02-08"),
    ("2025-02-07", 1, "2025-02-08"),
    ("2025-02-08", 1, "2025-02-10"),
    ("2025-01-24", 7, "2025-02-10"),
]


@pytest.mark.parametrize(("event", "days", "due"), OFFICIAL_DEADLINES)
def test_deadline_follows_the_official_calendar(event, days, due):
    assert working_day_deadline(at(event), days, OFFICIAL) == end_of(due)


@pytest.mark.parametrize(("event", "days", "due"), OFFICIAL_DEADLINES)
def test_an_event_late_at_night_still_counts_its_own_day_as_day_zero(event, days, due):
    assert working_day_deadline(at(event, "23:30"), days, OFFICIAL) == end_of(due)
    assert working_day_deadline(at(event, "00:00"), days, OFFICIAL) == end_of(due)


def test_five_working_days_from_the_friday_before_national_day_end_on_10_october():
    deadline = working_day_deadline(at("2024-09-27", "15:20"), 5, OFFICIAL)

    assert deadline.isoformat() == "2024-10-10T23:59:59+08:00"


def test_zero_days_is_the_end_of_the_event_day_even_on_a_holiday():
    assert working_day_deadline(at("2024-10-03", "08:00"), 0, OFFICIAL) == end_of("2024-10-03")
    assert working_day_deadline(at("2025-02-01", "08:00"), 0, OFFICIAL) == end_of("2025-02-01")


def test_a_utc_moment_that_is_already_the_next_local_day_counts_from_the_local_day():
    # 16:30 UTC on Sunday 29 September is 00:30 on Monday 30 September in Shanghai.
    moment = datetime(2024, 9, 29, 16, 30, tzinfo=UTC)
    local = moment.astimezone(SHANGHAI)

    deadline = working_day_deadline(local, 1, OFFICIAL)

    assert local.date() == date(2024, 9, 30)
    assert deadline == end_of("2024-10-08")
    assert deadline.utcoffset() == timedelta(hours=8)


def test_the_deadline_carries_the_zone_of_the_moment():
    urumqi = ZoneInfo("Asia/Urumqi")

    deadline = working_day_deadline(at("2024-09-27", zone=urumqi), 5, OFFICIAL)

    assert deadline == datetime(2024, 10, 10, 23, 59, 59, tzinfo=urumqi)
    assert deadline.utcoffset() == timedelta(hours=6)


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError):
        working_day_deadline(datetime(2024, 9, 27, 10, 0), 1, OFFICIAL)


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        working_day_deadline(at("2024-09-27"), -1, OFFICIAL)


# --- a calendar built by hand -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "days", "due"),
    [
        ("2030-09-27", 0, "2030-09-27"),
        ("2030-09-27", 1, "2030-09-29"),
        ("2030-09-27", 2, "2030-09-30"),
        ("2030-09-27", 3, "2030-10-07"),
        ("2030-10-02", 1, "2030-10-07"),
        ("2030-12-30", 1, "2030-12-31"),
    ],
)
def test_deadline_follows_a_hand_made_calendar(event, days, due):
    assert working_day_deadline(at(event), days, HAND) == end_of(due)


def test_a_holiday_on_a_weekday_is_not_a_working_day_and_a_make_up_sunday_is():
    assert HAND.is_working_day(date(2030, 10, 1)) is False
    assert HAND.is_working_day(date(2030, 9, 29)) is True
    assert HAND.is_working_day(date(2030, 10, 5)) is False
    assert HAND.is_working_day(date(2030, 10, 7)) is True


def test_an_event_in_an_uncovered_year_raises_instead_of_guessing_weekends():
    # 6 January 2031 is a Monday: a weekend-only guess would happily call it a working day.
    with pytest.raises(CalendarNotCovered) as caught:
        working_day_deadline(at("2031-01-06"), 0, HAND)

    assert caught.value.day == date(2031, 1, 6)
    with pytest.raises(CalendarNotCovered):
        HAND.is_working_day(date(2031, 1, 6))


def test_a_walk_that_runs_off_the_end_of_the_covered_years_raises():
    with pytest.raises(CalendarNotCovered) as caught:
        working_day_deadline(at("2030-12-30"), 2, HAND)

    assert caught.value.day == date(2031, 1, 1)


def test_the_real_calendar_also_stops_at_its_last_year():
    last = max(OFFICIAL_YEARS)

    with pytest.raises(CalendarNotCovered) as caught:
        working_day_deadline(at(f"{last}-12-30"), 5, OFFICIAL)

    assert caught.value.day.year == last + 1
    with pytest.raises(CalendarNotCovered):
        working_day_deadline(at(f"{min(OFFICIAL_YEARS) - 1}-12-31"), 1, OFFICIAL)


def test_a_calendar_built_without_the_helper_counts_the_same():
    direct = WorkCalendar(working_days=HAND.working_days, covered_years=HAND.covered_years)

    assert direct.working_days_between(date(2030, 9, 27), date(2030, 10, 7)) == 3
    assert direct == HAND


# --- working days between two dates -------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        ("2024-09-27", "2024-10-10", 5),
        ("2024-09-30", "2024-10-08", 1),
        ("2024-10-01", "2024-10-07", 0),
        ("2024-09-27", "2024-09-27", 0),
        ("2024-10-11", "2024-10-14", 2),
        ("2024-12-31", "2025-01-02", 1),
        ("2025-01-24", "2025-02-10", 7),
        ("2025-01-27", "2025-02-04", 0),
    ],
)
def test_working_days_between_counts_in_both_directions(start, end, count):
    first, last = date.fromisoformat(start), date.fromisoformat(end)

    assert OFFICIAL.working_days_between(first, last) == count
    assert OFFICIAL.working_days_between(last, first) == -count


def test_working_days_between_refuses_uncovered_ends_and_gaps():
    gappy = WorkCalendar.build(
        [day for year in (2029, 2031) for day in calendar_seed.year_days(year) if day.weekday() < 5], {2029, 2031}
    )

    with pytest.raises(CalendarNotCovered) as caught:
        gappy.working_days_between(date(2029, 12, 31), date(2031, 1, 2))
    assert caught.value.day.year == 2030
    with pytest.raises(CalendarNotCovered):
        HAND.working_days_between(date(2030, 12, 1), date(2031, 1, 2))
    with pytest.raises(CalendarNotCovered):
        HAND.working_days_between(date(2031, 1, 2), date(2030, 12, 1))


@pytest.mark.django_db
def test_the_seeded_calendar_matches_the_package():
    from banzu.core.calendar import invalidate, work_calendar

    invalidate()
    seeded = work_calendar()

    assert set(OFFICIAL_YEARS) <= seeded.covered_years
    assert {day for day in seeded.working_days if day.year in OFFICIAL_YEARS} == OFFICIAL.working_days


# --- properties ---------------------------------------------------------------------------------

# Starts and counts chosen so that every walk stays inside the covered years.
covered_starts = st.dates(min_value=date(min(OFFICIAL_YEARS), 1, 1), max_value=date(max(OFFICIAL_YEARS), 9, 1))
clock_times = st.times()
counts = st.integers(min_value=0, max_value=40)


def moment_of(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=SHANGHAI)


@given(day=covered_starts, clock=clock_times, days=st.integers(min_value=1, max_value=40))
def test_property_the_deadline_is_the_end_of_a_working_day(day, clock, days):
    deadline = working_day_deadline(moment_of(day, clock), days, OFFICIAL)

    assert OFFICIAL.is_working_day(deadline.date())
    assert deadline.time() == END_OF_DAY
    assert deadline.tzinfo is SHANGHAI
    assert deadline > moment_of(day, clock)


@given(day=covered_starts, clock=clock_times, days=counts, more=st.integers(min_value=0, max_value=20))
def test_property_more_days_never_give_an_earlier_deadline(day, clock, days, more):
    moment = moment_of(day, clock)

    assert working_day_deadline(moment, days + more, OFFICIAL) >= working_day_deadline(moment, days, OFFICIAL)


@given(day=covered_starts, clock=clock_times, days=counts)
def test_property_one_more_day_gives_a_strictly_later_deadline(day, clock, days):
    moment = moment_of(day, clock)

    assert working_day_deadline(moment, days + 1, OFFICIAL) > working_day_deadline(moment, days, OFFICIAL)


@given(day=covered_starts, clock=clock_times, days=counts)
def test_property_working_days_between_undoes_the_deadline(day, clock, days):
    due = working_day_deadline(moment_of(day, clock), days, OFFICIAL).date()

    assert OFFICIAL.working_days_between(day, due) == days
    assert OFFICIAL.working_days_between(due, day) == -days


@settings(max_examples=60)
@given(
    working=st.sets(st.dates(min_value=date(2030, 1, 1), max_value=date(2030, 12, 31)), max_size=40),
    day=st.dates(min_value=date(2030, 1, 1), max_value=date(2030, 12, 31)),
    days=st.integers(min_value=1, max_value=10),
)
def test_property_any_calendar_gives_a_working_day_or_says_it_is_not_covered(working, day, days):
    calendar = WorkCalendar.build(working, {2030})
    ahead = sorted(d for d in working if d > day)
    if len(ahead) < days:
        with pytest.raises(CalendarNotCovered):
            working_day_deadline(moment_of(day, time(9)), days, calendar)
        return
    deadline = working_day_deadline(moment_of(day, time(9)), days, calendar)

    assert deadline.date() == ahead[days - 1]
