"""Policies of callbacks and on-site dispatch: schedules, sample size, response limits."""

from django.utils.translation import gettext_lazy as _

from banzu.core.policies import Policy, register

register(
    # --- callback types and schedules ----------------------------------------------------------
    Policy(
        "callbacks.resolved_samples_per_agent_per_month",
        # CB-1 asks for a monthly sample per agent without naming its size; a starting point.
        default=5,
        spec="CB-1",
        label=_("Resolved calls sampled for a callback per agent per month"),
        unit=_("contacts"),
        minimum=0,
        maximum=500,
    ),
    Policy(
        "callbacks.city_interval_days",
        default=1,
        spec="CB-3",
        label=_("Interval between callback runs for city customers"),
        unit=_("days"),
        minimum=1,
        maximum=31,
    ),
    Policy(
        "callbacks.provincial_start_working_day",
        default=1,
        spec="CB-3, D1",
        label=_("Working day after the collection period on which provincial callbacks start"),
        unit=_("working days"),
        minimum=1,
        maximum=30,
        help_text=_("1 is the first working day after the collection period."),
    ),
    Policy(
        "callbacks.provincial_window_working_days",
        default=4,
        spec="CB-3, D1",
        label=_("Time to finish provincial customer callbacks"),
        unit=_("working days"),
        minimum=1,
        maximum=60,
        help_text=_("Unanswered or switched-off numbers are retried together on the last day."),
    ),
    Policy(
        "callbacks.follow_up_working_days",
        # CB-5 asks for follow-up of unreachable and dissatisfied customers without a time limit.
        default=2,
        spec="CB-5",
        label=_("Time to finish a follow-up task"),
        unit=_("working days"),
        minimum=1,
        maximum=30,
        help_text=_("Follow-up of unreachable and dissatisfied customers, counted from the callback."),
    ),
    Policy(
        "callbacks.satisfied_rating_minimum",
        # Ratings are 1-5 (非常满意 … 不满意); the seeds do not say where "satisfied" starts.
        default=4,
        spec="CB-5",
        label=_("Lowest rating counted as satisfied"),
        unit=_("points"),
        minimum=1,
        maximum=5,
        help_text=_("Ratings from IVR, chat and callbacks are 1 to 5."),
    ),
    # --- on-site service dispatch --------------------------------------------------------------
    Policy(
        "callbacks.onsite_response_hours_agreement",
        default=24,
        spec="CB-4, D12",
        label=_("On-site response limit for customers with a service agreement"),
        unit=_("hours"),
        minimum=1,
        maximum=720,
        help_text=_("Clock hours from registration."),
    ),
    Policy(
        "callbacks.onsite_response_hours_other",
        default=48,
        spec="CB-4, D12",
        label=_("On-site response limit for other customers"),
        unit=_("hours"),
        minimum=1,
        maximum=720,
        help_text=_("Clock hours from registration."),
    ),
)
