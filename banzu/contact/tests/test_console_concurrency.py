"""Console calls under real concurrency (CT-10): threads, each with its own PostgreSQL connection.
Skipped on SQLite, whose single writer cannot race."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from banzu.contact import console, services
from banzu.contact.models import AgentSession, CallParty, Contact
from banzu.contact.tests.factories import channel
from banzu.contact.tests.test_concurrency import in_thread
from banzu.core.errors import Conflict

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="needs PostgreSQL: row locks and concurrent transactions",
    ),
    pytest.mark.django_db(transaction=True),
]

State = AgentSession.State


@pytest.fixture
def three_ready(org):
    channel("voice")
    people = [org.people[key] for key in ("agent", "other_agent", "teammate")]
    for person in people:
        services.set_agent_state(agent=person, action="login", now=timezone.now())
    return people


@pytest.mark.parametrize("_round", range(5))
def test_two_agents_calling_the_same_ready_colleague_at_once_exactly_one_reaches_them(three_ready, _round):
    first, second, callee = three_ready
    barrier, errors, results = threading.Barrier(2), [], []

    def call(caller):
        def run():
            barrier.wait(5)
            try:
                console.internal_call(agent=caller, callee_no=callee.employee_no, now=timezone.now())
                results.append("won")
            except Conflict as exc:
                results.append(exc.code)

        return run

    threads = [in_thread(call(first), errors), in_thread(call(second), errors)]
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert sorted(results) == ["agent_not_ready", "won"]
    assert CallParty.objects.filter(agent=callee, ended_at__isnull=True).count() == 1
    assert AgentSession.objects.get(employee=callee).state == State.RINGING
    # The loser is still ready and holds nothing.
    loser = [p for p in (first, second) if not Contact.objects.filter(agent=p).exists()]
    assert len(loser) == 1 and AgentSession.objects.get(employee=loser[0]).state == State.READY


def test_two_agents_calling_each_other_at_once_do_not_deadlock(three_ready):
    first, second, _callee = three_ready
    barrier, errors, results = threading.Barrier(2), [], []

    def call(caller, callee):
        def run():
            barrier.wait(5)
            try:
                with transaction.atomic():
                    console.internal_call(agent=caller, callee_no=callee.employee_no, now=timezone.now())
                results.append("won")
            except Conflict as exc:
                results.append(exc.code)

        return run

    threads = [in_thread(call(first, second), errors), in_thread(call(second, first), errors)]
    for thread in threads:
        thread.join(10)
    assert errors == []  # a deadlock would surface as a database error here
    assert sorted(results) == ["agent_not_ready", "won"]
