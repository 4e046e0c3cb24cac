"""Policies of performance and appraisal: KPI targets, the points scheme, grades, coaching.

The deduction rules themselves (APR-2, two seed schemes) are data rows of the appraisal rule table,
not policies; only the scheme's numbers that the arithmetic needs are declared here.
"""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from banzu.core.policies import Kind, Policy, register

register(
    # --- KPI targets (seed defaults of the KPI definitions) -----------------------------------------
    Policy(
        "performance.contacts_per_day_target",
        default=70,
        spec="KPI-1",
        label=_("Target of contacts handled per agent per day"),
        unit=_("contacts"),
        minimum=1,
        maximum=1000,
    ),
    Policy(
        "performance.first_contact_resolution_target_percent",
        default=90,
        spec="KPI-1",
        label=_("First-contact resolution target"),
        unit=_("%"),
        minimum=0,
        maximum=100,
    ),
    Policy(
        "performance.satisfaction_target_percent",
        default=80,
        spec="KPI-1",
        label=_("Satisfaction target"),
        unit=_("%"),
        minimum=0,
        maximum=100,
    ),
    # --- monthly appraisal scheme ------------------------------------------------------------------
    Policy(
        "performance.office_appraisal_points",
        default=40,
        spec="APR-1",
        label=_("Points of the office appraisal"),
        unit=_("points"),
        minimum=0,
        maximum=1000,
        help_text=_("The appraisal base is the sum of the office and the business appraisal points."),
    ),
    Policy(
        "performance.business_appraisal_points",
        default=60,
        spec="APR-1",
        label=_("Points of the department business appraisal"),
        unit=_("points"),
        minimum=0,
        maximum=1000,
        help_text=_("The appraisal base is the sum of the office and the business appraisal points."),
    ),
    Policy(
        "performance.yuan_per_point",
        default=Decimal("5"),
        spec="APR-1, D9",
        label=_("Value of one appraisal point"),
        kind=Kind.DECIMAL,
        unit=_("yuan"),
        minimum=Decimal("0"),
        maximum=Decimal("10000"),
    ),
    Policy(
        "performance.performance_pool_yuan",
        default=Decimal("500"),
        spec="APR-1, D9",
        label=_("Monthly performance pool per employee"),
        kind=Kind.DECIMAL,
        unit=_("yuan"),
        minimum=Decimal("0"),
        maximum=Decimal("1000000"),
        help_text=_("By default the appraisal base multiplied by the value of one point."),
    ),
    Policy(
        "performance.fines_draw_on_pool",
        default=True,
        spec="D9",
        label=_("Fines are paid from the performance pool"),
        kind=Kind.BOOLEAN,
    ),
    Policy(
        "performance.excess_from_base_salary",
        default=True,
        spec="APR-1, D9",
        label=_("Deductions beyond the performance pool are offset against the base salary"),
        kind=Kind.BOOLEAN,
    ),
    Policy(
        "performance.deduction_objections",
        default=1,
        spec="APR-3",
        label=_("Objections an employee may raise against one deduction"),
        unit=_("times"),
        minimum=0,
        maximum=5,
    ),
    Policy(
        "performance.offset_commendation_percent",
        default=100,
        spec="APR-4, D7",
        label=_("Commendation points needed to offset a penalty, as a share of the penalty's points"),
        unit=_("%"),
        minimum=1,
        maximum=1000,
        help_text=_("The commendation must be recorded in the same calendar year as the penalty."),
    ),
    # --- grades ------------------------------------------------------------------------------------
    Policy(
        "performance.grade_excellent_min",
        default=90,
        spec="APR-5, D6",
        label=_("Lowest appraisal score graded excellent"),
        unit=_("points"),
        minimum=0,
        maximum=100,
    ),
    Policy(
        "performance.grade_good_min",
        default=80,
        spec="APR-5, D6",
        label=_("Lowest appraisal score graded good"),
        unit=_("points"),
        minimum=0,
        maximum=100,
    ),
    Policy(
        "performance.grade_qualified_min",
        default=60,
        spec="APR-5, D6",
        label=_("Lowest appraisal score graded qualified"),
        unit=_("points"),
        minimum=0,
        maximum=100,
        help_text=_("Scores below it are graded poor."),
    ),
    # --- coaching ----------------------------------------------------------------------------------
    Policy(
        "performance.coaching_trigger_days",
        # CO-1 names "KPI below target N days" without a value; a starting point.
        default=3,
        spec="CO-1",
        label=_("Days below a KPI target before coaching is suggested"),
        unit=_("days"),
        minimum=1,
        maximum=90,
    ),
)
