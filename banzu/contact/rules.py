"""Pure rules of contacts and routing (CT-5 … CT-9, CT-15).

Plain values in and out: no ORM, clock, settings or I/O. The live ACD (``contact.services``) and the
simulator (CT-20) call the same functions with their own clock and policy values (DESIGN
principles 1 and 2), so a staffing plan validated by simulation is validated for the real routing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
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
    return all(skills.get(skill, 0) >= level for skill, level in required.items())


def free_capacity(live: Mapping[int, int], channel_id: int, capacity: int) -> int:
    """How many more contacts of `channel_id` an agent may take (CT-7).

    An agent holding a contact of another channel takes nothing more: a caller is never put
    behind a chat, and a chat never goes to someone on a call.
    """
    if any(count > 0 for channel, count in live.items() if channel != channel_id):
        return 0
    return max(capacity - live.get(channel_id, 0), 0)


def eligible_queues(contact: WaitingContact, queues: Mapping[int, QueuePolicy], now: datetime) -> list[QueuePolicy]:
    """The contact's queue, then each overflow target it has waited long enough for (CT-5).

    Overflow limits add up along the chain: a contact reaches the second target after the first
    queue's limit plus the first target's own. A chain that loops back stops at the repeat.
    """
    chain: list[QueuePolicy] = []
    queue = queues.get(contact.queue_id)
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


def contact_order(contact: WaitingContact, queue: QueuePolicy) -> tuple:
    """Who is served first: highest queue priority, then contact priority, then (customer-priority
    queues) the VIP level, then the longest waiting; the id breaks exact ties."""
    vip = contact.customer_priority if queue.strategy == Strategy.CUSTOMER_PRIORITY else 0
    return (-queue.priority, -contact.priority, -vip, contact.queued_at, contact.contact_id)


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
    """
    pointers = {queue_id: queue.round_robin_after for queue_id, queue in queues.items()}
    ordered = sorted(
        (contact for contact in waiting if contact.queue_id in queues),
        key=lambda contact: contact_order(contact, queues[contact.queue_id]),
    )
    free = sorted(agents, key=lambda agent: agent.agent_id)
    assignments: list[Assignment] = []
    for contact in ordered:
        if not free:
            break
        chain = eligible_queues(contact, queues, now)
        home = chain[0]
        best: tuple[tuple, AvailableAgent, QueuePolicy] | None = None
        for agent in free:
            if free_capacity(agent.live, home.channel_id, home.capacity) <= 0:
                continue
            rank = next((i for i, pool in enumerate(chain) if has_skills(agent.skills, pool.required_skills)), None)
            if rank is None:
                continue
            key = (rank, *_agent_key(home.strategy, agent, chain[rank], pointers.get(home.queue_id)))
            if best is None or key < best[0]:
                best = (key, agent, chain[rank])
        if best is None:
            continue
        _key, agent, pool = best
        assignments.append(Assignment(contact.contact_id, agent.agent_id, home.queue_id, pool.queue_id))
        free.remove(agent)
        if home.strategy == Strategy.ROUND_ROBIN:
            pointers[home.queue_id] = agent.agent_id
    return assignments


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
