"""The virtual switch against a real server (CT-1): it plays callers and its own agents over HTTP only,
and a person signed in at the console still gets real offers that the switch does not answer."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

from banzu.contact import cti, services
from banzu.contact import virtual_switch as vs
from banzu.contact.models import AgentSession, Contact, ContactEvent, CtiEvent
from banzu.contact.tests.factories import QueueFactory

pytestmark = pytest.mark.django_db(transaction=True)

QUICK = vs.AgentBehaviour(
    ring_seconds=(0.05, 0.1),
    hold_probability=0.0,
    transfer_probability=0.0,
    acw_seconds=(0.05, 0.1),
    break_probability=0.0,
)
DONE = {"ended", "acw", "abandoned"}


def wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.fixture
def line(org, live_server):
    """A queue, a switch token for the centre, and the server's address."""
    queue = QueueFactory(department=org.department, code="TAX", name="办税热线")
    _switch, token = cti.create_switch(centre=org.centre, code="vs-test", name="虚拟交换机")
    return queue, token, live_server.url


def run_switch(url, token, *, agents, calls, behaviour=QUICK, seed=1) -> vs.VirtualSwitch:
    switch = vs.VirtualSwitch(
        vs.CtiClient(url, token),
        agents=agents,
        traffic=[vs.QueueTraffic("TAX")],
        calls=calls,
        behaviour=behaviour,
        seed=seed,
        use_websocket=False,  # the test server speaks WSGI; the switch polls instead
    )
    switch.POLL_SECONDS = 0.5
    switch.start()
    return switch


def test_simulated_agents_answer_and_a_person_at_the_console_gets_a_real_offer(org, line):
    queue, token, url = line
    person = org.people["other_agent"]
    # The person signed in first, so longest-idle routing offers them the first call.
    services.set_agent_state(agent=person, action="login", now=services_now())
    simulated = [org.people["agent"].employee_no, org.people["teammate"].employee_no]
    calls = [
        vs.Call(at=0.2 * n, queue="TAX", caller_number=f"1380000000{n}", patience_seconds=8, talk_seconds=0.3)
        for n in range(3)
    ]
    switch = run_switch(url, token, agents=simulated, calls=calls)
    try:
        finished = wait_for(
            lambda: (
                set(Contact.objects.filter(queue=queue).values_list("status", flat=True)) <= DONE
                and Contact.objects.filter(queue=queue).count() == 3
            )
        )
    finally:
        switch.stop()
    assert finished, list(Contact.objects.values_list("external_id", "status", "agent__employee_no"))

    contacts = {c.caller_number: c for c in Contact.objects.filter(queue=queue)}
    assert len(contacts) == 3
    answered = [c for c in contacts.values() if c.answered_at is not None]
    assert sorted(c.agent.employee_no for c in answered) == sorted(simulated)
    assert all(c.status in ("acw", "ended") and c.talk_seconds >= 0 for c in answered)
    assert all(c.recording_ref.startswith("vs://") for c in answered) or all(c.recordings.exists() for c in answered)
    # The person's phone rang; the switch did not pick up for them, so that caller gave up.
    offered_to_person = ContactEvent.objects.filter(kind="offered", agent=person)
    assert offered_to_person.count() == 1
    theirs = offered_to_person.get().contact
    assert theirs.status == "abandoned"
    assert not ContactEvent.objects.filter(contact=theirs, kind="answered").exists()
    assert AgentSession.objects.get(employee=person).state == "ready"
    # Everything went through the CTI API: one event row per applied switch event.
    kinds = Counter(CtiEvent.objects.values_list("kind", flat=True))
    assert kinds["offered"] == 3 and kinds["answered"] == 2 and kinds["agent_login"] == 2
    assert switch.stats.arrived == 3 and switch.stats.answered == 2 and switch.stats.abandoned == 1


def test_an_impatient_caller_abandons_when_nobody_is_free(org, line):
    queue, token, url = line
    calls = [vs.Call(at=0, queue="TAX", caller_number="13900000000", patience_seconds=0.5, talk_seconds=1)]
    switch = run_switch(url, token, agents=[], calls=calls)
    try:
        finished = wait_for(lambda: Contact.objects.filter(queue=queue, status="abandoned").exists(), timeout=15)
    finally:
        switch.stop()
    assert finished
    contact = Contact.objects.get(queue=queue)
    assert contact.wait_seconds >= 0 and contact.answered_at is None
    assert switch.stats.abandoned == 1


def test_a_call_to_an_unknown_queue_is_refused_and_the_switch_carries_on(org, line):
    queue, token, url = line
    calls = [
        vs.Call(at=0, queue="NOPE", caller_number="13900000001", patience_seconds=20, talk_seconds=0.2),
        vs.Call(at=0.1, queue="TAX", caller_number="13900000002", patience_seconds=20, talk_seconds=0.2),
    ]
    switch = run_switch(url, token, agents=[org.people["agent"].employee_no], calls=calls)
    try:
        finished = wait_for(lambda: Contact.objects.filter(queue=queue, answered_at__isnull=False).exists())
    finally:
        switch.stop()
    assert finished
    assert switch.stats.refused == 1
    assert Contact.objects.count() == 1


def test_the_switch_holds_and_retrieves_and_transfers_when_its_dice_say_so(org, line):
    queue, token, url = line
    QueueFactory(department=org.department, code="INV", name="发票热线")
    behaviour = vs.AgentBehaviour(
        ring_seconds=(0.05, 0.1),
        hold_probability=1.0,
        hold_seconds=(0.1, 0.2),
        transfer_probability=1.0,
        acw_seconds=(0.05, 0.1),
        break_probability=0.0,
    )
    agents = [org.people["agent"].employee_no, org.people["teammate"].employee_no]
    switch = vs.VirtualSwitch(
        vs.CtiClient(url, token),
        agents=agents,
        traffic=[vs.QueueTraffic("TAX"), vs.QueueTraffic("INV")],
        calls=[vs.Call(at=0, queue="TAX", caller_number="13900000003", patience_seconds=10, talk_seconds=0.3)],
        behaviour=behaviour,
        use_websocket=False,
    )
    switch.POLL_SECONDS = 0.5
    switch.start()
    try:
        finished = wait_for(lambda: Contact.objects.filter(queue__code="INV", answered_at__isnull=False).exists())
    finally:
        switch.stop()
    assert finished
    first = Contact.objects.get(queue=queue)
    assert first.hold_seconds >= 0 and ContactEvent.objects.filter(contact=first, kind="held").exists()
    assert ContactEvent.objects.filter(contact=first, kind="retrieved").exists()
    second = Contact.objects.get(queue__code="INV")
    assert second.agent_id != first.agent_id  # the first agent is in after-call work
    assert switch.stats.transferred >= 1


def test_a_simulated_agent_wraps_up_and_takes_the_next_call(org, line):
    queue, token, url = line
    calls = [
        vs.Call(at=0, queue="TAX", caller_number="13900000010", patience_seconds=60, talk_seconds=0.2),
        vs.Call(at=0.1, queue="TAX", caller_number="13900000011", patience_seconds=60, talk_seconds=0.2),
    ]
    switch = run_switch(url, token, agents=[org.people["agent"].employee_no], calls=calls)
    try:
        answered = wait_for(lambda: Contact.objects.filter(queue=queue, answered_at__isnull=False).count() == 2, 6)
    finally:
        switch.stop()
    assert answered


def services_now():
    from django.utils import timezone

    return timezone.now()


def test_stop_returns_promptly_while_the_server_is_unreachable():
    switch = vs.VirtualSwitch(
        vs.CtiClient("http://127.0.0.1:9", "bzsw_nothing"),
        agents=[],
        traffic=[vs.QueueTraffic("TAX")],
        calls=[],
        use_websocket=False,
    )
    switch.start()
    time.sleep(0.3)
    started = time.monotonic()
    switch.stop()
    assert time.monotonic() - started < 5
    assert not any(thread.is_alive() for thread in threading.enumerate() if thread.name == "virtual-switch")


def test_the_command_replays_arrivals_for_a_while_and_reports(org, line, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    queue, token, url = line
    replay = tmp_path / "arrivals.csv"
    replay.write_text("offset_seconds,queue,caller_number,patience_seconds,talk_seconds\n0,TAX,13900000020,60,0.3\n")
    out = StringIO()
    agent = org.people["agent"].employee_no
    args = ["--url", url, "--token", token, "--duration", "15", "--queue", "TAX", "--agent", agent]
    call_command("virtual_switch", *args, "--replay", str(replay), "--no-websocket", stdout=out)
    text = out.getvalue()
    assert "TAX" in text and "arrived=1" in text
    contact = Contact.objects.get(queue=queue)
    assert contact.agent.employee_no == agent and contact.answered_at is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--token", ""], "--token"),
        (["--token", "bzsw_x", "--url", "ftp://x"], "http"),
        (["--token", "bzsw_x", "--url", "http://127.0.0.1:9"], "does not answer"),
        (["--token", "bzsw_x", "--queue", "TAX:x"], "CODE"),
    ],
)
def test_the_command_refuses_what_it_cannot_use(args, message, monkeypatch):
    from django.core.management import CommandError, call_command
    from django.utils import translation

    monkeypatch.setattr(vs.CtiClient, "RETRY_DELAYS", ())
    with translation.override("en"), pytest.raises(CommandError, match=message):
        call_command("virtual_switch", *args)
