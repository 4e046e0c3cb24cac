"""Pure parts of the CTI layer (CT-1, CT-6): which call states allow an event, queue position,
average handle time and the body hash that tells a repeated event from a reused id."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from banzu.contact import cti, rules
from banzu.contact.models import Contact
from banzu.contact.tests.conftest import T0

S = Contact.Status
STATES = list(S.values)

# Written out independently of cti.CALL_EVENTS: (event, status) pairs that are allowed.
ALLOWED = {
    ("ringing", S.OFFERED),
    ("answered", S.OFFERED),
    ("held", S.CONNECTED),
    ("retrieved", S.ON_HOLD),
    *((kind, status) for kind in ("transferred", "conferenced", "consulted") for status in (S.CONNECTED, S.ON_HOLD)),
    *(("ended", status) for status in (S.QUEUED, S.OFFERED, S.CONNECTED, S.ON_HOLD)),
    *(("recording_available", status) for status in (S.CONNECTED, S.ON_HOLD, S.ACW, S.ENDED)),
    ("far_end_answered", S.OFFERED),
    ("dial_failed", S.OFFERED),
    ("courtesy_message", S.QUEUED),
    ("courtesy_message", S.OFFERED),
}


@pytest.mark.parametrize("status", STATES)
@pytest.mark.parametrize("kind", [*cti.CALL_EVENTS, "agent_login", "unknown"])
def test_an_event_is_allowed_exactly_in_its_states(kind, status):
    assert cti.event_allowed(kind, status) is ((kind, status) in ALLOWED)


def test_nothing_follows_the_end_of_a_call_but_its_recording():
    for status in (S.ENDED, S.ABANDONED, S.CALLBACK_REQUESTED):
        allowed = {kind for kind in cti.CALL_EVENTS if cti.event_allowed(kind, status)}
        assert allowed <= {"recording_available"}


def test_every_event_type_of_the_contract_is_known():
    assert set(cti.EVENT_TYPES) == {
        "offered",
        "ringing",
        "answered",
        "held",
        "retrieved",
        "transferred",
        "conferenced",
        "consulted",
        "ended",
        "recording_available",
        "dialed",
        "far_end_answered",
        "dial_failed",
        "courtesy_message",
        "agent_login",
        "agent_logout",
        "agent_ready",
        "agent_away",
    }


def _queue(strategy=rules.Strategy.LONGEST_IDLE):
    return rules.QueuePolicy(
        queue_id=1,
        channel_id=1,
        capacity=1,
        priority=0,
        strategy=strategy,
        required_skills={},
        overflow_queue_id=None,
        overflow_after_seconds=None,
        round_robin_after=None,
    )


def test_the_position_follows_routing_order():
    waiting = [
        rules.WaitingContact(10, 1, T0 + timedelta(seconds=30), 0, 0),
        rules.WaitingContact(11, 1, T0, 0, 0),
        rules.WaitingContact(12, 1, T0 + timedelta(seconds=60), 5, 0),  # higher priority jumps ahead
        rules.WaitingContact(13, 1, T0 + timedelta(seconds=90), 0, 3),  # VIP counts only in VIP-first queues
    ]
    assert [rules.queue_position(pk, waiting, _queue()) for pk in (12, 11, 10, 13)] == [1, 2, 3, 4]
    vip_first = _queue(rules.Strategy.CUSTOMER_PRIORITY)
    assert [rules.queue_position(pk, waiting, vip_first) for pk in (12, 13, 11, 10)] == [1, 2, 3, 4]
    assert rules.queue_position(99, waiting, _queue()) is None


@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=40, unique=True))
def test_positions_are_one_to_n_without_gaps(offsets):
    waiting = [rules.WaitingContact(n, 1, T0 + timedelta(seconds=s), 0, 0) for n, s in enumerate(offsets)]
    positions = sorted(rules.queue_position(item.contact_id, waiting, _queue()) for item in waiting)
    assert positions == list(range(1, len(waiting) + 1))
    earliest = min(waiting, key=lambda item: item.queued_at)
    assert rules.queue_position(earliest.contact_id, waiting, _queue()) == 1


def test_the_average_handle_time_is_talk_hold_and_after_call_work():
    assert cti.average_handle_seconds([(60, 10, 20), (120, 0, 30)], default=180) == 120
    assert cti.average_handle_seconds([], default=180) == 180


@given(st.lists(st.tuples(*[st.integers(min_value=0, max_value=5000)] * 3), min_size=1, max_size=30))
def test_the_average_handle_time_lies_within_the_samples(samples):
    totals = [sum(sample) for sample in samples]
    assert min(totals) - 1e-9 <= cti.average_handle_seconds(samples, default=1) <= max(totals) + 1e-9


def test_the_body_hash_ignores_key_order_but_not_values():
    a = {"event_id": "e1", "type": "held", "call_id": "c1"}
    b = {"call_id": "c1", "type": "held", "event_id": "e1"}
    assert cti.body_digest(a) == cti.body_digest(b)
    assert cti.body_digest(a) != cti.body_digest({**a, "call_id": "c2"})
    assert cti.body_digest({"ivr_path": ["1", "2"]}) != cti.body_digest({"ivr_path": ["2", "1"]})


def test_tokens_are_hashed_and_never_equal_their_hash():
    assert cti.hash_token("bzsw_abc") == cti.hash_token("bzsw_abc")
    assert cti.hash_token("bzsw_abc") != cti.hash_token("bzsw_abd")
    assert len(cti.hash_token("bzsw_abc")) == 64
