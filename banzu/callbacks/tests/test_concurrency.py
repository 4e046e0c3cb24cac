"""The overdue sweep on two workers at once (DESIGN principle 5): threads, each with its own
PostgreSQL connection, run ``escalate_overdue`` together; every overdue item is escalated and
notified exactly once. Skipped on SQLite, whose single writer cannot race."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection

from banzu.callbacks import services
from banzu.callbacks.models import CallbackTask, OnsiteOrder
from banzu.callbacks.tests.conftest import NOW
from banzu.workorders.models import Notification

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="needs PostgreSQL: row locks and concurrent transactions",
    ),
    pytest.mark.django_db(transaction=True),
]

WORKERS = 4


def in_thread(target, errors: list):
    def run():
        try:
            target()
        except Exception as exc:  # reported by the test, not swallowed
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_workers_sweeping_at_once_escalate_each_overdue_item_exactly_once(org, task):
    tasks = [task("agent" if index % 2 else "teammate") for index in range(30)]
    orders = [
        services.register_onsite(
            user=org.people["agent"].user,
            customer_name=f"客户{index}",
            phone="027-84446666",
            address="武汉市",
            problem="无法开票",
            agreement_customer=True,
            now=NOW,
        )
        for index in range(20)
    ]
    later = NOW + timedelta(days=3)
    barrier, errors, results = threading.Barrier(WORKERS), [], []

    def sweep():
        barrier.wait(10)
        results.append(services.escalate_overdue(now=later))

    threads = [in_thread(sweep, errors) for _ in range(WORKERS)]
    for thread in threads:
        thread.join(30)
    assert errors == []
    escalated_tasks = [pk for result in results for pk in result.tasks]
    escalated_orders = [pk for result in results for pk in result.onsite_orders]
    assert sorted(escalated_tasks) == sorted(t.pk for t in tasks)
    assert sorted(escalated_orders) == sorted(o.pk for o in orders)
    assert not CallbackTask.objects.filter(escalated_at__isnull=True).exists()
    assert not OnsiteOrder.objects.filter(escalated_at__isnull=True).exists()
    # One notice per item to the team leader, however many workers ran.
    assert Notification.objects.filter(recipient=org.people["team_leader"], created_at=later).count() == 50
    # And a sweep afterwards finds nothing.
    again = services.escalate_overdue(now=later + timedelta(minutes=5))
    assert (again.tasks, again.onsite_orders) == ([], [])
