"""``rules.choose`` ranks the agents of each strategy and pool once per call (for speed, see
bench/routing_decision.py); these properties prove it decides exactly as the straightforward scan of
every free agent per contact does, over random floors (CT-6 … CT-8)."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from banzu.contact import rules

NOW = datetime(2025, 3, 14, 10, 0)


def full_scan(waiting, agents, now, queues):
    pointers = {queue_id: queue.round_robin_after for queue_id, queue in queues.items()}
    ordered = sorted(
        (c for c in waiting if c.queue_id in queues), key=lambda c: rules.contact_order(c, queues[c.queue_id])
    )
    free = sorted(agents, key=lambda agent: agent.agent_id)
    out = []
    for contact in ordered:
        if not free:
            break
        chain = rules.eligible_queues(contact, queues, now)
        home = chain[0]
        best = None
        for agent in free:
            if rules.free_capacity(agent.live, home.channel_id, home.capacity) <= 0:
                continue
            rank = next((i for i, p in enumerate(chain) if rules.has_skills(agent.skills, p.required_skills)), None)
            if rank is None:
                continue
            key = (rank, *rules._agent_key(home.strategy, agent, chain[rank], pointers.get(home.queue_id)))
            if best is None or key < best[0]:
                best = (key, agent, chain[rank])
        if best is None:
            continue
        _key, agent, pool = best
        out.append(rules.Assignment(contact.contact_id, agent.agent_id, home.queue_id, pool.queue_id))
        free.remove(agent)
        if home.strategy == rules.Strategy.ROUND_ROBIN:
            pointers[home.queue_id] = agent.agent_id
    return out


skills = st.dictionaries(st.integers(0, 3), st.integers(1, 5), max_size=3)


@st.composite
def floors(draw, max_contacts: int = 30, max_agents: int = 25):
    queue_count = draw(st.integers(1, 5))
    queues = {}
    for q in range(1, queue_count + 1):
        overflow = draw(st.one_of(st.none(), st.integers(1, queue_count)))
        queues[q] = rules.QueuePolicy(
            queue_id=q,
            channel_id=draw(st.sampled_from([1, 2])),
            capacity=draw(st.integers(1, 3)),
            priority=draw(st.integers(0, 2)),
            strategy=draw(st.sampled_from(list(rules.Strategy))),
            required_skills=draw(st.dictionaries(st.integers(0, 3), st.integers(1, 3), max_size=2)),
            overflow_queue_id=overflow,
            overflow_after_seconds=draw(st.integers(0, 120)) if overflow else None,
            round_robin_after=draw(st.one_of(st.none(), st.integers(0, 40))),
        )
    ids = draw(st.lists(st.integers(1, 40), unique=True, max_size=max_agents))
    agents = [
        rules.AvailableAgent(
            agent_id=agent_id,
            idle_since=draw(st.one_of(st.none(), st.integers(0, 600).map(lambda s: NOW - timedelta(seconds=s)))),
            skills=draw(skills),
            live=draw(st.dictionaries(st.sampled_from([1, 2]), st.integers(0, 2), max_size=2)),
        )
        for agent_id in ids
    ]
    waiting = [
        rules.WaitingContact(
            contact_id=c,
            queue_id=draw(st.integers(1, queue_count + 1)),  # sometimes an unknown queue
            queued_at=NOW - timedelta(seconds=draw(st.integers(0, 300))),
            priority=draw(st.integers(0, 1)),
            customer_priority=draw(st.integers(0, 2)),
        )
        for c in range(1, draw(st.integers(0, max_contacts)) + 1)
    ]
    return waiting, agents, queues


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(floors())
def test_choose_decides_as_the_full_scan_does(floor):
    waiting, agents, queues = floor
    assert rules.choose(waiting, agents, NOW, queues) == full_scan(waiting, agents, NOW, queues)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(floors(), st.randoms())
def test_choose_does_not_depend_on_the_order_of_its_inputs(floor, rng):
    waiting, agents, queues = floor
    shuffled_waiting, shuffled_agents = list(waiting), list(agents)
    rng.shuffle(shuffled_waiting)
    rng.shuffle(shuffled_agents)
    assert rules.choose(shuffled_waiting, shuffled_agents, NOW, queues) == rules.choose(waiting, agents, NOW, queues)


# One contact or one agent takes choose's direct scan: the same answer as the reference, on floors
# where that case is the rule rather than the odd example.
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(floors(max_contacts=1))
def test_one_contact_is_decided_as_the_full_scan_does(floor):
    waiting, agents, queues = floor
    assert rules.choose(waiting, agents, NOW, queues) == full_scan(waiting, agents, NOW, queues)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(floors(max_agents=1))
def test_one_agent_is_decided_as_the_full_scan_does(floor):
    waiting, agents, queues = floor
    assert rules.choose(waiting, agents, NOW, queues) == full_scan(waiting, agents, NOW, queues)


def test_ties_in_the_direct_scan_go_to_the_lowest_id_as_in_the_ranked_lists():
    queue = rules.QueuePolicy(queue_id=1, channel_id=1, required_skills={7: 1})
    same = NOW - timedelta(seconds=30)
    agents = [rules.AvailableAgent(agent_id, same, {7: 1}) for agent_id in (9, 4, 6)]
    one = [rules.WaitingContact(1, 1, NOW)]
    assert rules.choose(one, agents, NOW, {1: queue}) == [rules.Assignment(1, 4, 1, 1)]
    # One agent, two contacts queued at the same moment: the lower contact id first.
    two = [rules.WaitingContact(8, 1, same), rules.WaitingContact(3, 1, same)]
    assert rules.choose(two, agents[:1], NOW, {1: queue}) == [rules.Assignment(3, 9, 1, 1)]
    assert rules.choose(two, agents, NOW, {1: queue}) == full_scan(two, agents, NOW, {1: queue})


# Routing reads only the agents ``rules.agent_shortlist`` keeps (``services.shortlisted_agents``):
# on any floor, choosing among them decides exactly as choosing among every available agent.
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(floors())
def test_the_shortlist_decides_as_the_whole_floor_does(floor):
    waiting, agents, queues = floor
    shortlist = rules.agent_shortlist(waiting, agents, queues, NOW)
    assert {agent.agent_id for agent in shortlist} <= {agent.agent_id for agent in agents}
    assert rules.choose(waiting, shortlist, NOW, queues) == rules.choose(waiting, agents, NOW, queues)


def test_the_shortlist_keeps_the_first_agents_of_each_ranked_list():
    queue = rules.QueuePolicy(queue_id=1, channel_id=1)
    agents = [rules.AvailableAgent(agent_id, NOW - timedelta(seconds=agent_id * 10)) for agent_id in range(1, 9)]
    two = [rules.WaitingContact(1, 1, NOW), rules.WaitingContact(2, 1, NOW)]
    # Longest idle first: agents 8 and 7 are the only ones two contacts can reach.
    assert [a.agent_id for a in rules.agent_shortlist(two, agents, {1: queue}, NOW)] == [7, 8]
    assert rules.agent_shortlist([], agents, {1: queue}, NOW) == []


def test_a_round_robin_queue_that_overflows_keeps_whole_lists():
    # Queue 1 takes agents turn by turn (pointer 30) and overflows into queue 2 after 10 s.
    home = rules.QueuePolicy(
        queue_id=1,
        channel_id=1,
        strategy=rules.Strategy.ROUND_ROBIN,
        required_skills={0: 1},
        overflow_queue_id=2,
        overflow_after_seconds=10,
        round_robin_after=30,
    )
    queues = {1: home, 2: rules.QueuePolicy(queue_id=2, channel_id=1, required_skills={1: 1})}
    agents = [rules.AvailableAgent(40, NOW, {0: 1})]
    agents += [rules.AvailableAgent(agent_id, NOW, {1: 1}) for agent_id in (31, 32, 33, 50)]
    # The urgent caller takes agent 40 and moves the pointer past 31 … 33; the other, overflowed,
    # then gets agent 50, the next after the pointer, not 31, the first of its list.
    urgent = rules.WaitingContact(1, 1, NOW - timedelta(seconds=5), priority=1)
    overflowed = rules.WaitingContact(2, 1, NOW - timedelta(seconds=60))
    waiting = [urgent, overflowed]
    expected = [rules.Assignment(1, 40, 1, 1), rules.Assignment(2, 50, 1, 2)]
    assert rules.choose(waiting, agents, NOW, queues) == expected
    assert rules.choose(waiting, rules.agent_shortlist(waiting, agents, queues, NOW), NOW, queues) == expected
