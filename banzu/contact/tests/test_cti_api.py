"""The CTI API over HTTP (CT-1, CT-9, CT-10, CT-15): authentication, events, order, idempotency, routing.

Every refusal is checked for its status, its message and that nothing changed: no contact, event,
agent state or event-log row was written.
"""

from __future__ import annotations

import json

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from banzu.contact import cti, services
from banzu.contact.models import AgentSession, AgentStateChange, Contact, ContactEvent, CtiCall, CtiEvent
from banzu.contact.tests.conftest import at
from banzu.contact.tests.factories import QueueFactory, channel
from banzu.core import memo
from banzu.org.tests.factories import CentreFactory, DepartmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(floor):
    _switch, token = cti.create_switch(centre=floor.centre, code="pbx1", name="主交换机")
    return token


@pytest.fixture
def switch_client(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


class Switch:
    """Sends events as a switch would, numbering them."""

    def __init__(self, client, floor):
        self.client = client
        self.floor = floor
        self.n = 0

    def no(self, key):
        return self.floor.person(key).employee_no

    def send(self, type_, seconds=None, **fields):
        self.n += 1
        body = {"event_id": f"e{self.n}", "type": type_, **fields}
        if seconds is not None:
            body["at"] = at(seconds).isoformat()
        return self.client.post("/cti/v1/events/", body, format="json")

    def ok(self, type_, seconds=None, **fields):
        response = self.send(type_, seconds, **fields)
        assert response.status_code == 200, response.json()
        return response.json()


@pytest.fixture
def pbx(switch_client, floor):
    return Switch(switch_client, floor)


def snapshot():
    """Everything an event could change."""
    return (
        list(Contact.objects.order_by("pk").values()),
        list(ContactEvent.objects.order_by("pk").values_list("pk", flat=True)),
        list(AgentSession.objects.order_by("pk").values()),
        AgentStateChange.objects.count(),
        CtiEvent.objects.count(),
        list(CtiCall.objects.order_by("pk").values()),
    )


def contact_of(call_id):
    return CtiCall.objects.get(call_id=call_id).contact


# --- authentication ---------------------------------------------------------------------------------


def test_the_token_names_its_switch(switch_client, floor):
    response = switch_client.get("/cti/v1/")
    assert response.status_code == 200
    assert response.json() == {"version": "1", "switch": "pbx1", "name": "主交换机", "centre": floor.centre.code}


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer bzsw_wrong", "Bearer a b", "Token bzsw_x", "Basic dXNlcjpwYXNz"],
)
def test_a_request_without_a_valid_switch_token_is_refused_and_changes_nothing(floor, token, header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    before = snapshot()
    body = {"event_id": "e1", "type": "offered", "call_id": "c1", "queue": "TAX"}
    response = client.post("/cti/v1/events/", body, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="cti"'
    assert set(response.json()) == {"code", "message"}
    assert snapshot() == before


def test_a_deactivated_switch_is_refused(floor, token, switch_client):
    cti.deactivate_switch(switch=cti.switch_for_token(token))
    assert switch_client.get("/cti/v1/").status_code == 401


def test_a_rotated_token_replaces_the_old_one(floor, token, switch_client):
    new = cti.rotate_token(switch=cti.switch_for_token(token))
    assert switch_client.get("/cti/v1/").status_code == 401
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {new}")
    assert client.get("/cti/v1/").status_code == 200


def test_only_the_hash_of_a_token_is_stored(floor, token):
    switch = cti.switch_for_token(token)
    assert token not in {switch.token_hash, switch.token_prefix, switch.code}
    assert switch.token_hash == cti.hash_token(token)


def test_a_logged_in_session_is_not_a_switch(org, floor, token):
    client = APIClient()
    client.force_login(org.people["admin"].user)
    body = {"event_id": "e1", "type": "offered", "call_id": "c1", "queue": "TAX"}
    assert client.post("/cti/v1/events/", body, format="json").status_code == 401
    assert client.get("/cti/v1/").status_code == 401
    assert not Contact.objects.exists()


def test_a_switch_token_needs_no_csrf_token(floor, token):
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = {"event_id": "e1", "type": "offered", "call_id": "c1", "queue": "TAX"}
    assert client.post("/cti/v1/events/", body, format="json").status_code == 200


# --- a whole call ------------------------------------------------------------------------------------


def test_a_call_from_arrival_to_recording(pbx, floor):
    agent = floor.person("agent")
    login = pbx.ok("agent_login", 0, agent=agent.employee_no)
    assert login["outcome"] == "ready"
    assert login["agent"] == {
        "id": agent.pk,
        "employee_no": agent.employee_no,
        "name": agent.name,
        "state": "ready",
        "away_reason": "",
    }
    offered = pbx.ok("offered", 10, call_id="c1", queue="TAX", caller_number="13912345678", ivr_path=["1", "3"])
    contact = contact_of("c1")
    assert offered["outcome"] == "queued"
    assert offered["duplicate"] is False
    agent_ref = {"id": agent.pk, "employee_no": agent.employee_no, "name": agent.name}
    assert offered["route"] == {
        "call_id": "c1",
        "contact_id": contact.pk,
        "decision": "agent",
        "agent": agent_ref,
        "queue": "TAX",
        "position": None,
        "estimated_wait_seconds": None,
        "status": "offered",
    }
    assert offered["call"] == {
        "call_id": "c1",
        "contact_id": contact.pk,
        "leg": 1,
        "status": "offered",
        "queue": "TAX",
        "agent": agent_ref,
    }
    assert offered["offers"] == [{"call_id": "c1", "contact_id": contact.pk, "agent": agent_ref}]
    assert contact.caller_number == "13912345678"
    assert contact.ivr_path == ["1", "3"]
    assert contact.external_id == "c1"

    assert pbx.ok("ringing", 11, call_id="c1", agent=agent.employee_no)["call"]["status"] == "offered"
    assert pbx.ok("answered", 15, call_id="c1", agent=agent.employee_no)["call"]["status"] == "connected"
    assert pbx.ok("held", 30, call_id="c1")["call"]["status"] == "on_hold"
    assert pbx.ok("retrieved", 50, call_id="c1")["call"]["status"] == "connected"
    ended = pbx.ok("ended", 100, call_id="c1")
    assert (ended["outcome"], ended["call"]["status"]) == ("ended", "acw")
    recording = pbx.ok("recording_available", 101, call_id="c1", recording="rec/2025/03/14/c1.wav")
    assert recording["outcome"] == "recording_stored"

    contact.refresh_from_db()
    assert contact.status == Contact.Status.ACW
    assert (contact.wait_seconds, contact.hold_seconds, contact.talk_seconds) == (5, 20, 65)
    assert contact.recording_ref == "rec/2025/03/14/c1.wav"
    assert list(contact.events.values_list("kind", flat=True)) == [
        "queued",
        "offered",
        "ringing",
        "answered",
        "held",
        "retrieved",
        "ended",
        "recording_available",
    ]
    assert AgentSession.objects.get(employee=agent).state == AgentSession.State.ACW
    assert CtiEvent.objects.count() == 8
    assert list(CtiEvent.objects.values_list("outcome", flat=True)) == [
        "ready",
        "queued",
        "ringing",
        "answered",
        "held",
        "retrieved",
        "ended",
        "recording_stored",
    ]


def test_a_call_nobody_can_take_waits_with_its_position_and_estimated_wait(pbx, floor):
    first = pbx.ok("offered", 0, call_id="c1", queue="TAX")
    assert first["route"]["decision"] == "queue"
    assert (first["route"]["position"], first["route"]["estimated_wait_seconds"]) == (1, None)
    assert first["offers"] == []
    # One agent signed in and busy: the second caller waits for the default handle time (policy).
    pbx.ok("ended", 1, call_id="c1")
    pbx.ok("agent_login", 2, agent=pbx.no("agent"))
    pbx.ok("offered", 3, call_id="c2", queue="TAX")
    pbx.ok("answered", 4, call_id="c2")
    third = pbx.ok("offered", 5, call_id="c3", queue="TAX")
    fourth = pbx.ok("offered", 6, call_id="c4", queue="TAX")
    assert (third["route"]["position"], third["route"]["estimated_wait_seconds"]) == (1, 180)
    assert (fourth["route"]["position"], fourth["route"]["estimated_wait_seconds"]) == (2, 360)


def test_the_estimated_wait_follows_the_queues_recent_handle_time(pbx, floor):
    pbx.ok("agent_login", 0, agent=pbx.no("agent"))
    pbx.ok("offered", 1, call_id="c1", queue="TAX")
    pbx.ok("answered", 2, call_id="c1")
    pbx.ok("ended", 62, call_id="c1")
    services.finish_acw(contact_id=contact_of("c1").pk, now=at(92))  # 60 s talk + 30 s ACW
    pbx.ok("agent_away", 93, agent=pbx.no("agent"), away_reason="meal")
    waiting = pbx.ok("offered", 94, call_id="c2", queue="TAX")
    # Away agents do not serve: no estimate rather than a false promise.
    assert waiting["route"]["estimated_wait_seconds"] is None
    pbx.ok("agent_login", 95, agent=pbx.no("teammate"))  # takes c2
    third = pbx.ok("offered", 96, call_id="c3", queue="TAX")
    assert third["route"]["estimated_wait_seconds"] == 90


# --- idempotency ------------------------------------------------------------------------------------


def test_a_repeated_event_is_answered_as_a_duplicate_and_changes_nothing(pbx, floor):
    body = {"event_id": "x1", "type": "offered", "call_id": "c1", "queue": "TAX", "at": at(0).isoformat()}
    first = pbx.client.post("/cti/v1/events/", body, format="json")
    assert first.status_code == 200
    before = snapshot()
    again = pbx.client.post("/cti/v1/events/", body, format="json")
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["outcome"] == "queued"
    assert again.json()["call"] == first.json()["call"]
    assert snapshot() == before


def test_a_repeated_answer_is_a_duplicate_not_a_second_answer(pbx, floor):
    pbx.ok("agent_login", 0, agent=pbx.no("agent"))
    pbx.ok("offered", 1, call_id="c1", queue="TAX")
    body = {"event_id": "ans", "type": "answered", "call_id": "c1", "at": at(5).isoformat()}
    assert pbx.client.post("/cti/v1/events/", body, format="json").status_code == 200
    before = snapshot()
    response = pbx.client.post("/cti/v1/events/", body, format="json")
    assert (response.status_code, response.json()["duplicate"]) == (200, True)
    assert snapshot() == before


def test_an_event_id_reused_for_another_event_is_refused(pbx, floor):
    pbx.client.post("/cti/v1/events/", {"event_id": "x1", "type": "offered", "call_id": "c1", "queue": "TAX"})
    before = snapshot()
    response = pbx.client.post(
        "/cti/v1/events/", {"event_id": "x1", "type": "offered", "call_id": "c2", "queue": "TAX"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "event_id_reused"
    assert "x1" in response.json()["message"]
    assert snapshot() == before


def test_event_ids_belong_to_their_switch(pbx, floor):
    pbx.client.post("/cti/v1/events/", {"event_id": "x1", "type": "offered", "call_id": "c1", "queue": "TAX"})
    _other, token = cti.create_switch(centre=floor.centre, code="pbx2")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = other.post(
        "/cti/v1/events/", {"event_id": "x1", "type": "offered", "call_id": "c9", "queue": "TAX"}, format="json"
    )
    assert (response.status_code, response.json()["duplicate"]) == (200, False)


def test_a_refused_event_can_be_sent_again_once_possible(pbx, floor):
    pbx.ok("offered", 0, call_id="c1", queue="TAX")
    body = {"event_id": "ans", "type": "answered", "call_id": "c1", "at": at(2).isoformat()}
    assert pbx.client.post("/cti/v1/events/", body, format="json").status_code == 409
    pbx.ok("agent_login", 1, agent=pbx.no("agent"))  # routing offers c1 to the agent
    response = pbx.client.post("/cti/v1/events/", body, format="json")
    assert (response.status_code, response.json()["duplicate"]) == (200, False)
    assert contact_of("c1").status == Contact.Status.CONNECTED


# --- order ------------------------------------------------------------------------------------------

# The call states each event type is allowed in, written out independently of the code.
ALLOWED = {
    "ringing": {"offered"},
    "answered": {"offered"},
    "held": {"connected"},
    "retrieved": {"on_hold"},
    "transferred": {"connected", "on_hold"},
    "conferenced": {"connected", "on_hold"},
    "consulted": {"connected", "on_hold"},
    "ended": {"queued", "offered", "connected", "on_hold"},
    "recording_available": {"connected", "on_hold", "acw", "ended"},
}
EXTRA = {
    "transferred": {"to": {"number": "01088886666"}},
    "conferenced": {"party": {"number": "01088886666"}},
    "consulted": {"party": {"number": "01088886666"}},
    "recording_available": {"recording": "rec/c1.wav"},
}
STATES = ["queued", "offered", "connected", "on_hold", "acw", "ended", "abandoned"]


def _bring(pbx, floor, state):
    """Call c1 in `state`, built through the API (and the console for closing after-call work)."""
    if state != "queued":
        pbx.ok("agent_login", 0, agent=pbx.no("agent"))
    pbx.ok("offered", 1, call_id="c1", queue="TAX")
    if state == "abandoned":
        pbx.ok("ended", 2, call_id="c1")
    if state in ("connected", "on_hold", "acw", "ended"):
        pbx.ok("answered", 3, call_id="c1")
    if state == "on_hold":
        pbx.ok("held", 4, call_id="c1")
    if state in ("acw", "ended"):
        pbx.ok("ended", 5, call_id="c1")
    if state == "ended":
        services.finish_acw(contact_id=contact_of("c1").pk, now=at(6))
    assert contact_of("c1").status == state


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("event", list(ALLOWED))
def test_each_call_event_is_taken_only_in_the_states_that_allow_it(pbx, floor, state, event):
    _bring(pbx, floor, state)
    before = snapshot()
    response = pbx.send(event, 10, call_id="c1", **EXTRA.get(event, {}))
    if state in ALLOWED[event]:
        assert response.status_code == 200, response.json()
        assert snapshot() != before
    else:
        assert response.status_code == 409, response.json()
        body = response.json()
        assert body["code"] == "event_out_of_order"
        assert event in body["message"] and "c1" in body["message"]
        assert snapshot() == before


def test_an_answer_before_the_offer_is_an_unknown_call(pbx, floor):
    before = snapshot()
    response = pbx.send("answered", call_id="c-never-offered")
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_call"
    assert "c-never-offered" in response.json()["message"]
    assert snapshot() == before


def test_an_offer_of_a_known_call_is_refused(pbx, floor):
    pbx.ok("offered", 0, call_id="c1", queue="TAX")
    before = snapshot()
    response = pbx.send("offered", 1, call_id="c1", queue="TAX")
    assert (response.status_code, response.json()["code"]) == (409, "call_exists")
    assert snapshot() == before


def test_an_event_dated_before_the_calls_previous_event_is_refused(pbx, floor):
    pbx.ok("agent_login", 0, agent=pbx.no("agent"))
    pbx.ok("offered", 100, call_id="c1", queue="TAX")
    before = snapshot()
    response = pbx.send("answered", 50, call_id="c1")
    assert (response.status_code, response.json()["code"]) == (409, "event_out_of_order")
    assert snapshot() == before


def test_an_answer_by_another_agent_than_the_offered_one_is_refused(pbx, floor):
    pbx.ok("agent_login", 0, agent=pbx.no("agent"))
    pbx.ok("offered", 1, call_id="c1", queue="TAX")
    before = snapshot()
    response = pbx.send("answered", 2, call_id="c1", agent=pbx.no("teammate"))
    assert (response.status_code, response.json()["code"]) == (409, "not_offered_to_agent")
    assert snapshot() == before


# --- malformed bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"type": "offered", "call_id": "c1", "queue": "TAX"}, "event_id", "required"),
        ({"event_id": "e1", "call_id": "c1"}, "type", "required"),
        ({"event_id": "e1", "type": "exploded", "call_id": "c1"}, "type", "invalid_choice"),
        ({"event_id": "e1", "type": "offered", "call_id": "c1"}, "queue", "required"),
        ({"event_id": "e1", "type": "offered", "queue": "TAX"}, "call_id", "required"),
        ({"event_id": "e1", "type": "offered", "call_id": "c1", "queue": "NOPE"}, "queue", "unknown_queue"),
        (
            {"event_id": "e1", "type": "offered", "call_id": "c1", "queue": "TAX", "channel": "chat"},
            "channel",
            "wrong_channel",
        ),
        (
            {"event_id": "e1", "type": "offered", "call_id": "c1", "queue": "TAX", "ivr_path": "13"},
            "ivr_path",
            "not_a_list",
        ),
        ({"event_id": "e1", "type": "offered", "call_id": "c1", "queue": "TAX", "at": "yesterday"}, "at", "invalid"),
        ({"event_id": "", "type": "offered", "call_id": "c1", "queue": "TAX"}, "event_id", "blank"),
        ({"event_id": "e" * 101, "type": "offered", "call_id": "c1", "queue": "TAX"}, "event_id", "max_length"),
        ({"event_id": "e1", "type": "held"}, "call_id", "required"),
        ({"event_id": "e1", "type": "transferred", "call_id": "c1"}, "to", "required"),
        (
            {"event_id": "e1", "type": "transferred", "call_id": "c1", "to": {"queue": "A", "number": "1"}},
            "to.non_field_errors",
            "one_target",
        ),
        (
            {"event_id": "e1", "type": "conferenced", "call_id": "c1", "party": {}},
            "party.non_field_errors",
            "one_party",
        ),
        ({"event_id": "e1", "type": "recording_available", "call_id": "c1"}, "recording", "required"),
        ({"event_id": "e1", "type": "agent_login"}, "agent", "required"),
        ({"event_id": "e1", "type": "agent_away", "agent": "1"}, "away_reason", "required"),
        (
            {"event_id": "e1", "type": "agent_away", "agent": "1", "away_reason": "not_answered"},
            "away_reason",
            "invalid_choice",
        ),
    ],
)
def test_a_malformed_event_names_its_field_and_changes_nothing(pbx, floor, body, field, code):
    before = snapshot()
    response = pbx.client.post("/cti/v1/events/", body, format="json")
    assert response.status_code == 400, response.json()
    answer = response.json()
    assert answer["code"] == "invalid"
    assert field in answer["fields"], answer
    assert code in [error["code"] for error in answer["fields"][field]]
    assert answer["message"]
    assert snapshot() == before


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"offered"', "null"])
def test_a_body_that_is_not_a_json_object_is_refused(pbx, floor, raw):
    before = snapshot()
    response = pbx.client.post("/cti/v1/events/", raw, content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) >= {"code", "message"}
    assert snapshot() == before


def test_errors_speak_chinese_by_default(pbx, floor):
    response = pbx.client.post("/cti/v1/events/", {"event_id": "e1", "type": "held"}, format="json")
    assert response.status_code == 400
    assert response["Content-Language"] == "zh-hans"


# --- transfers, consults, conferences ----------------------------------------------------------------


@pytest.fixture
def connected(pbx, floor):
    """Call c1 answered by the agent; the teammate is ready."""
    pbx.ok("agent_login", 0, agent=pbx.no("agent"))
    pbx.ok("offered", 1, call_id="c1", queue="TAX", caller_number="13912345678", ivr_path=["2"])
    pbx.ok("answered", 2, call_id="c1")
    pbx.ok("agent_login", 3, agent=pbx.no("teammate"))
    return contact_of("c1")


def test_a_transfer_to_an_agent_offers_a_new_leg_to_them(pbx, floor, connected):
    teammate = floor.person("teammate")
    answer = pbx.ok("transferred", 60, call_id="c1", to={"agent": teammate.employee_no})
    new = contact_of("c1")
    assert new.pk != connected.pk
    assert (new.status, new.agent_id, new.external_id) == (Contact.Status.OFFERED, teammate.pk, "c1#2")
    assert (new.caller_number, new.ivr_path) == ("13912345678", ["2"])
    assert answer["call"]["leg"] == 2
    assert answer["route"]["decision"] == "agent"
    assert answer["route"]["agent"]["employee_no"] == teammate.employee_no
    connected.refresh_from_db()
    assert connected.status == Contact.Status.ACW
    transfer = connected.events.get(kind="transferred")
    assert transfer.detail["to_agent_id"] == teammate.pk
    assert transfer.detail["new_contact_id"] == new.pk
    # The new leg goes on like any call.
    assert pbx.ok("answered", 65, call_id="c1", agent=teammate.employee_no)["call"]["status"] == "connected"


def test_a_transfer_to_an_agent_who_cannot_take_it_is_refused_and_changes_nothing(pbx, floor, connected):
    pbx.ok("agent_away", 4, agent=pbx.no("teammate"), away_reason="meal")
    before = snapshot()
    response = pbx.send("transferred", 60, call_id="c1", to={"agent": pbx.no("teammate")})
    assert (response.status_code, response.json()["code"]) == (409, "agent_not_available")
    assert snapshot() == before


def test_a_transfer_to_an_unknown_agent_is_refused(pbx, floor, connected):
    before = snapshot()
    response = pbx.send("transferred", 60, call_id="c1", to={"agent": "no-such"})
    assert (response.status_code, response.json()["code"]) == (404, "unknown_agent")
    assert snapshot() == before


def test_a_transfer_to_a_queue_waits_there(pbx, floor, connected):
    QueueFactory(department=floor.org.department, code="VIP", name="VIP热线")
    pbx.ok("agent_away", 4, agent=pbx.no("teammate"), away_reason="meal")
    answer = pbx.ok("transferred", 60, call_id="c1", to={"queue": "VIP"})
    new = contact_of("c1")
    assert (new.status, new.queue.code) == (Contact.Status.QUEUED, "VIP")
    assert answer["route"]["decision"] == "queue"
    assert answer["route"]["position"] == 1
    assert CtiCall.objects.get(call_id="c1").legs == 2


def test_a_transfer_to_an_outside_number_ends_the_call_for_the_centre(pbx, floor, connected):
    answer = pbx.ok("transferred", 60, call_id="c1", to={"number": "01088886666"})
    assert answer["call"]["status"] == "acw"
    assert answer["call"]["leg"] == 1
    assert connected.events.get(kind="transferred").detail["to_number"] == "01088886666"
    assert pbx.send("held", 61, call_id="c1").status_code == 409


@pytest.mark.parametrize("kind", ["conferenced", "consulted"])
def test_conference_and_consult_legs_are_kept_on_the_contact(pbx, floor, connected, kind):
    teammate = floor.person("teammate")
    pbx.ok(kind, 30, call_id="c1", party={"agent": teammate.employee_no})
    pbx.ok(kind, 40, call_id="c1", party={"agent": teammate.employee_no}, phase="end")
    pbx.ok(kind, 50, call_id="c1", party={"number": "01088886666"})
    legs = list(connected.events.filter(kind=kind).values_list("detail", flat=True))
    assert [(leg["party_agent_id"], leg["number"], leg["phase"]) for leg in legs] == [
        (teammate.pk, "", "start"),
        (teammate.pk, "", "end"),
        (None, "01088886666", "start"),
    ]
    assert contact_of("c1").status == Contact.Status.CONNECTED


def test_a_recording_is_never_replaced(pbx, floor, connected):
    pbx.ok("recording_available", 10, call_id="c1", recording="rec/1.wav")
    assert pbx.send("recording_available", 11, call_id="c1", recording="rec/1.wav").status_code == 200
    before = snapshot()
    response = pbx.send("recording_available", 12, call_id="c1", recording="rec/2.wav")
    assert (response.status_code, response.json()["code"]) == (409, "recording_exists")
    assert snapshot() == before


def test_a_caller_hanging_up_while_waiting_abandons(pbx, floor):
    pbx.ok("offered", 0, call_id="c1", queue="TAX")
    answer = pbx.ok("ended", 30, call_id="c1")
    assert (answer["outcome"], answer["call"]["status"]) == ("abandoned", "abandoned")
    assert contact_of("c1").wait_seconds == 30


# --- agent events -------------------------------------------------------------------------------------


def test_agent_events_move_the_agent_through_their_states(pbx, floor):
    no = pbx.no("agent")
    assert pbx.ok("agent_login", 0, agent=no)["outcome"] == "ready"
    away = pbx.ok("agent_away", 10, agent=no, away_reason="training")
    assert (away["outcome"], away["agent"]["away_reason"]) == ("away", "training")
    assert pbx.ok("agent_ready", 20, agent=no)["outcome"] == "ready"
    assert pbx.ok("agent_logout", 30, agent=no)["outcome"] == "logged_out"
    changes = AgentStateChange.objects.filter(agent=floor.person("agent")).values_list("to_state", "event")
    assert list(changes) == [("ready", "login"), ("away", "away"), ("ready", "ready"), ("logged_out", "logout")]


def test_the_wrap_up_key_ends_after_call_work_and_routes_the_waiting_call_to_the_agent(pbx, floor, connected):
    pbx.ok("agent_away", 4, agent=pbx.no("teammate"), away_reason="meal")
    pbx.ok("ended", 60, call_id="c1")
    pbx.ok("offered", 61, call_id="c2", queue="TAX")
    answer = pbx.ok("agent_ready", 90, agent=pbx.no("agent"))
    # Ready, and at once offered the waiting call in the same answer.
    assert (answer["outcome"], answer["agent"]["state"]) == ("ready", "ringing")
    first = Contact.objects.get(pk=connected.pk)
    assert (first.status, first.acw_seconds) == (Contact.Status.ENDED, 30)
    assert [offer["call_id"] for offer in answer["offers"]] == ["c2"]
    assert contact_of("c2").agent == floor.person("agent")


def test_an_away_reason_during_after_call_work_ends_it_and_sets_the_agent_away(pbx, floor, connected):
    pbx.ok("ended", 60, call_id="c1")
    answer = pbx.ok("agent_away", 75, agent=pbx.no("agent"), away_reason="break")
    assert (answer["outcome"], answer["agent"]["away_reason"]) == ("away", "break")
    first = Contact.objects.get(pk=connected.pk)
    assert (first.status, first.acw_seconds) == (Contact.Status.ENDED, 15)
    changes = AgentStateChange.objects.filter(agent=floor.person("agent")).values_list("to_state", "event")
    assert list(changes)[-2:] == [("ready", "finish_acw"), ("away", "away")]


def test_an_away_reason_a_busy_agent_cannot_take_changes_nothing(pbx, floor, connected):
    before = snapshot()
    response = pbx.send("agent_away", 10, agent=pbx.no("agent"), away_reason="break")
    assert (response.status_code, response.json()["code"]) == (409, "illegal_agent_transition")
    assert snapshot() == before


def test_an_agent_event_the_state_machine_forbids_is_refused(pbx, floor, connected):
    before = snapshot()
    response = pbx.send("agent_logout", 10, agent=pbx.no("agent"))
    assert (response.status_code, response.json()["code"]) == (409, "illegal_agent_transition")
    assert snapshot() == before


def test_an_unknown_agent_is_not_found(pbx, floor):
    before = snapshot()
    response = pbx.send("agent_login", agent="no-such")
    assert (response.status_code, response.json()["code"]) == (404, "unknown_agent")
    assert snapshot() == before


def test_an_agent_of_another_centre_is_unknown_to_the_switch(pbx, floor):
    from banzu.org.tests.factories import EmployeeFactory, TeamFactory

    other_team = TeamFactory(department=DepartmentFactory(centre=CentreFactory(code="SH", name="上海中心")))
    stranger = EmployeeFactory(team=other_team, employee_no="X9999")
    response = pbx.send("agent_login", agent=stranger.employee_no)
    assert response.status_code == 404


# --- where to route, call state ----------------------------------------------------------------------


def test_the_switch_asks_where_to_route_a_waiting_call(pbx, floor):
    pbx.ok("offered", call_id="c1", queue="TAX")
    waiting = pbx.client.post("/cti/v1/route/", {"call_id": "c1"}, format="json")
    assert waiting.status_code == 200
    assert (waiting.json()["decision"], waiting.json()["position"]) == ("queue", 1)
    # At the console, on the server's clock like the routing question: no routing ran yet.
    services.set_agent_state(agent=floor.person("agent"), action="login", now=timezone.now())
    routed = pbx.client.post("/cti/v1/route/", {"call_id": "c1"}, format="json")
    assert routed.json()["decision"] == "agent"
    assert routed.json()["agent"]["employee_no"] == pbx.no("agent")
    assert contact_of("c1").status == Contact.Status.OFFERED


def test_route_questions_about_unknown_calls_or_without_a_call_id_are_refused(pbx, floor):
    assert pbx.client.post("/cti/v1/route/", {"call_id": "nope"}, format="json").status_code == 404
    response = pbx.client.post("/cti/v1/route/", {}, format="json")
    assert response.status_code == 400
    assert "call_id" in response.json()["fields"]


def test_the_call_state_shows_the_current_leg(pbx, floor):
    pbx.ok("offered", 0, call_id="sip/42", queue="TAX")
    response = pbx.client.get("/cti/v1/calls/sip/42/")
    assert response.status_code == 200
    assert response.json()["status"] == "queued"
    assert response.json()["route"]["decision"] == "queue"
    assert pbx.client.get("/cti/v1/calls/nope/").status_code == 404


def test_a_switch_sees_only_its_own_calls(pbx, floor):
    pbx.ok("offered", 0, call_id="c1", queue="TAX")
    centre = CentreFactory(code="SH", name="上海中心")
    QueueFactory(department=DepartmentFactory(centre=centre), code="TAX", channel=channel())
    _other, token = cti.create_switch(centre=centre, code="pbx-other")
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert other.get("/cti/v1/calls/c1/").status_code == 404
    assert other.post("/cti/v1/events/", {"event_id": "e1", "type": "held", "call_id": "c1"}).status_code == 404
    # The other centre's switch may use the same call id for its own call.
    response = other.post(
        "/cti/v1/events/", {"event_id": "e2", "type": "offered", "call_id": "c1", "queue": "TAX"}, format="json"
    )
    assert response.status_code == 200


# --- schema -------------------------------------------------------------------------------------------


def test_the_cti_endpoints_are_in_the_openapi_schema(api_as):
    response = api_as("admin").get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    for url in ("/cti/v1/", "/cti/v1/events/", "/cti/v1/route/", "/cti/v1/calls/{call_id}/"):
        assert url in schema["paths"], url
    event = schema["paths"]["/cti/v1/events/"]["post"]
    assert event["tags"] == ["cti"]
    assert {"200", "400", "401", "404", "409"} <= set(event["responses"])
    assert {"switchToken": []} in event["security"]
    assert schema["components"]["securitySchemes"]["switchToken"]["scheme"] == "bearer"


# Statements per event of a call's life, a ceiling that guards the hot path of a busy switch: every
# event takes a network round trip and an ORM compile per statement (``bench.cti_load``). The
# floor's settings are read once by the process (``memo.configuration``), as on a running server.
EVENT_STATEMENTS = {"offered": 32, "answered": 18, "ended": 30, "agent_ready": 23}


def test_each_event_of_a_call_costs_a_fixed_number_of_statements(pbx, floor, django_assert_max_num_queries):
    agent = pbx.no("agent")
    memo.reset_configuration()  # the floor's set-up was committed long ago
    pbx.ok("agent_login", 0, agent=agent)
    # The first call reads the settings the process then keeps.
    pbx.ok("offered", 1, call_id="c1", queue="TAX", caller_number="13912345678")
    pbx.ok("answered", 2, call_id="c1", agent=agent)
    pbx.ok("ended", 3, call_id="c1")
    pbx.ok("agent_ready", 4, agent=agent)
    with django_assert_max_num_queries(EVENT_STATEMENTS["offered"]):
        offered = pbx.ok("offered", 5, call_id="c2", queue="TAX", caller_number="13912345678")
    assert offered["route"]["decision"] == "agent"
    with django_assert_max_num_queries(EVENT_STATEMENTS["answered"]):
        assert pbx.ok("answered", 6, call_id="c2", agent=agent)["call"]["status"] == "connected"
    with django_assert_max_num_queries(EVENT_STATEMENTS["ended"]):
        assert pbx.ok("ended", 7, call_id="c2")["call"]["status"] == "acw"
    with django_assert_max_num_queries(EVENT_STATEMENTS["agent_ready"]):
        assert pbx.ok("agent_ready", 8, agent=agent)["agent"]["state"] == "ready"


def test_the_compiled_reads_of_a_call_give_what_their_querysets_give(pbx, floor, token):
    """At each step of a call's life (queued, offered, talking, wrap-up, closed) and for a call
    nobody knows, the reads compiled once equal the ORM's."""
    agent = pbx.no("agent")
    switch = cti.switch_for_token(token)
    switch_id = switch.pk
    pbx.ok("offered", 1, call_id="c1", queue="TAX", caller_number="13912345678")  # nobody signed in
    steps = [
        ("agent_login", {"agent": agent}),
        ("answered", {"call_id": "c1", "agent": agent}),
        ("ended", {"call_id": "c1"}),
        ("agent_ready", {"agent": agent}),
    ]
    for second, (kind, fields) in enumerate([("", {}), *steps], start=2):
        if kind:
            pbx.ok(kind, second, **fields)
        for call_id in ("c1", "unknown"):
            assert cti._CALL_READ.rows(switch_id=switch_id, call_id=call_id) == list(cti._call_rows(switch_id, call_id))
        contact_id = Contact.objects.get(external_id="c1").pk
        expected = list(cti._LAST_EVENT_READ.build(contact_id))
        assert cti._LAST_EVENT_READ.rows(contact_id=contact_id) == expected
        assert expected[0][0] == ContactEvent.objects.filter(contact_id=contact_id).latest("at").at
    call = cti._call(switch, "c1")
    assert (call.contact.status, call.contact.agent.employee_no, call.contact.queue.code) == ("ended", agent, "TAX")
    assert call.contact.caller_number == "13912345678"  # a field not read loads when asked for
