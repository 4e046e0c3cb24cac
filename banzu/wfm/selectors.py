"""Scoped reads of planning data, and the one place actual volumes come from."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet

from banzu.contact import rules as contact_rules
from banzu.contact.models import Contact, Queue, QueueInterval
from banzu.core import scoping
from banzu.core.calendar import centre_zone
from banzu.core.policies import policies_for
from banzu.org.models import Employee
from banzu.wfm import rules
from banzu.wfm.models import ForecastInterval, ForecastSnapshot, StaffingRequirement, WhatIfScenario


def forecasts_visible_to(user: Any, action: str = "wfm.view_forecasts") -> QuerySet[ForecastSnapshot]:
    qs = ForecastSnapshot.objects.select_related("centre", "queue", "published_by", "created_by")
    return scoping.restrict(qs, user, action)


def scenarios_visible_to(user: Any, action: str = "wfm.plan") -> QuerySet[WhatIfScenario]:
    return scoping.restrict(WhatIfScenario.objects.select_related("owner", "snapshot__queue"), user, action)


def queues_for_planning(user: Any) -> QuerySet[Queue]:
    return scoping.restrict(Queue.objects.filter(active=True), user, "wfm.plan")


def schedulable_people(user: Any, limit: int = 500) -> list[dict]:
    """People a planner may put in a what-if schedule: the roster they see, leavers left out."""
    qs = scoping.restrict(Employee.objects.exclude(status=Employee.Status.LEFT), user, "org.view_roster")
    return list(qs.order_by("employee_no").values("pk", "employee_no", "name")[:limit])


def simulation_run(user: Any, run_id: int):
    """A simulation run the user may see (404 otherwise); the simulator is a separate app."""
    from banzu.simulation.models import SimulationRun

    return scoping.get_in_scope(SimulationRun.objects.all(), user, "simulation.view", pk=run_id)


def intervals_of(snapshot: ForecastSnapshot) -> list[rules.PlannedInterval]:
    """The snapshot's intervals in time order, in the centre's local time (the planners' clock)."""
    zone = centre_zone(snapshot.centre)
    rows = (
        ForecastInterval.objects.filter(snapshot=snapshot)
        .order_by("starts_at")
        .values_list("starts_at", "volume", "aht_seconds")
    )
    return [rules.PlannedInterval(start.astimezone(zone), volume, aht) for start, volume, aht in rows]


def stored_requirements(snapshot: ForecastSnapshot, target: rules.Target, shrinkage_percent: float, patience) -> list:
    return list(
        StaffingRequirement.objects.filter(
            snapshot=snapshot,
            target_kind=target.kind,
            target_percent=round(target.percent) if target.kind == rules.SERVICE_LEVEL else 0,
            target_seconds=round(target.seconds),
            shrinkage_percent=shrinkage_percent,
            patience_seconds=patience or 0,
        ).order_by("starts_at")
    )


# --- actuals ---------------------------------------------------------------------------------------------
# Actual volumes and handle times come from here only, read from the queue interval statistics that
# contact.statistics maintains as contacts end (CT-16: dashboards and KPIs never rescan raw contacts).
# A contact counts in the interval it was queued in, once it was answered or abandoned; history from
# before the rows were kept is brought in with contact.statistics.rebuild_interval_statistics.

_LENGTH_KEYS = ["contact.short_interval_minutes", "contact.long_interval_minutes"]
# The contacts the interval rows count as offered: answered (then ended) or abandoned.
_OFFERED = (Contact.Status.ACW, Contact.Status.ENDED, Contact.Status.ABANDONED)


def _stored_lengths(queue: Queue) -> tuple[tuple[int, ...], Any]:
    """The interval lengths the statistics rows are kept in (shortest first) and the centre's zone."""
    values = policies_for(queue.centre_id, _LENGTH_KEYS)
    lengths = contact_rules.interval_lengths(*(values[key] for key in _LENGTH_KEYS))
    return tuple(sorted(set(lengths))), centre_zone(queue.centre)


def actual_volumes(queue: Queue, *, first: datetime, interval_minutes: int, count: int) -> list[int]:
    """Contacts offered to `queue` in each interval of the grid starting at `first`."""
    end = first + timedelta(minutes=interval_minutes * count)
    lengths, zone = _stored_lengths(queue)
    # The longest stored length whose rows nest in the grid's intervals.
    stored = next(
        (
            minutes
            for minutes in reversed(lengths)
            if interval_minutes % minutes == 0 and contact_rules.interval_start(first, minutes, zone) == first
        ),
        None,
    )
    if stored is None:  # a grid no stored length tiles (never one of the centre's own): count contacts
        arrivals = Contact.objects.filter(
            queue=queue, queued_at__gte=first, queued_at__lt=end, status__in=_OFFERED
        ).values_list("queued_at", flat=True)
        return rules.bucket_counts(arrivals, first=first, interval_minutes=interval_minutes, count=count)
    counts = [0] * count
    step = interval_minutes * 60
    rows = QueueInterval.objects.filter(queue=queue, minutes=stored, start__gte=first, start__lt=end)
    for start, offered in rows.values_list("start", "offered"):
        counts[int((start - first).total_seconds() // step)] += offered
    return counts


def handled_contacts(queue: Queue, *, start: datetime, end: datetime, zone) -> list[tuple[datetime, float]]:
    """(local interval start, handle time in seconds) for each answered contact of `queue` in [start, end).

    The rows hold each interval's total handle time (talk + hold + after-call work) and answered
    count, so every contact of an interval stands at the interval's mean: the handle time profile
    and the overall mean come out as from the contacts themselves. Intervals of the shortest stored
    length, so each falls in one slot of any planning interval.
    """
    lengths, _zone = _stored_lengths(queue)
    rows = QueueInterval.objects.filter(
        queue=queue, minutes=lengths[0], start__gte=start, start__lt=end, answered__gt=0
    ).values_list("start", "answered", "talk_seconds", "hold_seconds", "acw_seconds")
    out: list[tuple[datetime, float]] = []
    for moment, answered, talk, hold, acw in rows.order_by("start"):
        total = talk + hold + acw
        if total > 0:
            out.extend([(moment.astimezone(zone), total / answered)] * answered)
    return out


def first_arrival(queue: Queue, *, since: datetime) -> datetime | None:
    """The start of the first interval since `since` in which `queue` was offered contacts."""
    lengths, _zone = _stored_lengths(queue)
    return (
        QueueInterval.objects.filter(queue=queue, minutes=lengths[0], start__gte=since, offered__gt=0)
        .order_by("start")
        .values_list("start", flat=True)
        .first()
    )


def snapshot_accuracy(snapshot: ForecastSnapshot, *, now: datetime) -> rules.Accuracy:
    """The snapshot against the actuals of its intervals that have ended by `now`."""
    intervals = intervals_of(snapshot)
    step = timedelta(minutes=snapshot.interval_minutes)
    ended = [item for item in intervals if item.start + step <= now]
    if not ended:
        return rules.accuracy([], [])
    actual = actual_volumes(
        snapshot.queue, first=ended[0].start, interval_minutes=snapshot.interval_minutes, count=len(ended)
    )
    return rules.accuracy([item.volume for item in ended], actual)
