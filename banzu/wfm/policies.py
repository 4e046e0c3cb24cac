"""Policies of workforce management: working-time rules, changes, blackout cover, attendance.

The staffing target (80 % in 20 s) and the interval lengths are the contact policies
``contact.service_level_*`` and ``contact.*_interval_minutes``: one number, one policy.
"""

from django.utils.translation import gettext_lazy as _

from banzu.core.policies import Policy, register

register(
    # --- staffing and forecast (WFM-1, WFM-2) ---------------------------------------------------------
    # WFM-2 names shrinkage (breaks, training, meetings, leave) without a value; about a third of
    # paid time is a common starting point for a hotline.
    Policy(
        "wfm.shrinkage_percent",
        default=30,
        spec="WFM-2",
        label=_("Shrinkage: share of paid time not available for contacts"),
        unit=_("%"),
        minimum=0,
        maximum=95,
    ),
    # WFM-1 forecasts "from history" without naming how much; a year sees every holiday once.
    Policy(
        "wfm.forecast_history_days",
        default=365,
        spec="WFM-1",
        label=_("History used to fit a forecast"),
        unit=_("days"),
        minimum=28,
        maximum=1460,
    ),
    Policy(
        "wfm.forecast_max_horizon_days",
        default=62,
        spec="WFM-1",
        label=_("Longest forecast horizon"),
        unit=_("days"),
        minimum=1,
        maximum=400,
    ),
    # --- working-time rules (WFM-4) --------------------------------------------------------------
    # WFM-4 names the rules without values. The defaults follow the national working-hours
    # regulations (8 hours a day, 40 a week, at least one day off a week); the rest between shifts
    # is a starting point.
    Policy(
        "wfm.max_hours_per_day",
        default=8,
        spec="WFM-4",
        label=_("Maximum working hours a day"),
        unit=_("hours"),
        minimum=1,
        maximum=24,
    ),
    Policy(
        "wfm.max_hours_per_week",
        default=40,
        spec="WFM-4",
        label=_("Maximum working hours a week"),
        unit=_("hours"),
        minimum=1,
        maximum=168,
    ),
    Policy(
        "wfm.min_rest_between_shifts_hours",
        default=12,
        spec="WFM-4",
        label=_("Minimum rest between two shifts"),
        unit=_("hours"),
        minimum=0,
        maximum=48,
    ),
    Policy(
        "wfm.min_days_off_per_week",
        default=1,
        spec="WFM-4",
        label=_("Minimum days off a week"),
        unit=_("days"),
        minimum=0,
        maximum=7,
    ),
    Policy(
        "wfm.max_consecutive_working_days",
        default=6,
        spec="WFM-4",
        label=_("Maximum consecutive working days"),
        unit=_("days"),
        minimum=1,
        maximum=31,
    ),
    # --- publication and changes -------------------------------------------------------------------
    Policy(
        "wfm.swap_notice_days",
        default=1,
        spec="WFM-6",
        label=_("Notice needed to request a shift swap or change"),
        unit=_("days"),
        minimum=0,
        maximum=30,
    ),
    # --- blackout periods (the collection period of the tax-service seed) -------------------------
    Policy(
        "wfm.blackout_weekend_duty_days",
        default=2,
        spec="WFM-7",
        label=_("Weekend days on duty during a blackout period"),
        unit=_("days"),
        minimum=0,
        maximum=2,
    ),
    Policy(
        "wfm.blackout_lunch_cover_agents",
        default=2,
        spec="WFM-7",
        label=_("Minimum agents on duty over lunch during a blackout period"),
        unit=_("agents"),
        minimum=0,
        maximum=500,
    ),
    Policy(
        "wfm.blackout_lunch_cover_agents_high_traffic",
        default=3,
        spec="WFM-7",
        label=_("Minimum agents on duty over lunch during a blackout period when traffic is high"),
        unit=_("agents"),
        minimum=0,
        maximum=500,
    ),
    # --- attendance and adherence ------------------------------------------------------------------
    Policy(
        "wfm.arrive_before_shift_minutes",
        default=10,
        spec="WFM-10, APR-2",
        label=_("Arrive at the seat before the shift starts"),
        unit=_("minutes"),
        minimum=0,
        maximum=120,
        help_text=_("Arriving later is recorded as lateness and can lead to a deduction."),
    ),
    Policy(
        "wfm.adherence_alert_minutes",
        # WFM-11 asks for real-time alerts without naming a tolerance; a starting point.
        default=5,
        spec="WFM-11",
        label=_("Time out of adherence before the team leader is alerted"),
        unit=_("minutes"),
        minimum=1,
        maximum=240,
    ),
)
