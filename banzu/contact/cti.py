"""The CTI service layer (CT-1): switch tokens, idempotent events, order checks, routing answers.

A telephone switch reports call and agent events and asks where to route a call (``docs/cti.md``).
This module authenticates the switch, records each event id once (``CtiEvent``, unique per switch),
refuses events the call's state does not allow, and hands the rest to ``contact.services``; the
HTTP views (``cti_api``) and the WebSocket consumer (``consumers``) only parse and serialise.

Idempotency: the event row is inserted first, inside the same transaction as the change it causes.
A concurrent repeat of the same id waits on the unique index and then fails, and is answered as a
duplicate; a refused event rolls back with its row, so the switch may send it again once fixed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound

from banzu.contact import compliance, console, events, rules, services
from banzu.contact.models import AgentSession, Contact, ContactEvent, CtiCall, CtiEvent, Queue, Switch
from banzu.core import memo
from banzu.core.compiled import CompiledRead, instance
from banzu.core.errors import Conflict, invalid
from banzu.core.policies import policy
from banzu.org.models import Centre, Employee, EmployeeSkill

logger = logging.getLogger(__name__)

Status = Contact.Status
TOKEN_PREFIX = "bzsw_"  # noqa: S105 - marks a switch token; not a secret

# --- event types and the call states that allow them (pure) --------------------------------------------

CALL_EVENTS: Mapping[str, frozenset[str]] = {
    "offered": frozenset(),  # only for a call not known yet
    "ringing": frozenset({Status.OFFERED}),
    "answered": frozenset({Status.OFFERED}),
    "held": frozenset({Status.CONNECTED}),
    "retrieved": frozenset({Status.ON_HOLD}),
    "transferred": frozenset({Status.CONNECTED, Status.ON_HOLD}),
    "conferenced": frozenset({Status.CONNECTED, Status.ON_HOLD}),
    "consulted": frozenset({Status.CONNECTED, Status.ON_HOLD}),
    # Before an answer the caller gave up (abandoned); after it the conversation ends.
    "ended": frozenset({Status.QUEUED, Status.OFFERED, Status.CONNECTED, Status.ON_HOLD}),
    "recording_available": frozenset({Status.CONNECTED, Status.ON_HOLD, Status.ACW, Status.ENDED}),
    # Calls an agent places (CT-10): the switch reports a dial from the phone, then its outcome.
    "dialed": frozenset(),  # only for a call not known yet
    "far_end_answered": frozenset({Status.OFFERED}),
    "dial_failed": frozenset({Status.OFFERED}),
    # CT-12: a waiting caller heard a courtesy prompt.
    "courtesy_message": frozenset({Status.QUEUED, Status.OFFERED}),
}
AGENT_EVENTS: Mapping[str, str] = {
    "agent_login": rules.AgentEvent.LOGIN,
    "agent_logout": rules.AgentEvent.LOGOUT,
    "agent_ready": rules.AgentEvent.READY,
    "agent_away": rules.AgentEvent.AWAY,
}
EVENT_TYPES = (*CALL_EVENTS, *AGENT_EVENTS)
# Agent events that end the agent's after-call work before they apply (the wrap-up key, an away code).
WRAP_UP_EVENTS = frozenset({"agent_ready", "agent_away"})
# Events after which an agent may be free or a call may wait: routing runs once they are applied.
ROUTING_EVENTS = frozenset({"offered", "transferred", "ended", "dial_failed", "agent_login", "agent_ready"})
# Agents who are signed in to serve a queue, for the estimated wait.
SERVING_STATES = (
    AgentSession.State.READY,
    AgentSession.State.RINGING,
    AgentSession.State.BUSY,
    AgentSession.State.HOLD,
    AgentSession.State.ACW,
)


def event_allowed(kind: str, status: str) -> bool:
    """Whether a call event of `kind` may follow when the call's current leg is in `status`."""
    return status in CALL_EVENTS.get(kind, frozenset())


def average_handle_seconds(samples: Sequence[tuple[int, int, int]], default: float) -> float:
    """Mean talk + hold + after-call work of `samples`, or `default` when there are none."""
    if not samples:
        return float(default)
    return sum(talk + hold + acw for talk, hold, acw in samples) / len(samples)


def body_digest(body: Mapping[str, Any]) -> str:
    """A stable hash of an event body, to tell a repeat from a different event reusing its id."""
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- switches and tokens -----------------------------------------------------------------------------


def switch_for_token(token: str) -> Switch | None:
    """The active switch holding `token`, or None (read-only: the process keeps the active switches,
    ``memo.configuration``, and a wrong token adds nothing to what it keeps)."""
    if not token or not token.startswith(TOKEN_PREFIX):
        return None
    switches = memo.configuration(
        ("contact.switches",),
        lambda: {switch.token_hash: switch for switch in Switch.objects.select_related("centre").filter(active=True)},
    )
    return switches.get(hash_token(token))


def _new_token() -> tuple[str, str]:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_token(token)


@transaction.atomic
def create_switch(*, centre: Centre, code: str, name: str = "") -> tuple[Switch, str]:
    """A new switch and its token. The token is returned once and never stored."""
    code = code.strip()
    if not code:
        raise invalid("code", _("Enter a code for the switch."), code="required")
    if Switch.objects.filter(code=code).exists():
        raise Conflict(_("A switch with the code %(code)s already exists.") % {"code": code}, code="switch_exists")
    token, digest = _new_token()
    switch = Switch.objects.create(
        centre=centre, code=code, name=name.strip() or code, token_hash=digest, token_prefix=token[:12]
    )
    return switch, token


@transaction.atomic
def rotate_token(*, switch: Switch) -> str:
    """Replace the switch's token; the old one stops working at once."""
    token, digest = _new_token()
    switch.token_hash, switch.token_prefix, switch.active = digest, token[:12], True
    switch.save(update_fields=["token_hash", "token_prefix", "active"])
    return token


@transaction.atomic
def deactivate_switch(*, switch: Switch) -> Switch:
    switch.active = False
    switch.save(update_fields=["active"])
    return switch


# --- answers -----------------------------------------------------------------------------------------


AGENT_COLUMNS = ("pk", "employee_no", "name")


def _agent_row_json(row: Sequence[Any] | None) -> dict | None:
    """An agent as the API shows them, from a row of ``AGENT_COLUMNS`` (or None: no agent)."""
    if row is None or row[0] is None:
        return None
    pk, employee_no, name = row
    return {"id": pk, "employee_no": employee_no, "name": name}


def agent_json(employee: Employee | None) -> dict | None:
    return _agent_row_json(None if employee is None else [getattr(employee, name) for name in AGENT_COLUMNS])


# What the checks and answers of call events read: a few columns, not the wide rows of four tables,
# in SQL compiled once (every call event reads its call, twice: compiling and loading those rows was
# most of its cost).
CALL_FIELDS = ("id", "switch_id", "call_id", "legs", "contact_id")
CALL_CONTACT_FIELDS = (
    "id",
    "centre_id",
    "status",
    "agent_id",
    "queue_id",
    "priority",
    "customer_priority",
    "queued_at",
)
CALL_QUEUE_FIELDS = ("id", "centre_id", "code")
CALL_AGENT_FIELDS = ("id", "employee_no", "name")


def _call_rows(switch_id: int, call_id: str):
    return (
        CtiCall.objects.filter(switch_id=switch_id, call_id=call_id)
        .order_by()
        .values_list(
            *CALL_FIELDS,
            *(f"contact__{name}" for name in CALL_CONTACT_FIELDS),
            *(f"contact__queue__{name}" for name in CALL_QUEUE_FIELDS),
            *(f"contact__agent__{name}" for name in CALL_AGENT_FIELDS),
        )[:1]
    )


_CALL_READ = CompiledRead(_call_rows, switch_id=int, call_id=str)


def _call_from_row(row: Sequence[Any]) -> CtiCall:
    """The call with its contact, the contact's queue and agent, as models holding the row's fields
    (any other field loads when asked for)."""
    values = iter(row)

    def take(model, names):
        taken = [next(values) for _name in names]
        return instance(model, names, taken) if taken[0] is not None else None  # names start with "id"

    call = take(CtiCall, CALL_FIELDS)
    contact = take(Contact, CALL_CONTACT_FIELDS)
    contact.queue = take(Queue, CALL_QUEUE_FIELDS)
    contact.agent = take(Employee, CALL_AGENT_FIELDS)
    call.contact = contact
    return call


def _call(switch: Switch, call_id: str) -> CtiCall:
    row = _CALL_READ.first(switch_id=switch.pk, call_id=call_id)
    if row is None:
        raise NotFound(_("No call with the id %(call)s is known.") % {"call": call_id}, code="unknown_call")
    return _call_from_row(row)


def call_json(call: CtiCall) -> dict:
    contact = call.contact
    return {
        "call_id": call.call_id,
        "contact_id": contact.pk,
        "leg": call.legs,
        "status": contact.status,
        "queue": contact.queue.code if contact.queue_id else None,
        "agent": agent_json(contact.agent),
    }


def _serving_agents(queue: Queue, required: Mapping[int, int]) -> int:
    serving = AgentSession.objects.filter(employee__centre_id=queue.centre_id, state__in=SERVING_STATES).exclude(
        employee__status=Employee.Status.LEFT
    )
    if not required:
        return serving.count()
    skills: dict[int, dict[int, int]] = {}
    for employee_id, skill_id, level in EmployeeSkill.objects.filter(
        employee_id__in=serving.values("employee_id"), skill_id__in=list(required)
    ).values_list("employee_id", "skill_id", "level"):
        skills.setdefault(employee_id, {})[skill_id] = level
    return sum(1 for agent_skills in skills.values() if rules.has_skills(agent_skills, required))


def route_json(call: CtiCall) -> dict:
    """CT-6: where the call goes now: the agent it is offered to, or its place in the queue and wait."""
    contact = call.contact
    answer = {
        "call_id": call.call_id,
        "contact_id": contact.pk,
        "decision": "none",
        "agent": agent_json(contact.agent),
        "queue": contact.queue.code if contact.queue_id else None,
        "position": None,
        "estimated_wait_seconds": None,
        "status": contact.status,
    }
    if contact.status == Status.OFFERED:
        answer["decision"] = "agent"
    elif contact.status == Status.QUEUED:
        answer["decision"] = "queue"
        answer.update(_queue_place(contact))
    return answer


def _queue_place(contact: Contact) -> dict:
    queue = contact.queue
    queue_policy = services.queue_policies(contact.centre_id).get(queue.pk)
    if queue_policy is None:
        return {}
    position = services.position_in_queue(contact, queue_policy)
    sample = policy("contact.estimated_wait_sample_contacts", contact.centre_id)
    samples = list(
        Contact.objects.filter(queue_id=queue.pk, status=Status.ENDED, closed_at__isnull=False)
        .order_by("-closed_at")
        .values_list("talk_seconds", "hold_seconds", "acw_seconds")[:sample]
    )
    handle = average_handle_seconds(samples, policy("contact.estimated_wait_default_handle_seconds", contact.centre_id))
    agents = _serving_agents(queue, queue_policy.required_skills)
    return {
        "position": position,
        "estimated_wait_seconds": rules.estimated_wait_seconds(position or 0, agents, handle),
    }


def _switch_call_of(contact_id: int) -> tuple[int, str] | None:
    """(switch id, call id) of the switch's call carrying `contact_id`; None for a contact no switch
    carries (a chat, a call of the console). Read once per unit of work: the push of an offer and
    the answer listing it both need it."""
    return memo.remembered(("cti.switch_call", contact_id), lambda: _SWITCH_CALL_READ.first(contact_id=contact_id))


_SWITCH_CALL_READ = CompiledRead(
    lambda contact_id: (
        CtiCall.objects.filter(contact_id=contact_id).order_by("pk").values_list("switch_id", "call_id")[:1]
    ),
    contact_id=int,
)
_AGENT_ROW_READ = CompiledRead(
    lambda agent_id: Employee.objects.filter(pk=agent_id).order_by().values_list(*AGENT_COLUMNS)[:1], agent_id=int
)


def _agent_row(agent_id: int | None) -> Sequence[Any] | None:
    if agent_id is None:
        return None
    return memo.remembered(("cti.agent_row", agent_id), lambda: _AGENT_ROW_READ.first(agent_id=agent_id))


def _offers(switch: Switch, offered: Sequence[Contact]) -> list[dict]:
    answer = []
    for contact in offered:
        call = _switch_call_of(contact.pk)
        if call is not None and call[0] == switch.pk:
            answer.append(
                {"call_id": call[1], "contact_id": contact.pk, "agent": _agent_row_json(_agent_row(contact.agent_id))}
            )
    return answer


def route_waiting_calls(*, switch: Switch, now: datetime) -> list[dict]:
    """Run routing for the switch's centre; the offers made for this switch's calls (offers of a
    round run for another event at the same time reach the switch as pushes)."""
    return _offers(switch, services.route_committed(centre=switch.centre, now=now))


def route_call(*, switch: Switch, call_id: str, now: datetime) -> dict:
    """The switch asks where to route `call_id`: route the centre's waiting calls, then answer."""
    _call(switch, call_id)  # 404 before routing anything
    route_waiting_calls(switch=switch, now=now)
    return route_json(_call(switch, call_id))


def call_state(*, switch: Switch, call_id: str) -> dict:
    call = _call(switch, call_id)
    answer = call_json(call)
    answer["route"] = route_json(call) if call.contact.status in (Status.QUEUED, Status.OFFERED) else None
    return answer


# --- events ------------------------------------------------------------------------------------------


@dataclass
class Applied:
    outcome: str
    call: CtiCall | None = None
    agent: Employee | None = None


def _unknown_agent(employee_no: str) -> NotFound:
    return NotFound(
        _("No agent with the employee number %(number)s is known.") % {"number": employee_no}, code="unknown_agent"
    )


def _employees(centre_id: int, employee_no: str):
    return Employee.objects.filter(centre_id=centre_id, employee_no=employee_no).order_by()


EMPLOYEE_FIELDS = tuple(field.attname for field in Employee._meta.concrete_fields)
# Every agent event names its agent (compiled once).
_EMPLOYEE_READ = CompiledRead(
    lambda centre_id, employee_no: _employees(centre_id, employee_no).values_list(*EMPLOYEE_FIELDS)[:1],
    centre_id=int,
    employee_no=str,
)


def _employee(switch: Switch, employee_no: str) -> Employee:
    row = _EMPLOYEE_READ.first(centre_id=switch.centre_id, employee_no=employee_no)
    if row is None:
        raise _unknown_agent(employee_no)
    return instance(Employee, EMPLOYEE_FIELDS, row)


_EMPLOYEE_ID_READ = CompiledRead(
    lambda centre_id, employee_no: _employees(centre_id, employee_no).values_list("pk")[:1],
    centre_id=int,
    employee_no=str,
)


def _employee_id(switch: Switch, employee_no: str) -> int:
    """The id of the agent `employee_no`, for checks that need nothing else of them."""
    row = _EMPLOYEE_ID_READ.first(centre_id=switch.centre_id, employee_no=employee_no)
    if row is None:
        raise _unknown_agent(employee_no)
    return row[0]


def _queue(switch: Switch, code: str, field: str) -> Queue:
    """The queue `code` of the switch's centre (read-only: the process keeps the centre's queues)."""
    queues = memo.configuration(
        ("contact.queues_by_code", switch.centre_id),
        lambda: {
            queue.code: queue
            for queue in Queue.objects.select_related("channel", "centre").filter(centre_id=switch.centre_id)
        },
    )
    queue = queues.get(code)
    if queue is None:
        raise invalid(field, _("No queue has the code %(code)s."), code="unknown_queue", params={"code": code})
    return queue


def _out_of_order(kind: str, call: CtiCall) -> Conflict:
    return Conflict(
        _("The event %(event)s is not possible while the call %(call)s is %(status)s.")
        % {"event": kind, "call": call.call_id, "status": call.contact.get_status_display()},
        code="event_out_of_order",
    )


def _check_time(at: datetime, previous: datetime | None, what: str) -> None:
    if previous is not None and at < previous:
        raise Conflict(
            _("The event time %(at)s is earlier than the previous event of %(what)s (%(previous)s).")
            % {"at": at.isoformat(), "what": what, "previous": previous.isoformat()},
            code="event_out_of_order",
        )


_CALL_KNOWN_READ = CompiledRead(
    lambda switch_id, call_id: CtiCall.objects.filter(switch_id=switch_id, call_id=call_id).values_list("pk")[:1],
    switch_id=int,
    call_id=str,
)


def _call_known(switch: Switch, call_id: str) -> bool:
    """A call of the switch, or a contact of the centre, has this call id already."""
    return bool(
        _CALL_KNOWN_READ.first(switch_id=switch.pk, call_id=call_id)
        or services.EXTERNAL_ID_READ.first(centre_id=switch.centre_id, external_id=call_id)
    )


def _apply_offered(switch: Switch, event: Mapping[str, Any], at: datetime) -> Applied:
    call_id = event["call_id"]
    if _call_known(switch, call_id):
        raise Conflict(_("The call %(call)s was already offered.") % {"call": call_id}, code="call_exists")
    queue = _queue(switch, event["queue"], "queue")
    channel = event.get("channel") or ""
    if channel and channel != queue.channel.code:
        raise invalid(
            "channel",
            _("The queue %(queue)s takes %(expected)s contacts, not %(channel)s."),
            code="wrong_channel",
            params={"queue": queue.code, "expected": queue.channel.code, "channel": channel},
        )
    contact = services.enqueue_contact(
        queue=queue,
        now=at,
        caller_number=event.get("caller_number") or "",
        external_id=call_id,
        ivr_path=event.get("ivr_path") or [],
    )
    call = CtiCall.objects.create(switch=switch, call_id=call_id, contact=contact)
    return Applied("queued", call=call)


def _apply_dialed(switch: Switch, event: Mapping[str, Any], at: datetime) -> Applied:
    """CT-10: the agent dialled from the phone: an outside number (外拨) or a colleague (内呼)."""
    call_id = event["call_id"]
    if _call_known(switch, call_id):
        raise Conflict(_("The call %(call)s was already offered.") % {"call": call_id}, code="call_exists")
    agent = _employee(switch, event["agent"])
    party = event["party"]
    if party.get("agent"):
        contact = console.internal_call(agent=agent, callee_no=party["agent"], now=at, external_id=call_id)
    else:
        contact = console.dial_out(agent=agent, number=party["number"], now=at, external_id=call_id)
    call = CtiCall.objects.create(switch=switch, call_id=call_id, contact=contact)
    return Applied("dialed", call=call)


# The time of a contact's last event (its calls' events may not go back before it).
_LAST_EVENT_READ = CompiledRead(
    lambda contact_id: (
        ContactEvent.objects.filter(contact_id=contact_id)
        .order_by()
        .values("contact_id")
        .annotate(last=Max("at"))
        .values_list("last")
    ),
    contact_id=int,
)


def _apply_call_event(switch: Switch, event: Mapping[str, Any], at: datetime) -> Applied:
    kind = event["type"]
    call = _call(switch, event["call_id"])
    contact = call.contact
    if not event_allowed(kind, contact.status):
        raise _out_of_order(kind, call)
    last = _LAST_EVENT_READ.first(contact_id=contact.pk)
    _check_time(at, last[0] if last else None, call.call_id)
    named_agent = kind in ("ringing", "answered") and event.get("agent")
    if named_agent and _employee_id(switch, event["agent"]) != contact.agent_id:
        raise Conflict(
            _("The call %(call)s is not offered to the agent %(number)s.")
            % {"call": call.call_id, "number": event["agent"]},
            code="not_offered_to_agent",
        )
    outcome = kind
    if kind == "ringing":
        services.ring_contact(contact_id=contact.pk, now=at)
    elif kind == "answered":
        services.answer_contact(contact_id=contact.pk, now=at)
    elif kind == "held":
        services.hold_contact(contact_id=contact.pk, now=at)
    elif kind == "retrieved":
        services.retrieve_contact(contact_id=contact.pk, now=at)
    elif kind == "far_end_answered":
        console.answer_call(contact_id=contact.pk, now=at)
        outcome = "answered"
    elif kind == "dial_failed" or (kind == "ended" and contact.status == Status.OFFERED and not contact.queue_id):
        console.dial_failed(contact_id=contact.pk, now=at, reason=event.get("reason") or "")
        outcome = "dial_failed"
    elif kind == "courtesy_message":
        compliance.record_courtesy_message(contact_id=contact.pk, now=at)
        outcome = "courtesy_message"
    elif kind == "ended" and contact.status in (Status.QUEUED, Status.OFFERED):
        services.abandon_contact(contact_id=contact.pk, now=at)
        outcome = "abandoned"
    elif kind == "ended":
        console.end_call(contact_id=contact.pk, now=at)
    elif kind == "recording_available":
        services.attach_recording(contact_id=contact.pk, ref=event["recording"], now=at)
        outcome = "recording_stored"
    elif kind in ("conferenced", "consulted"):
        party = event["party"]
        console.call_leg(
            contact_id=contact.pk,
            kind=kind,
            now=at,
            agent=_employee(switch, party["agent"]) if party.get("agent") else None,
            number=party.get("number") or "",
            phase=event.get("phase") or "start",
        )
    elif kind == "transferred":
        target = event["to"]
        leg = call.legs + 1
        _old, new = console.transfer_call(
            contact_id=contact.pk,
            now=at,
            to_agent=_employee(switch, target["agent"]) if target.get("agent") else None,
            to_queue=_queue(switch, target["queue"], "to.queue") if target.get("queue") else None,
            to_number=target.get("number") or "",
            new_external_id=f"{call.call_id[:90]}#{leg}",
        )
        if new is not None:
            call.contact, call.legs = new, leg
            call.save(update_fields=["contact", "legs"])
    return Applied(outcome, call=call)


_SESSION_READ = CompiledRead(
    lambda employee_id: (
        AgentSession.objects.filter(employee_id=employee_id)
        .order_by("pk")
        .values_list("state", "state_since", "away_reason")[:1]
    ),
    employee_id=int,
)
_IN_WRAP_UP_READ = CompiledRead(
    lambda agent_id: Contact.objects.filter(agent_id=agent_id, status=Contact.Status.ACW).values_list("pk"),
    agent_id=int,
)


def _apply_agent_event(switch: Switch, event: Mapping[str, Any], at: datetime) -> Applied:
    employee = _employee(switch, event["agent"])
    session = _SESSION_READ.first(employee_id=employee.pk)
    _check_time(at, session[1] if session else None, employee.employee_no)
    if event["type"] in WRAP_UP_EVENTS:
        # A switch reports "ready" when the agent presses the wrap-up key, and "away" when they pick
        # an away reason during wrap-up: either ends the agent's after-call work (CT-9), which leaves
        # them ready unless they still hold other contacts; "away" then takes them from ready.
        for (contact_id,) in _IN_WRAP_UP_READ.rows(agent_id=employee.pk):
            services.finish_acw(contact_id=contact_id, now=at)
        if event["type"] == "agent_ready":
            session = _SESSION_READ.first(employee_id=employee.pk)
            if session and session[0] == AgentSession.State.READY:
                return Applied(session[0], agent=employee)
    session = services.set_agent_state(
        agent=employee, action=AGENT_EVENTS[event["type"]], now=at, away_reason=event.get("away_reason") or ""
    )
    return Applied(session.state, agent=employee)


def _apply(switch: Switch, event: Mapping[str, Any], at: datetime) -> Applied:
    kind = event["type"]
    if kind == "offered":
        return _apply_offered(switch, event, at)
    if kind == "dialed":
        return _apply_dialed(switch, event, at)
    if kind in CALL_EVENTS:
        return _apply_call_event(switch, event, at)
    return _apply_agent_event(switch, event, at)


def _seen(switch: Switch, event_id: str, digest: str) -> CtiEvent | None:
    seen = CtiEvent.objects.filter(switch=switch, event_id=event_id).order_by().first()
    if seen is not None and seen.digest != digest:
        raise Conflict(
            _("The event id %(id)s was already used for a different event.") % {"id": event_id},
            code="event_id_reused",
        )
    return seen


def _agent_state_json(employee: Employee) -> dict:
    session = _SESSION_READ.first(employee_id=employee.pk)
    answer = agent_json(employee) or {}
    answer["state"] = session[0] if session else AgentSession.State.LOGGED_OUT
    answer["away_reason"] = session[2] if session else ""
    return answer


def _answer(
    switch: Switch,
    event: Mapping[str, Any],
    *,
    outcome: str,
    duplicate: bool,
    offers: list[dict],
    agent: Employee | None = None,
) -> dict:
    kind = event["type"]
    answer: dict[str, Any] = {
        "event_id": event["event_id"],
        "type": kind,
        "duplicate": duplicate,
        "outcome": outcome,
        "call": None,
        "route": None,
        "agent": None,
        "offers": offers,
    }
    if kind in CALL_EVENTS:
        call = _call(switch, event["call_id"])
        answer["call"] = call_json(call)
        if kind in ("offered", "transferred"):
            answer["route"] = route_json(call)
    else:
        answer["agent"] = _agent_state_json(agent or _employee(switch, event["agent"]))
    return answer


def handle_event(*, switch: Switch, event: Mapping[str, Any], body: Mapping[str, Any], received_at: datetime) -> dict:
    """CT-1: apply one switch event, once. `event` is the validated body, `body` the body as sent.

    A repeat of an applied event id answers as before with ``duplicate: true`` and changes nothing;
    any refusal (400, 404, 409) changes nothing and records nothing.
    """
    with memo.unit_of_work():
        return _handle_event(switch=switch, event=event, body=body, received_at=received_at)


def _handle_event(*, switch: Switch, event: Mapping[str, Any], body: Mapping[str, Any], received_at: datetime) -> dict:
    digest = body_digest(body)
    at = event.get("at") or received_at
    seen = None
    try:
        with transaction.atomic():
            # The id is claimed first: a repeat fails on the unique index (a concurrent one waits
            # there until this one commits), and is then answered from the row it collided with.
            log = CtiEvent.objects.create(
                switch=switch,
                event_id=event["event_id"],
                kind=event["type"],
                call_id=event.get("call_id") or "",
                digest=digest,
                at=at,
                received_at=received_at,
            )
            applied = _apply(switch, event, at)
            log.outcome = applied.outcome
            log.contact_id = applied.call.contact_id if applied.call else None
            log.save(update_fields=["outcome", "contact"])
    except IntegrityError:
        seen = _seen(switch, event["event_id"], digest)
        if seen is None:
            raise
    if seen is not None:
        return _answer(switch, event, outcome=seen.outcome, duplicate=True, offers=[])
    offers = route_waiting_calls(switch=switch, now=at) if event["type"] in ROUTING_EVENTS else []
    return _answer(switch, event, outcome=applied.outcome, duplicate=False, offers=offers, agent=applied.agent)


# --- pushes to the switch ----------------------------------------------------------------------------

PUSHED = {"contact.offered": "offer", "contact.offer_expired": "offer_withdrawn", "contact.dialed": "dial"}


def switch_group(switch_id: int) -> str:
    """The channel-layer group of a switch's WebSocket connections."""
    return f"cti.switch.{switch_id}"


def push_to_switch(kind: str, payload: dict[str, Any]) -> None:
    """After commit: tell the switch that owns the call about an offer or a withdrawn offer."""
    message_type = PUSHED.get(kind)
    if message_type is None or payload.get("contact_id") is None:
        return
    contact_id = payload["contact_id"]
    call = _switch_call_of(contact_id)
    if call is None:
        return
    switch_id, call_id = call
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    message = {
        "type": message_type,
        "call_id": call_id,
        "contact_id": contact_id,
        "agent": _agent_row_json(_agent_row(payload.get("agent_id"))),
    }
    if message_type == "dial":
        if call_id != console.console_call_id(contact_id):
            return  # the switch reported this dial itself
        # The console placed the call: the switch rings the number, or the colleague's extension.
        contact = Contact.objects.get(pk=contact_id)
        callee = contact.parties.select_related("agent").first() if contact.direction == "internal" else None
        message["number"] = "" if callee else contact.caller_number
        message["to_agent"] = agent_json(callee.agent) if callee else None
    async_to_sync(layer.group_send)(switch_group(switch_id), {"type": "cti.push", "message": message})


events.subscribe(push_to_switch)
