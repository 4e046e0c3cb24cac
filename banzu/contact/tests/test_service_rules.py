"""Service-rule exceptions (CT-12): the pure rules exhaustively, detection at a contact's end and by
the idempotent sweep, and the Huey task."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import product

import pytest

from banzu.contact import compliance, ivr, rules, services, tasks
from banzu.contact.models import ServiceException
from banzu.contact.tests.conftest import at
from banzu.core.errors import Conflict
from banzu.core.services import set_policy

K = rules.ExceptionKind
LIMITS = rules.ServiceLimits(hold=30, courtesy=10, unattended=60, common_question=300)
T = datetime(2025, 3, 14, 10, 0)


def s(seconds: float) -> datetime:
    return T + timedelta(seconds=seconds)


# --- rules -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hold", "expected"),
    [(0, {}), (30, {}), (31, {K.LONG_HOLD: 31}), (60, {K.LONG_HOLD: 60}), (61, {K.LONG_HOLD: 61, K.UNATTENDED: 61})],
)
def test_a_hold_over_its_limit_and_a_call_left_over_a_minute_are_exceptions(hold, expected):
    # A courtesy message every 5 seconds keeps the courtesy rule out of this table.
    marks = [s(t) for t in range(0, hold + 1, 5)]
    timeline = rules.ContactTimeline(holds=[(s(0), s(hold))], courtesy_at=marks)
    assert rules.service_exceptions(timeline, LIMITS) == expected


def test_the_hold_rule_looks_at_each_hold_not_the_sum():
    holds = [(s(0), s(20)), (s(100), s(125))]
    marks = [s(t) for t in (0, 5, 10, 15, 100, 105, 110, 115, 120)]
    assert rules.service_exceptions(rules.ContactTimeline(holds=holds, courtesy_at=marks), LIMITS) == {}


@pytest.mark.parametrize(
    ("wait", "marks", "silence"),
    [
        (10, [], None),
        (11, [], 11),
        (25, [8], 17),
        (25, [8, 17], None),
        (25, [30], 25),  # a message after the wait does not count
        (40, [10, 20, 30], None),
    ],
)
def test_a_wait_needs_a_courtesy_message_at_least_every_limit(wait, marks, silence):
    timeline = rules.ContactTimeline(waits=[(s(0), s(wait))], courtesy_at=[s(m) for m in marks])
    found = rules.service_exceptions(timeline, LIMITS)
    assert found.get(K.NO_COURTESY_MESSAGE) == silence


@pytest.mark.parametrize(("common", "handling"), list(product([True, False], [0, 300, 301, 900])))
def test_only_a_common_question_handled_over_its_limit_is_an_exception(common, handling):
    found = rules.service_exceptions(rules.ContactTimeline(handling=handling, common_question=common), LIMITS)
    assert (K.LONG_COMMON_QUESTION in found) == (common and handling > 300)


def test_a_clean_contact_breaks_no_rule():
    timeline = rules.ContactTimeline(waits=[(s(0), s(8))], holds=[(s(60), s(70))], handling=200, common_question=True)
    assert rules.service_exceptions(timeline, LIMITS) == {}


@pytest.mark.parametrize(
    ("periods", "marks", "longest"),
    [([], [], 0), ([(0, 5)], [], 5), ([(0, 20)], [10], 10), ([(0, 20), (50, 53)], [1, 19], 18)],
)
def test_longest_silence(periods, marks, longest):
    assert rules.longest_silence([(s(a), s(b)) for a, b in periods], [s(m) for m in marks]) == longest


# --- at the end of a contact and by the sweep -----------------------------------------------------------

pytestmark_db = pytest.mark.django_db


def _answered(floor, *, queued=0, answered=5):
    floor.login("agent", 0)
    contact = floor.call(seconds=queued)
    floor.route(queued + 1)
    services.answer_contact(contact_id=contact.pk, now=at(answered))
    return contact


def _kinds(contact):
    return dict(ServiceException.objects.filter(contact=contact).values_list("kind", "seconds"))


@pytest.mark.django_db
def test_a_long_hold_is_recorded_with_contact_agent_and_limit_when_the_call_ends(floor):
    contact = _answered(floor)
    compliance.record_courtesy_message(contact_id=contact.pk, now=at(3))
    services.hold_contact(contact_id=contact.pk, now=at(20))
    for t in range(25, 60, 8):
        compliance.record_courtesy_message(contact_id=contact.pk, now=at(t))
    services.retrieve_contact(contact_id=contact.pk, now=at(65))
    services.end_contact(contact_id=contact.pk, now=at(100))
    row = ServiceException.objects.get(contact=contact)
    assert (row.kind, row.seconds, row.limit_seconds) == ("long_hold", 45, 30)
    assert row.agent == floor.person("agent") and row.centre == floor.centre and row.detected_at == at(100)


@pytest.mark.django_db
def test_a_customer_waiting_without_a_courtesy_message_is_recorded_when_they_give_up(floor):
    contact = floor.call(seconds=0)
    services.abandon_contact(contact_id=contact.pk, now=at(12))
    assert _kinds(contact) == {"no_courtesy_message": 12}
    assert ServiceException.objects.get(contact=contact).agent is None


@pytest.mark.django_db
def test_the_limits_are_the_centre_policies(floor, org):
    set_policy(
        user=org.people["admin"].user,
        centre=org.centre,
        key="contact.courtesy_message_seconds",
        value=20,
        reason="试点",
    )
    contact = floor.call(seconds=0)
    services.abandon_contact(contact_id=contact.pk, now=at(15))
    assert _kinds(contact) == {}


@pytest.mark.django_db
def test_the_sweep_finds_a_hold_still_going_on_and_is_idempotent(floor):
    contact = _answered(floor, answered=2)
    services.hold_contact(contact_id=contact.pk, now=at(10))
    assert compliance.sweep_service_rules(centre=floor.centre, now=at(18)) == 0
    found = compliance.sweep_service_rules(centre=floor.centre, now=at(75))
    assert found == 3  # hold over 30 s, over a minute, and no courtesy message for 65 s
    assert _kinds(contact) == {"long_hold": 65, "unattended": 65, "no_courtesy_message": 65}
    compliance.sweep_service_rules(centre=floor.centre, now=at(90))
    services.end_contact(contact_id=contact.pk, now=at(95))
    assert ServiceException.objects.filter(contact=contact).count() == 3
    assert _kinds(contact)["long_hold"] == 65  # the first finding stands


@pytest.mark.django_db
def test_a_common_question_chosen_in_the_ivr_is_limited_to_its_handling_time(floor, org):
    admin = org.people["admin"].user
    root = ivr.create_node(user=admin, parent_id=None, values={"label": "主菜单", "action": "menu"}, now=at(0))
    ivr.create_node(
        user=admin,
        parent_id=root.pk,
        values={"key": "1", "label": "发票", "action": "queue", "queue": floor.queue, "common_question": True},
        now=at(0),
    )
    floor.login("agent", 0)
    contact = floor.call(seconds=0, ivr_path=["1"])
    compliance.record_courtesy_message(contact_id=contact.pk, now=at(0))
    floor.route(1)
    services.answer_contact(contact_id=contact.pk, now=at(2))
    assert compliance.sweep_service_rules(centre=floor.centre, now=at(200)) == 0
    assert compliance.sweep_service_rules(centre=floor.centre, now=at(400)) == 1
    assert _kinds(contact) == {"long_common_question": 398}


@pytest.mark.django_db
def test_a_courtesy_message_for_an_ended_contact_is_refused(floor):
    contact = floor.call(seconds=0)
    services.abandon_contact(contact_id=contact.pk, now=at(5))
    with pytest.raises(Conflict):
        compliance.record_courtesy_message(contact_id=contact.pk, now=at(6))


@pytest.mark.django_db
def test_the_periodic_task_sweeps_every_centre_with_live_contacts(floor):
    contact = floor.call(seconds=-600)  # waiting for ten minutes without a word
    assert tasks.sweep_service_rules.call_local() == 1
    assert tasks.sweep_service_rules.call_local() == 0
    assert _kinds(contact)["no_courtesy_message"] >= 600
