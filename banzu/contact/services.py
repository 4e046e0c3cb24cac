"""Every write of contacts and agent states (CT-5 … CT-9, CT-15).

The switch (through the CTI API), the agent console, sweeps and the simulator's live twin call these;
each is one transaction, takes `now` from its caller (DESIGN principle 1) and publishes its change
after commit (``contact.events``).

Locking (CT-7, DESIGN principle 4). Anything that changes what an agent holds locks, in this order,
the agent's AgentSession row (``select_for_update``) and then the contact. An offer is a conditional
update (queued → offered) whose row count picks the winner among concurrent app servers. Operations
that start from a contact (the switch reports a hang-up) first read which agent holds it, lock that
agent, then lock the contact and check the holder did not change in between; if it did, they roll
back and start again rather than lock a second agent while holding the contact — the reverse order
could deadlock against an offer. The database constraints of ``contact.models`` back all of it.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, Q, Subquery, Sum, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext as _

from banzu.contact import events, rules, statistics
from banzu.contact.models import (
    ACTIVE_STATUSES,
    LIVE_STATUSES,
    AgentSession,
    AgentStateChange,
    CallParty,
    Contact,
    ContactEvent,
    Customer,
    Queue,
    QueueSkill,
)
from banzu.core import calendar, coalesce, memo, scoping
from banzu.core.compiled import CompiledRead, instance
from banzu.core.errors import Conflict, NotAllowed, OutOfScope, invalid
from banzu.core.policies import policy
from banzu.core.rules import CalendarNotCovered
from banzu.org.models import Employee, EmployeeSkill

T = TypeVar("T")
State = AgentSession.State
Status = Contact.Status
Kind = ContactEvent.Kind
Event = rules.AgentEvent

# How often a contact-driven operation starts again when the contact changed hands under it.
MOVED_RETRIES = 5


# --- agents ----------------------------------------------------------------------------------------


def _illegal(exc: rules.IllegalTransition) -> Conflict:
    return Conflict(
        _("This is not possible while the agent's state is %(state)s.") % {"state": State(exc.current.value).label},
        code="illegal_agent_transition",
    )


def _move_agent(
    session: AgentSession,
    event: rules.AgentEvent,
    *,
    now: datetime,
    live_delta: int = 0,
    contact: Contact | None = None,
    away_reason: str = "",
    by: Any = None,
) -> None:
    """Apply `event` to the locked `session`, record the transition (CT-9) and publish it."""
    try:
        new = rules.next_state(session.state, event)
    except rules.IllegalTransition as exc:
        raise _illegal(exc) from None
    old, old_reason, old_since = session.state, session.away_reason, session.state_since
    reason = away_reason if new == State.AWAY else ""
    session.live_contacts = max(session.live_contacts + live_delta, 0)
    changed = new != old or reason != old_reason
    if changed:
        session.state, session.away_reason, session.state_since = new, reason, now
        if new == State.READY and event != Event.OFFER_WITHDRAWN:
            session.idle_since = now
        elif new not in (State.READY, State.RINGING):
            # Ringing keeps the idle time: if the caller hangs up, the agent's place stays.
            session.idle_since = None
    session.save(update_fields=["state", "away_reason", "state_since", "idle_since", "live_contacts"])
    if not changed:
        return
    AgentStateChange.objects.create(
        agent_id=session.employee_id,
        from_state=old,
        to_state=new,
        away_reason=reason,
        event=event.value,
        at=now,
        contact=contact,
        changed_by=by if getattr(by, "pk", None) else None,
    )
    statistics.agent_state_left(  # CT-16
        agent_id=session.employee_id,
        state=old,
        since=old_since,
        until=now,
        centre_id=contact.centre_id if contact else None,
    )
    events.publish(
        "agent.state_changed",
        agent_id=session.employee_id,
        state=new,
        away_reason=reason,
        since=now.isoformat(),
        contact_id=contact.pk if contact else None,
    )


AGENT_ACTIONS = (Event.LOGIN, Event.LOGOUT, Event.READY, Event.AWAY)


def set_agent_state(
    *,
    agent: Employee,
    action: rules.AgentEvent | str,
    now: datetime,
    away_reason: str = "",
    by: Any = None,
) -> AgentSession:
    """CT-9, CT-10: log in, log out, ready, or away with a reason. Illegal transitions are refused (409).

    `by` is the user acting, when a person acts (the console); the switch and sweeps pass None.
    Setting someone else's state is a supervisor control (CT-13) and is refused here.
    """
    try:
        action = rules.AgentEvent(action)
    except ValueError:
        action = None
    if action not in AGENT_ACTIONS:
        raise invalid("action", _("Choose log in, log out, ready or away."), code="invalid_choice")
    if by is not None:
        actor = scoping.actor_for(by)
        if actor.employee_id != agent.pk:
            raise NotAllowed(_("You can only change your own agent state."), code="not_own_state")
        scoping.ensure_can(by, "contact.set_own_state")
    if action == Event.AWAY:
        if away_reason not in AgentSession.AwayReason.values or away_reason == AgentSession.AwayReason.NOT_ANSWERED:
            raise invalid("away_reason", _("Choose a reason for being away."), code="invalid_choice")
    else:
        away_reason = ""
    AgentSession.objects.get_or_create(employee=agent, defaults={"state_since": now})
    with transaction.atomic():
        session = lock_session(agent.pk)
        if action == Event.LOGIN and session.state == State.LOGGED_OUT:
            session.logged_in_at = now
            session.save(update_fields=["logged_in_at"])
        _move_agent(session, action, now=now, away_reason=away_reason, by=by)
        return session


def set_work_mode(*, agent: Employee, mode: str, now: datetime) -> AgentSession:
    """CT-9: auto-answer or manual answer; the switch reads it when it rings the agent."""
    if mode not in AgentSession.WorkMode.values:
        raise invalid("work_mode", _("Choose auto answer or manual answer."), code="invalid_choice")
    AgentSession.objects.get_or_create(employee=agent, defaults={"state_since": now})
    with transaction.atomic():
        session = AgentSession.objects.select_for_update().get(employee=agent)
        session.work_mode = mode
        session.save(update_fields=["work_mode"])
    return session


# --- contacts: helpers -------------------------------------------------------------------------------


SESSION_FIELDS = tuple(field.attname for field in AgentSession._meta.concrete_fields)
CONTACT_FIELDS = tuple(field.attname for field in Contact._meta.concrete_fields)
# The two locks of every action on a contact (compiled once; inside a transaction only).
_SESSION_LOCK = CompiledRead(
    lambda employee_id: (
        AgentSession.objects.select_for_update()
        .filter(employee_id=employee_id)
        .order_by("pk")
        .values_list(*SESSION_FIELDS)[:1]
    ),
    employee_id=int,
)
_CONTACT_LOCK = CompiledRead(
    lambda contact_id: (
        Contact.objects.select_for_update().filter(pk=contact_id).order_by().values_list(*CONTACT_FIELDS)[:1]
    ),
    contact_id=int,
)


def lock_session(employee_id: int) -> AgentSession | None:
    """The agent's session, locked until the transaction ends (first in the locking order)."""
    row = _SESSION_LOCK.first(employee_id=employee_id)
    return instance(AgentSession, SESSION_FIELDS, row) if row else None


def lock_contact(contact_id: int) -> Contact:
    """The contact, locked until the transaction ends (after its agents' sessions)."""
    row = _CONTACT_LOCK.first(contact_id=contact_id)
    if row is None:
        raise Contact.DoesNotExist(f"No contact {contact_id}.")
    return instance(Contact, CONTACT_FIELDS, row)


class _Moved(Exception):
    """The contact changed hands between reading its agent and locking it."""


# Who holds a contact: read before locking them, by every action on a contact (compiled once).
HOLDER_READ = CompiledRead(
    lambda contact_id: Contact.objects.filter(pk=contact_id).order_by().values_list("agent_id")[:1], contact_id=int
)


def _run_locked(contact_id: int, body: Callable[[Contact, AgentSession | None], T]) -> T:
    """Run `body(contact, session)` in one transaction with the holder's session and the contact locked."""
    for _attempt in range(MOVED_RETRIES):
        holder = HOLDER_READ.first(contact_id=contact_id)
        if holder is None:
            raise OutOfScope()
        agent_id = holder[0]
        try:
            with transaction.atomic():
                session = lock_session(agent_id) if agent_id else None
                contact = lock_contact(contact_id)
                if contact.agent_id != agent_id:
                    raise _Moved
                return body(contact, session)
        except _Moved:
            continue
    raise Conflict(_("The contact changed while this action ran. Try again."), code="contact_moved")


def _record(contact: Contact, kind: str, now: datetime, *, agent_id: int | None = None, **detail: Any) -> None:
    ContactEvent.objects.create(
        contact=contact, kind=kind, at=now, agent_id=agent_id, queue_id=contact.queue_id, detail=detail
    )
    events.publish(
        f"contact.{kind}",
        contact_id=contact.pk,
        centre_id=contact.centre_id,
        queue_id=contact.queue_id,
        agent_id=agent_id,
        status=contact.status,
        at=now.isoformat(),
    )


def _set_durations(contact: Contact) -> None:
    durations = rules.contact_durations(
        queued_at=contact.queued_at,
        answered_at=contact.answered_at,
        ended_at=contact.ended_at,
        closed_at=contact.closed_at,
        hold_seconds=contact.hold_seconds,
    )
    contact.wait_seconds, contact.talk_seconds, contact.acw_seconds = durations.wait, durations.talk, durations.acw


def _others(contact: Contact, statuses: Sequence[str]) -> bool:
    """Whether the contact's agent holds other contacts in `statuses` (read under the agent's lock)."""
    if contact.agent_id is None:
        return False
    return bool(_others_read(tuple(statuses)).first(agent_id=contact.agent_id, contact_id=contact.pk))


@functools.cache
def _others_read(statuses: tuple[str, ...]) -> CompiledRead:
    return CompiledRead(
        lambda agent_id, contact_id: (
            Contact.objects.filter(agent_id=agent_id, status__in=statuses).exclude(pk=contact_id).values_list("pk")[:1]
        ),
        agent_id=int,
        contact_id=int,
    )


def _wrong_status(contact: Contact) -> Conflict:
    return Conflict(
        _("This is not possible while the contact is %(status)s.") % {"status": contact.get_status_display()},
        code="contact_wrong_status",
    )


# --- contacts: arrival -------------------------------------------------------------------------------


def queue_open_at(queue: Queue, now: datetime) -> bool:
    """CT-5: the queue's weekly hours and, if it says so, the official working-day calendar."""
    local = now.astimezone(calendar.centre_zone(queue.centre))
    try:
        working = calendar.work_calendar().is_working_day(local.date())
    except CalendarNotCovered:
        working = None
    hours = memo.configuration(
        ("contact.queue_hours", queue.pk),
        lambda: [rules.OpeningHours(*row) for row in queue.hours.values_list("weekday", "opens", "closes")],
    )
    return rules.queue_is_open(
        local, hours, closed_on_non_working_days=queue.closed_on_non_working_days, is_working_day=working
    )


# Every arriving call is looked for first (a switch may retry it; compiled once).
EXTERNAL_ID_READ = CompiledRead(
    lambda centre_id, external_id: (
        Contact.objects.filter(centre_id=centre_id, external_id=external_id).order_by("pk").values_list("pk")[:1]
    ),
    centre_id=int,
    external_id=str,
)


def enqueue_contact(
    *,
    queue: Queue,
    now: datetime,
    caller_number: str = "",
    customer: Customer | None = None,
    external_id: str = "",
    priority: int = 0,
    ivr_path: Sequence[Any] = (),
    arrived_at: datetime | None = None,
) -> Contact:
    """CT-5, CT-15: an inbound contact joins `queue`. Queued contacts persist (CT-7).

    Idempotent on the switch's call id: the same `external_id` again returns the contact already
    queued, so a switch that retries after a timeout never queues a call twice.
    """
    external_id = external_id.strip()
    if external_id:
        existing = EXTERNAL_ID_READ.first(centre_id=queue.centre_id, external_id=external_id)
        if existing is not None:
            return Contact.objects.get(pk=existing[0])
    if not queue.active:
        raise Conflict(_("The queue %(queue)s is not taking contacts.") % {"queue": queue.name}, code="queue_inactive")
    if not queue_open_at(queue, now):
        raise Conflict(_("The queue %(queue)s is closed now.") % {"queue": queue.name}, code="queue_closed")
    if customer is None and caller_number:
        from banzu.contact.selectors import find_customer

        customer = find_customer(queue.centre_id, caller_number)
    try:
        with transaction.atomic():
            contact = Contact.objects.create(
                centre_id=queue.centre_id,
                channel_id=queue.channel_id,
                queue=queue,
                customer=customer,
                direction=Contact.Direction.INBOUND,
                status=Status.QUEUED,
                single_contact=not queue.channel.multi_contact,
                priority=priority,
                customer_priority=customer.vip_level if customer else 0,
                caller_number=caller_number,
                external_id=external_id,
                ivr_path=list(ivr_path),
                arrived_at=arrived_at or now,
                queued_at=now,
            )
            _record(contact, Kind.QUEUED, now)
            return contact
    except IntegrityError:
        # A concurrent retry of the same switch event queued it first.
        existing = Contact.objects.filter(centre_id=queue.centre_id, external_id=external_id).first()
        if external_id and existing is not None:
            return existing
        raise


# --- routing -----------------------------------------------------------------------------------------


def queue_policies(centre: Any) -> dict[int, rules.QueuePolicy]:
    """The active queues of `centre` as routing sees them: their settings as the process keeps them
    (``memo.configuration``), their round-robin pointers as of this unit of work."""
    centre_id = getattr(centre, "pk", centre)

    def read() -> dict[int, rules.QueuePolicy]:
        kept = memo.configuration(("contact.queue_settings", centre_id), lambda: _read_queue_policies(centre_id))
        return _with_round_robin_pointers(kept)

    return memo.remembered(_queue_policies_key(centre_id), read)


def _with_round_robin_pointers(policies: dict[int, rules.QueuePolicy]) -> dict[int, rules.QueuePolicy]:
    # The pointer moves with each round-robin offer, a routing fact rather than a setting: read afresh.
    round_robin = [pk for pk, queue in policies.items() if queue.strategy == rules.Strategy.ROUND_ROBIN]
    if not round_robin:
        return policies
    pointers = dict(Queue.objects.filter(pk__in=round_robin).values_list("pk", "round_robin_after"))
    return {
        pk: dataclasses.replace(queue, round_robin_after=pointers[pk]) if pk in pointers else queue
        for pk, queue in policies.items()
    }


def _queue_policies_key(centre_id: int) -> tuple[str, int]:
    return ("contact.queue_policies", centre_id)


def _read_queue_policies(centre_id: int) -> dict[int, rules.QueuePolicy]:
    max_chats = policy("contact.max_concurrent_chats", centre_id)
    queues = (
        Queue.objects.filter(centre_id=centre_id, active=True)
        .order_by()
        .select_related("channel")
        .prefetch_related(Prefetch("skills", queryset=QueueSkill.objects.order_by()))
    )
    return {
        queue.pk: rules.QueuePolicy(
            queue_id=queue.pk,
            channel_id=queue.channel_id,
            capacity=max_chats if queue.channel.multi_contact else 1,
            priority=queue.priority,
            strategy=rules.Strategy(queue.strategy),
            required_skills={row.skill_id: row.min_level for row in queue.skills.all()},
            overflow_queue_id=queue.overflow_queue_id,
            overflow_after_seconds=queue.overflow_after_seconds,
            round_robin_after=queue.round_robin_after,
        )
        for queue in queues
    }


def _signed_in(centre: Any, states: Sequence[str]):
    """Sessions of `centre`'s current staff in `states`, without the models' default orderings
    (which would join and sort tables nobody asked for)."""
    return (
        AgentSession.objects.filter(employee__centre=centre, state__in=states)
        .exclude(employee__status=Employee.Status.LEFT)
        .order_by()
    )


def _on_call() -> Exists:
    """On someone else's call (consulted, three-party, called internally): not free."""
    return Exists(CallParty.objects.filter(agent_id=OuterRef("employee_id"), ended_at__isnull=True))


def _holding() -> Exists:
    return Exists(Contact.objects.filter(agent_id=OuterRef("employee_id"), status__in=LIVE_STATUSES))


def available_agents(
    centre: Any, *, busy_too: bool = True, skill_ids: Iterable[int] | None = None
) -> list[rules.AvailableAgent]:
    """Agents of `centre` who may take a contact: ready, or busy with room on a multi-contact channel.

    An agent with an offer still ringing is left out: one offer at a time (CT-7). Without
    `busy_too` only ready agents are read: when no waiting contact can go to a multi-contact
    channel, a busy agent cannot take any of them, and a large floor is mostly busy. With
    `skill_ids`, only those of the agents' skills are read (routing looks at the skills the
    queues require, nothing else).
    """
    candidates = _signed_in(centre, [State.READY, State.BUSY] if busy_too else [State.READY])
    sessions = list(
        candidates.annotate(on_call=_on_call(), holding=_holding()).values_list(
            "employee_id", "state", "idle_since", "on_call", "holding"
        )
    )
    # The ids go to the database as a sub-query: a floor of a thousand agents is not sent as parameters.
    candidate_ids = candidates.values("employee_id")
    live: dict[int, dict[int, int]] = defaultdict(dict)
    ringing: set[int] = {agent_id for agent_id, _state, _idle, on_call, _holding in sessions if on_call}
    if any(holding for *_rest, holding in sessions):
        held = (
            Contact.objects.filter(agent_id__in=candidate_ids, status__in=LIVE_STATUSES)
            .order_by()
            .values("agent_id", "channel_id", "status")
            .annotate(n=Count("pk"))
            .values_list("agent_id", "channel_id", "status", "n")
        )
        for agent_id, channel_id, status, n in held:
            live[agent_id][channel_id] = live[agent_id].get(channel_id, 0) + n
            if status == Status.OFFERED:
                ringing.add(agent_id)
    skills: dict[int, dict[int, int]] = defaultdict(dict)
    skill_ids = None if skill_ids is None else list(skill_ids)
    if sessions and skill_ids != []:
        rows = EmployeeSkill.objects.filter(employee_id__in=candidate_ids).order_by()
        if skill_ids is not None:
            rows = rows.filter(skill_id__in=skill_ids)
        for employee_id, skill_id, level in rows.values_list("employee_id", "skill_id", "level"):
            skills[employee_id][skill_id] = level
    return [
        rules.AvailableAgent(
            agent_id=agent_id,
            idle_since=idle_since if state == State.READY else None,
            skills=skills[agent_id],
            live=live[agent_id],
        )
        for agent_id, state, idle_since, _on_call, _holding in sessions
        if agent_id not in ringing
    ]


def ready_agent_count(centre: Any) -> int:
    """How many agents of `centre` are ready: at most that many contacts can be offered now."""
    row = _READY_COUNT_READ.first(centre_id=getattr(centre, "pk", centre))
    return row[0] if row else 0


# Asked by the routing rounds of a floor of calls (compiled once): a group, so no row means none.
_READY_COUNT_READ = CompiledRead(
    lambda centre_id: (
        _signed_in(centre_id, [State.READY])
        .values("employee__centre_id")
        .annotate(ready=Count("pk"))
        .values_list("ready")
    ),
    centre_id=int,
)


def shortlisted_agents(
    centre: Any,
    waiting: Sequence[rules.WaitingContact],
    queues: Mapping[int, rules.QueuePolicy],
    now: datetime,
    *,
    skill_ids: Iterable[int],
) -> list[rules.AvailableAgent]:
    """``rules.agent_shortlist`` of the ready agents, read as such: each ranked list is sorted and
    cut by the database, so a floor of a thousand ready agents is not loaded for one waiting call.

    Only for contacts that cannot reach a multi-contact channel (``rules.multi_contact_reachable``):
    there an agent has room exactly when they hold nothing, which the database checks.
    """
    free = _signed_in(centre, [State.READY]).filter(~_on_call(), ~_holding())
    # The levels of the skills routing looks at come with each row, a column per skill.
    skill_ids = sorted(skill_ids)
    levels = {
        f"level_{skill_id}": Subquery(
            EmployeeSkill.objects.filter(employee_id=OuterRef("employee_id"), skill_id=skill_id).values("level")[:1]
        )
        for skill_id in skill_ids
    }
    found: dict[int, rules.AvailableAgent] = {}
    for home, pool, limit in rules.shortlist_cuts(waiting, queues, now):
        ranked = _ranked_agents(free, home, pool).annotate(**levels).values_list("employee_id", "idle_since", *levels)
        for agent_id, idle_since, *agent_levels in ranked[:limit] if limit is not None else ranked:
            skills = {
                skill_id: level for skill_id, level in zip(skill_ids, agent_levels, strict=True) if level is not None
            }
            found[agent_id] = rules.AvailableAgent(agent_id=agent_id, idle_since=idle_since, skills=skills)
    return [found[agent_id] for agent_id in sorted(found)]


def _ranked_agents(free, home: rules.QueuePolicy, pool: rules.QueuePolicy):
    """`free` sessions with `pool`'s skills, best first for `home`'s strategy (``rules._agent_key``)."""
    for skill_id, level in pool.required_skills.items():
        free = free.filter(
            Exists(
                EmployeeSkill.objects.filter(employee_id=OuterRef("employee_id"), skill_id=skill_id, level__gte=level)
            )
        )
    longest_idle = (F("idle_since").asc(nulls_last=True), F("employee_id").asc())
    if home.strategy == rules.Strategy.ROUND_ROBIN:
        pointer = home.round_robin_after
        if pointer is None:
            return free.order_by("employee_id")
        return free.order_by(Case(When(employee_id__lte=pointer, then=Value(1)), default=Value(0)), "employee_id")
    if home.strategy == rules.Strategy.SKILLS_BEST_MATCH and pool.required_skills:
        levels = (
            EmployeeSkill.objects.filter(employee_id=OuterRef("employee_id"), skill_id__in=list(pool.required_skills))
            .order_by()
            .values("employee_id")
            .annotate(total=Sum("level"))
            .values("total")
        )
        return free.annotate(score=Subquery(levels)).order_by(F("score").desc(), *longest_idle)
    return free.order_by(*longest_idle)


WAITING_FIELDS = ("pk", "queue_id", "queued_at", "priority", "customer_priority")
# ``rules.contact_order`` within one queue, as columns: (field, highest first). The VIP level counts
# only in customer-priority queues.
QUEUE_ORDER = (("priority", True), ("customer_priority", True), ("queued_at", False), ("pk", False))


def _waiting(rows) -> list[rules.WaitingContact]:
    return [rules.WaitingContact(pk, queue_id, queued_at, prio, vip) for pk, queue_id, queued_at, prio, vip in rows]


def waiting_queue_ids(centre: Any) -> set[int]:
    """The queues someone waits in (a few rows however long the queues are)."""
    return {queue_id for (queue_id,) in _WAITING_QUEUES_READ.rows(centre_id=getattr(centre, "pk", centre))}


# Asked by every routing round, i.e. after nearly every event (compiled once).
_WAITING_QUEUES_READ = CompiledRead(
    lambda centre_id: (
        Contact.objects.filter(centre_id=centre_id, status=Status.QUEUED).order_by().values_list("queue_id").distinct()
    ),
    centre_id=int,
)


def routing_head(
    centre: Any, queue_ids: set[int], queues: Mapping[int, rules.QueuePolicy], agents: int
) -> list[rules.WaitingContact]:
    """``rules.routing_head`` of the waiting contacts, read as such: a long queue is not loaded whole.

    The first `agents` of each queue without overflow are numbered by the database in
    ``rules.contact_order`` (a window over the queue); queues with overflow are read whole.
    """
    known = [queue_id for queue_id in queue_ids if queue_id in queues]
    whole = [queue_id for queue_id in known if rules.overflows(queues[queue_id])]
    headed = [queue_id for queue_id in known if not rules.overflows(queues[queue_id])]
    queued = Contact.objects.filter(centre=centre, status=Status.QUEUED).order_by()
    waiting = _waiting(queued.filter(queue_id__in=whole).values_list(*WAITING_FIELDS)) if whole else []
    if headed:
        by_vip = [q for q in headed if queues[q].strategy == rules.Strategy.CUSTOMER_PRIORITY]
        vip = Case(When(queue_id__in=by_vip, then=F("customer_priority")), default=Value(0)) if by_vip else Value(0)
        columns = [(vip if name == "customer_priority" else F(name), first) for name, first in QUEUE_ORDER]
        place = Window(
            RowNumber(),
            partition_by=[F("queue_id")],
            order_by=[column.desc() if first else column.asc() for column, first in columns],
        )
        rows = queued.filter(queue_id__in=headed).annotate(place=place).filter(place__lte=agents)
        waiting += _waiting(rows.values_list(*WAITING_FIELDS))
    return waiting


def position_in_queue(contact: Contact, queue: rules.QueuePolicy) -> int | None:
    """1 for the contact served next in its queue (``rules.contact_order``); None if not waiting.

    One COUNT of the contacts ahead, however long the queue is.
    """
    if contact.status != Status.QUEUED:
        return None
    by_vip = queue.strategy == rules.Strategy.CUSTOMER_PRIORITY
    # Ahead: better on some column, equal on every column before it.
    ahead, same = [], Q()
    for name, first in QUEUE_ORDER:
        if name == "customer_priority" and not by_vip:
            continue
        value = getattr(contact, name)
        ahead.append(same & Q(**{f"{name}__{'gt' if first else 'lt'}": value}))
        same &= Q(**{name: value})
    queued = Contact.objects.filter(centre_id=contact.centre_id, status=Status.QUEUED, queue_id=contact.queue_id)
    return queued.filter(functools.reduce(operator.or_, ahead)).order_by().count() + 1


# Read under the agent's lock by every offer (compiled once).
_ON_CALL_READ = CompiledRead(
    lambda agent_id: CallParty.objects.filter(agent_id=agent_id, ended_at__isnull=True).values_list("pk")[:1],
    agent_id=int,
)
_HELD_READ = CompiledRead(
    lambda agent_id: (
        Contact.objects.filter(agent_id=agent_id, status__in=LIVE_STATUSES)
        .order_by()
        .values_list("channel_id", "status")
    ),
    agent_id=int,
)


def _agent_has_room(session: AgentSession, contact: Contact) -> bool:
    """Under the agent's lock: ready, or busy on the same multi-contact channel with room; no offer ringing."""
    if session.state not in (State.READY, State.BUSY):
        return False
    if _ON_CALL_READ.first(agent_id=session.employee_id):
        return False
    live: dict[int, int] = defaultdict(int)
    for channel_id, status in _HELD_READ.rows(agent_id=session.employee_id):
        if status == Status.OFFERED:
            return False
        live[channel_id] += 1
    capacity = 1 if contact.single_contact else policy("contact.max_concurrent_chats", contact.centre_id)
    return rules.free_capacity(live, contact.channel_id, capacity) > 0


OFFER_FIELDS = (
    "centre_id",
    "channel_id",
    "queue_id",
    "single_contact",
    "status",
    "agent_id",
    "offered_at",
    "offer_count",
)


_OFFER_READ = CompiledRead(
    lambda contact_id: Contact.objects.filter(pk=contact_id).order_by().values_list("id", *OFFER_FIELDS)[:1],
    contact_id=int,
)


def _offer_view(contact_id: int) -> Contact | None:
    """The contact with the fields an offer reads (``OFFER_FIELDS``; the rest loads if asked for)."""
    row = _OFFER_READ.first(contact_id=contact_id)
    return instance(Contact, ("id", *OFFER_FIELDS), row) if row else None


def offer_contact(*, contact_id: int, agent_id: int, now: datetime) -> Contact:
    """CT-7: offer a queued contact to an agent; of concurrent callers exactly one wins.

    Locks the agent's AgentSession row (one offer per agent at a time), then claims the contact with
    a conditional update queued → offered; a lost claim raises Conflict and writes nothing. Skills
    are routing's business (``rules.choose``); this only guards availability and capacity.
    """
    # Only what the checks read; the claim's refresh then reloads these, the rest loads if asked for.
    contact = _offer_view(contact_id)
    if contact is None:
        raise OutOfScope()
    with transaction.atomic():
        session = (
            # Only the session row is locked, not the employee row joined for the filter. A row
            # another server holds is being offered something: that server decides, this one
            # moves on rather than queue behind it (the contact waits for the next round).
            AgentSession.objects.select_for_update(of=("self",), skip_locked=True)
            .filter(
                employee_id=agent_id,
                employee__centre_id=contact.centre_id,
                employee__status__in=[Employee.Status.PROBATION, Employee.Status.REGULAR],
            )
            .order_by()
            .first()
        )
        if session is None or not _agent_has_room(session, contact):
            raise Conflict(_("The agent cannot take this contact now."), code="agent_not_available")
        won = Contact.objects.filter(pk=contact_id, status=Status.QUEUED).update(
            status=Status.OFFERED, agent_id=agent_id, offered_at=now, offer_count=F("offer_count") + 1
        )
        if not won:
            raise Conflict(_("This contact has already been taken."), code="contact_taken")
        contact = _offer_view(contact_id)
        _move_agent(session, Event.OFFER, now=now, live_delta=1, contact=contact)
        _record(contact, Kind.OFFERED, now, agent_id=agent_id, offer=contact.offer_count)
        return contact


def route_waiting(*, centre: Any, now: datetime) -> list[Contact]:
    """CT-6 … CT-8: offer waiting contacts to available agents, as ``rules.choose`` decides.

    Each offer is its own short transaction (``offer_contact``), so app servers routing at the same
    time interleave; an offer lost to another server is skipped and the contact stays queued for the
    next round. Returns the contacts offered by this call.
    """
    # Who waits where and who is free come first: a floor with no one free, or a long queue,
    # then costs two small reads rather than every waiting contact.
    queue_ids = waiting_queue_ids(centre)
    if not queue_ids:
        return []
    queues = queue_policies(centre)
    skill_ids = {skill for queue in queues.values() for skill in queue.required_skills}
    if rules.multi_contact_reachable(queue_ids, queues):
        agents = available_agents(centre, busy_too=True, skill_ids=skill_ids)
        if not agents:
            return []
        waiting = routing_head(centre, queue_ids, queues, len(agents))
    else:
        # Calls only: the waiting head first, then the few ready agents it can reach.
        ready = ready_agent_count(centre)
        if not ready:
            return []
        waiting = routing_head(centre, queue_ids, queues, ready)
        agents = shortlisted_agents(centre, waiting, queues, now, skill_ids=skill_ids)
    assignments = rules.choose(waiting, agents, now, queues)
    offered: list[Contact] = []
    won: list[rules.Assignment] = []
    for assignment in assignments:
        try:
            offered.append(offer_contact(contact_id=assignment.contact_id, agent_id=assignment.agent_id, now=now))
        except (Conflict, OutOfScope):
            continue  # another server was faster; nothing was written
        won.append(assignment)
    pointers = rules.round_robin_pointers(queues, won)
    for queue_id, agent_id in pointers.items():
        Queue.objects.filter(pk=queue_id).update(round_robin_after=agent_id)
    if pointers:
        memo.forget(_queue_policies_key(getattr(centre, "pk", centre)))
    return offered


def route_committed(*, centre: Any, now: datetime) -> list[Contact]:
    """``route_waiting`` after a change was committed, one round at a time per process and centre.

    Events arriving together share rounds (``core.coalesce``) instead of racing each other for the
    same agents: returns the contacts this caller's round offered, or [] when a round that began
    after the caller asked has covered it. Inside a transaction the round runs at once, since
    another thread's round could not see the uncommitted change.
    """
    if transaction.get_connection().in_atomic_block:
        return route_waiting(centre=centre, now=now)
    key = ("contact.routing", getattr(centre, "pk", centre))
    ran, offered = coalesce.coalescer(key).run(lambda: route_waiting(centre=centre, now=now))
    return offered if ran else []


# --- contacts: handling ------------------------------------------------------------------------------


def answer_contact(*, contact_id: int, now: datetime, agent: Employee | None = None) -> Contact:
    """CT-9, CT-15: the offered agent answers; offered → connected, the agent ringing → busy."""

    def body(contact: Contact, session: AgentSession | None) -> Contact:
        if agent is not None and contact.agent_id != agent.pk:
            raise Conflict(_("This contact is not offered to you."), code="not_offered_to_you")
        if contact.status == Status.CONNECTED:
            return contact  # the switch repeated the event
        if contact.status != Status.OFFERED or session is None:
            raise _wrong_status(contact)
        contact.status, contact.answered_at = Status.CONNECTED, now
        _set_durations(contact)
        contact.save(update_fields=["status", "answered_at", "wait_seconds"])
        _move_agent(session, Event.ANSWER, now=now, contact=contact)
        _record(contact, Kind.ANSWERED, now, agent_id=contact.agent_id)
        return contact

    return _run_locked(contact_id, body)


def hold_contact(*, contact_id: int, now: datetime) -> Contact:
    """CT-10: put a call on hold (保持). Only calls are held; chats simply wait."""

    def body(contact: Contact, session: AgentSession | None) -> Contact:
        if contact.status != Status.CONNECTED or session is None:
            raise _wrong_status(contact)
        if not contact.single_contact:
            raise Conflict(_("Only calls can be put on hold."), code="hold_calls_only")
        contact.status, contact.hold_started_at = Status.ON_HOLD, now
        contact.save(update_fields=["status", "hold_started_at"])
        _move_agent(session, Event.HOLD, now=now, contact=contact)
        _record(contact, Kind.HELD, now, agent_id=contact.agent_id)
        return contact

    return _run_locked(contact_id, body)


def _stop_hold(contact: Contact, now: datetime) -> None:
    if contact.hold_started_at is not None:
        contact.hold_seconds += rules.held_seconds(contact.hold_started_at, now)
        contact.hold_started_at = None


def retrieve_contact(*, contact_id: int, now: datetime) -> Contact:
    """CT-10: take a held call back (接回); the hold time adds up."""

    def body(contact: Contact, session: AgentSession | None) -> Contact:
        if contact.status != Status.ON_HOLD or session is None:
            raise _wrong_status(contact)
        _stop_hold(contact, now)
        contact.status = Status.CONNECTED
        contact.save(update_fields=["status", "hold_started_at", "hold_seconds"])
        _move_agent(session, Event.RETRIEVE, now=now, contact=contact)
        _record(contact, Kind.RETRIEVED, now, agent_id=contact.agent_id)
        return contact

    return _run_locked(contact_id, body)


def end_contact(*, contact_id: int, now: datetime) -> Contact:
    """CT-9, CT-15: the conversation ends (either side hung up); after-call work starts.

    Talk and hold seconds are final now. The agent goes to after-call work unless they are still
    busy with other contacts (chats).
    """
    return _run_locked(contact_id, functools.partial(end_locked_contact, now=now))


def end_locked_contact(contact: Contact, session: AgentSession | None, *, now: datetime) -> Contact:
    """`end_contact` for a caller who holds the locks already: the holder's session, then the contact."""
    if contact.status in (Status.ACW, Status.ENDED):
        return contact  # the switch repeated the event
    if contact.status not in (Status.CONNECTED, Status.ON_HOLD) or session is None:
        raise _wrong_status(contact)
    _stop_hold(contact, now)
    contact.status, contact.ended_at = Status.ACW, now
    _set_durations(contact)
    contact.save(update_fields=["status", "ended_at", "hold_started_at", "hold_seconds", "talk_seconds"])
    statistics.contact_reached(contact, rules.ContactStage.ENDED, now=now)  # CT-12, CT-16
    if not _others(contact, ACTIVE_STATUSES):
        _move_agent(session, Event.HANG_UP, now=now, contact=contact)
    _record(contact, Kind.ENDED, now, agent_id=contact.agent_id)
    return contact


def finish_acw(*, contact_id: int, now: datetime, disposition: str = "") -> Contact:
    """CT-9: after-call work is done; the contact is closed and the agent, if free, is ready again."""

    def body(contact: Contact, session: AgentSession | None) -> Contact:
        if contact.status == Status.ENDED:
            return contact
        if contact.status != Status.ACW or session is None:
            raise _wrong_status(contact)
        contact.status, contact.closed_at = Status.ENDED, now
        if disposition:
            contact.disposition = disposition[: Contact._meta.get_field("disposition").max_length]
        _set_durations(contact)
        contact.save(update_fields=["status", "closed_at", "disposition", "acw_seconds"])
        statistics.contact_reached(contact, rules.ContactStage.CLOSED, now=now)  # CT-16
        if _others(contact, LIVE_STATUSES):
            _release(session)
        else:
            _move_agent(session, Event.FINISH_ACW, now=now, live_delta=-1, contact=contact)
        _record(contact, Kind.CLOSED, now, agent_id=contact.agent_id)
        return contact

    return _run_locked(contact_id, body)


def _release(session: AgentSession) -> None:
    """One contact fewer, no change of state (the agent still works on others)."""
    session.live_contacts = max(session.live_contacts - 1, 0)
    session.save(update_fields=["live_contacts"])


def finish_overdue_acw(*, centre: Any, now: datetime) -> list[int]:
    """CT-9: close after-call work that reached the centre's limit (a periodic sweep; idempotent)."""
    limit = policy("contact.after_call_work_limit_seconds", centre)
    rows = Contact.objects.filter(centre=centre, status=Status.ACW).values_list("pk", "ended_at")
    closed = []
    for pk, ended_at in rows:
        if ended_at is not None and rules.acw_overdue(ended_at, now, limit):
            finish_acw(contact_id=pk, now=now)
            closed.append(pk)
    return closed


def abandon_contact(*, contact_id: int, now: datetime) -> Contact:
    """CT-15: the customer hung up while waiting or while it rang; a ringing agent is ready again."""

    def body(contact: Contact, session: AgentSession | None) -> Contact:
        if contact.status == Status.ABANDONED:
            return contact
        if contact.status not in (Status.QUEUED, Status.OFFERED):
            raise _wrong_status(contact)
        ringing_agent = contact.agent_id if contact.status == Status.OFFERED else None
        contact.status, contact.ended_at, contact.agent = Status.ABANDONED, now, None
        _set_durations(contact)
        contact.save(update_fields=["status", "ended_at", "agent", "wait_seconds"])
        statistics.contact_reached(contact, rules.ContactStage.ABANDONED, now=now)  # CT-12, CT-16
        if session is not None and ringing_agent is not None:
            _move_agent(session, Event.OFFER_WITHDRAWN, now=now, live_delta=-1, contact=contact)
        _record(contact, Kind.ABANDONED, now, agent_id=ringing_agent)
        return contact

    return _run_locked(contact_id, body)


def withdraw_offer(*, contact_id: int, now: datetime, offered_at: datetime | None = None) -> Contact | None:
    """RONA (CT-7, CT-9): an unanswered offer goes back to the head of its queue — it keeps its
    original `queued_at` — and the agent is set away with the reason "not answered".

    With `offered_at`, only that offer is withdrawn: if the agent answered meanwhile, or the contact
    was offered again, nothing changes and None is returned.
    """

    def body(contact: Contact, session: AgentSession | None) -> Contact | None:
        if contact.status != Status.OFFERED or (offered_at is not None and contact.offered_at != offered_at):
            return None
        agent_id = contact.agent_id
        contact.status, contact.agent, contact.offered_at = Status.QUEUED, None, None
        contact.save(update_fields=["status", "agent", "offered_at"])
        if session is not None:
            _move_agent(
                session,
                Event.OFFER_EXPIRED,
                now=now,
                live_delta=-1,
                contact=contact,
                away_reason=AgentSession.AwayReason.NOT_ANSWERED,
            )
        _record(contact, Kind.OFFER_EXPIRED, now, agent_id=agent_id)
        return contact

    return _run_locked(contact_id, body)


def expire_offers(*, centre: Any, now: datetime) -> list[int]:
    """RONA sweep: withdraw every offer of `centre` that rang for its queue's offer timeout."""
    default = policy("contact.offer_timeout_seconds", centre)
    # Calls the agent dialled themselves (no queue) ring until the switch reports the far end.
    rows = Contact.objects.filter(centre=centre, status=Status.OFFERED, queue__isnull=False).values_list(
        "pk", "offered_at", "queue__offer_timeout_seconds"
    )
    withdrawn = []
    for pk, offered_at, timeout in rows:
        expired = rules.offer_expired(offered_at, now, timeout or default)
        if expired and withdraw_offer(contact_id=pk, now=now, offered_at=offered_at) is not None:
            withdrawn.append(pk)
    return withdrawn


def request_callback(*, contact_id: int, now: datetime, number: str = "") -> Contact:
    """CT-6 (改为回电): a waiting customer asks to be called back instead of waiting.

    The waiting contact ends as "callback requested"; the callback is a new outbound contact in the
    same queue with the original `queued_at`, so it keeps the customer's place. Returns the callback.
    """

    def body(contact: Contact, session: AgentSession | None) -> Contact:
        if contact.status != Status.QUEUED:
            raise _wrong_status(contact)
        contact.status, contact.ended_at = Status.CALLBACK_REQUESTED, now
        _set_durations(contact)
        contact.save(update_fields=["status", "ended_at", "wait_seconds"])
        callback = Contact.objects.create(
            centre_id=contact.centre_id,
            channel_id=contact.channel_id,
            queue_id=contact.queue_id,
            customer_id=contact.customer_id,
            direction=Contact.Direction.OUTBOUND,
            status=Status.QUEUED,
            single_contact=contact.single_contact,
            priority=contact.priority,
            customer_priority=contact.customer_priority,
            caller_number=number.strip() or contact.caller_number,
            ivr_path=contact.ivr_path,
            callback_for=contact,
            arrived_at=now,
            queued_at=contact.queued_at,
        )
        _record(contact, Kind.CALLBACK_REQUESTED, now, callback_id=callback.pk)
        _record(callback, Kind.QUEUED, now, callback_for=contact.pk)
        return callback

    return _run_locked(contact_id, body)


# --- switch-reported call legs (CT-1, CT-10, CT-15, CT-17) ------------------------------------------

CALL_LEG_KINDS = (Kind.CONFERENCED, Kind.CONSULTED)


def _require(contact: Contact, statuses: Sequence[str], session: AgentSession | None, *, agent: bool = True) -> None:
    if contact.status not in statuses or (agent and session is None):
        raise _wrong_status(contact)


def ring_contact(*, contact_id: int, now: datetime) -> Contact:
    """CT-1: the switch rings the agent the contact is offered to (振铃); recorded, no state change."""

    def body(contact: Contact, session: AgentSession | None) -> Contact:
        _require(contact, (Status.OFFERED,), session)
        _record(contact, Kind.RINGING, now, agent_id=contact.agent_id)
        return contact

    return _run_locked(contact_id, body)


def record_call_leg(
    *, contact_id: int, kind: str, now: datetime, agent: Employee | None = None, number: str = "", phase: str = "start"
) -> Contact:
    """CT-10, CT-15: a consult (内部/外部咨询) or three-party (三方通话) leg starts or ends on a live call.

    The contact stays with its agent; the leg is kept as an event naming the other party.
    """
    if kind not in CALL_LEG_KINDS:
        raise invalid("type", _("Choose a consult or a three-party call."), code="invalid_choice")
    if (agent is None) == (not number.strip()):
        raise invalid("party", _("Name either an agent or a telephone number."), code="one_party")
    if phase not in ("start", "end"):
        raise invalid("phase", _("Choose start or end."), code="invalid_choice")

    def body(contact: Contact, session: AgentSession | None) -> Contact:
        _require(contact, (Status.CONNECTED, Status.ON_HOLD), session)
        if agent is not None and agent.centre_id != contact.centre_id:
            raise OutOfScope()
        _record(
            contact,
            kind,
            now,
            agent_id=contact.agent_id,
            party_agent_id=agent.pk if agent else None,
            number=number.strip(),
            phase=phase,
        )
        return contact

    return _run_locked(contact_id, body)


def transfer_contact(
    *,
    contact_id: int,
    now: datetime,
    to_agent: Employee | None = None,
    to_queue: Queue | None = None,
    to_number: str = "",
    new_external_id: str = "",
    leg_ended: Callable[[Contact], None] | None = None,
) -> tuple[Contact, Contact | None]:
    """CT-10: blind transfer (转接) of a live call to an agent, a queue or an outside number.

    The current agent's leg ends as usual (after-call work follows), and `leg_ended(old leg)` runs
    before the new leg starts (``console.transfer_call`` frees the agents consulted or in
    conference there, so a consulted colleague can take the call). To a queue, a new leg waits
    there, in front of nothing (it queues now); to an agent, the new leg is offered to that agent at
    once, or the whole transfer is refused if they cannot take it; to a number, the call leaves the
    centre. Returns (the ended leg, the new leg or None). One transaction: a refused transfer
    leaves the call as it was.
    """
    to_number = to_number.strip()
    if sum((to_agent is not None, to_queue is not None, bool(to_number))) != 1:
        raise invalid("to", _("Transfer to exactly one agent, queue or telephone number."), code="one_target")

    def live(contact: Contact, session: AgentSession | None) -> Contact:
        _require(contact, (Status.CONNECTED, Status.ON_HOLD), session)
        return contact

    with transaction.atomic():
        # Lock the holder and the call for the whole transfer, so nobody ends it in between.
        old = _run_locked(contact_id, live)
        if to_agent is not None and to_agent.centre_id != old.centre_id:
            raise OutOfScope()
        if to_queue is not None and to_queue.centre_id != old.centre_id:
            raise OutOfScope()
        old = end_contact(contact_id=contact_id, now=now)
        if leg_ended is not None:
            leg_ended(old)
        new = None
        if not to_number:
            queue = to_queue or old.queue
            if queue is None:
                raise Conflict(_("This contact has no queue to transfer within."), code="no_queue")
            new = enqueue_contact(
                queue=queue,
                now=now,
                caller_number=old.caller_number,
                customer=old.customer,
                external_id=new_external_id,
                priority=old.priority,
                ivr_path=old.ivr_path,
            )
            if to_agent is not None:
                offer_contact(contact_id=new.pk, agent_id=to_agent.pk, now=now)
                new.refresh_from_db()  # whole: the offer's own copy holds only the fields it checked
        _record(
            old,
            Kind.TRANSFERRED,
            now,
            agent_id=old.agent_id,
            to_agent_id=to_agent.pk if to_agent else None,
            to_queue_id=to_queue.pk if to_queue else None,
            to_number=to_number,
            new_contact_id=new.pk if new else None,
        )
        return old, new


def attach_recording(*, contact_id: int, ref: str, now: datetime) -> Contact:
    """CT-15, CT-17: the switch says where the call's recording is. A reference is never replaced."""
    ref = ref.strip()
    if not ref:
        raise invalid("recording", _("Enter where the recording is."), code="required")

    def body(contact: Contact, session: AgentSession | None) -> Contact:
        _require(contact, (Status.CONNECTED, Status.ON_HOLD, Status.ACW, Status.ENDED), session, agent=False)
        if contact.recording_ref == ref:
            return contact
        if contact.recording_ref:
            raise Conflict(
                _("This contact already has a recording; recordings are never replaced."), code="recording_exists"
            )
        contact.recording_ref = ref[: Contact._meta.get_field("recording_ref").max_length]
        contact.save(update_fields=["recording_ref"])
        _record(contact, Kind.RECORDING_AVAILABLE, now, agent_id=contact.agent_id, recording=contact.recording_ref)
        return contact

    return _run_locked(contact_id, body)
