"""Fixtures of the callback tests: a fixed clock and records built through the services."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Thursday 14 March 2024, a working day; the collection period of March ends on Friday 15 March.
NOW = datetime(2024, 3, 14, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def english():
    """Messages are checked in English here; the zh-Hans catalogue is checked by its own test."""
    with translation.override("en"):
        yield


@pytest.fixture
def campaign(org):
    """campaign(persona, **fields): a campaign set up by that persona through the service."""
    from banzu.callbacks import services

    def make(persona: str = "team_leader", *, now=NOW, **fields):
        values = {"name": "三月服务协议回访", "kind": "service_agreement", "region": "city", **fields}
        return services.create_campaign(user=org.people[persona].user, now=now, **values)

    return make


@pytest.fixture
def task(org, campaign):
    """task(assignee persona or None, campaign=None, **fields): one customer on a city campaign."""
    from banzu.callbacks import services

    def make(assignee: str | None = "agent", *, on=None, now=NOW, **fields):
        target = on or campaign()
        values = {"customer_name": "武汉某某科技有限公司", "phone": "027-88886666", **fields}
        return services.add_task(
            user=org.people["team_leader"].user,
            campaign_id=target.pk,
            assignee=org.people[assignee] if assignee else None,
            now=now,
            **values,
        )

    return make


def ended_contact(org, agent: str, ended_at: datetime, *, number: str = "13900001111", rating: int | None = None):
    """An inbound call handled by `agent` that ended at `ended_at`."""
    from banzu.contact.models import Contact
    from banzu.contact.tests.factories import channel

    return Contact.objects.create(
        centre=org.centre,
        channel=channel("voice"),
        direction=Contact.Direction.INBOUND,
        status=Contact.Status.ENDED,
        agent=org.people[agent],
        caller_number=number,
        arrived_at=ended_at,
        answered_at=ended_at,
        ended_at=ended_at,
        rating=rating,
    )


def day(text: str) -> date:
    return date.fromisoformat(text)
