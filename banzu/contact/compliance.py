"""Service rules checked by the system and recorded as exceptions for QA (CT-12).

A contact is checked when its conversation ends or it is abandoned (``contact.statistics`` calls
:func:`check_contact` in that transaction) and, while it is still live, by the periodic sweep
(``contact.tasks``), so a hold still going on shows up before the call ends. Both are idempotent:
one exception per contact and rule (a unique constraint; a repeat insert is ignored).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from banzu.contact import ivr, rules
from banzu.contact.models import (
    ACTIVE_STATUSES,
    Contact,
    ContactEvent,
    CourtesyMessage,
    ServiceException,
)
from banzu.core.errors import Conflict, OutOfScope
from banzu.core.policies import policies_for

LIMIT_KEYS = [
    "contact.hold_alert_seconds",
    "contact.courtesy_message_seconds",
    "contact.unattended_call_seconds",
    "contact.common_question_minutes",
]
Kind = ContactEvent.Kind
# Contacts the sweep looks at: waiting, ringing, talking or on hold.
SWEPT_STATUSES = (Contact.Status.QUEUED, *ACTIVE_STATUSES)


def limits_for(centre: Any) -> rules.ServiceLimits:
    values = policies_for(centre, LIMIT_KEYS)
    return rules.ServiceLimits(
        hold=values["contact.hold_alert_seconds"],
        courtesy=values["contact.courtesy_message_seconds"],
        unattended=values["contact.unattended_call_seconds"],
        common_question=values["contact.common_question_minutes"] * 60,
    )


def _limit(kind: rules.ExceptionKind, limits: rules.ServiceLimits) -> int:
    return {
        rules.ExceptionKind.LONG_HOLD: limits.hold,
        rules.ExceptionKind.NO_COURTESY_MESSAGE: limits.courtesy,
        rules.ExceptionKind.UNATTENDED: limits.unattended,
        rules.ExceptionKind.LONG_COMMON_QUESTION: limits.common_question,
    }[kind]


def _common_question(contact: Contact, tree: Sequence[rules.IvrNodeSpec] | None) -> bool:
    """Whether the caller's IVR choice is marked a common question (CT-4, CT-12)."""
    if not contact.ivr_path:
        return False
    if tree is None:
        tree = ivr.tree_for(contact.centre_id)
    node = rules.ivr_find(tree, ivr.ivr_keys(contact.ivr_path))
    return node is not None and node.common_question


def timeline_for(contact: Contact, now: datetime, *, common_question: bool = False) -> rules.ContactTimeline:
    """The contact's waits, holds, courtesy messages and handling time up to `now` (or its end)."""
    end = contact.ended_at or now
    waits = []
    if contact.queued_at is not None:
        waits.append((contact.queued_at, contact.answered_at or end))
    holds = []
    held_since = None
    for kind, at in contact.events.filter(kind__in=[Kind.HELD, Kind.RETRIEVED, Kind.ENDED]).values_list("kind", "at"):
        if kind == Kind.HELD:
            held_since = at
        elif held_since is not None:
            holds.append((held_since, at))
            held_since = None
    if held_since is not None:
        holds.append((held_since, end))
    if contact.ended_at is not None:
        handling = contact.talk_seconds + contact.hold_seconds
    elif contact.answered_at is not None:
        handling = max(int((now - contact.answered_at).total_seconds()), 0)
    else:
        handling = 0
    return rules.ContactTimeline(
        waits=waits,
        holds=holds,
        courtesy_at=list(contact.courtesy_messages.values_list("at", flat=True)),
        handling=handling,
        common_question=common_question,
    )


def check_contact(
    contact: Contact,
    *,
    now: datetime,
    limits: rules.ServiceLimits | None = None,
    tree: Sequence[rules.IvrNodeSpec] | None = None,
) -> list[ServiceException]:
    """Record every CT-12 rule `contact` has broken by `now` and return the new exceptions; rules
    already recorded for the contact are left as they are."""
    limits = limits or limits_for(contact.centre_id)
    timeline = timeline_for(contact, now, common_question=_common_question(contact, tree))
    found = rules.service_exceptions(timeline, limits)
    if found:
        # The first finding of a rule stands; a concurrent sweep's insert is ignored by the constraint.
        known = set(ServiceException.objects.filter(contact_id=contact.pk).values_list("kind", flat=True))
        found = {kind: seconds for kind, seconds in found.items() if kind.value not in known}
    if not found:
        return []
    rows = [
        ServiceException(
            centre_id=contact.centre_id,
            contact_id=contact.pk,
            agent_id=contact.agent_id,
            kind=kind.value,
            seconds=seconds,
            limit_seconds=_limit(kind, limits),
            detected_at=now,
        )
        for kind, seconds in found.items()
    ]
    ServiceException.objects.bulk_create(rows, ignore_conflicts=True)
    return rows


def sweep_service_rules(*, centre: Any, now: datetime) -> int:
    """Check every live contact of `centre` (a periodic sweep; idempotent). Returns exceptions found."""
    centre_id = getattr(centre, "pk", centre)
    limits = limits_for(centre_id)
    tree = ivr.tree_for(centre_id)
    found = 0
    contacts = Contact.objects.filter(centre_id=centre_id, status__in=SWEPT_STATUSES).order_by("pk")
    for contact in contacts.iterator():
        with transaction.atomic():
            found += len(check_contact(contact, now=now, limits=limits, tree=tree))
    return found


def record_courtesy_message(*, contact_id: int, now: datetime) -> CourtesyMessage:
    """CT-12: the waiting customer heard or read a courtesy message (the switch or the chat reports it)."""
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        raise OutOfScope()
    if contact.status not in SWEPT_STATUSES:
        raise Conflict(
            _("This is not possible while the contact is %(status)s.") % {"status": contact.get_status_display()},
            code="contact_wrong_status",
        )
    return CourtesyMessage.objects.create(contact=contact, at=now)
