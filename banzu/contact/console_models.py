"""Other agents on a call and messages between agents (CT-10). Imported at the end of ``contact.models``."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from banzu.contact.models import Contact
from banzu.org.models import Centre, Employee, Team

__all__ = ["AgentMessage", "AgentMessageRecipient", "CallParty"]


class CallParty(models.Model):
    """CT-10, CT-15: an agent on a contact besides the agent holding it, while their leg lasts.

    The called agent of an internal call (内呼), a consulted agent (内部咨询) or a third party
    (三方会议). An open leg keeps the agent busy and out of routing; the database allows one open leg
    per agent, so nobody is booked on two calls at once.
    """

    class Role(models.TextChoices):
        CALLED = "called", _("Called agent")
        CONSULTED = "consulted", _("Consulted agent")
        CONFERENCED = "conferenced", _("Three-party call")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="parties", verbose_name=_("contact"))
    agent = models.ForeignKey(Employee, on_delete=models.PROTECT, related_name="call_legs", verbose_name=_("agent"))
    role = models.CharField(_("role on the call"), max_length=12, choices=Role.choices)
    started_at = models.DateTimeField(_("started at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        ordering = ["contact", "started_at", "pk"]
        verbose_name = _("call party")
        verbose_name_plural = _("call parties")
        constraints = [
            models.UniqueConstraint(fields=["agent"], condition=Q(ended_at__isnull=True), name="one_open_leg_per_agent")
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.role} {self.agent_id}"


class AgentMessage(models.Model):
    """CT-10 (坐席消息): a short text from an agent or a supervisor to one agent, a team or everyone on duty."""

    class Audience(models.TextChoices):
        EMPLOYEE = "employee", _("One person")
        TEAM = "team", _("A team")
        ON_DUTY = "on_duty", _("Everyone on duty")

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+", verbose_name=_("centre"))
    sender = models.ForeignKey(
        Employee, on_delete=models.PROTECT, related_name="agent_messages_sent", verbose_name=_("sender")
    )
    audience = models.CharField(_("sent to"), max_length=10, choices=Audience.choices)
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("team")
    )
    text = models.TextField(_("message"))
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("contact")
    )
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        ordering = ["-sent_at", "-pk"]
        verbose_name = _("agent message")
        verbose_name_plural = _("agent messages")
        indexes = [models.Index(fields=["sender", "sent_at"])]

    def __str__(self) -> str:
        return f"{self.sender_id} {self.sent_at:%Y-%m-%d %H:%M}"


class AgentMessageRecipient(models.Model):
    """One recipient of an agent message and when they read it."""

    message = models.ForeignKey(
        AgentMessage, on_delete=models.CASCADE, related_name="recipients", verbose_name=_("message")
    )
    recipient = models.ForeignKey(
        Employee, on_delete=models.CASCADE, related_name="agent_messages_received", verbose_name=_("recipient")
    )
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-message__sent_at", "-pk"]
        verbose_name = _("message recipient")
        verbose_name_plural = _("message recipients")
        constraints = [models.UniqueConstraint(fields=["message", "recipient"], name="agent_message_recipient_once")]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.recipient_id}"
