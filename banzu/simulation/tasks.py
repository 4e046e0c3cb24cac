"""Background work of the simulator: one Huey task per run (CT-20)."""

from __future__ import annotations

from django.utils import timezone
from huey.contrib.djhuey import db_task

from banzu.simulation import services


@db_task()
def run_simulation_task(run_id: int) -> None:
    services.run_simulation(run_id=run_id, now=timezone.now())
