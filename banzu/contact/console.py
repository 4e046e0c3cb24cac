"""The agent console's own calls and messages (CT-10): outbound dial, internal call, other agents on a
call (consult, three-party), and messages between agents and supervisors.

Locking follows ``contact.services``: agents' AgentSession rows first, several of them always in
employee-id order, then the contact. The functions here lock every agent a call involves (the holder
and the other parties) before calling the contact services, which lock the holder again (already
held by this transaction) and the contact; so an agent is never locked while a contact is held.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from banzu.contact import rules, services
from banzu.contact.models import (
    AgentMessage,
    AgentMessageRecipient,
    AgentSession,
    CallParty,
    Channel,
    Contact,
    ContactEvent,
    CtiCall,
    Customer,
    Switch,
)
from banzu.core import scoping
from banzu.core.compiled import CompiledRead
from banzu.core.errors import Conflict, NotAllowed, OutOfScope, invalid
from banzu.core.policies import policy
from banzu.core.push import push_to_employees
from banzu.core.roles import Role
from banzu.org.models import Employee, Team

T = TypeVar("T")
State = AgentSession.State
Status = Contact.Status
Kind = ContactEvent.Kind
Event = rules.AgentEvent
Audience = AgentMessage.Audience

WORKING = (Employee.Status.PROBATION, Employee.Status.REGULAR)
LEG_ROLES = {Kind.CONSULTED: CallParty.Role.CONSULTED, Kind.CONFERENCED: CallParty.Role.CONFERENCED}


# --- who acts ----------------------------------------------------------------------------------------


def acting_agent(user: Any, action: str = "contact.handle_calls") -> Employee:
    """The employee behind `user`, allowed to handle calls; the console acts only for oneself."""
    scoping.ensure_can(user, action)
    actor = scoping.actor_for(user)
    employee = Employee.objects.filter(pk=actor.employee_id).first() if actor.employee_id else None
    if employee is None:
        raise NotAllowed(_("Only an employee can use the agent console."), code="not_an_employee")
    return employee


def _check_own(by: Any, agent_ids: Iterable[int | None]) -> None:
    """A person acting (`by`) must be one of the agents on the call; the switch passes None."""
    if by is None:
        return
    me = acting_agent(by).pk
    if me not in set(agent_ids):
        raise OutOfScope()


# --- locking -----------------------------------------------------------------------------------------


def _lock_agents(agent_ids: Iterable[int]) -> dict[int, AgentSession]:
    """Lock the agents' sessions one by one in employee-id order (the no-deadlock rule)."""
    sessions = {}
    for agent_id in sorted(set(agent_ids)):
        session = services.lock_session(agent_id)
        if session is not None:
            sessions[agent_id] = session
    return sessions


_OPEN_PARTIES_READ = CompiledRead(
    lambda contact_id: (
        CallParty.objects.filter(contact_id=contact_id, ended_at__isnull=True).order_by("pk").values_list("agent_id")
    ),
    contact_id=int,
)


def _involved(contact_id: int) -> tuple[int | None, list[int]]:
    holder = services.HOLDER_READ.first(contact_id=contact_id)
    if holder is None:
        raise OutOfScope()
    return holder[0], [agent_id for (agent_id,) in _OPEN_PARTIES_READ.rows(contact_id=contact_id)]


def _with_agents(contact_id: int, extra: Iterable[int], body: Callable[[dict[int, AgentSession]], T]) -> T:
    """Run `body(sessions)` with the holder, the open parties and `extra` locked, in one transaction."""
    for _attempt in range(services.MOVED_RETRIES):
        holder, parties = _involved(contact_id)
        with transaction.atomic():
            sessions = _lock_agents([a for a in (holder, *parties, *extra) if a is not None])
            if _involved(contact_id) != (holder, parties):
                continue  # the call changed hands meanwhile; read again
            return body(sessions)
    raise Conflict(_("The contact changed while this action ran. Try again."), code="contact_moved")


def _not_free(employee: Employee, session: AgentSession | None) -> Conflict:
    state = State(session.state).label if session else State.LOGGED_OUT.label
    return Conflict(
        _("%(name)s cannot take a call now: their state is %(state)s.") % {"name": employee.name, "state": state},
        code="agent_not_ready",
    )


def _free(employee: Employee, session: AgentSession | None) -> AgentSession:
    """The session of an agent who may join a call: ready and on nobody else's call."""
    if session is None or session.state != State.READY:
        raise _not_free(employee, session)
    if CallParty.objects.filter(agent=employee, ended_at__isnull=True).exists():
        raise _not_free(employee, session)
    return session


# --- outbound dial and internal call ------------------------------------------------------------------


def _voice_channel() -> Channel:
    channel = Channel.objects.filter(kind=Channel.Kind.VOICE, multi_contact=False).order_by("pk").first()
    if channel is None:
        raise Conflict(_("No telephone channel is set up."), code="no_voice_channel")
    return channel


def _colleague(agent: Employee, employee_no: str) -> Employee:
    employee_no = (employee_no or "").strip()
    callee = (
        Employee.objects.filter(centre_id=agent.centre_id, employee_no=employee_no, status__in=WORKING).first()
        if employee_no
        else None
    )
    if callee is None:
        raise invalid("employee_no", _("No colleague has this employee number."), code="unknown_agent")
    if callee.pk == agent.pk:
        raise invalid("employee_no", _("You cannot call yourself."), code="self_call")
    return callee


def console_call_id(contact_id: int) -> str:
    """The call id Banzu gives the switch for a call the console placed."""
    return f"banzu-{contact_id}"


def _link_to_switch(contact: Contact, external_id: str) -> None:
    """A call the console placed gets a call id on the centre's switch, which then reports its course."""
    if external_id:
        return
    switch = Switch.objects.filter(centre_id=contact.centre_id, active=True).order_by("pk").first()
    if switch is None:
        return
    contact.external_id = console_call_id(contact.pk)
    contact.save(update_fields=["external_id"])
    CtiCall.objects.create(switch=switch, call_id=contact.external_id, contact=contact)


def _ring_out(
    *,
    agent: Employee,
    session: AgentSession,
    direction: str,
    number: str,
    now: datetime,
    external_id: str,
    customer: Customer | None = None,
) -> Contact:
    """Under the agent's lock: the agent rings out; a new contact offered to them (waiting for the far end)."""
    if Contact.objects.filter(agent=agent, status__in=services.LIVE_STATUSES, single_contact=True).exists():
        raise services._illegal(rules.IllegalTransition(rules.AgentState(session.state), Event.DIAL))
    contact = Contact.objects.create(
        centre_id=agent.centre_id,
        channel=_voice_channel(),
        customer=customer,
        direction=direction,
        status=Status.OFFERED,
        single_contact=True,
        customer_priority=customer.vip_level if customer else 0,
        caller_number=number,
        external_id=external_id,
        agent=agent,
        arrived_at=now,
        offered_at=now,
    )
    services._move_agent(session, Event.DIAL, now=now, live_delta=1, contact=contact)
    return contact


def dial_out(*, agent: Employee, number: str, now: datetime, by: Any = None, external_id: str = "") -> Contact:
    """CT-10 (外拨): a ready agent calls an outside number; an outbound contact rings out.

    The customer is found by the number. The switch learns of it (``cti.push_to_switch``) and
    reports the far end answering (``answer_call``), failing (``dial_failed``) or hanging up.
    """
    if by is not None and acting_agent(by).pk != agent.pk:
        raise NotAllowed(_("You can only dial from your own console."), code="not_own_console")
    dialled = rules.dial_number(
        number or "",
        policy("contact.dial_number_min_digits", agent.centre_id),
        policy("contact.dial_number_max_digits", agent.centre_id),
    )
    if dialled is None:
        raise invalid("number", _("Enter a telephone number of digits only."), code="invalid_number")
    customer = Customer.objects.filter(centre_id=agent.centre_id, phone=dialled).order_by("pk").first()
    external_id = external_id.strip()
    with transaction.atomic():
        session = _lock_agents([agent.pk]).get(agent.pk)
        if session is None:
            raise _not_free(agent, None)
        contact = _ring_out(
            agent=agent,
            session=session,
            direction=Contact.Direction.OUTBOUND,
            number=dialled,
            now=now,
            external_id=external_id,
            customer=customer,
        )
        _link_to_switch(contact, external_id)
        services._record(contact, Kind.DIALED, now, agent_id=agent.pk, number=dialled)
        return contact


def internal_call(*, agent: Employee, callee_no: str, now: datetime, by: Any = None, external_id: str = "") -> Contact:
    """CT-10 (内呼): a ready agent calls a ready colleague; both ring until the colleague answers.

    Both sessions are locked in id order before anything is written, so two agents calling the
    same colleague at once cannot both reach them: the second sees them ringing and is refused.
    """
    if by is not None and acting_agent(by).pk != agent.pk:
        raise NotAllowed(_("You can only dial from your own console."), code="not_own_console")
    callee = _colleague(agent, callee_no)
    try:
        with transaction.atomic():
            sessions = _lock_agents([agent.pk, callee.pk])
            if agent.pk not in sessions:
                raise _not_free(agent, None)
            callee_session = _free(callee, sessions.get(callee.pk))
            contact = _ring_out(
                agent=agent,
                session=sessions[agent.pk],
                direction=Contact.Direction.INTERNAL,
                number=callee.employee_no,
                now=now,
                external_id=external_id.strip(),
            )
            CallParty.objects.create(contact=contact, agent=callee, role=CallParty.Role.CALLED, started_at=now)
            services._move_agent(callee_session, Event.OFFER, now=now, contact=contact)
            _link_to_switch(contact, external_id.strip())
            services._record(contact, Kind.DIALED, now, agent_id=agent.pk, to_agent_id=callee.pk)
            return contact
    except IntegrityError:
        # The database's one-open-leg rule caught a race the locks did not see (e.g. a missing session row).
        raise _not_free(callee, AgentSession.objects.filter(employee=callee).first()) from None


def answer_call(*, contact_id: int, now: datetime, by: Any = None) -> Contact:
    """The far end answers a call the console placed, or the called colleague picks up; both busy.

    Through the console, also the manual answer of an inbound offer by the agent it rings.
    """

    def body(sessions: dict[int, AgentSession]) -> Contact:
        contact = Contact.objects.get(pk=contact_id)
        called = list(CallParty.objects.filter(contact=contact, role=CallParty.Role.CALLED, ended_at__isnull=True))
        if by is not None:
            me = acting_agent(by).pk
            if contact.direction == Contact.Direction.INTERNAL:
                # The callee picks up; the caller waits for it.
                if me not in {party.agent_id for party in called}:
                    raise Conflict(_("This contact is not offered to you."), code="not_offered_to_you")
            elif contact.direction == Contact.Direction.OUTBOUND and contact.queue_id is None:
                raise Conflict(_("The far end answers this call, not the agent."), code="far_end_answers")
            elif contact.agent_id != me:
                raise OutOfScope()
        if contact.status == Status.CONNECTED:
            return contact
        contact = services.answer_contact(contact_id=contact_id, now=now)
        for party in called:
            party.answered_at = now
            party.save(update_fields=["answered_at"])
            services._move_agent(sessions[party.agent_id], Event.ANSWER, now=now, contact=contact)
        return contact

    return _with_agents(contact_id, (), body)


def _close_parties(contact: Contact, sessions: dict[int, AgentSession], now: datetime, event: Event) -> None:
    for party in CallParty.objects.filter(contact=contact, ended_at__isnull=True):
        party.ended_at = now
        party.save(update_fields=["ended_at"])
        session = sessions.get(party.agent_id)
        if session is not None and rules.can(session.state, event):
            services._move_agent(session, event, now=now, contact=contact)
        services._record(contact, Kind.LEFT, now, agent_id=party.agent_id, role=party.role)


def dial_failed(*, contact_id: int, now: datetime, reason: str = "", by: Any = None) -> Contact:
    """CT-10: a call the console placed was not answered (busy, no answer, cancelled); the agent is ready again."""

    def body(sessions: dict[int, AgentSession]) -> Contact:
        contact = services.lock_contact(contact_id)
        # The caller cancels, or the called colleague declines.
        called = CallParty.objects.filter(contact=contact, ended_at__isnull=True).values_list("agent_id", flat=True)
        _check_own(by, [contact.agent_id, *called])
        if contact.status == Status.ENDED and contact.answered_at is None:
            return contact  # repeated
        if contact.status != Status.OFFERED or contact.queue_id is not None:
            raise services._wrong_status(contact)
        contact.status, contact.ended_at, contact.closed_at = Status.ENDED, now, now
        contact.save(update_fields=["status", "ended_at", "closed_at"])
        services._move_agent(sessions[contact.agent_id], Event.DIAL_FAILED, now=now, live_delta=-1, contact=contact)
        _close_parties(contact, sessions, now, Event.OFFER_WITHDRAWN)
        services._record(contact, Kind.DIAL_FAILED, now, agent_id=contact.agent_id, reason=reason[:100])
        return contact

    return _with_agents(contact_id, (), body)


_STATUS_READ = CompiledRead(
    lambda contact_id: Contact.objects.filter(pk=contact_id).order_by().values_list("status", "queue_id")[:1],
    contact_id=int,
)


def end_call(*, contact_id: int, now: datetime, by: Any = None) -> Contact:
    """CT-10, CT-15: hang up. A call still ringing out is cancelled; otherwise the conversation ends,
    the holder goes to after-call work and every other agent on the call is free again."""
    found = _STATUS_READ.first(contact_id=contact_id)
    if found is None:
        raise OutOfScope()
    status, queue_id = found
    if status == Status.OFFERED and queue_id is None:
        return dial_failed(contact_id=contact_id, now=now, reason="cancelled", by=by)

    def body(sessions: dict[int, AgentSession]) -> Contact:
        if by is not None:  # the switch needs no check (and no reads for it)
            holder, parties = _involved(contact_id)
            _check_own(by, [holder, *parties])
        # The holder's session is locked here already (and the holder checked unchanged under it).
        contact = services.lock_contact(contact_id)
        ended = services.end_locked_contact(contact, sessions.get(contact.agent_id), now=now)
        _close_parties(ended, sessions, now, Event.LEAVE)
        return ended

    return _with_agents(contact_id, (), body)


def transfer_call(
    *,
    contact_id: int,
    now: datetime,
    to_agent: Employee | None = None,
    to_queue: Any = None,
    to_number: str = "",
    new_external_id: str = "",
) -> tuple[Contact, Contact | None]:
    """CT-10: transfer (转接) as ``services.transfer_contact``, with every agent on the call locked:
    colleagues consulted or in conference leave with the old leg, so consult-then-transfer to the
    consulted colleague works and nobody stays on a call that has moved on."""

    def body(sessions: dict[int, AgentSession]) -> tuple[Contact, Contact | None]:
        return services.transfer_contact(
            contact_id=contact_id,
            now=now,
            to_agent=to_agent,
            to_queue=to_queue,
            to_number=to_number,
            new_external_id=new_external_id,
            leg_ended=lambda old: _close_parties(old, sessions, now, Event.LEAVE),
        )

    return _with_agents(contact_id, (to_agent.pk,) if to_agent is not None else (), body)


# --- consult and three-party call -------------------------------------------------------------------


def call_leg(
    *,
    contact_id: int,
    kind: str,
    now: datetime,
    agent: Employee | None = None,
    number: str = "",
    phase: str = "start",
    by: Any = None,
) -> Contact:
    """CT-10: a consult (内部/外部咨询) or three-party (三方会议) leg starts or ends.

    With another agent, that agent must be ready; the leg makes them busy and its end frees them.
    With an outside number only the leg is recorded.
    """
    if agent is None or kind not in LEG_ROLES or phase not in ("start", "end"):
        # Let the service refuse bad input in its own words; a number leg changes no agent.
        return _leg_by_number(contact_id=contact_id, kind=kind, now=now, agent=agent, number=number, phase=phase, by=by)
    if number.strip():
        raise invalid("party", _("Name either an agent or a telephone number."), code="one_party")

    def body(sessions: dict[int, AgentSession]) -> Contact:
        contact = Contact.objects.get(pk=contact_id)
        _check_own(by, [contact.agent_id])
        if agent.pk == contact.agent_id:
            raise invalid("agent", _("Choose another agent than the one on the call."), code="self_call")
        if phase == "start":
            session = _free(agent, sessions.get(agent.pk)) if agent.centre_id == contact.centre_id else None
            if session is None:
                raise OutOfScope()
            contact = services.record_call_leg(contact_id=contact_id, kind=kind, now=now, agent=agent, phase=phase)
            CallParty.objects.create(
                contact=contact, agent=agent, role=LEG_ROLES[kind], started_at=now, answered_at=now
            )
            services._move_agent(session, Event.JOIN, now=now, contact=contact)
            services._record(contact, Kind.JOINED, now, agent_id=agent.pk, role=LEG_ROLES[kind])
            return contact
        party = CallParty.objects.filter(
            contact_id=contact_id, agent=agent, role=LEG_ROLES[kind], ended_at__isnull=True
        ).first()
        if party is None:
            raise Conflict(_("%(name)s is not on this call.") % {"name": agent.name}, code="not_on_call")
        contact = services.record_call_leg(contact_id=contact_id, kind=kind, now=now, agent=agent, phase=phase)
        party.ended_at = now
        party.save(update_fields=["ended_at"])
        services._move_agent(sessions[agent.pk], Event.LEAVE, now=now, contact=contact)
        services._record(contact, Kind.LEFT, now, agent_id=agent.pk, role=party.role)
        return contact

    return _with_agents(contact_id, (agent.pk,), body)


def _leg_by_number(*, contact_id: int, by: Any, **leg: Any) -> Contact:
    if by is not None:
        holder = Contact.objects.filter(pk=contact_id).values_list("agent_id", flat=True).first()
        _check_own(by, [holder])
    return services.record_call_leg(contact_id=contact_id, **leg)


# --- agent messages (坐席消息) -------------------------------------------------------------------------


def _leaders_of(sender: Employee) -> Q:
    """Whom an agent may write to besides colleagues taking calls: their team leader and the shift leads."""
    led = Q(teams_led__pk=sender.team_id) if sender.team_id else Q(pk__in=[])
    return led | Q(roles__role=Role.SHIFT_LEAD)


def _recipients(user: Any, sender: Employee, audience: str, recipient_id: int | None, team_id: int | None) -> list[int]:
    """The employee ids `sender` may reach with this audience, or a field error."""
    colleagues = Employee.objects.filter(centre_id=sender.centre_id, status__in=WORKING).exclude(pk=sender.pk)
    broadcaster = scoping.can(user, "contact.broadcast_agent_messages")
    if audience == Audience.EMPLOYEE:
        if recipient_id is None:
            raise invalid("recipient", _("Choose whom to write to."), code="required")
        allowed = colleagues.filter(Q(roles__role=Role.AGENT) | _leaders_of(sender), pk=recipient_id)
        if broadcaster:
            in_scope = scoping.restrict(Employee.objects.all(), user, "contact.broadcast_agent_messages")
            allowed = allowed | colleagues.filter(pk=recipient_id, pk__in=in_scope.values("pk"))
        if not allowed.exists():
            raise invalid(
                "recipient",
                _("You can write to agents, your team leader and the shift leads."),
                code="recipient_out_of_scope",
            )
        return [recipient_id]
    if not broadcaster:
        raise NotAllowed(_("Only leaders can write to a team or to everyone on duty."), code="permission_denied")
    if audience == Audience.TEAM:
        team = (
            scoping.restrict(Team.objects.all(), user, "contact.broadcast_agent_messages").filter(pk=team_id).first()
            if team_id is not None
            else None
        )
        if team is None:
            raise invalid("team", _("Choose one of your teams."), code="team_out_of_scope")
        ids = list(colleagues.filter(team=team).values_list("pk", flat=True))
    elif audience == Audience.ON_DUTY:
        in_scope = scoping.restrict(colleagues, user, "contact.broadcast_agent_messages")
        ids = list(
            in_scope.filter(agent_session__isnull=False)
            .exclude(agent_session__state=State.LOGGED_OUT)
            .values_list("pk", flat=True)
        )
    else:
        raise invalid("audience", _("Choose one person, a team or everyone on duty."), code="invalid_choice")
    if not ids:
        raise invalid(
            "audience", _("Nobody would receive this message: nobody there is on duty."), code="no_recipients"
        )
    return sorted(set(ids))


def send_message(
    *,
    user: Any,
    audience: str,
    text: str,
    now: datetime,
    recipient_id: int | None = None,
    team_id: int | None = None,
    contact_id: int | None = None,
) -> AgentMessage:
    """CT-10: a short message to a colleague, a leader, a team or everyone on duty, pushed to their pages."""
    sender = acting_agent(user, "contact.send_agent_messages")
    text = (text or "").strip()
    if not text:
        raise invalid("text", _("Write a message."), code="required")
    limit = policy("contact.agent_message_max_length", sender.centre_id)
    if len(text) > limit:
        raise invalid(
            "text",
            _("Keep the message to %(limit)s characters."),
            code="max_length",
            params={"limit": limit},
        )
    contact = None
    if contact_id is not None:
        contact = scoping.restrict(Contact.objects.all(), user, "contact.view_contacts").filter(pk=contact_id).first()
        if contact is None:
            raise invalid("contact", _("Choose one of your contacts."), code="contact_out_of_scope")
    ids = _recipients(user, sender, audience, recipient_id, team_id)
    with transaction.atomic():
        message = AgentMessage.objects.create(
            centre_id=sender.centre_id,
            sender=sender,
            audience=audience,
            team_id=team_id if audience == Audience.TEAM else None,
            text=text,
            contact=contact,
            sent_at=now,
        )
        AgentMessageRecipient.objects.bulk_create(
            [AgentMessageRecipient(message=message, recipient_id=employee_id) for employee_id in ids]
        )
        # The page shows the text with textContent: stored as typed, never rendered as markup.
        push_to_employees(
            ids,
            {
                "text": f"{sender.name}: {text}",
                "link": "/api/v1/agent-messages/",
                "urgent": False,
                "kind": "agent_message",
            },
        )
    return message


def mark_read(*, user: Any, message_id: int, now: datetime) -> AgentMessageRecipient:
    """The recipient read the message; the first time counts."""
    me = acting_agent(user, "contact.send_agent_messages")
    with transaction.atomic():
        row = (
            AgentMessageRecipient.objects.select_for_update()
            .filter(message_id=message_id, recipient=me)
            .select_related("message__sender")
            .first()
        )
        if row is None:
            raise OutOfScope()
        if row.read_at is None:
            row.read_at = now
            row.save(update_fields=["read_at"])
        return row
