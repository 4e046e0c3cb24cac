"""CT-7 across processes: two uvicorn app servers on one PostgreSQL database (and Redis for pushes)
take hundreds of concurrent CTI arrivals and agent state changes; then one server is killed with
SIGKILL in the middle of traffic. Every call must end answered or abandoned exactly once, no agent
may ever hold two calls, and no call may be lost or duplicated. Skipped on SQLite (one writer).
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict

import pytest
from django.conf import settings
from django.db import connection

from banzu.contact import cti
from banzu.contact.models import AgentSession, AgentStateChange, Contact, ContactEvent, CtiCall, CtiEvent
from banzu.contact.tests.cti_traffic import Traffic, TrafficConfig
from banzu.contact.tests.factories import QueueFactory
from banzu.contact.tests.servers import app_servers, database_url
from banzu.core.roles import Role
from banzu.org.tests.factories import EmployeeFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="needs PostgreSQL: several server processes on one database",
    ),
    pytest.mark.django_db(transaction=True),
]

AGENTS = 16
CALLS = 200
# Generous: a shared CI machine may serve only a few events a second per process.
TIMEOUT = 300
KILL_AFTER_SECONDS = 4.0
FINAL = {"ended", "abandoned"}


@pytest.fixture
def centre(org):
    """A queue, agents, and a switch token; committed, so the server processes see them."""
    queue = QueueFactory(department=org.department, code="TAX", name="办税热线")
    agents = [EmployeeFactory(team=org.team_a, roles=[Role.AGENT]) for _ in range(AGENTS)]
    _switch, token = cti.create_switch(centre=org.centre, code="pbx-race", name="压力交换机")
    return queue, [agent.employee_no for agent in agents], token


@pytest.fixture
def servers(centre):
    # The servers run as in production: a connection pool per process (BANZU_DB_POOL).
    env = {"BANZU_REDIS_PREFIX": f"bzt{os.getpid()}", "BANZU_DB_POOL": "1"}
    with app_servers(
        2, database=database_url(connection.settings_dict), redis=settings.REDIS_URL, extra_env=env
    ) as running:
        yield running
    connection.close()


def drive(servers, token, agents, config, **kwargs):
    traffic = Traffic(
        [server.base_url for server in servers],
        token,
        agents,
        config,
        on_thread_exit=lambda: connection.close(),
    )
    result = traffic.run(timeout=TIMEOUT, **kwargs)
    return traffic, result


def summary(result) -> str:
    latencies = sorted(result.route_latencies) or [0.0]
    return (
        f"events={result.events} offers={result.offers} pushed={result.pushed} conflicts={result.conflicts} "
        f"failovers={result.failovers} seconds={result.seconds:.1f} "
        f"route p50={latencies[len(latencies) // 2]:.3f}s max={latencies[-1]:.3f}s"
    )


def assert_books_balance(queue, sent: int) -> None:
    """Every call one contact, finished once; offers one at a time; no agent ever held two."""
    calls = CtiCall.objects.filter(contact__queue=queue)
    assert calls.count() == sent, "calls lost or duplicated"
    contacts = Contact.objects.filter(queue=queue)
    assert contacts.count() == sent
    assert len(set(contacts.values_list("external_id", flat=True))) == sent
    statuses = Counter(contacts.values_list("status", flat=True))
    assert set(statuses) <= FINAL, f"unfinished contacts: {statuses}"

    log: dict[int, list[ContactEvent]] = defaultdict(list)
    for event in ContactEvent.objects.filter(contact__queue=queue).order_by("pk"):
        log[event.contact_id].append(event)
    ended = set(contacts.filter(status="ended").values_list("pk", flat=True))
    for contact_id, events in log.items():
        count = Counter(event.kind for event in events)
        if contact_id in ended:
            assert (count["answered"], count["ended"], count["closed"], count["abandoned"]) == (1, 1, 1, 0)
        else:
            assert (count["answered"], count["abandoned"]) == (0, 1), f"contact {contact_id}: {count}"
        holder = None
        for event in events:
            if event.kind == "offered":
                assert holder is None, f"contact {contact_id} offered twice at once"
                holder = event.agent_id
            elif event.kind in ("offer_expired", "abandoned") and holder is not None:
                holder = None
            elif event.kind == "answered":
                assert event.agent_id == holder

    holding: dict[int, int] = defaultdict(int)
    for event in ContactEvent.objects.filter(contact__queue=queue).order_by("pk"):
        if event.kind == "offered":
            holding[event.agent_id] += 1
            assert holding[event.agent_id] == 1, f"agent {event.agent_id} held two contacts"
        elif event.kind in ("offer_expired", "closed") or (event.kind == "abandoned" and event.agent_id):
            holding[event.agent_id] -= 1
    assert all(count == 0 for count in holding.values())
    assert not Contact.objects.filter(status__in=["offered", "connected", "on_hold", "acw"]).exists()


def assert_agents_consistent(agents) -> None:
    for number in agents:
        session = AgentSession.objects.get(employee__employee_no=number)
        assert session.live_contacts == 0, number
        assert session.state in ("ready", "away"), (number, session.state)
        chain = list(
            AgentStateChange.objects.filter(agent=session.employee).order_by("pk").values_list("from_state", "to_state")
        )
        for (_before, after), (following, _next) in zip(chain, chain[1:], strict=False):
            assert after == following, f"agent {number}: lost a state change"


def test_two_app_servers_share_hundreds_of_concurrent_calls_without_losing_or_double_booking(centre, servers):
    queue, agents, token = centre
    config = TrafficConfig(calls=CALLS, arrivals_per_second=20, patience_seconds=(2.0, 15.0), workers=8, seed=7)
    traffic, result = drive(servers, token, agents, config)
    assert result.errors == [], (result.errors[:10], [server.output()[-3000:] for server in servers])
    assert traffic.open_calls() == []
    assert result.refused == 0
    assert_books_balance(queue, config.calls)
    assert_agents_consistent(agents)
    # Both servers took events, and routing really ran on both (offers made by each).
    assert all(server.alive for server in servers)
    answered = Contact.objects.filter(queue=queue, status="ended").count()
    assert answered >= AGENTS, f"too few answered calls to have exercised routing: {summary(result)}"
    # Each applied event once: the switch's event ids are unique in the log.
    ids = list(CtiEvent.objects.values_list("event_id", flat=True))
    assert len(ids) == len(set(ids))


def test_a_killed_app_server_loses_no_call_and_the_survivor_carries_on(centre, servers):
    queue, agents, token = centre
    config = TrafficConfig(calls=CALLS, arrivals_per_second=20, patience_seconds=(2.0, 15.0), workers=8, seed=11)
    victim, survivor = servers
    killed = {}

    def kill_midway(elapsed: float) -> None:
        if not killed and elapsed > KILL_AFTER_SECONDS:
            victim.kill()
            killed["at"] = elapsed

    traffic, result = drive(servers, token, agents, config, during=kill_midway)
    assert killed, "the server was not killed during traffic"
    assert not victim.alive and survivor.alive
    assert result.failovers > 0, "no request hit the dead server: the test did not test failover"
    assert result.errors == [], result.errors[:10]
    assert traffic.open_calls() == []
    assert_books_balance(queue, config.calls)
    assert_agents_consistent(agents)
    # Calls arriving after the kill were served by the survivor.
    assert Contact.objects.filter(queue=queue, status="ended").count() > 0
    assert "Internal Server Error" not in survivor.output(), survivor.output()[-3000:]
