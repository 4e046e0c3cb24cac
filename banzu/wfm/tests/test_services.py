"""WFM-1 … WFM-3 services through real transactions: results, rows, history, nothing written on error."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError

from banzu.core.errors import Conflict, NotAllowed, OutOfScope
from banzu.core.models import PolicyValue
from banzu.wfm import rules, selectors, services
from banzu.wfm.models import ForecastInterval, ForecastSnapshot, StaffingRequirement, WhatIfScenario
from banzu.wfm.tests.factories import DAY, NOW, ZONE, arrived, grid, manual_forecast, planning_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(org):
    return planning_queue(org)


def field_of(exc: ValidationError) -> str:
    return next(iter(exc.value.message_dict))


# --- forecasts ------------------------------------------------------------------------------------------


def test_a_manual_forecast_is_stored_as_a_draft_with_every_interval(org, queue):
    snapshot = manual_forecast(org, queue, days=2)
    assert snapshot.method == ForecastSnapshot.Method.MANUAL
    assert not snapshot.is_published
    assert snapshot.created_by == org.people["manager"]
    rows = list(snapshot.intervals.order_by("starts_at"))
    assert len(rows) == 96
    assert rows[0].starts_at == datetime.combine(DAY, time(), tzinfo=ZONE)
    assert sum(r.volume for r in rows) == 2 * 16 * 40


def test_a_manual_forecast_must_cover_the_horizon(org, queue):
    with pytest.raises(ValidationError) as exc:
        services.create_forecast(
            user=org.people["manager"].user,
            queue_id=queue.pk,
            interval_minutes=30,
            horizon_start=DAY,
            horizon_days=1,
            intervals=[{"start": "2025-03-03T00:00", "volume": 1, "aht_seconds": 100}],
            now=NOW,
        )
    assert field_of(exc) == "intervals"
    assert not ForecastSnapshot.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"volume": -1}, "intervals[3].volume"),
        ({"aht_seconds": 0}, "intervals[3].aht_seconds"),
        ({"start": "not a time"}, "intervals[3].start"),
    ],
)
def test_a_bad_interval_is_named_and_nothing_is_stored(org, queue, change, field):
    from banzu.wfm.tests.factories import manual_intervals

    rows = manual_intervals(DAY)
    rows[3].update(change)
    with pytest.raises(ValidationError) as exc:
        services.create_forecast(
            user=org.people["manager"].user,
            queue_id=queue.pk,
            interval_minutes=30,
            horizon_start=DAY,
            horizon_days=1,
            intervals=rows,
            now=NOW,
        )
    assert field_of(exc) == field
    assert not ForecastSnapshot.objects.exists() and not ForecastInterval.objects.exists()


def test_only_the_centres_interval_lengths_are_accepted(org, queue):
    with pytest.raises(ValidationError) as exc:
        manual_forecast(org, queue, minutes=20)
    assert field_of(exc) == "interval_minutes"


def test_the_horizon_is_limited_by_policy(org, queue):
    PolicyValue.objects.create(centre=org.centre, key="wfm.forecast_max_horizon_days", value=1)
    with pytest.raises(ValidationError) as exc:
        manual_forecast(org, queue, days=2)
    assert field_of(exc) == "horizon_days"


def test_a_statistical_forecast_is_fitted_to_the_queues_history(org, queue):
    # Five weeks of history: 2 contacts per half hour from 09:00 to 17:00 on working days, AHT 240 s.
    first = date(2025, 1, 20)
    moments = [
        moment + timedelta(minutes=m)
        for moment in grid(first, 35, 30)
        if 9 <= moment.hour < 17 and moment.weekday() < 5
        for m in (3, 17)
    ]
    arrived(queue, moments, handle_seconds=240)
    now = datetime(2025, 2, 24, 8, 0, tzinfo=ZONE)
    snapshot = services.create_forecast(
        user=org.people["supervisor"].user,
        queue_id=queue.pk,
        interval_minutes=30,
        horizon_start=date(2025, 2, 25),
        horizon_days=2,
        now=now,
    )
    assert snapshot.method == ForecastSnapshot.Method.STATISTICAL
    assert snapshot.parameters["history_start"] == "2025-01-20"
    assert snapshot.parameters["history_end"] == "2025-02-23"
    rows = list(snapshot.intervals.order_by("starts_at"))
    assert len(rows) == 96
    day = [r for r in rows if r.starts_at.astimezone(ZONE).date() == date(2025, 2, 25)]
    office = [r.volume for r in day if 9 <= r.starts_at.astimezone(ZONE).hour < 17]
    night = [r.volume for r in day if r.starts_at.astimezone(ZONE).hour < 8]
    assert sum(office) == pytest.approx(32, rel=0.25)
    assert max(night) < 0.5
    assert {round(r.aht_seconds) for r in rows if 9 <= r.starts_at.astimezone(ZONE).hour < 17} == {240}


def test_a_queue_without_history_cannot_be_forecast_statistically(org, queue):
    with pytest.raises(ValidationError) as exc:
        services.create_forecast(
            user=org.people["manager"].user,
            queue_id=queue.pk,
            interval_minutes=30,
            horizon_start=DAY,
            horizon_days=1,
            now=NOW,
        )
    assert field_of(exc) == "queue"
    assert exc.value.error_dict["queue"][0].code == "too_little_history"


def test_publishing_records_who_and_when_and_happens_once(org, queue):
    snapshot = manual_forecast(org, queue)
    published = services.publish_forecast(user=org.people["supervisor"].user, snapshot_id=snapshot.pk, now=NOW)
    assert published.published_at == NOW
    assert published.published_by == org.people["supervisor"]
    assert published.history.count() == 2
    with pytest.raises(Conflict):
        services.publish_forecast(user=org.people["manager"].user, snapshot_id=snapshot.pk, now=NOW)
    with pytest.raises(Conflict):
        services.delete_forecast(user=org.people["manager"].user, snapshot_id=snapshot.pk)
    assert ForecastSnapshot.objects.filter(pk=snapshot.pk).exists()


def test_a_draft_can_be_deleted(org, queue):
    snapshot = manual_forecast(org, queue)
    services.delete_forecast(user=org.people["manager"].user, snapshot_id=snapshot.pk)
    assert not ForecastSnapshot.objects.exists() and not ForecastInterval.objects.exists()


def test_an_agent_cannot_forecast_and_another_departments_supervisor_does_not_see_the_queue(org, queue):
    with pytest.raises(NotAllowed):
        manual_forecast(org, queue, by="agent")
    with pytest.raises(ValidationError) as exc:
        manual_forecast(org, queue, by="other_supervisor")
    assert field_of(exc) == "queue"
    snapshot = manual_forecast(org, queue)
    with pytest.raises(OutOfScope):
        services.publish_forecast(user=org.people["other_supervisor"].user, snapshot_id=snapshot.pk, now=NOW)


def test_accuracy_compares_the_snapshot_with_the_contacts_that_arrived(org, queue):
    snapshot = manual_forecast(org, queue, volume=lambda m: 4.0 if m.hour == 10 else 0.0)
    ten = datetime.combine(DAY, time(10), tzinfo=ZONE)
    arrived(queue, [ten + timedelta(minutes=k) for k in range(5)])  # 10:00-10:29: 5 against 4
    arrived(queue, [ten + timedelta(minutes=30 + k) for k in range(2)])  # 10:30-10:59: 2 against 4
    midday = datetime.combine(DAY, time(12), tzinfo=ZONE)
    result = selectors.snapshot_accuracy(snapshot, now=midday)
    assert result.intervals == 24
    assert result.actual_total == 7
    assert result.forecast_total == 8
    assert result.wape == pytest.approx(3 / 7)
    assert result.mape == pytest.approx((1 / 5 + 2 / 2) / 2)
    before = selectors.snapshot_accuracy(snapshot, now=datetime.combine(DAY, time(0, 10), tzinfo=ZONE))
    assert before.intervals == 0 and before.wape is None


# --- staffing requirements ---------------------------------------------------------------------------------


def test_requirements_are_stored_once_per_basis(org, queue):
    snapshot = manual_forecast(org, queue, volume=lambda m: 100.0 if m.hour == 10 else 0.0)
    basis = {"service_level_percent": 80, "service_level_seconds": 20, "shrinkage_percent": 30}
    rows = services.compute_requirements(user=org.people["manager"].user, snapshot_id=snapshot.pk, data=basis, now=NOW)
    assert len(rows) == 48
    ten = [r for r in rows if r.starts_at.astimezone(ZONE).hour == 10]
    assert {(r.required_agents, r.scheduled_agents) for r in ten} == {(14, 20)}
    assert {r.required_agents for r in rows if r.starts_at.astimezone(ZONE).hour != 10} == {0}
    again = services.compute_requirements(user=org.people["manager"].user, snapshot_id=snapshot.pk, data=basis, now=NOW)
    assert [r.pk for r in again] == [r.pk for r in rows]
    services.compute_requirements(
        user=org.people["manager"].user, snapshot_id=snapshot.pk, data={**basis, "shrinkage_percent": 0}, now=NOW
    )
    assert StaffingRequirement.objects.count() == 96


def test_the_default_target_and_shrinkage_come_from_policies(org, queue):
    PolicyValue.objects.create(centre=org.centre, key="wfm.shrinkage_percent", value=50)
    snapshot = manual_forecast(org, queue, volume=lambda m: 100.0 if m.hour == 10 else 0.0)
    rows = services.compute_requirements(user=org.people["manager"].user, snapshot_id=snapshot.pk, data={}, now=NOW)
    assert {(r.target_percent, r.target_seconds, r.shrinkage_percent) for r in rows} == {(80, 20, 50)}
    assert max(r.scheduled_agents for r in rows) == 28  # 14 / (1 - 0.5)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"service_level_percent": 101}, "service_level_percent"),
        ({"service_level_percent": 100}, "service_level_percent"),
        ({"shrinkage_percent": -5}, "shrinkage_percent"),
        ({"shrinkage_percent": "abc"}, "shrinkage_percent"),
        ({"target_kind": "asa"}, "asa_seconds"),
        ({"target_kind": "fastest"}, "target_kind"),
        ({"patience_seconds": 0}, "patience_seconds"),
    ],
)
def test_a_bad_basis_names_its_field_and_stores_nothing(org, queue, data, field):
    snapshot = manual_forecast(org, queue)
    with pytest.raises(ValidationError) as exc:
        services.compute_requirements(user=org.people["manager"].user, snapshot_id=snapshot.pk, data=data, now=NOW)
    assert field_of(exc) == field
    assert not StaffingRequirement.objects.exists()


# --- what-if ---------------------------------------------------------------------------------------------


def test_what_if_scales_the_forecast_and_changes_handle_time(org, queue):
    snapshot = manual_forecast(org, queue, volume=lambda m: 50.0 if m.hour == 10 else 0.0)
    user = org.people["manager"].user
    base = services.evaluate_what_if(user=user, inputs={"snapshot": snapshot.pk, "shrinkage_percent": 0})
    double = services.evaluate_what_if(
        user=user, inputs={"snapshot": snapshot.pk, "shrinkage_percent": 0, "volume_multiplier": 2, "aht_seconds": 180}
    )
    assert [r.volume for r in double.staffing] == [2 * r.volume for r in base.staffing]
    assert max(r.required for r in double.staffing) == 14  # 100 contacts × 180 s in 30 minutes
    assert max(r.required for r in base.staffing) < 14


def test_what_if_without_a_forecast_takes_intervals_of_a_queue(org, queue):
    result = services.evaluate_what_if(
        user=org.people["manager"].user,
        inputs={
            "queue": queue.pk,
            "interval_minutes": 30,
            "intervals": [{"start": "2025-03-03T10:00", "volume": 100, "aht_seconds": 180}],
            "shrinkage_percent": 0,
            "target_kind": "asa",
            "asa_seconds": 15,
        },
    )
    assert result.target == rules.Target(rules.ASA, 15.0)
    assert [r.required for r in result.staffing] == [
        rules.staffing(result.intervals, interval_minutes=30, target=result.target, shrinkage_percent=0)[0].required
    ]


def test_a_schedule_counts_the_people_on_shift(org, queue):
    snapshot = manual_forecast(org, queue, volume=lambda m: 100.0 if m.hour == 10 else 0.0)
    people = [org.people[p].pk for p in ("agent", "teammate", "other_agent", "vip_agent")]
    schedule = [{"employee": pk, "start": "2025-03-03T09:00", "end": "2025-03-03T11:00"} for pk in people]
    result = services.evaluate_what_if(
        user=org.people["manager"].user,
        inputs={"snapshot": snapshot.pk, "schedule": schedule, "shrinkage_percent": 25},
    )
    ten = [r for r in result.staffing if r.start.astimezone(ZONE).hour == 10]
    assert {(r.rostered, r.available, r.gap) for r in ten} == {(4, 3, 3 - 14)}
    eleven = [r for r in result.staffing if r.start.astimezone(ZONE).hour == 11]
    assert {r.rostered for r in eleven} == {0}


@pytest.mark.parametrize(
    ("inputs", "field"),
    [
        ({"volume_multiplier": -1}, "volume_multiplier"),
        ({"aht_seconds": 0}, "aht_seconds"),
        ({"service_level_percent": 120}, "service_level_percent"),
        (
            {"schedule": [{"employee": 999999, "start": "2025-03-03T09:00", "end": "2025-03-03T10:00"}]},
            "schedule[0].employee",
        ),
        (
            {"schedule": [{"employee": "agent", "start": "2025-03-03T09:00", "end": "2025-03-03T10:00"}]},
            "schedule[0].employee",
        ),
        ({"intervals": [{"start": "2025-03-03T10:00", "volume": -3}]}, "intervals[0].volume"),
        ({"intervals": [{"start": "2030-01-01T10:00", "volume": 3}]}, "intervals[0].start"),
        ({"snapshot": 999999}, "snapshot"),
    ],
)
def test_bad_what_if_inputs_name_their_field(org, queue, inputs, field):
    snapshot = manual_forecast(org, queue)
    with pytest.raises(ValidationError) as exc:
        services.evaluate_what_if(user=org.people["manager"].user, inputs={"snapshot": snapshot.pk, **inputs})
    assert field_of(exc) == field


def test_someone_from_another_centre_is_unknown_in_a_schedule(org, queue):
    from banzu.org.tests.factories import CentreFactory, EmployeeFactory

    stranger = EmployeeFactory(team__department__centre=CentreFactory(code="BJ", name="北京中心"))
    snapshot = manual_forecast(org, queue)
    shift = {"employee": stranger.pk, "start": "2025-03-03T09:00", "end": "2025-03-03T10:00"}
    with pytest.raises(ValidationError) as exc:
        services.evaluate_what_if(
            user=org.people["manager"].user, inputs={"snapshot": snapshot.pk, "schedule": [shift]}
        )
    assert field_of(exc) == "schedule[0].employee"


def test_a_scenario_is_saved_with_its_results_and_history(org, queue):
    snapshot = manual_forecast(org, queue, volume=lambda m: 100.0 if m.hour == 10 else 0.0)
    inputs = {"snapshot": snapshot.pk, "volume_multiplier": 1.1, "shrinkage_percent": 0}
    scenario = services.save_scenario(user=org.people["supervisor"].user, name=" 征期加量 ", inputs=inputs, now=NOW)
    assert scenario.name == "征期加量"
    assert scenario.owner == org.people["supervisor"]
    assert scenario.snapshot == snapshot
    assert len(scenario.results["staffing"]) == 48
    assert max(row["required"] for row in scenario.results["staffing"]) == 15  # 110 contacts
    later = NOW + timedelta(hours=1)
    services.save_scenario(
        user=org.people["manager"].user,
        name="征期加量",
        inputs={**inputs, "volume_multiplier": 1},
        scenario_id=scenario.pk,
        now=later,
    )
    scenario.refresh_from_db()
    assert scenario.owner == org.people["supervisor"]  # the owner stays
    assert scenario.updated_at == later
    assert max(row["required"] for row in scenario.results["staffing"]) == 14
    assert scenario.history.count() == 2


def test_scenario_names_are_unique_per_owner_and_nothing_is_written_on_error(org, queue):
    snapshot = manual_forecast(org, queue)
    user = org.people["supervisor"].user
    services.save_scenario(user=user, name="A", inputs={"snapshot": snapshot.pk}, now=NOW)
    with pytest.raises(ValidationError) as exc:
        services.save_scenario(user=user, name="A", inputs={"snapshot": snapshot.pk}, now=NOW)
    assert field_of(exc) == "name"
    with pytest.raises(ValidationError) as exc:
        services.save_scenario(user=user, name="B", inputs={"snapshot": snapshot.pk, "aht_seconds": -1}, now=NOW)
    assert field_of(exc) == "aht_seconds"
    with pytest.raises(ValidationError) as exc:
        services.save_scenario(user=user, name="  ", inputs={"snapshot": snapshot.pk}, now=NOW)
    assert field_of(exc) == "name"
    assert list(WhatIfScenario.objects.values_list("name", flat=True)) == ["A"]
    # Another planner may use the same name for their own scenario.
    services.save_scenario(user=org.people["manager"].user, name="A", inputs={"snapshot": snapshot.pk}, now=NOW)
    assert WhatIfScenario.objects.count() == 2


def test_scenarios_are_deleted_by_planners_in_scope(org, queue):
    snapshot = manual_forecast(org, queue)
    scenario = services.save_scenario(
        user=org.people["supervisor"].user, name="A", inputs={"snapshot": snapshot.pk}, now=NOW
    )
    with pytest.raises(OutOfScope):
        services.delete_scenario(user=org.people["other_supervisor"].user, scenario_id=scenario.pk)
    with pytest.raises(NotAllowed):
        services.delete_scenario(user=org.people["team_leader"].user, scenario_id=scenario.pk)
    services.delete_scenario(user=org.people["manager"].user, scenario_id=scenario.pk)
    assert not WhatIfScenario.objects.exists()


# --- simulation (CT-20) ------------------------------------------------------------------------------------


def test_a_scenario_is_simulated_with_the_erlang_staffing_and_remembers_its_run(
    org, queue, django_capture_on_commit_callbacks
):
    from banzu.simulation.models import SimulationRun

    snapshot = manual_forecast(org, queue, volume=lambda m: 100.0 if m.hour == 10 else 0.0)
    user = org.people["manager"].user
    scenario = services.save_scenario(
        user=user, name="基准", inputs={"snapshot": snapshot.pk, "shrinkage_percent": 0, "seed": 3}, now=NOW
    )
    with django_capture_on_commit_callbacks(execute=True):
        run = services.run_scenario(user=user, inputs={}, scenario_id=scenario.pk, now=NOW)
    scenario.refresh_from_db()
    assert scenario.simulation_run_id == run.pk
    run = SimulationRun.objects.get(pk=run.pk)
    assert run.status == SimulationRun.Status.DONE, run.error
    assert run.seed == 3
    staffing = {row["start"]: row["agents"] for row in run.config["staffing"]}
    assert sorted(set(staffing.values())) == [0, 14]
    rows = run.result["intervals"]
    assert len(rows) == 48
    busy = [row for row in rows if row["offered"]]
    # 14 agents for 100 calls at 180 s: the simulated service level is near Erlang C's 88.8 %.
    assert sum(row["offered"] for row in busy) == pytest.approx(200, rel=0.3)
    assert 0.6 < run.result["totals"]["service_level"] <= 1


def test_a_schedule_staffs_the_simulation_with_the_people_after_shrinkage(
    org, queue, django_capture_on_commit_callbacks
):
    snapshot = manual_forecast(org, queue, volume=lambda m: 10.0 if m.hour == 10 else 0.0)
    people = [org.people[p].pk for p in ("agent", "teammate", "other_agent", "vip_agent")]
    schedule = [{"employee": pk, "start": "2025-03-03T09:00", "end": "2025-03-03T11:00"} for pk in people]
    with django_capture_on_commit_callbacks(execute=True):
        run = services.run_scenario(
            user=org.people["supervisor"].user,
            inputs={"snapshot": snapshot.pk, "schedule": schedule, "shrinkage_percent": 50},
            now=NOW,
        )
    staffing = {row["start"][11:16]: row["agents"] for row in run.config["staffing"]}
    assert (staffing["09:00"], staffing["10:30"], staffing["11:00"]) == (2, 2, 0)


def test_an_invalid_what_if_starts_no_simulation(org, queue):
    from banzu.simulation.models import SimulationRun

    snapshot = manual_forecast(org, queue)
    with pytest.raises(ValidationError):
        services.run_scenario(
            user=org.people["manager"].user, inputs={"snapshot": snapshot.pk, "aht_seconds": 0}, now=NOW
        )
    assert not SimulationRun.objects.exists()
