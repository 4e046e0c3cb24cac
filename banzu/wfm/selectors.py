"""Scoped reads of planning data, and the one place actual volumes come from."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, QuerySet

from banzu.contact.models import Contact, Queue
from banzu.core import scoping
from banzu.core.calendar import centre_zone
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
# Actual volumes and handle times come from here only. They are counted from contacts today; when the
# contact app's interval statistics (CT-16) exist, these two functions read them instead.


def actual_volumes(queue: Queue, *, first: datetime, interval_minutes: int, count: int) -> list[int]:
    """Contacts that arrived in `queue` in each interval of the grid starting at `first`."""
    end = first + timedelta(minutes=interval_minutes * count)
    arrivals = Contact.objects.filter(queue=queue, arrived_at__gte=first, arrived_at__lt=end).values_list(
        "arrived_at", flat=True
    )
    return rules.bucket_counts(arrivals, first=first, interval_minutes=interval_minutes, count=count)


def handled_contacts(queue: Queue, *, start: datetime, end: datetime, zone) -> list[tuple[datetime, float]]:
    """(local arrival time, handle time in seconds) of the answered contacts of `queue` in [start, end)."""
    rows = (
        Contact.objects.filter(queue=queue, arrived_at__gte=start, arrived_at__lt=end, answered_at__isnull=False)
        .annotate(handle=F("talk_seconds") + F("hold_seconds") + F("acw_seconds"))
        .values_list("arrived_at", "handle")
    )
    return [(moment.astimezone(zone), float(handle)) for moment, handle in rows if handle and handle > 0]


def first_arrival(queue: Queue, *, since: datetime) -> datetime | None:
    return (
        Contact.objects.filter(queue=queue, arrived_at__gte=since)
        .order_by("arrived_at")
        .values_list("arrived_at", flat=True)
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
