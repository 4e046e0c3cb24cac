"""CT-18 customer API: role × action matrix (view, edit, merge, unmask), search, detail, writes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from banzu.conftest import PERSONAS
from banzu.contact import customers
from banzu.contact.models import Contact, Customer
from banzu.contact.tests.factories import CustomerFactory, QueueFactory, channel
from banzu.core import scoping
from banzu.org.tests.factories import CentreFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"
SEES_PERSONAL_DATA = {
    "team_leader",
    "other_team_leader",
    "supervisor",
    "other_supervisor",
    "shift_lead",
    "manager",
    "admin",
}
EDITS = SEES_PERSONAL_DATA
MERGES = {"supervisor", "other_supervisor", "shift_lead", "manager", "admin"}
MATRIX_PERSONAS = [*PERSONAS, "vip_agent", "other_supervisor"]


@pytest.fixture
def wang(org):
    customer = CustomerFactory(
        centre=org.centre,
        name="王小明",
        phone="13912345678",
        vip_level=2,
        tags=["老客户"],
        id_number="110101199001011234",
        email="wang@example.cn",
        address="北京市朝阳区建国路88号",
    )
    started = timezone.now() - timedelta(hours=1)
    Contact.objects.create(
        centre=org.centre,
        channel=channel("voice"),
        queue=QueueFactory(department=org.department),
        agent=org.people["teammate"],
        customer=customer,
        caller_number="13912345678",
        external_id="SW-1",
        arrived_at=started,
        answered_at=started,
        ended_at=started + timedelta(minutes=2),
        status=Contact.Status.ENDED,
    )
    return customer


@pytest.mark.parametrize("persona", sorted(set(MATRIX_PERSONAS)))
def test_role_matrix_of_customer_actions(org, persona):
    user = org.people[persona].user
    assert scoping.can(user, customers.VIEW) is True
    assert scoping.can(user, customers.UNMASK) is (persona in SEES_PERSONAL_DATA)
    assert scoping.can(user, customers.EDIT) is (persona in EDITS)
    assert scoping.can(user, customers.MERGE) is (persona in MERGES)
    assert scoping.can(user, customers.HISTORY) is (persona in SEES_PERSONAL_DATA)


@pytest.mark.parametrize("persona", sorted(set(MATRIX_PERSONAS)))
def test_every_role_reads_the_centres_customers_masked_unless_it_needs_personal_data(org, api_as, wang, persona):
    CustomerFactory(centre=CentreFactory(code="SH", name="上海中心"), name="外地客户", phone="13700000000")
    listed = api_as(persona).get(URL).json()
    assert [row["id"] for row in listed["results"]] == [wang.pk]
    detail = api_as(persona).get(f"{URL}{wang.pk}/").json()
    if persona in SEES_PERSONAL_DATA:
        assert listed["results"][0]["name"] == "王小明" and detail["phone"] == "13912345678"
        assert detail["id_number"] == "110101199001011234" and detail["email"] == "wang@example.cn"
        assert detail["address"] == "北京市朝阳区建国路88号" and detail["masked"] is False
    else:
        assert listed["results"][0]["name"] == "王*明" and detail["phone"] == "139****5678"
        assert detail["numbers"][0]["number"] == "139****5678"
        assert detail["id_number"] == "110***********1234" and detail["email"] == "w***@example.cn"
        assert detail["address"] == "北京市朝阳区****" and detail["masked"] is True
        assert "王小明" not in str(detail) and "13912345678" not in str(detail)


@pytest.mark.parametrize(
    ("persona", "sees_contact"),
    [("agent", False), ("teammate", True), ("team_leader", True), ("other_team_leader", False), ("manager", True)],
)
def test_the_contact_history_is_what_the_reader_may_see(api_as, wang, persona, sees_contact):
    detail = api_as(persona).get(f"{URL}{wang.pk}/").json()
    assert len(detail["recent_contacts"]) == (1 if sees_contact else 0)
    if sees_contact and persona == "teammate":
        assert detail["recent_contacts"][0]["caller_number"] == "139****5678"


def test_another_centres_customer_answers_404(api_as):
    stranger = CustomerFactory(centre=CentreFactory(code="SH", name="上海中心"))
    assert api_as("manager").get(f"{URL}{stranger.pk}/").status_code == 404
    assert api_as("manager").patch(f"{URL}{stranger.pk}/", {"tags": ["x"]}, format="json").status_code == 404


def test_search_parameters(api_as, org, wang):
    CustomerFactory(centre=org.centre, name="李四", phone="13812345678")
    client = api_as("agent")

    def ids(**params):
        return [row["id"] for row in client.get(URL, params).json()["results"]]

    assert ids(q="王") == [wang.pk]
    assert ids(number="5678") == [wang.pk, Customer.objects.get(name="李四").pk]  # VIP first
    assert ids(number="13912345678") == [wang.pk]
    assert ids(vip="true") == [wang.pk]
    assert ids(tag="老客户") == [wang.pk]
    assert ids(tag="无此标签") == []


@pytest.mark.parametrize("persona", sorted(set(MATRIX_PERSONAS)))
def test_create_is_allowed_to_editors_only(api_as, persona):
    body = {"name": "新客户", "kind": "company", "numbers": [{"number": "010-88886666", "label": "work"}]}
    response = api_as(persona).post(URL, body, format="json")
    if persona in EDITS:
        assert response.status_code == 201, response.json()
        data = response.json()
        assert data["kind"] == "company" and data["numbers"][0]["number"] == "01088886666"
        assert data["numbers"][0]["primary"] is True
    else:
        assert response.status_code == 403
        assert not Customer.objects.exists()


def test_a_duplicate_number_answers_400_naming_the_field_and_the_other_customer(api_as, wang):
    body = {"name": "李四", "numbers": [{"number": "13912345678"}]}
    response = api_as("supervisor").post(URL, body, format="json")
    assert response.status_code == 400
    error = response.json()["fields"]["numbers[0].number"][0]
    assert error["code"] == "number_taken" and "王小明" in error["message"]


def test_patch_changes_only_what_is_sent(api_as, wang):
    response = api_as("team_leader").patch(f"{URL}{wang.pk}/", {"tags": ["投诉", "老客户"]}, format="json")
    assert response.status_code == 200, response.json()
    wang.refresh_from_db()
    assert wang.tags == ["投诉", "老客户"] and wang.name == "王小明" and wang.phone == "13912345678"
    response = api_as("team_leader").patch(f"{URL}{wang.pk}/", {"vip_level": 99}, format="json")
    assert response.status_code == 400 and response.json()["fields"]["vip_level"][0]["code"] == "vip_level_range"
    assert api_as("agent").patch(f"{URL}{wang.pk}/", {"tags": []}, format="json").status_code == 403


def test_put_is_not_offered(api_as, wang):
    assert api_as("manager").put(f"{URL}{wang.pk}/", {"name": "x"}, format="json").status_code == 405


@pytest.mark.parametrize("persona", sorted(set(MATRIX_PERSONAS)))
def test_merge_matrix(api_as, org, wang, persona):
    twin = CustomerFactory(centre=org.centre, name="王晓明", phone="13800000000")
    response = api_as(persona).post(f"{URL}{wang.pk}/merge/", {"source": twin.pk}, format="json")
    twin.refresh_from_db()
    if persona in MERGES:
        assert response.status_code == 200, response.json()
        assert twin.merged_into_id == wang.pk
        assert {n["number"] for n in response.json()["numbers"]} == {"13912345678", "13800000000"}
    else:
        assert response.status_code == 403
        assert twin.merged_into_id is None


def test_merge_errors(api_as, org, wang):
    client = api_as("manager")
    stranger = CustomerFactory(centre=CentreFactory(code="SH", name="上海中心"))
    response = client.post(f"{URL}{wang.pk}/merge/", {"source": stranger.pk}, format="json")
    assert response.status_code == 400 and response.json()["fields"]["source"][0]["code"] == "does_not_exist"
    response = client.post(f"{URL}{wang.pk}/merge/", {"source": wang.pk}, format="json")
    assert response.status_code == 400 and response.json()["fields"]["source"][0]["code"] == "same_customer"
    assert client.post(f"{URL}999999/merge/", {"source": wang.pk}, format="json").status_code == 404


def test_recent_work_orders_are_listed(api_as, org, wang):
    from banzu.workorders import services as wo_services

    contact = Contact.objects.get(external_id="SW-1")
    order = wo_services.create_work_order(
        user=org.people["teammate"].user,
        category="suggestion",
        location="人民路10号",
        summary="建议",
        now=timezone.now(),
        contact_id=contact.pk,
    )
    rows = api_as("supervisor").get(f"{URL}{wang.pk}/").json()["recent_work_orders"]
    assert [row["id"] for row in rows] == [order.pk]
    assert rows[0]["number"] == order.number
