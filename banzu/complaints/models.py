"""Complaints (CMP-1 … CMP-6): a work order of category 投诉 with its warning level, workflow,
responsibility and deadline.

Deadlines are rows (DESIGN principle 5): ``due_at`` and ``reminder_at`` are stored when the
complaint is filed; the periodic sweep (tasks.py) claims ``reminded_at`` / ``escalated_at`` with a
conditional update, and ``ComplaintAlert`` keeps one unique row per alert, so a restart loses no
deadline and two workers never send one alert twice.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords


class Channel(models.TextChoices):
    """CMP-1: how the complaint arrived."""

    PHONE = "phone", _("Phone")
    IN_PERSON = "in_person", _("In person")
    LETTER = "letter", _("Letter")
    MEDIA = "media", _("Media or internet")


class Source(models.TextChoices):
    """CMP-2: where the complaint was lodged; it decides the warning level."""

    COMPANY = "company", _("The company or call centre")
    GROUP = "group", _("The group")
    CITY_BUREAU = "city_bureau", _("The city bureau")
    PROVINCIAL_BUREAU = "provincial_bureau", _("The provincial bureau (12366)")
    MEDIA = "media", pgettext_lazy("complaint source", "The media")


class Level(models.IntegerChoices):
    """CMP-2: 投诉预警级别."""

    ONE = 1, pgettext_lazy("complaint warning level", "Level 1")
    TWO = 2, pgettext_lazy("complaint warning level", "Level 2")
    THREE = 3, pgettext_lazy("complaint warning level", "Level 3")


class Status(models.TextChoices):
    """CMP-4: where the complaint stands in its workflow."""

    FILED = "filed", _("Filed")
    ACCEPTED = "accepted", _("Accepted")
    VERIFIED = "verified", _("Verified")
    INVALID = "invalid", _("Invalid")
    EXPLAINED = "explained", _("Explained to the customer")
    VALID = "valid", _("Valid")
    APOLOGISED = "apologised", _("Apologised")
    SOLUTION_AGREED = "solution_agreed", _("Solution agreed")
    RESOLVED = "resolved", _("Resolved")
    RESPONSIBILITY_DETERMINED = "responsibility_determined", _("Responsibility determined")
    UNSATISFIED = "unsatisfied", _("Customer not yet satisfied")
    SATISFIED = "satisfied", _("Customer satisfied")
    CORRECTED = "corrected", _("Corrective action taken")
    CORRECTION_VERIFIED = "correction_verified", _("Corrective action verified")
    CLOSED = "closed", pgettext_lazy("complaint status", "Closed")


class Cause(models.TextChoices):
    """CMP-6: the cause categories of the periodic analysis."""

    ATTITUDE = "attitude", _("Service attitude")
    HANDLING = "handling", _("Improper handling")
    SYSTEM_FAULT = "system_fault", _("System fault")
    WAITING = "waiting", _("Waiting time")
    POLICY = "policy", _("Policy or procedure")
    OTHER = "other", _("Other")


class CallbackMethod(models.TextChoices):
    PHONE = "phone", _("Phone")
    VISIT = "visit", _("Visit")


class Complaint(models.Model):
    centre = models.ForeignKey("org.Centre", on_delete=models.PROTECT, related_name="+", verbose_name=_("centre"))
    work_order = models.OneToOneField(
        "workorders.WorkOrder", on_delete=models.PROTECT, related_name="complaint", verbose_name=_("work order")
    )
    number = models.CharField(_("complaint number"), max_length=20)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    source = models.CharField(_("lodged with"), max_length=20, choices=Source.choices)
    level = models.PositiveSmallIntegerField(_("warning level"), choices=Level.choices)
    status = models.CharField(_("status"), max_length=30, choices=Status.choices, default=Status.FILED)

    complainant = models.CharField(_("complainant"), max_length=100)
    complainant_org = models.CharField(_("company name"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    content = models.TextField(_("complaint content"))

    owner = models.ForeignKey(
        "org.Employee", on_delete=models.PROTECT, related_name="complaints_filed", verbose_name=_("filed by")
    )
    team = models.ForeignKey(
        "org.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("team")
    )
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    handler = models.ForeignKey(
        "org.Employee", on_delete=models.PROTECT, related_name="complaints_handled", verbose_name=_("handler")
    )
    handler_unit = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("handling unit")
    )

    filed_at = models.DateTimeField(_("filed at"))
    due_at = models.DateTimeField(_("due time"))
    reminder_at = models.DateTimeField(_("reminder time"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    investigation = models.TextField(_("investigation"), blank=True)
    is_valid = models.BooleanField(_("valid complaint"), null=True, blank=True)
    cause = models.CharField(_("cause"), max_length=20, choices=Cause.choices, blank=True)
    decision_note = models.TextField(_("reason for the decision"), blank=True)
    explanation = models.TextField(_("explanation to the customer"), blank=True)
    apology = models.TextField(_("apology"), blank=True)
    solution = models.TextField(_("solution"), blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    responsible_person = models.ForeignKey(
        "org.Employee",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible person"),
    )
    responsible_superior = models.ForeignKey(
        "org.Employee",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("direct superior"),
    )
    management_failure = models.BooleanField(_("management failure found"), default=False)
    penalty = models.TextField(_("penalty"), blank=True)
    corrective_action = models.TextField(_("corrective action"), blank=True)
    correction_verification = models.TextField(_("verification of the corrective action"), blank=True)
    authority_report = models.TextField(_("written report to the authority"), blank=True)
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)

    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"))
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-filed_at", "-pk"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        constraints = [
            models.UniqueConstraint(fields=["centre", "number"], name="complaint_number_unique_in_centre"),
            models.CheckConstraint(condition=models.Q(level__in=[1, 2, 3]), name="complaint_level_1_to_3"),
            models.CheckConstraint(
                condition=models.Q(status="closed", closed_at__isnull=False)
                | (~models.Q(status="closed") & models.Q(closed_at__isnull=True)),
                name="complaint_closed_at_iff_closed",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "reminder_at"], name="complaint_reminder_due"),
            models.Index(fields=["status", "due_at"], name="complaint_due"),
            models.Index(fields=["centre", "filed_at"], name="complaint_filed"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.complainant}"

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED

    @property
    def joint_liability(self) -> bool:
        """CMP-5: the direct superior shares the liability when management failure is found."""
        return self.management_failure and self.responsible_superior_id is not None


class HandledComplaint(Complaint):
    """The same rows, reached through their handler and handling unit (scope only, never saved)."""

    class Meta:
        proxy = True
        verbose_name = _("handled complaint")
        verbose_name_plural = _("handled complaints")


class ComplaintStep(models.Model):
    """Every step of the workflow (CMP-4), kept for good: the timeline and the printed record."""

    class Kind(models.TextChoices):
        FILED = "filed", _("Filed")
        ACCEPT = "accept", _("Accept")
        VERIFY = "verify", _("Verify")
        DECIDE = "decide", _("Decide valid or invalid")
        EXPLAIN = "explain", _("Explain to the customer")
        APOLOGISE = "apologise", _("Apologise")
        AGREE_SOLUTION = "agree_solution", _("Agree a solution")
        RESOLVE = "resolve", _("Resolve")
        DETERMINE_RESPONSIBILITY = "determine_responsibility", _("Determine responsibility")
        CALL_BACK = "call_back", _("Call back")
        CORRECT = "correct", _("Take corrective action")
        VERIFY_CORRECTION = "verify_correction", _("Verify the corrective action")
        CLOSE = "close", pgettext_lazy("complaint step", "Close")
        REPORT = "report", _("Written report to the authority")
        PUBLISH = "publish", _("Published on the notice board")
        REMINDED = "reminded", _("Reminder sent")
        ESCALATED = "escalated", _("Escalated")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(
        "org.Employee", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("time"))
    from_status = models.CharField(_("from status"), max_length=30, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=30, choices=Status.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("complaint step")
        verbose_name_plural = _("complaint steps")

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class ComplaintCallback(models.Model):
    """CMP-4: a callback (phone or visit); repeated until the customer is satisfied."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="callbacks")
    method = models.CharField(_("callback method"), max_length=10, choices=CallbackMethod.choices)
    satisfied = models.BooleanField(_("customer satisfied"))
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey("org.Employee", on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("time"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("complaint callback")
        verbose_name_plural = _("complaint callbacks")

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.method} {self.at:%Y-%m-%d %H:%M}"


class Notice(models.Model):
    """CMP-5: the outcome published on the internal notice board (议事厅公示), one per complaint."""

    complaint = models.OneToOneField(Complaint, on_delete=models.CASCADE, related_name="notice")
    centre = models.ForeignKey("org.Centre", on_delete=models.PROTECT, related_name="+", verbose_name=_("centre"))
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    published_by = models.ForeignKey(
        "org.Employee", on_delete=models.PROTECT, related_name="+", verbose_name=_("published by")
    )
    published_at = models.DateTimeField(_("published at"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")

    def __str__(self) -> str:
        return self.title


class ComplaintAlert(models.Model):
    """One reminder or escalation of one due time, sent once (the unique row is the proof)."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Reminder")
        ESCALATION = "escalation", _("Escalation")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    due_at = models.DateTimeField(_("due time"))
    sent_at = models.DateTimeField(_("sent at"))
    recipients = models.JSONField(_("recipients"), default=list)

    class Meta:
        ordering = ["sent_at", "pk"]
        verbose_name = _("complaint alert")
        verbose_name_plural = _("complaint alerts")
        constraints = [
            models.UniqueConstraint(fields=["complaint", "kind", "due_at"], name="complaint_alert_once_per_due_time")
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind} {self.sent_at:%Y-%m-%d %H:%M}"
