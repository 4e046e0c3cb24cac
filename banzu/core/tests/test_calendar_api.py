"""The calendar API over HTTP (ORG-10, D1): /api/v1/calendar/…"""

from __future__ import annotations

from datetime import date

import pytest
from rest_framework.test import APIClient

from banzu.conftest import PERSONAS
from banzu.core.models import CalendarDay

pytestmark = pytest.mark.django_db

LIST = "/api/v1/calendar/"
YEARS = "/api/v1/calendar/years/"
ADD = "/api/v1/calendar/add-working-days/"
BETWEEN = "/api/v1/calendar/working-days-between/"


@pytest.fixture
def agent(api_as):
    return api_as("agent")


# --- deadline arithmetic ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        ("2024-09-27", 5, "2024-10-10T23:59:59+08:00"),
        ("2024-09-27T23:30", 1, "2024-09-29T23:59:59+08:00"),
        ("2024-10-01", 0, "2024-10-01T23:59:59+08:00"),
        ("2025-01-24", 3, "2025-02-05T23:59:59+08:00"),
        ("2025-02-07T09:00:00+08:00", 1, "2025-02-08T23:59:59+08:00"),
        # 16:30 UTC on 29 September is already 30 September in the centre's zone.
        ("2024-09-29T16:30:00+00:00", 1, "2024-10-08T23:59:59+08:00"),
    ],
)
def test_add_working_days_answers_the_deadline(agent, start, days, expected):
    response = agent.get(ADD, {"start": start, "days": days})

    assert response.status_code == 200
    body = response.json()
    assert body["deadline"] == expected
    assert body["days"] == days


def test_a_date_without_a_time_starts_at_midnight_in_the_centre_zone(agent):
    body = agent.get(ADD, {"start": "2024-09-27", "days": 5}).json()

    assert body == {"start": "2024-09-27T00:00:00+08:00", "days": 5, "deadline": "2024-10-10T23:59:59+08:00"}


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        ("2024-09-27", "2024-10-10", 5),
        ("2024-10-10", "2024-09-27", -5),
        ("2024-10-01", "2024-10-07", 0),
        ("2025-01-24", "2025-02-10", 7),
    ],
)
def test_working_days_between_counts_in_both_directions(agent, start, end, count):
    response = agent.get(BETWEEN, {"start": start, "end": end})

    assert response.status_code == 200
    assert response.json() == {"start": start, "end": end, "working_days": count}


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"days": 1}, "start"),
        ({"start": "", "days": 1}, "start"),
        ({"start": "2024-13-45", "days": 1}, "start"),
        ({"start": "yesterday", "days": 1}, "start"),
        ({"start": "2024-09-27"}, "days"),
        ({"start": "2024-09-27", "days": -1}, "days"),
        ({"start": "2024-09-27", "days": "abc"}, "days"),
        ({"start": "2024-09-27", "days": "1.5"}, "days"),
    ],
)
def test_bad_input_to_add_working_days_names_the_field(agent, params, field):
    response = agent.get(ADD, params, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == [field]
    assert body["fields"][field][0]["message"]
    assert body["message"] == body["fields"][field][0]["message"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"end": "2024-10-10"}, "start"),
        ({"start": "2024-09-27"}, "end"),
        ({"start": "2024-13-45", "end": "2024-10-10"}, "start"),
        ({"start": "2024-09-27", "end": "2024-10-10T10:00"}, "end"),
    ],
)
def test_bad_input_to_working_days_between_names_the_field(agent, params, field):
    response = agent.get(BETWEEN, params, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_an_uncovered_start_year_is_a_clear_error(agent):
    response = agent.get(ADD, {"start": "2031-03-02", "days": 1}, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 400
    body = response.json()
    error = body["fields"]["start"][0]
    assert error["code"] == "calendar_not_covered"
    assert "2031" in error["message"]
    assert body["message"] == error["message"]


def test_a_walk_past_the_last_covered_year_is_a_clear_error(agent):
    response = agent.get(ADD, {"start": "2026-12-30", "days": 10})

    assert response.status_code == 400
    error = response.json()["fields"]["start"][0]
    assert error["code"] == "calendar_not_covered"
    assert "2027" in error["message"]


def test_working_days_between_names_the_uncovered_end(agent):
    response = agent.get(BETWEEN, {"start": "2024-09-27", "end": "2031-01-06"})

    assert response.status_code == 400
    assert response.json()["fields"]["end"][0]["code"] == "calendar_not_covered"


# --- who may ask --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", [LIST, YEARS, f"{ADD}?start=2024-09-27&days=1", f"{BETWEEN}?start=2024-09-27&end=2024-10-10"]
)
def test_anonymous_callers_are_refused(url):
    response = APIClient().get(url)

    assert response.status_code in (401, 403)
    assert "deadline" not in response.json()
    assert "results" not in response.json()


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_role_may_read_the_calendar(api_as, persona):
    response = api_as(persona).get(ADD, {"start": "2024-09-27", "days": 5})

    assert response.status_code == 200
    assert response.json()["deadline"] == "2024-10-10T23:59:59+08:00"


def test_the_calendar_is_read_only_over_the_api(api_as):
    response = api_as("admin").post(LIST, {"date": "2024-10-08", "kind": "holiday"}, format="json")

    assert response.status_code == 405
    assert CalendarDay.objects.get(date=date(2024, 10, 8)).kind == "workday"


# --- listing ------------------------------------------------------------------------------------


def test_the_list_is_filtered_by_date_range(agent, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = agent.get(LIST, {"date__gte": "2024-09-28", "date__lte": "2024-10-13"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 16
    days = {row["date"]: row for row in body["results"]}
    assert days["2024-09-29"] == {
        "date": "2024-09-29",
        "is_working_day": True,
        "kind": "adjusted_workday",
        "kind_label": str(CalendarDay.Kind.ADJUSTED_WORKDAY.label),
        "name": "国庆节",
    }
    assert days["2024-10-01"]["kind"] == "holiday"
    assert days["2024-09-28"]["kind"] == "weekend"
    assert days["2024-10-08"]["kind"] == "workday"
    assert [row["date"] for row in body["results"]] == sorted(days)


def test_the_list_is_filtered_by_kind(agent):
    response = agent.get(LIST, {"kind": "adjusted_workday", "date__gte": "2024-01-01", "date__lte": "2024-12-31"})

    assert response.status_code == 200
    dates = [row["date"] for row in response.json()["results"]]
    assert dates == [
        "2024-02-04",
        "2024-02-18",
        "2024-04-07",
        "2024-04-28",
        "2024-05-11",
        "2024-09-14",
        "2024-09-29",
        "2024-10-12",
    ]


def test_the_list_is_filtered_by_working_or_not(agent):
    body = agent.get(LIST, {"is_working_day": "false", "date__gte": "2025-01-25", "date__lte": "2025-02-09"}).json()

    assert [row["date"] for row in body["results"]] == [
        "2025-01-25",
        "2025-01-28",
        "2025-01-29",
        "2025-01-30",
        "2025-01-31",
        "2025-02-01",
        "2025-02-02",
        "2025-02-03",
        "2025-02-04",
        "2025-02-09",
    ]


def test_years_lists_the_covered_years_with_their_state(agent, org):
    from banzu.core import services

    services.add_calendar_year(user=org.people["admin"].user, year=2027)

    response = agent.get(YEARS)

    assert response.status_code == 200
    rows = {row["year"]: row for row in response.json()}
    assert rows[2024] == {"year": 2024, "source": "package", "published": True}
    assert rows[2027] == {"year": 2027, "source": "administrator", "published": False}
    assert min(rows) == 2004
