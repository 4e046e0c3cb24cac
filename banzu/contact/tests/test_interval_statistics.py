"""Interval statistics (CT-16): pure bucketing, maintenance through the services, and the proof that
rows maintained as contacts end equal a from-scratch recomputation over randomised histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from banzu.contact import rules, services, statistics
from banzu.contact.models import AgentInterval, Contact, QueueInterval
from banzu.contact.tests.conftest import T0, at
from banzu.core.errors import Conflict
from banzu.core.services import set_policy

SHANGHAI = ZoneInfo("Asia/Shanghai")
LENGTHS = [5, 10, 15, 20, 30, 45, 60, 90, 120]


# --- rules: bucketing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", LENGTHS)
def test_every_minute_of_a_day_falls_in_the_interval_that_starts_at_or_before_it(minutes):
    midnight = datetime(2025, 3, 14, tzinfo=SHANGHAI)
    for offset in range(0, 24 * 60):
        moment = midnight + timedelta(minutes=offset, seconds=37)
        start = rules.interval_start(moment, minutes, SHANGHAI)
        assert start <= moment < start + timedelta(minutes=minutes)
        assert (start - midnight).total_seconds() % (minutes * 60) == 0


def test_intervals_are_counted_from_local_midnight_not_from_utc():
    moment = datetime(2025, 3, 14, 1, 10, tzinfo=UTC)  # 09:10 in Shanghai
    assert rules.interval_start(moment, 45, SHANGHAI) == datetime(2025, 3, 14, 9, 0, tzinfo=SHANGHAI)
    assert rules.interval_start(moment, 45, UTC) == datetime(2025, 3, 14, 0, 45, tzinfo=UTC)


def test_a_length_that_does_not_divide_the_day_leaves_a_short_last_interval():
    late = datetime(2025, 3, 14, 23, 50, tzinfo=SHANGHAI)
    assert rules.interval_start(late, 45, SHANGHAI) == datetime(2025, 3, 14, 23, 15, tzinfo=SHANGHAI)
    pieces = rules.split_span(late, late + timedelta(minutes=20), 45, SHANGHAI)
    assert pieces == [
        (datetime(2025, 3, 14, 23, 15, tzinfo=SHANGHAI), 600),
        (datetime(2025, 3, 15, 0, 0, tzinfo=SHANGHAI), 600),
    ]


def test_a_span_is_cut_at_interval_boundaries():
    start = datetime(2025, 3, 14, 10, 10, tzinfo=SHANGHAI)
    pieces = rules.split_span(start, start + timedelta(minutes=40), 15, SHANGHAI)
    assert [(p.strftime("%H:%M"), s) for p, s in pieces] == [
        ("10:00", 300),
        ("10:15", 900),
        ("10:30", 900),
        ("10:45", 300),
    ]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 1, 1), timezones=st.just(SHANGHAI)),
    seconds=st.integers(min_value=0, max_value=3 * 86400),
    minutes=st.sampled_from(LENGTHS),
)
def test_the_pieces_of_a_span_add_up_and_each_stays_in_its_interval(start, seconds, minutes):
    end = start + timedelta(seconds=seconds)
    pieces = rules.split_span(start, end, minutes, SHANGHAI)
    assert abs(sum(s for _p, s in pieces) - seconds) <= len(pieces)
    starts = [p for p, _s in pieces]
    assert starts == sorted(set(starts))
    for piece_start, piece_seconds in pieces:
        assert 0 < piece_seconds <= minutes * 60
        assert rules.interval_start(piece_start, minutes, SHANGHAI) == piece_start


FACTS = rules.ContactFacts(
    queue_id=7,
    agent_id=3,
    queued_at=datetime(2025, 3, 14, 10, 14, 50, tzinfo=SHANGHAI),
    answered_at=datetime(2025, 3, 14, 10, 15, 10, tzinfo=SHANGHAI),
    wait=20,
    talk=100,
    hold=15,
    acw=30,
    threshold_seconds=20,
)


def _by_row(increments):
    return {(i.scope, i.owner_id, i.minutes, i.start.strftime("%H:%M")): dict(i.counts) for i in increments}


def test_an_ended_contact_counts_for_its_queue_when_queued_and_its_agent_when_answered():
    rows = _by_row(rules.contact_increments("ended", FACTS, (15, 30), SHANGHAI))
    queue = {"offered": 1, "answered": 1, "answered_within_threshold": 1, "wait_seconds": 20}
    queue |= {"talk_seconds": 100, "hold_seconds": 15}
    agent = {"answered": 1, "talk_seconds": 100, "hold_seconds": 15}
    assert rows == {
        ("queue", 7, 15, "10:00"): queue,
        ("agent", 3, 15, "10:15"): agent,
        ("queue", 7, 30, "10:00"): queue,
        ("agent", 3, 30, "10:00"): agent,
    }


@pytest.mark.parametrize(("wait", "within"), [(19, 1), (20, 1), (21, 0)])
def test_answered_within_the_threshold_includes_the_threshold_itself(wait, within):
    facts = rules.ContactFacts(**{**FACTS.__dict__, "wait": wait})
    (queue, _agent) = rules.contact_increments("ended", facts, (15,), SHANGHAI)
    assert queue.counts["answered_within_threshold"] == within


def test_an_abandoned_contact_counts_only_for_its_queue():
    facts = rules.ContactFacts(**{**FACTS.__dict__, "agent_id": None, "answered_at": None, "wait": 42})
    rows = _by_row(rules.contact_increments("abandoned", facts, (15,), SHANGHAI))
    assert rows == {("queue", 7, 15, "10:00"): {"offered": 1, "abandoned": 1, "abandoned_wait_seconds": 42}}


def test_a_closed_contact_adds_after_call_work_for_queue_and_agent():
    rows = _by_row(rules.contact_increments("closed", FACTS, (30,), SHANGHAI))
    assert rows == {
        ("queue", 7, 30, "10:00"): {"handled": 1, "acw_seconds": 30},
        ("agent", 3, 30, "10:00"): {"handled": 1, "acw_seconds": 30},
    }


@pytest.mark.parametrize("state", ["ready", "ringing", "busy", "hold", "acw", "away"])
def test_time_in_each_working_state_is_counted_in_its_own_field(state):
    since = datetime(2025, 3, 14, 10, 0, tzinfo=SHANGHAI)
    (inc,) = rules.state_increments(5, state, since, since + timedelta(seconds=90), (15,), SHANGHAI)
    assert inc.counts == {rules.STATE_FIELDS[state]: 90}
    assert len(set(rules.STATE_FIELDS.values())) == len(rules.STATE_FIELDS)


def test_logged_out_time_is_not_counted():
    since = datetime(2025, 3, 14, 10, 0, tzinfo=SHANGHAI)
    assert rules.state_increments(5, "logged_out", since, since + timedelta(hours=1), (15,), SHANGHAI) == []


@pytest.mark.parametrize(("short", "long", "lengths"), [(15, 30, (15, 30)), (30, 15, (15, 30)), (15, 15, (15,))])
def test_interval_lengths_are_kept_once_each(short, long, lengths):
    assert rules.interval_lengths(short, long) == lengths


@pytest.mark.parametrize(("within", "offered", "level"), [(8, 10, 80.0), (0, 0, None), (3, 3, 100.0)])
def test_service_level_is_the_share_answered_within_the_threshold(within, offered, level):
    assert rules.service_level(within, offered) == level


# --- maintenance through the services -------------------------------------------------------------------


def _queue_row(floor, minutes, hhmm):
    start = T0.replace(hour=int(hhmm[:2]), minute=int(hhmm[3:]))
    return QueueInterval.objects.get(queue=floor.queue, minutes=minutes, start=start)


def _agent_row(person, minutes, hhmm):
    start = T0.replace(hour=int(hhmm[:2]), minute=int(hhmm[3:]))
    return AgentInterval.objects.get(agent=person, minutes=minutes, start=start)


@pytest.mark.django_db
def test_a_handled_call_updates_queue_and_agent_rows_as_it_ends(floor):
    agent = floor.person("agent")
    floor.login("agent", 0)
    contact = floor.call(seconds=10)
    floor.route(12)
    services.answer_contact(contact_id=contact.pk, now=at(25))
    services.hold_contact(contact_id=contact.pk, now=at(100))
    services.retrieve_contact(contact_id=contact.pk, now=at(140))
    assert not QueueInterval.objects.exists()  # nothing counted before the end
    services.end_contact(contact_id=contact.pk, now=at(1000))  # 10:16:40, the next 15-minute interval
    row = _queue_row(floor, 15, "10:00")
    assert (row.offered, row.answered, row.abandoned, row.answered_within_threshold) == (1, 1, 0, 1)
    assert (row.wait_seconds, row.talk_seconds, row.hold_seconds, row.acw_seconds) == (15, 935, 40, 0)
    services.finish_acw(contact_id=contact.pk, now=at(1030))
    row.refresh_from_db()
    assert (row.handled, row.acw_seconds) == (1, 30)
    agent_row = _agent_row(agent, 30, "10:00")
    assert (agent_row.answered, agent_row.handled, agent_row.talk_seconds, agent_row.acw_seconds) == (1, 1, 935, 30)
    assert agent_row.ringing_seconds == 13 and agent_row.hold_state_seconds == 40
    assert agent_row.busy_seconds == 75 + 860 and agent_row.acw_state_seconds == 30
    first, second = _agent_row(agent, 15, "10:00"), _agent_row(agent, 15, "10:15")
    assert first.busy_seconds + second.busy_seconds == agent_row.busy_seconds
    assert second.busy_seconds == 100 and second.acw_state_seconds == 30


@pytest.mark.django_db
def test_a_repeated_end_event_is_not_counted_twice(floor):
    floor.login("agent", 0)
    contact = floor.call(seconds=0)
    floor.route(1)
    services.answer_contact(contact_id=contact.pk, now=at(2))
    services.end_contact(contact_id=contact.pk, now=at(60))
    services.end_contact(contact_id=contact.pk, now=at(61))
    services.finish_acw(contact_id=contact.pk, now=at(70))
    services.finish_acw(contact_id=contact.pk, now=at(71))
    row = _queue_row(floor, 15, "10:00")
    assert (row.offered, row.answered, row.handled) == (1, 1, 1)


@pytest.mark.django_db
def test_an_abandoned_call_is_offered_and_abandoned_with_its_wait_and_too_slow_answers_miss_the_threshold(floor):
    set_policy_threshold = floor.queue
    set_policy_threshold.service_level_seconds = 10
    set_policy_threshold.save()
    gone = floor.call(seconds=0)
    services.abandon_contact(contact_id=gone.pk, now=at(33))
    floor.login("agent", 0)
    slow = floor.call(seconds=40)
    floor.route(50)
    services.answer_contact(contact_id=slow.pk, now=at(55))
    services.end_contact(contact_id=slow.pk, now=at(90))
    row = _queue_row(floor, 30, "10:00")
    assert (row.offered, row.answered, row.abandoned, row.answered_within_threshold) == (2, 1, 1, 0)
    assert (row.abandoned_wait_seconds, row.wait_seconds) == (33, 15)


@pytest.mark.django_db
def test_a_failed_end_writes_no_statistics(floor):
    contact = floor.call(seconds=0)  # still queued: it cannot end as a conversation
    with pytest.raises(Conflict):
        services.end_contact(contact_id=contact.pk, now=at(20))
    assert not QueueInterval.objects.exists() and not AgentInterval.objects.exists()


@pytest.mark.django_db
def test_interval_lengths_follow_the_centre_policies(floor, org):
    set_policy(
        user=org.people["admin"].user, centre=org.centre, key="contact.short_interval_minutes", value=10, reason="试点"
    )
    contact = floor.call(seconds=0)
    services.abandon_contact(contact_id=contact.pk, now=at(5))
    assert set(QueueInterval.objects.values_list("minutes", flat=True)) == {10, 30}


@pytest.mark.django_db
def test_rebuilding_replaces_rows_by_the_recomputation(floor):
    contact = floor.call(seconds=0)
    services.abandon_contact(contact_id=contact.pk, now=at(5))
    QueueInterval.objects.update(offered=99)
    assert statistics.rebuild_interval_statistics(centre=floor.centre) == 2
    assert statistics.maintained(floor.centre) == statistics.recompute(floor.centre)
    assert set(QueueInterval.objects.values_list("offered", flat=True)) == {1}


# --- maintained = recomputed, over random histories -----------------------------------------------------

PEOPLE = ("agent", "teammate", "other_agent")
# Weighted so that most histories take calls all the way through answer, end and after-call work.
OPERATIONS = (
    *("call", "answer", "end", "finish") * 3,
    *("route", "hold", "retrieve", "abandon", "away", "ready", "login"),
)
# Which contacts each operation applies to: a random step picks one of them, so most steps do something.
APPLIES_TO = {
    "answer": ["offered"],
    "hold": ["connected"],
    "retrieve": ["on_hold"],
    "end": ["connected", "on_hold"],
    "finish": ["acw"],
    "abandon": ["queued", "offered"],
}
ACTIONS = {
    "answer": services.answer_contact,
    "hold": services.hold_contact,
    "retrieve": services.retrieve_contact,
    "end": services.end_contact,
    "finish": services.finish_acw,
    "abandon": services.abandon_contact,
}


def _run(floor, steps) -> None:
    moment = 0
    for key in PEOPLE:
        floor.login(key, 0)
    for gap, operation, pick in steps:
        moment += gap
        now = at(moment)
        person = floor.person(PEOPLE[pick % len(PEOPLE)])
        try:
            if operation == "call":
                floor.call(seconds=moment)
                floor.route(moment)
            elif operation == "route":
                floor.route(moment)
            elif operation in ("login", "away", "ready"):
                reason = "break" if operation == "away" else ""
                services.set_agent_state(agent=person, action=operation, now=now, away_reason=reason)
            else:
                ids = list(
                    Contact.objects.filter(status__in=APPLIES_TO[operation]).order_by("pk").values_list("pk", flat=True)
                )
                if ids:
                    ACTIONS[operation](contact_id=ids[pick % len(ids)], now=now)
        except Conflict:
            pass  # a step the state does not allow: refused, nothing written


@pytest.mark.django_db
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    steps=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=700),
            st.sampled_from(OPERATIONS),
            st.integers(min_value=0, max_value=11),
        ),
        min_size=10,
        max_size=50,
    )
)
def test_rows_maintained_as_contacts_end_equal_a_recomputation_from_scratch(floor, steps):
    with transaction.atomic():
        _run(floor, steps)
        kept = statistics.maintained(floor.centre)
        assert kept == statistics.recompute(floor.centre)
        ended = Contact.objects.filter(status__in=["abandoned", "acw", "ended"]).count()
        offered = sum(c.get("offered", 0) for (scope, _o, m, _s), c in kept.items() if scope == "queue" and m == 15)
        assert offered == ended
        closed = Contact.objects.filter(status="ended").count()
        handled = sum(c.get("handled", 0) for (scope, _o, m, _s), c in kept.items() if scope == "agent" and m == 30)
        assert handled == closed
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_a_state_held_for_days_is_counted_in_every_interval_it_spans(floor):
    agent = floor.person("agent")
    floor.login("agent", 0)
    days = 3  # hundreds of 15- and 30-minute rows: more than one statement's worth of parameters
    services.set_agent_state(agent=agent, action="logout", now=at(days * 86400))
    rows = AgentInterval.objects.filter(agent=agent)
    assert rows.filter(minutes=15).count() == days * 96 and rows.filter(minutes=30).count() == days * 48
    assert {row.ready_seconds for row in rows.filter(minutes=15)} == {900}
    assert statistics.maintained(floor.centre) == statistics.recompute(floor.centre)


@pytest.mark.django_db
def test_a_second_count_adds_to_the_rows_the_first_created(floor):
    for offset in (0, 60):
        contact = floor.call(seconds=offset)
        services.abandon_contact(contact_id=contact.pk, now=at(offset + 7))
    row = _queue_row(floor, 15, "10:00")
    assert (row.offered, row.abandoned, row.abandoned_wait_seconds) == (2, 2, 14)
