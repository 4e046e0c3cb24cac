"""The callback pages: campaign set-up, the agent's worklist with the script and the outcome form,
the dispatch board with overdue marks, the satisfaction page with its chart data."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from banzu.callbacks import services
from banzu.callbacks.models import CallbackTask, Campaign, OnsiteOrder

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_messages(settings):
    settings.LANGUAGE_CODE = "en"


def test_a_team_leader_sets_up_a_campaign_on_the_page(client_as, org):
    response = client_as("team_leader").post(
        "/callbacks/campaigns/new/",
        {"name": "上门服务回访", "kind": "onsite_service", "region": "city", "script": ""},
    )
    campaign = Campaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/callbacks/campaigns/{campaign.pk}/"
    page = client_as("team_leader").get(response["Location"]).content.decode()
    assert "上门时间，上门人员" in page


def test_a_campaign_form_with_a_missing_field_shows_the_error_on_it(client_as):
    response = client_as("team_leader").post("/callbacks/campaigns/new/", {"name": "", "kind": "", "region": ""})
    assert response.status_code == 422
    assert "Enter the campaign name." in response.content.decode()
    assert Campaign.objects.count() == 0


def test_the_worklist_shows_the_agents_callbacks_and_marks_the_overdue_ones(client_as, task):
    overdue = task("agent", now=timezone.now() - timedelta(days=3), customer_name="逾期客户公司")
    task("agent", customer_name="今日客户公司", now=timezone.now())
    task("teammate", customer_name="别人的客户", now=timezone.now())
    page = client_as("agent").get("/callbacks/worklist/").content.decode()
    assert "逾期客户公司" in page and "今日客户公司" in page and "别人的客户" not in page
    (row,) = re.findall(r'<tr class="table-danger">.*?</tr>', page, re.S)
    assert f"/callbacks/tasks/{overdue.pk}/" in row


def test_the_task_page_shows_the_script_and_the_outcome_form(client_as, task):
    pending = task("agent")
    page = client_as("agent").get(f"/callbacks/tasks/{pending.pk}/").content.decode()
    assert "服务态度服务质量" in page
    assert f'hx-post="/callbacks/tasks/{pending.pk}/attempt/"' in page
    assert 'value="dissatisfied"' in page


def test_an_htmx_outcome_without_the_opinion_answers_the_form_with_the_error(client_as, task):
    pending = task("agent", now=timezone.now() - timedelta(days=2))
    response = client_as("agent").post(
        f"/callbacks/tasks/{pending.pk}/attempt/", {"outcome": "dissatisfied"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="cb-attempt"')  # the partial, not the page
    assert "dissatisfied customer is followed up" in body
    assert CallbackTask.objects.get(pk=pending.pk).attempts == 0


def test_an_htmx_outcome_that_saves_redirects_to_the_task(client_as, task):
    pending = task("agent", now=timezone.now() - timedelta(days=2))
    response = client_as("agent").post(
        f"/callbacks/tasks/{pending.pk}/attempt/", {"outcome": "satisfied", "rating": "5"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/callbacks/tasks/{pending.pk}/"
    assert CallbackTask.objects.get(pk=pending.pk).rating == 5


def test_the_dispatch_board_marks_orders_past_their_limit(client_as, org):
    def register(name, hours_ago):
        return services.register_onsite(
            user=org.people["agent"].user,
            customer_name=name,
            phone="027-1",
            address="武汉",
            problem="坏了",
            agreement_customer=True,
            now=timezone.now() - timedelta(hours=hours_ago),
        )

    late, fresh = register("超时客户", 30), register("新客户", 1)
    page = client_as("team_leader").get("/callbacks/onsite/").content.decode()
    late_card = re.search(rf'<a class="[^"]*onsite-overdue[^"]*" href="/callbacks/onsite/{late.pk}/">', page)
    assert late_card is not None
    assert f'onsite-overdue" href="/callbacks/onsite/{fresh.pk}/"' not in page


def test_the_order_page_shows_the_steps_and_the_next_one(client_as, org):
    order = services.register_onsite(
        user=org.people["agent"].user,
        customer_name="某某",
        phone="1",
        address="武汉",
        problem="坏了",
        agreement_customer=False,
        now=timezone.now(),
    )
    page = client_as("agent").get(f"/callbacks/onsite/{order.pk}/").content.decode()
    assert 'class="step-item active" aria-current="step">Registered' in page
    assert f'action="/callbacks/onsite/{order.pk}/dispatch/"' in page
    response = client_as("agent").post(f"/callbacks/onsite/{order.pk}/dispatch/", {"technician": "王师傅"})
    assert response.status_code == 302
    assert OnsiteOrder.objects.get(pk=order.pk).status == "dispatched"


def test_the_satisfaction_page_carries_the_chart_data_and_loads_echarts(client_as):
    page = client_as("team_leader").get("/callbacks/satisfaction/?month=2024-03&group=team").content.decode()
    assert "vendor/echarts/echarts.min.js" in page and "callbacks/satisfaction.js" in page
    data = json.loads(
        re.search(r'<script id="satisfaction-data" type="application/json">(.*?)</script>', page).group(1)
    )
    assert len(data["months"]) == len(data["rates"]) == 6
    assert "<script>" not in page  # CSP: no inline scripts
