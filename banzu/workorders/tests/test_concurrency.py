"""Work orders under real concurrency (PostgreSQL; SQLite's single writer cannot race): numbers are
never given twice, and of two closes racing on one order exactly one wins."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import timezone

from banzu.core.errors import Conflict
from banzu.workorders import services
from banzu.workorders.models import WorkOrder

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: row locks and concurrent transactions")


def run_together(targets) -> list[Exception]:
    errors: list[Exception] = []
    start = threading.Barrier(len(targets))

    def wrap(target):
        def run():
            try:
                start.wait(5)
                target()
            except Exception as exc:  # reported by the test
                errors.append(exc)
            finally:
                connection.close()

        return run

    threads = [threading.Thread(target=wrap(target)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return errors


def test_concurrent_creators_get_distinct_consecutive_numbers_on_the_first_order_of_the_day(org):
    now = timezone.now()
    people = [
        org.people[name] for name in ("agent", "teammate", "other_agent", "team_leader", "vip_agent", "supervisor")
    ]

    def creator(person):
        return lambda: services.create_work_order(
            user=person.user, category="suggestion", location="人民路", summary="建议", caller_number="1", now=now
        )

    assert run_together([creator(person) for person in people]) == []
    numbers = sorted(WorkOrder.objects.values_list("number", flat=True))
    day = timezone.localtime(now).strftime("%Y%m%d")
    assert numbers == [f"{day}{n:05d}" for n in range(1, len(people) + 1)]


def test_of_two_concurrent_closes_exactly_one_wins(org):
    now = timezone.now()
    order = services.create_work_order(
        user=org.people["agent"].user, category="suggestion", location="a", summary="b", caller_number="1", now=now
    )
    outcomes: list[str] = []

    def closer(persona):
        def run():
            try:
                services.close_work_order(
                    user=org.people[persona].user, work_order_id=order.pk, outcome=persona, now=now
                )
                outcomes.append("closed")
            except Conflict as exc:
                outcomes.append(f"refused:{exc.code}")

        return run

    assert run_together([closer("agent"), closer("team_leader")]) == []
    assert sorted(outcomes) == ["closed", "refused:closed"]
    order.refresh_from_db()
    assert order.steps.filter(kind="closed").count() == 1
