"""Services of contacts and agent states (CT-5 … CT-9, CT-15): results, rows, history, and nothing
written after an error."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from banzu.contact import services
from banzu.contact.models import AgentSession, AgentStateChange, Contact, ContactEvent, Queue
from banzu.contact.tests.conftest import at
from banzu.contact.tests.factories import CustomerFactory, QueueFactory, channel
from banzu.core.errors import Conflict, NotAllowed
from banzu.core.services import set_policy
from banzu.org.models import Employee

pytestmark = pytest.mark.django_db

State, Status = AgentSession.State, Contact.Status


def session(person) -> AgentSession:
    return AgentSession.objects.get(employee=person)


def kinds(contact) -> list[str]:
    return list(ContactEvent.objects.filter(contact=contact).order_by("pk").values_list("kind", flat=True))


def transitions(person) -> list[tuple[str, str]]:
    rows = AgentStateChange.objects.filter(agent=person).order_by("pk")
    return [(row.from_state, row.to_state) for row in rows]


# --- arrival ---------------------------------------------------------------------------------------------


def test_an_arriving_call_is_queued_with_its_customer_found_by_number(
    floor, published, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(centre=floor.centre, phone="13912345678", vip_level=2)
    with django_capture_on_commit_callbacks(execute=True):
        contact = floor.call(caller_number="13912345678", external_id="sw-1", ivr_path=["1", "3"])
    contact.refresh_from_db()
    assert contact.status == Status.QUEUED
    assert contact.customer == customer and contact.customer_priority == 2
    assert contact.queued_at == at(0) and contact.arrived_at == at(0)
    assert contact.single_contact and contact.ivr_path == ["1", "3"]
    assert kinds(contact) == ["queued"]
    assert [kind for kind, _ in published] == ["contact.queued"]


def test_the_same_switch_call_id_again_returns_the_contact_already_queued(floor):
    first = floor.call(external_id="sw-1")
    again = floor.call(seconds=3, external_id="sw-1")
    assert again.pk == first.pk
    assert Contact.objects.count() == 1


def test_a_closed_queue_refuses_a_call_and_writes_nothing(floor):
    Queue.objects.filter(pk=floor.queue.pk).update(closed_on_non_working_days=True)
    floor.queue.refresh_from_db()
    holiday = at(0).replace(month=10, day=1)  # National Day, from the official calendar
    with pytest.raises(Conflict) as caught:
        services.enqueue_contact(queue=floor.queue, now=holiday)
    assert caught.value.code == "queue_closed"
    assert not Contact.objects.exists()


def test_a_queue_outside_its_hours_refuses_a_call(floor):
    from datetime import time

    floor.queue.hours.create(weekday=4, opens=time(9), closes=time(10))
    with pytest.raises(Conflict):
        floor.call(seconds=1)  # 10:00:01 on a Friday
    floor.call(seconds=-1)  # 09:59:59
    assert Contact.objects.count() == 1


def test_an_inactive_queue_refuses_a_call(floor):
    Queue.objects.filter(pk=floor.queue.pk).update(active=False)
    floor.queue.refresh_from_db()
    with pytest.raises(Conflict) as caught:
        floor.call()
    assert caught.value.code == "queue_inactive"


# --- agent states ------------------------------------------------------------------------------------------


def test_logging_in_makes_the_agent_ready_and_records_the_transition(floor):
    floor.login("agent", seconds=-60)
    s = session(floor.person("agent"))
    assert (s.state, s.idle_since, s.logged_in_at, s.state_since) == (State.READY, at(-60), at(-60), at(-60))
    change = AgentStateChange.objects.get(agent=floor.person("agent"))
    assert (change.from_state, change.to_state, change.event, change.at) == ("logged_out", "ready", "login", at(-60))


def test_the_ready_count_counts_the_centres_ready_agents_still_on_the_staff(floor):
    assert services.ready_agent_count(floor.centre) == 0  # nobody signed in: no row, zero
    floor.login("agent")
    floor.login("teammate")
    assert services.ready_agent_count(floor.centre) == 2
    services.set_agent_state(agent=floor.person("teammate"), action="away", away_reason="meal", now=at(5))
    assert services.ready_agent_count(floor.centre.pk) == 1
    Employee.objects.filter(pk=floor.person("agent").pk).update(status=Employee.Status.LEFT)
    assert services.ready_agent_count(floor.centre) == 0
    assert services.ready_agent_count(floor.centre.pk + 1000) == 0


def test_going_away_needs_a_reason_and_records_it(floor):
    floor.login("agent")
    with pytest.raises(ValidationError) as caught:
        services.set_agent_state(agent=floor.person("agent"), action="away", now=at(5))
    assert "away_reason" in caught.value.message_dict
    services.set_agent_state(agent=floor.person("agent"), action="away", away_reason="meal", now=at(10))
    s = session(floor.person("agent"))
    assert (s.state, s.away_reason, s.idle_since) == (State.AWAY, "meal", None)
    assert AgentStateChange.objects.filter(agent=floor.person("agent")).last().away_reason == "meal"


def test_an_agent_cannot_choose_not_answered_as_an_away_reason(floor):
    floor.login("agent")
    with pytest.raises(ValidationError):
        services.set_agent_state(agent=floor.person("agent"), action="away", away_reason="not_answered", now=at(5))


def test_logging_out_during_a_call_is_refused_and_nothing_is_written(floor):
    floor.login("agent")
    contact = floor.call()
    floor.route()
    services.answer_contact(contact_id=contact.pk, now=at(5))
    before = AgentStateChange.objects.count()
    with pytest.raises(Conflict) as caught:
        services.set_agent_state(agent=floor.person("agent"), action="logout", now=at(6))
    assert caught.value.code == "illegal_agent_transition"
    assert AgentStateChange.objects.count() == before
    assert session(floor.person("agent")).state == State.BUSY


def test_logging_in_twice_is_refused(floor):
    floor.login("agent")
    with pytest.raises(Conflict):
        floor.login("agent", seconds=1)


def test_an_agent_changes_their_own_state_but_not_a_colleagues(floor):
    agent, teammate = floor.person("agent"), floor.person("teammate")
    services.set_agent_state(agent=agent, action="login", now=at(0), by=agent.user)
    assert AgentStateChange.objects.get(agent=agent).changed_by == agent.user
    with pytest.raises(NotAllowed):
        services.set_agent_state(agent=teammate, action="login", now=at(0), by=agent.user)
    assert not AgentSession.objects.filter(employee=teammate, state=State.READY).exists()


def test_a_qa_inspector_may_not_log_in_to_the_queues(floor):
    qa = floor.person("qa")
    with pytest.raises(NotAllowed):
        services.set_agent_state(agent=qa, action="login", now=at(0), by=qa.user)


def test_the_work_mode_is_stored(floor):
    services.set_work_mode(agent=floor.person("agent"), mode="auto", now=at(0))
    assert session(floor.person("agent")).work_mode == "auto"
    with pytest.raises(ValidationError):
        services.set_work_mode(agent=floor.person("agent"), mode="sometimes", now=at(0))


# --- routing -------------------------------------------------------------------------------------------------


def test_a_waiting_call_is_offered_to_the_longest_idle_skilled_agent(
    floor, published, django_capture_on_commit_callbacks
):
    floor.login("agent", seconds=-30)
    floor.login("teammate", seconds=-90)
    contact = floor.call()
    with django_capture_on_commit_callbacks(execute=True):
        offered = floor.route(seconds=1)
    assert [c.pk for c in offered] == [contact.pk]
    contact.refresh_from_db()
    assert (contact.status, contact.agent, contact.offered_at, contact.offer_count) == (
        Status.OFFERED,
        floor.person("teammate"),
        at(1),
        1,
    )
    s = session(floor.person("teammate"))
    assert (s.state, s.live_contacts, s.idle_since) == (State.RINGING, 1, at(-90))
    assert transitions(floor.person("teammate"))[-1] == ("ready", "ringing")
    assert kinds(contact) == ["queued", "offered"]
    assert ("contact.offered", contact.pk) in [(k, p.get("contact_id")) for k, p in published]
    assert ("agent.state_changed", "ringing") in [(k, p.get("state")) for k, p in published]


def test_an_agent_without_the_skill_level_or_away_or_logged_out_gets_nothing(floor):
    floor.login("other_agent")  # tax level 2: enough
    floor.login("agent")
    services.set_agent_state(agent=floor.person("agent"), action="away", away_reason="break", now=at(1))
    floor.queue.skills.update(min_level=3)
    floor.call()
    assert floor.route(seconds=2) == []
    assert Contact.objects.get().status == Status.QUEUED


def test_routing_twice_never_offers_a_second_call_to_a_ringing_agent(floor):
    floor.login("agent")
    first, second = floor.call(), floor.call(seconds=1)
    assert [c.pk for c in floor.route(seconds=2)] == [first.pk]
    assert floor.route(seconds=3) == []
    second.refresh_from_db()
    assert second.status == Status.QUEUED


def test_a_second_claim_of_the_same_contact_is_refused(floor):
    floor.login("agent")
    floor.login("teammate")
    contact = floor.call()
    services.offer_contact(contact_id=contact.pk, agent_id=floor.person("agent").pk, now=at(1))
    with pytest.raises(Conflict) as caught:
        services.offer_contact(contact_id=contact.pk, agent_id=floor.person("teammate").pk, now=at(1))
    assert caught.value.code == "contact_taken"
    assert session(floor.person("teammate")).state == State.READY
    assert kinds(contact) == ["queued", "offered"]


def test_a_second_offer_to_a_ringing_agent_is_refused(floor):
    floor.login("agent")
    first, second = floor.call(), floor.call()
    services.offer_contact(contact_id=first.pk, agent_id=floor.person("agent").pk, now=at(1))
    with pytest.raises(Conflict) as caught:
        services.offer_contact(contact_id=second.pk, agent_id=floor.person("agent").pk, now=at(1))
    assert caught.value.code == "agent_not_available"
    second.refresh_from_db()
    assert (second.status, second.agent) == (Status.QUEUED, None)


def test_round_robin_remembers_the_agent_served_last(floor):
    Queue.objects.filter(pk=floor.queue.pk).update(strategy="round_robin")
    floor.login("agent")
    floor.login("teammate")
    floor.call()
    [offered] = floor.route(seconds=1)
    floor.queue.refresh_from_db()
    assert floor.queue.round_robin_after == offered.agent_id
    floor.call(seconds=2)
    [second] = floor.route(seconds=3)
    assert second.agent_id != offered.agent_id


def test_a_call_waiting_past_the_overflow_limit_goes_to_the_overflow_queues_agents(floor):
    from banzu.org.models import EmployeeSkill
    from banzu.org.tests.factories import SkillFactory

    vip = SkillFactory(code="vip", name="VIP")
    vip_queue = QueueFactory(
        department=floor.org.department, code="VIP", overflow_queue=floor.queue, overflow_after_seconds=30
    )
    vip_queue.skills.create(skill=vip, min_level=1)
    EmployeeSkill.objects.create(employee=floor.person("vip_agent"), skill=vip, level=5)
    floor.login("agent")
    contact = floor.call(queue=vip_queue)
    assert floor.route(seconds=29) == []
    assert [c.agent for c in floor.route(seconds=30)] == [floor.person("agent")]
    contact.refresh_from_db()
    assert contact.status == Status.OFFERED


def _waiting(contacts):
    from banzu.contact import rules

    return [rules.WaitingContact(*row) for row in contacts.values_list(*services.WAITING_FIELDS)]


def _long_queues(floor, strategy):
    """Seven calls in the floor's queue (priorities, VIP levels, a tie on time) and three in a queue
    that overflows into it."""
    Queue.objects.filter(pk=floor.queue.pk).update(strategy=strategy)
    overflowing = QueueFactory(
        department=floor.org.department, code="OVF", overflow_queue=floor.queue, overflow_after_seconds=30
    )
    calls = []
    for n, (priority, vip, seconds) in enumerate(
        [(0, 0, 5), (1, 0, 9), (0, 3, 7), (0, 0, 2), (1, 2, 9), (0, 1, 2), (0, 0, 1)]
    ):
        contact = floor.call(seconds=seconds, external_id=f"long-{n}", priority=priority)
        Contact.objects.filter(pk=contact.pk).update(customer_priority=vip)
        calls.append(contact.pk)
    for n in range(3):
        floor.call(seconds=n, queue=overflowing, external_id=f"ovf-{n}")
    return calls


@pytest.mark.parametrize("strategy", ["longest_idle", "customer_priority"])
def test_routing_reads_the_head_of_a_queue_without_overflow_as_the_pure_rule_picks_it(floor, strategy):
    from banzu.contact import rules

    _long_queues(floor, strategy)
    queues = services.queue_policies(floor.centre)
    everyone = _waiting(Contact.objects.filter(status=Status.QUEUED))
    queue_ids = services.waiting_queue_ids(floor.centre)
    assert len(queue_ids) == 2
    for agents in range(9):
        read = services.routing_head(floor.centre, queue_ids, queues, agents)
        expected = rules.routing_head(everyone, queues, agents)
        assert sorted(read, key=lambda c: c.contact_id) == sorted(expected, key=lambda c: c.contact_id)
        assert len(read) == min(agents, 7) + 3


@pytest.mark.parametrize("strategy", ["longest_idle", "customer_priority"])
def test_the_place_in_the_queue_is_counted_as_routing_orders_the_queue(floor, strategy):
    from banzu.contact import rules

    calls = _long_queues(floor, strategy)
    policy = services.queue_policies(floor.centre)[floor.queue.pk]
    everyone = _waiting(Contact.objects.filter(queue=floor.queue, status=Status.QUEUED))
    places = [services.position_in_queue(Contact.objects.get(pk=pk), policy) for pk in calls]
    assert places == [rules.queue_position(pk, everyone, policy) for pk in calls]
    assert sorted(places) == list(range(1, 8))
    Contact.objects.filter(pk=calls[0]).update(status=Status.ABANDONED)
    assert services.position_in_queue(Contact.objects.get(pk=calls[0]), policy) is None


def test_two_free_agents_take_the_first_two_of_a_long_queue(floor):
    calls = _long_queues(floor, "longest_idle")
    floor.login("agent")
    floor.login("teammate")
    offered = floor.route(seconds=10)
    # The two calls of priority 1 first, though they came last.
    assert sorted(c.pk for c in offered) == sorted([calls[1], calls[4]])


# --- handling ----------------------------------------------------------------------------------------------


def test_a_full_call_records_every_time_duration_and_transition(floor):
    agent = floor.person("agent")
    floor.login("agent", seconds=-10)
    contact = floor.call()
    floor.route(seconds=2)
    services.answer_contact(contact_id=contact.pk, now=at(8), agent=agent)
    services.hold_contact(contact_id=contact.pk, now=at(20))
    services.retrieve_contact(contact_id=contact.pk, now=at(35))
    services.hold_contact(contact_id=contact.pk, now=at(50))
    services.end_contact(contact_id=contact.pk, now=at(60))  # the customer hung up while held
    assert session(agent).state == State.ACW
    services.finish_acw(contact_id=contact.pk, now=at(90), disposition="resolved")
    contact.refresh_from_db()
    assert contact.status == Status.ENDED
    assert (contact.offered_at, contact.answered_at, contact.ended_at, contact.closed_at) == (
        at(2),
        at(8),
        at(60),
        at(90),
    )
    assert (contact.wait_seconds, contact.hold_seconds, contact.talk_seconds, contact.acw_seconds) == (8, 25, 27, 30)
    assert contact.disposition == "resolved"
    assert kinds(contact) == ["queued", "offered", "answered", "held", "retrieved", "held", "ended", "closed"]
    assert transitions(agent) == [
        ("logged_out", "ready"),
        ("ready", "ringing"),
        ("ringing", "busy"),
        ("busy", "hold"),
        ("hold", "busy"),
        ("busy", "hold"),
        ("hold", "acw"),
        ("acw", "ready"),
    ]
    s = session(agent)
    assert (s.state, s.idle_since, s.live_contacts) == (State.READY, at(90), 0)
    assert list(AgentStateChange.objects.filter(agent=agent).values_list("at", flat=True)) == [
        at(-10),
        at(2),
        at(8),
        at(20),
        at(35),
        at(50),
        at(60),
        at(90),
    ]


def test_only_the_offered_agent_may_answer(floor):
    floor.login("agent")
    contact = floor.call()
    floor.route(seconds=1)
    with pytest.raises(Conflict) as caught:
        services.answer_contact(contact_id=contact.pk, now=at(2), agent=floor.person("teammate"))
    assert caught.value.code == "not_offered_to_you"
    contact.refresh_from_db()
    assert contact.status == Status.OFFERED


def test_a_repeated_switch_event_changes_nothing(floor):
    floor.login("agent")
    contact = floor.call()
    floor.route(seconds=1)
    services.answer_contact(contact_id=contact.pk, now=at(2))
    services.answer_contact(contact_id=contact.pk, now=at(3))
    services.end_contact(contact_id=contact.pk, now=at(10))
    services.end_contact(contact_id=contact.pk, now=at(11))
    contact.refresh_from_db()
    assert (contact.answered_at, contact.ended_at) == (at(2), at(10))
    assert kinds(contact) == ["queued", "offered", "answered", "ended"]


def test_holding_a_queued_contact_is_refused(floor):
    contact = floor.call()
    with pytest.raises(Conflict) as caught:
        services.hold_contact(contact_id=contact.pk, now=at(1))
    assert caught.value.code == "contact_wrong_status"


def test_after_call_work_past_the_limit_is_finished_by_the_sweep(floor):
    floor.login("agent")
    contact = floor.call()
    floor.route()
    services.answer_contact(contact_id=contact.pk, now=at(1))
    services.end_contact(contact_id=contact.pk, now=at(100))
    assert services.finish_overdue_acw(centre=floor.centre, now=at(159)) == []
    assert services.finish_overdue_acw(centre=floor.centre, now=at(160)) == [contact.pk]
    contact.refresh_from_db()
    assert (contact.status, contact.acw_seconds) == (Status.ENDED, 60)
    assert session(floor.person("agent")).state == State.READY


# --- abandon, RONA, callback ---------------------------------------------------------------------------------


def test_a_caller_hanging_up_in_the_queue_is_abandoned_with_the_wait(floor):
    contact = floor.call()
    services.abandon_contact(contact_id=contact.pk, now=at(42))
    contact.refresh_from_db()
    assert (contact.status, contact.ended_at, contact.wait_seconds) == (Status.ABANDONED, at(42), 42)
    assert kinds(contact) == ["queued", "abandoned"]
    services.abandon_contact(contact_id=contact.pk, now=at(50))
    assert kinds(contact) == ["queued", "abandoned"]


def test_a_caller_hanging_up_while_it_rings_leaves_the_agent_ready_with_their_idle_time(floor):
    floor.login("agent", seconds=-100)
    contact = floor.call()
    floor.route(seconds=1)
    services.abandon_contact(contact_id=contact.pk, now=at(5))
    contact.refresh_from_db()
    assert (contact.status, contact.agent) == (Status.ABANDONED, None)
    assert ContactEvent.objects.get(contact=contact, kind="abandoned").agent == floor.person("agent")
    s = session(floor.person("agent"))
    assert (s.state, s.idle_since, s.live_contacts) == (State.READY, at(-100), 0)


def test_an_unanswered_offer_goes_back_to_the_head_of_the_queue_and_the_agent_is_set_away(floor):
    floor.login("agent", seconds=-100)
    first = floor.call()
    floor.route(seconds=1)
    later = floor.call(seconds=5)
    assert services.expire_offers(centre=floor.centre, now=at(15.9)) == []
    assert services.expire_offers(centre=floor.centre, now=at(16)) == [first.pk]  # policy default: 15 s
    first.refresh_from_db()
    assert (first.status, first.agent, first.queued_at, first.offered_at) == (Status.QUEUED, None, at(0), None)
    s = session(floor.person("agent"))
    assert (s.state, s.away_reason, s.live_contacts) == (State.AWAY, "not_answered", 0)
    assert kinds(first) == ["queued", "offered", "offer_expired"]
    floor.login("teammate", seconds=17)
    assert [c.pk for c in floor.route(seconds=18)] == [first.pk]  # ahead of the later call
    later.refresh_from_db()
    assert later.status == Status.QUEUED


def test_the_queues_own_offer_timeout_and_the_centres_policy_override_the_default(floor):
    set_policy(user=floor.person("admin").user, centre=floor.centre, key="contact.offer_timeout_seconds", value=30)
    floor.login("agent")
    contact = floor.call()
    floor.route()
    assert services.expire_offers(centre=floor.centre, now=at(29)) == []
    Queue.objects.filter(pk=floor.queue.pk).update(offer_timeout_seconds=10)
    assert services.expire_offers(centre=floor.centre, now=at(10)) == [contact.pk]


def test_an_offer_answered_meanwhile_is_not_withdrawn(floor):
    floor.login("agent")
    contact = floor.call()
    floor.route(seconds=1)
    offered_at = Contact.objects.get().offered_at
    services.answer_contact(contact_id=contact.pk, now=at(3))
    assert services.withdraw_offer(contact_id=contact.pk, now=at(20), offered_at=offered_at) is None
    contact.refresh_from_db()
    assert contact.status == Status.CONNECTED


def test_a_callback_keeps_the_customers_place_in_the_queue(floor):
    waiting = floor.call(caller_number="13900000001")
    later = floor.call(seconds=30)
    callback = services.request_callback(contact_id=waiting.pk, now=at(60), number="13900000002")
    waiting.refresh_from_db()
    assert (waiting.status, waiting.wait_seconds) == (Status.CALLBACK_REQUESTED, 60)
    assert (callback.status, callback.direction, callback.queue, callback.queued_at) == (
        Status.QUEUED,
        "outbound",
        floor.queue,
        at(0),
    )
    assert (callback.callback_for, callback.caller_number) == (waiting, "13900000002")
    floor.login("agent", seconds=61)
    assert [c.pk for c in floor.route(seconds=62)] == [callback.pk]
    later.refresh_from_db()
    assert later.status == Status.QUEUED


# --- chats ---------------------------------------------------------------------------------------------------


@pytest.fixture
def chat_queue(floor):
    queue = QueueFactory(department=floor.org.department, code="CHAT", channel=channel("chat"))
    return queue


def test_a_busy_chat_agent_takes_further_chats_up_to_the_centres_limit(floor, chat_queue):
    set_policy(user=floor.person("admin").user, centre=floor.centre, key="contact.max_concurrent_chats", value=2)
    floor.login("agent")
    chats = [floor.call(seconds=i, queue=chat_queue) for i in range(3)]
    for round_, chat in enumerate(chats[:2]):
        [offered] = floor.route(seconds=10 + round_)
        assert offered.pk == chat.pk
        services.answer_contact(contact_id=chat.pk, now=at(10 + round_))
    assert floor.route(seconds=20) == []
    s = session(floor.person("agent"))
    assert (s.state, s.live_contacts) == (State.BUSY, 2)
    services.end_contact(contact_id=chats[0].pk, now=at(30))
    assert session(floor.person("agent")).state == State.BUSY  # still chatting with the other customer
    services.finish_acw(contact_id=chats[0].pk, now=at(31))
    assert [c.pk for c in floor.route(seconds=32)] == [chats[2].pk]


def test_an_agent_in_a_chat_gets_no_call(floor, chat_queue):
    floor.login("agent")
    chat = floor.call(queue=chat_queue)
    floor.route()
    services.answer_contact(contact_id=chat.pk, now=at(1))
    floor.call(seconds=2)
    assert floor.route(seconds=3) == []


def test_busy_agents_are_read_only_when_a_waiting_contact_may_go_to_a_multi_contact_channel(floor, chat_queue):
    floor.login("agent")
    floor.login("teammate")
    chat = floor.call(queue=chat_queue)
    [offered] = floor.route()
    services.answer_contact(contact_id=offered.pk, now=at(1))
    assert offered.pk == chat.pk
    busy = offered.agent
    ready = next(person for person in (floor.person("agent"), floor.person("teammate")) if person.pk != busy.pk)
    everyone = {a.agent_id for a in services.available_agents(floor.centre)}
    assert everyone == {busy.pk, ready.pk}  # the chat agent still has room for another chat
    assert {a.agent_id for a in services.available_agents(floor.centre, busy_too=False)} == {ready.pk}
    # A second chat goes to the chat agent's spare room or the ready colleague; a call only to the latter.
    call = floor.call(seconds=2)
    assert [(c.pk, c.agent_id) for c in floor.route(seconds=3)] == [(call.pk, ready.pk)]


def test_routing_reads_only_the_skills_the_queues_require(floor):
    from banzu.org.models import EmployeeSkill
    from banzu.org.tests.factories import SkillFactory

    english = SkillFactory(code="english", name="英语")
    EmployeeSkill.objects.create(employee=floor.person("agent"), skill=english, level=4)
    floor.login("agent")
    [everything] = services.available_agents(floor.centre)
    assert everything.skills[english.pk] == 4 and floor.tax.pk in everything.skills
    [required] = services.available_agents(floor.centre, skill_ids=[floor.tax.pk])
    assert required.skills == {floor.tax.pk: everything.skills[floor.tax.pk]}
    [bare] = services.available_agents(floor.centre, skill_ids=[])
    assert bare.skills == {}
    # The queue requires tax level 2, which the agent has: routing still finds them.
    contact = floor.call(seconds=1)
    assert [(c.pk, c.agent_id) for c in floor.route(seconds=2)] == [(contact.pk, floor.person("agent").pk)]


def test_a_chat_cannot_be_put_on_hold(floor, chat_queue):
    floor.login("agent")
    chat = floor.call(queue=chat_queue)
    floor.route()
    services.answer_contact(contact_id=chat.pk, now=at(1))
    with pytest.raises(Conflict):
        services.hold_contact(contact_id=chat.pk, now=at(2))


# --- events and the database's own guards ----------------------------------------------------------------------


def test_nothing_is_published_for_a_refused_change(floor, published, django_capture_on_commit_callbacks):
    floor.login("agent")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Conflict):
        floor.login("agent", seconds=1)
    assert published == []


def test_the_database_refuses_a_second_live_call_for_one_agent(floor):
    agent = floor.person("agent")
    base = {"centre": floor.centre, "channel": channel("voice"), "queue": floor.queue, "arrived_at": at(0)}
    Contact.objects.create(**base, status=Status.CONNECTED, agent=agent)
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(**base, status=Status.OFFERED, agent=agent)
    Contact.objects.create(**base, status=Status.ENDED, agent=agent)  # ended calls do not count
    Contact.objects.create(**base, status=Status.CONNECTED, agent=agent, single_contact=False)  # nor chats


def test_the_database_refuses_a_duplicate_switch_call_id_and_negative_durations(floor):
    base = {"centre": floor.centre, "channel": channel("voice"), "queue": floor.queue, "arrived_at": at(0)}
    Contact.objects.create(**base, external_id="sw-9")
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(**base, external_id="sw-9")
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(**base, talk_seconds=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(**base, status=Status.CONNECTED)  # live without an agent
    Contact.objects.create(**base)
    Contact.objects.create(**base)  # empty call ids do not collide


def test_an_agent_of_another_centre_is_never_offered_the_contact(floor):
    from banzu.org.tests.factories import CentreFactory, DepartmentFactory, EmployeeFactory, TeamFactory

    elsewhere = TeamFactory(department=DepartmentFactory(centre=CentreFactory(code="SZ", name="深圳中心")))
    stranger = EmployeeFactory(team=elsewhere)
    services.set_agent_state(agent=stranger, action="login", now=at(0))
    contact = floor.call()
    with pytest.raises(Conflict):
        services.offer_contact(contact_id=contact.pk, agent_id=stranger.pk, now=at(1))
    assert floor.route(seconds=2) == []
    contact.refresh_from_db()
    assert contact.status == Status.QUEUED


@pytest.mark.parametrize("seed", range(6))
def test_routing_reads_the_agent_shortlist_as_the_pure_rule_keeps_it(floor, seed):
    """Random floors of calls: the database sorts and cuts the ranked lists as ``rules.agent_shortlist``
    does over every ready agent, and routing decides as ``rules.choose`` over the whole floor."""
    import random

    from banzu.contact import rules
    from banzu.contact.tests.factories import QueueSkillFactory
    from banzu.org.models import Employee, EmployeeSkill
    from banzu.org.tests.factories import EmployeeFactory, SkillFactory

    rng = random.Random(seed)
    skills = [floor.tax, SkillFactory(code="english", name="英语"), SkillFactory(code="vip", name="贵宾")]
    queues = [floor.queue, *(QueueFactory(department=floor.org.department) for _ in range(2))]
    for queue in queues[1:]:
        for skill in rng.sample(skills, rng.randint(0, 2)):
            QueueSkillFactory(queue=queue, skill=skill, min_level=rng.randint(1, 3))
    agents = [EmployeeFactory(team=floor.org.team_a) for _ in range(12)]
    for agent in agents:
        for skill in rng.sample(skills, rng.randint(0, 3)):
            EmployeeSkill.objects.create(employee=agent, skill=skill, level=rng.randint(1, 5))
        services.set_agent_state(agent=agent, action="login", now=at(rng.choice([0, 5, 5, 10, 20])))
        if rng.random() < 0.2:
            services.set_agent_state(agent=agent, action="away", now=at(30), away_reason="break")
    Employee.objects.filter(pk=agents[0].pk).update(status=Employee.Status.LEFT)
    for queue in queues:
        pointer = rng.choice([None, *(agent.pk for agent in agents)])
        Queue.objects.filter(pk=queue.pk).update(strategy=rng.choice(list(rules.Strategy)), round_robin_after=pointer)
    Queue.objects.filter(pk=queues[2].pk).update(overflow_queue=queues[0], overflow_after_seconds=20)
    for n in range(rng.randint(1, 8)):
        queue, priority = rng.choice(queues), rng.randint(0, 1)
        floor.call(seconds=rng.randint(0, 50), queue=queue, external_id=f"r{n}", priority=priority)

    now = at(60)
    policies = services.queue_policies(floor.centre)
    skill_ids = {skill for queue in policies.values() for skill in queue.required_skills}
    queue_ids = services.waiting_queue_ids(floor.centre)
    waiting = services.routing_head(floor.centre, queue_ids, policies, services.ready_agent_count(floor.centre))
    everyone = services.available_agents(floor.centre, busy_too=False, skill_ids=skill_ids)
    expected = rules.agent_shortlist(waiting, everyone, policies, now)
    assert services.shortlisted_agents(floor.centre, waiting, policies, now, skill_ids=skill_ids) == expected
    decided = rules.choose(waiting, everyone, now, policies)
    assert [(c.pk, c.agent_id) for c in floor.route(seconds=60)] == [(a.contact_id, a.agent_id) for a in decided]


def test_the_compiled_locks_load_whole_rows_and_lock_them(floor):
    """The session and the contact come back as the ORM would load them, and on a database that
    locks rows, locked (``FOR UPDATE``) for the rest of the transaction."""
    floor.login("agent")
    agent = floor.person("agent")
    contact = floor.call(caller_number="13912345678", external_id="sw-9", ivr_path=["2"])
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        session = services.lock_session(agent.pk)
        locked = services.lock_contact(contact.pk)
        assert services.lock_session(agent.pk + 1000) is None
        with pytest.raises(Contact.DoesNotExist):
            services.lock_contact(contact.pk + 1000)
    expected = AgentSession.objects.get(employee=agent)
    assert [getattr(session, f) for f in services.SESSION_FIELDS] == [
        getattr(expected, f) for f in services.SESSION_FIELDS
    ]
    fresh = Contact.objects.get(pk=contact.pk)
    assert [getattr(locked, f) for f in services.CONTACT_FIELDS] == [getattr(fresh, f) for f in services.CONTACT_FIELDS]
    assert locked.ivr_path == ["2"] and locked.queue.code == fresh.queue.code
    if connection.features.has_select_for_update:
        assert all("FOR UPDATE" in query["sql"] for query in queries.captured_queries)
