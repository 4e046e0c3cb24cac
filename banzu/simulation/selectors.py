"""Reads of simulation runs, restricted by core.scoping (DESIGN principle 8)."""

from __future__ import annotations

from typing import Any

from django.db.models import F, QuerySet

from banzu.core import scoping
from banzu.core.errors import OutOfScope
from banzu.simulation.models import SimulationRun


def runs_visible_to(user: Any) -> QuerySet[SimulationRun]:
    return scoping.restrict(SimulationRun.objects.all(), user, "simulation.view").select_related("created_by")


def run_for(user: Any, run_id: Any) -> SimulationRun:
    run = runs_visible_to(user).filter(pk=run_id).first()
    if run is None:
        raise OutOfScope()
    return run


def replay_queues(user: Any | None, centre: Any) -> QuerySet:
    """Queues whose history a run may replay: the centre's active queues, within the user's scope of
    ``simulation.run`` (a supervisor replays their department's queues). No user: the background
    run, whose queues were checked when it was started."""
    from banzu.contact.models import Queue

    queues = Queue.objects.filter(centre=centre, active=True)
    return queues if user is None else scoping.restrict(queues, user, "simulation.run")


def recorded_contacts(centre: Any, queue_ids: list[int], start: Any, end: Any) -> list[tuple]:
    """Contacts queued in the queues in [start, end), in queue order: (queue id, queued at, answered
    at, talk + hold + after-call seconds, wait seconds, ended at). Every contact of the queues counts,
    whoever answered it: a replay needs a queue's whole traffic."""
    from banzu.contact.models import Contact

    return list(
        Contact.objects.filter(centre=centre, queue_id__in=queue_ids, queued_at__gte=start, queued_at__lt=end)
        .annotate(handle=F("talk_seconds") + F("hold_seconds") + F("acw_seconds"))
        .order_by("queued_at", "pk")
        .values_list("queue_id", "queued_at", "answered_at", "handle", "wait_seconds", "ended_at")
    )
