"""The agent console over HTTP (CT-9, CT-10): my state, my calls, and the refusals (400, 403, 404, 409)."""

from __future__ import annotations

import pytest

from banzu.conftest import PERSONAS
from banzu.contact import services
from banzu.contact.models import AgentSession, AgentStateChange, CallParty, Contact, ContactEvent
from banzu.contact.tests.conftest import at

pytestmark = pytest.mark.django_db

State, Status = AgentSession.State, Contact.Status
CALL_HANDLERS = {"agent", "teammate", "other_agent", "team_leader", "other_team_leader"}


def post(api, url, body=None):
    return api.post(url, body or {}, format="json")


def state(floor, key):
    return AgentSession.objects.get(employee=floor.person(key)).state


@pytest.fixture
def ready(api_as, floor):
    """Log `key` in through the API and return their client."""

    def make(key):
        api = api_as(key)
        response = post(api, "/api/v1/console/state/", {"action": "login"})
        assert response.status_code == 200, response.json()
        return api

    return make


def test_an_agent_logs_in_goes_away_with_a_reason_and_comes_back(api_as, floor):
    api = api_as("agent")
    assert api.get("/api/v1/console/state/").json()["state"] == State.LOGGED_OUT
    assert post(api, "/api/v1/console/state/", {"action": "login"}).json()["state"] == State.READY
    away = post(api, "/api/v1/console/state/", {"action": "away", "away_reason": "meal"}).json()
    assert (away["state"], away["away_reason"]) == (State.AWAY, "meal")
    assert post(api, "/api/v1/console/state/", {"action": "ready"}).json()["state"] == State.READY
    assert post(api, "/api/v1/console/work-mode/", {"work_mode": "auto"}).json()["work_mode"] == "auto"
    changes = AgentStateChange.objects.filter(agent=floor.person("agent"))
    assert list(changes.values_list("event", flat=True)) == ["login", "away", "ready"]
    assert set(changes.values_list("changed_by", flat=True)) == {floor.person("agent").user_id}


def test_an_illegal_transition_is_a_409_naming_the_state_and_bad_input_a_400_on_its_field(api_as, floor):
    api = api_as("agent")
    refused = post(api, "/api/v1/console/state/", {"action": "ready"})
    assert refused.status_code == 409 and refused.json()["code"] == "illegal_agent_transition"
    assert str(State.LOGGED_OUT.label) in refused.json()["message"]
    bad = post(api, "/api/v1/console/state/", {"action": "away", "away_reason": "not_answered"})
    assert bad.status_code == 400 and "away_reason" in bad.json()["fields"]
    assert not AgentStateChange.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_those_who_take_calls_use_the_console(api_as, floor, persona):
    api = api_as(persona)
    expected = 201 if persona in CALL_HANDLERS else 403
    if persona in CALL_HANDLERS:
        assert post(api, "/api/v1/console/state/", {"action": "login"}).status_code == 200
    assert post(api, "/api/v1/console/dial/", {"number": "13912345678"}).status_code == expected


def test_an_outbound_dial_from_the_console_and_its_hang_up(ready, floor):
    api = ready("agent")
    dialled = post(api, "/api/v1/console/dial/", {"number": "139-1234-5678"})
    assert dialled.status_code == 201
    body = dialled.json()
    assert (body["direction"], body["status"]) == ("outbound", "offered")
    assert body["caller_number"] == "139****5678"  # masked for agents (CT-18)
    assert Contact.objects.get(pk=body["id"]).caller_number == "13912345678"
    assert [row["id"] for row in api.get("/api/v1/console/contacts/").json()["results"]] == [body["id"]]
    # The far end answers, not the agent.
    refused = post(api, f"/api/v1/console/contacts/{body['id']}/answer/")
    assert refused.status_code == 409 and refused.json()["code"] == "far_end_answers"
    ended = post(api, f"/api/v1/console/contacts/{body['id']}/end/")
    assert ended.status_code == 200 and ended.json()["status"] == Status.ENDED
    assert state(floor, "agent") == State.READY
    bad = post(api, "/api/v1/console/dial/", {"number": "12"})
    assert bad.status_code == 400 and bad.json()["fields"]["number"][0]["code"] == "invalid_number"


def test_an_internal_call_answered_by_the_colleague_and_refused_when_they_are_not_ready(ready, api_as, floor):
    caller, callee = ready("agent"), ready("teammate")
    busy_refusal = post(api_as("other_agent"), "/api/v1/console/state/", {"action": "login"})
    assert busy_refusal.status_code == 200
    call = post(caller, "/api/v1/console/internal-call/", {"employee_no": "teammate"})
    assert call.status_code == 201 and call.json()["direction"] == "internal"
    contact_id = call.json()["id"]
    second = post(api_as("other_agent"), "/api/v1/console/internal-call/", {"employee_no": "teammate"})
    assert second.status_code == 409 and second.json()["code"] == "agent_not_ready"
    assert str(State.RINGING.label) in second.json()["message"]
    # Only the colleague answers; the caller cannot.
    assert post(caller, f"/api/v1/console/contacts/{contact_id}/answer/").status_code == 409
    assert post(callee, f"/api/v1/console/contacts/{contact_id}/answer/").status_code == 200
    assert (state(floor, "agent"), state(floor, "teammate")) == (State.BUSY, State.BUSY)
    # The colleague sees the call among theirs, but cannot hold or transfer it.
    assert [row["id"] for row in callee.get("/api/v1/console/contacts/").json()["results"]] == [contact_id]
    assert post(callee, f"/api/v1/console/contacts/{contact_id}/hold/").status_code == 403
    assert post(callee, f"/api/v1/console/contacts/{contact_id}/end/").status_code == 200
    assert (state(floor, "agent"), state(floor, "teammate")) == (State.ACW, State.READY)


def test_hold_retrieve_consult_conference_end_and_wrap_up_through_the_api(ready, floor):
    api = ready("agent")
    contact = floor.call(0)
    floor.route(0)
    services.answer_contact(contact_id=contact.pk, now=at(1))
    colleague = ready("teammate")
    url = f"/api/v1/console/contacts/{contact.pk}"
    assert post(api, f"{url}/hold/").json()["status"] == Status.ON_HOLD
    assert post(api, f"{url}/hold/").status_code == 409
    assert post(api, f"{url}/retrieve/").json()["status"] == Status.CONNECTED
    assert post(api, f"{url}/consult/", {"employee_no": "teammate"}).status_code == 200
    assert state(floor, "teammate") == State.BUSY
    assert colleague.get("/api/v1/console/contacts/").json()["count"] == 1
    assert post(api, f"{url}/consult/", {"employee_no": "teammate", "phase": "end"}).status_code == 200
    assert state(floor, "teammate") == State.READY
    assert post(api, f"{url}/conference/", {"number": "02787654321"}).status_code == 200
    both = post(api, f"{url}/conference/", {"number": "02787654321", "employee_no": "teammate"})
    assert both.status_code == 400
    assert post(api, f"{url}/end/").json()["status"] == Status.ACW
    wrapped = post(api, f"{url}/wrap-up/", {"disposition": "已解决"})
    assert (wrapped.json()["status"], wrapped.json()["disposition"]) == (Status.ENDED, "已解决")
    assert state(floor, "agent") == State.READY
    kinds = list(ContactEvent.objects.filter(contact=contact).values_list("kind", flat=True))
    for kind in ("held", "retrieved", "consulted", "joined", "left", "conferenced", "ended", "closed"):
        assert kind in kinds
    assert not CallParty.objects.filter(ended_at__isnull=True).exists()


def test_a_transfer_through_the_api_to_a_queue_an_agent_and_a_number(ready, floor):
    api = ready("agent")
    contact = floor.call(0)
    floor.route(0)
    services.answer_contact(contact_id=contact.pk, now=at(1))
    url = f"/api/v1/console/contacts/{contact.pk}/transfer/"
    assert post(api, url, {}).status_code == 400
    assert post(api, url, {"queue": "NOPE"}).status_code == 400
    moved = post(api, url, {"queue": "TAX"})
    assert moved.status_code == 200
    assert (moved.json()["ended"]["status"], moved.json()["new"]["status"]) == (Status.ACW, Status.QUEUED)
    assert post(api, url, {"number": "12366"}).status_code == 409  # already ended


def test_someone_elses_contact_is_not_found_on_my_console(ready, api_as, floor):
    ready("agent")
    contact = floor.call(0)
    floor.route(0)
    for persona in ("teammate", "team_leader"):
        assert post(api_as(persona), f"/api/v1/console/contacts/{contact.pk}/end/").status_code == 404
    contact.refresh_from_db()
    assert contact.status == Status.OFFERED
