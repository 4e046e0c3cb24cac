"""The complaints API over HTTP: filing, the workflow to closure, errors that name the field or the
rule and change nothing, scope, the analysis and the list's query ceiling."""

from __future__ import annotations

import pytest

from banzu.complaints.models import Complaint, ComplaintStep
from banzu.complaints.tests.conftest import FORM
from banzu.workorders.models import Notification, WorkOrder

pytestmark = pytest.mark.django_db

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def post(client, url, data):
    return client.post(url, data, format="json", **ENGLISH)


def test_an_agent_files_a_complaint_and_the_handler_is_notified(org, api_as):
    response = post(api_as("agent"), "/api/v1/complaints/", FORM)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["level"], body["status"], body["handler"]) == (1, "filed", org.people["supervisor"].pk)
    assert body["working_days_left"] is not None and body["steps"][0]["kind"] == "filed"
    assert Notification.objects.filter(recipient=org.people["supervisor"]).count() == 1


def test_a_missing_field_is_named_and_nothing_is_written(org, api_as):
    response = post(api_as("agent"), "/api/v1/complaints/", {**FORM, "content": "", "source": ""})
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert fields["content"][0] == {"code": "required", "message": "Enter what the complaint is about."}
    assert fields["source"][0]["code"] == "required"
    assert (Complaint.objects.count(), WorkOrder.objects.count()) == (0, 0)


def test_an_illegal_status_jump_answers_409_with_the_rule_and_changes_nothing(org, api_as, file):
    complaint = file()
    response = post(api_as("supervisor"), f"/api/v1/complaints/{complaint.pk}/steps/", {"step": "close"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "wrong_status"
    assert "Filed" in body["message"] and "Accept" in body["message"]
    assert Complaint.objects.get().status == "filed"
    assert ComplaintStep.objects.count() == 1


def test_acting_outside_ones_scope_is_answered_as_missing(org, api_as, file):
    complaint = file()
    response = post(api_as("other_supervisor"), f"/api/v1/complaints/{complaint.pk}/steps/", {"step": "accept"})
    assert response.status_code == 404
    assert Complaint.objects.get().status == "filed"


def test_a_complaint_is_walked_to_closure_through_the_api(org, api_as, file):
    complaint = file()
    url = f"/api/v1/complaints/{complaint.pk}/steps/"
    shift_lead, supervisor = api_as("shift_lead"), api_as("supervisor")
    steps = [
        (shift_lead, {"step": "accept"}),
        (shift_lead, {"step": "verify", "note": "核实属实"}),
        (supervisor, {"step": "decide", "is_valid": True, "cause": "attitude", "note": "违反服务规范"}),
        (supervisor, {"step": "apologise", "note": "致歉"}),
        (supervisor, {"step": "agree_solution", "note": "方案"}),
        (supervisor, {"step": "resolve", "note": "已解决"}),
        (
            supervisor,
            {
                "step": "determine_responsibility",
                "note": "扣5分",
                "responsible_person": org.people["agent"].pk,
                "management_failure": True,
                "responsible_superior": org.people["team_leader"].pk,
            },
        ),
        (supervisor, {"step": "call_back", "method": "phone", "satisfied": True}),
        (supervisor, {"step": "correct", "note": "培训"}),
        (supervisor, {"step": "verify_correction", "note": "验证合格"}),
        (supervisor, {"step": "close", "note": "结案"}),
    ]
    for client, data in steps:
        response = post(client, url, data)
        assert response.status_code == 200, (data, response.json())
    body = response.json()
    assert body["status"] == "closed" and body["joint_liability"] is True
    assert len(body["steps"]) == 12
    published = post(supervisor, f"/api/v1/complaints/{complaint.pk}/publish/", {"body": "责任人张伟扣5分"})
    assert published.status_code == 201
    notices = api_as("agent").get("/api/v1/complaint-notices/").json()
    assert [n["complaint_number"] for n in notices["results"]] == [complaint.number]
    assert api_as("vip_agent").get("/api/v1/complaint-notices/").json()["results"] == []


def test_an_agent_lists_only_their_own_complaints(org, api_as, file):
    mine = file("agent")
    file("teammate")
    listed = api_as("agent").get("/api/v1/complaints/").json()["results"]
    assert [row["id"] for row in listed] == [mine.pk]
    assert len(api_as("supervisor").get("/api/v1/complaints/").json()["results"]) == 2


def test_the_list_has_a_query_ceiling(org, api_as, file, django_assert_max_num_queries):
    for i in range(6):
        file(complainant=f"客户{i}")
    client = api_as("supervisor")
    with django_assert_max_num_queries(20):
        response = client.get("/api/v1/complaints/")
    assert len(response.json()["results"]) == 6


def test_the_analysis_counts_the_callers_complaints(org, api_as, file, advance):
    complaint = file()
    file(source="media", channel="media")
    advance("shift_lead", complaint, "accept")
    advance("shift_lead", complaint, "verify", note="x")
    advance("supervisor", complaint, "decide", is_valid=True, cause="attitude", note="x")
    body = api_as("manager").get("/api/v1/complaints/analysis/?filed_from=2024-03-01&filed_to=2024-03-31").json()
    assert (body["total"], body["valid"], body["undecided"]) == (2, 1, 1)
    assert [level for level, _count in body["by_level"]] == ["Level 1", "Level 3"] or len(body["by_level"]) == 2


@pytest.mark.parametrize("path", ["/api/v1/complaints/", "/api/v1/complaints/analysis/"])
@pytest.mark.parametrize("field", ["filed_from", "filed_to"])
def test_an_unreadable_filing_date_is_refused_naming_the_field(org, api_as, path, field):
    response = api_as("supervisor").get(path, {field: "2025-13-40"})
    assert response.status_code == 400
    assert field in str(response.json())
    assert api_as("supervisor").get(path, {field: "2025-03-14"}).status_code == 200
