"""Reads of contacts, queues and agent states, restricted by core.scoping (ORG-7)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from banzu.contact.models import AgentSession, Contact, Queue
from banzu.core import scoping
from banzu.core.compiled import CompiledRead


def queue_rows() -> QuerySet[Queue]:
    """Queues with their channel, department and the number waiting (排队数), before scoping."""
    return Queue.objects.select_related("channel", "department", "overflow_queue").annotate(
        waiting=Count("contacts", filter=Q(contacts__status=Contact.Status.QUEUED))
    )


def contact_rows() -> QuerySet[Contact]:
    return Contact.objects.select_related("channel", "queue", "customer", "agent")


def agent_state_rows() -> QuerySet[AgentSession]:
    return AgentSession.objects.select_related("employee", "employee__team")


def queues_visible_to(user: Any) -> QuerySet[Queue]:
    return scoping.restrict(queue_rows(), user, "contact.view_queues")


def contacts_visible_to(user: Any) -> QuerySet[Contact]:
    return scoping.restrict(contact_rows(), user, "contact.view_contacts")


def agent_states_visible_to(user: Any) -> QuerySet[AgentSession]:
    return scoping.restrict(agent_state_rows(), user, "contact.view_agent_states")


# --- interval statistics, service-rule exceptions, recordings, IVR (CT-4, CT-12, CT-16, CT-17) --------


def queue_intervals_visible_to(user: Any) -> QuerySet:
    from banzu.contact.models import QueueInterval

    rows = QueueInterval.objects.select_related("queue")
    return scoping.restrict(rows, user, "contact.view_interval_statistics")


def agent_intervals_visible_to(user: Any) -> QuerySet:
    from banzu.contact.models import AgentInterval

    rows = AgentInterval.objects.select_related("agent")
    return scoping.restrict(rows, user, "contact.view_interval_statistics")


def service_exceptions_visible_to(user: Any) -> QuerySet:
    from banzu.contact.models import ServiceException

    rows = ServiceException.objects.select_related("contact", "contact__queue", "agent", "agent__team")
    return scoping.restrict(rows, user, "contact.view_service_exceptions")


def recordings_visible_to(user: Any) -> QuerySet:
    from banzu.contact.models import Recording

    rows = Recording.objects.select_related("contact", "contact__agent")
    return scoping.restrict(rows, user, "contact.view_recordings")


def ivr_nodes_visible_to(user: Any) -> QuerySet:
    """The menu of the user's centre: configuration every role of the centre may read (CT-4)."""
    from banzu.contact.models import IvrNode

    if not scoping.can(user, "contact.view_ivr"):
        return IvrNode.objects.none()
    actor = scoping.actor_for(user)
    return IvrNode.objects.filter(centre_id=actor.centre_id).select_related("queue").order_by("parent_id", "key")


# --- routing set-up and contact records (CT-5, CT-15) ---------------------------------------------------


def queues_managed_by(user: Any) -> QuerySet[Queue]:
    """Queues the user may set up, with the number waiting, skills and hours for the list."""
    rows = queue_rows().prefetch_related("skills__skill", "hours")
    return scoping.restrict(rows, user, "contact.manage_queues")


def skill_matrix_rows(user: Any, action: str = "contact.view_skill_matrix") -> QuerySet:
    """Employees still employed in the user's scope, with their skills, for the skill matrix."""
    from banzu.org.models import Employee

    rows = (
        Employee.objects.exclude(status=Employee.Status.LEFT)
        .select_related("team")
        .prefetch_related("skills")
        .order_by("team__code", "employee_no")
    )
    return scoping.restrict(rows, user, action)


def contacts_exported_by(user: Any) -> QuerySet[Contact]:
    return scoping.restrict(contact_rows(), user, "contact.export_contacts")


# --- customers (CT-11, CT-18) ---------------------------------------------------------------------------


def customers_visible_to(user: Any, action: str = "contact.view_customers") -> QuerySet:
    """Customers of the user's centre that are records of their own (not merged into another)."""
    from banzu.contact.models import Customer

    rows = Customer.objects.filter(merged_into__isnull=True).prefetch_related("numbers")
    return scoping.restrict(rows, user, action)


def _with_tag(rows: QuerySet, tag: str) -> QuerySet:
    from django.db import connection

    if connection.features.supports_json_field_contains:
        return rows.filter(tags__contains=[tag])
    # SQLite keeps the list as JSON text: match the quoted tag, then confirm in Python.
    import json

    candidates = rows.filter(tags__icontains=json.dumps(tag)[1:-1]).values_list("pk", "tags")
    return rows.filter(pk__in=[pk for pk, tags in candidates if tag in (tags or [])])


def search_customers(user: Any, *, q: str = "", number: str = "", vip: bool | None = None, tag: str = "") -> QuerySet:
    """CT-18: by any of the numbers (whole or part) and by name; a number entered whole comes first."""
    from django.db.models import Case, IntegerField, Value, When

    from banzu.contact import customers
    from banzu.contact.models import CustomerNumber
    from banzu.core.policies import policy

    rows = customers_visible_to(user)
    actor = scoping.actor_for(user)
    min_digits = policy("contact.customer_number_search_min_digits", actor.centre_id) if actor.centre_id else 4
    exact = ""
    for text, names_too in ((number, False), (q, True)):
        text = (text or "").strip()
        if not text:
            continue
        if customers.is_number_query(text, min_digits):
            digits = customers.normalise_number(text)
            exact = exact or digits
            matches = CustomerNumber.objects.filter(number__contains=digits).values("customer_id")
            rows = rows.filter(pk__in=matches)
        elif names_too:
            rows = rows.filter(name__icontains=text)
        else:
            rows = rows.none()
    if vip is True:
        rows = rows.filter(vip_level__gt=0)
    elif vip is False:
        rows = rows.filter(vip_level=0)
    if tag.strip():
        rows = _with_tag(rows, tag.strip())
    rows = rows.distinct()
    if exact:
        whole = CustomerNumber.objects.filter(number=exact).values("customer_id")
        rows = rows.annotate(
            exact_match=Case(When(pk__in=whole, then=Value(0)), default=Value(1), output_field=IntegerField())
        ).order_by("exact_match", "-vip_level", "name", "pk")
    else:
        rows = rows.order_by("-vip_level", "name", "pk")
    return rows


def _numbers(centre_id: int, number: str) -> QuerySet:
    from banzu.contact.models import CustomerNumber

    return (
        CustomerNumber.objects.filter(centre_id=centre_id, number=number).order_by("pk").values_list("customer_id")[:1]
    )


# Every arriving call looks its caller up (compiled once).
_CUSTOMER_OF_NUMBER_READ = CompiledRead(_numbers, centre_id=int, number=str)


def find_customer(centre_id: int, number: str) -> Any:
    """The customer whose number this is, in the centre, or None (the switch and routing path)."""
    from banzu.contact import customers
    from banzu.contact.models import Customer

    digits = customers.normalise_number(number or "")
    if not digits:
        return None
    row = _CUSTOMER_OF_NUMBER_READ.first(centre_id=centre_id, number=digits)
    if row is None:
        return None
    customer = Customer.objects.get(pk=row[0])
    # A number left on a record merged since still finds the record kept.
    while customer.merged_into_id:
        customer = customer.merged_into
    return customer


def customer_history(customer: Any, user: Any | None, limit: int) -> tuple[list, list]:
    """The customer's latest contacts and work orders that `user` may see (all of them for the system)."""
    from banzu.workorders.models import WorkOrder
    from banzu.workorders.selectors import work_orders_visible_to

    contacts = contact_rows() if user is None else contacts_visible_to(user)
    contacts = contacts.filter(customer=customer).order_by("-arrived_at", "-pk")[:limit]
    orders = WorkOrder.objects.all() if user is None else work_orders_visible_to(user)
    numbers = [n.number for n in customer.numbers.all()]
    linked = Q(contact__customer=customer) | Q(centre_id=customer.centre_id, caller_number__in=numbers)
    orders = orders.filter(linked).order_by("-created_at", "-pk")[:limit]
    return list(contacts), list(orders)


def customer_card(customer: Any, user: Any | None) -> dict:
    """CT-11 screen pop and the customer page: the record, its numbers, latest contacts and work orders,
    and whether the reader sees personal data in full."""
    from banzu.core.policies import policy

    limit = policy("contact.customer_recent_items", customer.centre_id)
    contacts, orders = customer_history(customer, user, limit)
    return {
        "customer": customer,
        "numbers": list(customer.numbers.all()),
        "contacts": contacts,
        "work_orders": orders,
        "full": user is None or scoping.can(user, "contact.view_customer_data"),
    }


def customer_for_number(centre: Any, number: str, user: Any | None = None) -> dict | None:
    """CT-11: the screen pop of a caller — their customer card, or None for an unknown number. With a
    `user`, only what they may see, and masked as they must see it."""
    centre_id = getattr(centre, "pk", centre)
    customer = find_customer(centre_id, number)
    if customer is None:
        return None
    if user is not None and not customers_visible_to(user).filter(pk=customer.pk).exists():
        return None
    return customer_card(customer, user)
