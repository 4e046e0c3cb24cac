"""CMP-3 under real concurrency: two workers (threads, each with its own PostgreSQL connection) run
the deadline sweep at the same moment; each overdue complaint is reminded and escalated exactly
once. Skipped on SQLite, whose single writer cannot race."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection

from banzu.complaints import services
from banzu.complaints.models import Complaint, ComplaintAlert, ComplaintStep
from banzu.workorders.models import Notification

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="needs PostgreSQL: row locks and concurrent transactions",
    ),
    pytest.mark.django_db(transaction=True),
]


def run_together(target, workers: int = 2) -> tuple[list, list]:
    """Start `workers` threads at one barrier, each with its own connection, and collect results."""
    barrier, results, errors = threading.Barrier(workers), [], []

    def run():
        try:
            barrier.wait()
            results.append(target())
        except Exception as exc:  # reported by the test, not swallowed
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_two_workers_sweeping_at_once_escalate_each_overdue_complaint_exactly_once(org, file):
    complaints = [file(complainant=f"客户{i}") for i in range(5)]
    after_due = complaints[0].due_at + timedelta(minutes=1)
    results, errors = run_together(lambda: services.sweep_deadlines(now=after_due))
    assert errors == []
    assert sum(result["escalations"] for result in results) == len(complaints)
    assert ComplaintAlert.objects.filter(kind="escalation").count() == len(complaints)
    assert ComplaintStep.objects.filter(kind="escalated").count() == len(complaints)
    manager = org.people["manager"]
    assert Notification.objects.filter(recipient=manager, kind="urgent_work_order").count() == len(complaints)
    # A third run, later, finds nothing left to do.
    assert services.sweep_deadlines(now=after_due + timedelta(hours=1)) == {"reminders": 0, "escalations": 0}


def test_two_workers_reminding_at_once_send_one_reminder_each(org, file):
    complaints = [file(complainant=f"客户{i}") for i in range(5)]
    before_due = complaints[0].reminder_at + timedelta(minutes=1)
    results, errors = run_together(lambda: services.sweep_deadlines(now=before_due))
    assert errors == []
    assert sum(result["reminders"] for result in results) == len(complaints)
    assert ComplaintAlert.objects.filter(kind="reminder").count() == len(complaints)
    assert Complaint.objects.filter(reminded_at__isnull=True).count() == 0
