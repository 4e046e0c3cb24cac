"""The organisation pages over HTTP: tree, team, roster (filter, sort, pages, export, import), employee."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from banzu.core import services as core_services
from banzu.core.errors import Conflict
from banzu.core.middleware import DomainErrorMiddleware
from banzu.org import services
from banzu.org.models import Employee, PositionChange
from banzu.org.tests.factories import EmployeeFactory, position

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def page_as(client_as):
    """A logged-in client that reads the pages in English, so assertions hold once zh-Hans is translated."""

    def make(persona: str):
        client = client_as(persona)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


def text(response) -> str:
    return response.content.decode()


def roster_numbers(response) -> list[str]:
    """Employee numbers of the roster rows, in page order."""
    return re.findall(r'<td class="font-monospace">([^<]+)</td>\s*<td><a href="/', text(response))


def workbook_bytes(rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["Employee number", "Name", "Department", "Team", "Position", "Hire date", "Employment status"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def staffed(org):
    """Team A over a ratio of one agent per TL, with headcount: agents 2 of 5, one TL where none is approved."""
    core_services.set_policy(
        user=org.people["manager"].user, centre=org.centre, key="org.agents_per_team_leader", value="1"
    )
    hr = org.people["hr"].user
    services.set_headcount(user=hr, team=org.team_a, position=position("agent"), approved=5)
    services.set_headcount(user=hr, team=org.team_a, position=position("team_leader"), approved=0)
    return org


# --- organisation tree ------------------------------------------------------------------------------


def test_tree_shows_the_supervisors_department_with_teams_leaders_and_counts(page_as, staffed):
    response = page_as("supervisor").get(reverse("org:tree"))

    assert response.status_code == 200
    body = text(response)
    assert "客服一部" in body
    assert "一组" in body and "二组" in body
    assert "陈静" in body and "杨磊" in body  # team leaders
    assert "VIP客服部" not in body and "VIP一组" not in body
    assert reverse("org:team", args=[staffed.team_a.pk]) in body


def test_tree_warns_when_a_team_exceeds_the_ratio_and_counts_vacancies(page_as, staffed):
    body = text(page_as("supervisor").get(reverse("org:tree")))

    assert "Over the ratio: needs 2 team leaders" in body
    assert "3 vacancies" in body


def test_tree_does_not_warn_under_the_default_ratio(page_as, org):
    body = text(page_as("supervisor").get(reverse("org:tree")))

    assert "Over the ratio" not in body


def test_tree_of_an_agent_shows_only_their_own_team(page_as, org):
    body = text(page_as("agent").get(reverse("org:tree")))

    assert "一组" in body
    assert "二组" not in body and "VIP一组" not in body


def test_tree_without_any_department_shows_the_empty_state(admin_client):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = admin_client.get(reverse("org:tree"))

    assert response.status_code == 200
    assert "There is no department or team to show." in text(response)


# --- team page --------------------------------------------------------------------------------------


def test_team_page_lists_members_headcount_and_the_ratio_warning(page_as, staffed):
    response = page_as("team_leader").get(reverse("org:team", args=[staffed.team_a.pk]))

    assert response.status_code == 200
    body = text(response)
    assert "客服一部" in body
    for name in ("张伟", "王芳", "陈静"):
        assert name in body
    assert "李娜" not in body
    assert reverse("org:employee", args=[staffed.people["agent"].pk]) in body
    assert "One team leader per 1 agents; this team has 2 agents and needs 2 team leaders." in body
    # Headcount: agents 5 approved, 2 filled, 3 open; TL 0 approved, 1 filled, one over.
    assert re.search(r"客服代表</td>\s*<td[^>]*>5</td>\s*<td[^>]*>\s*2\s*</td>\s*<td[^>]*>3</td>", body)
    assert "1 over" in body


def test_team_page_without_the_warning_under_the_ratio(page_as, org):
    body = text(page_as("team_leader").get(reverse("org:team", args=[org.team_a.pk])))

    assert "Over the ratio" not in body and "team leaders." not in body
    assert "One team leader per 20 agents" in body


def test_team_page_of_another_team_is_not_found_for_a_team_leader(page_as, org):
    response = page_as("team_leader").get(reverse("org:team", args=[org.team_b.pk]))

    assert response.status_code == 404


# --- roster -----------------------------------------------------------------------------------------


def test_roster_of_a_team_leader_lists_only_team_a(page_as, org):
    response = page_as("team_leader").get(reverse("org:roster"))

    assert response.status_code == 200
    assert sorted(roster_numbers(response)) == ["agent", "team_leader", "teammate"]
    assert "李娜" not in text(response)


def test_roster_of_an_agent_lists_only_themselves(page_as, org):
    response = page_as("agent").get(reverse("org:roster"))

    assert roster_numbers(response) == ["agent"]
    assert "1 employee in total" in text(response)


def test_employee_page_of_a_teammate_is_not_found_for_an_agent(page_as, org):
    response = page_as("agent").get(reverse("org:employee", args=[org.people["teammate"].pk]))

    assert response.status_code == 404


def test_htmx_request_to_the_roster_returns_only_the_table(page_as, org):
    response = page_as("hr").get(reverse("org:roster"), {"team": org.team_a.pk}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert 'id="roster-table"' in body
    assert 'id="roster-filters"' not in body.replace('form="roster-filters"', "")
    assert sorted(roster_numbers(response)) == ["agent", "team_leader", "teammate"]
    assert "HX-Request" in response["Vary"]


def test_htmx_history_restore_gets_the_whole_page(page_as, org):
    response = page_as("hr").get(reverse("org:roster"), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")

    assert "<html" in text(response)


def test_full_roster_page_has_the_filter_form_that_targets_the_table(page_as, org):
    body = text(page_as("hr").get(reverse("org:roster")))

    assert "<html" in body
    assert 'hx-target="#roster-table"' in body and 'hx-push-url="true"' in body
    assert 'placeholder="Enter employee number or name"' in body


def test_search_by_name_filters_the_rows(page_as, org):
    response = page_as("hr").get(reverse("org:roster"), {"q": "王芳"})

    assert roster_numbers(response) == ["teammate"]


def test_filters_by_team_position_and_status_combine(page_as, org):
    Employee.objects.filter(pk=org.people["teammate"].pk).update(status=Employee.Status.PROBATION)
    client = page_as("hr")

    by_team = client.get(reverse("org:roster"), {"team": org.team_b.pk})
    by_position = client.get(reverse("org:roster"), {"department": org.department.pk, "position": "team_leader"})
    by_status = client.get(reverse("org:roster"), {"team": org.team_a.pk, "status": "probation"})

    assert sorted(roster_numbers(by_team)) == ["other_agent", "other_team_leader"]
    assert sorted(roster_numbers(by_position)) == ["other_team_leader", "team_leader"]
    assert roster_numbers(by_status) == ["teammate"]


def test_sorting_reverses_the_order_and_marks_the_active_column(page_as, org):
    client = page_as("hr")

    ascending = client.get(reverse("org:roster"), {"team": org.team_a.pk, "sort": "employee_no"})
    descending = client.get(reverse("org:roster"), {"team": org.team_a.pk, "sort": "-employee_no"})

    assert roster_numbers(ascending) == ["agent", "team_leader", "teammate"]
    assert roster_numbers(descending) == ["teammate", "team_leader", "agent"]
    body = text(descending)
    assert 'aria-sort="descending"' in body
    # The active column's link flips the order back and keeps the filter.
    assert f"team={org.team_a.pk}&amp;sort=employee_no" in body


def test_empty_result_offers_to_clear_the_filters(page_as, org):
    body = text(page_as("hr").get(reverse("org:roster"), {"q": "nobody-has-this-name"}))

    assert "No employees match the filters." in body
    assert "Clear the filters" in body


def test_pagination_keeps_the_filters_and_the_sort(page_as, org):
    EmployeeFactory.create_batch(55, team=org.team_c)
    client = page_as("hr")

    first = client.get(reverse("org:roster"), {"team": org.team_c.pk, "sort": "-employee_no"})

    body = text(first)
    assert "56 employees in total" in body
    assert "Page 1 of 2" in body
    assert f"team={org.team_c.pk}&amp;sort=-employee_no&amp;page=2" in body
    assert len(roster_numbers(first)) == 50

    second = client.get(reverse("org:roster"), {"team": org.team_c.pk, "sort": "-employee_no", "page": 2})
    numbers = roster_numbers(second)
    assert len(numbers) == 6
    assert "agent" not in numbers and "teammate" not in numbers
    assert set(numbers).isdisjoint(roster_numbers(first))


def test_hr_sees_full_phone_numbers(page_as, org):
    phone = org.people["agent"].phone
    body = text(page_as("hr").get(reverse("org:roster"), {"q": "张伟"}))

    assert phone in body


@pytest.mark.parametrize("persona", ["agent", "qa"])
def test_agent_and_qa_see_masked_phone_numbers(page_as, org, persona):
    phone = org.people["agent"].phone
    body = text(page_as(persona).get(reverse("org:roster"), {"q": "张伟"}))

    assert phone not in body
    assert f"{phone[:3]}****{phone[-4:]}" in body


def test_export_and_import_buttons_follow_permissions(page_as, org):
    hr_body = text(page_as("hr").get(reverse("org:roster"), {"q": "张"}))
    tl_body = text(page_as("team_leader").get(reverse("org:roster")))
    agent_body = text(page_as("agent").get(reverse("org:roster")))

    assert f"{reverse('org:roster_export')}?q=%E5%BC%A0" in hr_body
    assert reverse("org:roster_template") in hr_body and reverse("org:roster_import") in hr_body
    assert reverse("org:roster_export") in tl_body and reverse("org:roster_import") not in tl_body
    assert reverse("org:roster_export") not in agent_body


# --- export -----------------------------------------------------------------------------------------


def test_export_by_a_team_leader_holds_only_team_a(page_as, org):
    response = page_as("team_leader").get(reverse("org:roster_export"))

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    numbers = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert numbers == ["agent", "team_leader", "teammate"]


def test_export_by_an_agent_is_forbidden(page_as, org):
    response = page_as("agent").get(reverse("org:roster_export"))

    assert response.status_code == 403


# --- import -----------------------------------------------------------------------------------------


def test_import_page_is_forbidden_to_an_agent(page_as, org):
    assert page_as("agent").get(reverse("org:roster_import")).status_code == 403


def test_import_page_lists_the_columns_with_required_ones_marked(page_as, org):
    response = page_as("hr").get(reverse("org:roster_import"))

    assert response.status_code == 200
    body = text(response)
    assert 'enctype="multipart/form-data"' in body
    assert "Employee number *" in body
    assert "Mentor employee number *" not in body and "Mentor employee number" in body
    assert "The whole file is imported, or nothing" in body


def test_import_with_one_bad_row_reports_it_and_creates_nobody(page_as, org):
    before = Employee.objects.count()
    data = workbook_bytes(
        [
            ["N001", "新人甲", "D1", "A", "agent", "2024-05-01", "regular"],
            ["N002", "新人乙", "ZZ", "", "agent", "2024-05-01", "regular"],
        ]
    )
    upload = SimpleUploadedFile("roster.xlsx", data, content_type=XLSX)

    response = page_as("hr").post(reverse("org:roster_import"), {"file": upload})

    assert response.status_code == 422
    body = text(response)
    assert "Nothing was imported: 1 problem was found." in body
    assert re.search(r"<td[^>]*>3</td>\s*<td>Department</td>\s*<td>There is no department “ZZ”.</td>", body)
    for header in ("Row", "Column", "Reason"):
        assert f">{header}</th>" in body
    assert Employee.objects.count() == before
    assert not Employee.objects.filter(employee_no__in=["N001", "N002"]).exists()


def test_import_of_a_good_file_creates_employees_and_returns_to_the_roster(page_as, org):
    upload = SimpleUploadedFile(
        "roster.xlsx", workbook_bytes([["N001", "新人甲", "D1", "A", "agent", "2024-05-01", "regular"]]), XLSX
    )

    response = page_as("hr").post(reverse("org:roster_import"), {"file": upload})

    assert response.status_code == 302
    assert response["Location"] == reverse("org:roster")
    assert Employee.objects.get(employee_no="N001").team == org.team_a


def test_import_of_a_file_that_is_not_xlsx_shows_the_field_error(page_as, org):
    upload = SimpleUploadedFile("roster.csv", b"a,b\n", content_type="text/csv")

    response = page_as("hr").post(reverse("org:roster_import"), {"file": upload})

    assert response.status_code == 422
    assert "Upload an xlsx file." in text(response)


# --- employee page ----------------------------------------------------------------------------------


def test_employee_page_shows_the_profile(page_as, org):
    agent = org.people["agent"]
    response = page_as("hr").get(reverse("org:employee", args=[agent.pk]))

    assert response.status_code == 200
    body = text(response)
    for value in ("张伟", "agent", "客服一部", "一组", "客服代表", "2023-03-01", agent.phone, agent.email):
        assert value in body
    assert "Change the position" in body


def test_employee_page_masks_contact_data_and_hides_history_from_qa(page_as, org):
    agent = org.people["agent"]
    body = text(page_as("qa").get(reverse("org:employee", args=[agent.pk])))

    assert agent.phone not in body and agent.email not in body
    assert "Change history of this record" not in body
    assert "Change the position" not in body


def test_position_change_by_hr_is_recorded_and_redirects(page_as, org):
    agent = org.people["agent"]
    url = reverse("org:employee", args=[agent.pk])

    response = page_as("hr").post(
        url,
        {
            "change_position": "1",
            "to_position": position("senior_agent").pk,
            "effective_date": "2025-01-02",
            "reason": "Promotion round",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == url
    change = PositionChange.objects.get(employee=agent, to_position__code="senior_agent")
    assert change.from_position.code == "agent"
    assert change.recorded_by == org.people["hr"].user
    agent.refresh_from_db()
    assert agent.position.code == "senior_agent"
    assert agent.position_since == datetime.date(2025, 1, 2)

    body = text(page_as("hr").get(url))
    assert "Promotion round" in body
    assert "<td>客服代表 → 高级客服代表</td>" in body  # position history
    assert "Position: 客服代表 → 高级客服代表" in body  # audit history with old → new


def test_star_title_change_by_hr_is_recorded(page_as, org):
    from banzu.org.models import StarTitle, TitleChange

    agent = org.people["agent"]
    response = page_as("hr").post(
        reverse("org:employee", args=[agent.pk]),
        {
            "change_title": "1",
            "to_title": StarTitle.objects.get(code="star_2").pk,
            "effective_date": "2025-01-02",
            "reason": "Review",
        },
    )

    assert response.status_code == 302
    assert TitleChange.objects.get(employee=agent).to_title.code == "star_2"


def test_changing_ones_own_position_is_refused(page_as, org):
    hr = org.people["hr"]
    url = reverse("org:employee", args=[hr.pk])

    page = text(page_as("hr").get(url))
    response = page_as("hr").post(
        url,
        {
            "change_position": "1",
            "to_position": position("manager").pk,
            "effective_date": "2025-01-02",
            "reason": "Self",
        },
    )

    assert "Change the position" not in page
    assert response.status_code == 403
    assert not PositionChange.objects.filter(employee=hr, to_position__code="manager").exists()


def test_position_change_into_a_full_headcount_is_refused_with_the_vacancy_message(page_as, org):
    hr = org.people["hr"].user
    services.set_headcount(user=hr, team=org.team_a, position=position("senior_agent"), approved=1)
    services.change_position(
        user=hr,
        employee=org.people["teammate"],
        to_position=position("senior_agent"),
        effective_date=datetime.date(2025, 1, 1),
        reason="First",
    )
    agent = org.people["agent"]

    response = page_as("hr").post(
        reverse("org:employee", args=[agent.pk]),
        {
            "change_position": "1",
            "to_position": position("senior_agent").pk,
            "effective_date": "2025-01-02",
            "reason": "Second in line",
        },
    )

    assert response.status_code == 422
    body = text(response)
    assert "一组 has no vacancy for 高级客服代表 (headcount 1)." in body
    assert 'value="Second in line"' in body  # input kept
    agent.refresh_from_db()
    assert agent.position.code == "agent"
    assert not PositionChange.objects.filter(employee=agent, to_position__code="senior_agent").exists()


def test_invalid_position_form_shows_the_field_error_and_keeps_input(page_as, org):
    agent = org.people["agent"]

    response = page_as("hr").post(
        reverse("org:employee", args=[agent.pk]),
        {"change_position": "1", "to_position": position("senior_agent").pk, "effective_date": "2025-01-02"},
    )

    assert response.status_code == 422
    body = text(response)
    assert 'id="position-reason-errors"' in body
    assert 'value="2025-01-02"' in body
    assert f'value="{position("senior_agent").pk}" selected' in body
    assert not PositionChange.objects.filter(employee=agent, to_position__code="senior_agent").exists()


# --- 409 --------------------------------------------------------------------------------------------


def test_a_conflict_renders_the_409_page_with_its_message(org):
    request = RequestFactory().get("/org/roster/")
    request.user = org.people["hr"].user

    response = DomainErrorMiddleware(lambda r: None).process_exception(
        request, Conflict("This record was changed by someone else.")
    )

    assert response.status_code == 409
    assert "This record was changed by someone else." in response.content.decode()
