"""Pure routing (CT-5 … CT-8): tables for each strategy, then hypothesis properties of `choose`."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from banzu.contact.rules import (
    Assignment,
    AvailableAgent,
    QueuePolicy,
    Strategy,
    WaitingContact,
    choose,
    contact_order,
    eligible_queues,
    estimated_wait_seconds,
    free_capacity,
    has_skills,
    multi_contact_reachable,
    offer_expired,
    round_robin_pointers,
    routing_head,
)

NOW = datetime(2025, 3, 14, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
VOICE, CHAT = 1, 2
BILLING, TAX, VIP_SKILL = 11, 12, 13


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def contact(cid, queue=1, waited=10, priority=0, vip=0) -> WaitingContact:
    return WaitingContact(cid, queue, ago(waited), priority, vip)


def agent(aid, idle=60, skills=None, live=None) -> AvailableAgent:
    return AvailableAgent(aid, ago(idle) if idle is not None else None, skills or {}, live or {})


def queues(*policies: QueuePolicy) -> dict[int, QueuePolicy]:
    return {q.queue_id: q for q in policies}


def pairs(result: list[Assignment]) -> list[tuple[int, int]]:
    return [(a.contact_id, a.agent_id) for a in result]


# --- strategies ----------------------------------------------------------------------------------------


def test_longest_idle_agent_gets_the_contact():
    q = queues(QueuePolicy(1, VOICE))
    result = choose([contact(100)], [agent(1, idle=30), agent(2, idle=300), agent(3, idle=120)], NOW, q)
    assert pairs(result) == [(100, 2)]


def test_longest_waiting_contact_is_served_first():
    q = queues(QueuePolicy(1, VOICE))
    result = choose([contact(100, waited=5), contact(101, waited=50)], [agent(1)], NOW, q)
    assert pairs(result) == [(101, 1)]


def test_two_contacts_go_to_the_two_longest_idle_agents_in_order():
    q = queues(QueuePolicy(1, VOICE))
    agents = [agent(1, idle=10), agent(2, idle=100), agent(3, idle=50)]
    result = choose([contact(100, waited=5), contact(101, waited=50)], agents, NOW, q)
    assert pairs(result) == [(101, 2), (100, 3)]


def test_skills_best_match_prefers_the_highest_level():
    q = queues(QueuePolicy(1, VOICE, strategy=Strategy.SKILLS_BEST_MATCH, required_skills={TAX: 2}))
    agents = [agent(1, idle=500, skills={TAX: 2}), agent(2, idle=10, skills={TAX: 5}), agent(3, skills={TAX: 4})]
    assert pairs(choose([contact(100)], agents, NOW, q)) == [(100, 2)]


def test_skills_best_match_breaks_ties_by_longest_idle():
    q = queues(QueuePolicy(1, VOICE, strategy=Strategy.SKILLS_BEST_MATCH, required_skills={TAX: 1}))
    agents = [
        agent(1, idle=10, skills={TAX: 4}),
        agent(2, idle=90, skills={TAX: 4}),
        agent(3, idle=900, skills={TAX: 3}),
    ]
    assert pairs(choose([contact(100)], agents, NOW, q)) == [(100, 2)]


def test_only_agents_with_every_required_skill_at_the_minimum_level_are_chosen():
    q = queues(QueuePolicy(1, VOICE, required_skills={TAX: 3, BILLING: 1}))
    agents = [
        agent(1, idle=900, skills={TAX: 2, BILLING: 5}),  # tax too low
        agent(2, idle=800, skills={TAX: 5}),  # no billing
        agent(3, idle=10, skills={TAX: 3, BILLING: 1}),
    ]
    assert pairs(choose([contact(100)], agents, NOW, q)) == [(100, 3)]


def test_no_assignment_when_no_agent_has_the_skills():
    q = queues(QueuePolicy(1, VOICE, required_skills={VIP_SKILL: 1}))
    assert choose([contact(100)], [agent(1, skills={TAX: 5})], NOW, q) == []


def test_customer_priority_serves_the_vip_first_even_if_others_waited_longer():
    q = queues(QueuePolicy(1, VOICE, strategy=Strategy.CUSTOMER_PRIORITY))
    waiting = [contact(100, waited=300), contact(101, waited=5, vip=2), contact(102, waited=60, vip=1)]
    assert pairs(choose(waiting, [agent(1)], NOW, q)) == [(101, 1)]


def test_customer_priority_among_equal_vips_serves_the_longest_waiting():
    q = queues(QueuePolicy(1, VOICE, strategy=Strategy.CUSTOMER_PRIORITY))
    waiting = [contact(100, waited=30, vip=1), contact(101, waited=90, vip=1)]
    assert pairs(choose(waiting, [agent(1)], NOW, q)) == [(101, 1)]


def test_vip_level_does_not_jump_the_line_in_a_longest_idle_queue():
    q = queues(QueuePolicy(1, VOICE, strategy=Strategy.LONGEST_IDLE))
    waiting = [contact(100, waited=300), contact(101, waited=5, vip=3)]
    assert pairs(choose(waiting, [agent(1)], NOW, q)) == [(100, 1)]


def test_round_robin_takes_the_next_agent_after_the_pointer_and_wraps():
    agents = [agent(1, idle=999), agent(5), agent(9)]
    assert pairs(choose([contact(100)], agents, NOW, queues(QueuePolicy(1, VOICE, strategy=Strategy.ROUND_ROBIN)))) == [
        (100, 1)
    ]
    after_5 = queues(QueuePolicy(1, VOICE, strategy=Strategy.ROUND_ROBIN, round_robin_after=5))
    assert pairs(choose([contact(100)], agents, NOW, after_5)) == [(100, 9)]
    after_9 = queues(QueuePolicy(1, VOICE, strategy=Strategy.ROUND_ROBIN, round_robin_after=9))
    assert pairs(choose([contact(100)], agents, NOW, after_9)) == [(100, 1)]


def test_round_robin_advances_within_one_round_and_reports_the_new_pointer():
    q = queues(QueuePolicy(1, VOICE, strategy=Strategy.ROUND_ROBIN, round_robin_after=1))
    result = choose([contact(100, waited=9), contact(101, waited=5)], [agent(1), agent(5), agent(9)], NOW, q)
    assert pairs(result) == [(100, 5), (101, 9)]
    assert round_robin_pointers(q, result) == {1: 9}


def test_round_robin_pointers_ignore_other_strategies():
    q = queues(QueuePolicy(1, VOICE))
    assert round_robin_pointers(q, [Assignment(100, 5, 1, 1)]) == {}


# --- priorities and queues -----------------------------------------------------------------------------


def test_a_higher_priority_queue_is_served_before_a_longer_wait_elsewhere():
    q = queues(QueuePolicy(1, VOICE, priority=0), QueuePolicy(2, VOICE, priority=5))
    waiting = [contact(100, queue=1, waited=600), contact(101, queue=2, waited=1)]
    assert pairs(choose(waiting, [agent(1)], NOW, q)) == [(101, 1)]


def test_a_higher_contact_priority_goes_first_within_a_queue():
    q = queues(QueuePolicy(1, VOICE))
    waiting = [contact(100, waited=600), contact(101, waited=1, priority=1)]
    assert pairs(choose(waiting, [agent(1)], NOW, q)) == [(101, 1)]


def test_a_contact_put_back_after_no_answer_keeps_its_place_at_the_head():
    """RONA keeps the original queued_at, so the withdrawn contact is ahead of later arrivals."""
    q = queues(QueuePolicy(1, VOICE))
    requeued = WaitingContact(100, 1, ago(40))
    later = [contact(101, waited=20), contact(102, waited=10)]
    assert pairs(choose([*later, requeued], [agent(1)], NOW, q)) == [(100, 1)]


def test_contacts_of_unknown_or_inactive_queues_wait():
    assert choose([contact(100, queue=7)], [agent(1)], NOW, queues(QueuePolicy(1, VOICE))) == []


def test_each_agent_gets_at_most_one_offer_per_round_even_with_chat_capacity():
    q = queues(QueuePolicy(1, CHAT, capacity=3))
    assert pairs(choose([contact(100, waited=9), contact(101, waited=5)], [agent(1)], NOW, q)) == [(100, 1)]


# --- capacity ------------------------------------------------------------------------------------------


def test_an_agent_holding_a_call_gets_no_second_call():
    q = queues(QueuePolicy(1, VOICE))
    assert choose([contact(100)], [agent(1, idle=None, live={VOICE: 1})], NOW, q) == []


def test_a_busy_chat_agent_with_room_gets_another_chat_after_the_ready_agents():
    q = queues(QueuePolicy(1, CHAT, capacity=3))
    busy = agent(1, idle=None, live={CHAT: 2})
    assert pairs(choose([contact(100)], [busy], NOW, q)) == [(100, 1)]
    assert pairs(choose([contact(100)], [busy, agent(2, idle=1)], NOW, q)) == [(100, 2)]


def test_a_chat_agent_at_the_limit_gets_no_more_chats():
    q = queues(QueuePolicy(1, CHAT, capacity=3))
    assert choose([contact(100)], [agent(1, idle=None, live={CHAT: 3})], NOW, q) == []


def test_an_agent_on_a_chat_gets_no_call_and_an_agent_on_a_call_gets_no_chat():
    assert free_capacity({CHAT: 1}, VOICE, 1) == 0
    assert free_capacity({VOICE: 1}, CHAT, 3) == 0
    assert free_capacity({}, VOICE, 1) == 1
    assert free_capacity({CHAT: 1, VOICE: 0}, CHAT, 3) == 2


# --- overflow ------------------------------------------------------------------------------------------


def overflow_queues(after=60) -> dict[int, QueuePolicy]:
    return queues(
        QueuePolicy(1, VOICE, required_skills={VIP_SKILL: 1}, overflow_queue_id=2, overflow_after_seconds=after),
        QueuePolicy(2, VOICE, required_skills={TAX: 1}),
    )


def test_before_the_overflow_limit_only_the_queues_own_agents_are_eligible():
    assert choose([contact(100, waited=59)], [agent(1, skills={TAX: 5})], NOW, overflow_queues()) == []


def test_after_the_overflow_limit_the_overflow_queues_agents_are_eligible():
    result = choose([contact(100, waited=60)], [agent(1, skills={TAX: 5})], NOW, overflow_queues())
    assert result == [Assignment(100, 1, queue_id=1, via_queue_id=2)]


def test_after_overflow_the_queues_own_agents_still_come_first():
    agents = [agent(1, idle=900, skills={TAX: 5}), agent(2, idle=5, skills={VIP_SKILL: 1})]
    result = choose([contact(100, waited=600)], agents, NOW, overflow_queues())
    assert result == [Assignment(100, 2, queue_id=1, via_queue_id=1)]


def test_overflow_limits_add_up_along_a_chain_and_a_loop_stops():
    q = queues(
        QueuePolicy(1, VOICE, overflow_queue_id=2, overflow_after_seconds=30),
        QueuePolicy(2, VOICE, overflow_queue_id=3, overflow_after_seconds=30),
        QueuePolicy(3, VOICE, overflow_queue_id=1, overflow_after_seconds=30),
    )
    ids = lambda waited: [p.queue_id for p in eligible_queues(contact(1, waited=waited), q, NOW)]  # noqa: E731
    assert ids(29) == [1]
    assert ids(30) == [1, 2]
    assert ids(59) == [1, 2]
    assert ids(60) == [1, 2, 3]
    assert ids(10_000) == [1, 2, 3]


# --- small rules ----------------------------------------------------------------------------------------


def test_has_skills_needs_every_skill_at_least_at_the_minimum():
    assert has_skills({TAX: 3}, {TAX: 3})
    assert has_skills({TAX: 3, BILLING: 1}, {})
    assert not has_skills({TAX: 2}, {TAX: 3})
    assert not has_skills({}, {TAX: 1})


def test_an_offer_expires_exactly_at_the_timeout():
    assert not offer_expired(ago(14.9), NOW, 15)
    assert offer_expired(ago(15), NOW, 15)


def test_estimated_wait_grows_with_position_and_shrinks_with_agents():
    assert estimated_wait_seconds(1, 1, 180) == 180
    assert estimated_wait_seconds(3, 2, 180) == 270
    assert estimated_wait_seconds(1, 4, 100) == 25
    assert estimated_wait_seconds(5, 0, 180) is None


# --- properties ------------------------------------------------------------------------------------------

SKILLS = [BILLING, TAX, VIP_SKILL]


@st.composite
def scenarios(draw):
    queue_count = draw(st.integers(1, 3))
    policies = {}
    for queue_id in range(1, queue_count + 1):
        channel = draw(st.sampled_from([VOICE, CHAT]))
        overflow = draw(st.none() | st.integers(1, queue_count))
        policies[queue_id] = QueuePolicy(
            queue_id=queue_id,
            channel_id=channel,
            capacity=1 if channel == VOICE else draw(st.integers(1, 3)),
            priority=draw(st.integers(0, 2)),
            strategy=draw(st.sampled_from(list(Strategy))),
            required_skills=draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), max_size=2)),
            overflow_queue_id=overflow,
            overflow_after_seconds=draw(st.integers(0, 300)) if overflow else None,
            round_robin_after=draw(st.none() | st.integers(0, 12)),
        )
    waiting = [
        WaitingContact(
            contact_id=cid,
            queue_id=draw(st.integers(1, queue_count + 1)),  # queue_count + 1 is unknown: must wait
            queued_at=ago(draw(st.integers(0, 600))),
            priority=draw(st.integers(0, 2)),
            customer_priority=draw(st.integers(0, 3)),
        )
        for cid in range(100, 100 + draw(st.integers(0, 12)))
    ]
    agents = [
        AvailableAgent(
            agent_id=aid,
            idle_since=draw(st.none() | st.integers(0, 900).map(ago)),
            skills=draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), max_size=3)),
            live=draw(st.sampled_from([{}, {}, {VOICE: 1}, {CHAT: 1}, {CHAT: 2}])),
        )
        for aid in range(1, 1 + draw(st.integers(0, 10)))
    ]
    return waiting, agents, policies


def _eligible(c: WaitingContact, a: AvailableAgent, policies) -> bool:
    chain = eligible_queues(c, policies, NOW)
    if not chain:
        return False
    home = chain[0]
    return free_capacity(a.live, home.channel_id, home.capacity) > 0 and any(
        has_skills(a.skills, q.required_skills) for q in chain
    )


@settings(max_examples=80, deadline=None)
@given(scenarios())
def test_property_no_agent_or_contact_is_used_twice_and_capacity_holds(scenario):
    waiting, agents, policies = scenario
    result = choose(waiting, agents, NOW, policies)
    assert len({a.contact_id for a in result}) == len(result)
    assert len({a.agent_id for a in result}) == len(result)
    by_id = {a.agent_id: a for a in agents}
    for assignment in result:
        home = policies[assignment.queue_id]
        live = by_id[assignment.agent_id].live
        if home.capacity == 1:
            assert sum(live.values()) == 0, "an agent on a single-contact channel got a second contact"
        assert free_capacity(live, home.channel_id, home.capacity) > 0


@settings(max_examples=80, deadline=None)
@given(scenarios())
def test_property_only_skilled_agents_of_an_eligible_queue_are_chosen(scenario):
    waiting, agents, policies = scenario
    contacts = {c.contact_id: c for c in waiting}
    by_id = {a.agent_id: a for a in agents}
    for assignment in choose(waiting, agents, NOW, policies):
        chain = [q.queue_id for q in eligible_queues(contacts[assignment.contact_id], policies, NOW)]
        assert assignment.via_queue_id in chain
        assert has_skills(by_id[assignment.agent_id].skills, policies[assignment.via_queue_id].required_skills)


@settings(max_examples=80, deadline=None)
@given(scenarios())
def test_property_an_earlier_contact_is_never_passed_over_for_an_agent_it_could_take(scenario):
    """The longest-waiting eligible contact of the highest priority goes first, and no contact waits
    while an agent it could take stays free."""
    waiting, agents, policies = scenario
    result = choose(waiting, agents, NOW, policies)
    assigned = {a.contact_id: a.agent_id for a in result}
    used = set(assigned.values())
    order = {c.contact_id: contact_order(c, policies[c.queue_id]) for c in waiting if c.queue_id in policies}
    by_agent = {a.agent_id: a for a in agents}
    for c in waiting:
        if c.contact_id in assigned or c.queue_id not in policies:
            continue
        for a in agents:
            if not _eligible(c, a, policies):
                continue
            assert a.agent_id in used, "a contact waits while an agent it could take stays free"
            winner = next(cid for cid, aid in assigned.items() if aid == a.agent_id)
            assert order[winner] < order[c.contact_id], "a later contact took an agent an earlier one could take"
            assert _eligible(next(x for x in waiting if x.contact_id == winner), by_agent[a.agent_id], policies)


@settings(max_examples=60, deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
def test_property_the_choice_does_not_depend_on_the_order_of_the_inputs(scenario, rnd):
    waiting, agents, policies = scenario
    first = choose(waiting, agents, NOW, policies)
    shuffled_w, shuffled_a = list(waiting), list(agents)
    rnd.shuffle(shuffled_w)
    rnd.shuffle(shuffled_a)
    assert choose(shuffled_w, shuffled_a, NOW, policies) == first
    assert choose(waiting, agents, NOW, policies) == first


@settings(max_examples=150, deadline=None)
@given(scenarios(), st.integers(0, 4))
def test_property_the_head_of_the_queues_gives_the_same_choice_as_every_waiting_contact(scenario, free):
    waiting, agents, policies = scenario
    agents = agents[:free]  # few agents for many contacts: the head is shorter than the queue
    head = routing_head(waiting, policies, len(agents))
    assert choose(head, agents, NOW, policies) == choose(waiting, agents, NOW, policies)


def test_the_head_keeps_the_first_contacts_of_a_queue_without_overflow_and_all_of_one_with_overflow():
    q = queues(
        QueuePolicy(1, VOICE),
        QueuePolicy(2, VOICE, overflow_queue_id=1, overflow_after_seconds=60),
        QueuePolicy(3, VOICE, priority=5, strategy=Strategy.CUSTOMER_PRIORITY),
    )
    waiting = [
        contact(10, waited=5),
        contact(11, waited=50),
        contact(12, waited=9, priority=1),
        contact(20, queue=2, waited=1),
        contact(21, queue=2, waited=2),
        contact(30, queue=3, waited=80),
        contact(31, queue=3, waited=1, vip=2),
        contact(40, queue=9),  # an unknown queue: left waiting
    ]
    ids = sorted(c.contact_id for c in routing_head(waiting, q, 2))
    assert ids == [11, 12, 20, 21, 30, 31]
    assert sorted(c.contact_id for c in routing_head(waiting, q, 1)) == [12, 20, 21, 31]
    assert [c.contact_id for c in routing_head(waiting, q, 0)] == [20, 21]


def test_an_empty_round_assigns_nothing():
    q = queues(QueuePolicy(1, VOICE))
    assert choose([], [agent(1)], NOW, q) == []
    assert choose([contact(100)], [], NOW, q) == []


def test_choose_handles_a_large_round_quickly():
    q = queues(QueuePolicy(1, VOICE, required_skills={TAX: 1}), QueuePolicy(2, CHAT, capacity=3))
    rnd = random.Random(7)
    waiting = [contact(i, queue=rnd.choice([1, 2]), waited=rnd.randint(0, 900)) for i in range(500)]
    agents = [agent(i, idle=rnd.randint(0, 900), skills={TAX: rnd.randint(1, 5)}) for i in range(300)]
    result = choose(waiting, agents, NOW, q)
    assert len(result) == 300


# --- which agents routing must read ---------------------------------------------------------------------


def test_multi_contact_reachable_follows_the_queue_and_its_overflow_chain():
    voice = QueuePolicy(1, VOICE, overflow_queue_id=2, overflow_after_seconds=60)
    backup = QueuePolicy(2, VOICE, overflow_queue_id=3, overflow_after_seconds=60)
    chat = QueuePolicy(3, CHAT, capacity=3)
    lone = QueuePolicy(4, VOICE)
    loop_a = QueuePolicy(5, VOICE, overflow_queue_id=6, overflow_after_seconds=10)
    loop_b = QueuePolicy(6, VOICE, overflow_queue_id=5, overflow_after_seconds=10)
    q = queues(voice, backup, chat, lone, loop_a, loop_b)
    assert multi_contact_reachable([1], q)  # voice → backup → chat
    assert multi_contact_reachable([3], q)
    assert multi_contact_reachable([4, 2], q)
    assert not multi_contact_reachable([4], q)
    assert not multi_contact_reachable([5], q)  # a loop ends
    assert not multi_contact_reachable([], q)
    assert not multi_contact_reachable([None, 99], q)  # unknown queues are not routed at all
