"""Roles of ORG-6. A person can hold several; permissions and scope derive from them (core.scoping)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    TEAM_LEADER = "team_leader", _("Team leader")
    SHIFT_LEAD = "shift_lead", _("Shift lead")
    QA_INSPECTOR = "qa_inspector", _("QA inspector")
    TRAINER = "trainer", _("Trainer")
    SUPERVISOR = "supervisor", _("Supervisor")
    MANAGER = "manager", _("Manager")
    DIRECTOR = "director", _("Director")
    HR = "hr", _("HR")
    GENERAL_MANAGER = "general_manager", _("General manager")
    CHAIRMAN = "chairman", _("Chairman")
    ADMINISTRATOR = "administrator", _("Administrator")
