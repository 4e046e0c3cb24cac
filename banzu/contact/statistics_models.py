"""Interval statistics, service-rule exceptions and recording references (CT-12, CT-16, CT-17).

Imported at the end of ``contact.models``. Interval rows are maintained by ``contact.statistics`` in
the transaction that ends a contact or changes an agent's state, with atomic increments, so
dashboards and KPIs read them instead of rescanning contacts (DESIGN principle 6).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from banzu.contact.models import Contact, Queue
from banzu.org.models import Centre, Employee

__all__ = ["AgentInterval", "CourtesyMessage", "QueueInterval", "Recording", "ServiceException"]


def _count(label):
    return models.PositiveIntegerField(label, default=0)


def _seconds(label):
    return models.BigIntegerField(label, default=0)


class QueueInterval(models.Model):
    """CT-16: one queue's contacts in one 15- or 30-minute interval (by the time they were queued)."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="+", verbose_name=_("centre"))
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="intervals", verbose_name=_("queue"))
    minutes = models.PositiveSmallIntegerField(_("interval length (minutes)"))
    start = models.DateTimeField(_("interval start"))
    offered = _count(_("offered"))
    answered = _count(_("answered"))
    abandoned = _count(_("abandoned"))
    answered_within_threshold = _count(_("answered within the threshold"))
    handled = _count(_("after-call work finished"))
    wait_seconds = _seconds(_("wait of answered contacts (seconds)"))
    abandoned_wait_seconds = _seconds(_("wait of abandoned contacts (seconds)"))
    talk_seconds = _seconds(_("talk time (seconds)"))
    hold_seconds = _seconds(_("hold time (seconds)"))
    acw_seconds = _seconds(_("after-call work (seconds)"))

    COUNTS = (
        "offered",
        "answered",
        "abandoned",
        "answered_within_threshold",
        "handled",
        "wait_seconds",
        "abandoned_wait_seconds",
        "talk_seconds",
        "hold_seconds",
        "acw_seconds",
    )

    class Meta:
        ordering = ["queue", "minutes", "start"]
        verbose_name = _("queue interval statistics")
        verbose_name_plural = _("queue interval statistics")
        constraints = [
            models.UniqueConstraint(fields=["queue", "minutes", "start"], name="queue_interval_once"),
        ]
        indexes = [models.Index(fields=["centre", "minutes", "start"])]

    def __str__(self) -> str:
        return f"{self.queue_id} {self.minutes}' {self.start:%Y-%m-%d %H:%M}"


class AgentInterval(models.Model):
    """CT-16: one agent's contacts (by the time they were answered) and time per state in one interval."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="+", verbose_name=_("centre"))
    agent = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="+", verbose_name=_("agent"))
    minutes = models.PositiveSmallIntegerField(_("interval length (minutes)"))
    start = models.DateTimeField(_("interval start"))
    answered = _count(_("answered"))
    handled = _count(_("after-call work finished"))
    talk_seconds = _seconds(_("talk time (seconds)"))
    hold_seconds = _seconds(_("hold time (seconds)"))
    acw_seconds = _seconds(_("after-call work (seconds)"))
    ready_seconds = _seconds(_("ready (seconds)"))
    ringing_seconds = _seconds(_("ringing (seconds)"))
    busy_seconds = _seconds(_("busy (seconds)"))
    hold_state_seconds = _seconds(_("on hold (seconds)"))
    acw_state_seconds = _seconds(_("in after-call work (seconds)"))
    away_seconds = _seconds(_("away (seconds)"))

    COUNTS = (
        "answered",
        "handled",
        "talk_seconds",
        "hold_seconds",
        "acw_seconds",
        "ready_seconds",
        "ringing_seconds",
        "busy_seconds",
        "hold_state_seconds",
        "acw_state_seconds",
        "away_seconds",
    )

    class Meta:
        ordering = ["agent", "minutes", "start"]
        verbose_name = _("agent interval statistics")
        verbose_name_plural = _("agent interval statistics")
        constraints = [
            models.UniqueConstraint(fields=["agent", "minutes", "start"], name="agent_interval_once"),
        ]
        indexes = [models.Index(fields=["centre", "minutes", "start"])]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.minutes}' {self.start:%Y-%m-%d %H:%M}"


class CourtesyMessage(models.Model):
    """CT-12: a courtesy message the waiting customer heard or read (an announcement, 请稍候)."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="courtesy_messages", verbose_name=_("contact")
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["contact", "at"]
        verbose_name = _("courtesy message")
        verbose_name_plural = _("courtesy messages")
        indexes = [models.Index(fields=["contact", "at"])]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.at:%H:%M:%S}"


class ServiceException(models.Model):
    """CT-12: a service rule a contact broke, found at its end or by the sweep; one per contact and rule."""

    class Kind(models.TextChoices):
        """The values of ``rules.ExceptionKind``, with labels."""

        LONG_HOLD = "long_hold", _("Hold too long")
        NO_COURTESY_MESSAGE = "no_courtesy_message", _("Waiting without a courtesy message")
        UNATTENDED = "unattended", _("Call left unattended")
        LONG_COMMON_QUESTION = "long_common_question", _("Common question handled too long")

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="+", verbose_name=_("centre"))
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="service_exceptions", verbose_name=_("contact")
    )
    agent = models.ForeignKey(
        Employee, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("agent")
    )
    kind = models.CharField(_("rule"), max_length=30, choices=Kind.choices)
    seconds = models.PositiveIntegerField(_("observed (seconds)"))
    limit_seconds = models.PositiveIntegerField(_("limit (seconds)"))
    detected_at = models.DateTimeField(_("detected at"))

    class Meta:
        ordering = ["-detected_at", "-pk"]
        verbose_name = _("service-rule exception")
        verbose_name_plural = _("service-rule exceptions")
        constraints = [
            models.UniqueConstraint(fields=["contact", "kind"], name="service_exception_once_per_contact_and_rule"),
        ]
        indexes = [models.Index(fields=["centre", "detected_at"]), models.Index(fields=["agent", "detected_at"])]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.kind}"


class Recording(models.Model):
    """CT-17: where a call's recording or a chat's transcript is kept; never deleted by a user.

    The file itself lives in the recording system; Banzu keeps the reference. When the retention
    policy expires it, the retention sweep marks it purged, with when and the retention value that
    applied, so the record of it stays.
    """

    class Kind(models.TextChoices):
        RECORDING = "recording", _("Recording")
        TRANSCRIPT = "transcript", _("Transcript")

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+", verbose_name=_("centre"))
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="recordings", verbose_name=_("contact"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    ref = models.CharField(_("location"), max_length=500)
    recorded_at = models.DateTimeField(_("recorded at"))
    purged_at = models.DateTimeField(_("purged at"), null=True, blank=True)
    purged_retention_months = models.PositiveIntegerField(_("retention applied (months)"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        constraints = [
            models.UniqueConstraint(fields=["contact", "kind", "ref"], name="recording_ref_once"),
            models.CheckConstraint(
                condition=Q(purged_at__isnull=True, purged_retention_months__isnull=True)
                | Q(purged_at__isnull=False, purged_retention_months__isnull=False),
                name="recording_purge_records_when_and_policy",
            ),
        ]
        indexes = [models.Index(fields=["centre", "purged_at", "recorded_at"])]

    def __str__(self) -> str:
        return self.ref
