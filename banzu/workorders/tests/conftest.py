"""Fixtures of the work-order tests: a fixed clock, duty records and orders built through services."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import translation

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2024, 3, 14, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def on_duty(org):
    """周杰 (shift_lead) on duty from 08:00 to 16:00 on the test day."""
    from banzu.workorders.models import DutyAssignment

    return DutyAssignment.objects.create(
        centre=org.centre,
        shift_lead=org.people["shift_lead"],
        starts_at=NOW - timedelta(hours=1),
        ends_at=NOW + timedelta(hours=7),
    )


@pytest.fixture
def unit_head(org):
    """The VIP department (D2) is the responsible unit of choice; its head is other_supervisor."""
    from banzu.org.models import Department

    Department.objects.filter(pk=org.other_department.pk).update(head=org.people["other_supervisor"])
    org.other_department.refresh_from_db()
    return org.people["other_supervisor"]


@pytest.fixture
def create(org, now):
    """create(persona, **fields): a work order recorded by that persona through the service."""
    from banzu.workorders import services

    def make(persona: str = "agent", **fields):
        values = {
            "category": "suggestion",
            "location": "人民路10号",
            "summary": "建议延长办税大厅开放时间",
            "caller_number": "13800138000",
            "now": now,
        }
        values.update(fields)
        return services.create_work_order(user=org.people[persona].user, **values)

    return make


@pytest.fixture
def page_as(client_as):
    """A logged-in client reading pages in English, so assertions hold once zh-Hans is translated."""

    def make(persona: str):
        client = client_as(persona)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make
