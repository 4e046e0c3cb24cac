"""IVR menus (CT-4): one menu tree per centre, edited in place. Imported at the end of ``contact.models``.

The tree's rules (keys, no cycles, what each choice needs) are checked by ``contact.ivr`` with the
pure ``rules.ivr_problems``; the database backs what it can: one root per centre, a key once per
menu.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from banzu.contact.models import Queue
from banzu.org.models import Centre

__all__ = ["IvrNode"]


class IvrNode(models.Model):
    """A menu, or a choice on a menu: key → sub-menu / queue / self-service answer / leave a message.

    `category` is the work-order category the agent's business form opens with when the caller's key
    path ends here (受理界面弹出); `common_question` marks choices whose handling time is limited (CT-12).
    """

    class Action(models.TextChoices):
        """The values of ``rules.IvrAction``, with labels."""

        MENU = "menu", _("Sub-menu")
        QUEUE = "queue", _("Queue")
        SELF_SERVICE = "self_service", _("Self-service answer")
        MESSAGE = "message", _("Leave a message")

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="+", verbose_name=_("centre"))
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children", verbose_name=_("menu")
    )
    key = models.CharField(_("key"), max_length=1, blank=True)
    label = models.CharField(_("name"), max_length=50)
    prompt = models.CharField(_("prompt text"), max_length=500, blank=True)
    action = models.CharField(_("leads to"), max_length=20, choices=Action.choices, default=Action.MENU)
    queue = models.ForeignKey(
        Queue, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("queue")
    )
    answer = models.TextField(_("self-service answer"), blank=True)
    category = models.CharField(_("work-order category"), max_length=20, blank=True)
    common_question = models.BooleanField(_("common question"), default=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["centre", "parent_id", "key"]
        verbose_name = _("IVR menu item")
        verbose_name_plural = _("IVR menu items")
        constraints = [
            models.UniqueConstraint(
                fields=["centre"], condition=Q(parent__isnull=True), name="ivr_one_root_per_centre"
            ),
            models.UniqueConstraint(fields=["parent", "key"], name="ivr_key_once_per_menu"),
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="ivr_node_not_its_own_menu"),
            models.CheckConstraint(
                condition=~Q(action="queue") | Q(queue__isnull=False), name="ivr_queue_choice_names_a_queue"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.label}" if self.key else self.label
