"""Pure rules of callbacks and on-site dispatch (CB-1 … CB-5, D1, D12): tables over the official
calendar (the same `chinesecalendar` data the seeding migration loads) and hypothesis properties.
No database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from banzu.callbacks import rules
from banzu.core import calendar_seed
from banzu.core.rules import END_OF_DAY, CalendarNotCovered, WorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
YEARS = calendar_seed.package_years()
OFFICIAL = WorkCalendar.build(
    (day for year in YEARS for day, working, _kind, _name in calendar_seed.package_days(year) if working), YEARS
)


def at(day: str, clock: str = "12:00") -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=SHANGHAI)


def end_of(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), END_OF_DAY, tzinfo=SHANGHAI)


# --- provincial window after the collection period (CB-3, D1) ---------------------------------------------

PROVINCIAL = [
    # collection end, start, window → starts on, retry day (= last day)
    ("2024-03-15", 1, 4, "2024-03-18", "2024-03-21"),  # Friday: Monday to Thursday
    ("2024-03-18", 1, 4, "2024-03-19", "2024-03-22"),  # Monday: Tuesday to Friday
    ("2024-03-20", 1, 4, "2024-03-21", "2024-03-26"),  # Wednesday: the weekend is skipped
    ("2024-03-16", 1, 4, "2024-03-18", "2024-03-21"),  # a Saturday end counts from Monday
    # National Day 2024: 1-7 October off, Saturday 12 October a make-up working day.
    ("2024-09-30", 1, 4, "2024-10-08", "2024-10-11"),
    ("2024-10-11", 1, 4, "2024-10-12", "2024-10-16"),  # starts on the make-up Saturday
    # Spring Festival 2024: 10-17 February off, Sunday 18 February worked.
    ("2024-02-08", 1, 4, "2024-02-09", "2024-02-20"),
    # Other policy values: start later, shorter or longer window.
    ("2024-03-15", 2, 4, "2024-03-19", "2024-03-22"),
    ("2024-03-15", 1, 1, "2024-03-18", "2024-03-18"),
    ("2024-03-15", 1, 6, "2024-03-18", "2024-03-25"),
    # Across the year end: 2024-12-31 (Tuesday), New Year's Day off.
    ("2024-12-31", 1, 4, "2025-01-02", "2025-01-07"),
]


@pytest.mark.parametrize(("end", "start", "window", "starts_on", "last"), PROVINCIAL)
def test_provincial_callbacks_run_in_the_working_days_after_the_collection_period(end, start, window, starts_on, last):
    got = rules.provincial_window(at(end), start_working_day=start, window_working_days=window, calendar=OFFICIAL)
    assert got == rules.Window(date.fromisoformat(starts_on), date.fromisoformat(last), end_of(last))


def test_every_collection_end_of_the_calendar_gets_a_window_of_exactly_the_working_days():
    """Exhaustive over the covered years (bar the last weeks, whose window runs out of data)."""
    first, last = date(min(YEARS), 1, 1), date(max(YEARS), 12, 10)
    checked = 0
    for start in (1, 2, 3):
        for window in (1, 4, 6):
            day = first
            while day <= last:
                got = rules.provincial_window(
                    datetime.combine(day, time(17), tzinfo=SHANGHAI),
                    start_working_day=start,
                    window_working_days=window,
                    calendar=OFFICIAL,
                )
                assert OFFICIAL.is_working_day(got.starts_on) and OFFICIAL.is_working_day(got.retry_on)
                assert OFFICIAL.working_days_between(day, got.starts_on) == start
                assert OFFICIAL.working_days_between(got.starts_on, got.retry_on) == window - 1
                assert got.due_at == datetime.combine(got.retry_on, END_OF_DAY, tzinfo=SHANGHAI)
                checked += 1
                day += timedelta(days=1)
    assert checked > 9 * 700


def test_a_provincial_window_outside_the_calendar_is_an_error_not_a_guess():
    with pytest.raises(CalendarNotCovered):
        rules.provincial_window(
            datetime(max(YEARS) + 1, 3, 15, 12, tzinfo=SHANGHAI),
            start_working_day=1,
            window_working_days=4,
            calendar=OFFICIAL,
        )


@pytest.mark.parametrize(("start", "window"), [(0, 4), (1, 0), (-1, 4)])
def test_a_window_needs_at_least_one_working_day(start, window):
    with pytest.raises(ValueError):
        rules.provincial_window(
            at("2024-03-15"), start_working_day=start, window_working_days=window, calendar=OFFICIAL
        )


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=date(min(YEARS), 1, 1), max_value=date(max(YEARS), 11, 30)),
    window=st.integers(min_value=1, max_value=10),
)
def test_a_longer_window_never_ends_earlier(day, window):
    def last(size: int) -> date:
        moment = datetime.combine(day, time(9), tzinfo=SHANGHAI)
        return rules.provincial_window(
            moment, start_working_day=1, window_working_days=size, calendar=OFFICIAL
        ).retry_on

    assert last(window) < last(window + 1)


# --- city runs (CB-3) ------------------------------------------------------------------------------------

CITY = [
    # entered, first run, interval → run day
    ("2024-03-14", "2024-03-14", 1, "2024-03-15"),  # daily: called the next day
    ("2024-03-13", "2024-03-14", 1, "2024-03-14"),  # before the first run: the first run
    ("2024-03-16", "2024-03-14", 1, "2024-03-17"),  # weekends are calendar days too
    ("2024-03-14", "2024-03-14", 3, "2024-03-17"),
    ("2024-03-16", "2024-03-14", 3, "2024-03-17"),
    ("2024-03-17", "2024-03-14", 3, "2024-03-20"),
    ("2024-03-31", "2024-03-01", 7, "2024-04-05"),
]


@pytest.mark.parametrize(("entered", "first", "interval", "run"), CITY)
def test_city_customers_are_called_in_the_next_run(entered, first, interval, run):
    got = rules.city_window(at(entered, "23:30"), first_run=date.fromisoformat(first), interval_days=interval)
    assert got == rules.Window(date.fromisoformat(run), date.fromisoformat(run), end_of(run))


@settings(max_examples=200, deadline=None)
@given(
    entered=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    offset=st.integers(min_value=-40, max_value=40),
    interval=st.integers(min_value=1, max_value=31),
)
def test_a_city_run_is_a_run_day_after_the_entry_within_one_interval(entered, offset, interval):
    first = entered + timedelta(days=offset)
    run = rules.city_window(
        datetime.combine(entered, time(10), tzinfo=SHANGHAI), first_run=first, interval_days=interval
    ).starts_on
    assert run >= first and (run - first).days % interval == 0
    assert run > entered or run == first
    assert run <= max(first, entered + timedelta(days=interval))


def test_a_city_interval_below_one_day_is_refused():
    with pytest.raises(ValueError):
        rules.city_window(at("2024-03-14"), first_run=date(2024, 3, 14), interval_days=0)


# --- on-site response limits (CB-4, D12) -------------------------------------------------------------------

ONSITE = [
    # registered, agreement customer → due (clock hours: nights, weekends and holidays count)
    ("2024-03-14 09:00", True, "2024-03-15 09:00"),
    ("2024-03-14 09:00", False, "2024-03-16 09:00"),
    ("2024-03-15 18:30", True, "2024-03-16 18:30"),  # Friday evening: due on Saturday
    ("2024-03-15 18:30", False, "2024-03-17 18:30"),
    ("2024-09-30 23:59", True, "2024-10-01 23:59"),  # into National Day
    ("2024-09-30 23:59", False, "2024-10-02 23:59"),
    ("2024-02-29 12:00", True, "2024-03-01 12:00"),  # leap day
    ("2024-12-31 08:00", False, "2025-01-02 08:00"),
]


@pytest.mark.parametrize(("registered", "agreement", "due"), ONSITE)
def test_on_site_response_limit_is_24_or_48_clock_hours_from_registration(registered, agreement, due):
    moment = datetime.fromisoformat(registered).replace(tzinfo=SHANGHAI)
    got = rules.onsite_response_due(moment, agreement_customer=agreement, hours_agreement=24, hours_other=48)
    assert got == datetime.fromisoformat(due).replace(tzinfo=SHANGHAI)


def test_clock_hours_hold_across_a_daylight_saving_change():
    """Absolute hours, not wall-clock: a centre in a zone with DST still gets exactly 24 h."""
    berlin = ZoneInfo("Europe/Berlin")
    registered = datetime(2024, 3, 30, 12, 0, tzinfo=berlin)
    due = rules.onsite_response_due(registered, agreement_customer=True, hours_agreement=24, hours_other=48)
    assert due.astimezone(UTC) - registered.astimezone(UTC) == timedelta(hours=24)
    assert (due.day, due.hour) == (31, 13)  # summer time began that night: 13:00 on the wall clock


@settings(max_examples=300, deadline=None)
@given(
    registered=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)),
    agreement=st.booleans(),
    hours_agreement=st.integers(min_value=1, max_value=720),
    hours_other=st.integers(min_value=1, max_value=720),
)
def test_the_limit_is_exactly_the_policy_hours_of_the_customer_kind(
    registered, agreement, hours_agreement, hours_other
):
    moment = registered.replace(tzinfo=SHANGHAI)
    due = rules.onsite_response_due(
        moment, agreement_customer=agreement, hours_agreement=hours_agreement, hours_other=hours_other
    )
    assert due.astimezone(UTC) - moment.astimezone(UTC) == timedelta(
        hours=hours_agreement if agreement else hours_other
    )


def test_a_naive_registration_time_is_refused():
    with pytest.raises(ValueError):
        rules.onsite_response_due(datetime(2024, 3, 14, 9), agreement_customer=True, hours_agreement=24, hours_other=48)


# --- on-site steps (CB-4) ------------------------------------------------------------------------------------

ALLOWED_MOVES = {
    ("registered", "dispatched"),
    ("dispatched", "accepted"),
    ("accepted", "completed"),
    ("completed", "reviewed"),
}


@pytest.mark.parametrize("current", rules.ONSITE_STEPS)
@pytest.mark.parametrize("target", rules.ONSITE_STEPS)
def test_on_site_steps_go_one_at_a_time_in_order(current, target):
    assert rules.onsite_can_move(current, target) is ((current, target) in ALLOWED_MOVES)


@pytest.mark.parametrize("status", rules.ONSITE_STEPS)
def test_an_order_is_overdue_only_while_not_done_on_site_and_after_the_limit(status):
    due = at("2024-03-15", "09:00")
    assert rules.onsite_overdue(status, due, due) is False
    assert rules.onsite_overdue(status, due, due + timedelta(seconds=1)) is (status in rules.ONSITE_OPEN)
    assert rules.onsite_overdue(status, due, due - timedelta(hours=1)) is False


def test_completion_after_the_limit_is_late():
    due = at("2024-03-15", "09:00")
    assert rules.onsite_completed_late(due, due) is False
    assert rules.onsite_completed_late(due, due + timedelta(minutes=1)) is True


# --- attempts and outcomes (CB-3, CB-5) ---------------------------------------------------------------------

RETRY_DAY = date(2024, 3, 21)
BEFORE, ON, AFTER = RETRY_DAY - timedelta(days=2), RETRY_DAY, RETRY_DAY + timedelta(days=1)
ATTEMPTS = [
    # status, outcome, attempted on → status, outcome, follow-up
    ("pending", "satisfied", BEFORE, "done", "satisfied", False),
    ("pending", "satisfied", ON, "done", "satisfied", False),
    ("pending", "satisfied", AFTER, "done", "satisfied", False),
    ("pending", "dissatisfied", BEFORE, "done", "dissatisfied", True),
    ("pending", "dissatisfied", ON, "done", "dissatisfied", True),
    ("pending", "dissatisfied", AFTER, "done", "dissatisfied", True),
    ("pending", "unreachable", BEFORE, "retry", "", False),
    ("pending", "unreachable", ON, "done", "unreachable", True),
    ("pending", "unreachable", AFTER, "done", "unreachable", True),
    ("retry", "satisfied", BEFORE, "done", "satisfied", False),
    ("retry", "satisfied", ON, "done", "satisfied", False),
    ("retry", "satisfied", AFTER, "done", "satisfied", False),
    ("retry", "dissatisfied", BEFORE, "done", "dissatisfied", True),
    ("retry", "dissatisfied", ON, "done", "dissatisfied", True),
    ("retry", "dissatisfied", AFTER, "done", "dissatisfied", True),
    # A number already put aside is not put aside again: the second miss is final.
    ("retry", "unreachable", BEFORE, "done", "unreachable", True),
    ("retry", "unreachable", ON, "done", "unreachable", True),
    ("retry", "unreachable", AFTER, "done", "unreachable", True),
]


def test_the_attempt_table_covers_every_open_status_outcome_and_day():
    cases = {(status, outcome, on) for status, outcome, on, *_rest in ATTEMPTS}
    assert cases == {
        (status, outcome, on)
        for status in rules.OPEN_TASK_STATUSES
        for outcome in rules.OUTCOMES
        for on in (BEFORE, ON, AFTER)
    }


@pytest.mark.parametrize(("status", "outcome", "on", "new_status", "final", "follow_up"), ATTEMPTS)
def test_an_attempt_ends_the_task_or_puts_the_number_aside_for_the_retry_day(
    status, outcome, on, new_status, final, follow_up
):
    got = rules.after_attempt(status=status, outcome=outcome, attempted_on=on, retry_on=RETRY_DAY)
    assert got == rules.AttemptResult(new_status, final, follow_up)


@pytest.mark.parametrize("status", ["done", "cancelled"])
def test_a_closed_task_takes_no_attempt(status):
    with pytest.raises(ValueError):
        rules.after_attempt(status=status, outcome="satisfied", attempted_on=ON, retry_on=RETRY_DAY)


def test_an_unknown_outcome_is_refused():
    with pytest.raises(ValueError):
        rules.after_attempt(status="pending", outcome="maybe", attempted_on=ON, retry_on=RETRY_DAY)


@pytest.mark.parametrize("status", ["pending", "retry", "done", "cancelled"])
def test_a_task_is_overdue_only_while_open_and_after_its_deadline(status):
    due = end_of("2024-03-21")
    assert rules.task_overdue(status, due, due) is False
    assert rules.task_overdue(status, due, due + timedelta(seconds=1)) is (status in rules.OPEN_TASK_STATUSES)


# --- the monthly sample (CB-1) --------------------------------------------------------------------------------

POOLS = st.dictionaries(
    keys=st.integers(min_value=1, max_value=10_000),
    values=st.lists(st.integers(min_value=1, max_value=1_000_000), max_size=60),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(pools=POOLS, per_agent=st.integers(min_value=0, max_value=20), seed=st.text(max_size=12))
def test_each_agent_gets_the_same_share_of_their_own_calls(pools, per_agent, seed):
    chosen = rules.sample_per_agent(pools, per_agent=per_agent, seed=seed)
    assert set(chosen) == set(pools)
    for agent, ids in chosen.items():
        assert len(ids) == min(per_agent, len(set(pools[agent])))
        assert set(ids) <= set(pools[agent])
        assert ids == sorted(set(ids))


@settings(max_examples=200, deadline=None)
@given(pools=POOLS, per_agent=st.integers(min_value=0, max_value=20), seed=st.text(max_size=12), data=st.data())
def test_the_draw_repeats_from_the_seed_whatever_the_order_of_the_input(pools, per_agent, seed, data):
    shuffled = {agent: data.draw(st.permutations(ids)) for agent, ids in reversed(list(pools.items()))}
    assert rules.sample_per_agent(shuffled, per_agent=per_agent, seed=seed) == rules.sample_per_agent(
        pools, per_agent=per_agent, seed=seed
    )


@settings(max_examples=100, deadline=None)
@given(pools=POOLS, extra=st.lists(st.integers(min_value=1, max_value=1000), min_size=1, max_size=50))
def test_one_agents_draw_does_not_depend_on_the_others(pools, extra):
    """Fair per agent: a busy colleague joining does not change who is called about me."""
    alone = rules.sample_per_agent(pools, per_agent=3, seed="2024-03")
    with_busy = rules.sample_per_agent({**pools, 99_999: extra}, per_agent=3, seed="2024-03")
    assert {agent: alone[agent] for agent in pools} == {agent: with_busy[agent] for agent in pools}


def test_another_seed_draws_another_sample():
    pools = {1: list(range(1, 201)), 2: list(range(1000, 1200))}
    assert rules.sample_per_agent(pools, per_agent=5, seed="a") != rules.sample_per_agent(pools, per_agent=5, seed="b")


def test_every_call_of_an_agent_can_be_drawn():
    """Not biased to the first or last ids: over many seeds every id of a small pool turns up."""
    seen = set()
    for seed in range(200):
        seen.update(rules.sample_per_agent({7: list(range(10))}, per_agent=2, seed=str(seed))[7])
    assert seen == set(range(10))


def test_a_negative_sample_size_is_refused():
    with pytest.raises(ValueError):
        rules.sample_per_agent({1: [1]}, per_agent=-1, seed="x")


@pytest.mark.parametrize(
    ("year", "month", "first", "after"),
    [(2024, 1, date(2024, 1, 1), date(2024, 2, 1)), (2024, 12, date(2024, 12, 1), date(2025, 1, 1))],
)
def test_month_bounds_are_half_open(year, month, first, after):
    assert rules.month_bounds(year, month) == (first, after)


@pytest.mark.parametrize("month", [0, 13])
def test_an_impossible_month_is_refused(month):
    with pytest.raises(ValueError):
        rules.month_bounds(2024, month)


# --- satisfaction (CB-5) ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rating", "minimum", "satisfied"),
    [(rating, minimum, rating >= minimum) for rating in range(1, 6) for minimum in range(1, 6)],
)
def test_a_rating_is_satisfied_from_the_policy_minimum(rating, minimum, satisfied):
    assert rules.rating_is_satisfied(rating, minimum) is satisfied


@pytest.mark.parametrize("rating", [0, 6])
def test_a_rating_outside_one_to_five_is_refused(rating):
    with pytest.raises(ValueError):
        rules.rating_is_satisfied(rating, 4)


def test_satisfaction_combines_ratings_and_answered_callbacks_and_leaves_out_unreachable_ones():
    got = rules.satisfaction(
        ratings=[5, 4, 3, 1],
        minimum=4,
        callback_outcomes=["satisfied", "satisfied", "dissatisfied", "unreachable", "unreachable"],
    )
    assert (got.ratings, got.satisfied_ratings, got.callbacks_satisfied, got.callbacks_dissatisfied) == (4, 2, 2, 1)
    assert got.callbacks_unreachable == 2
    assert (got.answers, got.satisfied, got.rate) == (7, 4, 57.1)


def test_nobody_answered_gives_no_rate_rather_than_zero():
    assert rules.satisfaction(ratings=[], minimum=4, callback_outcomes=["unreachable"]).rate is None


@settings(max_examples=200, deadline=None)
@given(
    ratings=st.lists(st.integers(min_value=1, max_value=5), max_size=50),
    outcomes=st.lists(st.sampled_from(rules.OUTCOMES), max_size=50),
    minimum=st.integers(min_value=1, max_value=5),
)
def test_the_rate_is_a_percentage_and_counting_twice_agrees(ratings, outcomes, minimum):
    direct = rules.satisfaction(ratings=ratings, minimum=minimum, callback_outcomes=outcomes)
    counted = rules.combine(
        ratings=direct.ratings,
        satisfied_ratings=direct.satisfied_ratings,
        satisfied=direct.callbacks_satisfied,
        dissatisfied=direct.callbacks_dissatisfied,
        unreachable=direct.callbacks_unreachable,
    )
    assert counted == direct
    if direct.rate is not None:
        assert 0 <= direct.rate <= 100


def test_impossible_counts_are_refused():
    with pytest.raises(ValueError):
        rules.combine(ratings=1, satisfied_ratings=2, satisfied=0, dissatisfied=0, unreachable=0)
