"""Pure rules of agent states (CT-9), opening hours (CT-5) and contact durations (CT-15)."""

from __future__ import annotations

import itertools
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from banzu.contact.models import AgentSession, Queue
from banzu.contact.rules import (
    TRANSITIONS,
    AgentEvent,
    AgentState,
    IllegalTransition,
    OpeningHours,
    Strategy,
    acw_overdue,
    can,
    contact_durations,
    next_state,
    queue_is_open,
)

S, E = AgentState, AgentEvent
T0 = datetime(2025, 3, 14, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Friday


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


LEGAL = [
    (S.LOGGED_OUT, E.LOGIN, S.READY),
    (S.READY, E.AWAY, S.AWAY),
    (S.READY, E.LOGOUT, S.LOGGED_OUT),
    (S.READY, E.OFFER, S.RINGING),
    (S.RINGING, E.ANSWER, S.BUSY),
    (S.RINGING, E.OFFER_EXPIRED, S.AWAY),
    (S.RINGING, E.OFFER_WITHDRAWN, S.READY),
    (S.BUSY, E.OFFER, S.BUSY),
    (S.BUSY, E.ANSWER, S.BUSY),
    (S.BUSY, E.OFFER_EXPIRED, S.BUSY),
    (S.BUSY, E.OFFER_WITHDRAWN, S.BUSY),
    (S.BUSY, E.HOLD, S.HOLD),
    (S.BUSY, E.HANG_UP, S.ACW),
    (S.HOLD, E.RETRIEVE, S.BUSY),
    (S.HOLD, E.HANG_UP, S.ACW),
    (S.ACW, E.FINISH_ACW, S.READY),
    (S.AWAY, E.READY, S.READY),
    (S.AWAY, E.AWAY, S.AWAY),
    (S.AWAY, E.LOGOUT, S.LOGGED_OUT),
    (S.READY, E.DIAL, S.RINGING),
    (S.RINGING, E.DIAL_FAILED, S.READY),
    (S.READY, E.JOIN, S.BUSY),
    (S.BUSY, E.LEAVE, S.READY),
]


@pytest.mark.parametrize(("current", "event", "expected"), LEGAL)
def test_a_legal_event_moves_the_agent_to_the_expected_state(current, event, expected):
    assert next_state(current, event) == expected
    assert can(current, event)


ILLEGAL = [
    (state, event)
    for state, event in itertools.product(AgentState, AgentEvent)
    if (state, event) not in {(s, e) for s, e, _ in LEGAL}
]


@pytest.mark.parametrize(("current", "event"), ILLEGAL)
def test_every_other_event_is_refused_with_a_clear_error(current, event):
    with pytest.raises(IllegalTransition) as caught:
        next_state(current, event)
    assert caught.value.current == current and caught.value.event == event
    assert str(current) in str(caught.value) and str(event) in str(caught.value)
    assert not can(current, event)


def test_the_table_holds_exactly_the_listed_transitions():
    assert {(s, e): n for s, e, n in LEGAL} == dict(TRANSITIONS)


def test_a_busy_agent_cannot_log_out_and_a_ringing_agent_cannot_go_away():
    with pytest.raises(IllegalTransition):
        next_state("busy", "logout")
    with pytest.raises(IllegalTransition):
        next_state("ringing", "away")


def test_the_model_choices_hold_the_same_values_as_the_rules():
    assert set(AgentSession.State.values) == {s.value for s in AgentState}
    assert set(Queue.Strategy.values) == {s.value for s in Strategy}


def test_after_call_work_is_overdue_from_the_limit_on():
    assert not acw_overdue(at(0), at(59), 60)
    assert acw_overdue(at(0), at(60), 60)


# --- opening hours ---------------------------------------------------------------------------------------

WEEKDAYS_9_TO_18 = [OpeningHours(day, time(9), time(18)) for day in range(5)]


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2025, 3, 14, 9, 0), True),  # Friday, at opening
        (datetime(2025, 3, 14, 17, 59), True),
        (datetime(2025, 3, 14, 18, 0), False),  # closing is exclusive
        (datetime(2025, 3, 14, 8, 59), False),
        (datetime(2025, 3, 15, 10, 0), False),  # Saturday
    ],
)
def test_a_queue_is_open_within_its_weekly_hours(moment, expected):
    local = moment.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    assert queue_is_open(local, WEEKDAYS_9_TO_18, closed_on_non_working_days=False, is_working_day=True) is expected


def test_a_queue_without_hours_is_always_open():
    assert queue_is_open(T0, [], closed_on_non_working_days=False, is_working_day=False)


def test_a_queue_closed_on_non_working_days_is_closed_on_a_holiday_within_its_hours():
    assert not queue_is_open(T0, WEEKDAYS_9_TO_18, closed_on_non_working_days=True, is_working_day=False)
    assert not queue_is_open(T0, [], closed_on_non_working_days=True, is_working_day=False)
    assert queue_is_open(T0, WEEKDAYS_9_TO_18, closed_on_non_working_days=False, is_working_day=False)


def test_a_queue_follows_its_weekly_hours_when_the_calendar_does_not_cover_the_day():
    assert queue_is_open(T0, WEEKDAYS_9_TO_18, closed_on_non_working_days=True, is_working_day=None)


# --- durations -------------------------------------------------------------------------------------------


def test_durations_of_an_answered_contact_split_wait_talk_hold_and_acw():
    d = contact_durations(queued_at=at(0), answered_at=at(12), ended_at=at(312), closed_at=at(342), hold_seconds=40)
    assert (d.wait, d.talk, d.acw) == (12, 260, 30)


def test_durations_of_an_abandoned_contact_count_the_wait_only():
    d = contact_durations(queued_at=at(0), answered_at=None, ended_at=at(45), closed_at=None, hold_seconds=0)
    assert (d.wait, d.talk, d.acw) == (45, 0, 0)


def test_durations_are_never_negative_when_clocks_disagree():
    d = contact_durations(queued_at=at(10), answered_at=at(9), ended_at=at(8), closed_at=at(7), hold_seconds=99)
    assert (d.wait, d.talk, d.acw) == (0, 0, 0)
