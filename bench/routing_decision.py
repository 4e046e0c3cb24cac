"""Routing decisions per second of the pure routing function ``contact.rules.choose`` (CT-6, CT-8).

Workload (seeded): 500 agents and 200 waiting contacts over 10 queues with the four strategies, skill
requirements at levels 1-3 (agents hold 1-4 skills at levels 1-5), queue priorities, VIP levels and
overflow to a general queue, a mix of ready and busy agents on a chat queue. One call of ``choose``
decides the whole floor; a decision is one offer (contact → agent) it returns.

Peer, measured in the same run on the same inputs: the straightforward router that, for each
contact, scans every free agent and checks room and skills against each queue of the contact's
overflow chain (``choose`` instead ranks the agents of each strategy and pool once per call and
reads them best-first). Both must return the same offers; a difference fails the run.

value = Banzu decisions per second (goal ≥ 5,000); ratio = Banzu rate / peer rate. No Django needed.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import datetime, timedelta

from bench._util import print_result

NAME = "routing_decision"
AGENTS, WAITING, QUEUES, SKILLS = 500, 200, 10, 8
SEED = 20250314
NOW = datetime(2025, 3, 14, 10, 0)
GOAL = 5000


def build(seed: int = SEED):
    from banzu.contact import rules

    rng = random.Random(seed)
    strategies = list(rules.Strategy)
    general = QUEUES  # queue id of the general queue every other queue overflows to
    queues = {}
    for q in range(1, QUEUES + 1):
        chat = q == QUEUES - 1
        required = {rng.randrange(SKILLS): rng.randint(1, 3) for _ in range(rng.randint(0, 2))}
        overflow = q != general and rng.random() < 0.5
        queues[q] = rules.QueuePolicy(
            queue_id=q,
            channel_id=2 if chat else 1,
            capacity=3 if chat else 1,
            priority=rng.choice([0, 0, 1, 2]),
            strategy=strategies[q % len(strategies)],
            required_skills=required if q != general else {},
            overflow_queue_id=general if overflow else None,
            overflow_after_seconds=rng.choice([30, 60, 120]) if overflow else None,
            round_robin_after=rng.randrange(AGENTS) if q % len(strategies) == 3 else None,
        )
    agents = []
    for a in range(1, AGENTS + 1):
        skills = {rng.randrange(SKILLS): rng.randint(1, 5) for _ in range(rng.randint(1, 4))}
        busy_on_chat = rng.random() < 0.1
        agents.append(
            rules.AvailableAgent(
                agent_id=a,
                idle_since=None if busy_on_chat else NOW - timedelta(seconds=rng.randint(0, 1800)),
                skills=skills,
                live={2: rng.randint(1, 2)} if busy_on_chat else {},
            )
        )
    waiting = [
        rules.WaitingContact(
            contact_id=c,
            queue_id=rng.randint(1, QUEUES),
            queued_at=NOW - timedelta(seconds=rng.randint(0, 300)),
            priority=rng.choice([0, 0, 0, 1]),
            customer_priority=rng.choice([0, 0, 0, 1, 2]),
        )
        for c in range(1, WAITING + 1)
    ]
    return waiting, agents, queues


def full_scan_choose(waiting, agents, now, queues):
    """The same decisions by the straightforward method: for each contact in turn, scan every free
    agent, check channel room and skills against each queue of the contact's overflow chain, and
    keep the agent with the smallest (rank, strategy key)."""
    from banzu.contact import rules

    pointers = {queue_id: queue.round_robin_after for queue_id, queue in queues.items()}
    ordered = sorted(
        (contact for contact in waiting if contact.queue_id in queues),
        key=lambda contact: rules.contact_order(contact, queues[contact.queue_id]),
    )
    free = sorted(agents, key=lambda agent: agent.agent_id)
    assignments = []
    for contact in ordered:
        if not free:
            break
        chain = rules.eligible_queues(contact, queues, now)
        home = chain[0]
        best = None
        for agent in free:
            if rules.free_capacity(agent.live, home.channel_id, home.capacity) <= 0:
                continue
            rank = next(
                (i for i, pool in enumerate(chain) if rules.has_skills(agent.skills, pool.required_skills)), None
            )
            if rank is None:
                continue
            key = (rank, *rules._agent_key(home.strategy, agent, chain[rank], pointers.get(home.queue_id)))
            if best is None or key < best[0]:
                best = (key, agent, chain[rank])
        if best is None:
            continue
        _key, agent, pool = best
        assignments.append(rules.Assignment(contact.contact_id, agent.agent_id, home.queue_id, pool.queue_id))
        free.remove(agent)
        if home.strategy == rules.Strategy.ROUND_ROBIN:
            pointers[home.queue_id] = agent.agent_id
    return assignments


def measure(func, waiting, agents, queues, *, repeat: int) -> tuple[float, list]:
    times = []
    result = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = func(waiting, agents, NOW, queues)
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> int:
    from banzu.contact import rules

    waiting, agents, queues = build()
    rules.choose(waiting[:10], agents[:10], NOW, queues)  # warm-up
    seconds, ours = measure(rules.choose, waiting, agents, queues, repeat=15)
    decisions = len(ours)
    rate = decisions / seconds
    print(f"{AGENTS} agents, {WAITING} waiting, {QUEUES} queues: choose made {decisions} offers")
    print(f"banzu choose: {seconds * 1e3:.1f} ms per call (median of 15), {rate:,.0f} decisions/s")

    peer_seconds, theirs = measure(full_scan_choose, waiting, agents, queues, repeat=5)
    peer_rate = len(theirs) / peer_seconds
    print(f"full scan: {peer_seconds * 1e3:.1f} ms per call (median of 5), {peer_rate:,.0f} decisions/s")
    if ours != theirs:
        print("the full scan and choose disagree")
        return 1
    ratio = rate / peer_rate
    print_result(
        name=NAME,
        value=round(rate),
        unit="decisions/s",
        peer="full_scan",
        ratio=round(ratio, 1),
        goal=GOAL,
        agents=AGENTS,
        waiting=WAITING,
    )
    return 0 if rate >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
