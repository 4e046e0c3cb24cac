"""Policies of contacts and routing: service level, service-rule limits, statistics, hosted seats."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from banzu.core.policies import Kind, Policy, register

register(
    # --- queues and staffing target (also the staffing target of WFM-2) ---------------------------
    Policy(
        "contact.service_level_percent",
        default=80,
        spec="CT-5, WFM-2",
        label=_("Service level target: share of contacts answered within the threshold"),
        unit=_("%"),
        minimum=1,
        maximum=100,
        help_text=_("The default for queues that set no target of their own."),
    ),
    Policy(
        "contact.service_level_seconds",
        default=20,
        spec="CT-5, WFM-2",
        label=_("Service level threshold: answered within"),
        unit=_("seconds"),
        minimum=1,
        maximum=3600,
        help_text=_("The default for queues that set no target of their own."),
    ),
    # --- routing -----------------------------------------------------------------------------------
    Policy(
        "contact.max_concurrent_chats",
        # CT-2 routes chats like calls but names no limit; three at once is a common starting point.
        default=3,
        spec="CT-2, CT-7",
        label=_("Chats an agent may handle at once"),
        unit=_("chats"),
        minimum=1,
        maximum=20,
    ),
    Policy(
        "contact.offer_timeout_seconds",
        # CT-7 asks that no contact is lost; the spec names no ring time, this default is a start.
        default=15,
        spec="CT-7, CT-9",
        label=_("Time an agent has to answer an offered contact"),
        unit=_("seconds"),
        minimum=5,
        maximum=300,
        help_text=_(
            "An offer not answered in time goes back to the head of its queue and the agent is set away "
            "with the reason not answered. The default for queues that set no time of their own."
        ),
    ),
    Policy(
        "contact.estimated_wait_sample_contacts",
        # CT-6 promises an estimated wait without saying how; a recent sample follows the day's pace.
        default=50,
        spec="CT-6",
        label=_("Recent contacts averaged for the estimated wait"),
        unit=_("contacts"),
        minimum=1,
        maximum=1000,
    ),
    Policy(
        "contact.estimated_wait_default_handle_seconds",
        default=180,
        spec="CT-6",
        label=_("Handle time assumed for the estimated wait of a queue without history"),
        unit=_("seconds"),
        minimum=1,
        maximum=7200,
    ),
    # --- agent states ------------------------------------------------------------------------------
    Policy(
        "contact.after_call_work_limit_seconds",
        # CT-9 asks for a configurable limit without naming a value; this default is a starting point.
        default=60,
        spec="CT-9",
        label=_("After-call work limit"),
        unit=_("seconds"),
        minimum=1,
        maximum=3600,
    ),
    # --- service rules recorded as exceptions for QA ----------------------------------------------
    Policy(
        "contact.hold_alert_seconds",
        default=30,
        spec="CT-12",
        label=_("Longest hold before it is recorded as an exception"),
        unit=_("seconds"),
        minimum=1,
        maximum=3600,
    ),
    Policy(
        "contact.courtesy_message_seconds",
        default=10,
        spec="CT-12",
        label=_("Longest customer wait without a courtesy message"),
        unit=_("seconds"),
        minimum=1,
        maximum=600,
    ),
    Policy(
        "contact.unattended_call_seconds",
        default=60,
        spec="CT-12",
        label=_("Longest time a call may be left unattended"),
        unit=_("seconds"),
        minimum=1,
        maximum=3600,
    ),
    Policy(
        "contact.common_question_minutes",
        default=5,
        spec="CT-12, KPI-1",
        label=_("Handling time for a common question before a transfer to the specialist line is suggested"),
        unit=_("minutes"),
        minimum=1,
        maximum=120,
        help_text=_("Also the limit of the KPI share of common questions handled in time."),
    ),
    # --- interval statistics -----------------------------------------------------------------------
    Policy(
        "contact.short_interval_minutes",
        default=15,
        spec="CT-16, WFM-1",
        label=_("Length of the short statistics interval"),
        unit=_("minutes"),
        minimum=5,
        maximum=60,
        help_text=_("A change applies to statistics recorded after it."),
    ),
    Policy(
        "contact.long_interval_minutes",
        default=30,
        spec="CT-16, WFM-1",
        label=_("Length of the long statistics interval"),
        unit=_("minutes"),
        minimum=5,
        maximum=120,
        help_text=_("A change applies to statistics recorded after it."),
    ),
    # --- records -----------------------------------------------------------------------------------
    Policy(
        "contact.recording_retention_months",
        # CT-17 makes retention a policy without naming a period; nothing is removed by default.
        default=0,
        spec="CT-17",
        label=_("Recording retention period"),
        unit=_("months"),
        minimum=0,
        maximum=1200,
        help_text=_("0 keeps recordings and transcripts indefinitely."),
    ),
    # --- hosted centres (seat leasing terms of a hosting provider) ---------------------------------
    Policy(
        "contact.hosted_seat_fee_yuan",
        default=Decimal("2000"),
        spec="CT-19",
        label=_("Hosted seat fee per seat per month"),
        kind=Kind.DECIMAL,
        unit=_("yuan"),
        minimum=Decimal("0"),
        maximum=Decimal("1000000"),
        help_text=_("Telephone fees are charged separately."),
    ),
    Policy(
        "contact.hosted_seat_hours_per_day",
        default=24,
        spec="CT-19",
        label=_("Hours a day a hosted seat is available"),
        unit=_("hours"),
        minimum=1,
        maximum=24,
    ),
    Policy(
        "contact.hosted_maintenance_days_per_month",
        default=2,
        spec="CT-19",
        label=_("Maintenance days a month for hosted seats"),
        unit=_("days"),
        minimum=0,
        maximum=31,
    ),
    Policy(
        "contact.hosted_suspension_unpaid_days",
        default=15,
        spec="CT-19",
        label=_("Days unpaid before a hosted service is suspended"),
        unit=_("days"),
        minimum=1,
        maximum=365,
    ),
    Policy(
        "contact.hosted_renewal_notice_months",
        default=1,
        spec="CT-19",
        label=_("Renewal notice for a hosted seat contract"),
        unit=_("months"),
        minimum=0,
        maximum=12,
    ),
)

# --- customers (CT-11, CT-18) ----------------------------------------------------------------------------
register(
    Policy(
        "contact.customer_number_search_min_digits",
        # CT-18 asks for search by number; a shorter fragment matches too many customers to be useful.
        default=4,
        spec="CT-18",
        label=_("Digits needed to search customers by part of a number"),
        unit=_("digits"),
        minimum=1,
        maximum=11,
    ),
    Policy(
        "contact.customer_recent_items",
        # CT-11 shows past contacts and work orders on the screen pop; the spec names no count.
        default=10,
        spec="CT-11, CT-18",
        label=_("Past contacts and work orders shown with a customer"),
        unit=_("records"),
        minimum=1,
        maximum=100,
    ),
    Policy(
        "contact.customer_max_vip_level",
        # Levels order VIP-first queues (CT-5); the spec names none, five levels is a common grading.
        default=5,
        spec="CT-5, CT-18",
        label=_("Highest customer VIP level"),
        unit=_("level"),
        minimum=1,
        maximum=9,
    ),
)

# --- agent console (CT-10) -------------------------------------------------------------------------------

register(
    Policy(
        "contact.agent_message_max_length",
        # CT-10 asks for short messages between agents and supervisors; the spec names no length.
        default=500,
        spec="CT-10",
        label=_("Longest agent message"),
        unit=_("characters"),
        minimum=20,
        maximum=2000,
    ),
    Policy(
        "contact.dial_number_min_digits",
        # Short service numbers (110, 12345) are three to five digits long.
        default=3,
        spec="CT-10",
        label=_("Fewest digits of a number dialled out"),
        unit=_("digits"),
        minimum=1,
        maximum=20,
    ),
    Policy(
        "contact.dial_number_max_digits",
        # Mainland mobiles are 11 digits, landlines up to 12 with the area code; prefixes and extensions add more.
        default=20,
        spec="CT-10",
        label=_("Most digits of a number dialled out"),
        unit=_("digits"),
        minimum=5,
        maximum=30,
    ),
)
