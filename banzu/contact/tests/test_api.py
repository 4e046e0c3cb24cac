"""Read API of contacts and routing: role × record matrix (ORG-7), masking (CT-18), query ceilings."""

from __future__ import annotations

import pytest

from banzu.conftest import PERSONAS
from banzu.contact import services
from banzu.contact.models import AgentSession
from banzu.contact.tests.conftest import at
from banzu.contact.tests.factories import CustomerFactory, QueueFactory
from banzu.org.models import EmployeeSkill

pytestmark = pytest.mark.django_db

CENTRE_WIDE = {"shift_lead", "qa", "trainer", "manager", "hr", "admin"}
DEPARTMENT_1 = set(PERSONAS) - {"other_supervisor"}

# Who sees a contact handled by each agent (and a contact still waiting, held by nobody).
CONTACT_SEEN_BY = {
    "teammate": {"teammate", "team_leader", "supervisor", *CENTRE_WIDE},
    "other_agent": {"other_agent", "other_team_leader", "supervisor", *CENTRE_WIDE},
    "vip_agent": {"other_supervisor", *CENTRE_WIDE},
    "waiting": CENTRE_WIDE,
}
CONTACTS_LISTED_FOR = {
    "agent": set(),
    "teammate": {"teammate"},
    "other_agent": {"other_agent"},
    "team_leader": {"teammate"},
    "other_team_leader": {"other_agent"},
    "supervisor": {"teammate", "other_agent"},
    "other_supervisor": {"vip_agent"},
    **dict.fromkeys(CENTRE_WIDE, {"teammate", "other_agent", "vip_agent", "waiting"}),
}


@pytest.fixture
def records(floor):
    """One finished call per agent, handled through the services, and one call still waiting."""
    EmployeeSkill.objects.create(employee=floor.person("vip_agent"), skill=floor.tax, level=5)
    customer = CustomerFactory(centre=floor.centre, name="王小明", phone="13912345678", vip_level=1)
    made = {}
    for n, key in enumerate(("teammate", "other_agent", "vip_agent")):
        t = n * 1000
        floor.login(key, seconds=t)
        contact = floor.call(seconds=t, caller_number="13912345678", external_id=f"call-{key}")
        [offered] = floor.route(seconds=t + 1)
        assert offered.pk == contact.pk
        services.answer_contact(contact_id=contact.pk, now=at(t + 5))
        services.end_contact(contact_id=contact.pk, now=at(t + 65))
        services.finish_acw(contact_id=contact.pk, now=at(t + 80))
        services.set_agent_state(agent=floor.person(key), action="logout", now=at(t + 90))
        made[key] = contact
    made["waiting"] = floor.call(seconds=5000, customer=customer)
    other_queue = QueueFactory(department=floor.org.other_department, code="VIPQ", name="VIP热线")
    return {"contacts": made, "queue": floor.queue, "other_queue": other_queue}


def _contact_url(records, key):
    return f"/api/v1/contacts/{records['contacts'][key].pk}/"


def answers(api_as, url: str) -> dict[str, int]:
    return {persona: api_as(persona).get(url).status_code for persona in PERSONAS}


def expect(seen_by: set[str]) -> dict[str, int]:
    return {persona: 200 if persona in seen_by else 404 for persona in PERSONAS}


@pytest.mark.parametrize("holder", list(CONTACT_SEEN_BY))
def test_a_contact_is_seen_by_its_agent_their_leaders_and_centre_roles_only(api_as, records, holder):
    assert answers(api_as, _contact_url(records, holder)) == expect(CONTACT_SEEN_BY[holder])


def test_the_contact_list_holds_exactly_the_personas_scope(api_as, records):
    listed = {}
    for persona in PERSONAS:
        response = api_as(persona).get("/api/v1/contacts/?page_size=100")
        assert response.status_code == 200
        listed[persona] = {row["id"] for row in response.json()["results"]}
    contacts = records["contacts"]
    assert listed == {persona: {contacts[key].pk for key in CONTACTS_LISTED_FOR[persona]} for persona in PERSONAS}


def test_queues_are_seen_within_the_staffing_department(api_as, records):
    assert answers(api_as, f"/api/v1/queues/{records['queue'].pk}/") == expect(DEPARTMENT_1)
    assert answers(api_as, f"/api/v1/queues/{records['other_queue'].pk}/") == expect({"other_supervisor", *CENTRE_WIDE})
    assert set(answers(api_as, "/api/v1/queues/").values()) == {200}


def test_agent_states_are_seen_like_the_roster(api_as, records):
    session = AgentSession.objects.get(employee__employee_no="teammate")
    assert answers(api_as, f"/api/v1/agent-states/{session.pk}/") == expect(CONTACT_SEEN_BY["teammate"])
    assert set(answers(api_as, "/api/v1/agent-states/").values()) == {200}


def test_anonymous_callers_get_nothing(client, records):
    for url in ("/api/v1/queues/", "/api/v1/contacts/", "/api/v1/agent-states/"):
        assert client.get(url).status_code in (401, 403)


def test_a_queue_shows_the_number_waiting_and_the_centres_service_level_target(api_as, records):
    response = api_as("manager").get(f"/api/v1/queues/{records['queue'].pk}/")
    body = response.json()
    assert (body["waiting"], body["channel"], body["strategy"]) == (1, "voice", "longest_idle")
    assert (body["service_level_percent"], body["service_level_seconds"]) == (80, 20)


def test_a_queues_own_service_level_target_wins_over_the_policy(api_as, records):
    queue = records["queue"]
    queue.service_level_percent, queue.service_level_seconds = 90, 15
    queue.save()
    body = api_as("agent").get(f"/api/v1/queues/{queue.pk}/").json()
    assert (body["service_level_percent"], body["service_level_seconds"]) == (90, 15)


def test_an_agent_sees_the_customers_number_masked_and_a_team_leader_in_full(api_as, records):
    url = _contact_url(records, "teammate")
    masked = api_as("teammate").get(url).json()
    full = api_as("team_leader").get(url).json()
    assert masked["caller_number"] == "139****5678"
    assert full["caller_number"] == "13912345678"
    waiting = _contact_url(records, "waiting")
    assert api_as("qa").get(waiting).json()["customer_name"] == "王*明"
    assert api_as("manager").get(waiting).json()["customer_name"] == "王小明"


def test_a_contact_record_carries_its_times_durations_and_agent(api_as, records):
    body = api_as("teammate").get(_contact_url(records, "teammate")).json()
    assert (body["status"], body["agent_no"], body["queue"], body["external_id"]) == (
        "ended",
        "teammate",
        "TAX",
        "call-teammate",
    )
    assert (body["wait_seconds"], body["talk_seconds"], body["acw_seconds"]) == (5, 60, 15)


def test_the_contact_list_filters_by_status_and_queue(api_as, records):
    client = api_as("manager")
    rows = client.get("/api/v1/contacts/?status=queued").json()["results"]
    assert [row["id"] for row in rows] == [records["contacts"]["waiting"].pk]
    assert client.get("/api/v1/contacts/?queue=NOPE").json()["results"] == []


def test_the_agent_state_list_shows_states_with_labels(api_as, records, floor):
    floor.login("agent", seconds=9000)
    rows = api_as("team_leader").get("/api/v1/agent-states/").json()["results"]
    states = {row["employee_no"]: row["state"] for row in rows}
    assert states == {"agent": "ready", "teammate": "logged_out"}


def test_list_endpoints_keep_a_query_ceiling(api_as, records, floor, django_assert_max_num_queries):
    for n in range(15):
        floor.call(seconds=6000 + n, caller_number=f"1390000{n:04d}")
    client = api_as("manager")
    for url in ("/api/v1/contacts/", "/api/v1/queues/", "/api/v1/agent-states/"):
        with django_assert_max_num_queries(12):
            assert client.get(url).status_code == 200
