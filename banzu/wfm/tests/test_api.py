"""WFM-1 … WFM-3 over HTTP: forecasts, requirements, ad-hoc staffing and scenarios; errors name the field."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from banzu.wfm.models import ForecastSnapshot, StaffingRequirement, WhatIfScenario
from banzu.wfm.tests.factories import DAY, ZONE, arrived, manual_forecast, manual_intervals, planning_queue

pytestmark = pytest.mark.django_db

FORECASTS = "/api/v1/wfm/forecasts/"
STAFFING = "/api/v1/wfm/staffing/"
SCENARIOS = "/api/v1/wfm/scenarios/"


@pytest.fixture
def queue(org):
    return planning_queue(org)


@pytest.fixture
def snapshot(org, queue):
    return manual_forecast(org, queue, volume=lambda m: 100.0 if m.hour == 10 else 0.0)


def chinese(api):
    api.credentials(HTTP_ACCEPT_LANGUAGE="zh-hans")
    return api


def fields(response) -> dict:
    body = response.json()
    assert body["code"] == "invalid", body
    return body["fields"]


# --- forecasts -------------------------------------------------------------------------------------------


def test_a_planner_creates_a_forecast_from_intervals_and_publishes_it(org, api_as, queue):
    api = api_as("supervisor")
    body = {
        "queue": queue.pk,
        "interval_minutes": 30,
        "horizon_start": DAY.isoformat(),
        "horizon_days": 1,
        "intervals": manual_intervals(DAY),
    }
    created = api.post(FORECASTS, body, format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["method"] == "manual" and data["is_published"] is False
    assert len(data["intervals"]) == 48
    assert data["intervals"][20] == {
        "start": datetime.combine(DAY, time(10), tzinfo=ZONE).isoformat(),
        "volume": 40.0,
        "aht_seconds": 180.0,
    }
    assert data["accuracy"]["intervals"] == 48  # all in the past, and no contact arrived
    assert data["accuracy"]["wape"] is None
    published = api.post(f"{FORECASTS}{data['id']}/publish/")
    assert published.status_code == 200
    assert published.json()["published_by_name"] == org.people["supervisor"].name
    again = api.post(f"{FORECASTS}{data['id']}/publish/")
    assert again.status_code == 409
    assert again.json()["code"] == "already_published"
    assert api.delete(f"{FORECASTS}{data['id']}/").status_code == 409


def test_the_list_shows_totals_and_filters_by_publication(org, api_as, queue, snapshot):
    other = manual_forecast(org, queue)
    api_as("manager").post(f"{FORECASTS}{other.pk}/publish/")
    api = api_as("team_leader")
    rows = api.get(FORECASTS).json()["results"]
    assert {row["id"] for row in rows} == {snapshot.pk, other.pk}
    assert {row["id"]: row["total_volume"] for row in rows} == {snapshot.pk: 200.0, other.pk: 640.0}
    assert [row["id"] for row in api.get(f"{FORECASTS}?published=true").json()["results"]] == [other.pk]
    assert [row["id"] for row in api.get(f"{FORECASTS}?published=false").json()["results"]] == [snapshot.pk]


def test_the_forecast_list_has_a_query_ceiling(org, api_as, queue, django_assert_max_num_queries):
    for _ in range(5):
        manual_forecast(org, queue)
    api = api_as("manager")
    with django_assert_max_num_queries(8):
        assert len(api.get(FORECASTS).json()["results"]) == 5


def test_the_detail_reports_accuracy_against_arrived_contacts(org, api_as, queue):
    old = manual_forecast(org, queue, volume=lambda m: 2.0 if m.hour == 10 else 0.0)
    ten = datetime.combine(DAY, time(10), tzinfo=ZONE)
    arrived(queue, [ten + timedelta(minutes=k) for k in (1, 2, 3, 31)])
    accuracy = api_as("manager").get(f"{FORECASTS}{old.pk}/").json()["accuracy"]
    assert accuracy["intervals"] == 48
    assert accuracy["actual_total"] == 4 and accuracy["forecast_total"] == 4
    assert accuracy["wape"] == pytest.approx(2 / 4)
    assert api_as("manager").get(f"{FORECASTS}{old.pk}/accuracy/").json() == accuracy


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"horizon_days": 0}, "horizon_days"),
        ({"interval_minutes": 7}, "interval_minutes"),
        ({"queue": 999999}, "queue"),
        ({"horizon_start": "03/03/2025"}, "horizon_start"),
    ],
)
def test_a_bad_forecast_request_names_the_field(org, api_as, queue, change, field):
    body = {
        "queue": queue.pk,
        "interval_minutes": 30,
        "horizon_start": DAY.isoformat(),
        "horizon_days": 1,
        "intervals": manual_intervals(DAY),
        **change,
    }
    response = api_as("manager").post(FORECASTS, body, format="json")
    assert response.status_code == 400
    assert field in fields(response)
    assert not ForecastSnapshot.objects.exists()


def test_a_negative_interval_volume_is_refused(org, api_as, queue):
    rows = manual_intervals(DAY)
    rows[5]["volume"] = -2
    body = {"queue": queue.pk, "interval_minutes": 30, "horizon_start": DAY.isoformat(), "horizon_days": 1}
    response = api_as("manager").post(FORECASTS, {**body, "intervals": rows}, format="json")
    assert response.status_code == 400
    assert list(fields(response)) == ["intervals[5].volume"]


# --- requirements ----------------------------------------------------------------------------------------


def test_requirements_are_computed_on_get_and_stored_on_post(org, api_as, snapshot):
    url = f"{FORECASTS}{snapshot.pk}/requirements/"
    read = api_as("team_leader").get(f"{url}?service_level_percent=80&service_level_seconds=20&shrinkage_percent=30")
    assert read.status_code == 200
    body = read.json()
    assert body["stored"] is False
    assert body["basis"]["model"] == "erlang_c"
    ten = [row for row in body["intervals"] if row["start"][11:13] == "10"]
    assert {(row["required"], row["scheduled"]) for row in ten} == {(14, 20)}
    assert not StaffingRequirement.objects.exists()
    stored = api_as("manager").post(url, {"shrinkage_percent": 30}, format="json")
    assert stored.status_code == 201
    assert StaffingRequirement.objects.count() == 48
    again = api_as("team_leader").get(f"{url}?shrinkage_percent=30")
    assert again.json()["stored"] is True
    assert [r["required"] for r in again.json()["intervals"]] == [r["required"] for r in body["intervals"]]


def test_patience_switches_to_erlang_a(org, api_as, snapshot):
    body = api_as("manager").get(f"{FORECASTS}{snapshot.pk}/requirements/?patience_seconds=60").json()
    assert body["basis"]["model"] == "erlang_a"
    assert max(row["required"] for row in body["intervals"]) <= 14


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("service_level_percent=150", "service_level_percent"),
        ("shrinkage_percent=-1", "shrinkage_percent"),
        ("target_kind=asa&asa_seconds=0", "asa_seconds"),
    ],
)
def test_a_bad_requirement_basis_names_the_field(org, api_as, snapshot, query, field):
    response = api_as("manager").get(f"{FORECASTS}{snapshot.pk}/requirements/?{query}")
    assert response.status_code == 400
    assert list(fields(response)) == [field]


# --- ad-hoc staffing ---------------------------------------------------------------------------------------


def test_ad_hoc_staffing_for_intervals_of_a_queue(org, api_as, queue):
    body = {
        "queue": queue.pk,
        "interval_minutes": 30,
        "intervals": [
            {"start": "2025-03-03T10:00", "volume": 100, "aht_seconds": 180},
            {"start": "2025-03-03T10:30", "volume": 0, "aht_seconds": 180},
        ],
        "shrinkage_percent": 0,
    }
    response = api_as("supervisor").post(STAFFING, body, format="json")
    assert response.status_code == 200, response.json()
    rows = response.json()["intervals"]
    assert [(row["required"], row["scheduled"]) for row in rows] == [(14, 14), (0, 0)]
    assert rows[0]["start"] == "2025-03-03T10:00:00+08:00"


BAD_STAFFING = [
    ({"intervals": [{"start": "2025-03-03T10:00", "volume": -5, "aht_seconds": 180}]}, "intervals[0].volume", "话务量"),
    ({"service_level_percent": 101}, "service_level_percent", "服务水平"),
    ({"aht_seconds": 0}, "aht_seconds", "平均处理时长"),
    ({"shrinkage_percent": 100}, "shrinkage_percent", "缩减率"),
    (
        {"schedule": [{"employee": 424242, "start": "2025-03-03T09:00", "end": "2025-03-03T12:00"}]},
        "schedule[0].employee",
        "花名册",
    ),
]


def bad_staffing(api, queue, change):
    body = {
        "queue": queue.pk,
        "interval_minutes": 30,
        "intervals": [{"start": "2025-03-03T10:00", "volume": 100, "aht_seconds": 180}],
        **change,
    }
    return api.post(STAFFING, body, format="json")


@pytest.mark.parametrize(("change", "field", "words"), BAD_STAFFING)
def test_bad_staffing_inputs_answer_400_naming_the_field(org, api_as, queue, change, field, words):
    response = bad_staffing(api_as("manager"), queue, change)
    assert response.status_code == 400
    assert list(fields(response)) == [field]


@pytest.mark.parametrize(("change", "field", "words"), BAD_STAFFING)
def test_staffing_errors_name_the_field_in_chinese(org, api_as, queue, change, field, words):
    """Needs the zh_Hans catalogue to hold this app's messages."""
    response = bad_staffing(chinese(api_as("manager")), queue, change)
    assert words in fields(response)[field][0]["message"]


def test_garbage_staffing_input_is_a_400_not_a_crash(org, api_as, snapshot):
    api = api_as("manager")
    for body in (
        {"snapshot": "x"},
        {"snapshot": snapshot.pk, "intervals": "many"},
        {"snapshot": snapshot.pk, "schedule": [1, 2]},
        {"snapshot": snapshot.pk, "intervals": [{"start": "2025-02-30T10:00"}]},
        {"snapshot": snapshot.pk, "seed": True},
        {"snapshot": snapshot.pk, "schedule": [{"employee": [1], "start": "2025-03-03T09:00", "end": "x"}]},
        {"snapshot": snapshot.pk, "schedule": [{"employee": 2**70}]},
        {"snapshot": snapshot.pk, "volume_multiplier": {"a": 1}},
        [],
    ):
        response = api.post(STAFFING, body, format="json")
        assert response.status_code == 400, body


# --- scenarios -------------------------------------------------------------------------------------------


def test_scenarios_crud(org, api_as, snapshot):
    api = api_as("supervisor")
    created = api.post(
        SCENARIOS, {"name": "加量一成", "inputs": {"snapshot": snapshot.pk, "volume_multiplier": 1.1}}, format="json"
    )
    assert created.status_code == 201, created.json()
    scenario = created.json()
    assert scenario["owner_name"] == org.people["supervisor"].name
    assert scenario["snapshot"] == snapshot.pk
    assert len(scenario["results"]["staffing"]) == 48
    url = f"{SCENARIOS}{scenario['id']}/"
    assert api.get(url).json()["name"] == "加量一成"
    renamed = api.patch(
        url, {"name": "加量两成", "inputs": {"snapshot": snapshot.pk, "volume_multiplier": 1.2}}, format="json"
    )
    assert renamed.status_code == 200
    assert renamed.json()["inputs"]["volume_multiplier"] == 1.2
    only_name = api.patch(url, {"name": "改名"}, format="json")
    assert only_name.status_code == 200
    assert only_name.json()["inputs"]["volume_multiplier"] == 1.2
    assert [row["name"] for row in api_as("manager").get(SCENARIOS).json()["results"]] == ["改名"]
    assert api_as("other_supervisor").get(url).status_code == 404
    assert api.patch(url, [1, 2], format="json").status_code == 400
    assert api.delete(url).status_code == 204
    assert not WhatIfScenario.objects.exists()


def test_a_scenario_with_a_bad_input_is_not_saved(org, api_as, snapshot):
    response = api_as("manager").post(
        SCENARIOS, {"name": "A", "inputs": {"snapshot": snapshot.pk, "shrinkage_percent": 120}}, format="json"
    )
    assert response.status_code == 400
    assert list(fields(response)) == ["shrinkage_percent"]
    assert not WhatIfScenario.objects.exists()
