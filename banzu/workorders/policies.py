"""Policies of work orders: completion and delayed-answer clocks."""

from django.utils.translation import gettext_lazy as _

from banzu.core.policies import Policy, register

register(
    Policy(
        "workorders.completion_minutes",
        default=15,
        spec="WO-4, D8, KPI-1",
        label=_("Time to complete a work order after the contact ends"),
        unit=_("minutes"),
        minimum=1,
        maximum=1440,
        help_text=_("Work orders completed later are flagged as overdue and count in the agent's KPIs."),
    ),
    Policy(
        "workorders.delayed_answer_callback_minutes",
        default=15,
        spec="WO-5",
        label=_("Time to call back with a delayed answer after hanging up"),
        unit=_("minutes"),
        minimum=1,
        maximum=1440,
    ),
)
