"""Simulation runs (CT-20, WFM-3): input validation, the background run, the API and its permissions."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from banzu.conftest import PERSONAS
from banzu.core.errors import NotAllowed
from banzu.org.models import Employee
from banzu.org.tests.factories import SkillFactory
from banzu.simulation import services
from banzu.simulation.models import SimulationRun

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PLANNERS = {"supervisor", "other_supervisor", "shift_lead", "manager", "admin"}


@pytest.fixture
def skills(db):
    return SkillFactory(code="sim_hotline"), SkillFactory(code="sim_tax")


def config(skills, *, agents: bool = False, intervals: int = 4) -> dict:
    hotline, tax = skills
    starts = [f"2026-03-02T{8 + i // 2:02d}:{30 * (i % 2):02d}:00" for i in range(intervals)]
    base = {
        "seed": 11,
        "interval_minutes": 30,
        "queues": [
            {"code": "hotline", "skill_ids": [hotline.pk], "service_level_percent": 80, "service_level_seconds": 20},
            {"code": "tax", "skill_ids": [tax.pk], "service_level_percent": 90, "service_level_seconds": 30},
        ],
        "intervals": [
            {"start": start, "queue": queue, "volume": volume, "aht_seconds": 180, "patience_seconds": patience}
            for start in starts
            for queue, volume, patience in (("hotline", 60.0, 120.0), ("tax", 20.0, None))
        ],
    }
    if agents:
        base["agents"] = [
            {
                "id": None,
                "skills": {str(hotline.pk): 1, str(tax.pk): 1} if i % 3 == 0 else {str(hotline.pk): 2},
                "shifts": [["2026-03-02T08:00:00", "2026-03-02T10:00:00"]],
            }
            for i in range(9)
        ]
    else:
        base["staffing"] = [{"start": start, "agents": 10} for start in starts]
    return base


def start(org, persona, cfg) -> SimulationRun:
    return services.start_run(user=org.people[persona].user, centre=org.centre, config=cfg, now=NOW)


# --- starting and running ------------------------------------------------------------------------------


def test_a_planner_starts_a_run_that_a_worker_completes(org, skills, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = start(org, "supervisor", config(skills))
    run.refresh_from_db()
    assert run.status == SimulationRun.Status.DONE
    assert run.progress == 1.0
    assert run.created_by == org.people["supervisor"]
    assert run.seed == 11
    assert run.created_at == NOW
    assert run.started_at is not None and run.finished_at >= run.started_at
    rows = run.result["intervals"]
    assert [(row["start"][11:16], row["queue"]) for row in rows[:4]] == [
        ("08:00", "hotline"),
        ("08:00", "tax"),
        ("08:30", "hotline"),
        ("08:30", "tax"),
    ]
    assert rows[0]["start"] == "2026-03-02T08:00:00+08:00"  # naive times are the centre's local time
    for row in rows:
        assert row["offered"] == row["answered"] + row["abandoned"]
        assert 0 <= row["service_level"] <= 1 and 0 <= row["occupancy"] <= 1 and row["asa_seconds"] >= 0
    assert sum(row["abandoned"] for row in rows if row["queue"] == "tax") == 0  # no patience given
    totals = run.result["totals"]
    assert totals["offered"] == sum(row["offered"] for row in rows)
    assert 200 < totals["offered"] < 450  # 4 × 80 expected
    assert totals["routing_calls"] > 0


def test_the_same_seed_gives_the_same_result(org, skills, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = start(org, "manager", config(skills, agents=True))
        second = start(org, "manager", config(skills, agents=True))
        other = start(org, "manager", {**config(skills, agents=True), "seed": 12})
    first, second, other = (SimulationRun.objects.get(pk=run.pk) for run in (first, second, other))
    assert first.result["intervals"] == second.result["intervals"]
    assert first.result["intervals"] != other.result["intervals"]


def test_a_run_is_queued_until_the_transaction_commits(org, skills, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = start(org, "shift_lead", config(skills))
    assert SimulationRun.objects.get(pk=run.pk).status == SimulationRun.Status.QUEUED
    assert len(callbacks) == 1
    callbacks[0]()
    assert SimulationRun.objects.get(pk=run.pk).status == SimulationRun.Status.DONE


def test_a_run_is_run_once(org, skills, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = start(org, "shift_lead", config(skills))
    from banzu.core.errors import Conflict

    with pytest.raises(Conflict):
        services.run_simulation(run_id=run.pk, now=NOW)


def test_progress_is_written_while_the_engine_runs(org, skills, monkeypatch, django_capture_on_commit_callbacks):
    seen: list[float] = []
    original = services.engine.simulate

    def watching(scenario, arrivals=None, *, progress=None, **kwargs):
        def spy(fraction):
            progress(fraction)
            seen.append(SimulationRun.objects.values_list("progress", flat=True).get(pk=run_id))

        return original(scenario, arrivals, progress=spy, **kwargs)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = start(org, "admin", config(skills, intervals=20))
    run_id = run.pk
    monkeypatch.setattr(services.engine, "simulate", watching)
    callbacks[0]()
    assert seen[0] == 0.0
    assert 0 < max(seen[:-1]) < 1
    assert seen == sorted(seen)
    assert 10 <= len({value for value in seen if 0 < value < 1}) <= 60


def test_a_failing_run_is_marked_failed(org, skills, monkeypatch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = start(org, "admin", config(skills))
    # The input became invalid after it was accepted (the skill was removed meanwhile).
    skills[1].delete()
    callbacks[0]()  # the worker logs the error; the run says what went wrong
    run.refresh_from_db()
    assert run.status == SimulationRun.Status.FAILED
    assert "skill" in run.error.lower() or "技能" in run.error
    assert run.finished_at is not None


# --- validation ----------------------------------------------------------------------------------------


def broken(cfg: dict, path: str, value) -> dict:
    cfg = copy.deepcopy(cfg)
    target = cfg
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    if value is KeyError:
        del target[last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return cfg


CASES = [
    ("intervals.1.volume", -5, "intervals[1].volume", "out_of_range"),
    ("intervals.0.aht_seconds", 0, "intervals[0].aht_seconds", "out_of_range"),
    ("intervals.0.aht_seconds", "180", "intervals[0].aht_seconds", "out_of_range"),
    ("intervals.2.patience_seconds", 0, "intervals[2].patience_seconds", "out_of_range"),
    ("queues.0.service_level_percent", 101, "queues[0].service_level_percent", "out_of_range"),
    ("queues.1.service_level_seconds", -1, "queues[1].service_level_seconds", "out_of_range"),
    ("queues.1.code", "hotline", "queues[1].code", "duplicate"),
    ("queues.0.skill_ids", [987654], "queues", "unknown_skill"),
    ("queues.0.strategy", "fastest", "queues[0].strategy", "unknown_strategy"),
    ("queues", [], "queues", "required_list"),
    ("intervals", KeyError, "intervals", "required_list"),
    ("intervals.0.queue", "vip", "intervals[0].queue", "unknown_queue"),
    ("intervals.3.start", "yesterday", "intervals[3].start", "invalid_datetime"),
    ("intervals.3.start", "2026-03-02T08:10:00", "intervals[3].start", "off_grid"),
    ("intervals.2.start", "2026-03-02T08:00:00", "intervals[2].start", "duplicate_interval"),
    ("interval_minutes", 20, "interval_minutes", "invalid_interval"),
    ("seed", -1, "seed", "invalid_seed"),
    ("seed", True, "seed", "invalid_seed"),
    ("staffing.0.agents", -1, "staffing[0].agents", "out_of_range"),
    ("staffing.0.agents", 2.5, "staffing[0].agents", "out_of_range"),
    ("staffing.0.start", "2026-03-03T08:00:00", "staffing[0].start", "off_grid"),
    ("staffing", KeyError, "agents", "agents_or_staffing"),
    ("intervals.0.volume", 5e6, "intervals", "too_many_contacts"),
]


@pytest.mark.parametrize(("path", "value", "field", "code"), CASES)
def test_bad_input_names_the_field_and_stores_nothing(org, skills, path, value, field, code):
    with pytest.raises(ValidationError) as error:
        start(org, "supervisor", broken(config(skills), path, value))
    assert error.value.error_dict.keys() == {field}
    assert error.value.error_dict[field][0].code == code
    assert not SimulationRun.objects.exists()


AGENT_CASES = [
    (
        "agents.0.shifts.0",
        ["2026-03-02T10:00:00", "2026-03-02T08:00:00"],
        "agents[0].shifts[0]",
        "shift_ends_before_start",
    ),
    ("agents.0.shifts", "all day", "agents[0].shifts", "invalid_shifts"),
    ("agents.1.skills", {"x": 1}, "agents[1].skills", "invalid_skills"),
    ("agents.1.skills", {"987654": 1}, "agents", "unknown_skill"),
    ("agents.2.id", 987654, "agents[2].id", "unknown_employee"),
    ("agents.2.id", "agent", "agents[2].id", "invalid_id"),
]


@pytest.mark.parametrize(("path", "value", "field", "code"), AGENT_CASES)
def test_bad_schedule_names_the_field(org, skills, path, value, field, code):
    with pytest.raises(ValidationError) as error:
        start(org, "supervisor", broken(config(skills, agents=True), path, value))
    assert error.value.error_dict.keys() == {field}
    assert error.value.error_dict[field][0].code == code


def test_schedule_names_employees_of_the_centre_only(org, skills, django_capture_on_commit_callbacks):
    cfg = config(skills, agents=True)
    cfg["agents"][0]["id"] = org.people["agent"].pk
    with django_capture_on_commit_callbacks(execute=True):
        run = start(org, "supervisor", cfg)
    assert SimulationRun.objects.get(pk=run.pk).status == SimulationRun.Status.DONE
    Employee.objects.filter(pk=org.people["agent"].pk).update(status=Employee.Status.LEFT)
    with pytest.raises(ValidationError) as error:
        start(org, "supervisor", cfg)
    assert error.value.error_dict["agents[0].id"][0].code == "unknown_employee"


@pytest.mark.parametrize("persona", sorted(set(PERSONAS) - PLANNERS))
def test_only_planners_start_runs(org, skills, persona):
    with pytest.raises(NotAllowed):
        start(org, persona, config(skills))
    assert not SimulationRun.objects.exists()


# --- API -----------------------------------------------------------------------------------------------


def test_api_starts_a_run_and_shows_its_progress_and_result(org, skills, api_as, django_capture_on_commit_callbacks):
    client = api_as("manager")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/simulation-runs/", {"config": config(skills)}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "queued"
    run_id = response.json()["id"]
    detail = client.get(f"/api/v1/simulation-runs/{run_id}/").json()
    assert detail["status"] == "done"
    assert detail["progress"] == 1.0
    assert len(detail["result"]["intervals"]) == 8
    assert detail["config"]["seed"] == 11
    listed = client.get("/api/v1/simulation-runs/").json()["results"]
    assert [row["id"] for row in listed] == [run_id]
    assert "result" not in listed[0]


def test_api_answers_bad_input_with_the_field_in_chinese(org, skills, api_as):
    response = api_as("manager").post(
        "/api/v1/simulation-runs/",
        {"config": broken(config(skills), "intervals.0.aht_seconds", 0)},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == ["intervals[0].aht_seconds"]
    assert body["fields"]["intervals[0].aht_seconds"][0]["code"] == "out_of_range"
    assert not SimulationRun.objects.exists()


def test_run_list_has_a_query_ceiling(org, skills, api_as, django_assert_max_num_queries):
    for _ in range(5):
        SimulationRun.objects.create(
            centre=org.centre, created_by=org.people["manager"], config={}, created_at=NOW - timedelta(hours=1)
        )
    client = api_as("manager")
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/simulation-runs/")
    assert response.json()["count"] == 5


# Runs started by the supervisor of D1 and by the supervisor of D2.
SEES_D1 = {"supervisor", "shift_lead", "manager", "admin"}
SEES_D2 = {"other_supervisor", "shift_lead", "manager", "admin"}


def expected(persona: str, sees: set[str]) -> int:
    if persona not in PLANNERS:
        return 403
    return 200 if persona in sees else 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(org, api_as, persona):
    d1 = SimulationRun.objects.create(centre=org.centre, created_by=org.people["supervisor"], config={}, created_at=NOW)
    d2 = SimulationRun.objects.create(
        centre=org.centre, created_by=org.people["other_supervisor"], config={}, created_at=NOW
    )
    client = api_as(persona)
    listing = client.get("/api/v1/simulation-runs/")
    assert listing.status_code == (200 if persona in PLANNERS else 403)
    if persona in PLANNERS:
        seen = {row["id"] for row in listing.json()["results"]}
        assert seen == {run.pk for run, sees in ((d1, SEES_D1), (d2, SEES_D2)) if persona in sees}
    assert client.get(f"/api/v1/simulation-runs/{d1.pk}/").status_code == expected(persona, SEES_D1)
    assert client.get(f"/api/v1/simulation-runs/{d2.pk}/").status_code == expected(persona, SEES_D2)
    # Empty input: 400 proves the permission check passed and validation ran.
    created = client.post("/api/v1/simulation-runs/", {"config": {}}, format="json")
    assert created.status_code == (400 if persona in PLANNERS else 403)
