"""Planning pages (WFM-1, WFM-3) through the Django test client."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from banzu.core.models import PolicyValue
from banzu.wfm import services
from banzu.wfm.models import ForecastSnapshot
from banzu.wfm.tests.factories import DAY, NOW, ZONE, arrived, grid, manual_forecast, planning_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(org):
    return planning_queue(org, name="纳税咨询")


def test_the_forecast_list_shows_accuracy_of_each_snapshot(org, client_as, queue):
    snapshot = manual_forecast(org, queue, volume=lambda m: 2.0 if m.hour == 10 else 0.0)
    services.publish_forecast(user=org.people["manager"].user, snapshot_id=snapshot.pk, now=NOW)
    ten = datetime.combine(DAY, time(10), tzinfo=ZONE)
    arrived(queue, [ten + timedelta(minutes=k) for k in (1, 2, 3, 31)])
    page = client_as("team_leader").get("/wfm/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "纳税咨询" in html
    assert "50.0%" in html  # WAPE: |3 - 2| + |1 - 2| over 4
    assert 'action="/wfm/forecasts/new/"' not in html  # team leaders read, they do not plan
    assert f"/wfm/forecasts/{snapshot.pk}/publish/" not in html


def test_a_planner_sees_the_new_forecast_form_and_publishes_a_draft(org, client_as, queue):
    snapshot = manual_forecast(org, queue)
    client = client_as("supervisor")
    html = client.get("/wfm/").content.decode()
    assert 'action="/wfm/forecasts/new/"' in html
    assert f"/wfm/forecasts/{snapshot.pk}/publish/" in html
    response = client.post(f"/wfm/forecasts/{snapshot.pk}/publish/")
    assert response.status_code == 302
    snapshot.refresh_from_db()
    assert snapshot.published_by == org.people["supervisor"]
    again = client.post(f"/wfm/forecasts/{snapshot.pk}/publish/", follow=True)
    assert again.status_code == 200
    snapshot.refresh_from_db()
    assert snapshot.published_by == org.people["supervisor"]


def test_the_forecast_form_shows_errors_without_history(org, client_as, queue):
    response = client_as("manager").post(
        "/wfm/forecasts/new/",
        {"queue": queue.pk, "interval_minutes": 30, "horizon_start": "2099-01-05", "horizon_days": 7},
    )
    assert response.status_code == 422
    assert "is-invalid" in response.content.decode()
    assert not ForecastSnapshot.objects.exists()


def test_the_forecast_form_creates_a_statistical_draft_and_opens_the_what_if(org, client_as, queue):
    # The page uses the real clock: five weeks of history up to yesterday, forecast from tomorrow.
    today = timezone.now().astimezone(ZONE).date()
    first = today - timedelta(days=35)
    arrived(queue, [m + timedelta(minutes=5) for m in grid(first, 35, 30) if 9 <= m.hour < 17])
    tomorrow = today + timedelta(days=1)
    response = client_as("manager").post(
        "/wfm/forecasts/new/",
        {"queue": queue.pk, "interval_minutes": 30, "horizon_start": tomorrow.isoformat(), "horizon_days": 1},
    )
    snapshot = ForecastSnapshot.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/wfm/what-if/?snapshot={snapshot.pk}"
    assert snapshot.method == ForecastSnapshot.Method.STATISTICAL
    assert snapshot.intervals.count() == 48
    assert round(sum(snapshot.intervals.values_list("volume", flat=True))) == pytest.approx(16, abs=3)


def test_the_what_if_page_starts_from_the_chosen_forecast_and_the_policies(org, client_as, queue):
    PolicyValue.objects.create(centre=org.centre, key="wfm.shrinkage_percent", value=25)
    first = manual_forecast(org, queue)
    second = manual_forecast(org, queue, start=DAY + timedelta(days=1))
    page = client_as("manager").get(f"/wfm/what-if/?snapshot={first.pk}")
    assert page.status_code == 200
    assert page.context["chosen"] == first
    html = page.content.decode()
    assert f'<option value="{first.pk}" selected>' in html.replace("\n", "").replace("  ", "")
    assert f'value="{second.pk}"' in html
    assert 'name="shrinkage_percent"' in html and 'value="25"' in html
    assert 'value="80"' in html and 'value="20"' in html  # the default target 80 % in 20 s
    assert "wfm/what_if.js" in html and "vendor/echarts/echarts.min.js" in html
    assert "<script>" not in html  # CSP: no inline scripts


def test_a_saved_scenario_is_loaded_into_the_page(org, client_as, queue):
    snapshot = manual_forecast(org, queue)
    inputs = {"snapshot": snapshot.pk, "volume_multiplier": 1.3, "shrinkage_percent": 10}
    scenario = services.save_scenario(user=org.people["manager"].user, name="春节后", inputs=inputs, now=NOW)
    page = client_as("manager").get(f"/wfm/what-if/?scenario={scenario.pk}")
    assert page.context["scenario"] == scenario
    html = page.content.decode()
    assert "春节后" in html
    start = html.index('id="what-if-scenario-inputs"')
    payload = html[html.index(">", start) + 1 : html.index("</script>", start)]
    assert json.loads(payload) == inputs


def test_the_what_if_page_without_forecasts_points_to_the_forecasts(org, client_as):
    html = client_as("manager").get("/wfm/what-if/").content.decode()
    assert 'href="/wfm/"' in html
    assert 'id="what-if-form"' not in html


def test_simulating_bad_inputs_answers_the_errors_in_the_partial(org, client_as, queue):
    snapshot = manual_forecast(org, queue)
    response = client_as("manager").post(
        "/wfm/what-if/simulate/", {"inputs": json.dumps({"snapshot": snapshot.pk, "shrinkage_percent": 150})}
    )
    assert response.status_code == 422
    assert "alert-danger" in response.content.decode()
    broken = client_as("manager").post("/wfm/what-if/simulate/", {"inputs": "{not json"})
    assert broken.status_code == 422
