"""Work orders (WO-1 … WO-12): the record every contact produces, its hand-overs and custom fields.

Deadlines are rows (DESIGN principle 5): the completion, callback and hand-over due times are
stored when they are set, and ``next_due_at`` keeps the earliest open one so that lists sort by
the next breach and a periodic sweep can find what is overdue with one indexed query.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords


class Category(models.TextChoices):
    """WO-2. 咨询 is also a call action (内部咨询), hence the message context."""

    CONSULTATION = "consultation", pgettext_lazy("work order category", "Consultation")
    SUGGESTION = "suggestion", pgettext_lazy("work order category", "Suggestion")
    COMPLAINT = "complaint", pgettext_lazy("work order category", "Complaint")
    HELP_REQUEST = "help_request", pgettext_lazy("work order category", "Help request")


class Status(models.TextChoices):
    NEW = "new", _("New")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    HANDED_OVER = "handed_over", _("Handed over")
    AWAITING_CALLBACK = "awaiting_callback", _("Awaiting callback")
    CLOSED = "closed", _("Closed")


class ConsultationMode(models.TextChoices):
    """WO-5: how a consultation is answered."""

    DIRECT_ANSWER = "direct_answer", _("Direct answer")
    THREE_WAY_CALL = "three_way_call", _("Three-way call")
    DELAYED_ANSWER = "delayed_answer", _("Delayed answer")


class AnswerBasis(models.TextChoices):
    """WO-5: what a direct answer cites. A knowledge-base article is cited by its version (KB-1)."""

    KNOWLEDGE_ARTICLE = "knowledge_article", _("Knowledge base article")
    LAW = "law", _("Law or regulation")
    POLICY = "policy", _("Policy")


class FieldType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")
    BOOLEAN = "boolean", _("Yes/no")


class WorkOrder(models.Model):
    centre = models.ForeignKey("org.Centre", on_delete=models.PROTECT, related_name="+", verbose_name=_("centre"))
    number = models.CharField(_("work order number"), max_length=20, editable=False)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    location = models.CharField(_("event location"), max_length=100)
    summary = models.CharField(_("event summary"), max_length=200)
    title = models.CharField(_("title"), max_length=310, help_text=_("Composed from the location and the summary."))
    urgent = models.BooleanField(_("urgent"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)

    caller_number = models.CharField(_("caller number"), max_length=30, blank=True)
    customer_name = models.CharField(_("customer name"), max_length=50, blank=True)
    # The contact (call or chat) this order records (WO-1). `contact_ref` keeps a reference from
    # another system (or the switch's call id) when the contact is not a Banzu record.
    contact = models.ForeignKey(
        "contact.Contact",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_orders",
        verbose_name=_("contact"),
    )
    contact_ref = models.CharField(_("contact reference"), max_length=64, blank=True)

    owner = models.ForeignKey(
        "org.Employee", on_delete=models.PROTECT, related_name="work_orders_owned", verbose_name=_("created by")
    )
    # The owner's team and department when the order was created: scope follows the record,
    # not the person's later moves.
    team = models.ForeignKey(
        "org.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("team")
    )
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, related_name="+", verbose_name=_("department")
    )
    handler = models.ForeignKey(
        "org.Employee",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_orders_handled",
        verbose_name=_("handler"),
    )
    responsible_unit = models.ForeignKey(
        "org.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_orders_responsible",
        verbose_name=_("responsible unit"),
    )
    handler_due_at = models.DateTimeField(_("hand-over due time"), null=True, blank=True)

    contact_ended_at = models.DateTimeField(_("contact end time"))
    completion_due_at = models.DateTimeField(_("completion due time"))
    completed_at = models.DateTimeField(_("completed at"))
    completion_overdue = models.BooleanField(_("completed late"), default=False)

    consultation_mode = models.CharField(
        _("consultation mode"), max_length=20, choices=ConsultationMode.choices, blank=True
    )
    answer = models.TextField(_("answer"), blank=True)
    answer_basis_kind = models.CharField(
        _("basis of the answer"), max_length=20, choices=AnswerBasis.choices, blank=True
    )
    answer_basis = models.CharField(_("cited basis"), max_length=200, blank=True)
    # KB-1, WO-5: the exact article version the answer cites; versions are immutable.
    answer_article_version = models.ForeignKey(
        "knowledge.ArticleVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cited article version"),
    )
    callback_due_at = models.DateTimeField(_("callback due time"), null=True, blank=True)

    next_due_at = models.DateTimeField(_("next due time"), null=True, blank=True)
    # The overdue sweep (services.escalate_overdue): the deadline it last escalated, and when. A
    # deadline is escalated once; a new deadline (another hand-over) is escalated again.
    escalated_due_at = models.DateTimeField(_("escalated deadline"), null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True, editable=False)
    custom_values = models.JSONField(_("custom fields"), default=dict, blank=True)

    outcome = models.TextField(_("outcome"), blank=True)
    customer_informed = models.BooleanField(_("customer told the outcome"), default=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        "org.Employee", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("closed by")
    )

    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        constraints = [
            models.UniqueConstraint(fields=["centre", "number"], name="work_order_number_unique_in_centre"),
            models.CheckConstraint(
                condition=models.Q(status="closed", closed_at__isnull=False)
                | (~models.Q(status="closed") & models.Q(closed_at__isnull=True)),
                name="work_order_closed_at_iff_closed",
            ),
            models.CheckConstraint(
                condition=models.Q(consultation_mode="") | models.Q(category="consultation"),
                name="work_order_mode_only_for_consultations",
            ),
        ]
        indexes = [
            models.Index(fields=["centre", "caller_number"], name="wo_caller_number"),
            models.Index(fields=["centre", "customer_name"], name="wo_customer_name"),
            models.Index(fields=["handler", "status"], name="wo_handler_status"),
            models.Index(fields=["status", "next_due_at"], name="wo_status_next_due"),
            models.Index(fields=["owner", "created_at"], name="wo_owner_created"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_closed(self) -> bool:
        return self.status == Status.CLOSED


class WorkOrderCounter(models.Model):
    """The last sequence number handed out per centre and local day (numbers like 2024031400123)."""

    centre = models.ForeignKey("org.Centre", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["centre", "day"], name="work_order_counter_once_per_day")]

    def __str__(self) -> str:
        return f"{self.day.isoformat()}: {self.last}"


class WorkOrderStep(models.Model):
    """WO-8: every step of a work order — creation, hand-over, comment, status change — kept for good."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        ASSIGNED = "assigned", _("Assigned")
        HANDED_OVER = "handed_over", _("Handed over")
        ACCEPTED = "accepted", _("Accepted")
        COMMENT = "comment", _("Comment")
        MARKED_URGENT = "marked_urgent", _("Marked urgent")
        STAFF_DATA_REQUEST = "staff_data_request", _("Request for staff data")
        CLOSED = "closed", _("Closed")

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        "org.Employee", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    at = models.DateTimeField(_("time"))
    from_status = models.CharField(_("from status"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=Status.choices, blank=True)
    from_handler = models.ForeignKey(
        "org.Employee",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from handler"),
    )
    to_handler = models.ForeignKey(
        "org.Employee", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("to handler")
    )
    from_unit = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("from unit")
    )
    to_unit = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("to unit")
    )
    due_at = models.DateTimeField(_("due time"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("work order step")
        verbose_name_plural = _("work order steps")

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class CategoryForm(models.Model):
    """WO-3: which standard fields a category's form requires, per centre. No row = the defaults."""

    centre = models.ForeignKey("org.Centre", on_delete=models.CASCADE, related_name="+", verbose_name=_("centre"))
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    required_fields = models.JSONField(_("required standard fields"), default=list, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["centre", "category"]
        verbose_name = _("category form")
        verbose_name_plural = _("category forms")
        constraints = [models.UniqueConstraint(fields=["centre", "category"], name="category_form_once_per_category")]

    def __str__(self) -> str:
        return self.get_category_display()


class CustomFieldDefinition(models.Model):
    """WO-2, WO-9: a field of a category's form, defined by the centre without code changes.

    Definitions are deactivated rather than deleted, so that old work orders keep their values.
    """

    centre = models.ForeignKey("org.Centre", on_delete=models.CASCADE, related_name="+", verbose_name=_("centre"))
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    key = models.SlugField(_("key"), max_length=40)
    label = models.CharField(_("label"), max_length=60)
    field_type = models.CharField(_("type"), max_length=10, choices=FieldType.choices, default=FieldType.TEXT)
    required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["centre", "category", "order", "pk"]
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        constraints = [
            models.UniqueConstraint(fields=["centre", "category", "key"], name="custom_field_key_unique_in_category")
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} · {self.label}"


class CustomFieldIndex(models.Model):
    """One searchable row per filled custom field of a work order (WO-9, exact search).

    The typed values live in ``WorkOrder.custom_values`` (read with the order, one row); these rows
    exist only so that "field = value" is an indexed equality on every database. They are
    rewritten by the services in the same transaction as the JSON, from the same cleaned values.
    """

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="field_index")
    definition = models.ForeignKey(CustomFieldDefinition, on_delete=models.PROTECT, related_name="+")
    value = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["work_order", "definition"], name="custom_field_index_once_per_order")
        ]
        indexes = [models.Index(fields=["definition", "value"], name="wo_custom_field_value")]

    def __str__(self) -> str:
        return self.value


class DutyAssignment(models.Model):
    """WO-7: who is the shift lead on duty (值班长) in a centre, and when."""

    centre = models.ForeignKey("org.Centre", on_delete=models.CASCADE, related_name="+", verbose_name=_("centre"))
    shift_lead = models.ForeignKey(
        "org.Employee", on_delete=models.PROTECT, related_name="duty_assignments", verbose_name=_("shift lead")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts_at", "pk"]
        verbose_name = _("duty assignment")
        verbose_name_plural = _("duty assignments")
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="duty_ends_after_start")
        ]
        indexes = [models.Index(fields=["centre", "starts_at", "ends_at"], name="duty_centre_period")]

    def __str__(self) -> str:
        return f"{self.shift_lead} {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M}"


class Notification(models.Model):
    """A notice to one employee (urgent work order, hand-over, staff-data request of WO-12)."""

    class Kind(models.TextChoices):
        URGENT_WORK_ORDER = "urgent_work_order", _("Urgent work order")
        WORK_ORDER_ASSIGNED = "work_order_assigned", _("Work order assigned to you")
        STAFF_DATA_REQUEST = "staff_data_request", _("Request for staff data")
        WORK_ORDER_OVERDUE = "work_order_overdue", _("Work order overdue")
        # Notices of other contexts kept in the same list (callbacks.services.NOTICE_KIND).
        CALLBACK = "callback", _("Callback")

    recipient = models.ForeignKey(
        "org.Employee", on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    text = models.CharField(_("text"), max_length=500)
    link = models.CharField(_("link"), max_length=200, blank=True)
    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.text


class HandledWorkOrder(WorkOrder):
    """The same rows, reached through their current handler.

    Only for scope (core.scoping knows one path per model): a work order is visible through its
    owner (``WorkOrder``'s paths), through whoever handles it now (this proxy) or through its
    responsible unit (``UnitWorkOrder``). Never saved through.
    """

    class Meta:
        proxy = True
        verbose_name = _("handled work order")
        verbose_name_plural = _("handled work orders")


class UnitWorkOrder(WorkOrder):
    """The same rows, reached through their responsible unit: its members handle them (scope only)."""

    class Meta:
        proxy = True
        verbose_name = _("work order of a unit")
        verbose_name_plural = _("work orders of a unit")
