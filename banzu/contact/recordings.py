"""Recording and transcript references and their retention (CT-17).

Deleting an original recording is a severe violation (`004`), so nothing here deletes: the switch or
chat reports where a recording is kept (:func:`attach_recording`), and when the centre's retention
policy expires it, :func:`purge_expired_recordings` marks the reference purged with the moment and
the retention value that applied. The API is read-only and the admin grants no delete permission.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from banzu.contact import rules
from banzu.contact.models import Contact, Recording
from banzu.core.errors import OutOfScope, invalid
from banzu.core.policies import policy

# A month is at least this long: rows recorded later cannot have expired (a cheap pre-filter).
SHORTEST_MONTH_DAYS = 28


def attach_recording(*, contact_id: int, kind: str, ref: str, now: datetime, by: Any = None) -> Recording:
    """Keep the location of a contact's recording or transcript; the same reference again is a no-op."""
    if kind not in Recording.Kind.values:
        raise invalid("kind", _("Choose recording or transcript."), code="invalid_choice")
    ref = (ref or "").strip()
    if not ref:
        raise invalid("ref", _("Enter where the recording is kept."), code="required")
    if len(ref) > Recording._meta.get_field("ref").max_length:
        raise invalid("ref", _("The location is too long."), code="max_length")
    contact = Contact.objects.filter(pk=contact_id).only("pk", "centre_id").first()
    if contact is None:
        raise OutOfScope()
    existing = Recording.objects.filter(contact_id=contact_id, kind=kind, ref=ref).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Recording.objects.create(
                centre_id=contact.centre_id,
                contact_id=contact_id,
                kind=kind,
                ref=ref,
                recorded_at=now,
                created_by=by if getattr(by, "pk", None) else None,
            )
    except IntegrityError:
        # The switch retried the same report concurrently; its row stands.
        return Recording.objects.get(contact_id=contact_id, kind=kind, ref=ref)


def register_contact_references(*, centre: Any) -> int:
    """Keep a Recording row for every reference the switch wrote on a contact (``Contact.recording_ref``,
    ``transcript_ref``), dated by the contact's end, so retention covers them too. Idempotent."""
    centre_id = getattr(centre, "pk", centre)
    made = 0
    for kind, field in ((Recording.Kind.RECORDING, "recording_ref"), (Recording.Kind.TRANSCRIPT, "transcript_ref")):
        known = Recording.objects.filter(contact=OuterRef("pk"), kind=kind, ref=OuterRef(field))
        missing = (
            Contact.objects.filter(centre_id=centre_id)
            .exclude(**{field: ""})
            .filter(~Exists(known))
            .values_list("pk", field, "ended_at", "arrived_at")
        )
        rows = [
            Recording(centre_id=centre_id, contact_id=pk, kind=kind, ref=ref, recorded_at=ended_at or arrived_at)
            for pk, ref, ended_at, arrived_at in missing
        ]
        made += len(Recording.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True))
    return made


def purge_expired_recordings(*, centre: Any, now: datetime) -> int:
    """CT-17: mark the references past the centre's retention period purged (a sweep; idempotent).

    Returns how many were marked now; a second run at the same moment marks none.
    """
    months = policy("contact.recording_retention_months", centre)
    if months <= 0:
        return 0
    centre_id = getattr(centre, "pk", centre)
    register_contact_references(centre=centre_id)
    with transaction.atomic():
        candidates = Recording.objects.select_for_update().filter(
            centre_id=centre_id,
            purged_at__isnull=True,
            recorded_at__lte=now - timedelta(days=SHORTEST_MONTH_DAYS * months),
        )
        expired = [row for row in candidates if rules.retention_expired(row.recorded_at, now, months)]
        for row in expired:
            row.purged_at, row.purged_retention_months = now, months
        if expired:
            bulk_update_with_history(
                expired,
                Recording,
                ["purged_at", "purged_retention_months"],
                batch_size=500,
                default_change_reason=_("Retention period of %(months)s months expired.") % {"months": months},
            )
    return len(expired)
