"""The callbacks API over HTTP: status, body, rows; errors name the field and the rule."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from banzu.callbacks import services
from banzu.callbacks.models import CallbackAttempt, CallbackTask, Campaign, OnsiteOrder
from banzu.callbacks.tests.conftest import NOW, SHANGHAI, day, ended_contact

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english_messages(settings):
    """Messages are compared in English; the zh-Hans catalogue has its own test."""
    settings.LANGUAGE_CODE = "en"


def test_a_team_leader_sets_up_a_provincial_campaign(api_as, org):
    response = api_as("team_leader").post(
        "/api/v1/callback-campaigns/",
        {
            "name": "三月省内协议回访",
            "kind": "service_agreement",
            "region": "provincial",
            "collection_end": "2024-03-15",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["starts_on"], body["retry_on"]) == ("2024-03-18", "2024-03-21")
    assert body["kind_label"] and "服务态度" in body["script"]
    assert Campaign.objects.get(pk=body["id"]).created_by == org.people["team_leader"]


def test_a_missing_collection_period_answers_400_naming_the_field_and_saves_nothing(api_as):
    response = api_as("team_leader").post(
        "/api/v1/callback-campaigns/",
        {"name": "省内回访", "kind": "service_agreement", "region": "provincial"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["fields"]["collection_end"][0]["code"] == "required"
    assert "collection period" in body["message"]
    assert Campaign.objects.count() == 0


def test_an_agent_records_a_dissatisfied_callback_and_a_follow_up_opens(api_as, org, task):
    pending = task("agent", now=timezone.now() - timedelta(days=2))
    response = api_as("agent").post(
        f"/api/v1/callback-tasks/{pending.pk}/attempts/",
        {"outcome": "dissatisfied", "rating": 2, "opinion": "上门人员迟到"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["outcome"], body["rating"]) == ("done", "dissatisfied", 2)
    assert body["follow_up"] == CallbackTask.objects.get(follow_up_of=pending).pk
    assert [attempt["outcome"] for attempt in body["call_attempts"]] == ["dissatisfied"]


def test_a_rating_for_an_unreachable_customer_is_refused_and_nothing_is_written(api_as, task):
    pending = task("agent", now=timezone.now() - timedelta(days=2))
    response = api_as("agent").post(
        f"/api/v1/callback-tasks/{pending.pk}/attempts/", {"outcome": "unreachable", "rating": 4}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["rating"][0]["code"] == "rating_unreachable"
    assert CallbackAttempt.objects.count() == 0
    assert CallbackTask.objects.get(pk=pending.pk).attempts == 0


def test_the_worklist_is_the_callers_open_tasks_earliest_first(api_as, org, task, campaign):
    later = task("agent")
    sooner = task("agent", on=campaign(region="provincial", collection_end=day("2024-03-08")))
    task("teammate")
    finished = task("agent", now=timezone.now() - timedelta(days=2))
    services.record_attempt(user=org.people["agent"].user, task_id=finished.pk, outcome="satisfied", now=timezone.now())
    response = api_as("agent").get("/api/v1/callback-tasks/?mine=1")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [sooner.pk, later.pk]


def test_the_task_list_stays_within_a_query_budget(api_as, task, django_assert_max_num_queries):
    for _index in range(15):
        task("agent")
    client = api_as("team_leader")
    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/callback-tasks/")
    assert response.status_code == 200
    assert response.json()["count"] == 15


def test_an_on_site_order_goes_through_its_steps_over_the_api(api_as, org):
    agent, leader = api_as("agent"), api_as("team_leader")
    created = agent.post(
        "/api/v1/onsite-orders/",
        {
            "customer_name": "某某商贸",
            "phone": "027-84446666",
            "address": "武汉市汉阳区",
            "problem": "无法开票",
            "agreement_customer": False,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    order = created.json()
    registered = datetime.fromisoformat(order["registered_at"])
    assert datetime.fromisoformat(order["response_due_at"]) - registered == timedelta(hours=48)
    pk = order["id"]
    assert (
        agent.post(f"/api/v1/onsite-orders/{pk}/dispatch/", {"technician": "王师傅"}, format="json").status_code == 200
    )
    assert agent.post(f"/api/v1/onsite-orders/{pk}/accept/", {}, format="json").status_code == 200
    assert agent.post(f"/api/v1/onsite-orders/{pk}/complete/", {"result": "已修复"}, format="json").status_code == 200
    reviewed = leader.post(f"/api/v1/onsite-orders/{pk}/review/", {"review": "已回访确认"}, format="json")
    assert reviewed.status_code == 200
    assert reviewed.json()["status"] == "reviewed"
    assert OnsiteOrder.objects.get(pk=pk).history.count() == 5


def test_an_illegal_step_answers_409_naming_the_sequence_and_changes_nothing(api_as):
    agent = api_as("agent")
    pk = agent.post(
        "/api/v1/onsite-orders/",
        {"customer_name": "某某", "phone": "1", "address": "武汉", "problem": "坏了"},
        format="json",
    ).json()["id"]
    response = agent.post(f"/api/v1/onsite-orders/{pk}/complete/", {"result": "完成"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "wrong_step"
    assert "registered, dispatched, accepted, completed, reviewed" in response.json()["message"]
    assert OnsiteOrder.objects.get(pk=pk).status == "registered"


def test_a_missing_technician_is_named(api_as):
    agent = api_as("agent")
    pk = agent.post(
        "/api/v1/onsite-orders/",
        {"customer_name": "某某", "phone": "1", "address": "武汉", "problem": "坏了"},
        format="json",
    ).json()["id"]
    response = agent.post(f"/api/v1/onsite-orders/{pk}/dispatch/", {}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["technician"]


def test_satisfaction_per_agent_combines_ratings_and_callbacks_within_scope(api_as, org, campaign):
    march = datetime(2024, 3, 5, 10, tzinfo=SHANGHAI)
    for rating in (5, 4, 2):
        ended_contact(org, "agent", march, rating=rating)
    ended_contact(org, "teammate", march, rating=5)
    ended_contact(org, "other_agent", march, rating=1)
    ended_contact(org, "agent", march + timedelta(days=30), rating=1)  # April: not counted
    sample = campaign("team_leader", kind="resolved_sample", sample_month=day("2024-02-01"))
    ended_contact(org, "agent", datetime(2024, 2, 20, 10, tzinfo=SHANGHAI))
    (drawn,) = services.draw_monthly_sample(user=org.people["team_leader"].user, campaign_id=sample.pk, now=NOW)
    services.record_attempt(
        user=org.people["team_leader"].user,
        task_id=drawn.pk,
        outcome="satisfied",
        now=datetime(2024, 3, 15, 10, tzinfo=SHANGHAI),
    )
    leader = api_as("team_leader").get("/api/v1/satisfaction/?month=2024-03&group=agent").json()
    by_name = {row["label"]: row for row in leader}
    assert set(by_name) == {"张伟", "王芳"}  # team A only
    assert (by_name["张伟"]["ratings"], by_name["张伟"]["satisfied_ratings"]) == (3, 2)
    assert (by_name["张伟"]["callbacks_satisfied"], by_name["张伟"]["rate"]) == (1, 75.0)
    own = api_as("agent").get("/api/v1/satisfaction/?month=2024-03").json()
    assert [row["label"] for row in own] == ["张伟"]
    teams = api_as("supervisor").get("/api/v1/satisfaction/?month=2024-03&group=team").json()
    assert {row["label"]: row["ratings"] for row in teams} == {"一组": 4, "二组": 1}


@pytest.mark.parametrize("query", ["", "?month=2024-13", "?month=March", "?month=2024-03&group=queue"])
def test_a_bad_satisfaction_query_names_the_parameter(api_as, query):
    response = api_as("agent").get(f"/api/v1/satisfaction/{query}")
    assert response.status_code == 400
    assert set(response.json()["fields"]) <= {"month", "group"}
