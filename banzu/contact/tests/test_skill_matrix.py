"""The agents' skill matrix (CT-5): levels set through the service with history, scoped pages, export."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from banzu.contact import queue_admin
from banzu.core.errors import NotAllowed, OutOfScope
from banzu.org.models import EmployeeSkill

pytestmark = pytest.mark.django_db


def level_of(floor, persona):
    row = EmployeeSkill.objects.filter(employee=floor.person(persona), skill=floor.tax).first()
    return row.level if row else None


def set_level(floor, by, persona, level):
    return queue_admin.set_skill_level(
        user=floor.person(by).user, employee_id=floor.person(persona).pk, skill_id=floor.tax.pk, level=level
    )


def test_a_level_is_changed_removed_and_given_again_with_history(floor):
    set_level(floor, "team_leader", "agent", 5)
    assert level_of(floor, "agent") == 5
    set_level(floor, "team_leader", "agent", 0)
    assert level_of(floor, "agent") is None
    set_level(floor, "team_leader", "agent", 2)
    history = EmployeeSkill.history.filter(employee=floor.person("agent"), skill=floor.tax).order_by("history_id")
    assert [(h.history_type, h.level) for h in history] == [("+", 3), ("~", 5), ("-", 5), ("+", 2)]
    assert {h.history_user for h in history[1:]} == {floor.person("team_leader").user}


def test_setting_the_same_level_again_writes_nothing(floor):
    before = EmployeeSkill.history.count()
    set_level(floor, "team_leader", "agent", 3)
    assert EmployeeSkill.history.count() == before


def test_removing_a_skill_nobody_holds_is_harmless(floor):
    before = EmployeeSkill.history.count()
    assert set_level(floor, "manager", "vip_agent", None) is None
    assert EmployeeSkill.history.count() == before


@pytest.mark.parametrize("level", [-1, 6, 10])
def test_a_level_outside_the_range_is_refused(floor, level):
    with pytest.raises(ValidationError) as caught:
        set_level(floor, "team_leader", "agent", level)
    assert caught.value.error_dict["level"][0].code == "out_of_range"
    assert level_of(floor, "agent") == 3


def test_nobody_sets_their_own_skills(floor):
    with pytest.raises(NotAllowed):
        set_level(floor, "team_leader", "team_leader", 5)
    assert level_of(floor, "team_leader") == 4


@pytest.mark.parametrize(
    ("by", "persona", "outcome"),
    [
        ("team_leader", "teammate", "ok"),
        ("team_leader", "other_agent", "missing"),  # another team
        ("other_team_leader", "other_agent", "ok"),
        ("supervisor", "other_agent", "ok"),
        ("supervisor", "vip_agent", "missing"),  # another department
        ("trainer", "vip_agent", "ok"),
        ("manager", "vip_agent", "ok"),
        ("agent", "teammate", "denied"),
        ("hr", "agent", "denied"),  # HR reads the matrix, does not certify skills
        ("qa", "agent", "denied"),
    ],
)
def test_who_may_set_whose_level(floor, by, persona, outcome):
    expected = {"ok": None, "missing": OutOfScope, "denied": NotAllowed}[outcome]
    if expected is None:
        set_level(floor, by, persona, 1)
        assert level_of(floor, persona) == 1
    else:
        before = level_of(floor, persona)
        with pytest.raises(expected):
            set_level(floor, by, persona, 1)
        assert level_of(floor, persona) == before


# --- pages -----------------------------------------------------------------------------------------------

MATRIX_VIEW = [
    ("agent", 403, set()),
    ("qa", 403, set()),
    ("team_leader", 200, {"agent", "teammate", "team_leader"}),
    ("other_team_leader", 200, {"other_agent", "other_team_leader"}),
    ("supervisor", 200, {"agent", "teammate", "other_agent", "team_leader", "other_team_leader", "supervisor"}),
    ("other_supervisor", 200, {"vip_agent", "other_supervisor"}),
]


@pytest.mark.parametrize(("persona", "status", "rows"), MATRIX_VIEW)
def test_the_matrix_shows_the_viewers_scope(client_as, floor, persona, status, rows):
    response = client_as(persona).get(reverse("contact:skill_matrix"))
    assert response.status_code == status
    if status == 200:
        shown = {row["employee"].employee_no for row in response.context["table"]}
        assert rows <= shown
        assert not shown & ({"agent", "vip_agent", "other_agent"} - rows)


def test_the_matrix_filters_by_team_and_skill(client_as, floor, org):
    from banzu.org.tests.factories import SkillFactory

    SkillFactory(code="chat", name="在线客服")
    client = client_as("supervisor")
    response = client.get(reverse("contact:skill_matrix"), {"team": org.team_b.pk, "skill": floor.tax.pk})
    assert {row["employee"].employee_no for row in response.context["table"]} == {"other_agent", "other_team_leader"}
    assert [s.code for s in response.context["skills"]] == ["tax"]
    holders = client.get(reverse("contact:skill_matrix"), {"skill": floor.tax.pk, "holders": "1"})
    assert {row["employee"].employee_no for row in holders.context["table"]} == {
        "agent",
        "teammate",
        "other_agent",
        "team_leader",
    }


def test_only_editable_cells_offer_a_picker(client_as, floor):
    response = client_as("team_leader").get(reverse("contact:skill_matrix"))
    cells = {row["employee"].employee_no: row["cells"][0] for row in response.context["table"]}
    assert cells["agent"]["editable"] and cells["agent"]["level"] == 3
    assert not cells["team_leader"]["editable"]  # their own row
    assert 'hx-post="/contact/skill-matrix/cell/"' in response.content.decode()
    assert not client_as("hr").get(reverse("contact:skill_matrix")).context["can_edit"]


def test_a_cell_is_saved_inline_and_answers_the_cell(client_as, floor):
    client = client_as("team_leader")
    data = {"employee": floor.person("agent").pk, "skill": floor.tax.pk, "level": "5"}
    response = client.post(reverse("contact:skill_matrix_cell"), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.context["cell"]["level"] == 5
    assert 'value="5" selected' in response.content.decode()
    assert level_of(floor, "agent") == 5
    data["level"] = ""
    assert client.post(reverse("contact:skill_matrix_cell"), data, HTTP_HX_REQUEST="true").status_code == 200
    assert level_of(floor, "agent") is None


def test_a_bad_cell_value_is_shown_in_the_cell_and_not_saved(client_as, floor):
    data = {"employee": floor.person("agent").pk, "skill": floor.tax.pk, "level": "9"}
    response = client_as("team_leader").post(reverse("contact:skill_matrix_cell"), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "invalid-feedback" in response.content.decode()
    assert level_of(floor, "agent") == 3


@pytest.mark.parametrize(
    ("persona", "target", "status"),
    [
        ("agent", "teammate", 403),
        ("hr", "agent", 403),
        ("team_leader", "other_agent", 404),
        ("supervisor", "agent", 302),
    ],
)
def test_cell_edits_by_role(client_as, floor, persona, target, status):
    data = {"employee": floor.person(target).pk, "skill": floor.tax.pk, "level": "1"}
    before = level_of(floor, target)
    assert client_as(persona).post(reverse("contact:skill_matrix_cell"), data).status_code == status
    assert level_of(floor, target) == (1 if status == 302 else before)


def test_the_matrix_exports_to_xlsx(client_as, floor):
    from openpyxl import load_workbook

    response = client_as("team_leader").get(reverse("contact:skill_matrix_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][3] == "办税咨询"
    by_no = {row[0]: row for row in rows[1:]}
    assert set(by_no) == {"agent", "teammate", "team_leader"}
    assert by_no["agent"][3] == 3 and by_no["team_leader"][3] == 4
    assert client_as("agent").get(reverse("contact:skill_matrix_export")).status_code == 403


def test_the_matrix_reads_the_same_number_of_queries_for_more_skills_and_people(client_as, floor, org):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from banzu.org.tests.factories import EmployeeFactory, SkillFactory

    client = client_as("supervisor")

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("contact:skill_matrix")).status_code == 200
        return len(captured)

    few = count()
    for n in range(3):
        skill = SkillFactory(code=f"extra{n}")
        person = EmployeeFactory(team=org.team_a, department=org.department, employee_no=f"new{n}", roles=["agent"])
        EmployeeSkill.objects.create(employee=person, skill=skill, level=2)
    assert count() == few
