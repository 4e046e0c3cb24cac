"""Simulation runs: validate a what-if scenario, store it, run it in the background (CT-20, WFM-3).

Interface (relied on by the what-if page of ``banzu.wfm``)
-----------------------------------------------------------
``start_run(*, user, centre, config: dict, now) -> SimulationRun``

Checks ``simulation.run`` for ``user``, validates ``config``, stores a run with status ``queued``
and enqueues the Huey task (after commit) that runs ``simulation.engine`` and stores the result.
Bad input raises ``django.core.exceptions.ValidationError`` naming the field (for instance
``intervals[3].aht_seconds``); nothing is stored then. ``config``::

    {
      "seed": int,                        # optional, default 0: same seed + same config = same result
      "interval_minutes": 15 | 30,        # optional: the centre's short (default) or long statistics interval
      "queues": [{
          "code": str,                    # unique within the config
          "skill_ids": [int, ...],        # an agent needs every one (level >= 1) to serve the queue
          "service_level_percent": int,   # optional, default the centre's policy (1..100)
          "service_level_seconds": int,   # optional, default the centre's policy (> 0)
          "priority": int,                # optional, default 0 (higher served first)
          "strategy": str,                # optional, a contact.rules.Strategy value, default longest_idle
      }],
      "intervals": [{
          "start": ISO datetime,          # aware, or naive in the centre's time zone
          "queue": str,                   # a queue code above
          "volume": float,                # expected arrivals in the interval (Poisson), >= 0
          "aht_seconds": float,           # mean handle time (exponential), > 0
          "patience_seconds": float|null, # mean patience (exponential); null: nobody abandons
      }],
      # either explicit agents (a schedule) ...
      "agents": [{
          "id": int | null,               # an employee of `centre` (checked), or null for a virtual agent
          "skills": {skill_id: level},    # keys may be strings (JSON)
          "shifts": [[ISO start, ISO end], ...],
      }],
      # ... or simply how many agents (with every queue's skills) work in each interval:
      "staffing": [{"start": ISO datetime, "agents": int}],
    }

Replay instead of a forecast: leave ``queues`` and ``intervals`` out and give::

      "replay": {
          "queue_ids": [int, ...],        # queues of the centre in the caller's scope of simulation.run
          "start": ISO datetime,          # the recorded period [start, end): at most
          "end": ISO datetime,            # simulation.max_replay_days long
      }

The queues are simulated with the routing policy of the live ACD (``contact.services.queue_policies``:
skills, priority, strategy, overflow to another replayed queue) and their service level threshold,
target and maximum wait. Every contact queued in them in the period arrives when it was queued,
with its recorded handle time (talk + hold + after-call work). One who left unanswered has the
patience they showed (their wait); an answered contact's patience was never seen and is taken as
unlimited; an unanswered contact gets its queue's mean recorded handle time. The intervals are the
grid from ``start``; the result has a row per interval and queue, in time then ``queue_ids`` order.

Exactly one of ``agents`` and ``staffing`` must be given. The simulated horizon runs from the first
interval start to the end of the last interval; shifts are cut to it. An agent who reaches the end
of a shift finishes the contact in hand, then leaves. Contacts still waiting when nobody is left to
answer them count as abandoned, so every offered contact is counted answered or abandoned. Every
routing decision is ``contact.rules.choose``; a contact answered through an overflow target counts
under its own queue, as in the live interval statistics.

``SimulationRun.result`` when ``status == "done"``::

    {
      "intervals": [{
          "start": ISO datetime, "queue": str,
          "offered": int, "answered": int, "abandoned": int,
          "overflowed": int,        # of the answered, those taken by an overflow target's agent
          "service_level": float,   # share of offered contacts answered within the threshold, 0..1
          "asa_seconds": float,     # mean wait of the answered contacts
          "abandon_rate": float,    # abandoned / offered, 0..1
          "occupancy": float,       # busy agent time / staffed agent time in the interval, 0..1
      }],  # one row per (interval, queue) of the input, in input order; contacts count in the
           # interval they arrived in; occupancy is of all agents, the same on every queue's row
      "totals": {"offered", "answered", "abandoned", "service_level", "asa_seconds",
                 "abandon_rate", "occupancy", "contacts_per_second", "routing_calls",
                 "interval_seconds"},
    }

``GET /api/v1/simulation-runs/<id>/`` returns ``id, status, status_label, progress (0..1), seed,
created_by, created_by_name, created_at, started_at, finished_at, error, config, result``; the list
leaves ``config`` and ``result`` out; ``POST /api/v1/simulation-runs/`` takes
``{"config": {...}}`` and answers 201 with the same shape.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.db import transaction
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from banzu.contact import services as contact_services
from banzu.contact.rules import Strategy
from banzu.core import scoping
from banzu.core.errors import Conflict, OutOfScope, invalid
from banzu.core.policies import policies_for
from banzu.org.models import Employee, Skill
from banzu.simulation import engine, selectors
from banzu.simulation.models import SimulationRun

POLICY_KEYS = [
    "contact.service_level_percent",
    "contact.service_level_seconds",
    "contact.short_interval_minutes",
    "contact.long_interval_minutes",
    "simulation.max_expected_contacts",
    "simulation.max_replay_days",
]
# Largest seed NumPy's generator and the database's bigint both accept.
MAX_SEED = 2**63 - 1
# Progress is written when it has moved by this much: a few dozen small updates per run.
PROGRESS_STEP = 0.02


@dataclass(frozen=True)
class Plan:
    """A validated config: the engine's scenario plus what is needed to report by input row."""

    scenario: engine.Scenario
    rows: list[tuple[str, int, int]]  # (start ISO, interval index, queue index), in input order
    queue_codes: list[str]
    service_level_targets: list[int]  # percent, per queue
    seed: int
    arrivals: engine.Arrivals | None = None  # replayed contacts; None: synthetic from the demand


# --- validation ---------------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _list(config: dict, field: str, *, required: bool = True) -> list:
    value = config.get(field)
    if value is None and not required:
        return []
    if not isinstance(value, list) or (required and not value):
        raise invalid(field, _("%(field)s must be a non-empty list."), code="required_list", params={"field": field})
    return value


def _object(value: Any, field: str) -> dict:
    if not isinstance(value, dict):
        raise invalid(field, _("%(field)s must be an object."), code="not_an_object", params={"field": field})
    return value


def _moment(value: Any, field: str, zone: ZoneInfo) -> datetime:
    moment = parse_datetime(value) if isinstance(value, str) else None
    if moment is None:
        raise invalid(
            field,
            _("%(field)s must be a date and time such as 2026-03-02T08:00:00+08:00."),
            code="invalid_datetime",
            params={"field": field},
        )
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _number(
    item: dict,
    key: str,
    field: str,
    *,
    minimum: float,
    strict: bool,
    maximum: float | None = None,
    whole: bool = False,
) -> Any:
    value = item.get(key)
    ok = (_is_int(value) if whole else _is_number(value)) and (value > minimum if strict else value >= minimum)
    if ok and maximum is not None:
        ok = value <= maximum
    if ok:
        return value
    params = {"field": field, "minimum": minimum, "maximum": maximum}
    if maximum is not None:
        message = _("%(field)s must be a whole number from %(minimum)s to %(maximum)s.")
    elif strict:
        message = _("%(field)s must be a number above %(minimum)s.")
    else:
        message = _("%(field)s must be a number, %(minimum)s or more.")
    raise invalid(field, message, code="out_of_range", params=params)


def _queues(config: dict, defaults: dict) -> tuple[list[engine.QueueSpec], list[str], list[int], set[int]]:
    specs, codes, targets, skills = [], [], [], set()
    for i, raw in enumerate(_list(config, "queues")):
        item = _object(raw, f"queues[{i}]")
        code = item.get("code")
        if not isinstance(code, str) or not code.strip():
            raise invalid(f"queues[{i}].code", _("Every queue needs a code."), code="required")
        if code in codes:
            raise invalid(
                f"queues[{i}].code", _("Queue code %(code)s is used twice."), code="duplicate", params={"code": code}
            )
        skill_ids = item.get("skill_ids", [])
        if not isinstance(skill_ids, list) or not all(_is_int(s) for s in skill_ids):
            raise invalid(f"queues[{i}].skill_ids", _("Skills must be a list of skill ids."), code="invalid_skills")
        item = {
            "service_level_percent": defaults["contact.service_level_percent"],
            "service_level_seconds": defaults["contact.service_level_seconds"],
            "priority": 0,
            "strategy": Strategy.LONGEST_IDLE.value,
            **item,
        }
        percent = _number(
            item,
            "service_level_percent",
            f"queues[{i}].service_level_percent",
            minimum=1,
            strict=False,
            maximum=100,
            whole=True,
        )
        seconds = _number(item, "service_level_seconds", f"queues[{i}].service_level_seconds", minimum=0, strict=True)
        priority = item["priority"]
        if not _is_int(priority):
            raise invalid(f"queues[{i}].priority", _("Priority must be a whole number."), code="invalid_priority")
        if item["strategy"] not in {strategy.value for strategy in Strategy}:
            raise invalid(
                f"queues[{i}].strategy",
                _("Unknown routing strategy %(value)s."),
                code="unknown_strategy",
                params={"value": item["strategy"]},
            )
        specs.append(engine.QueueSpec(code, dict.fromkeys(skill_ids, 1), seconds, priority, Strategy(item["strategy"])))
        codes.append(code)
        targets.append(percent)
        skills.update(skill_ids)
    return specs, codes, targets, skills


def _check_skills(skill_ids: set[int], field: str) -> None:
    known = set(Skill.objects.filter(pk__in=skill_ids).values_list("pk", flat=True))
    missing = sorted(skill_ids - known)
    if missing:
        raise invalid(field, _("Unknown skill %(id)s."), code="unknown_skill", params={"id": missing[0]})


def plan_from_config(*, centre: Any, config: Any, user: Any = None) -> Plan:
    """Validate a config (see the module docstring) and turn it into the engine's scenario.

    Raises ValidationError naming the first bad field; reads only policies, skills, employees and,
    for a replay, queues (within `user`'s scope when given) and their recorded contacts.
    """
    if not isinstance(config, dict):
        raise invalid("config", _("The simulation input must be an object."), code="not_an_object")
    defaults = policies_for(centre, POLICY_KEYS)
    zone = ZoneInfo(centre.timezone)

    seed = config.get("seed", 0)
    if not _is_int(seed) or not 0 <= seed <= MAX_SEED:
        raise invalid("seed", _("The seed must be a whole number, 0 or more."), code="invalid_seed")
    allowed = sorted({defaults["contact.short_interval_minutes"], defaults["contact.long_interval_minutes"]})
    minutes = config.get("interval_minutes", defaults["contact.short_interval_minutes"])
    if minutes not in allowed or not _is_int(minutes):
        raise invalid(
            "interval_minutes",
            _("The interval must be one of the statistics intervals: %(allowed)s minutes."),
            code="invalid_interval",
            params={"allowed": ", ".join(str(m) for m in allowed)},
        )
    length = timedelta(minutes=minutes)

    if "replay" in config:
        queues, codes, targets, first, intervals, arrivals = _replay(config, centre, zone, length, defaults, user)
        rows = [
            ((first + index * length).astimezone(zone).isoformat(), index, queue)
            for index in range(intervals)
            for queue in range(len(queues))
        ]
        demand: list[engine.Demand] = []
    else:
        queues, codes, targets, first, intervals, demand, rows = _demand(config, zone, length, minutes, defaults)
        arrivals = None

    # Exactly one of the two ways to give agents.
    if ("agents" in config) == ("staffing" in config):
        raise invalid(
            "agents", _("Give either agents with shifts or staffing per interval."), code="agents_or_staffing"
        )
    agents = (
        _agents(config, centre, zone, first)
        if "agents" in config
        else _staffing(config, zone, first, length, intervals, queues)
    )
    scenario = engine.Scenario(
        start=first,
        interval_seconds=length.total_seconds(),
        intervals=intervals,
        queues=queues,
        demand=demand,
        agents=agents,
        seed=seed,
    )
    return Plan(
        scenario=scenario, rows=rows, queue_codes=codes, service_level_targets=targets, seed=seed, arrivals=arrivals
    )


def _demand(config: dict, zone: ZoneInfo, length: timedelta, minutes: int, defaults: dict) -> tuple:
    """Queues and forecast demand rows: (queues, codes, targets, first start, intervals, demand, rows)."""
    queues, codes, targets, skills = _queues(config, defaults)
    _check_skills(skills, "queues")

    # Demand rows.
    raw_rows = _list(config, "intervals")
    parsed = []
    for i, raw in enumerate(raw_rows):
        item = _object(raw, f"intervals[{i}]")
        start = _moment(item.get("start"), f"intervals[{i}].start", zone)
        if item.get("queue") not in codes:
            raise invalid(
                f"intervals[{i}].queue",
                _("Unknown queue %(code)s: name one of the queues."),
                code="unknown_queue",
                params={"code": item.get("queue")},
            )
        volume = _number(item, "volume", f"intervals[{i}].volume", minimum=0, strict=False)
        aht = _number(item, "aht_seconds", f"intervals[{i}].aht_seconds", minimum=0, strict=True)
        patience = None
        if item.get("patience_seconds") is not None:
            patience = _number(item, "patience_seconds", f"intervals[{i}].patience_seconds", minimum=0, strict=True)
        parsed.append((start, codes.index(item["queue"]), float(volume), float(aht), patience))
    first = min(row[0] for row in parsed)
    seen: set[tuple[int, int]] = set()
    demand, rows = [], []
    for i, (start, queue, volume, aht, patience) in enumerate(parsed):
        index, rest = divmod(start - first, length)
        if rest:
            raise invalid(
                f"intervals[{i}].start",
                _("Intervals must start on the %(minutes)s-minute grid of the first interval."),
                code="off_grid",
                params={"minutes": minutes},
            )
        if (index, queue) in seen:
            raise invalid(
                f"intervals[{i}].start",
                _("Queue %(code)s has this interval twice."),
                code="duplicate_interval",
                params={"code": codes[queue]},
            )
        seen.add((index, queue))
        demand.append(engine.Demand(index, queue, volume, aht, patience))
        rows.append((start.isoformat(), index, queue))
    intervals = max(index for _s, index, _q in rows) + 1
    expected = sum(d.volume for d in demand)
    if expected > defaults["simulation.max_expected_contacts"]:
        raise invalid(
            "intervals",
            _("The input expects %(expected)s contacts; one run may expect at most %(limit)s."),
            code="too_many_contacts",
            params={"expected": round(expected), "limit": defaults["simulation.max_expected_contacts"]},
        )
    return queues, codes, targets, first, intervals, demand, rows


def _replay(config: dict, centre: Any, zone: ZoneInfo, length: timedelta, defaults: dict, user: Any) -> tuple:
    """Queues and recorded arrivals of a replay: (queues, codes, targets, start, intervals, arrivals)."""
    item = _object(config.get("replay"), "replay")
    for key in ("queues", "intervals"):
        if key in config:
            raise invalid(
                key,
                _("A replay takes its queues and demand from history: leave %(field)s out."),
                code="replay_with_demand",
                params={"field": key},
            )
    ids = item.get("queue_ids")
    if not isinstance(ids, list) or not ids or not all(_is_int(i) for i in ids) or len(set(ids)) != len(ids):
        raise invalid("replay.queue_ids", _("Give a list of different queue ids to replay."), code="invalid_queue_ids")
    start = _moment(item.get("start"), "replay.start", zone)
    end = _moment(item.get("end"), "replay.end", zone)
    if end <= start:
        raise invalid("replay.end", _("The end of the period must come after its start."), code="end_before_start")
    days = defaults["simulation.max_replay_days"]
    if end - start > timedelta(days=days):
        raise invalid(
            "replay.end",
            _("One run may replay at most %(days)s days."),
            code="period_too_long",
            params={"days": days},
        )
    known = {queue.pk: queue for queue in selectors.replay_queues(user, centre).filter(pk__in=ids)}
    routing = contact_services.queue_policies(centre)  # the policies the live ACD routes with
    for i, queue_id in enumerate(ids):
        if queue_id not in known or queue_id not in routing:
            raise invalid(
                f"replay.queue_ids[{i}]",
                _("Unknown queue %(id)s, or one you may not plan for."),
                code="unknown_queue",
                params={"id": queue_id},
            )
    index_of = {queue_id: k for k, queue_id in enumerate(ids)}
    specs = []
    for queue_id in ids:
        queue, policy = known[queue_id], routing[queue_id]
        # Overflow to a queue outside the replay has no simulated agents to reach: left out.
        target = index_of.get(policy.overflow_queue_id)
        specs.append(
            engine.QueueSpec(
                queue.code,
                dict(policy.required_skills),
                queue.service_level_seconds or defaults["contact.service_level_seconds"],
                policy.priority,
                policy.strategy,
                overflow_to=target,
                overflow_after_seconds=policy.overflow_after_seconds if target is not None else None,
                max_wait_seconds=queue.max_wait_seconds,
            )
        )
    targets = [known[i].service_level_percent or defaults["contact.service_level_percent"] for i in ids]
    recorded = selectors.recorded_contacts(centre, ids, start, end)
    if not recorded:
        raise invalid("replay", _("No contacts of these queues were recorded in this period."), code="empty_period")
    limit = defaults["simulation.max_expected_contacts"]
    if len(recorded) > limit:
        raise invalid(
            "replay",
            _("The period has %(expected)s contacts; one run may expect at most %(limit)s."),
            code="too_many_contacts",
            params={"expected": len(recorded), "limit": limit},
        )
    intervals = math.ceil((end - start) / length)
    return specs, [known[i].code for i in ids], targets, start, intervals, _recorded_arrivals(recorded, start, index_of)


def _recorded_arrivals(recorded: list[tuple], start: datetime, index_of: dict[int, int]) -> engine.Arrivals:
    """The engine's arrivals from recorded contacts (see the module docstring for what is assumed)."""
    at, queue, handle, patience = [], [], [], []
    handled: dict[int, list[float]] = {}
    for queue_id, queued_at, answered_at, seconds, wait, ended_at in recorded:
        at.append((queued_at - start).total_seconds())
        queue.append(index_of[queue_id])
        if answered_at is not None:
            handle.append(float(seconds or 0))
            handled.setdefault(queue_id, []).append(float(seconds or 0))
            patience.append(math.inf)
        else:
            handle.append(math.nan)  # filled in below with the queue's mean
            left = wait if wait else (ended_at - queued_at).total_seconds() if ended_at else None
            patience.append(math.inf if left is None else float(left))
    overall = [value for values in handled.values() for value in values]
    means = {q: sum(values) / len(values) for q, values in handled.items()}
    fallback = sum(overall) / len(overall) if overall else 0.0
    by_index = {index: means.get(queue_id, fallback) for queue_id, index in index_of.items()}
    handle = [by_index[q] if math.isnan(h) else h for h, q in zip(handle, queue, strict=True)]
    return engine.Arrivals(
        at=np.array(at, dtype=float),
        queue=np.array(queue, dtype=np.int64),
        handle=np.array(handle, dtype=float),
        patience=np.array(patience, dtype=float),
    )


def _agents(config: dict, centre: Any, zone: ZoneInfo, first: datetime) -> list[engine.AgentSpec]:
    agents, employee_ids, skills = [], {}, set()
    for i, raw in enumerate(_list(config, "agents")):
        item = _object(raw, f"agents[{i}]")
        employee = item.get("id")
        if employee is not None:
            if not _is_int(employee):
                raise invalid(f"agents[{i}].id", _("An agent id must be an employee id or null."), code="invalid_id")
            employee_ids.setdefault(employee, i)
        raw_skills = item.get("skills")
        if not isinstance(raw_skills, dict):
            raise invalid(f"agents[{i}].skills", _("Skills must map skill ids to levels."), code="invalid_skills")
        agent_skills = {}
        for key, level in raw_skills.items():
            try:
                skill = int(key)
            except (TypeError, ValueError):
                skill = None
            if skill is None or not _is_int(level) or level < 1:
                raise invalid(
                    f"agents[{i}].skills",
                    _("Skills must map skill ids to levels of 1 or more."),
                    code="invalid_skills",
                )
            agent_skills[skill] = level
        skills.update(agent_skills)
        shifts = item.get("shifts")
        if not isinstance(shifts, list):
            raise invalid(
                f"agents[{i}].shifts", _("Shifts must be a list of [start, end] pairs."), code="invalid_shifts"
            )
        spans = []
        for j, pair in enumerate(shifts):
            field = f"agents[{i}].shifts[{j}]"
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                raise invalid(field, _("Shifts must be a list of [start, end] pairs."), code="invalid_shifts")
            start, end = (_moment(value, field, zone) for value in pair)
            if end <= start:
                raise invalid(field, _("A shift must end after it starts."), code="shift_ends_before_start")
            spans.append(((start - first).total_seconds(), (end - first).total_seconds()))
        agents.append(engine.AgentSpec(agent_skills, spans))
    if employee_ids:
        known = set(
            Employee.objects.filter(centre=centre, pk__in=employee_ids)
            .exclude(status=Employee.Status.LEFT)
            .values_list("pk", flat=True)
        )
        for employee, i in employee_ids.items():
            if employee not in known:
                raise invalid(
                    f"agents[{i}].id",
                    _("Employee %(id)s is not a current employee of this centre."),
                    code="unknown_employee",
                    params={"id": employee},
                )
    _check_skills(skills, "agents")
    return agents


def _staffing(
    config: dict, zone: ZoneInfo, first: datetime, length: timedelta, intervals: int, queues: list[engine.QueueSpec]
) -> list[engine.AgentSpec]:
    """Virtual agents with every queue's skills: agent j works the intervals staffed with more than j."""
    counts = [0] * intervals
    for i, raw in enumerate(_list(config, "staffing")):
        item = _object(raw, f"staffing[{i}]")
        start = _moment(item.get("start"), f"staffing[{i}].start", zone)
        index, rest = divmod(start - first, length)
        if rest or not 0 <= index < intervals:
            raise invalid(
                f"staffing[{i}].start",
                _("Staffing must be given for the intervals of the input."),
                code="off_grid",
            )
        counts[index] = _number(item, "agents", f"staffing[{i}].agents", minimum=0, strict=False, whole=True)
    skills = {skill: 1 for queue in queues for skill in queue.required_skills}
    seconds = length.total_seconds()
    agents = []
    for j in range(max(counts, default=0)):
        spans = [(k * seconds, (k + 1) * seconds) for k, count in enumerate(counts) if count > j]
        agents.append(engine.AgentSpec(skills, spans))
    return agents


# --- writes -------------------------------------------------------------------------------------------


@transaction.atomic
def start_run(*, user: Any, centre: Any, config: Any, now: datetime) -> SimulationRun:
    """Validate `config`, store a queued run and enqueue it for a worker (after commit)."""
    scoping.ensure_can(user, "simulation.run")
    actor = scoping.actor_for(user)
    if actor.centre_id is not None and actor.centre_id != centre.pk:
        raise OutOfScope()
    plan = plan_from_config(centre=centre, config=config, user=user)
    run = SimulationRun.objects.create(
        centre=centre,
        created_by_id=actor.employee_id,
        status=SimulationRun.Status.QUEUED,
        seed=plan.seed,
        config=config,
        created_at=now,
    )
    from banzu.simulation import tasks  # the task module imports this one

    transaction.on_commit(lambda: tasks.run_simulation_task(run.pk))
    return run


def _report(plan: Plan, result: engine.Result) -> dict:
    length = plan.scenario.interval_seconds
    occupancy = [
        min(b / s, 1.0) if s else 0.0 for b, s in zip(result.busy.tolist(), result.staffed.tolist(), strict=True)
    ]

    def ratio(top: float, bottom: float) -> float:
        return round(float(top) / float(bottom), 6) if bottom else 0.0

    rows = []
    for start, index, queue in plan.rows:
        offered = int(result.offered[index, queue])
        answered = int(result.answered[index, queue])
        abandoned = int(result.abandoned[index, queue])
        rows.append(
            {
                "start": start,
                "queue": plan.queue_codes[queue],
                "offered": offered,
                "answered": answered,
                "abandoned": abandoned,
                "overflowed": int(result.overflowed[index, queue]),
                "service_level": ratio(result.answered_in_time[index, queue], offered),
                "asa_seconds": round(ratio(result.wait_answered[index, queue], answered), 3),
                "abandon_rate": ratio(abandoned, offered),
                "occupancy": round(occupancy[index], 6),
            }
        )
    totals = engine.summary(result)
    totals = {key: round(value, 6) if isinstance(value, float) else value for key, value in totals.items()}
    totals["interval_seconds"] = length
    return {"intervals": rows, "totals": totals}


def run_simulation(*, run_id: int, now: datetime) -> SimulationRun:
    """Run a queued simulation to the end and store its result (the Huey task calls this).

    Not one transaction: progress must be visible to readers while the engine runs, so the status,
    each progress step and the result are separate conditional updates. Claiming the run is a
    conditional update from queued to running, so a task delivered twice runs it once.
    """
    claimed = SimulationRun.objects.filter(pk=run_id, status=SimulationRun.Status.QUEUED).update(
        status=SimulationRun.Status.RUNNING, started_at=now
    )
    if not claimed:
        raise Conflict(_("This simulation run has already been started."), code="run_started")
    run = SimulationRun.objects.select_related("centre").get(pk=run_id)
    clock = time.perf_counter()  # finished_at = the caller's now + the run's own duration
    try:
        plan = plan_from_config(centre=run.centre, config=run.config)
        written = [0.0]

        def progress(fraction: float) -> None:
            if fraction - written[0] >= PROGRESS_STEP and fraction < 1.0:
                written[0] = fraction
                SimulationRun.objects.filter(pk=run_id).update(progress=round(fraction, 4))

        result = engine.simulate(plan.scenario, plan.arrivals, progress=progress)
        report = _report(plan, result)
    except Exception as exc:  # a failed run must say so, never stay "running"
        SimulationRun.objects.filter(pk=run_id).update(
            status=SimulationRun.Status.FAILED,
            error=str(exc)[:2000],
            finished_at=now + timedelta(seconds=time.perf_counter() - clock),
        )
        raise
    SimulationRun.objects.filter(pk=run_id).update(
        status=SimulationRun.Status.DONE,
        progress=1.0,
        result=report,
        finished_at=now + timedelta(seconds=time.perf_counter() - clock),
    )
    run.refresh_from_db()
    return run
