"""How a work order is shown to a reader: the urgent mark and masked customer data (pages, API, export)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from banzu.core import scoping
from banzu.core.masking import mask_name, mask_phone
from banzu.workorders import rules
from banzu.workorders.models import WorkOrder


def urgent_mark() -> str:
    return _("[Urgent]")


def display_title(order: WorkOrder) -> str:
    """WO-7: the title carries the urgent mark, in the reader's language."""
    return rules.compose_title(order.location, order.summary, urgent_mark=urgent_mark() if order.urgent else "")


def shows_customer_data(user: Any) -> bool:
    """Roles that handle work orders see the caller number and name in full; others masked."""
    return scoping.can(user, "workorders.view_customer_data")


def caller(order: WorkOrder, full: bool) -> tuple[str, str]:
    if full:
        return order.caller_number, order.customer_name
    return mask_phone(order.caller_number), mask_name(order.customer_name)


def contact_caller(contact: Any, full: bool) -> str:
    """A contact's caller number as a reader may see it (WO-1 exception list)."""
    return contact.caller_number if full else mask_phone(contact.caller_number)
