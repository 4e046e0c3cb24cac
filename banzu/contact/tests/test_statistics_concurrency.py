"""CT-16 under real concurrency: app servers (threads, each with its own PostgreSQL connection) end
contacts of one queue in the same interval at the same moment; every count lands, nothing deadlocks,
and the rows equal a recomputation. Skipped on SQLite, whose single writer cannot race."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from banzu.contact import services, statistics
from banzu.contact.models import Contact, QueueInterval
from banzu.contact.tests.factories import QueueFactory
from banzu.core.roles import Role
from banzu.org.tests.factories import EmployeeFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="needs PostgreSQL: concurrent transactions",
    ),
    pytest.mark.django_db(transaction=True),
]

SERVERS = 6


def test_concurrent_ends_of_one_queue_lose_no_count(org):
    queue = QueueFactory(department=org.department, code="RACE", name="并发队列")
    start = timezone.now().replace(second=0, microsecond=0)
    contacts = []
    for n in range(SERVERS):
        agent = EmployeeFactory(team=org.team_a, employee_no=f"race{n}", roles=[Role.AGENT])
        services.set_agent_state(agent=agent, action="login", now=start)
        contact = services.enqueue_contact(queue=queue, now=start + timedelta(seconds=1))
        services.offer_contact(contact_id=contact.pk, agent_id=agent.pk, now=start + timedelta(seconds=2))
        services.answer_contact(contact_id=contact.pk, now=start + timedelta(seconds=3))
        contacts.append(contact.pk)
    barrier = threading.Barrier(SERVERS)
    errors: list[Exception] = []

    def server(contact_id: int) -> None:
        try:
            barrier.wait(timeout=30)
            services.end_contact(contact_id=contact_id, now=start + timedelta(seconds=20))
            services.finish_acw(contact_id=contact_id, now=start + timedelta(seconds=25))
        except Exception as exc:  # reported below, not swallowed
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=server, args=(pk,)) for pk in contacts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert Contact.objects.filter(pk__in=contacts, status=Contact.Status.ENDED).count() == SERVERS
    for minutes in (15, 30):
        row = QueueInterval.objects.get(queue=queue, minutes=minutes)
        assert (row.offered, row.answered, row.handled) == (SERVERS, SERVERS, SERVERS)
        assert row.acw_seconds == 5 * SERVERS
    assert statistics.maintained(org.centre) == statistics.recompute(org.centre)
