"""The overdue sweep (services.escalate_overdue, tasks.sweep_overdue): each running deadline that has
passed is escalated exactly once, even when the worker is stopped in the middle of a sweep and
started again, or two workers sweep at the same time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from banzu.workorders import services, tasks
from banzu.workorders.models import Notification, Status, WorkOrder

OVERDUE = Notification.Kind.WORK_ORDER_OVERDUE


def handed_over(org, count: int, *, created_at, due_in: timedelta, to: str = "other_agent") -> list[WorkOrder]:
    """`count` orders of the agent handed over to `to`, due `due_in` after `created_at`."""
    orders = []
    for index in range(count):
        order = services.create_work_order(
            user=org.people["agent"].user,
            category="suggestion",
            location="人民路10号",
            summary=f"建议{index}",
            caller_number="13800138000",
            now=created_at,
        )
        services.hand_over_work_order(
            user=org.people["agent"].user,
            work_order_id=order.pk,
            to_employee=org.people[to],
            due_at=created_at + due_in,
            now=created_at,
        )
        orders.append(order)
    return orders


def notices_per_order() -> dict[int, int]:
    rows = Notification.objects.filter(kind=OVERDUE).values("work_order").annotate(n=Count("pk"))
    return {row["work_order"]: row["n"] for row in rows}


def escalated_ids() -> set[int]:
    return set(WorkOrder.objects.filter(escalated_at__isnull=False).values_list("pk", flat=True))


# --- the service ----------------------------------------------------------------------------------------


def test_only_open_orders_past_their_deadline_are_escalated_once(org):
    start = timezone.now() - timedelta(hours=3)
    late = handed_over(org, 2, created_at=start, due_in=timedelta(hours=1))
    not_yet = handed_over(org, 1, created_at=start, due_in=timedelta(hours=5))
    closed = handed_over(org, 1, created_at=start, due_in=timedelta(hours=1))
    services.close_work_order(user=org.people["agent"].user, work_order_id=closed[0].pk, outcome="已办结", now=start)
    plain = services.create_work_order(
        user=org.people["agent"].user, category="suggestion", location="a", summary="b", caller_number="1", now=start
    )  # no running deadline at all

    now = timezone.now()
    assert sorted(services.escalate_overdue(now=now, batch_size=10)) == sorted(o.pk for o in late)
    assert services.escalate_overdue(now=now, batch_size=10) == []
    assert notices_per_order() == {o.pk: 1 for o in late}
    assert escalated_ids() == {o.pk for o in late}
    assert not {o.pk for o in not_yet + closed + [plain]} & escalated_ids()
    notice = Notification.objects.get(work_order=late[0], kind=OVERDUE)
    assert notice.recipient == org.people["other_agent"]  # the handler must act
    assert late[0].number in notice.text
    assert notice.link == f"/workorders/{late[0].pk}/"


def test_a_new_deadline_is_escalated_again(org):
    start = timezone.now() - timedelta(hours=3)
    [order] = handed_over(org, 1, created_at=start, due_in=timedelta(hours=1))
    assert services.escalate_overdue(now=timezone.now(), batch_size=10) == [order.pk]
    # Handed on again with a new deadline, which passes too: one more escalation, to the new handler.
    later = start + timedelta(minutes=90)
    services.hand_over_work_order(
        user=org.people["other_agent"].user,
        work_order_id=order.pk,
        to_employee=org.people["teammate"],
        due_at=later + timedelta(minutes=30),
        now=later,
    )
    assert services.escalate_overdue(now=timezone.now(), batch_size=10) == [order.pk]
    assert services.escalate_overdue(now=timezone.now(), batch_size=10) == []
    recipients = Notification.objects.filter(work_order=order, kind=OVERDUE).values_list("recipient", flat=True)
    assert sorted(recipients) == sorted([org.people["other_agent"].pk, org.people["teammate"].pk])


def test_an_order_without_a_handler_goes_to_the_unit_head(org):
    from banzu.org.models import Department

    Department.objects.filter(pk=org.other_department.pk).update(head=org.people["other_supervisor"])
    start = timezone.now() - timedelta(hours=3)
    order = services.create_work_order(
        user=org.people["agent"].user, category="suggestion", location="a", summary="b", caller_number="1", now=start
    )
    services.hand_over_work_order(
        user=org.people["agent"].user,
        work_order_id=order.pk,
        to_department=org.other_department,
        due_at=start + timedelta(hours=1),
        now=start,
    )
    assert services.escalate_overdue(now=timezone.now(), batch_size=10) == [order.pk]
    assert Notification.objects.get(work_order=order, kind=OVERDUE).recipient == org.people["other_supervisor"]


def test_the_sweep_works_through_every_batch(org):
    start = timezone.now() - timedelta(hours=3)
    orders = handed_over(org, 7, created_at=start, due_in=timedelta(hours=1))
    assert tasks.sweep_overdue(batch_size=3) == 7
    assert notices_per_order() == {o.pk: 1 for o in orders}
    assert tasks.sweep_overdue(batch_size=3) == 0


def test_the_periodic_task_is_registered_with_huey():
    from huey.contrib.djhuey import HUEY

    task_class = tasks.escalate_overdue_work_orders.task_class
    assert task_class in HUEY._registry._periodic_tasks
    assert task_class().validate_datetime(timezone.now().replace(second=0, microsecond=0))  # every minute


# --- fault injection: a sweep stopped in the middle -------------------------------------------------------


def test_a_sweep_that_dies_mid_batch_is_resumed_and_escalates_each_order_exactly_once(org, monkeypatch):
    start = timezone.now() - timedelta(hours=3)
    orders = handed_over(org, 10, created_at=start, due_in=timedelta(hours=1))
    notify = services._notify
    calls = []

    def dying_notify(**kwargs):
        calls.append(kwargs["work_order"].pk)
        if len(calls) == 6:  # second batch of 4, half done
            raise RuntimeError("worker stopped")
        return notify(**kwargs)

    monkeypatch.setattr(services, "_notify", dying_notify)
    with pytest.raises(RuntimeError, match="worker stopped"):
        tasks.sweep_overdue(batch_size=4)
    # The first batch is kept whole; the broken one left nothing behind.
    assert len(escalated_ids()) == 4
    assert notices_per_order() == dict.fromkeys(escalated_ids(), 1)

    monkeypatch.setattr(services, "_notify", notify)
    assert tasks.sweep_overdue(batch_size=4) == 6
    assert notices_per_order() == {o.pk: 1 for o in orders}


CHILD = """
import os, sys, time
import django
django.setup()
from banzu.workorders import services, tasks
notify = services._notify
def slow_notify(**kwargs):
    notice = notify(**kwargs)
    print("notified", kwargs["work_order"].pk, flush=True)
    time.sleep(float(os.environ["NOTICE_PAUSE"]))
    return notice
services._notify = slow_notify
print("swept", tasks.sweep_overdue(batch_size=int(sys.argv[1])), flush=True)
"""


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker(batch_size: int, pause: float) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "BANZU_TESTING": "1",
        "DJANGO_SETTINGS_MODULE": "banzu.settings",
        "NOTICE_PAUSE": str(pause),
    }
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(batch_size)],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_killed_mid_sweep_and_started_again_escalates_each_order_exactly_once(org):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: a second process on the test database")
    start = timezone.now() - timedelta(hours=3)
    orders = handed_over(org, 10, created_at=start, due_in=timedelta(hours=1))

    worker = _worker(batch_size=4, pause=0.3)
    seen = []
    deadline = time.monotonic() + 60
    while len(seen) < 6 and time.monotonic() < deadline:  # the first batch, then half of the second
        line = worker.stdout.readline()
        if not line:
            break
        if line.startswith("notified"):
            seen.append(int(line.split()[1]))
    worker.send_signal(signal.SIGKILL)  # no clean-up: the server drops the open transaction
    worker.wait(10)
    assert len(seen) == 6, worker.stderr.read()
    assert escalated_ids() == set(seen[:4])
    assert notices_per_order() == dict.fromkeys(seen[:4], 1)

    again = _worker(batch_size=4, pause=0)
    out, err = again.communicate(timeout=60)
    assert again.returncode == 0, err
    assert out.strip().endswith("swept 6")
    assert notices_per_order() == {o.pk: 1 for o in orders}
    assert WorkOrder.objects.filter(escalated_at__isnull=False).count() == len(orders)
    assert all(o.status == Status.HANDED_OVER for o in WorkOrder.objects.filter(pk__in=[o.pk for o in orders]))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_escalate_each_order_exactly_once(org):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: concurrent transactions")
    start = timezone.now() - timedelta(hours=3)
    orders = handed_over(org, 12, created_at=start, due_in=timedelta(hours=1))
    results: list[int] = []
    errors: list[Exception] = []
    barrier = threading.Barrier(2)

    def sweep():
        try:
            barrier.wait(5)
            results.append(tasks.sweep_overdue(batch_size=3))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    # Together they did every order; a worker that lost a race moves on without a second notice.
    assert sum(results) + tasks.sweep_overdue(batch_size=3) == len(orders)
    assert notices_per_order() == {o.pk: 1 for o in orders}
