"""API and pages of interval statistics, service-rule exceptions, recordings and the IVR menu
(CT-4, CT-12, CT-16, CT-17): the role × action matrix over HTTP, scoped contents, read-only records.

The records belong to `agent` (team A, department D1) on a queue staffed by D1. Expected answers are
written out from the spec: statistics of a queue are for its department and the centre roles; an
agent's for the agent, their team leader, their supervisor and the centre roles; service-rule
exceptions for team leaders (their team) and QA and centre roles (CT-12); the IVR menu is read by
everyone of the centre and edited by supervisors, managers and administrators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.urls import URLResolver, get_resolver, resolve

from banzu.conftest import PERSONAS
from banzu.contact import compliance, ivr, recordings, services
from banzu.contact.models import AgentInterval, IvrNode, QueueInterval, ServiceException
from banzu.contact.tests.conftest import at

PEOPLE = [*PERSONAS, "vip_agent"]
CENTRE_WIDE = {"shift_lead", "qa", "trainer", "manager", "hr", "admin"}
EXCEPTION_READERS = {"team_leader", "other_team_leader", "supervisor", "other_supervisor", "shift_lead", "qa"}
EXCEPTION_READERS |= {"manager", "admin"}
IVR_EDITORS = {"supervisor", "other_supervisor", "manager", "admin"}
DEPARTMENT_1 = set(PEOPLE) - {"other_supervisor", "vip_agent"}
SEE_AGENT = {"agent", "team_leader", "supervisor", *CENTRE_WIDE}
SEE_EXCEPTION = {"team_leader", "supervisor", "qa", "shift_lead", "manager", "admin"}


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(PEOPLE, status)


def granted(roles: set[str], status: int) -> dict[str, int]:
    return {p: status if p in roles else 403 for p in PEOPLE}


def seen_by(seen: set[str], status: int = 200) -> dict[str, int]:
    return {p: status if p in seen else 404 for p in PEOPLE}


def exception_answer() -> dict[str, int]:
    return {p: 200 if p in SEE_EXCEPTION else 404 if p in EXCEPTION_READERS else 403 for p in PEOPLE}


@dataclass(frozen=True)
class Call:
    kind: str
    method: str
    url: str
    data: dict | None = None

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.url}"


MATRIX = [
    (Call("api", "get", "/api/v1/queue-intervals/"), everyone(200)),
    (Call("api", "get", "/api/v1/queue-intervals/{queue_row}/"), seen_by(DEPARTMENT_1)),
    (Call("api", "get", "/api/v1/agent-intervals/"), everyone(200)),
    (Call("api", "get", "/api/v1/agent-intervals/{agent_row}/"), seen_by(SEE_AGENT)),
    (Call("api", "get", "/api/v1/service-exceptions/"), granted(EXCEPTION_READERS, 200)),
    (Call("api", "get", "/api/v1/service-exceptions/{exception}/"), exception_answer()),
    (Call("api", "get", "/api/v1/recordings/"), everyone(200)),
    (Call("api", "get", "/api/v1/recordings/{recording}/"), seen_by(SEE_AGENT)),
    (Call("api", "get", "/api/v1/ivr-nodes/"), everyone(200)),
    (Call("api", "get", "/api/v1/ivr-nodes/{node}/"), everyone(200)),
    (Call("api", "get", "/api/v1/ivr-nodes/tree/"), everyone(200)),
    (Call("api", "get", "/api/v1/ivr-nodes/walk/?path=1&key=3"), everyone(200)),
    (Call("page", "get", "/contact/statistics/"), everyone(200)),
    (Call("page", "get", "/contact/exceptions/"), granted(EXCEPTION_READERS, 200)),
    (Call("page", "get", "/contact/ivr/"), everyone(200)),
    (Call("page", "get", "/contact/ivr/new/?parent={node}"), granted(IVR_EDITORS, 200)),
    (Call("page", "post", "/contact/ivr/new/?parent={node}", {}), granted(IVR_EDITORS, 422)),
    (Call("page", "get", "/contact/ivr/{node}/edit/"), granted(IVR_EDITORS, 200)),
    (Call("page", "post", "/contact/ivr/{node}/edit/", {}), granted(IVR_EDITORS, 422)),
    # A menu item that does not exist: editors learn nothing more than 404, others are refused first.
    (Call("page", "post", "/contact/ivr/{missing}/delete/", {}), granted(IVR_EDITORS, 404)),
]


def test_the_matrix_covers_every_persona_for_every_call():
    for call, expected in MATRIX:
        assert set(expected) == set(PEOPLE), call


@pytest.fixture
def records(org, floor):
    admin = org.people["admin"].user
    root = ivr.create_node(user=admin, parent_id=None, values={"label": "主菜单", "action": "menu"}, now=at(0))
    node = ivr.create_node(
        user=admin,
        parent_id=root.pk,
        values={"key": "1", "label": "办税咨询", "action": "menu", "category": "consultation"},
        now=at(0),
    )
    ivr.create_node(
        user=admin,
        parent_id=node.pk,
        values={"key": "3", "label": "发票", "action": "queue", "queue": floor.queue, "common_question": True},
        now=at(0),
    )
    floor.login("agent", 0)
    contact = floor.call(seconds=0, ivr_path=["1", "3"])
    floor.route(2)
    services.answer_contact(contact_id=contact.pk, now=at(5))
    services.hold_contact(contact_id=contact.pk, now=at(10))
    services.retrieve_contact(contact_id=contact.pk, now=at(50))
    services.end_contact(contact_id=contact.pk, now=at(100))
    services.finish_acw(contact_id=contact.pk, now=at(110))
    recording = recordings.attach_recording(contact_id=contact.pk, kind="recording", ref="nas://1.wav", now=at(100))
    return {
        "contact": contact.pk,
        "queue_row": QueueInterval.objects.filter(minutes=15).get().pk,
        "agent_row": AgentInterval.objects.filter(minutes=15, agent=org.people["agent"]).get().pk,
        "exception": ServiceException.objects.filter(kind="long_hold").get().pk,
        "recording": recording.pk,
        "node": node.pk,
        "missing": 999999,
    }


@pytest.mark.parametrize(("call", "expected"), MATRIX, ids=[str(call) for call, _expected in MATRIX])
def test_role_by_action(api_as, client_as, records, call, expected):
    url = call.url.format(**records)
    got = {}
    for persona in PEOPLE:
        client = api_as(persona) if call.kind == "api" else client_as(persona)
        response = client.get(url) if call.method == "get" else client.post(url, call.data)
        got[persona] = response.status_code
    assert got == expected


def _routes():
    def walk(resolver, prefix, namespace):
        for item in resolver.url_patterns:
            route = prefix + str(item.pattern)
            if isinstance(item, URLResolver):
                yield from walk(item, route, f"{namespace}{item.namespace}:" if item.namespace else namespace)
            else:
                yield route, f"{namespace}{item.name}", item

    return list(walk(get_resolver(), "", ""))


OURS = ("banzu.contact.api_statistics", "banzu.contact.views")


def test_the_matrix_covers_every_endpoint_and_page_of_this_piece():
    routed = set()
    for route, name, pattern in _routes():
        callback = pattern.callback
        view = getattr(callback, "cls", None) or callback
        if view.__module__ in OURS and "<format>" not in route and "(?P<format>" not in route:
            actions = getattr(callback, "actions", None)
            methods = [m for m in actions if m not in {"head", "options"}] if actions else ["page"]
            routed.update((name, method) for method in methods)
    covered = set()
    for call, _expected in MATRIX:
        match = resolve(urlsplit(re.sub(r"\{\w+\}", "1", call.url)).path)
        covered.add((match.view_name, call.method if call.kind == "api" else "page"))
    assert routed == covered


# --- contents ------------------------------------------------------------------------------------------------


def test_interval_rows_over_the_api_carry_the_counts(api_as, records):
    body = api_as("manager").get("/api/v1/queue-intervals/?minutes=15").json()
    (row,) = body["results"]
    assert (row["offered"], row["answered"], row["handled"], row["hold_seconds"]) == (1, 1, 1, 40)
    assert row["queue_code"] == "TAX"
    mine = api_as("agent").get("/api/v1/agent-intervals/?minutes=30").json()["results"]
    assert [r["employee_no"] for r in mine] == ["agent"] and mine[0]["hold_state_seconds"] == 40
    assert api_as("teammate").get("/api/v1/agent-intervals/").json()["count"] == 0


def test_the_interval_api_filters_by_time(api_as, records):
    url = "/api/v1/queue-intervals/?start_after=2025-03-14T02:01:00Z"
    assert api_as("manager").get(url).json()["count"] == 0


def test_exceptions_are_listed_for_the_team_leader_and_qa_but_not_the_other_team(api_as, records):
    kinds = {r["kind"] for r in api_as("team_leader").get("/api/v1/service-exceptions/").json()["results"]}
    assert kinds == {"long_hold", "no_courtesy_message"}
    assert api_as("qa").get("/api/v1/service-exceptions/").json()["count"] == 2
    assert api_as("other_team_leader").get("/api/v1/service-exceptions/").json()["count"] == 0
    row = api_as("qa").get(f"/api/v1/service-exceptions/{records['exception']}/").json()
    assert (row["seconds"], row["limit_seconds"], row["employee_no"]) == (40, 30, "agent")
    assert row["kind_label"] == str(ServiceException.Kind.LONG_HOLD.label)


def test_a_recording_cannot_be_deleted_or_changed_over_the_api(api_as, records):
    url = f"/api/v1/recordings/{records['recording']}/"
    for method in ("delete", "put", "patch"):
        assert getattr(api_as("admin"), method)(url, {}, format="json").status_code == 405
    assert api_as("admin").post("/api/v1/recordings/", {}, format="json").status_code == 405
    assert api_as("agent").get(url).json()["purged"] is False


def test_the_ivr_api_serves_the_tree_and_walks_it(api_as, records, floor):
    tree = api_as("agent").get("/api/v1/ivr-nodes/tree/").json()
    assert tree["children"][0]["key"] == "1"
    step = api_as("agent").get("/api/v1/ivr-nodes/walk/?path=1&key=3").json()
    assert step["done"] is True and step["node"]["queue"] == floor.queue.pk
    assert step["path"] == ["1", "3"] and step["category"] == "consultation"
    assert api_as("agent").get("/api/v1/ivr-nodes/walk/?key=8").json()["path"] == []


def test_list_endpoints_keep_a_query_ceiling(api_as, records, django_assert_max_num_queries):
    client = api_as("qa")
    for url in ("/api/v1/queue-intervals/", "/api/v1/service-exceptions/", "/api/v1/recordings/"):
        with django_assert_max_num_queries(8):
            assert client.get(url).status_code == 200


# --- pages ---------------------------------------------------------------------------------------------------


def test_the_statistics_page_shows_the_day_with_its_chart_data(client_as, records):
    response = client_as("supervisor").get("/contact/statistics/?day=2025-03-14&minutes=30")
    body = response.content.decode()
    assert response.status_code == 200
    assert "办税热线" in body and 'id="interval-chart-data"' in body and "echarts.min.js" in body
    assert response.context["queues"][0]["intervals"][0]["service_level"] == 100.0
    other = client_as("other_supervisor").get("/contact/statistics/?day=2025-03-14")
    assert other.context["queues"] == []


def test_the_statistics_page_tolerates_nonsense_filters(client_as, records):
    response = client_as("agent").get("/contact/statistics/?day=yesterday&minutes=7")
    assert response.status_code == 200 and response.context["minutes"] == 15


def test_the_exceptions_page_lists_and_filters(client_as, records):
    page = client_as("team_leader").get("/contact/exceptions/?since=2025-03-14&until=2025-03-14&kind=long_hold")
    assert [row.kind for row in page.context["page"]] == ["long_hold"]
    assert str(ServiceException.Kind.LONG_HOLD.label) in page.content.decode()
    empty = client_as("team_leader").get("/contact/exceptions/?since=2025-03-15")
    assert list(empty.context["page"]) == []


def test_the_ivr_page_shows_the_tree_and_editors_see_edit_buttons(client_as, records):
    body = client_as("agent").get("/contact/ivr/").content.decode()
    assert "办税咨询" in body and "发票" in body and "1 › 3" in body
    assert "/contact/ivr/new/" not in body
    assert "/contact/ivr/new/" in client_as("manager").get("/contact/ivr/").content.decode()


def test_a_choice_is_added_edited_and_deleted_through_the_pages(client_as, records, floor):
    client = client_as("manager")
    response = client.post(
        f"/contact/ivr/new/?parent={records['node']}",
        {"key": "0", "label": "留言", "action": "message"},
    )
    assert response.status_code == 302
    created = IvrNode.objects.get(key="0")
    response = client.post(
        f"/contact/ivr/{created.pk}/edit/", {"key": "3", "label": "留言", "action": "message"}, follow=False
    )
    assert response.status_code == 422
    assert response.context["form"].errors["key"]
    response = client.post(f"/contact/ivr/{created.pk}/delete/")
    assert response.status_code == 302 and not IvrNode.objects.filter(pk=created.pk).exists()


def test_a_common_question_path_reaches_the_exception_list(records):
    found = ServiceException.objects.filter(contact_id=records["contact"]).values_list("kind", flat=True)
    assert "long_common_question" not in found  # handled in 95 s, within five minutes
    assert compliance.limits_for(ServiceException.objects.first().centre_id).common_question == 300


def test_a_centre_without_an_ivr_menu_gets_a_clear_404(api_as, org):
    response = api_as("agent").get("/api/v1/ivr-nodes/tree/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "IVR" in str(response.json())
