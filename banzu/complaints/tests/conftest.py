"""Fixtures of the complaint tests: a fixed clock, the shift lead on duty and complaints filed
through the services."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Thursday 14 March 2024: due at the end of Monday 18 March.
NOW = datetime(2024, 3, 14, 9, 0, tzinfo=SHANGHAI)


@pytest.fixture
def now():
    return NOW


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


FORM = {
    "channel": "phone",
    "source": "company",
    "complainant": "李先生",
    "complainant_org": "某某贸易有限公司",
    "contact_phone": "13800138000",
    "content": "办税服务厅窗口人员态度生硬",
    "location": "人民路办税服务厅",
    "summary": "窗口人员态度生硬",
}


@pytest.fixture
def file(org, now):
    """file(persona, **fields): a complaint filed by that persona through the service."""
    from banzu.complaints import services

    def make(persona: str = "agent", **fields):
        values = {**FORM, "now": now, **fields}
        return services.file_complaint(user=org.people[persona].user, **values)

    return make


@pytest.fixture
def advance(org, now):
    """advance(persona, complaint, step, **fields) through the service."""
    from banzu.complaints import services

    def run(persona, complaint, step, **fields):
        fields.setdefault("now", now)
        return services.advance_complaint(user=org.people[persona].user, complaint_id=complaint.pk, step=step, **fields)

    return run


# The valid path after filing: (persona, step, fields); responsible persons filled in by walk().
VALID_PATH = [
    ("shift_lead", "accept", {}),
    ("shift_lead", "verify", {"note": "调取录音，核实属实"}),
    ("supervisor", "decide", {"is_valid": True, "cause": "attitude", "note": "违反服务规范"}),
    ("supervisor", "apologise", {"note": "当面致歉"}),
    ("supervisor", "agree_solution", {"note": "更换窗口人员并优先办理"}),
    ("supervisor", "resolve", {"note": "已优先办理"}),
    ("supervisor", "determine_responsibility", {"note": "扣5分", "management_failure": True}),
    ("supervisor", "call_back", {"method": "phone", "satisfied": True, "note": "客户满意"}),
    ("supervisor", "correct", {"note": "组织服务规范培训"}),
    ("supervisor", "verify_correction", {"note": "服务监督抽查合格"}),
]


@pytest.fixture
def walk(org, advance):
    """walk(complaint, upto=None): take the valid path's steps up to and including `upto`."""

    def run(complaint, upto=None):
        for persona, step, fields in VALID_PATH:
            if step == "determine_responsibility":
                fields = {
                    **fields,
                    "responsible_person": org.people["agent"],
                    "responsible_superior": org.people["team_leader"],
                }
            complaint = advance(persona, complaint, step, **fields)
            if step == upto:
                break
        return complaint

    return run
