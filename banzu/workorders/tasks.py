"""Periodic work of work orders (DESIGN principle 5: deadlines are rows, a sweep finds the breaches)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from banzu.workorders import services

BATCH_SIZE = 100  # rows per transaction: short locks, and a stopped worker loses one batch at most


def sweep_overdue(*, batch_size: int = BATCH_SIZE) -> int:
    """Escalate every overdue deadline, batch by batch; returns how many were escalated.

    Safe to stop at any moment and to run on several workers at once (services.escalate_overdue).
    """
    total = 0
    while True:
        done = services.escalate_overdue(now=timezone.now(), batch_size=batch_size)
        total += len(done)
        if len(done) < batch_size:
            return total


@db_periodic_task(crontab(minute="*"))
def escalate_overdue_work_orders() -> int:
    return sweep_overdue()
