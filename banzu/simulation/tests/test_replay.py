"""Replaying recorded history (CT-20): a run's arrivals, handle times and patience from the contacts of
chosen queues in a period, the queues routed with the live ACD's policy, within the caller's scope."""

from __future__ import annotations

import heapq
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.core.exceptions import ValidationError

from banzu.contact.models import Contact
from banzu.contact.tests.factories import QueueFactory, QueueSkillFactory, channel
from banzu.org.tests.factories import SkillFactory
from banzu.simulation import services
from banzu.simulation.models import SimulationRun

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
DAY = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # 08:00 in the centre's zone (Asia/Shanghai)
HOURS, AGENTS = 8, 12
AHT, PATIENCE, PER_HOUR = 240.0, 150.0, 165.0


@pytest.fixture
def queues(org):
    """Hotline (department 1) overflowing to tax after 40 s; VIP belongs to department 2."""
    hotline_skill, tax_skill = SkillFactory(code="rp_hotline"), SkillFactory(code="rp_tax")
    tax = QueueFactory(department=org.department, code="tax", service_level_seconds=30)
    hotline = QueueFactory(
        department=org.department,
        code="hotline",
        service_level_seconds=20,
        service_level_percent=80,
        max_wait_seconds=900,
        overflow_queue=tax,
        overflow_after_seconds=40,
    )
    vip = QueueFactory(department=org.other_department, code="vip")
    QueueSkillFactory(queue=hotline, skill=hotline_skill)
    QueueSkillFactory(queue=tax, skill=tax_skill)
    return hotline, tax, vip


def record_day(queue, seed: int = 5) -> tuple[int, int]:
    """A recorded day of `queue` served first come first served by AGENTS agents (M/M/c+M), written as
    contacts; returns (offered, answered)."""
    rng = np.random.default_rng(seed)
    span = HOURS * 3600.0
    count = rng.poisson(PER_HOUR * HOURS)
    arrivals = np.sort(rng.random(count) * span)
    free = [0.0] * AGENTS  # when each agent is next free
    rows, answered = [], 0
    voice = channel()
    for at, handle, patience in zip(
        arrivals, rng.exponential(AHT, count).round() + 1, rng.exponential(PATIENCE, count), strict=True
    ):
        start = max(at, free[0])
        queued = DAY + timedelta(seconds=float(at))
        if start - at <= patience:
            heapq.heapreplace(free, start + handle)
            answered += 1
            answer = DAY + timedelta(seconds=float(start))
            end = answer + timedelta(seconds=float(handle))
            status, wait, talk = Contact.Status.ENDED, round(start - at), int(handle)
        else:
            answer, end = None, queued + timedelta(seconds=float(patience))
            status, wait, talk = Contact.Status.ABANDONED, round(patience), 0
        rows.append(
            Contact(
                centre=queue.centre,
                channel=voice,
                queue=queue,
                status=status,
                arrived_at=queued,
                queued_at=queued,
                answered_at=answer,
                ended_at=end,
                wait_seconds=wait,
                talk_seconds=talk,
            )
        )
    Contact.objects.bulk_create(rows, batch_size=500)
    return count, answered


def replay_config(queue_ids, *, hours: int = HOURS, agents: int = AGENTS, **replay) -> dict:
    starts = [(DAY + timedelta(minutes=30 * k)).isoformat() for k in range(hours * 2)]
    return {
        "seed": 3,
        "interval_minutes": 30,
        "replay": {
            "queue_ids": queue_ids,
            "start": DAY.isoformat(),
            "end": (DAY + timedelta(hours=hours)).isoformat(),
            **replay,
        },
        "staffing": [{"start": start, "agents": agents} for start in starts],
    }


def run(org, persona, cfg, capture) -> SimulationRun:
    with capture(execute=True):
        created = services.start_run(user=org.people[persona].user, centre=org.centre, config=cfg, now=NOW)
    created.refresh_from_db()
    return created


def test_replaying_a_recorded_day_with_its_staffing_reproduces_its_served_count(
    org, queues, django_capture_on_commit_callbacks
):
    hotline = queues[0]
    offered, answered = record_day(hotline)
    done = run(org, "supervisor", replay_config([hotline.pk]), django_capture_on_commit_callbacks)
    assert done.status == SimulationRun.Status.DONE, done.error
    totals = done.result["totals"]
    assert totals["offered"] == offered  # every recorded contact, once
    assert abandon_share(offered, answered) > 0.03  # the recorded day was loaded enough to lose callers
    # Answered callers' patience was never seen (taken as unlimited), so the replay may serve a few more.
    assert abs(totals["answered"] - answered) <= 0.02 * offered
    rows = done.result["intervals"]
    assert len(rows) == HOURS * 2
    assert rows[0]["start"] == "2026-03-02T08:00:00+08:00" and rows[0]["queue"] == "hotline"
    assert sum(row["overflowed"] for row in rows) == 0  # tax is not replayed: nowhere to overflow to
    # Fewer agents on the same history: fewer served, which a replay exists to show.
    fewer = run(org, "supervisor", replay_config([hotline.pk], agents=AGENTS - 3), django_capture_on_commit_callbacks)
    assert fewer.result["totals"]["offered"] == offered
    assert fewer.result["totals"]["answered"] < totals["answered"] - 0.05 * offered


def abandon_share(offered: int, answered: int) -> float:
    return (offered - answered) / offered


def test_replayed_queues_keep_the_live_routing_policy(org, queues):
    hotline, tax, _vip = queues
    record_day(hotline)
    plan = services.plan_from_config(
        centre=org.centre, config=replay_config([hotline.pk, tax.pk]), user=org.people["supervisor"].user
    )
    first, second = plan.scenario.queues
    assert (first.code, first.overflow_to, first.overflow_after_seconds) == ("hotline", 1, 40)
    assert (first.service_level_seconds, first.max_wait_seconds) == (20, 900)
    assert second.code == "tax" and second.overflow_to is None
    assert set(first.required_skills) == {hotline.skills.get().skill_id}
    assert plan.service_level_targets[0] == 80
    assert len(plan.arrivals) == Contact.objects.count()
    # The target outside the replay has no simulated agents: the overflow is left out.
    alone = services.plan_from_config(centre=org.centre, config=replay_config([hotline.pk]))
    assert alone.scenario.queues[0].overflow_to is None


def test_recorded_patience_and_handle_times_are_replayed(org, queues):
    hotline = queues[0]
    queued = DAY + timedelta(minutes=5)
    common = {"centre": org.centre, "channel": channel(), "queue": hotline, "arrived_at": queued, "queued_at": queued}
    Contact.objects.create(
        **common, status=Contact.Status.ENDED, answered_at=queued, talk_seconds=100, hold_seconds=20, acw_seconds=30
    )
    Contact.objects.create(**common, status=Contact.Status.ABANDONED, wait_seconds=42, ended_at=queued)
    plan = services.plan_from_config(centre=org.centre, config=replay_config([hotline.pk]))
    assert plan.arrivals.at.tolist() == [300.0, 300.0]
    assert plan.arrivals.handle.tolist() == [150.0, 150.0]  # the unanswered one: the queue's mean
    assert plan.arrivals.patience.tolist() == [np.inf, 42.0]


CASES = [
    ({"queue_ids": []}, "replay.queue_ids", "invalid_queue_ids"),
    ({"queue_ids": ["hotline"]}, "replay.queue_ids", "invalid_queue_ids"),
    ({"queue_ids": [987654]}, "replay.queue_ids[0]", "unknown_queue"),
    ({"start": "yesterday"}, "replay.start", "invalid_datetime"),
    ({"end": DAY.isoformat()}, "replay.end", "end_before_start"),
    ({"end": (DAY + timedelta(days=32)).isoformat()}, "replay.end", "period_too_long"),
    (
        {"start": (DAY + timedelta(days=20)).isoformat(), "end": (DAY + timedelta(days=21)).isoformat()},
        "replay",
        "empty_period",
    ),
]


@pytest.mark.parametrize(("change", "field", "code"), CASES)
def test_bad_replay_names_the_field_and_stores_nothing(org, queues, change, field, code):
    hotline = queues[0]
    record_day(hotline)
    cfg = replay_config([hotline.pk])
    cfg["replay"].update(change)
    with pytest.raises(ValidationError) as error:
        services.start_run(user=org.people["supervisor"].user, centre=org.centre, config=cfg, now=NOW)
    assert error.value.error_dict.keys() == {field}
    assert error.value.error_dict[field][0].code == code
    assert not SimulationRun.objects.exists()


def test_a_replay_takes_no_forecast_demand(org, queues):
    cfg = replay_config([queues[0].pk])
    cfg["intervals"] = []
    with pytest.raises(ValidationError) as error:
        services.plan_from_config(centre=org.centre, config=cfg)
    assert error.value.error_dict["intervals"][0].code == "replay_with_demand"


@pytest.mark.parametrize(("persona", "allowed"), [("supervisor", False), ("other_supervisor", True), ("manager", True)])
def test_a_planner_replays_only_queues_in_their_scope(org, queues, persona, allowed):
    vip = queues[2]  # staffed by department 2
    record_day(vip)
    cfg = replay_config([vip.pk])
    if allowed:
        assert services.start_run(user=org.people[persona].user, centre=org.centre, config=cfg, now=NOW).pk
    else:
        with pytest.raises(ValidationError) as error:
            services.start_run(user=org.people[persona].user, centre=org.centre, config=cfg, now=NOW)
        assert error.value.error_dict["replay.queue_ids[0]"][0].code == "unknown_queue"


def test_api_replays_history(org, queues, api_as, django_capture_on_commit_callbacks):
    hotline = queues[0]
    offered, _answered = record_day(hotline)
    client = api_as("manager")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/simulation-runs/", {"config": replay_config([hotline.pk])}, format="json")
    assert response.status_code == 201, response.content
    detail = client.get(f"/api/v1/simulation-runs/{response.json()['id']}/").json()
    assert detail["status"] == "done"
    assert detail["result"]["totals"]["offered"] == offered
    bad = replay_config([hotline.pk], end=(DAY + timedelta(days=40)).isoformat())
    response = client.post("/api/v1/simulation-runs/", {"config": bad}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"]["replay.end"][0]["code"] == "period_too_long"
