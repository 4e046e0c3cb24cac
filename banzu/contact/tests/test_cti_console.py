"""Switch events of the calls agents place (CT-10) and courtesy messages (CT-12) over the CTI API:
applied once, out-of-order refused with nothing changed, and the dial the console places pushed to
the switch."""

from __future__ import annotations

import pytest

from banzu.contact import console, cti
from banzu.contact.models import AgentSession, CallParty, Contact, ContactEvent, CourtesyMessage, CtiCall
from banzu.contact.tests.conftest import at
from banzu.contact.tests.test_cti_api import Switch, contact_of, snapshot

pytestmark = pytest.mark.django_db

State, Status = AgentSession.State, Contact.Status


@pytest.fixture
def pbx(floor):
    from rest_framework.test import APIClient

    _switch, token = cti.create_switch(centre=floor.centre, code="pbx1", name="主交换机")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return Switch(client, floor)


def state(floor, key):
    return AgentSession.objects.get(employee=floor.person(key)).state


def test_a_dial_from_the_phone_runs_through_far_end_answer_and_hang_up(pbx, floor):
    pbx.ok("agent_login", 0, agent=pbx.no("agent"))
    answer = pbx.ok("dialed", 5, call_id="o-1", agent=pbx.no("agent"), party={"number": "13912345678"})
    assert answer["outcome"] == "dialed" and answer["call"]["status"] == Status.OFFERED
    contact = contact_of("o-1")
    assert contact.direction == Contact.Direction.OUTBOUND and contact.external_id == "o-1"
    assert state(floor, "agent") == State.RINGING
    assert pbx.ok("far_end_answered", 9, call_id="o-1")["outcome"] == "answered"
    assert state(floor, "agent") == State.BUSY
    pbx.ok("ended", 70, call_id="o-1")
    contact.refresh_from_db()
    assert contact.status == Status.ACW and contact.talk_seconds == 61


@pytest.mark.parametrize("kind", ["dial_failed", "ended"])
def test_a_dial_the_far_end_never_answers_frees_the_agent(pbx, floor, kind):
    pbx.ok("agent_login", 0, agent=pbx.no("agent"))
    pbx.ok("dialed", 5, call_id="o-1", agent=pbx.no("agent"), party={"number": "13912345678"})
    assert pbx.ok(kind, 30, call_id="o-1", **({"reason": "busy"} if kind == "dial_failed" else {}))["outcome"] == (
        "dial_failed"
    )
    assert contact_of("o-1").status == Status.ENDED and state(floor, "agent") == State.READY


def test_an_internal_call_from_the_phone_rings_the_colleague(pbx, floor):
    pbx.ok("agent_login", 0, agent=pbx.no("agent"))
    pbx.ok("agent_login", 0, agent=pbx.no("teammate"))
    pbx.ok("dialed", 5, call_id="i-1", agent=pbx.no("agent"), party={"agent": pbx.no("teammate")})
    assert state(floor, "teammate") == State.RINGING
    pbx.ok("far_end_answered", 7, call_id="i-1")
    assert (state(floor, "agent"), state(floor, "teammate")) == (State.BUSY, State.BUSY)
    pbx.ok("ended", 30, call_id="i-1")
    assert (state(floor, "agent"), state(floor, "teammate")) == (State.ACW, State.READY)


def test_a_repeated_dial_event_is_a_duplicate_and_a_reused_call_id_is_refused(pbx, floor):
    pbx.ok("agent_login", 0, agent=pbx.no("agent"))
    body = {
        "event_id": "d1",
        "type": "dialed",
        "call_id": "o-1",
        "agent": pbx.no("agent"),
        "party": {"number": "13912345678"},
        "at": at(5).isoformat(),
    }
    first = pbx.client.post("/cti/v1/events/", body, format="json")
    again = pbx.client.post("/cti/v1/events/", body, format="json")
    assert first.status_code == again.status_code == 200
    assert (first.json()["duplicate"], again.json()["duplicate"]) == (False, True)
    assert Contact.objects.filter(direction=Contact.Direction.OUTBOUND).count() == 1
    before = snapshot()
    other = pbx.send("dialed", 6, call_id="o-1", agent=pbx.no("agent"), party={"number": "13912345678"})
    assert other.status_code == 409 and other.json()["code"] == "call_exists"
    assert snapshot() == before


def test_dial_events_out_of_order_are_refused_and_change_nothing(pbx, floor):
    pbx.ok("agent_login", 0, agent=pbx.no("agent"))
    pbx.ok("dialed", 5, call_id="o-1", agent=pbx.no("agent"), party={"number": "13912345678"})
    pbx.ok("far_end_answered", 9, call_id="o-1")
    before = snapshot()
    for kind in ("far_end_answered", "dial_failed", "courtesy_message"):
        response = pbx.send(kind, 10, call_id="o-1")
        assert response.status_code == 409 and response.json()["code"] == "event_out_of_order", kind
    late = pbx.send("ended", 8, call_id="o-1")
    assert late.status_code == 409
    assert snapshot() == before


def test_a_dial_by_an_agent_who_is_not_ready_is_refused(pbx, floor):
    before = snapshot()
    response = pbx.send("dialed", 5, call_id="o-1", agent=pbx.no("agent"), party={"number": "13912345678"})
    assert response.status_code == 409 and response.json()["code"] == "agent_not_ready"
    assert snapshot() == before


@pytest.mark.parametrize(
    "fields",
    [
        {"call_id": "o-1", "agent": "agent"},
        {"call_id": "o-1", "party": {"number": "13912345678"}},
        {"call_id": "o-1", "agent": "agent", "party": {"number": "13912345678", "agent": "teammate"}},
    ],
)
def test_a_dial_event_needs_the_agent_and_one_party(pbx, fields):
    response = pbx.send("dialed", 5, **fields)
    assert response.status_code == 400


def test_a_courtesy_message_to_a_waiting_caller_is_recorded(pbx, floor):
    pbx.ok("offered", 0, call_id="c-1", queue="TAX")
    assert pbx.ok("courtesy_message", 8, call_id="c-1")["outcome"] == "courtesy_message"
    assert list(CourtesyMessage.objects.values_list("contact__external_id", flat=True)) == ["c-1"]


def test_a_dial_placed_by_the_console_gets_a_switch_call_id_and_is_pushed(
    pbx, floor, monkeypatch, django_capture_on_commit_callbacks
):
    pushed = []

    class Layer:
        async def group_send(self, group, message):
            pushed.append((group, message["message"]))

    monkeypatch.setattr("channels.layers.get_channel_layer", lambda: Layer())
    agent = floor.person("agent")
    floor.login("agent")
    with django_capture_on_commit_callbacks(execute=True):
        contact = console.dial_out(agent=agent, number="13912345678", now=at(5))
    call = CtiCall.objects.get(contact=contact)
    assert call.call_id == console.console_call_id(contact.pk) == contact.external_id
    assert pushed == [
        (
            cti.switch_group(call.switch_id),
            {
                "type": "dial",
                "call_id": call.call_id,
                "contact_id": contact.pk,
                "agent": cti.agent_json(agent),
                "number": "13912345678",
                "to_agent": None,
            },
        )
    ]
    # The switch then reports the course of the call under that id.
    pbx.ok("far_end_answered", 9, call_id=call.call_id)
    assert ContactEvent.objects.filter(contact=contact, kind=ContactEvent.Kind.ANSWERED).exists()
    assert not CallParty.objects.exists()
