"""Periodic sweeps of the contact app (DESIGN principle 5: idempotent, a restart loses nothing)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from banzu.contact import compliance, recordings
from banzu.contact.models import Contact
from banzu.org.models import Centre


@db_periodic_task(crontab(minute="*"))
def sweep_service_rules() -> int:
    """CT-12: live contacts breaking a service rule are recorded before they end."""
    now = timezone.now()
    centres = Contact.objects.filter(status__in=compliance.SWEPT_STATUSES).order_by().values_list("centre_id")
    return sum(compliance.sweep_service_rules(centre=centre_id, now=now) for (centre_id,) in centres.distinct())


@db_periodic_task(crontab(minute="7", hour="*"))
def purge_expired_recordings() -> int:
    """CT-17: recording references past the retention period are marked purged."""
    now = timezone.now()
    return sum(
        recordings.purge_expired_recordings(centre=centre_id, now=now)
        for centre_id in Centre.objects.values_list("pk", flat=True)
    )


@db_periodic_task(crontab(minute="*"))
def sweep_routing() -> dict[str, int]:
    """CT-7, CT-9: withdraw unanswered offers (RONA), close after-call work past its limit, and
    route what waits, so a floor where nobody acts still moves. Each step is a claim in the
    database, so two workers sweeping at once change each contact once."""
    from banzu.contact import services

    now = timezone.now()
    done = {"withdrawn": 0, "wrapped_up": 0, "routed": 0}
    live = Contact.objects.filter(
        status__in=[Contact.Status.QUEUED, Contact.Status.OFFERED, Contact.Status.ACW]
    ).order_by()
    for (centre_id,) in live.values_list("centre_id").distinct():
        centre = Centre.objects.get(pk=centre_id)
        done["withdrawn"] += len(services.expire_offers(centre=centre, now=now))
        done["wrapped_up"] += len(services.finish_overdue_acw(centre=centre, now=now))
        done["routed"] += len(services.route_waiting(centre=centre, now=now))
    return done
