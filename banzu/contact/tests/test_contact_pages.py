"""Contact records (CT-15): search with its filters and scope, masking, export, and one contact's
timeline built through the services."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from banzu.contact import services
from banzu.contact.models import AgentSession, Contact
from banzu.contact.tests.conftest import at
from banzu.contact.tests.factories import QueueFactory, channel

pytestmark = pytest.mark.django_db


def answered(floor, key="agent", seconds=0, number="13912345678", **kwargs):
    """A call offered to and answered by `key`, who logs in first if not in yet."""
    if not AgentSession.objects.filter(employee=floor.person(key)).exclude(state="logged_out").exists():
        floor.login(key, seconds - 10)
    contact = floor.call(seconds, caller_number=number, **kwargs)
    services.offer_contact(contact_id=contact.pk, agent_id=floor.person(key).pk, now=at(seconds + 1))
    return services.answer_contact(contact_id=contact.pk, now=at(seconds + 5))


def finished(floor, key="agent", seconds=0, **kwargs):
    contact = answered(floor, key, seconds, **kwargs)
    services.end_contact(contact_id=contact.pk, now=at(seconds + 65))
    return services.finish_acw(contact_id=contact.pk, now=at(seconds + 80), disposition="咨询已答复")


@pytest.fixture
def calls(floor):
    """An answered and finished call of agent, one of other_agent, and one still waiting."""
    mine = finished(floor, "agent")
    theirs = finished(floor, "other_agent", seconds=200, number="13800001111")
    waiting = floor.call(400, caller_number="13700002222")
    return {"mine": mine, "theirs": theirs, "waiting": waiting}


def listed(response) -> set[int]:
    return {item["contact"].pk for item in response.context["items"]}


SEARCH_SCOPE = [
    ("agent", {"mine"}),
    ("teammate", set()),
    ("team_leader", {"mine"}),
    ("other_team_leader", {"theirs"}),
    ("supervisor", {"mine", "theirs"}),
    ("manager", {"mine", "theirs", "waiting"}),
    ("qa", {"mine", "theirs", "waiting"}),
]


@pytest.mark.parametrize(("persona", "expected"), SEARCH_SCOPE)
def test_the_search_lists_the_users_scope(client_as, calls, persona, expected):
    response = client_as(persona).get(reverse("contact:contacts"))
    assert response.status_code == 200
    shown = listed(response)
    assert {calls[key].pk for key in expected} <= shown
    assert not shown & {calls[key].pk for key in set(calls) - expected - {"waiting"}}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"agent": "{agent}"}, {"mine"}),
        ({"status": "queued"}, {"waiting"}),
        ({"status": "nonsense"}, {"mine", "theirs", "waiting"}),
        ({"number": "1111"}, {"theirs"}),
        ({"disposition": "答复"}, {"mine", "theirs"}),
        ({"direction": "outbound"}, set()),
        ({"work_order": "no", "status": "ended"}, {"mine", "theirs"}),
        ({"work_order": "yes"}, set()),
        ({"since": "2025-03-15"}, set()),
        ({"since": "2025-03-14", "until": "2025-03-14"}, {"mine", "theirs", "waiting"}),
        ({"until": "2025-03-13"}, set()),
        ({"queue": "{queue}", "channel": "{channel}"}, {"mine", "theirs", "waiting"}),
    ],
)
def test_the_search_filters(client_as, floor, calls, params, expected):
    values = {"agent": floor.person("agent").pk, "queue": floor.queue.pk, "channel": channel("voice").pk}
    query = {key: value.format(**values) for key, value in params.items()}
    response = client_as("manager").get(reverse("contact:contacts"), query)
    assert listed(response) == {calls[key].pk for key in expected}


def test_the_search_finds_a_queue_and_a_work_order(client_as, org, floor, calls):
    from banzu.workorders.services import create_work_order

    other = QueueFactory(department=org.department, code="OTHER")
    create_work_order(
        user=floor.person("agent").user,
        category="suggestion",
        location="人民路10号",
        summary="建议延长办税大厅开放时间",
        now=at(100),
        contact_id=calls["mine"].pk,
    )
    client = client_as("manager")
    assert listed(client.get(reverse("contact:contacts"), {"work_order": "yes"})) == {calls["mine"].pk}
    assert listed(client.get(reverse("contact:contacts"), {"queue": other.pk})) == set()


def test_numbers_are_masked_for_roles_that_may_not_see_them(client_as, calls):
    agent_page = client_as("agent").get(reverse("contact:contacts")).content.decode()
    assert "139****5678" in agent_page and "13912345678" not in agent_page
    leader_page = client_as("team_leader").get(reverse("contact:contacts")).content.decode()
    assert "13912345678" in leader_page


def test_an_empty_search_says_why_and_offers_to_clear(client_as, calls):
    page = client_as("manager").get(reverse("contact:contacts"), {"number": "000000"}).content.decode()
    assert 'id="contact-list"' not in page
    assert 'class="empty"' in page and 'href="/contact/contacts/"' in page


def test_the_search_pages_by_fifty(client_as, floor):
    for n in range(51):
        floor.call(n, caller_number=f"1390000{n:04d}")
    client = client_as("manager")
    first = client.get(reverse("contact:contacts"))
    assert len(first.context["items"]) == 50
    assert len(client.get(reverse("contact:contacts"), {"page": 2}).context["items"]) == 1


@pytest.mark.parametrize(("persona", "status"), [("agent", 403), ("team_leader", 200), ("qa", 200)])
def test_the_export_is_for_leaders_and_qa(client_as, calls, persona, status):
    from openpyxl import load_workbook

    response = client_as(persona).get(reverse("contact:contacts_export"))
    assert response.status_code == status
    if status == 200:
        rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
        ids = {row[0] for row in rows[1:]}
        assert calls["mine"].pk in ids
        assert (calls["theirs"].pk in ids) == (persona == "qa")
        mine = next(row for row in rows if row[0] == calls["mine"].pk)
        assert mine[6] == ("139****5678" if persona == "qa" else "13912345678")  # QA sees numbers masked
        assert mine[8] == calls["mine"].wait_seconds


# --- one contact --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("agent", 200), ("teammate", 404), ("team_leader", 200), ("other_team_leader", 404), ("supervisor", 200)],
)
def test_a_contact_is_seen_in_scope_only(client_as, calls, persona, status):
    assert client_as(persona).get(reverse("contact:contact", args=[calls["mine"].pk])).status_code == status


def test_the_timeline_shows_every_event_and_state_change_in_order(client_as, floor):
    contact = finished(floor)
    response = client_as("team_leader").get(reverse("contact:contact", args=[contact.pk]))
    timeline = response.context["timeline"]
    events = [entry["kind"] for entry in timeline if entry["kind"] != "state"]
    assert events == ["queued", "offered", "answered", "ended", "closed"]
    assert [entry["time"] for entry in timeline if entry["kind"] != "state"] == [
        "10:00:00",
        "10:00:01",
        "10:00:05",
        "10:01:05",
        "10:01:20",
    ]
    states = [entry["state"] for entry in timeline if entry["kind"] == "state"]
    assert states == ["ringing", "busy", "acw", "ready"]
    assert [entry["at"] for entry in timeline] == sorted(entry["at"] for entry in timeline)
    page = response.content.decode()
    assert "10:00:05" in page and "咨询已答复" in page


def test_a_transfer_links_both_legs(client_as, org, floor):
    billing = QueueFactory(department=org.department, code="BILL", name="缴费专线")
    contact = answered(floor)
    old, new = services.transfer_contact(contact_id=contact.pk, now=at(30), to_queue=billing)
    client = client_as("manager")
    old_timeline = client.get(reverse("contact:contact", args=[old.pk])).context["timeline"]
    transfer = next(entry for entry in old_timeline if entry["kind"] == "transferred")
    assert "缴费专线" in transfer["text"] and transfer["link"] == new.pk
    new_page = client.get(reverse("contact:contact", args=[new.pk]))
    origin = new_page.context["timeline"][0]
    assert origin["link"] == old.pk
    assert f'href="/contact/contacts/{old.pk}/"' in new_page.content.decode()


def test_the_detail_offers_a_work_order_until_one_exists(client_as, floor):
    from banzu.workorders.services import create_work_order

    contact = finished(floor)
    client = client_as("agent")
    page = client.get(reverse("contact:contact", args=[contact.pk]))
    assert page.context["create_url"] == f"/workorders/new/?contact={contact.pk}"
    order = create_work_order(
        user=floor.person("agent").user,
        category="suggestion",
        location="人民路10号",
        summary="建议延长办税大厅开放时间",
        now=at(100),
        contact_id=contact.pk,
    )
    page = client.get(reverse("contact:contact", args=[contact.pk]))
    assert page.context["create_url"] is None
    assert order.number in page.content.decode()


def test_the_detail_masks_the_caller_for_an_agent(client_as, floor):
    contact = finished(floor)
    assert client_as("agent").get(reverse("contact:contact", args=[contact.pk])).context["caller"] == "139****5678"
    assert client_as("team_leader").get(reverse("contact:contact", args=[contact.pk])).context["caller"] == (
        "13912345678"
    )


def test_the_detail_lists_the_contacts_service_rule_exceptions(client_as, floor):
    from banzu.contact.models import ServiceException

    contact = finished(floor)
    kind = ServiceException.Kind.values[0]
    ServiceException.objects.create(
        centre=floor.centre,
        contact=contact,
        agent=floor.person("agent"),
        kind=kind,
        seconds=400,
        limit_seconds=300,
        detected_at=at(90),
    )
    assert len(client_as("team_leader").get(reverse("contact:contact", args=[contact.pk])).context["exceptions"]) == 1
    assert client_as("agent").get(reverse("contact:contact", args=[contact.pk])).context["exceptions"] == []


def test_a_missing_contact_is_404(client_as, floor):
    assert client_as("manager").get(reverse("contact:contact", args=[999999])).status_code == 404
    assert Contact.objects.count() == 0


def _queries(client, url, params=None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params or {}).status_code == 200
    return len(captured)


def test_the_search_reads_the_same_number_of_queries_for_more_rows(client_as, floor):
    client = client_as("manager")
    finished(floor)
    few = _queries(client, reverse("contact:contacts"))
    for n in range(5):
        finished(floor, seconds=100 * (n + 1), number=f"1380000{n:04d}")
    assert _queries(client, reverse("contact:contacts")) == few


def test_the_detail_reads_the_same_number_of_queries_for_a_longer_timeline(client_as, floor):
    client = client_as("manager")
    short = finished(floor)
    few = _queries(client, reverse("contact:contact", args=[short.pk]))
    long = answered(floor, seconds=300)
    for n in range(3):
        services.hold_contact(contact_id=long.pk, now=at(310 + 10 * n))
        services.retrieve_contact(contact_id=long.pk, now=at(315 + 10 * n))
    services.end_contact(contact_id=long.pk, now=at(400))
    services.finish_acw(contact_id=long.pk, now=at(410))
    assert _queries(client, reverse("contact:contact", args=[long.pk])) == few
