"""Callbacks (回访), satisfaction surveys and on-site service dispatch (CB-1 … CB-5).

Deadlines are rows (DESIGN principle 5): each callback task and on-site order stores its due time
when it is created, and ``escalated_at`` records the one escalation the periodic sweep makes, so a
second sweep (or a second worker) finds nothing left to do.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords


class Kind(models.TextChoices):
    """CB-1: the callback types."""

    ONSITE_SERVICE = "onsite_service", _("On-site service callback")
    SERVICE_AGREEMENT = "service_agreement", _("Service agreement callback")
    NEW_CUSTOMER = "new_customer", _("New-customer spot check")
    VIP_REGULAR = "vip_regular", _("VIP regular callback")
    AFTER_REPAIR = "after_repair", _("Callback after fault repair")
    AFTER_COMPLAINT = "after_complaint", _("Callback after a complaint")
    RESOLVED_SAMPLE = "resolved_sample", _("Monthly sample of resolved calls")


class Region(models.TextChoices):
    """CB-3: city customers are called daily, provincial ones after the collection period."""

    CITY = "city", _("City customers")
    PROVINCIAL = "provincial", _("Provincial customers")


class CampaignStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("campaign status", "Active")
    CLOSED = "closed", pgettext_lazy("campaign status", "Closed")


class TaskStatus(models.TextChoices):
    PENDING = "pending", _("To call")
    RETRY = "retry", _("To retry")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Outcome(models.TextChoices):
    """CB-5: the outcome of a callback (满意 / 有意见 / 无法联系)."""

    SATISFIED = "satisfied", _("Satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")
    UNREACHABLE = "unreachable", _("Unreachable")


class OnsiteStatus(models.TextChoices):
    """CB-4: 录单 → 派单 → 接单 → 完成 → 审核反馈."""

    REGISTERED = "registered", pgettext_lazy("on-site step", "Registered")
    DISPATCHED = "dispatched", pgettext_lazy("on-site step", "Dispatched")
    ACCEPTED = "accepted", pgettext_lazy("on-site step", "Accepted")
    COMPLETED = "completed", pgettext_lazy("on-site step", "Completed")
    REVIEWED = "reviewed", pgettext_lazy("on-site step", "Reviewed")


OPEN_TASK = (TaskStatus.PENDING, TaskStatus.RETRY)
OPEN_ONSITE = (OnsiteStatus.REGISTERED, OnsiteStatus.DISPATCHED, OnsiteStatus.ACCEPTED)


class Campaign(models.Model):
    """A run of callbacks of one type for one department, with its script (CB-1 … CB-3).

    Provincial campaigns store their window (start, retry day, deadline) from the collection
    period; city campaigns give each task its own run day from `starts_on`. A monthly sample of
    resolved calls keeps the month and the seed it was drawn with, so the draw can be repeated.
    """

    centre = models.ForeignKey("org.Centre", on_delete=models.PROTECT, related_name="+", verbose_name=_("centre"))
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, related_name="callback_campaigns", verbose_name=_("department")
    )
    # The team that runs it, when a team leader set it up: its unassigned tasks are the team's list.
    team = models.ForeignKey(
        "org.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("team")
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("callback type"), max_length=20, choices=Kind.choices)
    region = models.CharField(_("customers"), max_length=12, choices=Region.choices, default=Region.CITY)
    script = models.TextField(_("script"))
    collection_end = models.DateField(_("last day of the collection period"), null=True, blank=True)
    starts_on = models.DateField(_("starts on"))
    retry_on = models.DateField(_("retry day"), null=True, blank=True)
    due_at = models.DateTimeField(_("due time"), null=True, blank=True)
    sample_month = models.DateField(_("sampled month"), null=True, blank=True)
    sample_seed = models.CharField(_("sample seed"), max_length=64, blank=True)
    sampled_at = models.DateTimeField(_("sample drawn at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.ACTIVE)
    created_by = models.ForeignKey(
        "org.Employee", on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("callback campaign")
        verbose_name_plural = _("callback campaigns")
        constraints = [
            models.CheckConstraint(
                condition=~Q(region="provincial")
                | Q(collection_end__isnull=False, retry_on__isnull=False, due_at__isnull=False),
                name="callback_provincial_campaign_has_window",
            ),
            models.CheckConstraint(
                condition=~Q(kind="resolved_sample") | Q(sample_month__isnull=False),
                name="callback_sample_campaign_has_month",
            ),
        ]
        indexes = [models.Index(fields=["centre", "status"], name="callback_campaign_status")]

    def __str__(self) -> str:
        return self.name


class OnsiteOrder(models.Model):
    """CB-4: an on-site service visit from registration to review, with its response limit (D12)."""

    centre = models.ForeignKey("org.Centre", on_delete=models.PROTECT, related_name="+", verbose_name=_("centre"))
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    # The registering agent's team when the order was registered: scope follows the record.
    team = models.ForeignKey(
        "org.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("team")
    )
    registered_by = models.ForeignKey(
        "org.Employee", on_delete=models.PROTECT, related_name="onsite_orders", verbose_name=_("registered by")
    )
    customer_name = models.CharField(_("customer name"), max_length=100)
    phone = models.CharField(_("phone number"), max_length=30)
    address = models.CharField(_("address"), max_length=200)
    problem = models.TextField(_("problem"))
    agreement_customer = models.BooleanField(_("service agreement customer"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=OnsiteStatus.choices, default=OnsiteStatus.REGISTERED)
    registered_at = models.DateTimeField(_("registered at"))
    response_due_at = models.DateTimeField(_("response due time"))
    technician = models.CharField(_("technician"), max_length=50, blank=True)
    technician_phone = models.CharField(_("technician phone"), max_length=30, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_late = models.BooleanField(_("completed late"), default=False)
    result = models.TextField(_("service result"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        "org.Employee", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("reviewed by")
    )
    review = models.TextField(_("review and feedback"), blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-registered_at", "-pk"]
        verbose_name = _("on-site order")
        verbose_name_plural = _("on-site orders")
        constraints = [
            models.CheckConstraint(
                condition=Q(response_due_at__gt=models.F("registered_at")), name="onsite_due_after_registration"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["registered"]) | Q(dispatched_at__isnull=False),
                name="onsite_dispatched_has_time",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["registered", "dispatched", "accepted"]) | Q(completed_at__isnull=False),
                name="onsite_completed_has_time",
            ),
        ]
        indexes = [models.Index(fields=["status", "response_due_at"], name="onsite_status_due")]

    def __str__(self) -> str:
        return f"{self.customer_name} {self.registered_at:%Y-%m-%d %H:%M}"


class CallbackTask(models.Model):
    """One customer to call back in a campaign, with its window, attempts and outcome (CB-3, CB-5).

    `assignee` makes the call; `subject_agent` is the agent whose contact is being checked (the
    monthly sample), so satisfaction counts for them. A dissatisfied or finally unreachable outcome
    opens one follow-up task (`follow_up_of`).
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("campaign"))
    centre = models.ForeignKey("org.Centre", on_delete=models.PROTECT, related_name="+", verbose_name=_("centre"))
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    assignee = models.ForeignKey(
        "org.Employee",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="callback_tasks",
        verbose_name=_("assignee"),
    )
    # The assignee's team when assigned: the team leader sees and escalations reach them.
    team = models.ForeignKey(
        "org.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("team")
    )
    customer_name = models.CharField(_("customer name"), max_length=100)
    phone = models.CharField(_("phone number"), max_length=30)
    contact = models.ForeignKey(
        "contact.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="callback_tasks",
        verbose_name=_("contact"),
    )
    subject_agent = models.ForeignKey(
        "org.Employee",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="surveyed_callback_tasks",
        verbose_name=_("agent whose service is checked"),
    )
    subject_team = models.ForeignKey(
        "org.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("their team")
    )
    onsite_order = models.ForeignKey(
        OnsiteOrder,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="callback_tasks",
        verbose_name=_("on-site order"),
    )
    follow_up_of = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_up",
        verbose_name=_("follow-up of"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    starts_on = models.DateField(_("call from"))
    retry_on = models.DateField(_("retry day"))
    due_at = models.DateTimeField(_("due time"))
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    outcome = models.CharField(pgettext_lazy("callback", "outcome"), max_length=12, choices=Outcome.choices, blank=True)
    rating = models.PositiveSmallIntegerField(_("satisfaction rating"), null=True, blank=True)
    opinion = models.TextField(_("opinions and suggestions"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("callback task")
        verbose_name_plural = _("callback tasks")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "contact"], condition=Q(contact__isnull=False), name="callback_contact_once"
            ),
            models.CheckConstraint(
                condition=(Q(status="done") & ~Q(outcome="") & Q(completed_at__isnull=False))
                | (~Q(status="done") & Q(outcome="")),
                name="callback_outcome_iff_done",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="callback_rating_1_to_5"
            ),
            models.CheckConstraint(condition=Q(retry_on__gte=models.F("starts_on")), name="callback_retry_in_window"),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="callback_status_due"),
            models.Index(fields=["assignee", "status"], name="callback_assignee_status"),
            models.Index(fields=["subject_agent", "completed_at"], name="callback_subject_done"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_name} ({self.campaign})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TASK


class CallbackAttempt(models.Model):
    """One call of a task: when, by whom, what came of it (unreachable attempts are kept too)."""

    task = models.ForeignKey(CallbackTask, on_delete=models.CASCADE, related_name="call_attempts")
    at = models.DateTimeField(_("time"))
    caller = models.ForeignKey("org.Employee", on_delete=models.PROTECT, related_name="+", verbose_name=_("called by"))
    outcome = models.CharField(pgettext_lazy("callback", "outcome"), max_length=12, choices=Outcome.choices)
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["task", "at", "pk"]
        verbose_name = _("callback attempt")
        verbose_name_plural = _("callback attempts")

    def __str__(self) -> str:
        return f"{self.task_id} {self.outcome} {self.at:%Y-%m-%d %H:%M}"


class SurveyedCallbackTask(CallbackTask):
    """The same rows, reached through the agent whose service was checked (scope only): an agent
    sees the outcomes about their own contacts, their team leader the team's. Never saved through."""

    class Meta:
        proxy = True
        verbose_name = _("callback about an agent")
        verbose_name_plural = _("callbacks about agents")
