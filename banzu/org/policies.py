from django.utils.translation import gettext_lazy as _

from banzu.core.policies import Kind, Policy, register

register(
    Policy(
        "org.agents_per_team_leader",
        default=20,
        spec="ORG-1, D16",
        label=_("Agents per team leader"),
        unit=_("agents"),
        minimum=1,
        maximum=200,
    ),
    Policy(
        "org.violations_before_review",
        default=3,
        spec="ORG-13, D17",
        label=_("Recorded violations that open a review"),
        unit=_("times"),
        minimum=1,
        maximum=20,
    ),
    Policy(
        "org.violation_window_months",
        default=12,
        spec="ORG-13, D17",
        label=_("Window for counting violations"),
        unit=_("months"),
        minimum=1,
        maximum=60,
    ),
    Policy(
        "org.morning_meeting_time",
        default="09:00",
        spec="ORG-12",
        label=_("Morning meeting time"),
        kind=Kind.TIME,
    ),
    Policy(
        "org.arrive_before_meeting_minutes",
        default=10,
        spec="ORG-12",
        label=_("Arrive before the morning meeting"),
        unit=_("minutes"),
        minimum=0,
        maximum=120,
    ),
    Policy(
        "org.daily_report_time",
        default="18:00",
        spec="ORG-12",
        label=_("Daily report time"),
        kind=Kind.TIME,
    ),
    Policy(
        "org.weekly_meeting_weekday",
        default=6,
        spec="ORG-12",
        label=_("Weekly meeting weekday (1 = Monday … 7 = Sunday)"),
        minimum=1,
        maximum=7,
    ),
    Policy(
        "org.weekly_meeting_time",
        default="18:00",
        spec="ORG-12",
        label=_("Weekly meeting time"),
        kind=Kind.TIME,
    ),
)
