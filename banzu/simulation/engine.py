"""Discrete-event simulator of a contact centre (CT-20): the routing of ``contact.rules``, driven by a clock.

Plain values in and out: no ORM, settings or I/O, and no clock but the simulated one. Arrivals are
synthetic (Poisson per interval, from a forecast: :func:`synthetic_arrivals`) or replayed from
history (:class:`Arrivals` built by the caller); handle times and patience come with them. Agents
work their shifts; every routing decision is ``contact.rules.choose``, the function the live ACD
calls (DESIGN principle 2), with the simulated time as ``now``.

Speed without changing a decision
---------------------------------
Events are handled one at a time, as the live ACD handles them. After each, no ready agent can
serve any waiting contact (a call of ``choose`` settles every pair it can), so only what the event
changed can be matched, and ``choose`` is called only then, with only the inputs that can win; its
answer is the one it would give on the whole state:

* a contact arrives: if some agent able to serve its queue is ready, ``choose`` gets the contact
  and, for each group of ready agents alike for its queue (the same levels of the queue's required
  skills), the longest-ready one plus any tied with it. Alike agents differ only by how long they
  have been ready, the order the longest-idle, best-skills and customer-priority strategies pick
  them in; with any other strategy (round robin) every ready agent of the queue is passed;
* an agent becomes ready (a contact ends, a shift starts): if a queue it serves, directly or as an
  overflow target, has waiting contacts, ``choose`` gets the agent and the first waiting contact of
  each such queue. Contacts of one queue are served in queue order, and the first has waited the
  longest, so if any of them has reached an overflow target, it has;
* a waiting contact reaches an overflow limit (CT-5, the queue policy the live ACD uses): ``choose``
  gets it and the longest-ready agents of every queue on its overflow chain, as on arrival.

Overflow only widens which agents may answer: the contact stays its queue's in every statistic, as
in the live interval statistics (``contact.statistics`` counts a contact under ``Contact.queue``);
``Result.overflowed`` counts those answered by an overflow target's agent. A queue's maximum wait
caps each contact's patience: past it the contact leaves the queue and is counted abandoned.

``simulate(..., whole_state=True)`` passes everything instead; the tests check that both decide
alike. Reproducible: one NumPy generator seeded by the caller draws every random number.
"""

from __future__ import annotations

import heapq
import math
import time as wall
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from types import MappingProxyType

import numpy as np

from banzu.contact import rules
from banzu.contact.rules import AvailableAgent, QueuePolicy, Strategy, WaitingContact

# Every simulated contact is a voice call: one at a time per agent.
_CHANNEL = 1

# Event kinds, in the order they are handled when they fall on the same instant: an agent
# finishing frees a seat before a shift ends, a contact abandons before a new shift picks it.
_END, _SHIFT_END, _ABANDON, _OVERFLOW, _SHIFT_START = 0, 1, 2, 3, 4

_WAITING, _ANSWERED, _ABANDONED = 0, 1, 2

# A ready agent holds no contact; choose only reads this.
_NOTHING_LIVE: Mapping[int, int] = MappingProxyType({})
_BY_READY_TIME = frozenset({Strategy.LONGEST_IDLE, Strategy.SKILLS_BEST_MATCH, Strategy.CUSTOMER_PRIORITY})


@dataclass(frozen=True)
class QueueSpec:
    """A simulated queue: the skills an agent needs (minimum level per skill) and its SL threshold.

    ``overflow_to`` (index of another queue) and ``overflow_after_seconds`` go together: after that
    wait the contact may also be answered by that queue's agents. ``max_wait_seconds`` caps patience.
    """

    code: str
    required_skills: Mapping[int, int]
    service_level_seconds: float
    priority: int = 0
    strategy: Strategy = Strategy.LONGEST_IDLE
    overflow_to: int | None = None
    overflow_after_seconds: float | None = None
    max_wait_seconds: float | None = None


@dataclass(frozen=True)
class Demand:
    """Expected arrivals of one queue in one interval, with the mean handle time and patience.

    Handle times and patience are exponential; ``patience_seconds`` None means nobody abandons.
    """

    interval: int
    queue: int  # index into Scenario.queues
    volume: float
    aht_seconds: float
    patience_seconds: float | None = None


@dataclass(frozen=True)
class AgentSpec:
    """An agent with skills (skill id → level) and shifts in seconds from the scenario start."""

    skills: Mapping[int, int]
    shifts: Sequence[tuple[float, float]]


@dataclass(frozen=True)
class Scenario:
    start: datetime
    interval_seconds: float
    intervals: int
    queues: Sequence[QueueSpec]
    demand: Sequence[Demand]
    agents: Sequence[AgentSpec]
    seed: int = 0

    @property
    def horizon(self) -> float:
        return self.intervals * self.interval_seconds


@dataclass(frozen=True)
class Arrivals:
    """Contacts to simulate, sorted by arrival: seconds from the start, queue index, handle time and
    patience (``inf`` for a contact that never abandons)."""

    at: np.ndarray
    queue: np.ndarray
    handle: np.ndarray
    patience: np.ndarray

    def __len__(self) -> int:
        return int(self.at.size)


@dataclass
class Result:
    """Counts and sums per interval and queue (arrays of shape intervals × queues), by arrival interval;
    busy and staffed agent seconds per interval."""

    offered: np.ndarray
    answered: np.ndarray
    answered_in_time: np.ndarray
    abandoned: np.ndarray
    wait_answered: np.ndarray  # summed wait of the answered contacts, seconds
    wait_all: np.ndarray  # summed wait of every contact, answered or abandoned
    busy: np.ndarray
    staffed: np.ndarray
    routing_calls: int = 0
    seconds: float = 0.0
    overflowed: np.ndarray | None = None  # answered by an overflow target's agent (intervals × queues)

    @property
    def contacts(self) -> int:
        return int(self.offered.sum())


def synthetic_arrivals(scenario: Scenario, rng: np.random.Generator | None = None) -> Arrivals:
    """Poisson arrivals per demand row (uniform within the interval), exponential handle and patience."""
    rng = rng if rng is not None else np.random.default_rng(scenario.seed)
    length = scenario.interval_seconds
    rows = scenario.demand
    counts = rng.poisson([max(row.volume, 0.0) for row in rows]) if rows else np.zeros(0, dtype=int)
    total = int(counts.sum())
    starts = np.repeat([row.interval * length for row in rows], counts) if rows else np.zeros(0)
    at = starts + rng.random(total) * length
    queue = np.repeat([row.queue for row in rows], counts).astype(np.int64) if rows else np.zeros(0, dtype=np.int64)
    aht = np.repeat([row.aht_seconds for row in rows], counts) if rows else np.zeros(0)
    mean_patience = np.repeat(
        [math.inf if row.patience_seconds is None else row.patience_seconds for row in rows], counts
    )
    handle = rng.exponential(1.0, total) * aht
    with np.errstate(invalid="ignore"):
        patience = np.where(np.isinf(mean_patience), math.inf, rng.exponential(1.0, total) * mean_patience)
    order = np.argsort(at, kind="stable")
    return Arrivals(at=at[order], queue=queue[order], handle=handle[order], patience=patience[order])


def _fast(cls: type, **fields):
    """An instance of a frozen dataclass without the per-field ``object.__setattr__`` of its
    ``__init__``: the simulator builds one per contact and per ready agent, a million a month."""
    instance = object.__new__(cls)
    instance.__dict__.update(fields)
    return instance


def _busy_per_interval(starts: np.ndarray, ends: np.ndarray, length: float, intervals: int) -> np.ndarray:
    """Agent seconds busy per interval, from the start and end of every service (clipped to the horizon).

    The number of agents busy is a step function (+1 at each start, -1 at each end); interval edges
    are added as steps of 0 so that every segment between steps lies in one interval.
    """
    horizon = length * intervals
    edges = np.arange(intervals + 1) * length
    points = np.concatenate([np.minimum(starts, horizon), np.minimum(ends, horizon), edges])
    steps = np.concatenate([np.ones(starts.size), -np.ones(ends.size), np.zeros(edges.size)])
    order = np.argsort(points, kind="stable")
    points, active = points[order], np.cumsum(steps[order])
    widths = np.diff(points)
    bins = np.minimum((points[:-1] // length).astype(np.int64), max(intervals - 1, 0))
    return np.bincount(bins, weights=active[:-1] * widths, minlength=intervals)[:intervals]


def _merged(shifts: Sequence[tuple[float, float]], horizon: float) -> list[tuple[float, float]]:
    """Shifts clipped to the horizon, overlapping or touching ones joined."""
    out: list[list[float]] = []
    for start, end in sorted((max(s, 0.0), min(e, horizon)) for s, e in shifts):
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def simulate(
    scenario: Scenario,
    arrivals: Arrivals | None = None,
    *,
    progress: Callable[[float], None] | None = None,
    progress_step: float = 0.01,
    whole_state: bool = False,
) -> Result:
    """Run the scenario; ``progress(fraction of arrivals handled)`` is called every ``progress_step``.

    ``whole_state`` passes every waiting contact and ready agent to ``choose`` (slow): the tests
    check that it decides exactly as the reduced inputs do.
    """
    started = wall.perf_counter()
    if arrivals is None:
        arrivals = synthetic_arrivals(scenario)
    if len(arrivals) and not (arrivals.at.min() >= 0 and arrivals.at.max() < scenario.horizon):
        raise ValueError("arrivals must fall within the scenario's intervals")
    if len(arrivals) and np.any(np.diff(arrivals.at) < 0):
        raise ValueError("arrivals must be sorted by time")
    length = float(scenario.interval_seconds)
    n_int = scenario.intervals
    nq = len(scenario.queues)
    horizon = scenario.horizon
    base = scenario.start.replace(tzinfo=None)

    policies = {
        q: QueuePolicy(
            queue_id=q,
            channel_id=_CHANNEL,
            priority=spec.priority,
            strategy=spec.strategy,
            required_skills=dict(spec.required_skills),
            overflow_queue_id=spec.overflow_to if spec.overflow_after_seconds is not None else None,
            overflow_after_seconds=spec.overflow_after_seconds if spec.overflow_to is not None else None,
        )
        for q, spec in enumerate(scenario.queues)
    }
    # Each queue's overflow chain and the waits at which its contacts reach each next target.
    chains: list[list[int]] = []
    limits: list[list[float]] = []
    for q in range(nq):
        chain, marks, waited = [q], [], 0.0
        policy = policies[q]
        while policy.overflow_queue_id is not None and policy.overflow_queue_id not in chain:
            if policy.overflow_queue_id not in policies:
                raise ValueError("a queue overflows to an unknown queue")
            waited += float(policy.overflow_after_seconds)
            marks.append(waited)
            chain.append(policy.overflow_queue_id)
            policy = policies[policy.overflow_queue_id]
        chains.append(chain)
        limits.append(marks)
    overflowing = any(limits)
    max_wait = [math.inf if spec.max_wait_seconds is None else float(spec.max_wait_seconds) for spec in scenario.queues]
    round_robin = any(spec.strategy == Strategy.ROUND_ROBIN for spec in scenario.queues)
    # Strategies known to pick among alike agents by how long they have been ready; any other gets
    # every ready agent of the queue.
    everyone = any(spec.strategy not in _BY_READY_TIME for spec in scenario.queues)
    thresholds = [float(spec.service_level_seconds) for spec in scenario.queues]

    cells = n_int * nq
    answered = [0] * cells
    in_time = [0] * cells
    abandoned = [0] * cells
    wait_answered = [0.0] * cells
    wait_all = [0.0] * cells
    staffed = [0.0] * n_int

    def spread(bins: list[float], a: float, b: float) -> None:
        # Add the part of [a, b) inside the horizon to the per-interval bins.
        b = min(b, horizon)
        if a < 0.0:
            a = 0.0
        i = int(a // length)
        while a < b:
            edge = min(b, (i + 1) * length)
            bins[i] += edge - a
            a = edge
            i += 1

    # --- agents ---------------------------------------------------------------------------------
    n_agents = len(scenario.agents)
    profile_of: list[int] = []
    profiles: dict[tuple, int] = {}
    for spec in scenario.agents:
        key = tuple(sorted(spec.skills.items()))
        profile_of.append(profiles.setdefault(key, len(profiles)))
    skills_of = [dict(spec.skills) for spec in scenario.agents]
    # Which queues each skill profile serves (CT-5), and its line per queue: agents alike for that
    # queue (the same levels of its required skills) share a line.
    serves = [
        [q for q, policy in policies.items() if rules.has_skills(dict(key), policy.required_skills)] for key in profiles
    ]
    # The queues whose contacts a profile may answer: those it serves and those overflowing to them.
    reach = [[q for q in range(nq) if any(target in mine for target in chains[q])] for mine in map(set, serves)]
    line_ids: dict[tuple, int] = {}
    profile_lines: list[list[int]] = []
    queue_lines: list[list[int]] = [[] for _ in range(nq)]
    for key, p in profiles.items():
        levels = dict(key)
        profile_lines.append([])
        for q in serves[p]:
            alike = (q, tuple(levels[skill] for skill in sorted(policies[q].required_skills)))
            if alike not in line_ids:
                line_ids[alike] = len(line_ids)
                queue_lines[q].append(line_ids[alike])
            profile_lines[p].append(line_ids[alike])
    # The lines whose agents may answer a contact of each queue, once it has waited long enough.
    chain_lines = [[line for target in chains[q] for line in queue_lines[target]] for q in range(nq)]
    # Ready agents per line in the order they became ready: (since, agent, token). An entry is
    # current while the agent's token matches; entries of agents who left are dropped lazily.
    ready: list[deque[tuple[float, int, int]]] = [deque() for _ in line_ids]
    ready_in = [0] * len(line_ids)
    ready_now: dict[int, AvailableAgent] = {}  # every ready agent, for the whole-state check
    token_of = [-1] * n_agents
    agent_view: list[AvailableAgent | None] = [None] * n_agents
    on_shift = [False] * n_agents
    serving = [False] * n_agents
    overtime_from = [0.0] * n_agents  # when a busy agent's shift ended

    heap: list[tuple] = []
    for a, spec in enumerate(scenario.agents):
        for s, e in _merged(spec.shifts, horizon):
            spread(staffed, s, e)
            heap.append((s, _SHIFT_START, a, a))
            heap.append((e, _SHIFT_END, a, a))
    heapq.heapify(heap)
    seq = n_agents  # tie-breaker of later events; shift events use the agent index

    # --- contacts ---------------------------------------------------------------------------------
    at = arrivals.at.tolist()
    queue_of = arrivals.queue.tolist()
    handle = arrivals.handle.tolist()
    patience = arrivals.patience.tolist()
    total = len(at)
    state = [_WAITING] * total
    # Statistics count each contact in its arrival interval and queue: its cell.
    cells_array = (arrivals.at // length).astype(np.int64) * nq + arrivals.queue
    cell_of = cells_array.tolist()
    overflowed = [0] * cells
    served_from = [-1.0] * total  # when each answered contact's service started
    views: list[WaitingContact | None] = [None] * total
    waiting: list[deque[int]] = [deque() for _ in range(nq)]
    waiting_count = [0] * nq
    routing_calls = 0
    choose = rules.choose
    td = timedelta  # called as td(0, seconds): positional arguments are a third faster than seconds=
    heappush, heappop = heapq.heappush, heapq.heappop
    new = object.__new__
    pointers: dict[int, int | None] = dict.fromkeys(policies)

    def contact_view(c: int, queued_at: datetime | None = None) -> WaitingContact:
        view = views[c]
        if view is None:
            view = views[c] = _fast(
                WaitingContact,
                contact_id=c,
                queue_id=queue_of[c],
                queued_at=queued_at or base + td(0, at[c]),
                priority=0,
                customer_priority=0,
            )
        return view

    def become_ready(agent: int, now: float, moment: datetime) -> None:
        nonlocal seq
        seq += 1
        p = profile_of[agent]
        token_of[agent] = seq
        view = agent_view[agent] = new(AvailableAgent)  # see _fast
        view.__dict__.update(agent_id=agent, idle_since=moment, skills=skills_of[agent], live=_NOTHING_LIVE)
        ready_now[agent] = view
        entry = (now, agent, seq)
        for line in profile_lines[p]:
            ready[line].append(entry)
            ready_in[line] += 1

    def leave_ready(agent: int) -> None:
        token_of[agent] = -1
        del ready_now[agent]
        for line in profile_lines[profile_of[agent]]:
            ready_in[line] -= 1

    def ready_agents(line_id: int, k: int) -> list[AvailableAgent]:
        """The line's `k` longest-ready agents and any tied with the last of them (every one if k is 0)."""
        line = ready[line_id]
        head = line[0]
        while token_of[head[1]] != head[2]:
            line.popleft()
            head = line[0]
        if k == 1 and (len(line) == 1 or line[1][0] != head[0]):
            return [agent_view[head[1]]]  # the usual case: entries are in time order, so no tie
        out = []
        last = None
        for since, agent, token in line:
            if token_of[agent] != token:
                continue
            if k and len(out) >= k and since != last:
                break
            out.append(agent_view[agent])
            last = since
        return out

    def first_waiting(q: int) -> WaitingContact:
        line = waiting[q]
        while state[line[0]] != _WAITING:  # abandoned contacts leave the line lazily
            line.popleft()
        return contact_view(line[0])

    def whole() -> tuple[list[WaitingContact], list[AvailableAgent]]:
        contacts = [contact_view(c) for q in range(nq) for c in waiting[q] if state[c] == _WAITING]
        return contacts, list(ready_now.values())

    def route(contacts: list[WaitingContact], agents: list[AvailableAgent], now: float, moment: datetime) -> None:
        nonlocal routing_calls, seq, policies
        routing_calls += 1
        assignments = choose(contacts, agents, moment, policies)
        if round_robin and assignments:
            pointers.update(rules.round_robin_pointers(policies, assignments))
            policies = {q: replace(p, round_robin_after=pointers[q]) for q, p in policies.items()}
        for assignment in assignments:
            c = assignment.contact_id
            agent = assignment.agent_id
            q = queue_of[c]
            if assignment.via_queue_id != q:
                overflowed[cell_of[c]] += 1
            token_of[agent] = -1  # leave_ready, inline: once per answered contact
            del ready_now[agent]
            for line in profile_lines[profile_of[agent]]:
                ready_in[line] -= 1
            serving[agent] = True
            state[c] = _ANSWERED
            waiting_count[q] -= 1
            wait = now - at[c]
            cell = cell_of[c]
            answered[cell] += 1
            wait_answered[cell] += wait
            wait_all[cell] += wait
            if wait <= thresholds[q]:
                in_time[cell] += 1
            served_from[c] = now
            seq += 1
            heappush(heap, (now + handle[c], _END, seq, agent))

    def agent_ready(agent: int, now: float) -> None:
        """Only this agent changed: the first waiting contact of each queue it serves may be routed."""
        moment = base + td(0, now)
        become_ready(agent, now, moment)
        if whole_state:
            route(*whole(), now, moment)
            return
        contacts = [first_waiting(q) for q in reach[profile_of[agent]] if waiting_count[q]]
        if contacts:
            route(contacts, [agent_view[agent]], now, moment)

    def contact_arrived(c: int, now: float) -> None:
        """Only this contact changed (it arrived or reached an overflow limit): the longest-ready agent
        of each line serving its queue or an overflow target competes; ``choose`` decides which may."""
        moment = base + td(0, now)
        if whole_state:
            contact_view(c)
            route(*whole(), now, moment)
            return
        k = 0 if everyone else 1
        agents = [view for line in chain_lines[queue_of[c]] if ready_in[line] for view in ready_agents(line, k)]
        if overflowing and len(agents) > 1:
            agents = list({view.agent_id: view for view in agents}.values())  # an agent on two lines
        if agents:
            route([contact_view(c, moment if now == at[c] else None)], agents, now, moment)

    # --- the event loop ---------------------------------------------------------------------------
    step = max(int(total * progress_step), 1)
    next_report = step
    i = 0
    inf = math.inf
    while True:
        next_arrival = at[i] if i < total else inf
        if heap and heap[0][0] <= next_arrival:
            now, kind, _seq, x = heappop(heap)
            if kind == _END:
                serving[x] = False
                if on_shift[x]:
                    agent_ready(x, now)
                else:
                    spread(staffed, overtime_from[x], now)
            elif kind == _ABANDON:
                if state[x] == _WAITING:
                    state[x] = _ABANDONED
                    q = queue_of[x]
                    waiting_count[q] -= 1
                    cell = cell_of[x]
                    abandoned[cell] += 1
                    wait_all[cell] += now - at[x]
            elif kind == _OVERFLOW:
                if state[x] == _WAITING and ready_now:
                    contact_arrived(x, now)
            elif kind == _SHIFT_START:
                on_shift[x] = True
                if serving[x]:
                    spread(staffed, overtime_from[x], now)  # still on the last contact: no gap
                else:
                    agent_ready(x, now)
            else:  # _SHIFT_END
                on_shift[x] = False
                if serving[x]:
                    overtime_from[x] = now
                else:
                    leave_ready(x)
            continue
        if i >= total:
            break
        # An arrival.
        c = i
        i += 1
        q = queue_of[c]
        waiting[q].append(c)
        waiting_count[q] += 1
        if ready_now:
            contact_arrived(c, at[c])
        if state[c] == _WAITING:
            leaves = min(patience[c], max_wait[q])
            if leaves != inf:
                seq += 1
                heappush(heap, (at[c] + leaves, _ABANDON, seq, c))
            for mark in limits[q]:
                if mark >= leaves:
                    break
                seq += 1
                heappush(heap, (at[c] + mark, _OVERFLOW, seq, c))
        if progress is not None and i >= next_report:
            next_report += step
            progress(i / total)

    # Nobody is left to answer the contacts still waiting: they hang up at the end.
    end = max(horizon, at[-1] if total else 0.0)
    for q in range(nq):
        for c in waiting[q]:
            if state[c] == _WAITING:
                state[c] = _ABANDONED
                cell = cell_of[c]
                abandoned[cell] += 1
                wait_all[cell] += end - at[c]
    if progress is not None:
        progress(1.0)

    served = np.array(served_from)
    answered_mask = served >= 0
    started_at, handle_array = served[answered_mask], arrivals.handle[answered_mask]
    shape = (n_int, nq)
    return Result(
        offered=np.bincount(cells_array, minlength=cells)[:cells].astype(np.int64).reshape(shape),
        answered=np.array(answered, dtype=np.int64).reshape(shape),
        answered_in_time=np.array(in_time, dtype=np.int64).reshape(shape),
        abandoned=np.array(abandoned, dtype=np.int64).reshape(shape),
        wait_answered=np.array(wait_answered).reshape(shape),
        wait_all=np.array(wait_all).reshape(shape),
        busy=_busy_per_interval(started_at, started_at + handle_array, length, n_int),
        staffed=np.array(staffed),
        routing_calls=routing_calls,
        seconds=wall.perf_counter() - started,
        overflowed=np.array(overflowed, dtype=np.int64).reshape(shape),
    )


def _ratio(top: float, bottom: float) -> float:
    return float(top / bottom) if bottom else 0.0


def summary(result: Result) -> dict:
    """Totals over the whole run: service level, ASA, abandonment, occupancy (fractions and seconds)."""
    offered = int(result.offered.sum())
    answered = int(result.answered.sum())
    return {
        "offered": offered,
        "answered": answered,
        "abandoned": int(result.abandoned.sum()),
        "service_level": _ratio(result.answered_in_time.sum(), offered),
        "asa_seconds": _ratio(result.wait_answered.sum(), answered),
        "abandon_rate": _ratio(result.abandoned.sum(), offered),
        "occupancy": min(_ratio(result.busy.sum(), result.staffed.sum()), 1.0),
        "contacts_per_second": _ratio(offered, result.seconds),
        "routing_calls": result.routing_calls,
    }
