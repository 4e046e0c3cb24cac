"""Pure rules of contacts and routing (CT-5 … CT-9, CT-15).

Plain values in and out: no ORM, clock, settings or I/O. The live ACD (``contact.services``) and the
simulator (CT-20) call the same functions with their own clock and policy values (DESIGN
principles 1 and 2), so a staffing plan validated by simulation is validated for the real routing.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo
from enum import StrEnum

# --- routing -----------------------------------------------------------------------------------------


class Strategy(StrEnum):
    """CT-6: how a queue picks among the agents able to take a contact."""

    LONGEST_IDLE = "longest_idle"
    SKILLS_BEST_MATCH = "skills_best_match"
    CUSTOMER_PRIORITY = "customer_priority"
    ROUND_ROBIN = "round_robin"


@dataclass(frozen=True)
class QueuePolicy:
    """What routing needs to know about one queue.

    `capacity` is how many contacts of the queue's channel one agent may hold at once: 1 on a
    single-contact channel (voice), the policy's concurrent-chat limit on a multi-contact one.
    `required_skills` maps skill id → minimum level. Overflow: a contact that has waited
    `overflow_after_seconds` in this queue may also go to the agents of `overflow_queue_id`.
    `round_robin_after` is the round-robin pointer: the id of the agent served last.
    """

    queue_id: int
    channel_id: int
    capacity: int = 1
    priority: int = 0
    strategy: Strategy = Strategy.LONGEST_IDLE
    required_skills: Mapping[int, int] = field(default_factory=dict)
    overflow_queue_id: int | None = None
    overflow_after_seconds: int | None = None
    round_robin_after: int | None = None


@dataclass(frozen=True)
class WaitingContact:
    """A queued contact. `queued_at` is kept across re-queues (RONA, callback), so the contact keeps
    its place; `customer_priority` is the customer's VIP level when the contact was queued."""

    contact_id: int
    queue_id: int
    queued_at: datetime
    priority: int = 0
    customer_priority: int = 0


@dataclass(frozen=True)
class AvailableAgent:
    """An agent who may take a contact now (ready, or busy on a multi-contact channel with room left).

    `idle_since` is when the agent last became ready (None while handling contacts); `skills` maps
    skill id → level; `live` maps channel id → contacts the agent holds on it (offered included).
    """

    agent_id: int
    idle_since: datetime | None
    skills: Mapping[int, int] = field(default_factory=dict)
    live: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Assignment:
    """Offer `contact_id` to `agent_id`. `queue_id` is the contact's queue; `via_queue_id` the queue
    whose agents the agent was taken from (the same queue, or an overflow target)."""

    contact_id: int
    agent_id: int
    queue_id: int
    via_queue_id: int


def has_skills(skills: Mapping[int, int], required: Mapping[int, int]) -> bool:
    """CT-5: every required skill at or above its minimum level."""
    # A loop rather than all(): this runs for every agent a contact may take, and is twice as fast.
    for skill in required:  # noqa: SIM110
        if skills.get(skill, 0) < required[skill]:
            return False
    return True


def free_capacity(live: Mapping[int, int], channel_id: int, capacity: int) -> int:
    """How many more contacts of `channel_id` an agent may take (CT-7).

    An agent holding a contact of another channel takes nothing more: a caller is never put
    behind a chat, and a chat never goes to someone on a call.
    """
    if not live:
        return capacity if capacity > 0 else 0  # the usual case: a ready agent holding nothing
    if any(count > 0 for channel, count in live.items() if channel != channel_id):
        return 0
    return max(capacity - live.get(channel_id, 0), 0)


def overflows(queue: QueuePolicy) -> bool:
    """Whether the queue's contacts move on to another queue after a time (CT-5)."""
    return queue.overflow_queue_id is not None and queue.overflow_after_seconds is not None


def eligible_queues(contact: WaitingContact, queues: Mapping[int, QueuePolicy], now: datetime) -> list[QueuePolicy]:
    """The contact's queue, then each overflow target it has waited long enough for (CT-5).

    Overflow limits add up along the chain: a contact reaches the second target after the first
    queue's limit plus the first target's own. A chain that loops back stops at the repeat.
    """
    queue = queues.get(contact.queue_id)
    if queue is None:
        return []
    if queue.overflow_queue_id is None or queue.overflow_after_seconds is None:
        return [queue]
    chain: list[QueuePolicy] = []
    waited = (now - contact.queued_at).total_seconds()
    threshold = 0
    while queue is not None and all(q.queue_id != queue.queue_id for q in chain):
        chain.append(queue)
        if queue.overflow_queue_id is None or queue.overflow_after_seconds is None:
            break
        threshold += queue.overflow_after_seconds
        if waited < threshold:
            break
        queue = queues.get(queue.overflow_queue_id)
    return chain


def multi_contact_reachable(queue_ids: Iterable[int | None], queues: Mapping[int, QueuePolicy]) -> bool:
    """Whether a contact waiting in one of `queue_ids` could ever go to a multi-contact channel:
    its queue, or any queue down its overflow chain, takes more than one contact per agent."""
    seen: set[int] = set()
    for queue_id in queue_ids:
        queue = queues.get(queue_id) if queue_id is not None else None
        while queue is not None and queue.queue_id not in seen:
            seen.add(queue.queue_id)
            if queue.capacity > 1:
                return True
            queue = queues.get(queue.overflow_queue_id) if queue.overflow_queue_id is not None else None
    return False


def contact_order(contact: WaitingContact, queue: QueuePolicy) -> tuple:
    """Who is served first: highest queue priority, then contact priority, then (customer-priority
    queues) the VIP level, then the longest waiting; the id breaks exact ties."""
    vip = contact.customer_priority if queue.strategy == Strategy.CUSTOMER_PRIORITY else 0
    return (-queue.priority, -contact.priority, -vip, contact.queued_at, contact.contact_id)


def queue_position(contact_id: int, waiting: Iterable[WaitingContact], queue: QueuePolicy) -> int | None:
    """1 for the contact served next in `queue`, in the order routing serves it; None if not waiting.

    The definition ``services.position_in_queue`` counts in the database."""
    ordered = sorted(waiting, key=lambda item: contact_order(item, queue))
    for index, item in enumerate(ordered, start=1):
        if item.contact_id == contact_id:
            return index
    return None


def routing_head(
    waiting: Iterable[WaitingContact], queues: Mapping[int, QueuePolicy], agents: int
) -> list[WaitingContact]:
    """The waiting contacts ``choose`` can reach with `agents` available: the same assignments follow.

    ``choose`` gives each agent at most one contact, and a queue without overflow offers all its
    contacts to the same agents, so once one of them finds no agent none after it does: the first
    `agents` of such a queue, in `contact_order`, are all that matter. A queue with overflow keeps
    every contact, since an older contact may reach agents a newer one may not. Contacts of unknown
    queues are dropped (``choose`` leaves them waiting).
    """
    heads: dict[int, list[WaitingContact]] = {}
    kept: list[WaitingContact] = []
    for contact in waiting:
        queue = queues.get(contact.queue_id)
        if queue is None:
            continue
        if overflows(queue):
            kept.append(contact)
        else:
            heads.setdefault(queue.queue_id, []).append(contact)
    for queue_id, contacts in heads.items():
        contacts.sort(key=lambda contact: contact_order(contact, queues[queue_id]))
        kept.extend(contacts[:agents])
    return kept


def agent_shortlist(
    waiting: Sequence[WaitingContact],
    agents: Iterable[AvailableAgent],
    queues: Mapping[int, QueuePolicy],
    now: datetime,
) -> list[AvailableAgent]:
    """The agents ``choose`` can reach for `waiting`: the same assignments follow from them alone.

    ``choose`` serves each contact with the best agent not yet taken from one ranked list per
    (home queue, pool), and each contact takes one agent: when a contact picks, fewer than
    len(`waiting`) agents are taken, so its pick is among the first len(`waiting`) of that list.
    Those first agents of every list are the shortlist; a floor of a thousand ready agents then
    costs routing a few rows rather than all of them (``services.shortlisted_agents``).
    """
    agents = list(agents)
    keep: dict[int, AvailableAgent] = {}
    for home, pool, limit in shortlist_cuts(waiting, queues, now):
        able = [
            agent
            for agent in agents
            if free_capacity(agent.live, home.channel_id, home.capacity) > 0
            and has_skills(agent.skills, pool.required_skills)
        ]
        able.sort(key=lambda agent: _agent_key(home.strategy, agent, pool, home.round_robin_after))
        for agent in able[:limit]:
            keep[agent.agent_id] = agent
    return sorted(keep.values(), key=lambda agent: agent.agent_id)


def shortlist_cuts(
    waiting: Sequence[WaitingContact], queues: Mapping[int, QueuePolicy], now: datetime
) -> list[tuple[QueuePolicy, QueuePolicy, int | None]]:
    """The (home queue, pool) pairs through which ``choose`` may give `waiting` an agent (each
    contact's queue with every pool of its overflow chain, ``eligible_queues``), once each, with how
    many of that ranked list ``agent_shortlist`` keeps (None: all).

    A round-robin queue whose contacts may overflow keeps whole lists: its pointer then moves
    through the agents of several pools, so a pick in one list may skip agents ranked before it.
    """
    found: dict[tuple[int, int], tuple[QueuePolicy, QueuePolicy]] = {}
    for contact in waiting:
        chain = eligible_queues(contact, queues, now)
        for pool in chain:
            found.setdefault((chain[0].queue_id, pool.queue_id), (chain[0], pool))
    pairs = list(found.values())
    overflowing = {home.queue_id for home, pool in pairs if pool.queue_id != home.queue_id}
    return [
        (home, pool, None if home.strategy == Strategy.ROUND_ROBIN and home.queue_id in overflowing else len(waiting))
        for home, pool in pairs
    ]


def _idle_key(agent: AvailableAgent) -> tuple:
    # Ready agents first, the longest idle first; busy agents (idle_since None) after them.
    return (agent.idle_since is None, agent.idle_since or datetime.min, agent.agent_id)


def _agent_key(strategy: Strategy, agent: AvailableAgent, pool: QueuePolicy, pointer: int | None) -> tuple:
    if strategy == Strategy.SKILLS_BEST_MATCH:
        score = sum(agent.skills.get(skill, 0) for skill in pool.required_skills)
        return (-score, *_idle_key(agent))
    if strategy == Strategy.ROUND_ROBIN:
        # The next agent id after the pointer, wrapping round to the lowest.
        return (pointer is not None and agent.agent_id <= pointer, agent.agent_id)
    return _idle_key(agent)  # longest idle; customer-priority queues pick agents the same way


class _Candidates:
    """The agents one (strategy, pool, channel room) combination may take, best first.

    Built once per ``choose`` call: the order of agents within a strategy does not change while
    offers are handed out, except the round-robin pointer, which only moves the starting point.
    Agents offered a contact are skipped as the list is read.
    """

    __slots__ = ("agents", "cursor", "ids", "round_robin")

    def __init__(self, agents: list[AvailableAgent], round_robin: bool) -> None:
        self.agents = agents
        self.ids = [agent.agent_id for agent in agents]
        self.cursor = 0
        self.round_robin = round_robin

    def best(self, taken: set[int], pointer: int | None) -> AvailableAgent | None:
        if not self.round_robin:
            while self.cursor < len(self.agents) and self.agents[self.cursor].agent_id in taken:
                self.cursor += 1
            return self.agents[self.cursor] if self.cursor < len(self.agents) else None
        # Round robin: the next agent id after the pointer, wrapping round to the lowest.
        start = bisect_right(self.ids, pointer) if pointer is not None else 0
        for agent in itertools.chain(itertools.islice(self.agents, start, None), self.agents[:start]):
            if agent.agent_id not in taken:
                return agent
        return None


def _able(
    home: QueuePolicy, pool: QueuePolicy, by_id: list[AvailableAgent], cache: dict[tuple, list[AvailableAgent]]
) -> list[AvailableAgent]:
    """The agents with room on `home`'s channel and `pool`'s skills, best first for `home`'s strategy.

    `cache` keeps what several lists share: who has room on a channel (in id and in idle order) and
    who has a pool's skills, so each agent's room and skills are checked once per call.
    """
    room_key = ("room", home.channel_id, home.capacity)
    if room_key not in cache:
        cache[room_key] = [a for a in by_id if free_capacity(a.live, home.channel_id, home.capacity) > 0]
    skilled_key = ("skills", home.channel_id, home.capacity, pool.queue_id)
    if skilled_key not in cache:
        room = cache[room_key]
        cache[skilled_key] = (
            [a for a in room if has_skills(a.skills, pool.required_skills)] if pool.required_skills else room
        )
    skilled = cache[skilled_key]
    if home.strategy == Strategy.ROUND_ROBIN:
        return skilled  # in id order; the pointer picks the start
    if home.strategy == Strategy.SKILLS_BEST_MATCH:
        return sorted(skilled, key=lambda agent: _agent_key(home.strategy, agent, pool, None))
    idle_key = ("idle", home.channel_id, home.capacity)
    if idle_key not in cache:
        cache[idle_key] = sorted(cache[room_key], key=_idle_key)
    if skilled is cache[room_key]:
        return cache[idle_key]
    wanted = {agent.agent_id for agent in skilled}
    return [agent for agent in cache[idle_key] if agent.agent_id in wanted]


def choose(
    waiting: Sequence[WaitingContact],
    agents: Sequence[AvailableAgent],
    now: datetime,
    queues: Mapping[int, QueuePolicy],
) -> list[Assignment]:
    """CT-6 … CT-8: which waiting contact goes to which available agent, now.

    Contacts are served in `contact_order`; each takes the best agent among those with every
    required skill of its queue (or, past the overflow limit, of an overflow target) and room on
    the channel. Agents of the contact's own queue come before overflow agents; among equals the
    queue's strategy decides. Each agent gets at most one new offer per call, so an agent is offered
    one contact at a time. Contacts of unknown queues are left waiting. Deterministic: the order of
    the inputs does not matter.

    The agents able to serve a (strategy, pool, channel) combination are ranked once per call and
    read best-first, so a decision costs about the agents skipped rather than a scan of the floor.
    One contact or one agent (most events of the live ACD and of the simulator) takes a direct scan.
    """
    if len(waiting) == 1:
        return _choose_for_contact(waiting[0], agents, now, queues)
    if len(agents) == 1:
        return _choose_for_agent(waiting, agents[0], now, queues)
    pointers = {queue_id: queue.round_robin_after for queue_id, queue in queues.items()}
    ordered = sorted(
        (contact for contact in waiting if contact.queue_id in queues),
        key=lambda contact: contact_order(contact, queues[contact.queue_id]),
    )
    by_id = sorted(agents, key=lambda agent: agent.agent_id)
    taken: set[int] = set()
    ranked: dict[tuple, _Candidates] = {}
    room: dict[tuple, list[AvailableAgent]] = {}  # shared pieces of the candidate lists, see _able
    assignments: list[Assignment] = []
    for contact in ordered:
        if len(taken) >= len(by_id):
            break
        chain = eligible_queues(contact, queues, now)
        home = chain[0]
        round_robin = home.strategy == Strategy.ROUND_ROBIN
        chosen: tuple[AvailableAgent, QueuePolicy] | None = None
        for pool in chain:
            key = (home.strategy, pool.queue_id, home.channel_id, home.capacity)
            candidates = ranked.get(key)
            if candidates is None:
                candidates = ranked[key] = _Candidates(_able(home, pool, by_id, room), round_robin)
            agent = candidates.best(taken, pointers.get(home.queue_id))
            if agent is not None:
                chosen = (agent, pool)
                break
        if chosen is None:
            continue
        agent, pool = chosen
        assignments.append(Assignment(contact.contact_id, agent.agent_id, home.queue_id, pool.queue_id))
        taken.add(agent.agent_id)
        if round_robin:
            pointers[home.queue_id] = agent.agent_id
    return assignments


def _choose_for_contact(
    contact: WaitingContact, agents: Sequence[AvailableAgent], now: datetime, queues: Mapping[int, QueuePolicy]
) -> list[Assignment]:
    """``choose`` with one contact: the best able agent of the first pool of its chain that has one.

    The strategy keys end with the agent id, so the minimum is the agent the ranked lists put first.
    """
    chain = eligible_queues(contact, queues, now)
    if not chain:
        return []
    home = chain[0]
    strategy, channel, capacity, pointer = home.strategy, home.channel_id, home.capacity, home.round_robin_after
    for pool in chain:
        required = pool.required_skills
        best = best_key = None
        for agent in agents:
            if free_capacity(agent.live, channel, capacity) <= 0 or not has_skills(agent.skills, required):
                continue
            if best is None:  # ranked only when a second able agent shows up
                best = agent
                continue
            if best_key is None:
                best_key = _agent_key(strategy, best, pool, pointer)
            key = _agent_key(strategy, agent, pool, pointer)
            if key < best_key:
                best, best_key = agent, key
        if best is not None:
            return [Assignment(contact.contact_id, best.agent_id, home.queue_id, pool.queue_id)]
    return []


def _choose_for_agent(
    waiting: Sequence[WaitingContact], agent: AvailableAgent, now: datetime, queues: Mapping[int, QueuePolicy]
) -> list[Assignment]:
    """``choose`` with one agent: the first contact in ``contact_order`` the agent may take, through
    the first pool of the contact's chain whose skills the agent has."""
    best = best_key = None
    for contact in waiting:
        home = queues.get(contact.queue_id)
        if home is None:
            continue
        key = contact_order(contact, home)
        if best_key is not None and key >= best_key:
            continue
        if free_capacity(agent.live, home.channel_id, home.capacity) <= 0:
            continue
        chain = eligible_queues(contact, queues, now)
        pool = next((p for p in chain if has_skills(agent.skills, p.required_skills)), None)
        if pool is not None:
            best, best_key = (contact, home, pool), key
    if best is None:
        return []
    contact, home, pool = best
    return [Assignment(contact.contact_id, agent.agent_id, home.queue_id, pool.queue_id)]


def round_robin_pointers(queues: Mapping[int, QueuePolicy], assignments: Iterable[Assignment]) -> dict[int, int]:
    """The new round-robin pointers after `assignments` were applied: queue id → last agent id."""
    moved: dict[int, int] = {}
    for assignment in assignments:
        queue = queues.get(assignment.queue_id)
        if queue is not None and queue.strategy == Strategy.ROUND_ROBIN:
            moved[assignment.queue_id] = assignment.agent_id
    return moved


def offer_expired(offered_at: datetime, now: datetime, timeout_seconds: int) -> bool:
    """RONA (redirect on no answer): the agent let the offer ring for the whole timeout."""
    return (now - offered_at).total_seconds() >= timeout_seconds


def estimated_wait_seconds(position: int, agents: int, average_handle_seconds: float) -> int | None:
    """CT-6: a rough wait for the `position`-th waiting contact (1 = next) with `agents` serving.

    None when nobody serves the queue: no number is better than a false promise.
    """
    if agents <= 0 or position <= 0:
        return None
    return math.ceil(position * average_handle_seconds / agents)


# --- opening hours -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpeningHours:
    """One open period of a weekday (0 = Monday), `opens` inclusive, `closes` exclusive."""

    weekday: int
    opens: time
    closes: time


def queue_is_open(
    local: datetime,
    hours: Sequence[OpeningHours],
    *,
    closed_on_non_working_days: bool,
    is_working_day: bool | None,
) -> bool:
    """CT-5: is the queue open at `local` (the centre's local time)?

    No hours at all means always open. `is_working_day` comes from the official calendar (holidays,
    调休); None when the calendar does not cover the day, and then only the weekly hours count — a
    caller is never turned away because a year was not entered yet.
    """
    if closed_on_non_working_days and is_working_day is False:
        return False
    if not hours:
        return True
    moment = local.time().replace(tzinfo=None)
    return any(h.weekday == local.weekday() and h.opens <= moment < h.closes for h in hours)


# --- agent states (CT-9) ------------------------------------------------------------------------------


class AgentState(StrEnum):
    LOGGED_OUT = "logged_out"
    READY = "ready"
    RINGING = "ringing"
    BUSY = "busy"
    HOLD = "hold"
    ACW = "acw"
    AWAY = "away"


class AgentEvent(StrEnum):
    LOGIN = "login"
    LOGOUT = "logout"
    READY = "ready"
    AWAY = "away"
    OFFER = "offer"
    ANSWER = "answer"
    OFFER_EXPIRED = "offer_expired"
    OFFER_WITHDRAWN = "offer_withdrawn"
    HOLD = "hold"
    RETRIEVE = "retrieve"
    HANG_UP = "hang_up"
    FINISH_ACW = "finish_acw"
    # The console's own calls (CT-10): outbound and internal calls ring out, other agents join legs.
    DIAL = "dial"
    DIAL_FAILED = "dial_failed"
    JOIN = "join"
    LEAVE = "leave"


S, E = AgentState, AgentEvent

TRANSITIONS: Mapping[tuple[AgentState, AgentEvent], AgentState] = {
    (S.LOGGED_OUT, E.LOGIN): S.READY,
    (S.READY, E.AWAY): S.AWAY,
    (S.READY, E.LOGOUT): S.LOGGED_OUT,
    (S.READY, E.OFFER): S.RINGING,
    (S.RINGING, E.ANSWER): S.BUSY,
    (S.RINGING, E.OFFER_EXPIRED): S.AWAY,  # RONA: the agent is set away, reason "not answered"
    (S.RINGING, E.OFFER_WITHDRAWN): S.READY,  # the caller hung up while it rang
    # Busy on a multi-contact channel: further chats are offered and answered while busy.
    (S.BUSY, E.OFFER): S.BUSY,
    (S.BUSY, E.ANSWER): S.BUSY,
    (S.BUSY, E.OFFER_EXPIRED): S.BUSY,
    (S.BUSY, E.OFFER_WITHDRAWN): S.BUSY,
    (S.BUSY, E.HOLD): S.HOLD,
    (S.BUSY, E.HANG_UP): S.ACW,
    (S.HOLD, E.RETRIEVE): S.BUSY,
    (S.HOLD, E.HANG_UP): S.ACW,
    (S.ACW, E.FINISH_ACW): S.READY,
    (S.AWAY, E.READY): S.READY,
    (S.AWAY, E.AWAY): S.AWAY,  # another away reason
    (S.AWAY, E.LOGOUT): S.LOGGED_OUT,
    # Outbound dial (外拨) and internal call (内呼): only a ready agent rings out; the far end
    # answering is an ANSWER, no answer or a busy line is DIAL_FAILED.
    (S.READY, E.DIAL): S.RINGING,
    (S.RINGING, E.DIAL_FAILED): S.READY,
    # Another agent on someone else's call: consulted (内部咨询) or in a three-party call (三方会议).
    (S.READY, E.JOIN): S.BUSY,
    (S.BUSY, E.LEAVE): S.READY,
}

del S, E


class IllegalTransition(Exception):
    """The agent's state does not allow the event (a button that should have been disabled)."""

    def __init__(self, current: AgentState, event: AgentEvent) -> None:
        super().__init__(f"An agent in state {current} cannot {event}.")
        self.current = current
        self.event = event


def next_state(current: AgentState | str, event: AgentEvent | str) -> AgentState:
    """CT-9: the agent's state after `event`, or IllegalTransition."""
    current, event = AgentState(current), AgentEvent(event)
    try:
        return TRANSITIONS[(current, event)]
    except KeyError:
        raise IllegalTransition(current, event) from None


def can(current: AgentState | str, event: AgentEvent | str) -> bool:
    """Whether `event` is allowed now: the console enables only these buttons."""
    return (AgentState(current), AgentEvent(event)) in TRANSITIONS


DIAL_SEPARATORS = " -()"


def dial_number(raw: str, min_digits: int, max_digits: int) -> str | None:
    """CT-10: a number to dial out, digits only (a leading + kept), or None if it cannot be dialled.

    Spaces, dashes and brackets people type are dropped; anything else is refused.
    """
    text = "".join(ch for ch in raw.strip() if ch not in DIAL_SEPARATORS)
    plus = text.startswith("+")
    digits = text[1:] if plus else text
    if not digits.isascii() or not digits.isdigit() or not min_digits <= len(digits) <= max_digits:
        return None
    return ("+" if plus else "") + digits


def acw_overdue(acw_since: datetime, now: datetime, limit_seconds: int) -> bool:
    """CT-9: after-call work has reached its configured limit."""
    return (now - acw_since).total_seconds() >= limit_seconds


# --- contact records (CT-15) --------------------------------------------------------------------------


@dataclass(frozen=True)
class Durations:
    wait: int
    talk: int
    acw: int


def _seconds(start: datetime | None, end: datetime | None) -> int:
    if start is None or end is None:
        return 0
    return max(round((end - start).total_seconds()), 0)


def contact_durations(
    *,
    queued_at: datetime | None,
    answered_at: datetime | None,
    ended_at: datetime | None,
    closed_at: datetime | None,
    hold_seconds: int,
) -> Durations:
    """Wait (queue to answer, or to abandon), talk (answer to hang-up, less hold) and ACW seconds.

    Never negative: clocks of a switch and a server may disagree by a moment.
    """
    wait = _seconds(queued_at, answered_at or ended_at)
    talk = max(_seconds(answered_at, ended_at) - hold_seconds, 0) if answered_at else 0
    acw = _seconds(ended_at, closed_at) if answered_at else 0
    return Durations(wait=wait, talk=talk, acw=acw)


def held_seconds(hold_started_at: datetime, now: datetime) -> int:
    return _seconds(hold_started_at, now)


# --- interval statistics (CT-16) ----------------------------------------------------------------------
#
# A contact's counts go to the interval it was queued in (queue rows) and the interval it was answered
# in (agent rows); state time is split over the intervals it spans. The maintenance at contact end and
# the from-scratch recomputation both call these functions, so the two agree by construction.


def interval_start(moment: datetime, minutes: int, zone: tzinfo) -> datetime:
    """The start of the `minutes`-long interval holding `moment`, counted from local midnight in `zone`.

    Intervals restart at midnight, so a length that does not divide the day leaves a shorter last one.
    """
    local = moment.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = (local - midnight).total_seconds() // 60
    return midnight + timedelta(minutes=int(elapsed // minutes) * minutes)


def split_span(start: datetime, end: datetime, minutes: int, zone: tzinfo) -> list[tuple[datetime, int]]:
    """`start`…`end` cut at interval boundaries: (interval start, whole seconds in it), in time order.

    Each piece is rounded on its own; pieces that round to nothing are left out.
    """
    pieces: list[tuple[datetime, int]] = []
    cursor = start
    while cursor < end:
        bucket = interval_start(cursor, minutes, zone)
        following = interval_start(bucket + timedelta(minutes=minutes), minutes, zone)
        if following <= cursor:  # the short last interval of a day ends at midnight
            following = interval_start(cursor + timedelta(days=1), 24 * 60, zone)
        stop = min(end, following)
        seconds = round((stop - cursor).total_seconds())
        if seconds > 0:
            pieces.append((bucket, seconds))
        cursor = stop
    return pieces


class ContactStage(StrEnum):
    """The moments a contact's statistics change: it was abandoned, its conversation ended, its
    after-call work finished."""

    ABANDONED = "abandoned"
    ENDED = "ended"
    CLOSED = "closed"


@dataclass(frozen=True)
class ContactFacts:
    """What interval statistics need of one contact, final at the stage being counted."""

    queue_id: int | None
    agent_id: int | None
    queued_at: datetime | None
    answered_at: datetime | None
    wait: int
    talk: int
    hold: int
    acw: int
    threshold_seconds: int


@dataclass(frozen=True)
class Increment:
    """Add `counts` to one interval row: `scope` is "queue" or "agent", `owner_id` the queue or agent."""

    scope: str
    owner_id: int
    minutes: int
    start: datetime
    counts: Mapping[str, int]


def contact_increments(
    stage: ContactStage | str, facts: ContactFacts, lengths: Sequence[int], zone: tzinfo
) -> list[Increment]:
    """CT-16: the interval rows a contact's `stage` adds to, for each interval length.

    Abandoned: offered and abandoned (with the wait). Ended: offered and answered, within the service
    level threshold or not, wait, talk and hold. Closed: handled and after-call work.
    """
    stage = ContactStage(stage)
    queue_counts: dict[str, int]
    agent_counts: dict[str, int] = {}
    if stage == ContactStage.ABANDONED:
        queue_counts = {"offered": 1, "abandoned": 1, "abandoned_wait_seconds": facts.wait}
    elif stage == ContactStage.ENDED:
        within = int(facts.answered_at is not None and facts.wait <= facts.threshold_seconds)
        queue_counts = {
            "offered": 1,
            "answered": 1,
            "answered_within_threshold": within,
            "wait_seconds": facts.wait,
            "talk_seconds": facts.talk,
            "hold_seconds": facts.hold,
        }
        agent_counts = {"answered": 1, "talk_seconds": facts.talk, "hold_seconds": facts.hold}
    else:
        queue_counts = {"handled": 1, "acw_seconds": facts.acw}
        agent_counts = {"handled": 1, "acw_seconds": facts.acw}
    out: list[Increment] = []
    for minutes in lengths:
        if facts.queue_id is not None and facts.queued_at is not None:
            start = interval_start(facts.queued_at, minutes, zone)
            out.append(Increment("queue", facts.queue_id, minutes, start, queue_counts))
        if agent_counts and facts.agent_id is not None and facts.answered_at is not None:
            start = interval_start(facts.answered_at, minutes, zone)
            out.append(Increment("agent", facts.agent_id, minutes, start, agent_counts))
    return out


# Agent states whose time is counted, with the interval field they add to; logged-out time is not work.
STATE_FIELDS: Mapping[str, str] = {
    "ready": "ready_seconds",
    "ringing": "ringing_seconds",
    "busy": "busy_seconds",
    "hold": "hold_state_seconds",
    "acw": "acw_state_seconds",
    "away": "away_seconds",
}
COUNTED_STATES = tuple(STATE_FIELDS)


def state_increments(
    agent_id: int, state: str, since: datetime, until: datetime, lengths: Sequence[int], zone: tzinfo
) -> list[Increment]:
    """CT-9, CT-16: the time an agent spent in `state` from `since` to `until`, per interval row."""
    field_name = STATE_FIELDS.get(state)
    if field_name is None:
        return []
    return [
        Increment("agent", agent_id, minutes, start, {field_name: seconds})
        for minutes in lengths
        for start, seconds in split_span(since, until, minutes, zone)
    ]


def merge_increments(increments: Iterable[Increment]) -> dict[tuple[str, int, int, datetime], dict[str, int]]:
    """Sum increments per row key (scope, owner, minutes, start)."""
    rows: dict[tuple[str, int, int, datetime], dict[str, int]] = {}
    for inc in increments:
        row = rows.setdefault((inc.scope, inc.owner_id, inc.minutes, inc.start), {})
        for name, value in inc.counts.items():
            row[name] = row.get(name, 0) + value
    return rows


def interval_lengths(short_minutes: int, long_minutes: int) -> tuple[int, ...]:
    """The interval lengths kept (the two policies), without repeats, shortest first."""
    return tuple(sorted({short_minutes, long_minutes}))


def service_level(answered_within: int, offered: int) -> float | None:
    """Share of offered contacts answered within the threshold, in percent; None when none offered."""
    if offered <= 0:
        return None
    return 100.0 * answered_within / offered


# --- service-rule exceptions (CT-12) -------------------------------------------------------------------


class ExceptionKind(StrEnum):
    LONG_HOLD = "long_hold"
    NO_COURTESY_MESSAGE = "no_courtesy_message"
    UNATTENDED = "unattended"
    LONG_COMMON_QUESTION = "long_common_question"


@dataclass(frozen=True)
class ServiceLimits:
    """The CT-12 limits in seconds (policy values)."""

    hold: int
    courtesy: int
    unattended: int
    common_question: int


@dataclass(frozen=True)
class ContactTimeline:
    """A contact seen by the service rules, up to `now` (the end, or the sweep's moment).

    `waits` are the periods the customer waited for a person (in the queue, on hold) and `holds` the
    hold periods; an open period ends at `now`. `courtesy_at` are the moments a courtesy message was
    given. `handling` is the talk plus hold time so far; `common_question` whether the contact's IVR
    choice is a common question.
    """

    waits: Sequence[tuple[datetime, datetime]] = ()
    holds: Sequence[tuple[datetime, datetime]] = ()
    courtesy_at: Sequence[datetime] = ()
    handling: int = 0
    common_question: bool = False


def longest_silence(periods: Sequence[tuple[datetime, datetime]], messages: Sequence[datetime]) -> int:
    """The longest stretch, in whole seconds, of any waiting period without a courtesy message in it."""
    longest = 0.0
    for start, end in periods:
        marks = sorted(m for m in messages if start <= m <= end)
        previous = start
        for mark in [*marks, end]:
            longest = max(longest, (mark - previous).total_seconds())
            previous = mark
    return int(longest)


def service_exceptions(timeline: ContactTimeline, limits: ServiceLimits) -> dict[ExceptionKind, int]:
    """CT-12: each broken service rule with the observed seconds (over its limit, never at it).

    * hold longer than the hold limit (one hold period, not the sum);
    * a customer waiting (queued or held) longer than the courtesy limit without a courtesy message;
    * a call left unattended — on hold — for longer than the unattended limit at a stretch;
    * handling (talk and hold) of a common question longer than its limit.
    """
    found: dict[ExceptionKind, int] = {}
    longest_hold = max((int((end - start).total_seconds()) for start, end in timeline.holds), default=0)
    if longest_hold > limits.hold:
        found[ExceptionKind.LONG_HOLD] = longest_hold
    silence = longest_silence([*timeline.waits, *timeline.holds], timeline.courtesy_at)
    if silence > limits.courtesy:
        found[ExceptionKind.NO_COURTESY_MESSAGE] = silence
    if longest_hold > limits.unattended:
        found[ExceptionKind.UNATTENDED] = longest_hold
    if timeline.common_question and timeline.handling > limits.common_question:
        found[ExceptionKind.LONG_COMMON_QUESTION] = timeline.handling
    return found


# --- recordings (CT-17) --------------------------------------------------------------------------------


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` plus whole calendar months; a day past the target month's end becomes its last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    following = datetime(year + month // 12, month % 12 + 1, 1)
    last_day = (following - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def retention_expired(recorded_at: datetime, now: datetime, retention_months: int) -> bool:
    """CT-17: a reference is past its retention period; 0 months keeps it indefinitely."""
    if retention_months <= 0:
        return False
    return add_months(recorded_at, retention_months) <= now


# --- IVR menus (CT-4) ----------------------------------------------------------------------------------

IVR_KEYS = "0123456789*#"


class IvrAction(StrEnum):
    """What a menu choice leads to."""

    MENU = "menu"
    QUEUE = "queue"
    SELF_SERVICE = "self_service"
    MESSAGE = "message"


@dataclass(frozen=True)
class IvrNodeSpec:
    """One node of a menu tree as the IVR sees it. The root has no key and no parent."""

    node_id: int
    parent_id: int | None
    key: str
    action: IvrAction
    prompt: str = ""
    queue_id: int | None = None
    answer: str = ""
    category: str = ""
    common_question: bool = False


@dataclass(frozen=True)
class IvrStep:
    """Where a key press leads: `node` (None when the key is not on the menu) and the key path so far.

    `done` is True when the node ends the menu (a queue, a self-service answer, a message).
    """

    node: IvrNodeSpec | None
    path: tuple[str, ...]
    done: bool


def ivr_children(tree: Sequence[IvrNodeSpec], parent_id: int | None) -> list[IvrNodeSpec]:
    return sorted((n for n in tree if n.parent_id == parent_id), key=lambda n: IVR_KEYS.index(n.key or "0"))


def ivr_root(tree: Sequence[IvrNodeSpec]) -> IvrNodeSpec | None:
    return next((n for n in tree if n.parent_id is None), None)


def ivr_find(tree: Sequence[IvrNodeSpec], path: Sequence[str]) -> IvrNodeSpec | None:
    """The node reached by pressing `path` from the root, or None if a key is not on its menu."""
    node = ivr_root(tree)
    for key in path:
        if node is None or node.action != IvrAction.MENU:
            return None
        node = next((n for n in tree if n.parent_id == node.node_id and n.key == key), None)
    return node


def ivr_step(tree: Sequence[IvrNodeSpec], path: Sequence[str], key: str) -> IvrStep:
    """CT-4: the caller, having pressed `path`, presses `key`.

    A key that is not on the current menu leaves the caller at that menu (it is played again), with
    the path unchanged. A path that leads nowhere — the menu was edited mid-call, or it already ended
    at a queue or answer — gives `node` None.
    """
    current = ivr_find(tree, path)
    if current is None or current.action != IvrAction.MENU:
        return IvrStep(None, tuple(path), current is not None)
    chosen = next((n for n in tree if n.parent_id == current.node_id and n.key == key), None)
    if chosen is None:
        return IvrStep(current, tuple(path), False)
    return IvrStep(chosen, (*path, key), chosen.action != IvrAction.MENU)


def ivr_creates_cycle(parents: Mapping[int, int | None], node_id: int, new_parent_id: int | None) -> bool:
    """Whether hanging `node_id` under `new_parent_id` would make it its own ancestor."""
    seen: set[int] = set()
    cursor = new_parent_id
    while cursor is not None and cursor not in seen:
        if cursor == node_id:
            return True
        seen.add(cursor)
        cursor = parents.get(cursor)
    return cursor is not None  # an existing loop above is a cycle too


def ivr_problems(spec: IvrNodeSpec, siblings_keys: Iterable[str], has_children: bool) -> dict[str, str]:
    """CT-4: what is wrong with a node, as {field: rule code}; empty when it is valid.

    Keys are one of 0-9, * and #, unique under one parent; a queue choice names a queue; a
    self-service choice has an answer; only a menu has choices under it.
    """
    problems: dict[str, str] = {}
    if spec.parent_id is not None:
        if len(spec.key) != 1 or spec.key not in IVR_KEYS:
            problems["key"] = "invalid_key"
        elif spec.key in set(siblings_keys):
            problems["key"] = "duplicate_key"
    if spec.action == IvrAction.QUEUE and spec.queue_id is None:
        problems["queue"] = "queue_required"
    if spec.action == IvrAction.SELF_SERVICE and not spec.answer.strip():
        problems["answer"] = "answer_required"
    if spec.action != IvrAction.MENU and has_children:
        problems["action"] = "has_children"
    return problems


# --- queue set-up (CT-5) ----------------------------------------------------------------------------


def overflow_problem(
    queue_id: int | None,
    target_id: int | None,
    targets: Mapping[int, int | None],
    same_centre: bool,
) -> str | None:
    """CT-5: why `queue_id` may not overflow to `target_id`, as a rule code; None when it may.

    `targets` maps each queue of the centre to its current overflow target. A new queue
    (`queue_id` None) cannot close a cycle: nothing overflows into it yet.
    """
    if target_id is None:
        return None
    if not same_centre:
        return "overflow_other_centre"
    if target_id == queue_id:
        return "overflow_to_itself"
    if queue_id is not None and ivr_creates_cycle(targets, queue_id, target_id):
        return "overflow_cycle"
    return None


def overlapping_weekdays(periods: Iterable[OpeningHours]) -> list[int]:
    """CT-5: the weekdays on which two open periods overlap, sorted (touching ends do not overlap)."""
    by_day: dict[int, list[OpeningHours]] = {}
    for period in periods:
        by_day.setdefault(period.weekday, []).append(period)
    clashes = []
    for weekday, day in sorted(by_day.items()):
        day.sort(key=lambda p: p.opens)
        if any(later.opens < earlier.closes for earlier, later in itertools.pairwise(day)):
            clashes.append(weekday)
    return clashes
