"""CT-7 under real concurrency: several app servers (threads, each with its own PostgreSQL connection)
route, answer, hang up and change agent states at the same time. Skipped on SQLite, whose single
writer cannot race.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from banzu.contact import services
from banzu.contact.models import AgentSession, AgentStateChange, Contact, ContactEvent
from banzu.contact.tests.factories import QueueFactory
from banzu.core.errors import Conflict
from banzu.core.roles import Role
from banzu.org.tests.factories import EmployeeFactory

pytestmark = [
    pytest.mark.postgres,
    # Decided before any database set-up, so SQLite runs pay nothing for these tests.
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="needs PostgreSQL: row locks and concurrent transactions",
    ),
    pytest.mark.django_db(transaction=True),
]

Status, State = Contact.Status, AgentSession.State


def in_thread(target, errors: list):
    """Run `target` in a thread with its own database connection, closed at the end."""

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


@pytest.fixture
def floor(org):
    queue = QueueFactory(department=org.department, code="RACE", name="并发队列")
    now = timezone.now()
    agents = [org.people["agent"], org.people["teammate"]]
    for person in agents:
        services.set_agent_state(agent=person, action="login", now=now)
    return queue, agents


# --- two claims ---------------------------------------------------------------------------------------------


def test_a_second_concurrent_claim_of_one_contact_waits_for_the_first_and_is_refused(floor):
    queue, (first, second) = floor
    contact = services.enqueue_contact(queue=queue, now=timezone.now())
    claimed, errors, outcome = threading.Event(), [], {}

    def slow_winner():
        with transaction.atomic():
            services.offer_contact(contact_id=contact.pk, agent_id=first.pk, now=timezone.now())
            claimed.set()
            time.sleep(0.3)  # hold the row locks while the rival tries

    def rival():
        claimed.wait(5)
        try:
            services.offer_contact(contact_id=contact.pk, agent_id=second.pk, now=timezone.now())
            outcome["rival"] = "won"
        except Conflict as exc:
            outcome["rival"] = exc.code

    threads = [in_thread(slow_winner, errors), in_thread(rival, errors)]
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert outcome == {"rival": "contact_taken"}
    contact.refresh_from_db()
    assert (contact.status, contact.agent_id) == (Status.OFFERED, first.pk)
    assert AgentSession.objects.get(employee=second).state == State.READY


def test_two_concurrent_offers_to_one_agent_give_the_agent_one_contact(floor):
    queue, (agent, _teammate) = floor
    contacts = [services.enqueue_contact(queue=queue, now=timezone.now()) for _ in range(2)]
    barrier, errors, results = threading.Barrier(2), [], []

    def claim(contact):
        def run():
            barrier.wait(5)
            try:
                services.offer_contact(contact_id=contact.pk, agent_id=agent.pk, now=timezone.now())
                results.append("won")
            except Conflict as exc:
                results.append(exc.code)

        return run

    threads = [in_thread(claim(contact), errors) for contact in contacts]
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert sorted(results) == ["agent_not_available", "won"]
    assert Contact.objects.filter(agent=agent, status=Status.OFFERED).count() == 1


def test_an_offer_to_an_agent_another_server_is_offering_to_is_refused_without_waiting(floor):
    queue, (agent, _teammate) = floor
    first, second = (services.enqueue_contact(queue=queue, now=timezone.now()) for _ in range(2))
    claimed, rival_done, errors, outcome = threading.Event(), threading.Event(), [], {}

    def holder():
        with transaction.atomic():
            services.offer_contact(contact_id=first.pk, agent_id=agent.pk, now=timezone.now())
            claimed.set()
            # Still holding the agent's row: the rival must answer before this commits.
            outcome["rival_answered_first"] = rival_done.wait(5)

    def rival():
        claimed.wait(5)
        try:
            services.offer_contact(contact_id=second.pk, agent_id=agent.pk, now=timezone.now())
            outcome["rival"] = "won"
        except Conflict as exc:
            outcome["rival"] = exc.code
        rival_done.set()

    threads = [in_thread(holder, errors), in_thread(rival, errors)]
    for thread in threads:
        thread.join(15)
    assert errors == []
    assert outcome == {"rival": "agent_not_available", "rival_answered_first": True}
    second.refresh_from_db()
    assert (second.status, second.agent_id) == (Status.QUEUED, None)
    assert Contact.objects.filter(agent=agent, status=Status.OFFERED).get().pk == first.pk


def test_of_many_simultaneous_claims_exactly_one_wins_every_time(floor):
    queue, agents = floor
    for _round in range(10):
        contact = services.enqueue_contact(queue=queue, now=timezone.now())
        barrier, errors, winners = threading.Barrier(len(agents)), [], []

        def claim(person, contact=contact, barrier=barrier, winners=winners):
            def run():
                barrier.wait(5)
                try:
                    services.offer_contact(contact_id=contact.pk, agent_id=person.pk, now=timezone.now())
                    winners.append(person.pk)
                except Conflict:
                    pass

            return run

        threads = [in_thread(claim(person), errors) for person in agents]
        for thread in threads:
            thread.join(10)
        assert errors == []
        assert len(winners) == 1
        services.abandon_contact(contact_id=contact.pk, now=timezone.now())


# --- a busy floor -------------------------------------------------------------------------------------------

CONTACTS, AGENTS, DEADLINE_SECONDS = 200, 20, 60


def test_a_busy_floor_of_concurrent_servers_never_double_books(org):
    queue = QueueFactory(department=org.department, code="FLOOR", name="压力队列")
    agents = [EmployeeFactory(team=org.team_a, roles=[Role.AGENT]) for _ in range(AGENTS)]
    for person in agents:
        services.set_agent_state(agent=person, action="login", now=timezone.now())
    centre = org.centre
    done, errors = threading.Event(), []
    produced = []

    def producer():
        for i in range(CONTACTS):
            produced.append(services.enqueue_contact(queue=queue, now=timezone.now(), external_id=f"race-{i}").pk)
            if i % 20 == 0:
                time.sleep(0.01)

    def router():
        while not done.is_set():
            services.route_waiting(centre=centre, now=timezone.now())
            time.sleep(0.002)

    def rona_sweeper():
        # Pretends offers rang for 20 s, so answers race against withdrawals.
        while not done.is_set():
            services.expire_offers(centre=centre, now=timezone.now() + timedelta(seconds=20))
            time.sleep(0.15)

    def customer(seed):
        rnd = random.Random(seed)

        def run():
            while not done.is_set():
                waiting = list(
                    Contact.objects.filter(queue=queue, status__in=[Status.QUEUED, Status.OFFERED]).values_list(
                        "pk", flat=True
                    )[:20]
                )
                if waiting and rnd.random() < 0.25:
                    with contextlib.suppress(Conflict):  # answered in the meantime
                        services.abandon_contact(contact_id=rnd.choice(waiting), now=timezone.now())
                time.sleep(0.01)

        return run

    def agent_desk(seed):
        rnd = random.Random(seed)

        def act(person):
            session = AgentSession.objects.get(employee=person)
            held = Contact.objects.filter(agent=person, status__in=[Status.OFFERED, Status.CONNECTED, Status.ACW])
            for contact_id, status in held.values_list("pk", "status"):
                if status == Status.OFFERED:
                    services.answer_contact(contact_id=contact_id, now=timezone.now(), agent=person)
                elif status == Status.CONNECTED:
                    services.end_contact(contact_id=contact_id, now=timezone.now())
                else:
                    services.finish_acw(contact_id=contact_id, now=timezone.now())
            if session.state == State.AWAY:
                services.set_agent_state(agent=person, action="ready", now=timezone.now())
            elif session.state == State.READY and rnd.random() < 0.03:
                services.set_agent_state(agent=person, action="away", away_reason="break", now=timezone.now())

        def run():
            while not done.is_set():
                # Desks overlap: two threads may act for one agent at once, as a retried switch event would.
                person = rnd.choice(agents)
                # A lost race with another desk or the switch: the next turn sees the new state.
                with contextlib.suppress(Conflict):
                    act(person)
                time.sleep(0.001)

        return run

    threads = [
        in_thread(producer, errors),
        *[in_thread(router, errors) for _ in range(3)],
        in_thread(rona_sweeper, errors),
        *[in_thread(customer(seed), errors) for seed in range(2)],
        *[in_thread(agent_desk(seed), errors) for seed in range(5)],
    ]
    deadline = time.monotonic() + DEADLINE_SECONDS
    try:
        while time.monotonic() < deadline and not errors:
            open_contacts = Contact.objects.filter(queue=queue).exclude(status__in=[Status.ENDED, Status.ABANDONED])
            if len(produced) == CONTACTS and not open_contacts.exists():
                break
            time.sleep(0.1)
    finally:
        done.set()
        for thread in threads:
            thread.join(15)
        connection.close()
    assert errors == []

    contacts = Contact.objects.filter(queue=queue)
    assert contacts.count() == CONTACTS
    assert set(contacts.values_list("status", flat=True)) <= {Status.ENDED, Status.ABANDONED}, "unfinished contacts"

    by_contact: dict[int, list[ContactEvent]] = defaultdict(list)
    for event in ContactEvent.objects.filter(contact__queue=queue).order_by("pk"):
        by_contact[event.contact_id].append(event)
    ended = set(contacts.filter(status=Status.ENDED).values_list("pk", flat=True))
    for contact_id, log in by_contact.items():
        count = Counter(event.kind for event in log)
        if contact_id in ended:
            assert (count["answered"], count["ended"], count["closed"], count["abandoned"]) == (1, 1, 1, 0)
        else:
            assert (count["answered"], count["abandoned"]) == (0, 1)
        # Offered to at most one agent at a time: every offer is closed before the next one.
        holder = None
        for event in log:
            if event.kind == "offered":
                assert holder is None, f"contact {contact_id} offered twice at once"
                holder = event.agent_id
            elif event.kind in ("offer_expired", "abandoned") and holder is not None:
                assert event.agent_id == holder
                holder = None
            elif event.kind == "answered":
                assert event.agent_id == holder, f"contact {contact_id} answered by an agent it was not offered to"

    # No agent ever held two calls: replay every agent's offers and releases in commit order.
    holding: dict[int, int] = defaultdict(int)
    for event in ContactEvent.objects.filter(contact__queue=queue).order_by("pk"):
        if event.kind == "offered":
            holding[event.agent_id] += 1
            assert holding[event.agent_id] == 1, f"agent {event.agent_id} held two contacts"
        elif event.kind in ("offer_expired", "closed") or (event.kind == "abandoned" and event.agent_id):
            holding[event.agent_id] -= 1
    assert all(count == 0 for count in holding.values())

    # Every agent's state history is one unbroken chain, and nobody is left holding anything.
    for person in agents:
        changes = list(
            AgentStateChange.objects.filter(agent=person).order_by("pk").values_list("from_state", "to_state")
        )
        for (_before, after), (following, _next) in zip(changes, changes[1:], strict=False):
            assert after == following, f"agent {person.pk}: lost a state change"
        session = AgentSession.objects.get(employee=person)
        assert session.live_contacts == 0
        assert session.state in (State.READY, State.AWAY)
    assert not Contact.objects.filter(status__in=[Status.OFFERED, Status.CONNECTED, Status.ACW]).exists()
