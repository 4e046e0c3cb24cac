"""Reads of contacts, queues and agent states, restricted by core.scoping (ORG-7)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from banzu.contact.models import AgentSession, Contact, Queue
from banzu.core import scoping


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
