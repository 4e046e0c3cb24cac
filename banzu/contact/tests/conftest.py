"""Fixtures of the contact app: a voice queue staffed by the personas of ``banzu.conftest``."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

T0 = datetime(2025, 3, 14, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Friday, a working day


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


class Floor:
    """The centre's routing set-up for a test: queues, skills and helpers that act through services."""

    def __init__(self, org):
        from banzu.contact.tests.factories import QueueFactory, QueueSkillFactory
        from banzu.org.models import EmployeeSkill
        from banzu.org.tests.factories import SkillFactory

        self.org = org
        self.centre = org.centre
        self.tax = SkillFactory(code="tax", name="办税咨询")
        self.queue = QueueFactory(department=org.department, code="TAX", name="办税热线")
        QueueSkillFactory(queue=self.queue, skill=self.tax, min_level=2)
        for key, level in (("agent", 3), ("teammate", 3), ("other_agent", 2), ("team_leader", 4)):
            EmployeeSkill.objects.create(employee=org.people[key], skill=self.tax, level=level)

    def person(self, key):
        return self.org.people[key]

    def login(self, key, seconds=0):
        from banzu.contact.services import set_agent_state

        return set_agent_state(agent=self.person(key), action="login", now=at(seconds))

    def call(self, seconds=0, **kwargs):
        from banzu.contact.services import enqueue_contact

        kwargs.setdefault("queue", self.queue)
        return enqueue_contact(now=at(seconds), **kwargs)

    def route(self, seconds=0):
        from banzu.contact.services import route_waiting

        return route_waiting(centre=self.centre, now=at(seconds))


@pytest.fixture
def floor(org):
    return Floor(org)


@pytest.fixture
def published():
    """Contact events delivered after commit, as (kind, payload)."""
    from banzu.contact import events

    seen: list[tuple[str, dict]] = []

    def listener(kind, payload):
        seen.append((kind, payload))

    events.subscribe(listener)
    yield seen
    events.unsubscribe(listener)
