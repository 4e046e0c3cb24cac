"""Periodic work of callbacks and on-site dispatch (DESIGN principle 5: deadlines are rows)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from banzu.callbacks import services


@db_periodic_task(crontab(minute="*/5"))
def escalate_overdue_callbacks() -> dict[str, int]:
    """Escalate overdue callback tasks and on-site orders. Idempotent: each item once, however
    often and on however many workers it runs (see services.escalate_overdue)."""
    done = services.escalate_overdue(now=timezone.now())
    return {"tasks": len(done.tasks), "onsite_orders": len(done.onsite_orders)}
