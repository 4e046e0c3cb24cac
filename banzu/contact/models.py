"""Contacts, queues, customers and agent states (CT-1, CT-5, CT-9, CT-15, CT-18).

The database backs the routing invariants of CT-7, so that no code path — another app server, a
retried switch event, a bug — can break them: one live contact per agent on single-contact
channels, one contact per switch call id, queued contacts hold no agent, live ones always do.
Writes go through ``contact.services``; models hold data and constraints only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from banzu.org.models import Centre, Department, Employee, Skill


class Channel(models.Model):
    """CT-1 … CT-3: voice, chat and later channels share one contact model."""

    class Kind(models.TextChoices):
        VOICE = "voice", _("Voice")
        CHAT = "chat", _("Web chat")
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        SOCIAL = "social", _("Social media")

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    multi_contact = models.BooleanField(
        _("several contacts at once"),
        default=False,
        help_text=_("An agent may hold several contacts of this channel at once, up to the centre's limit."),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        return self.name


class Queue(models.Model):
    """CT-5: where contacts wait; skills, priority, hours, service level, overflow and routing strategy.

    `department` is the department that staffs the queue; it decides who sees the queue (ORG-7).
    Empty service-level and offer-timeout fields take the centre's policy values.
    """

    class Strategy(models.TextChoices):
        """The values of ``rules.Strategy``, with labels."""

        LONGEST_IDLE = "longest_idle", _("Longest-idle agent first")
        SKILLS_BEST_MATCH = "skills_best_match", _("Best skill match")
        CUSTOMER_PRIORITY = "customer_priority", _("VIP customers first")
        ROUND_ROBIN = "round_robin", _("Round robin")

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="queues", verbose_name=_("centre"))
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="queues", verbose_name=_("department")
    )
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=100)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="queues", verbose_name=_("channel"))
    priority = models.SmallIntegerField(_("priority"), default=0, help_text=_("Higher is served first."))
    strategy = models.CharField(
        _("routing strategy"), max_length=20, choices=Strategy.choices, default=Strategy.LONGEST_IDLE
    )
    service_level_percent = models.PositiveSmallIntegerField(_("service level target (%)"), null=True, blank=True)
    service_level_seconds = models.PositiveIntegerField(_("service level threshold (seconds)"), null=True, blank=True)
    max_wait_seconds = models.PositiveIntegerField(_("maximum wait (seconds)"), null=True, blank=True)
    overflow_queue = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="overflow_sources",
        verbose_name=_("overflow to"),
    )
    overflow_after_seconds = models.PositiveIntegerField(_("overflow after (seconds)"), null=True, blank=True)
    offer_timeout_seconds = models.PositiveIntegerField(
        _("offer timeout (seconds)"),
        null=True,
        blank=True,
        help_text=_("An offer not answered within this time goes back to the queue and the agent is set away."),
    )
    closed_on_non_working_days = models.BooleanField(_("closed on non-working days"), default=False)
    active = models.BooleanField(_("active"), default=True)
    # Routing state, not configuration: the round-robin pointer (the agent served last).
    round_robin_after = models.BigIntegerField(null=True, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["round_robin_after"])

    class Meta:
        ordering = ["centre", "-priority", "code"]
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        constraints = [
            models.UniqueConstraint(fields=["centre", "code"], name="queue_code_unique_in_centre"),
            models.CheckConstraint(
                condition=Q(service_level_percent__isnull=True)
                | Q(service_level_percent__gte=1, service_level_percent__lte=100),
                name="queue_service_level_percent_1_to_100",
            ),
            models.CheckConstraint(
                condition=Q(overflow_queue__isnull=True, overflow_after_seconds__isnull=True)
                | Q(overflow_queue__isnull=False, overflow_after_seconds__isnull=False),
                name="queue_overflow_target_and_limit_together",
            ),
            models.CheckConstraint(
                condition=~Q(overflow_queue=models.F("pk")), name="queue_does_not_overflow_to_itself"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class QueueSkill(models.Model):
    """CT-5: a skill an agent needs, at least at `min_level`, to take this queue's contacts."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="skills", verbose_name=_("queue"))
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="queues", verbose_name=_("skill"))
    min_level = models.PositiveSmallIntegerField(_("minimum level"), default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["queue", "skill"]
        verbose_name = _("queue skill")
        verbose_name_plural = _("queue skills")
        constraints = [
            models.UniqueConstraint(fields=["queue", "skill"], name="queue_skill_once"),
            models.CheckConstraint(condition=Q(min_level__gte=1, min_level__lte=5), name="queue_skill_level_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.queue} · {self.skill} ≥ {self.min_level}"


class QueueHours(models.Model):
    """CT-5: one open period of a weekday. A queue without any is always open."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="hours", verbose_name=_("queue"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), help_text=_("0 is Monday, 6 is Sunday."))
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["queue", "weekday", "opens"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="queue_hours_weekday_0_to_6"),
            models.CheckConstraint(condition=Q(opens__lt=models.F("closes")), name="queue_hours_open_before_close"),
        ]

    def __str__(self) -> str:
        return f"{self.queue} {self.weekday} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Customer(models.Model):
    """CT-18: one record per person or company. Personal data is masked for roles that do not need it."""

    class Kind(models.TextChoices):
        PERSON = "person", pgettext_lazy("customer type", "Person")
        COMPANY = "company", pgettext_lazy("customer type", "Company")

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="customers", verbose_name=_("centre"))
    kind = models.CharField(_("customer type"), max_length=10, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("name"), max_length=100, blank=True)
    # The primary number, kept equal to the primary CustomerNumber by contact.customers; every
    # number of the customer is in `numbers`.
    phone = models.CharField(_("phone number"), max_length=30, blank=True, db_index=True)
    vip_level = models.PositiveSmallIntegerField(
        _("VIP level"), default=0, help_text=_("0 is not a VIP; higher levels are served first in VIP-first queues.")
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    # Personal data (CT-18): masked for roles without contact.view_customer_data.
    id_number = models.CharField(
        _("ID card or credit code"),
        max_length=30,
        blank=True,
        help_text=_("Resident ID card number for a person, unified social credit code for a company."),
    )
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # A record merged into another stays, so that its history and old links still resolve.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["centre", "name"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [models.Index(fields=["centre", "phone"]), models.Index(fields=["centre", "name"])]

    def __str__(self) -> str:
        return self.name or self.phone

    @property
    def is_vip(self) -> bool:
        return self.vip_level > 0


class AgentSession(models.Model):
    """CT-9: an agent's live state, one row per employee, created at first log-in.

    The row is also the agent's lock: every service that changes what the agent holds locks it first
    (``select_for_update``), then the contact, so that two app servers never hand one agent two
    contacts and never deadlock.
    """

    class State(models.TextChoices):
        """The values of ``rules.AgentState``, with labels."""

        LOGGED_OUT = "logged_out", _("Logged out")
        READY = "ready", _("Ready")
        RINGING = "ringing", _("Ringing")
        BUSY = "busy", _("Busy")
        HOLD = "hold", _("On hold")
        ACW = "acw", _("After-call work")
        AWAY = "away", _("Away")

    class AwayReason(models.TextChoices):
        BREAK = "break", _("Break")
        MEAL = "meal", _("Meal")
        TRAINING = "training", _("Training")
        MEETING = "meeting", _("Meeting")
        COACHING = "coaching", _("Coaching")
        OTHER = "other", _("Other")
        NOT_ANSWERED = "not_answered", _("Not answered")

    class WorkMode(models.TextChoices):
        AUTO = "auto", _("Auto answer")
        MANUAL = "manual", _("Manual answer")

    employee = models.OneToOneField(
        Employee, on_delete=models.CASCADE, related_name="agent_session", verbose_name=_("agent")
    )
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.LOGGED_OUT)
    away_reason = models.CharField(_("away reason"), max_length=20, choices=AwayReason.choices, blank=True)
    state_since = models.DateTimeField(_("in state since"))
    work_mode = models.CharField(_("work mode"), max_length=10, choices=WorkMode.choices, default=WorkMode.MANUAL)
    idle_since = models.DateTimeField(
        _("idle since"), null=True, blank=True, help_text=_("When the agent last became ready.")
    )
    live_contacts = models.PositiveSmallIntegerField(_("current contacts"), default=0)
    logged_in_at = models.DateTimeField(_("logged in at"), null=True, blank=True)

    class Meta:
        ordering = ["employee"]
        verbose_name = _("agent state")
        verbose_name_plural = _("agent states")
        constraints = [
            models.CheckConstraint(
                condition=(Q(state="away") & ~Q(away_reason="")) | (~Q(state="away") & Q(away_reason="")),
                name="agent_away_has_a_reason",
            ),
            models.CheckConstraint(
                condition=~Q(state="ready") | Q(idle_since__isnull=False),
                name="agent_ready_has_idle_since",
            ),
        ]
        indexes = [models.Index(fields=["state"])]

    def __str__(self) -> str:
        return f"{self.employee} · {self.get_state_display()}"


class AgentStateChange(models.Model):
    """CT-9: every state transition with its time; KPIs and adherence are computed from these."""

    agent = models.ForeignKey(
        Employee, on_delete=models.CASCADE, related_name="agent_state_changes", verbose_name=_("agent")
    )
    from_state = models.CharField(_("from"), max_length=12, choices=AgentSession.State.choices)
    to_state = models.CharField(_("to"), max_length=12, choices=AgentSession.State.choices)
    away_reason = models.CharField(_("away reason"), max_length=20, choices=AgentSession.AwayReason.choices, blank=True)
    event = models.CharField(_("event"), max_length=20)
    at = models.DateTimeField(_("at"))
    contact = models.ForeignKey(
        "Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agent_state_changes",
        verbose_name=_("contact"),
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )

    class Meta:
        ordering = ["agent", "at", "pk"]
        verbose_name = _("agent state change")
        verbose_name_plural = _("agent state changes")
        indexes = [models.Index(fields=["agent", "at"]), models.Index(fields=["at"])]

    def __str__(self) -> str:
        return f"{self.agent} {self.from_state} → {self.to_state} ({self.at:%Y-%m-%d %H:%M:%S})"


class Contact(models.Model):
    """CT-15: one call or chat from arrival to the end of after-call work.

    `agent` is the agent holding the contact: set when it is offered, cleared when an offer is
    withdrawn (RONA) and kept after the end as the agent who handled it. Every offer, answer and
    withdrawal is a ContactEvent, so the offer history (and who rang without answering) stays.
    `single_contact` copies the channel's capacity so the database can enforce CT-7.
    """

    class Direction(models.TextChoices):
        INBOUND = "inbound", _("Inbound")
        OUTBOUND = "outbound", _("Outbound")
        INTERNAL = "internal", _("Internal")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        OFFERED = "offered", _("Offered")
        CONNECTED = "connected", _("Connected")
        ON_HOLD = "on_hold", _("On hold")
        ACW = "acw", _("After-call work")
        ENDED = "ended", _("Ended")
        ABANDONED = "abandoned", _("Abandoned")
        CALLBACK_REQUESTED = "callback_requested", _("Callback requested")

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="contacts", verbose_name=_("centre"))
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="contacts", verbose_name=_("channel"))
    queue = models.ForeignKey(
        Queue, on_delete=models.PROTECT, null=True, blank=True, related_name="contacts", verbose_name=_("queue")
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("customer"),
    )
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.INBOUND)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    single_contact = models.BooleanField(_("single-contact channel"), default=True, editable=False)
    priority = models.SmallIntegerField(_("priority"), default=0)
    customer_priority = models.PositiveSmallIntegerField(_("VIP level when queued"), default=0)
    caller_number = models.CharField(_("caller number"), max_length=30, blank=True)
    external_id = models.CharField(
        _("switch call id"), max_length=100, blank=True, help_text=_("The id the telephone switch or chat gave it.")
    )
    ivr_path = models.JSONField(_("IVR path"), default=list, blank=True)
    agent = models.ForeignKey(
        Employee, on_delete=models.PROTECT, null=True, blank=True, related_name="contacts", verbose_name=_("agent")
    )
    callback_for = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="callbacks",
        verbose_name=_("callback for"),
    )
    arrived_at = models.DateTimeField(_("arrived at"))
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    hold_started_at = models.DateTimeField(_("on hold since"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("after-call work finished at"), null=True, blank=True)
    offer_count = models.PositiveSmallIntegerField(_("offers"), default=0)
    wait_seconds = models.IntegerField(_("wait (seconds)"), default=0)
    talk_seconds = models.IntegerField(_("talk time (seconds)"), default=0)
    hold_seconds = models.IntegerField(_("hold time (seconds)"), default=0)
    acw_seconds = models.IntegerField(_("after-call work (seconds)"), default=0)
    disposition = models.CharField(_("disposition"), max_length=50, blank=True)
    recording_ref = models.CharField(_("recording"), max_length=500, blank=True)
    transcript_ref = models.CharField(_("transcript"), max_length=500, blank=True)
    rating = models.PositiveSmallIntegerField(_("satisfaction rating"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-arrived_at", "-pk"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(
                fields=["agent"],
                condition=Q(status__in=["offered", "connected", "on_hold", "acw"], single_contact=True),
                name="one_live_contact_per_agent",
            ),
            models.UniqueConstraint(
                fields=["centre", "external_id"], condition=~Q(external_id=""), name="contact_external_id_unique"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["offered", "connected", "on_hold", "acw"]) | Q(agent__isnull=False),
                name="contact_live_has_an_agent",
            ),
            models.CheckConstraint(
                condition=~Q(status="queued") | Q(agent__isnull=True, queue__isnull=False),
                name="contact_queued_in_a_queue_without_agent",
            ),
            models.CheckConstraint(
                condition=Q(wait_seconds__gte=0, talk_seconds__gte=0, hold_seconds__gte=0, acw_seconds__gte=0),
                name="contact_durations_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="contact_rating_1_to_5"
            ),
        ]
        indexes = [
            models.Index(fields=["centre", "status", "queued_at"]),
            models.Index(fields=["agent", "status"]),
            models.Index(fields=["centre", "arrived_at"]),
            models.Index(fields=["caller_number"]),
            # The estimated wait: the queue's latest finished contacts.
            models.Index(fields=["queue", "status", "closed_at"]),
        ]

    def __str__(self) -> str:
        return self.external_id or f"#{self.pk}"


LIVE_STATUSES = (Contact.Status.OFFERED, Contact.Status.CONNECTED, Contact.Status.ON_HOLD, Contact.Status.ACW)
# Contacts an agent is actively working on (not yet in after-call work).
ACTIVE_STATUSES = (Contact.Status.OFFERED, Contact.Status.CONNECTED, Contact.Status.ON_HOLD)


class ContactEvent(models.Model):
    """CT-15: every state change of a contact, with the agent involved (offers, transfers, …)."""

    class Kind(models.TextChoices):
        QUEUED = "queued", _("Queued")
        OFFERED = "offered", _("Offered")
        OFFER_EXPIRED = "offer_expired", _("Offer not answered")
        ANSWERED = "answered", _("Answered")
        HELD = "held", _("Put on hold")
        RETRIEVED = "retrieved", _("Retrieved")
        ENDED = "ended", _("Conversation ended")
        CLOSED = "closed", _("After-call work finished")
        ABANDONED = "abandoned", _("Abandoned")
        CALLBACK_REQUESTED = "callback_requested", _("Callback requested")
        # Reported by the switch (CT-1, CT-10, CT-15).
        RINGING = "ringing", _("Ringing")
        TRANSFERRED = "transferred", _("Transferred")
        CONFERENCED = "conferenced", _("Three-party call")
        CONSULTED = "consulted", pgettext_lazy("call action", "Consult")
        RECORDING_AVAILABLE = "recording_available", _("Recording available")
        # The console's own calls (CT-10).
        DIALED = "dialed", _("Dialled out")
        DIAL_FAILED = "dial_failed", _("Not reached")
        JOINED = "joined", _("Agent joined")
        LEFT = "left", _("Agent left")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="events", verbose_name=_("contact"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    at = models.DateTimeField(_("at"))
    agent = models.ForeignKey(
        Employee, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("agent")
    )
    queue = models.ForeignKey(
        Queue, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("queue")
    )
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["contact", "pk"]
        verbose_name = _("contact event")
        verbose_name_plural = _("contact events")
        indexes = [models.Index(fields=["contact", "at"]), models.Index(fields=["agent", "at"])]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.kind} {self.at:%H:%M:%S}"


# Interval statistics, service-rule exceptions, recordings (CT-12, CT-16, CT-17) and IVR menus (CT-4)
# live in their own modules; importing them here registers them with the app.
from banzu.contact.console_models import *  # noqa: E402, F403
from banzu.contact.customer_models import *  # noqa: E402, F403
from banzu.contact.ivr_models import *  # noqa: E402, F403
from banzu.contact.statistics_models import *  # noqa: E402, F403

# --- CTI (CT-1) ------------------------------------------------------------------------------------


class Switch(models.Model):
    """CT-1: a telephone switch allowed to use the CTI API, with its own token.

    Only a SHA-256 hash of the token is kept; the token itself is shown once, when it is made
    (``manage.py cti_token``). Tokens are long random strings, so a fast hash is enough.
    """

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="switches", verbose_name=_("centre"))
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(
        _("token prefix"), max_length=12, editable=False, help_text=_("The start of the token, to recognise it.")
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["token_hash"])

    class Meta:
        ordering = ["centre", "code"]
        verbose_name = _("telephone switch")
        verbose_name_plural = _("telephone switches")

    def __str__(self) -> str:
        return self.name or self.code


class CtiCall(models.Model):
    """CT-1: a switch's call id and the contact that is its current leg (a transfer starts a new leg)."""

    switch = models.ForeignKey(Switch, on_delete=models.PROTECT, related_name="calls", verbose_name=_("switch"))
    call_id = models.CharField(_("switch call id"), max_length=100)
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="cti_calls", verbose_name=_("current leg")
    )
    legs = models.PositiveSmallIntegerField(_("legs"), default=1)

    class Meta:
        ordering = ["switch", "call_id"]
        verbose_name = _("switch call")
        verbose_name_plural = _("switch calls")
        constraints = [models.UniqueConstraint(fields=["switch", "call_id"], name="cti_call_id_once_per_switch")]

    def __str__(self) -> str:
        return self.call_id


class CtiEvent(models.Model):
    """CT-1: every event a switch reported and Banzu applied; the unique id makes repeats harmless.

    An event that was refused (4xx) is not recorded, so the switch may send it again once fixed.
    """

    switch = models.ForeignKey(Switch, on_delete=models.PROTECT, related_name="events", verbose_name=_("switch"))
    event_id = models.CharField(_("event id"), max_length=100)
    kind = models.CharField(_("type"), max_length=30)
    call_id = models.CharField(_("switch call id"), max_length=100, blank=True)
    digest = models.CharField(_("body hash"), max_length=64)
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="cti_events", verbose_name=_("contact")
    )
    outcome = models.CharField(_("outcome"), max_length=30, blank=True)
    at = models.DateTimeField(_("at"))
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        ordering = ["switch", "received_at", "pk"]
        verbose_name = _("switch event")
        verbose_name_plural = _("switch events")
        constraints = [models.UniqueConstraint(fields=["switch", "event_id"], name="cti_event_id_once_per_switch")]
        indexes = [models.Index(fields=["switch", "call_id"])]

    def __str__(self) -> str:
        return f"{self.switch_id} {self.event_id} {self.kind}"
