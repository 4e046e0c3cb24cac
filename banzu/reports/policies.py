"""Policies of reports: number presentation."""

from django.utils.translation import gettext_lazy as _

from banzu.core.policies import Policy, register

register(
    Policy(
        "reports.percent_decimal_places",
        # The UI text rules show percentages with one decimal (80.0%) unless a policy says otherwise.
        default=1,
        spec="RPT-4",
        label=_("Decimal places of percentages in reports and exports"),
        unit=_("decimal places"),
        minimum=0,
        maximum=4,
    ),
)
