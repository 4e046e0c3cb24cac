"""CT-18 customer pages: search list, detail with history, create/edit with numbers, merge; one real
browser run (search by number, open, edit a tag)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from banzu.contact.models import Contact, Customer
from banzu.contact.tests.factories import CustomerFactory, QueueFactory, channel

pytestmark = pytest.mark.django_db
PASSWORD = "pw-banzu-test"


@pytest.fixture
def page_as(client_as):
    def make(persona: str):
        client = client_as(persona)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


@pytest.fixture
def wang(org):
    customer = CustomerFactory(
        centre=org.centre,
        name="王小明",
        phone="13912345678",
        vip_level=2,
        tags=["老客户"],
        id_number="110101199001011234",
    )
    started = timezone.now() - timedelta(hours=1)
    Contact.objects.create(
        centre=org.centre,
        channel=channel("voice"),
        queue=QueueFactory(department=org.department),
        agent=org.people["agent"],
        customer=customer,
        caller_number="13912345678",
        external_id="SW-1",
        arrived_at=started,
        answered_at=started,
        ended_at=started + timedelta(minutes=2),
        status=Contact.Status.ENDED,
    )
    return customer


def test_the_list_searches_by_partial_number_and_masks_for_agents(page_as, wang):
    html = page_as("agent").get("/contact/customers/", {"q": "5678"}).content.decode()
    assert "王*明" in html and "139****5678" in html and "王小明" not in html
    assert "VIP 2" in html and "老客户" in html
    html = page_as("supervisor").get("/contact/customers/", {"q": "5678"}).content.decode()
    assert "王小明" in html and "13912345678" in html


def test_the_empty_list_says_why_and_offers_a_next_step(page_as, wang):
    html = page_as("supervisor").get("/contact/customers/", {"q": "不存在的人"}).content.decode()
    assert "No customer found" in html and "Clear the filters" in html and "New customer" in html
    html = page_as("agent").get("/contact/customers/", {"q": "不存在的人"}).content.decode()
    assert "New customer" not in html


def test_the_list_paginates(page_as, org):
    for n in range(51):
        CustomerFactory(centre=org.centre, name=f"客户{n:02d}")
    first = page_as("manager").get("/contact/customers/").content.decode()
    assert "1 / 2" in first and "Next page" in first


def test_the_detail_shows_numbers_contacts_and_history_to_those_who_may_see_them(page_as, wang):
    html = page_as("team_leader").get(f"/contact/customers/{wang.pk}/").content.decode()
    assert "13912345678" in html and "110101199001011234" in html and "History of changes" in html
    contact = Contact.objects.get(external_id="SW-1")
    assert f'href="/contact/contacts/{contact.pk}/"' in html
    assert "2" in html and "老客户" in html
    agent_html = page_as("agent").get(f"/contact/customers/{wang.pk}/").content.decode()
    assert "139****5678" in agent_html and "110***********1234" in agent_html
    assert "History of changes" not in agent_html and "13912345678" not in agent_html
    assert "Personal data is shown masked for your role." in agent_html
    # The agent handled the contact; another agent does not see it.
    assert (
        "No contact of this customer is in your scope"
        in page_as("other_agent").get(f"/contact/customers/{wang.pk}/").content.decode()
    )


def test_another_centres_customer_is_404(page_as):
    from banzu.org.tests.factories import CentreFactory

    stranger = CustomerFactory(centre=CentreFactory(code="SH", name="上海中心"))
    assert page_as("manager").get(f"/contact/customers/{stranger.pk}/").status_code == 404


def _form(customer_numbers, **fields):
    data = {
        "kind": "person",
        "name": "李四",
        "vip_level": "0",
        "tags": "投诉, 老客户",
        "id_number": "",
        "email": "",
        "address": "",
        "notes": "",
        "numbers-TOTAL_FORMS": str(len(customer_numbers)),
        "numbers-INITIAL_FORMS": "0",
        "numbers-MIN_NUM_FORMS": "0",
        "numbers-MAX_NUM_FORMS": "20",
    }
    for i, number in enumerate(customer_numbers):
        data[f"numbers-{i}-number"] = number
        data[f"numbers-{i}-label"] = "mobile"
    data.update(fields)
    return data


def test_create_with_numbers_and_a_duplicate_number_shown_beside_its_row(page_as, wang):
    client = page_as("supervisor")
    response = client.post("/contact/customers/new/", _form(["13800000000", "139-1234-5678"]))
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_numbers-1-number_error"' in html and "王小明" in html
    response = client.post("/contact/customers/new/", _form(["13800000000", ""]))
    assert response.status_code == 302
    created = Customer.objects.get(name="李四")
    assert created.phone == "13800000000" and created.tags == ["投诉", "老客户"]


def test_edit_removes_a_number_and_agents_may_not_edit(page_as, wang):
    data = _form(["13912345678", "01088886666"], name="王小明", **{"numbers-1-DELETE": "on"})
    assert page_as("team_leader").post(f"/contact/customers/{wang.pk}/edit/", data).status_code == 302
    assert list(wang.numbers.values_list("number", flat=True)) == ["13912345678"]
    assert page_as("agent").get(f"/contact/customers/{wang.pk}/edit/").status_code == 403
    assert page_as("agent").get("/contact/customers/new/").status_code == 403


def test_merge_page(page_as, org, wang):
    twin = CustomerFactory(centre=org.centre, name="王晓明", phone="13800000000")
    client = page_as("supervisor")
    html = client.get(f"/contact/customers/{wang.pk}/merge/", {"q": "王晓明"}).content.decode()
    assert f"source={twin.pk}" in html
    assert client.post(f"/contact/customers/{wang.pk}/merge/", {"source": "999999"}).status_code == 422
    assert client.post(f"/contact/customers/{wang.pk}/merge/", {"source": twin.pk}).status_code == 302
    twin.refresh_from_db()
    assert twin.merged_into_id == wang.pk
    assert page_as("team_leader").get(f"/contact/customers/{wang.pk}/merge/").status_code == 403


@pytest.mark.browser
def test_search_by_number_open_and_edit_a_tag_in_a_browser(page, live_server, org):
    customer = CustomerFactory(centre=org.centre, name="王小明", phone="13912345678", tags=["老客户"])
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "team_leader")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/contact/customers/")
    page.fill("#cust-q", "1234-5678")
    page.press("#cust-q", "Enter")
    page.click("text=王小明")
    page.wait_for_url(f"**/contact/customers/{customer.pk}/")
    page.click(f"a[href='/contact/customers/{customer.pk}/edit/']")
    page.fill("input[name=tags]", "老客户, 投诉")
    page.click("button[type=submit].btn-primary")
    page.wait_for_url(f"**/contact/customers/{customer.pk}/")
    assert "投诉" in page.inner_text("[data-testid=customer-tags]")
    customer.refresh_from_db()
    assert customer.tags == ["老客户", "投诉"]
