"""Planning under real concurrency (PostgreSQL; SQLite's single writer cannot race): of planners
publishing one draft at once exactly one publication is recorded, and concurrent requests for the
same staffing basis store its rows once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from banzu.core.errors import Conflict
from banzu.wfm import services
from banzu.wfm.models import ForecastSnapshot, StaffingRequirement
from banzu.wfm.tests.factories import NOW, manual_forecast, planning_queue

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
        thread.join(30)
    return errors


def test_of_planners_publishing_one_draft_at_once_exactly_one_wins(org):
    snapshot = manual_forecast(org, planning_queue(org))
    planners = [org.people[name] for name in ("supervisor", "manager", "admin")]

    def publisher(person):
        return lambda: services.publish_forecast(user=person.user, snapshot_id=snapshot.pk, now=NOW)

    errors = run_together([publisher(person) for person in planners])
    assert len(errors) == 2 and all(isinstance(exc, Conflict) for exc in errors), errors
    published = ForecastSnapshot.objects.get(pk=snapshot.pk)
    assert published.published_by in planners
    assert published.history.filter(published_at__isnull=False).count() == 1


def test_concurrent_requests_for_one_basis_store_the_requirement_once(org):
    snapshot = manual_forecast(org, planning_queue(org), volume=lambda m: 50.0 if m.hour == 10 else 0.0)
    basis = {"shrinkage_percent": 30}

    def compute(person):
        return lambda: services.compute_requirements(user=person.user, snapshot_id=snapshot.pk, data=basis, now=NOW)

    people = [org.people[name] for name in ("supervisor", "manager", "admin", "supervisor")]
    assert run_together([compute(person) for person in people]) == []
    assert StaffingRequirement.objects.count() == 48
