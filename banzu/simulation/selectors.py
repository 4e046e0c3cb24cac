"""Reads of simulation runs, restricted by core.scoping (DESIGN principle 8)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

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
