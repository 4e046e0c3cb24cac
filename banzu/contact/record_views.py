"""Contact records (CT-15): search, export and one contact with the timeline of every event.

Callers' numbers are masked for roles that may not see customers' data (CT-18).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, QuerySet
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from banzu.contact import selectors
from banzu.contact.models import AgentSession, Channel, Contact, ContactEvent, Queue
from banzu.contact.routing_views import _query_string, xlsx_download
from banzu.contact.views import PAGE_SIZE, _zone
from banzu.core import scoping
from banzu.core.errors import OutOfScope
from banzu.core.masking import mask_name, mask_phone
from banzu.org.models import Employee

SEARCH = "contact.search_contacts"
# The shared state colours (ringing amber, talking blue, after-call work purple), with the status text.
STATUS_BADGES = {
    Contact.Status.QUEUED: "bg-yellow-lt",
    Contact.Status.OFFERED: "bg-orange-lt",
    Contact.Status.CONNECTED: "bg-blue-lt",
    Contact.Status.ON_HOLD: "bg-blue-lt",
    Contact.Status.ACW: "bg-purple-lt",
    Contact.Status.ENDED: "bg-secondary-lt",
    Contact.Status.ABANDONED: "bg-red-lt",
    Contact.Status.CALLBACK_REQUESTED: "bg-cyan-lt",
}
EXPORT = "contact.export_contacts"


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _search(rows: QuerySet[Contact], params: Any, zone) -> QuerySet[Contact]:
    """The search form's filters; unknown or malformed values are ignored, never an error page."""
    since, until = _day(params.get("since", "")), _day(params.get("until", ""))
    if since:
        rows = rows.filter(arrived_at__gte=datetime.combine(since, time.min, tzinfo=zone))
    if until:
        rows = rows.filter(arrived_at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone))
    for name in ("queue", "channel", "agent"):
        raw = params.get(name, "")
        if raw.isdigit():
            rows = rows.filter(**{f"{name}_id": int(raw)})
    for name, choices in (("status", Contact.Status.values), ("direction", Contact.Direction.values)):
        if params.get(name, "") in choices:
            rows = rows.filter(**{name: params[name]})
    number = "".join(ch for ch in params.get("number", "") if ch.isdigit() or ch == "+")
    if number:
        rows = rows.filter(caller_number__contains=number)
    from banzu.workorders.models import WorkOrder

    recorded = Exists(WorkOrder.objects.filter(contact=OuterRef("pk")))
    if params.get("work_order") == "yes":
        rows = rows.filter(recorded)
    elif params.get("work_order") == "no":
        rows = rows.filter(~recorded)
    disposition = params.get("disposition", "").strip()
    if disposition:
        rows = rows.filter(disposition__icontains=disposition)
    return rows.annotate(has_work_order=recorded)


def _caller(contact: Contact, personal: bool) -> str:
    return contact.caller_number if personal else mask_phone(contact.caller_number)


def _local(moment: datetime | None, zone) -> datetime | None:
    return timezone.localtime(moment, zone) if moment else None


@require_GET
def contact_search(request):
    """Contacts in the user's scope, newest first, by date, queue, agent, number, status…"""
    scoping.ensure_can(request.user, SEARCH)
    zone = _zone(request.user)
    rows = _search(selectors.contacts_visible_to(request.user), request.GET, zone)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    personal = scoping.can(request.user, "contact.view_customer_data")
    items = [
        {
            "contact": contact,
            "caller": _caller(contact, personal),
            "arrived": _local(contact.arrived_at, zone),
            "badge": STATUS_BADGES.get(contact.status, ""),
        }
        for contact in page
    ]
    agents = scoping.restrict(
        Employee.objects.exclude(status=Employee.Status.LEFT).order_by("employee_no"), request.user, SEARCH
    )
    context = {
        "page": page,
        "items": items,
        "filters": request.GET,
        "filtered": any(value for key, value in request.GET.items() if key != "page"),
        "query_string": _query_string(request),
        "queues": selectors.queues_visible_to(request.user).order_by("code"),
        "channels": Channel.objects.order_by("code"),
        "agents": agents,
        "statuses": Contact.Status.choices,
        "directions": Contact.Direction.choices,
        "can_export": scoping.can(request.user, EXPORT),
    }
    return render(request, "contact/contact_search.html", context)


@require_GET
def contact_export(request):
    """The searched contacts as xlsx, restricted by the export scope (not only the view scope)."""
    scoping.ensure_can(request.user, EXPORT)
    zone = _zone(request.user)
    personal = scoping.can(request.user, "contact.view_customer_data")
    rows = _search(selectors.contacts_exported_by(request.user), request.GET, zone)

    def local(moment: datetime | None) -> datetime | None:
        # Spreadsheets have no time zones: the centre's local time, as on the screen.
        return moment.astimezone(zone).replace(tzinfo=None) if moment else None

    def lines():
        for contact in rows.iterator(chunk_size=1000):
            yield [
                contact.pk,
                local(contact.arrived_at),
                contact.channel.name,
                contact.queue.name if contact.queue else "",
                contact.get_direction_display(),
                contact.get_status_display(),
                _caller(contact, personal),
                contact.agent.name if contact.agent else "",
                contact.wait_seconds,
                contact.talk_seconds,
                contact.hold_seconds,
                contact.acw_seconds,
                contact.disposition,
                contact.rating,
                _("Yes") if contact.has_work_order else _("No"),
            ]

    header = [
        _("Contact"),
        _("Arrived at"),
        _("Channel"),
        _("Queue"),
        _("Direction"),
        _("Status"),
        _("Caller number"),
        _("Agent"),
        _("Wait (seconds)"),
        _("Talk time (seconds)"),
        _("Hold time (seconds)"),
        _("After-call work (seconds)"),
        _("Disposition"),
        _("Satisfaction rating"),
        _("Work order"),
    ]
    day = timezone.localdate().isoformat()
    return xlsx_download(_("Contacts"), header, lines(), f"contacts-{day}.xlsx")


# --- one contact ------------------------------------------------------------------------------------------


def _describe(event: ContactEvent, names: dict[int, str], queues: dict[int, str], personal: bool) -> dict:
    """An event's detail as a sentence and, where it leads to another contact, a link."""
    detail = event.detail or {}
    text, link = "", None
    number = detail.get("to_number") or detail.get("number") or ""
    shown = number if personal or not number else mask_phone(number)
    if event.kind == ContactEvent.Kind.OFFERED and detail.get("offer"):
        text = _("Offer no. %(offer)s") % {"offer": detail["offer"]}
    elif event.kind == ContactEvent.Kind.TRANSFERRED:
        if detail.get("to_agent_id"):
            text = _("Transferred to agent %(name)s") % {"name": names.get(detail["to_agent_id"], "—")}
        elif detail.get("to_queue_id"):
            text = _("Transferred to queue %(name)s") % {"name": queues.get(detail["to_queue_id"], "—")}
        elif shown:
            text = _("Transferred to number %(number)s") % {"number": shown}
        if detail.get("new_contact_id"):
            link = detail["new_contact_id"]
    elif event.kind in (ContactEvent.Kind.CONFERENCED, ContactEvent.Kind.CONSULTED):
        party = names.get(detail.get("party_agent_id"), "") or shown
        if detail.get("phase") == "end":
            text = _("Ended with %(party)s") % {"party": party}
        else:
            text = _("Started with %(party)s") % {"party": party}
    elif event.kind == ContactEvent.Kind.RECORDING_AVAILABLE and detail.get("recording"):
        text = _("Recording: %(ref)s") % {"ref": detail["recording"]}
    elif event.kind == ContactEvent.Kind.CALLBACK_REQUESTED and detail.get("callback_id"):
        text, link = _("Callback contact created"), detail["callback_id"]
    elif detail.get("callback_for"):
        text, link = _("Callback for an earlier contact"), detail["callback_for"]
    return {"text": text, "link": link}


def timeline(contact: Contact, zone, personal: bool) -> list[dict]:
    """CT-15: every event of the contact and the agent state changes it caused, in time order."""
    events = list(contact.events.select_related("agent", "queue").order_by("at", "pk"))
    # The leg this contact continues, when it came from a transfer (the event sits on the old leg).
    origins = ContactEvent.objects.filter(kind=ContactEvent.Kind.TRANSFERRED, detail__new_contact_id=contact.pk)
    agent_ids = {
        value
        for event in events
        for key, value in (event.detail or {}).items()
        if key in ("to_agent_id", "party_agent_id") and value
    }
    queue_ids = {
        event.detail.get("to_queue_id") for event in events if event.detail and event.detail.get("to_queue_id")
    }
    names = dict(Employee.objects.filter(pk__in=agent_ids).values_list("pk", "name"))
    queues = dict(Queue.objects.filter(pk__in=queue_ids).values_list("pk", "name"))
    entries = []
    for origin in origins.select_related("agent"):
        entries.append(
            {
                "at": origin.at,
                "order": 0,
                "what": _("Transferred here"),
                "who": origin.agent,
                "text": _("From contact #%(pk)s") % {"pk": origin.contact_id},
                "link": origin.contact_id,
                "kind": "transferred",
            }
        )
    for event in events:
        described = _describe(event, names, queues, personal)
        entries.append(
            {
                "at": event.at,
                "order": 1,
                "what": event.get_kind_display(),
                "who": event.agent,
                "queue": event.queue,
                "kind": event.kind,
                **described,
            }
        )
    states = dict(AgentSession.State.choices)
    for change in contact.agent_state_changes.select_related("agent", "changed_by").order_by("at", "pk"):
        entries.append(
            {
                "at": change.at,
                "order": 2,
                "what": _("Agent state"),
                "who": change.agent,
                "text": f"{states.get(change.from_state, '')} → {states.get(change.to_state, '')}",
                "link": None,
                "kind": "state",
                "state": change.to_state,
            }
        )
    entries.sort(key=lambda e: (e["at"], e["order"]))
    for entry in entries:
        entry["time"] = timezone.localtime(entry["at"], zone).strftime("%H:%M:%S")
    return entries


@require_GET
def contact_detail(request, pk: int):
    """CT-15: the facts of one contact, its timeline, exceptions and work orders."""
    scoping.ensure_can(request.user, SEARCH)
    contact = selectors.contacts_visible_to(request.user).filter(pk=pk).first()
    if contact is None:
        raise OutOfScope()
    zone = _zone(request.user)
    personal = scoping.can(request.user, "contact.view_customer_data")
    from banzu.workorders import selectors as work_orders

    orders = list(work_orders.work_orders_visible_to(request.user).filter(contact=contact).order_by("pk"))
    hidden_orders = contact.work_orders.exclude(pk__in=[o.pk for o in orders]).exists()
    exceptions = []
    if scoping.can(request.user, "contact.view_service_exceptions"):
        exceptions = list(selectors.service_exceptions_visible_to(request.user).filter(contact=contact))
    agents = {event.agent for event in contact.events.select_related("agent") if event.agent}
    if contact.agent:
        agents.add(contact.agent)
    create_url = None
    if not orders and not hidden_orders and scoping.can(request.user, "workorders.create"):
        create_url = f"{reverse('workorders:create')}?contact={contact.pk}"
    customer = contact.customer
    context = {
        "contact": contact,
        "badge": STATUS_BADGES.get(contact.status, ""),
        "caller": _caller(contact, personal),
        "customer_name": (customer.name if personal else mask_name(customer.name)) if customer else "",
        "times": [
            (_("Arrived at"), _local(contact.arrived_at, zone)),
            (_("Offered at"), _local(contact.offered_at, zone)),
            (_("Answered at"), _local(contact.answered_at, zone)),
            (_("Ended at"), _local(contact.ended_at, zone)),
            (_("After-call work finished at"), _local(contact.closed_at, zone)),
        ],
        "durations": [
            (_("Wait"), contact.wait_seconds),
            (_("Talk"), contact.talk_seconds),
            (_("Hold"), contact.hold_seconds),
            (_("After-call work"), contact.acw_seconds),
        ],
        "agents": sorted(agents, key=lambda e: e.employee_no),
        "ivr_path": " › ".join(str(step) for step in contact.ivr_path or []),
        "timeline": timeline(contact, zone, personal),
        "orders": orders,
        "hidden_orders": hidden_orders,
        "exceptions": exceptions,
        "create_url": create_url,
        "can_view_recordings": scoping.can(request.user, "contact.view_recordings"),
    }
    return render(request, "contact/contact_detail.html", context)
