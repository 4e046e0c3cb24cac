"""Policies of complaints: processing limit and its reminder."""

from django.utils.translation import gettext_lazy as _

from banzu.core.policies import Policy, register

register(
    Policy(
        "complaints.processing_working_days",
        default=2,
        spec="CMP-3, D1, D11",
        label=_("Time to close a complaint"),
        unit=_("working days"),
        minimum=1,
        maximum=60,
        help_text=_(
            "Counted from the day the complaint is filed; it is due at the end of the last working day. "
            "Closure means the customer has been answered and the record is complete."
        ),
    ),
    Policy(
        "complaints.reminder_hours_before_due",
        # CMP-3 asks for reminders before the deadline without naming a lead time; a starting point.
        default=24,
        spec="CMP-3",
        label=_("Reminder before a complaint is due"),
        unit=_("hours"),
        minimum=0,
        maximum=240,
        help_text=_("0 sends no reminder before the due time."),
    ),
)
