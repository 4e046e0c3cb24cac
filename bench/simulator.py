"""The simulator (CT-20) on a month of a 300-seat, 3-skill centre, against an equivalent SimPy model.

Workload: 30 days × 96 fifteen-minute intervals, three queues (hotline, tax, VIP) with their own
handle times and patience, about a million contacts. 300 agents in seven skill profiles (single,
double and triple skilled) work shifts that follow an Erlang C staffing curve. Both engines get the
very same arrivals (times, queues, handle times, patience), generated once and not timed.

* Banzu: ``simulation.engine.simulate``, every routing decision by ``contact.rules.choose``.
* Peer: SimPy 4, the usual skills-based model: ready agents in a ``FilterStore`` (first match =
  longest ready), each contact a process waiting for an agent with its skill or its patience,
  whichever comes first; shifts put agents in and take them out of the store.

Agreement: per day and queue, service level, abandonment and ASA of the two engines are compared
(30 days × 3 queues); ``max_z`` is the largest difference in units of its binomial (or, for the ASA,
batch) standard error. ``agree=1`` when no |z| exceeds 4.

value = Banzu's simulated contacts per CPU second; ratio = that ÷ SimPy's contacts per CPU second
(goal ≥ 2); seconds = Banzu's wall time for the month (goal ≤ 60), cpu_seconds its CPU time. CPU
time is the fairer measure on a shared machine, where other processes stretch wall time unevenly
between the two runs; both are printed. No database needed.
"""

from __future__ import annotations

import math
import sys
import time
from datetime import UTC, datetime

import numpy as np

from bench._util import print_result

NAME = "simulator"
SEED = 20260301
DAYS, SLOTS = 30, 96
INTERVAL = 900.0
SEATS = 300
HOTLINE, TAX, VIP = 1, 2, 3
# code, skill, share of the volume, handle time (s), mean patience (s), SL threshold (s)
QUEUES = [
    ("hotline", HOTLINE, 0.60, 240.0, 180.0, 20),
    ("tax", TAX, 0.28, 330.0, 240.0, 30),
    ("vip", VIP, 0.12, 300.0, 120.0, 10),
]
# skill profiles and their share of the seats
PROFILES = [
    ({HOTLINE: 1}, 0.38),
    ({TAX: 1}, 0.18),
    ({VIP: 1}, 0.06),
    ({HOTLINE: 1, TAX: 1}, 0.18),
    ({HOTLINE: 1, VIP: 1}, 0.08),
    ({TAX: 1, VIP: 1}, 0.06),
    ({HOTLINE: 1, TAX: 1, VIP: 1}, 0.06),
]
DAILY_CONTACTS = 34_000.0
TARGET, WITHIN = 0.8, 20.0


def build():
    """The scenario (demand, agents and shifts) and its arrivals."""
    from banzu.simulation import engine
    from banzu.wfm import erlang

    rng = np.random.default_rng(SEED)
    hours = (np.arange(SLOTS) + 0.5) * 24 / SLOTS
    shape = 0.04 + np.exp(-(((hours - 10.5) / 2.3) ** 2)) + 0.85 * np.exp(-(((hours - 15.0) / 2.6) ** 2))
    shape /= shape.sum()
    weekday = np.array([1.12, 1.04, 1.0, 0.98, 0.93, 0.75, 0.6])
    demand, total_load = [], np.zeros(DAYS * SLOTS)
    for day in range(DAYS):
        daily = DAILY_CONTACTS * weekday[day % 7] * rng.uniform(0.92, 1.08)
        for slot in range(SLOTS):
            index = day * SLOTS + slot
            for q, (_code, _skill, share, aht, patience, _within) in enumerate(QUEUES):
                volume = daily * shape[slot] * share
                demand.append(engine.Demand(index, q, volume, aht, patience))
                total_load[index] += volume * aht / INTERVAL
    mean_aht = sum(share * aht for _c, _s, share, aht, _p, _w in QUEUES)
    needed = erlang.agents_for_service_level(np.maximum(total_load, 0.01), mean_aht, TARGET, WITHIN)
    # Split seats by profile; a multi-skilled agent is worth a little more than one seat.
    staff = np.minimum(np.ceil(needed * 1.08), SEATS).astype(int)
    order = rng.permutation(SEATS)  # rank of each agent: every staffing level keeps the profile mix
    cumulative = np.cumsum([share for _p, share in PROFILES])
    agents = []
    for agent in range(SEATS):
        skills = PROFILES[int(np.searchsorted(cumulative, (agent + 0.5) / SEATS))][0]
        rank = order[agent]
        on = staff > rank
        spans, start = [], None
        for k, working in enumerate([*on.tolist(), False]):
            if working and start is None:
                start = k
            elif not working and start is not None:
                spans.append((start * INTERVAL, k * INTERVAL))
                start = None
        agents.append(engine.AgentSpec(dict(skills), spans))
    queues = [engine.QueueSpec(code, {skill: 1}, within) for code, skill, _s, _a, _p, within in QUEUES]
    scenario = engine.Scenario(
        start=datetime(2026, 3, 1, tzinfo=UTC),
        interval_seconds=INTERVAL,
        intervals=DAYS * SLOTS,
        queues=queues,
        demand=demand,
        agents=agents,
        seed=SEED,
    )
    return scenario, engine.synthetic_arrivals(scenario)


def simpy_run(scenario, arrivals) -> tuple[dict[str, np.ndarray], float, float]:
    """The same month in SimPy; returns the per interval × queue counts, the wall and the CPU time."""
    import simpy

    n_int, nq = scenario.intervals, len(scenario.queues)
    thresholds = [q.service_level_seconds for q in scenario.queues]
    needs = [next(iter(q.required_skills)) for q in scenario.queues]
    offered = np.zeros((n_int, nq), dtype=np.int64)
    answered = np.zeros((n_int, nq), dtype=np.int64)
    in_time = np.zeros((n_int, nq), dtype=np.int64)
    abandoned = np.zeros((n_int, nq), dtype=np.int64)
    wait_answered = np.zeros((n_int, nq))
    at, queue_of = arrivals.at.tolist(), arrivals.queue.tolist()
    handle, patience = arrivals.handle.tolist(), arrivals.patience.tolist()
    horizon = scenario.horizon

    started, cpu = time.perf_counter(), time.process_time()
    env = simpy.Environment()
    store = simpy.FilterStore(env)

    class Agent:
        __slots__ = ("busy", "on_shift", "skills")

        def __init__(self, skills):
            self.skills = skills
            self.on_shift = False
            self.busy = False

    def shift(agent, spans):
        for start, end in spans:
            yield env.timeout(start - env.now)
            agent.on_shift = True
            if not agent.busy:
                store.put(agent)
            yield env.timeout(min(end, horizon) - env.now)
            agent.on_shift = False
            if not agent.busy:
                store.items.remove(agent)

    def contact(c, q):
        arrived = env.now
        cell = (int(arrived // INTERVAL), q)
        skill = needs[q]
        request = store.get(lambda agent: skill in agent.skills)
        if patience[c] == math.inf:
            yield request
        else:
            yield request | env.timeout(patience[c])
            if not request.triggered:
                request.cancel()
                abandoned[cell] += 1
                return
        agent = request.value
        agent.busy = True
        wait = env.now - arrived
        answered[cell] += 1
        wait_answered[cell] += wait
        if wait <= thresholds[q]:
            in_time[cell] += 1
        yield env.timeout(handle[c])
        agent.busy = False
        if agent.on_shift:
            store.put(agent)

    def source():
        for c, t in enumerate(at):
            yield env.timeout(t - env.now)
            q = queue_of[c]
            offered[int(t // INTERVAL), q] += 1
            env.process(contact(c, q))

    for spec in scenario.agents:
        env.process(shift(Agent(frozenset(spec.skills)), spec.shifts))
    env.process(source())
    env.run()
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    # Contacts still waiting once every shift is over hang up, as in Banzu's engine.
    abandoned += offered - answered - abandoned
    counts = {
        "offered": offered,
        "answered": answered,
        "answered_in_time": in_time,
        "abandoned": abandoned,
        "wait_answered": wait_answered,
    }
    return counts, seconds, cpu_seconds


def daily(counts: dict[str, np.ndarray], key: str) -> np.ndarray:
    return counts[key].reshape(DAYS, SLOTS, -1).sum(axis=1)


def agreement(banzu: dict[str, np.ndarray], peer: dict[str, np.ndarray]) -> float:
    """Largest |z| over days × queues of SL, abandonment and ASA differences."""
    worst = 0.0
    for top, bottom in (("answered_in_time", "offered"), ("abandoned", "offered")):
        x1, n1 = daily(banzu, top), daily(banzu, bottom)
        x2, n2 = daily(peer, top), daily(peer, bottom)
        p1, p2 = x1 / n1, x2 / n2
        pooled = (x1 + x2) / (n1 + n2)
        se = np.sqrt(np.maximum(pooled * (1 - pooled), 1e-12) * (1 / n1 + 1 / n2))
        worst = max(worst, float(np.max(np.abs(p1 - p2) / se)))
    # ASA: its day-to-day spread in Banzu's run stands in for the standard error of one day.
    asa1 = daily(banzu, "wait_answered") / daily(banzu, "answered")
    asa2 = daily(peer, "wait_answered") / daily(peer, "answered")
    spread = np.std(asa1 - asa2, axis=0, ddof=1)
    worst = max(worst, float(np.max(np.abs((asa1 - asa2).mean(axis=0)) / (spread / math.sqrt(DAYS)))))
    return worst


def main() -> int:
    from banzu.simulation import engine

    started = time.perf_counter()
    scenario, arrivals = build()
    print(
        f"{len(arrivals)} contacts, {len(scenario.agents)} agents in {len(PROFILES)} skill profiles, "
        f"{scenario.intervals} intervals; set-up {time.perf_counter() - started:.1f} s"
    )
    cpu = time.process_time()
    result = engine.simulate(scenario, arrivals)
    cpu_seconds = time.process_time() - cpu
    totals = engine.summary(result)
    print(
        f"banzu: {result.seconds:.1f} s wall, {cpu_seconds:.1f} s CPU, "
        f"{len(arrivals) / cpu_seconds:.0f} contacts/CPU s, {result.routing_calls} calls of contact.rules.choose; "
        f"SL {totals['service_level']:.3f}, ASA {totals['asa_seconds']:.1f} s, "
        f"abandoned {totals['abandon_rate']:.3f}, occupancy {totals['occupancy']:.3f}"
    )
    peer, peer_seconds, peer_cpu = simpy_run(scenario, arrivals)
    offered = int(peer["offered"].sum())
    peer_rate = offered / peer_cpu
    print(
        f"simpy: {peer_seconds:.1f} s wall, {peer_cpu:.1f} s CPU, {peer_rate:.0f} contacts/CPU s; "
        f"SL {peer['answered_in_time'].sum() / offered:.3f}, "
        f"ASA {peer['wait_answered'].sum() / peer['answered'].sum():.1f} s, "
        f"abandoned {peer['abandoned'].sum() / offered:.3f}"
    )
    banzu = {
        "offered": result.offered,
        "answered": result.answered,
        "answered_in_time": result.answered_in_time,
        "abandoned": result.abandoned,
        "wait_answered": result.wait_answered,
    }
    max_z = agreement(banzu, peer)
    agree = max_z <= 4.0
    print(f"agreement over {DAYS} days × {len(QUEUES)} queues: max |z| = {max_z:.2f}")
    rate = len(arrivals) / cpu_seconds
    ratio = rate / peer_rate
    print_result(
        name=NAME,
        value=round(rate),
        unit="contacts/cpu_s",
        peer="simpy",
        ratio=round(ratio, 2),
        wall_ratio=round(peer_seconds / result.seconds, 2),
        seconds=round(result.seconds, 1),
        cpu_seconds=round(cpu_seconds, 1),
        peer_seconds=round(peer_seconds, 1),
        peer_cpu_seconds=round(peer_cpu, 1),
        contacts=len(arrivals),
        routing_calls=result.routing_calls,
        max_z=round(max_z, 2),
        agree=int(agree),
    )
    return 0 if agree and offered == len(arrivals) else 1


if __name__ == "__main__":
    sys.exit(main())
