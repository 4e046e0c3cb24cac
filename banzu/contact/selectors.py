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
