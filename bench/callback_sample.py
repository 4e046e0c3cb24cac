"""The monthly sample of resolved calls per agent (CB-1) against pandas' grouped sample.

Workload: a month of a large centre — 2,000 agents, each with 400-2,600 resolved calls (about
2.8 million contact ids in all, seeded), 5 calls drawn per agent (the policy's default).

* ours: ``callbacks.rules.sample_per_agent`` from the pools per agent (what the service passes);
* peer: ``pandas.DataFrame.groupby("agent").sample(n=5, random_state=seed)`` on the same rows,
  the usual stratified sample.

Both are checked: every agent gets exactly 5 of their own calls. Reproducibility is checked too:
the same seed on the rows in another order must give the same sample (an auditor repeating the
draw from an export cannot rely on row order); ``order_stable`` / ``peer_order_stable`` say whether
each does. value = ours in ms (best of 3); ratio = peer ms / ours ms (above 1: ours is faster).
No Django needed.
"""

from __future__ import annotations

import random
import sys
import time

from bench._util import print_result

NAME = "callback_sample"
AGENTS = 2000
PER_AGENT = 5
SEED = 20240301
RUNS = 3


def workload() -> dict[int, list[int]]:
    draw = random.Random(SEED)
    pools: dict[int, list[int]] = {}
    next_id = 1
    for agent in range(1, AGENTS + 1):
        size = draw.randint(400, 2600)
        pools[agent] = list(range(next_id, next_id + size))
        next_id += size
    return pools


def best(run) -> tuple[float, object]:
    timings, result = [], None
    for _index in range(RUNS):
        started = time.perf_counter()
        result = run()
        timings.append(time.perf_counter() - started)
    return min(timings) * 1000, result


def main() -> int:
    import pandas as pd

    from banzu.callbacks import rules

    pools = workload()
    total = sum(len(ids) for ids in pools.values())
    print(f"{AGENTS} agents, {total:,} resolved calls, {PER_AGENT} per agent")

    ours_ms, ours = best(lambda: rules.sample_per_agent(pools, per_agent=PER_AGENT, seed=str(SEED)))
    frame = pd.DataFrame(
        {
            "agent": [agent for agent, ids in pools.items() for _id in ids],
            "contact": [i for ids in pools.values() for i in ids],
        }
    )
    peer_ms, peer = best(lambda: frame.groupby("agent").sample(n=PER_AGENT, random_state=SEED))

    owner = {contact: agent for agent, ids in pools.items() for contact in ids}
    ours_ok = all(len(ids) == PER_AGENT and all(owner[i] == agent for i in ids) for agent, ids in ours.items())
    counts = peer.groupby("agent").size()
    peer_ok = len(counts) == AGENTS and bool((counts == PER_AGENT).all())
    peer_ok = peer_ok and all(owner[row.contact] == row.agent for row in peer.itertuples())

    shuffle = random.Random(SEED + 1)
    reordered = {agent: shuffle.sample(ids, len(ids)) for agent, ids in reversed(list(pools.items()))}
    order_stable = rules.sample_per_agent(reordered, per_agent=PER_AGENT, seed=str(SEED)) == ours
    shuffled_frame = frame.sample(frac=1, random_state=SEED + 1)
    again = shuffled_frame.groupby("agent").sample(n=PER_AGENT, random_state=SEED)
    peer_order_stable = sorted(again["contact"]) == sorted(peer["contact"])

    print(f"ours: {ours_ms:.1f} ms, every agent {PER_AGENT} of their own: {ours_ok}, order-stable: {order_stable}")
    print(
        f"pandas: {peer_ms:.1f} ms, every agent {PER_AGENT} of their own: {peer_ok}, order-stable: {peer_order_stable}"
    )
    print_result(
        name=NAME,
        value=round(ours_ms, 1),
        unit="ms",
        peer="pandas_groupby_sample",
        ratio=round(peer_ms / ours_ms, 2),
        peer_ms=round(peer_ms, 1),
        calls=total,
        correct=int(ours_ok),
        peer_correct=int(peer_ok),
        order_stable=int(order_stable),
        peer_order_stable=int(peer_order_stable),
    )
    return 0 if ours_ok and order_stable else 1


if __name__ == "__main__":
    sys.exit(main())
