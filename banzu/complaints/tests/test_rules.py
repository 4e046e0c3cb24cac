"""Pure rules of complaints: level (CMP-2), deadline over the official calendar (CMP-3, D1, D11),
workflow (CMP-4, CMP-5) and the cause analysis (CMP-6). No database."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from banzu.complaints import rules
from banzu.core import calendar_seed
from banzu.core.rules import CalendarNotCovered, WorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
YEARS = calendar_seed.package_years()
OFFICIAL = WorkCalendar.build(
    (day for year in YEARS for day, working, _kind, _name in calendar_seed.package_days(year) if working), YEARS
)


def at(day: str, clock: str = "10:00") -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tzinfo=SHANGHAI)


def end_of(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(23, 59, 59), tzinfo=SHANGHAI)


# --- CMP-2: level by where it was lodged -----------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "level"),
    [("company", 1), ("group", 2), ("city_bureau", 3), ("provincial_bureau", 3), ("media", 3)],
)
def test_the_level_follows_where_the_complaint_was_lodged(source, level):
    assert rules.level_for_source(source) == level


def test_every_source_has_a_level_and_every_level_a_handler_and_an_escalation():
    assert set(rules.LEVEL_OF_SOURCE) == set(rules.SOURCES)
    for level in set(rules.LEVEL_OF_SOURCE.values()):
        assert rules.HANDLER_ROLES[level]
        assert rules.ESCALATION_ROLES[level]


@pytest.mark.parametrize(("level", "needed"), [(1, False), (2, True), (3, True)])
def test_levels_2_and_3_need_a_written_report(level, needed):
    assert rules.needs_authority_report(level) is needed


# --- CMP-3, D1: the due time on the official calendar ---------------------------------------------

DEADLINES = [
    # an ordinary Thursday: Friday is day 1, Monday day 2
    ("2024-03-14 09:00", "2024-03-18"),
    # filed late on a Friday evening: the filing day is day 0 whatever the hour
    ("2024-03-15 23:30", "2024-03-19"),
    # filed on a Saturday: Monday and Tuesday
    ("2024-03-16 10:00", "2024-03-19"),
    # before the National Day week (1-7 October 2024): the holiday does not count
    ("2024-09-30 10:00", "2024-10-09"),
    # on the holiday itself
    ("2024-10-03 10:00", "2024-10-09"),
    # before the 调休 Saturday 12 October 2024, which is a working day
    ("2024-10-11 10:00", "2024-10-14"),
    # the Sunday 29 September 2024 is a make-up working day: filed on Saturday 28th, it is day 1
    ("2024-09-28 10:00", "2024-09-30"),
    # before the Spring Festival 2024 (10-17 February): Friday 9th, then the 调休 Sunday 18th
    ("2024-02-08 10:00", "2024-02-18"),
    # on the 调休 Sunday 4 February 2024, a working day as the filing day: Monday, Tuesday
    ("2024-02-04 10:00", "2024-02-06"),
    # New Year: 1 January 2025 off
    ("2024-12-31 16:00", "2025-01-03"),
]


@pytest.mark.parametrize(("filed", "due_day"), DEADLINES)
def test_a_complaint_is_due_at_the_end_of_the_second_working_day(filed, due_day):
    day, clock = filed.split()
    assert rules.complaint_due_at(at(day, clock), 2, OFFICIAL) == end_of(due_day)


def test_a_complaint_filed_in_a_year_without_calendar_data_is_refused_not_guessed():
    with pytest.raises(CalendarNotCovered):
        rules.complaint_due_at(at(f"{max(YEARS) + 1}-06-01"), 2, OFFICIAL)


COVERED_DAYS = st.dates(min_value=date(min(YEARS), 1, 1), max_value=date(max(YEARS), 11, 30))


@given(day=COVERED_DAYS, days=st.integers(min_value=1, max_value=10), hour=st.integers(0, 23))
def test_the_due_time_is_a_working_day_end_with_exactly_n_working_days_after_filing(day, days, hour):
    filed = datetime.combine(day, time(hour), tzinfo=SHANGHAI)
    due = rules.complaint_due_at(filed, days, OFFICIAL)
    assert OFFICIAL.is_working_day(due.date())
    assert due.time() == time(23, 59, 59)
    assert OFFICIAL.working_days_between(day, due.date()) == days


@given(day=COVERED_DAYS, days=st.integers(min_value=1, max_value=9))
def test_more_working_days_are_never_earlier(day, days):
    filed = datetime.combine(day, time(12), tzinfo=SHANGHAI)
    assert rules.complaint_due_at(filed, days + 1, OFFICIAL) > rules.complaint_due_at(filed, days, OFFICIAL)


def test_the_reminder_comes_the_policy_hours_before_the_due_time():
    due = end_of("2024-03-18")
    assert rules.reminder_at(due, 24, at("2024-03-14")) == due - timedelta(hours=24)


def test_no_reminder_when_switched_off_or_already_past_at_filing():
    due = end_of("2024-03-18")
    assert rules.reminder_at(due, 0, at("2024-03-14")) is None
    assert rules.reminder_at(due, 200, at("2024-03-14")) is None


def test_remaining_counts_working_days_and_turns_amber_after_the_reminder_then_red():
    due, remind = end_of("2024-10-09"), at("2024-10-08", "12:00")
    first = rules.remaining(now=at("2024-09-30"), due_at=due, reminder_at=remind, calendar=OFFICIAL)
    assert (first.working_days, first.state) == (2, "ok")  # 8 and 9 October; the holiday week is not counted
    soon = rules.remaining(now=at("2024-10-08", "13:00"), due_at=due, reminder_at=remind, calendar=OFFICIAL)
    assert (soon.working_days, soon.state) == (1, "soon")
    late = rules.remaining(now=due + timedelta(hours=4), due_at=due, reminder_at=remind, calendar=OFFICIAL)
    assert (late.state, late.overdue_by) == ("overdue", timedelta(hours=4))


# --- CMP-4: the workflow --------------------------------------------------------------------------

VALID_PATH = [
    ("accept", {}, "accepted"),
    ("verify", {"investigation": "x"}, "verified"),
    ("decide", {"is_valid": True, "cause": "attitude", "decision_note": "x"}, "valid"),
    ("apologise", {"apology": "x"}, "apologised"),
    ("agree_solution", {"solution": "x"}, "solution_agreed"),
    ("resolve", {"resolution": "x"}, "resolved"),
    ("determine_responsibility", {"responsible_person": 1, "penalty": "x"}, "responsibility_determined"),
    ("call_back", {"method": "phone", "satisfied": False}, "unsatisfied"),
    ("call_back", {"method": "visit", "satisfied": True}, "satisfied"),
    ("correct", {"corrective_action": "x"}, "corrected"),
    ("verify_correction", {"correction_verification": "x"}, "correction_verified"),
    ("close", {}, "closed"),
]


def test_a_valid_complaint_walks_the_whole_path_to_closure():
    status = "filed"
    for step, values, expected in VALID_PATH:
        assert rules.step_problems(step, status, level=1, values=values, reported=False) == []
        status = rules.next_status(step, status, valid=values.get("is_valid"), satisfied=values.get("satisfied"))
        assert status == expected


def test_an_invalid_complaint_is_explained_then_closed():
    status = rules.next_status("decide", "verified", valid=False)
    assert status == "invalid"
    assert rules.steps_from(status) == ("explain",)
    assert rules.next_status("explain", status) == "explained"
    assert rules.steps_from("explained") == ("close",)


@pytest.mark.parametrize("status", rules.STATUSES)
@pytest.mark.parametrize("step", rules.STEPS)
def test_every_step_out_of_order_is_refused_on_the_step(step, status):
    problems = rules.step_problems(step, status, level=1, values={}, reported=False)
    if status in rules.FROM[step]:
        assert all(problem.code != "wrong_status" for problem in problems)
    else:
        assert problems == [rules.Problem("step", "wrong_status", {"step": step, "status": status})]


def test_a_closed_complaint_allows_no_step():
    assert rules.steps_from("closed") == ()


@pytest.mark.parametrize(("step", "status"), [(s, next(iter(rules.FROM[s]))) for s in rules.REQUIRED_TEXT])
def test_a_step_without_its_record_names_the_record(step, status):
    problems = rules.step_problems(step, status, level=1, values={}, reported=False)
    assert rules.Problem(rules.REQUIRED_TEXT[step], "required") in problems


def test_joint_liability_needs_the_superior_named():
    values = {"responsible_person": 1, "penalty": "x", "management_failure": True}
    problems = rules.step_problems("determine_responsibility", "resolved", level=1, values=values, reported=False)
    assert problems == [rules.Problem("responsible_superior", "required_for_joint_liability")]
    values["responsible_superior"] = 2
    assert rules.step_problems("determine_responsibility", "resolved", level=1, values=values, reported=False) == []


@pytest.mark.parametrize(
    ("level", "reported", "refused"),
    [(1, False, False), (2, False, True), (3, False, True), (2, True, False), (3, True, False)],
)
def test_levels_2_and_3_close_only_after_the_written_report(level, reported, refused):
    problems = rules.step_problems("close", "explained", level=level, values={}, reported=reported)
    assert bool(problems) is refused


def test_an_unknown_step_is_refused():
    assert rules.step_problems("jump", "filed", level=1, values={}, reported=False) == [
        rules.Problem("step", "invalid_choice")
    ]


# --- CMP-6: analysis -------------------------------------------------------------------------------


def test_the_analysis_counts_by_cause_channel_level_and_team_largest_first():
    facts = [
        rules.ComplaintFact("attitude", "phone", 1, "一组", True, True),
        rules.ComplaintFact("attitude", "phone", 2, "一组", True, False),
        rules.ComplaintFact("waiting", "letter", 1, "二组", False, None),
        rules.ComplaintFact("", "media", 3, "二组", None, None),
    ]
    result = rules.analyse(facts)
    assert (result.total, result.valid, result.invalid, result.undecided) == (4, 2, 1, 1)
    assert result.on_time_rate == 50.0
    assert result.by_cause == [("attitude", 2), ("", 1), ("waiting", 1)]
    assert result.by_channel == [("phone", 2), ("letter", 1), ("media", 1)]
    assert result.by_level == [(1, 2), (2, 1), (3, 1)]
    assert result.by_team == [("一组", 2), ("二组", 2)]


def test_the_analysis_of_nothing_is_empty_without_a_rate():
    result = rules.analyse([])
    assert result.total == 0 and result.on_time_rate is None and result.by_cause == []
