"""Policies of the simulator.

The simulator drives the routing of ``contact.rules`` with the same policies as the live system
(service level target, intervals: ``contact.*``), so that a staffing plan validated by simulation is
validated for the real routing (CT-20, DESIGN principle 2). The spec names no number of its own for
it; declare any here with ``register(...)`` when one appears.
"""
