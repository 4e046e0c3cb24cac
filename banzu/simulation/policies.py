"""Policies of the simulator.

The simulator drives the routing of ``contact.rules`` with the same policies as the live system
(service level target, intervals: ``contact.*``), so that a staffing plan validated by simulation is
validated for the real routing (CT-20, DESIGN principle 2). Its own numbers are declared here.
"""

from django.utils.translation import gettext_lazy as _

from banzu.core.policies import Policy, register

register(
    Policy(
        "simulation.max_expected_contacts",
        # CT-20 asks for a month of a several-hundred-seat centre (about a million contacts) in
        # about a minute; the cap keeps one what-if from occupying a worker for much longer.
        default=3_000_000,
        spec="CT-20",
        label=_("Most contacts one simulation run may expect"),
        unit=_("contacts"),
        minimum=1000,
        maximum=50_000_000,
    ),
)

register(
    Policy(
        "simulation.max_replay_days",
        # A month of history is what CT-20's validation replays; longer periods are a batch job.
        default=31,
        spec="CT-20",
        label=_("Longest period one simulation run may replay"),
        unit=_("days"),
        minimum=1,
        maximum=366,
    ),
)
