"""Policies of quality inspection: sampling and disputes."""

from django.utils.translation import gettext_lazy as _

from banzu.core.policies import Policy, register

register(
    Policy(
        "quality.samples_per_agent_per_month",
        # QA-2 asks for a configurable number without naming it; a starting point.
        default=10,
        spec="QA-2",
        label=_("Contacts sampled for inspection per agent per month"),
        unit=_("contacts"),
        minimum=0,
        maximum=1000,
        help_text=_("Extra samples for new agents, complaints and service-rule exceptions come on top."),
    ),
    Policy(
        "quality.disputes_per_score",
        default=1,
        spec="QA-3",
        label=_("Disputes an agent may raise against one score"),
        unit=_("times"),
        minimum=0,
        maximum=5,
    ),
)
