"""Console calls through their transactions (CT-10): outbound dial, internal call, consult and
three-party legs that make the other agent busy, and hanging up that frees everyone."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from banzu.contact import console, rules, services
from banzu.contact.models import AgentSession, AgentStateChange, CallParty, Contact, ContactEvent
from banzu.contact.tests.conftest import at
from banzu.contact.tests.factories import CustomerFactory
from banzu.core.errors import Conflict

pytestmark = pytest.mark.django_db

State, Status, Kind = AgentSession.State, Contact.Status, ContactEvent.Kind


def state(employee) -> str:
    return AgentSession.objects.get(employee=employee).state


def kinds(contact) -> list[str]:
    return list(ContactEvent.objects.filter(contact=contact).values_list("kind", flat=True))


def connected_call(floor, key="agent", seconds=0):
    """An inbound call answered by `key`."""
    contact = floor.call(seconds)
    floor.route(seconds)
    contact.refresh_from_db()
    assert contact.agent == floor.person(key)
    return services.answer_contact(contact_id=contact.pk, now=at(seconds + 1))


# --- pure: numbers dialled out ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13912345678", "13912345678"),
        (" 139-1234 5678 ", "13912345678"),
        ("(027) 8765-4321", "02787654321"),
        ("+86 139 1234 5678", "+8613912345678"),
        ("110", "110"),
        ("11", None),
        ("1" * 21, None),
        ("", None),
        ("+", None),
        ("139abc", None),
        ("１３９１２３４５６７８", None),  # full-width digits are not dialled
        ("++8613912345678", None),
        ("139*123", None),
    ],
)
def test_a_dialled_number_keeps_digits_and_a_leading_plus_within_the_limits(raw, expected):
    assert rules.dial_number(raw, 3, 20) == expected


# --- outbound dial ------------------------------------------------------------------------------------


def test_a_ready_agent_dials_out_and_the_call_lives_through_answer_end_and_wrap_up(floor):
    agent = floor.person("agent")
    customer = CustomerFactory(centre=floor.centre, phone="13912345678")
    floor.login("agent")
    contact = console.dial_out(agent=agent, number="139 1234 5678", now=at(10))
    assert contact.direction == Contact.Direction.OUTBOUND and contact.status == Status.OFFERED
    assert contact.customer == customer and contact.caller_number == "13912345678"
    assert state(agent) == State.RINGING
    console.answer_call(contact_id=contact.pk, now=at(15))
    assert state(agent) == State.BUSY
    console.end_call(contact_id=contact.pk, now=at(75))
    contact.refresh_from_db()
    assert contact.status == Status.ACW and contact.talk_seconds == 60
    services.finish_acw(contact_id=contact.pk, now=at(80))
    assert state(agent) == State.READY
    assert kinds(contact) == [Kind.DIALED, Kind.ANSWERED, Kind.ENDED, Kind.CLOSED]
    events = list(AgentStateChange.objects.filter(agent=agent, contact=contact).values_list("event", "to_state"))
    assert events == [("dial", "ringing"), ("answer", "busy"), ("hang_up", "acw"), ("finish_acw", "ready")]


def test_a_dial_not_answered_ends_the_contact_and_frees_the_agent(floor):
    agent = floor.person("agent")
    floor.login("agent")
    contact = console.dial_out(agent=agent, number="02787654321", now=at(10))
    console.dial_failed(contact_id=contact.pk, now=at(40), reason="busy")
    contact.refresh_from_db()
    assert contact.status == Status.ENDED and contact.answered_at is None
    assert state(agent) == State.READY
    assert AgentSession.objects.get(employee=agent).live_contacts == 0
    assert kinds(contact)[-1] == Kind.DIAL_FAILED
    # A repeat changes nothing; a routed call reaches the agent again.
    console.dial_failed(contact_id=contact.pk, now=at(41))
    assert kinds(contact).count(Kind.DIAL_FAILED) == 1


def test_hanging_up_a_call_still_ringing_out_cancels_it(floor):
    agent = floor.person("agent")
    floor.login("agent")
    contact = console.dial_out(agent=agent, number="02787654321", now=at(10))
    console.end_call(contact_id=contact.pk, now=at(12))
    contact.refresh_from_db()
    assert contact.status == Status.ENDED and state(agent) == State.READY


@pytest.mark.parametrize("action", ["logout", "away"])
def test_only_a_ready_agent_dials_out_and_the_refusal_names_the_state(floor, action):
    agent = floor.person("agent")
    floor.login("agent")
    if action == "away":
        services.set_agent_state(agent=agent, action="away", away_reason="meal", now=at(1))
        label = State.AWAY.label
    else:
        services.set_agent_state(agent=agent, action="logout", now=at(1))
        label = State.LOGGED_OUT.label
    with pytest.raises(Conflict) as caught:
        console.dial_out(agent=agent, number="13912345678", now=at(5))
    assert caught.value.code == "illegal_agent_transition" and str(label) in str(caught.value.message)
    assert not Contact.objects.filter(direction=Contact.Direction.OUTBOUND).exists()


def test_a_busy_agent_cannot_dial_out(floor):
    agent = floor.person("agent")
    floor.login("agent")
    connected_call(floor)
    with pytest.raises(Conflict):
        console.dial_out(agent=agent, number="13912345678", now=at(5))


def test_a_number_that_cannot_be_dialled_is_refused_on_its_field(floor):
    floor.login("agent")
    with pytest.raises(ValidationError) as caught:
        console.dial_out(agent=floor.person("agent"), number="call me", now=at(5))
    assert caught.value.error_dict["number"][0].code == "invalid_number"


def test_routing_does_not_withdraw_a_dial_ringing_out(floor):
    agent = floor.person("agent")
    floor.login("agent")
    contact = console.dial_out(agent=agent, number="13912345678", now=at(0))
    assert services.expire_offers(centre=floor.centre, now=at(600)) == []
    contact.refresh_from_db()
    assert contact.status == Status.OFFERED and state(agent) == State.RINGING


# --- internal call ------------------------------------------------------------------------------------


def test_an_internal_call_rings_both_agents_then_makes_both_busy_and_frees_the_callee_at_the_end(floor):
    agent, teammate = floor.person("agent"), floor.person("teammate")
    floor.login("agent")
    floor.login("teammate")
    contact = console.internal_call(agent=agent, callee_no=teammate.employee_no, now=at(10))
    assert contact.direction == Contact.Direction.INTERNAL and contact.agent == agent
    assert (state(agent), state(teammate)) == (State.RINGING, State.RINGING)
    assert CallParty.objects.get(contact=contact).agent == teammate
    console.answer_call(contact_id=contact.pk, now=at(12))
    assert (state(agent), state(teammate)) == (State.BUSY, State.BUSY)
    # While on the call, the callee is not offered anything.
    floor.call(13)
    assert floor.route(13) == []
    console.end_call(contact_id=contact.pk, now=at(40))
    assert (state(agent), state(teammate)) == (State.ACW, State.READY)
    assert not CallParty.objects.filter(ended_at__isnull=True).exists()
    assert len(floor.route(41)) == 1


def test_an_internal_call_not_answered_frees_both(floor):
    agent, teammate = floor.person("agent"), floor.person("teammate")
    floor.login("agent")
    floor.login("teammate")
    contact = console.internal_call(agent=agent, callee_no=teammate.employee_no, now=at(10))
    console.dial_failed(contact_id=contact.pk, now=at(30), reason="no_answer")
    assert (state(agent), state(teammate)) == (State.READY, State.READY)


@pytest.mark.parametrize(
    ("setup", "label"), [("logged_out", State.LOGGED_OUT.label), ("away", State.AWAY.label), ("busy", State.BUSY.label)]
)
def test_an_internal_call_to_a_colleague_who_is_not_ready_is_refused_naming_their_state(floor, setup, label):
    agent, teammate = floor.person("agent"), floor.person("teammate")
    floor.login("agent")
    if setup == "away":
        floor.login("teammate")
        services.set_agent_state(agent=teammate, action="away", away_reason="meal", now=at(1))
    elif setup == "busy":
        floor.login("teammate")
        services.set_agent_state(agent=agent, action="away", away_reason="meal", now=at(1))
        connected_call(floor, "teammate", seconds=2)
        services.set_agent_state(agent=agent, action="ready", now=at(4))
    with pytest.raises(Conflict) as caught:
        console.internal_call(agent=agent, callee_no=teammate.employee_no, now=at(10))
    assert caught.value.code == "agent_not_ready"
    assert str(label) in str(caught.value.message) and teammate.name in str(caught.value.message)
    assert state(agent) == State.READY
    assert not Contact.objects.filter(direction=Contact.Direction.INTERNAL).exists()


@pytest.mark.parametrize(
    ("number", "code"), [("agent", "self_call"), ("nobody", "unknown_agent"), ("", "unknown_agent")]
)
def test_an_internal_call_needs_a_colleague(floor, number, code):
    floor.login("agent")
    with pytest.raises(ValidationError) as caught:
        console.internal_call(agent=floor.person("agent"), callee_no=number, now=at(10))
    assert caught.value.error_dict["employee_no"][0].code == code


# --- consult and three-party call ---------------------------------------------------------------------


def with_colleague(floor, kind):
    """The agent's answered call, with the teammate joined at 5 s as `kind` (consulted, conferenced)."""
    teammate = floor.person("teammate")
    floor.login("agent")
    contact = connected_call(floor)
    floor.login("teammate", seconds=2)
    console.call_leg(contact_id=contact.pk, kind=kind, agent=teammate, now=at(5))
    return contact, teammate


@pytest.mark.parametrize("kind", [Kind.CONSULTED, Kind.CONFERENCED])
def test_a_consulted_or_conferenced_agent_is_busy_for_the_leg_and_ready_after_it(floor, kind):
    contact, teammate = with_colleague(floor, kind)
    assert state(teammate) == State.BUSY
    assert CallParty.objects.get(contact=contact, ended_at__isnull=True).role == kind
    console.call_leg(contact_id=contact.pk, kind=kind, agent=teammate, now=at(20), phase="end")
    assert state(teammate) == State.READY
    assert kinds(contact).count(kind) == 2
    assert state(floor.person("agent")) == State.BUSY


def test_hanging_up_a_three_party_call_frees_the_third_agent(floor):
    contact, teammate = with_colleague(floor, Kind.CONFERENCED)
    console.end_call(contact_id=contact.pk, now=at(30))
    assert state(teammate) == State.READY and state(floor.person("agent")) == State.ACW


def test_a_consulted_colleague_takes_the_call_transferred_to_them(floor):
    contact, teammate = with_colleague(floor, Kind.CONSULTED)
    old, new = console.transfer_call(contact_id=contact.pk, to_agent=teammate, now=at(20))
    assert (old.status, new.status, new.agent) == (Status.ACW, Status.OFFERED, teammate)
    assert not CallParty.objects.filter(ended_at__isnull=True).exists()
    assert state(teammate) == State.RINGING and state(floor.person("agent")) == State.ACW
    assert kinds(old)[-2:] == [Kind.LEFT, Kind.TRANSFERRED]
    assert services.answer_contact(contact_id=new.pk, now=at(22)).status == Status.CONNECTED


def test_a_call_transferred_to_a_queue_frees_the_agent_in_conference(floor):
    contact, teammate = with_colleague(floor, Kind.CONFERENCED)
    _old, queued = console.transfer_call(contact_id=contact.pk, to_queue=floor.queue, now=at(20))
    assert queued.status == Status.QUEUED
    assert state(teammate) == State.READY
    # The freed colleague is the one free agent: the transferred call goes to them.
    assert [(c.pk, c.agent_id) for c in floor.route(21)] == [(queued.pk, teammate.pk)]


def test_a_refused_transfer_leaves_the_colleague_on_the_call(floor):
    contact, teammate = with_colleague(floor, Kind.CONFERENCED)
    other = floor.person("other_agent")
    with pytest.raises(Conflict):
        console.transfer_call(contact_id=contact.pk, to_agent=other, now=at(20))  # not logged in
    contact.refresh_from_db()
    assert contact.status == Status.CONNECTED and state(teammate) == State.BUSY
    assert CallParty.objects.get(ended_at__isnull=True).agent == teammate


def test_a_consult_needs_a_ready_colleague_and_ending_one_not_on_the_call_is_refused(floor):
    teammate = floor.person("teammate")
    floor.login("agent")
    contact = connected_call(floor)
    with pytest.raises(Conflict) as caught:
        console.call_leg(contact_id=contact.pk, kind=Kind.CONSULTED, agent=teammate, now=at(5))
    assert caught.value.code == "agent_not_ready"
    floor.login("teammate", seconds=6)
    with pytest.raises(Conflict) as caught:
        console.call_leg(contact_id=contact.pk, kind=Kind.CONSULTED, agent=teammate, now=at(7), phase="end")
    assert caught.value.code == "not_on_call"
    assert state(teammate) == State.READY


def test_an_external_consult_only_records_the_leg(floor):
    floor.login("agent")
    contact = connected_call(floor)
    console.call_leg(contact_id=contact.pk, kind=Kind.CONSULTED, number="02787654321", now=at(5))
    event = ContactEvent.objects.filter(contact=contact, kind=Kind.CONSULTED).get()
    assert event.detail["number"] == "02787654321" and event.detail["party_agent_id"] is None
    assert not CallParty.objects.exists()


# --- transfers: agent, queue, number ------------------------------------------------------------------


def test_a_call_is_transferred_to_an_agent_a_queue_or_a_number(floor):
    teammate = floor.person("teammate")
    floor.login("agent")
    floor.login("teammate")
    services.set_agent_state(agent=teammate, action="away", away_reason="meal", now=at(0))
    contact = connected_call(floor)
    services.set_agent_state(agent=teammate, action="ready", now=at(2))
    old, new = services.transfer_contact(contact_id=contact.pk, to_agent=teammate, now=at(5))
    assert old.status == Status.ACW and new.status == Status.OFFERED and new.agent == teammate
    services.finish_acw(contact_id=old.pk, now=at(6))
    new = services.answer_contact(contact_id=new.pk, now=at(7))
    _old, queued = services.transfer_contact(contact_id=new.pk, to_queue=floor.queue, now=at(10))
    assert queued.status == Status.QUEUED and queued.agent is None
    services.finish_acw(contact_id=new.pk, now=at(11))
    routed = floor.route(12)
    assert len(routed) == 1
    third = services.answer_contact(contact_id=routed[0].pk, now=at(13))
    ended, none = services.transfer_contact(contact_id=third.pk, to_number="12366", now=at(20))
    assert none is None and ended.status == Status.ACW
    assert ContactEvent.objects.get(contact=ended, kind=Kind.TRANSFERRED).detail["to_number"] == "12366"
