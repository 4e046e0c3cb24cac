"""Periodic work of complaints: the deadline sweep (CMP-3, DESIGN principle 5).

Due and reminder times are stored rows; this sweep, run every minute by the Huey scheduler, sends
what has come due. It is idempotent and safe on several workers (see services.sweep_deadlines), so
a missed run, a restart or a second worker changes nothing but the moment of delivery.
"""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from banzu.complaints import services


@db_periodic_task(crontab(minute="*"))
def sweep_complaint_deadlines() -> dict[str, int]:
    return services.sweep_deadlines(now=timezone.now())
