"""Roster import and export (ORG-2) through the database and the API.

An import checks every row and imports all of them or none; an export is limited to the caller's
scope (ORG-7) and, made by HR, imports again without errors.
"""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from django.test import override_settings
from django.utils import translation
from openpyxl import Workbook, load_workbook

from banzu.core.errors import NotAllowed
from banzu.core.roles import Role
from banzu.org import services
from banzu.org.models import (
    Centre,
    Department,
    Employee,
    EmployeeRole,
    EmployeeSkill,
    Position,
    PositionChange,
    StarTitle,
    Team,
    TitleChange,
)
from banzu.org.tests.factories import EmployeeFactory, SkillFactory, position

IMPORT_URL = "/api/v1/employees/import/"
EXPORT_URL = "/api/v1/employees/export/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = [
    "Employee number",
    "Name",
    "Department",
    "Team",
    "Position",
    "Star title",
    "Hire date",
    "Date in position",
    "Employment status",
    "Mentor employee number",
    "Mobile phone",
    "Email",
    "Skills",
]
COLUMN = {label: index for index, label in enumerate(HEADER)}


@pytest.fixture(autouse=True)
def english():
    """Reasons and history texts are compared with their English msgids."""
    with translation.override("en"):
        yield


@pytest.fixture
def skills(db):
    return {
        "english": SkillFactory(code="english", name="英语坐席", kind="language"),
        "hotline": SkillFactory(code="hotline", name="热线咨询"),
    }


def line(number: str, **cells) -> list:
    """A valid row for team A of department D1; keyword arguments replace cells by key."""
    values = {
        "employee_no": number,
        "name": f"新员工{number}",
        "department": "D1",
        "team": "A",
        "position": "agent",
        "star_title": "",
        "hire_date": datetime(2024, 3, 1),
        "position_since": None,
        "status": "probation",
        "mentor": "",
        "phone": "13900001111",
        "email": f"{number.lower()}@example.com",
        "skills": "",
    }
    values.update(cells)
    return list(values.values())


def xlsx(*rows, header=HEADER) -> bytes:
    """A workbook built in write-only mode, as large files are."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("花名册")
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run_import(org, persona: str, data: bytes):
    return services.import_roster(user=org.people[persona].user, data=data)


def errors_of(result) -> list[tuple[int, str]]:
    return [(error.row, error.key) for error in result.errors]


def counts() -> dict[str, int]:
    return {
        "employees": Employee.objects.count(),
        "roles": EmployeeRole.objects.count(),
        "skills": EmployeeSkill.objects.count(),
        "position_changes": PositionChange.objects.count(),
        "title_changes": TitleChange.objects.count(),
        "history": Employee.history.count(),
    }


# --- import through the service -----------------------------------------------------------------


def test_a_clean_file_creates_employees_with_their_skills_and_history(org, skills):
    hr = org.people["hr"]
    data = xlsx(
        line("N001", name="赵雷", star_title="一星客服", skills="english:4;hotline", phone="13912345678"),
        line("N002", name="钱雪", team="C", department="VIP客服部", position="客服代表", hire_date="2024/3/1"),
        line("N003", name="孙鹏", position="senior_agent", position_since="2024年6月1日", status="正式"),
    )

    result = run_import(org, "hr", data)

    assert (result.ok, result.created, result.updated) == (True, 3, 0)
    first = Employee.objects.get(employee_no="N001")
    assert (first.centre, first.department, first.team) == (org.centre, org.department, org.team_a)
    assert (first.position.code, first.star_title.code, first.status) == ("agent", "star_1", "probation")
    assert (first.hire_date, first.position_since, first.phone) == (date(2024, 3, 1), date(2024, 3, 1), "13912345678")
    assert sorted(first.skills.values_list("skill__code", "level")) == [("english", 4), ("hotline", 1)]
    second = Employee.objects.get(employee_no="N002")
    assert (second.department, second.team, second.hire_date) == (org.other_department, org.team_c, date(2024, 3, 1))
    third = Employee.objects.get(employee_no="N003")
    assert (third.position.code, third.position_since, third.status) == ("senior_agent", date(2024, 6, 1), "regular")
    hired = PositionChange.objects.get(employee=third)
    assert (hired.from_position, hired.to_position.code) == (None, "senior_agent")
    assert (hired.effective_date, hired.reason, hired.recorded_by) == (date(2024, 6, 1), "Roster import", hr.user)
    history = first.history.get()
    assert (history.history_type, history.history_change_reason, history.history_user) == (
        "+",
        "Roster import",
        hr.user,
    )


def test_new_employees_get_the_role_of_their_position(org):
    data = xlsx(
        line("N001", position="agent"),
        line("N002", position="senior_agent"),
        line("N003", position="team_leader"),
        line("N004", position="qa_inspector", team=""),
        line("N005", position="supervisor", team=""),
        line("N006", position="assistant"),
    )

    assert run_import(org, "hr", data).created == 6

    roles = dict(
        EmployeeRole.objects.filter(employee__employee_no__startswith="N").values_list("employee__employee_no", "role")
    )
    assert roles == {
        "N001": Role.AGENT,
        "N002": Role.AGENT,
        "N003": Role.TEAM_LEADER,
        "N004": Role.QA_INSPECTOR,
        "N005": Role.SUPERVISOR,
        "N006": Role.AGENT,
    }


def test_every_position_gives_new_employees_a_role(db):
    assert set(services.ROLE_FOR_POSITION) == set(Position.objects.values_list("code", flat=True))


def test_chinese_headers_and_values_are_imported(org, skills):
    header = [
        "工号",
        "姓名",
        "部门",
        "班组",
        "岗位",
        "星级",
        "入职日期",
        "任职日期",
        "用工状态",
        "导师工号",
        "手机号",
        "邮箱",
        "技能",
    ]
    row = [
        "N001",
        "李雷",
        "客服一部",
        "二组",
        "客服代表",
        "三星客服",
        "2023年7月3日",
        "",
        "试用",
        "agent",
        "",
        "",
        "英语坐席：3",
    ]

    result = run_import(org, "hr", xlsx(row, header=header))

    assert errors_of(result) == []
    employee = Employee.objects.get(employee_no="N001")
    assert (employee.team, employee.star_title.code, employee.hire_date) == (org.team_b, "star_3", date(2023, 7, 3))
    assert (employee.status, employee.mentor) == ("probation", org.people["agent"])
    assert list(employee.skills.values_list("skill__code", "level")) == [("english", 3)]


def test_every_bad_row_is_reported_in_excel_rows_and_nothing_is_imported(org, skills):
    before = counts()
    data = xlsx(
        line("N001"),
        line("N002", name=""),  # row 3
        line("N003", department="客服九部"),  # row 4
        line("N004", team="C"),  # row 5: team of another department
        line("N005", position="astronaut", star_title="六星客服"),  # row 6
        line("N006", hire_date="2024-02-30"),  # row 7
        line("N007", hire_date="2024-03-01", position_since="2024/2/1"),  # row 8
        line("N001"),  # row 9: repeats row 2
        line("N009", phone="call me", email="nobody"),  # row 10
        line("N010", skills="english:6;klingon"),  # row 11
        line("N011", mentor="X404"),  # row 12
        line("N012", mentor="N012"),  # row 13
        line("N013"),
    )

    result = run_import(org, "hr", data)

    assert not result.ok
    assert (result.created, result.updated) == (0, 0)
    assert errors_of(result) == [
        (3, "name"),
        (4, "department"),
        (5, "team"),
        (6, "position"),
        (6, "star_title"),
        (7, "hire_date"),
        (8, "position_since"),
        (9, "employee_no"),
        (10, "phone"),
        (10, "email"),
        (11, "skills"),
        (11, "skills"),
        (12, "mentor"),
        (13, "mentor"),
    ]
    reasons = {(error.row, error.key): error.reason for error in result.errors}
    assert reasons[(9, "employee_no")] == "The employee number also appears in row 2."
    assert reasons[(8, "position_since")] == "The date in position cannot be before the hire date."
    assert reasons[(12, "mentor")] == "There is no employee with number X404."
    assert result.errors[0].column == "Name"
    assert counts() == before


def test_departments_of_another_centre_are_unknown(org):
    other = Centre.objects.create(code="SZ", name="深圳呼叫中心")
    Department.objects.create(centre=other, code="SZ1", name="深圳一部")

    result = run_import(org, "hr", xlsx(line("N001", department="SZ1", team="")))

    assert [(e.row, e.key, e.reason) for e in result.errors] == [(2, "department", "There is no department “SZ1”.")]
    assert not Employee.objects.filter(employee_no="N001").exists()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"this is not a spreadsheet", "The file is not a valid xlsx workbook."),
        ("工号,姓名\nN001,李雷\n".encode(), "The file is not a valid xlsx workbook."),
        (xlsx(["N001", "李雷"], header=["Employee number", "Name"]), "The header row lacks these columns: "),
        (xlsx(), "The file has no data rows."),
    ],
    ids=["text", "csv", "missing-headers", "no-rows"],
)
def test_a_file_error_imports_nothing(org, data, reason):
    before = counts()

    result = run_import(org, "hr", data)

    assert not result.ok
    (error,) = result.errors
    assert error.key == "file"
    assert error.reason.startswith(reason)
    assert counts() == before


def test_the_missing_headers_are_named(org):
    result = run_import(org, "hr", xlsx(["N001", "李雷"], header=["工号", "姓名", "班组"]))
    assert [e.reason for e in result.errors] == [
        "The header row lacks these columns: Department、Position、Hire date、Employment status."
    ]


def test_a_formula_is_not_imported_as_its_result(org):
    data = xlsx(line("N001", name="=1+1"), line("N002", phone="=13900001111"))

    result = run_import(org, "hr", data)

    assert errors_of(result) == [(2, "name")]
    assert not Employee.objects.filter(name="2").exists()
    assert not Employee.objects.filter(employee_no__in=["N001", "N002"]).exists()


@pytest.mark.parametrize("persona", ["agent", "team_leader", "supervisor", "manager", "qa"])
def test_only_hr_and_administrators_may_import(org, persona):
    before = counts()
    with pytest.raises(NotAllowed):
        run_import(org, persona, xlsx(line("N001")))
    assert counts() == before


def test_an_administrator_may_import(org):
    assert run_import(org, "admin", xlsx(line("N001"))).created == 1


def test_reimporting_updates_employees_and_records_position_and_title_changes(org, skills):
    agent = org.people["agent"]
    EmployeeSkill.objects.create(employee=agent, skill=skills["hotline"], level=2)
    hr = org.people["hr"]
    row = line(
        "agent",
        name="张伟（新）",
        team="B",
        position="senior_agent",
        star_title="star_2",
        hire_date=agent.hire_date.isoformat(),
        position_since="2024-07-01",
        status="regular",
        phone="13700007777",
        skills="english:5",
    )

    result = run_import(org, "hr", xlsx(row, line("N001")))

    assert (result.ok, result.created, result.updated) == (True, 1, 1)
    agent.refresh_from_db()
    assert (agent.name, agent.team, agent.position.code, agent.star_title.code) == (
        "张伟（新）",
        org.team_b,
        "senior_agent",
        "star_2",
    )
    assert (agent.position_since, agent.phone) == (date(2024, 7, 1), "13700007777")
    assert list(agent.skills.values_list("skill__code", "level")) == [("english", 5)]
    assert agent.user == org.people["agent"].user  # the log-in stays
    assert list(agent.roles.values_list("role", flat=True)) == [Role.AGENT]  # roles are not re-derived
    move = PositionChange.objects.get(employee=agent)
    assert (move.from_position.code, move.to_position.code, move.effective_date) == (
        "agent",
        "senior_agent",
        date(2024, 7, 1),
    )
    assert (move.reason, move.recorded_by) == ("Roster import", hr.user)
    title = TitleChange.objects.get(employee=agent)
    assert (title.from_title, title.to_title.code, title.reason, title.recorded_by) == (
        None,
        "star_2",
        "Roster import",
        hr.user,
    )
    latest = agent.history.first()
    assert (latest.history_type, latest.history_change_reason, latest.history_user) == ("~", "Roster import", hr.user)
    assert (latest.name, latest.position_id) == ("张伟（新）", position("senior_agent").pk)


def test_reimporting_without_a_position_or_title_change_records_none(org):
    agent = org.people["agent"]
    row = line("agent", name="张伟", position="agent", hire_date=agent.hire_date, phone="13700007777")

    result = run_import(org, "hr", xlsx(row))

    assert (result.created, result.updated) == (0, 1)
    assert not PositionChange.objects.filter(employee=agent).exists()
    assert not TitleChange.objects.filter(employee=agent).exists()
    agent.refresh_from_db()
    assert agent.phone == "13700007777"


def test_reimporting_an_unchanged_row_writes_no_history(org):
    agent = org.people["agent"]
    row = line(
        "agent",
        name=agent.name,
        position="agent",
        hire_date=agent.hire_date,
        status=agent.status,
        phone=agent.phone,
        email=agent.email,
    )
    history_before = agent.history.count()

    result = run_import(org, "hr", xlsx(row))

    assert (result.ok, result.created, result.updated) == (True, 0, 0)
    assert agent.history.count() == history_before


def test_taking_a_star_title_away_is_a_title_change(org):
    agent = org.people["agent"]
    Employee.objects.filter(pk=agent.pk).update(star_title=StarTitle.objects.get(code="star_4"))
    row = line("agent", name=agent.name, hire_date=agent.hire_date, star_title="")

    run_import(org, "hr", xlsx(row))

    change = TitleChange.objects.get(employee=agent)
    assert (change.from_title.code, change.to_title) == ("star_4", None)


def test_mentors_may_be_rows_of_the_same_file_or_existing_employees(org):
    agent = org.people["agent"]
    data = xlsx(
        line("N001", mentor="N003"),  # a later new row
        line("N002", mentor="teammate"),  # an existing employee
        line("N003", mentor="N002"),  # an earlier new row
        line("agent", name=agent.name, hire_date=agent.hire_date, mentor="N001"),  # existing → new
    )

    result = run_import(org, "hr", data)

    assert errors_of(result) == []
    mentors = dict(
        Employee.objects.filter(employee_no__in=["N001", "N002", "N003", "agent"]).values_list(
            "employee_no", "mentor__employee_no"
        )
    )
    assert mentors == {"N001": "N003", "N002": "teammate", "N003": "N002", "agent": "N001"}
    # the change of mentor is in the employee's history, not only in the table
    assert agent.history.first().mentor_id == Employee.objects.get(employee_no="N001").pk
    assert (
        Employee.objects.get(employee_no="N001").history.first().mentor_id
        == Employee.objects.get(employee_no="N003").pk
    )


def test_a_skill_listed_twice_is_reported_instead_of_failing_in_the_database(org, skills):
    result = run_import(org, "hr", xlsx(line("N001", skills="english:2;hotline;英语坐席:4")))

    assert [(e.row, e.key) for e in result.errors] == [(2, "skills")]
    assert not Employee.objects.filter(employee_no="N001").exists()


def test_a_changed_skill_list_counts_as_an_update_and_replaces_the_skills(org, skills):
    agent = org.people["agent"]
    EmployeeSkill.objects.create(employee=agent, skill=skills["hotline"], level=2)
    teammate = org.people["teammate"]
    EmployeeSkill.objects.create(employee=teammate, skill=skills["hotline"], level=3)

    def same(person, skill_text):
        return line(
            person.employee_no,
            name=person.name,
            hire_date=person.hire_date,
            status=person.status,
            phone=person.phone,
            email=person.email,
            skills=skill_text,
        )

    result = run_import(org, "hr", xlsx(same(agent, "hotline:4;english"), same(teammate, "hotline:3")))

    assert (result.ok, result.created, result.updated) == (True, 0, 1)
    assert sorted(agent.skills.values_list("skill__code", "level")) == [("english", 1), ("hotline", 4)]
    assert list(teammate.skills.values_list("skill__code", "level")) == [("hotline", 3)]


def test_a_mentor_left_empty_removes_the_mentor(org):
    agent = org.people["agent"]
    Employee.objects.filter(pk=agent.pk).update(mentor=org.people["teammate"])

    run_import(org, "hr", xlsx(line("agent", name=agent.name, hire_date=agent.hire_date, mentor="")))

    agent.refresh_from_db()
    assert agent.mentor is None


# --- 5,000 rows ---------------------------------------------------------------------------------

BIG = 5000
BAD_ROW = 3457  # Excel row: header is row 1


@pytest.fixture(scope="module")
def big_rows():
    """5,000 valid rows across the fixture's teams, built once per module (no database needed)."""
    teams = [("D1", "A"), ("D1", "B"), ("D2", "C")]
    rows = []
    for n in range(BIG):
        department, team = teams[n % 3]
        rows.append(
            line(
                f"B{n:05d}",
                name=f"员工{n}",
                department=department,
                team=team,
                position="agent" if n % 50 else "team_leader",
                star_title=f"star_{n % 5 + 1}" if n % 2 else "",
                hire_date=date(2015 + n % 9, 1 + n % 12, 1 + n % 28),
                status="regular",
                mentor=f"B{n - 7:05d}" if n % 10 == 9 else "",
                phone=f"139{n:08d}",
                skills="hotline:2" if n % 4 == 0 else "",
            )
        )
    return rows


def test_a_large_file_with_one_bad_row_imports_nothing_and_names_that_row(org, skills, big_rows):
    rows = [list(row) for row in big_rows]
    rows[BAD_ROW - 2][COLUMN["Mobile phone"]] = "139-ABC"
    before = Employee.objects.count()

    result = run_import(org, "hr", xlsx(*rows))

    assert [(e.row, e.key, e.reason) for e in result.errors] == [(BAD_ROW, "phone", "Enter a valid phone number.")]
    assert result.created == 0
    assert Employee.objects.count() == before


def test_a_clean_large_file_imports_every_row(org, skills, big_rows):
    before = Employee.objects.count()

    result = run_import(org, "hr", xlsx(*big_rows))

    assert (result.ok, result.created, result.updated) == (True, BIG, 0)
    assert Employee.objects.count() == before + BIG
    imported = Employee.objects.filter(employee_no__startswith="B")
    assert imported.count() == BIG
    assert EmployeeRole.objects.filter(employee__in=imported).count() == BIG
    assert PositionChange.objects.filter(employee__in=imported, from_position=None).count() == BIG
    assert Employee.history.filter(employee_no__startswith="B", history_type="+").count() == BIG
    assert EmployeeSkill.objects.filter(employee__in=imported).count() == BIG // 4
    assert imported.filter(mentor__isnull=False).count() == BIG // 10
    assert Employee.objects.get(employee_no="B00019").mentor.employee_no == "B00012"


# --- import through the API ---------------------------------------------------------------------


def upload(client, data: bytes, name: str = "花名册.xlsx"):
    file = io.BytesIO(data)
    file.name = name
    return client.post(IMPORT_URL, {"file": file}, format="multipart", HTTP_ACCEPT_LANGUAGE="en")


def test_the_import_endpoint_imports_a_clean_file(api_as, org):
    response = upload(api_as("hr"), xlsx(line("N001"), line("N002", team="B")))

    assert response.status_code == 200
    assert response.json() == {"created": 2, "updated": 0, "errors": []}
    assert set(Employee.objects.filter(employee_no__startswith="N").values_list("team__code", flat=True)) == {"A", "B"}


def test_the_import_endpoint_answers_400_with_every_row_error_and_imports_nothing(api_as, org):
    before = counts()

    response = upload(api_as("hr"), xlsx(line("N001"), line("N002", hire_date="soon", email="x"), line("N003")))

    assert response.status_code == 400
    assert response.json() == {
        "created": 0,
        "updated": 0,
        "errors": [
            {"row": 3, "field": "hire_date", "column": "Hire date", "reason": "Enter a date as YYYY-MM-DD."},
            {"row": 3, "field": "email", "column": "Email", "reason": "Enter a valid email address."},
        ],
    }
    assert counts() == before


def test_the_import_endpoint_refuses_a_file_that_is_not_xlsx(api_as, org):
    response = upload(api_as("hr"), b"%PDF-1.7 not a roster", name="roster.xlsx")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"row": 1, "field": "file", "column": "File", "reason": "The file is not a valid xlsx workbook."}
    ]


def test_the_import_endpoint_needs_a_file(api_as, org):
    response = api_as("hr").post(IMPORT_URL, {}, format="multipart")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["fields"]["file"][0]["code"] == "required"


def test_the_import_endpoint_refuses_an_oversized_file(api_as, org):
    data = xlsx(*[line(f"N{n:03d}") for n in range(60)])
    assert len(data) > 2048
    before = counts()

    with override_settings(BANZU_MAX_UPLOAD_BYTES=2048):
        response = upload(api_as("hr"), data)

    assert response.status_code == 400
    assert response.json()["fields"]["file"][0]["code"] == "file_too_large"
    assert counts() == before


@pytest.mark.parametrize("persona", ["agent", "team_leader", "supervisor", "manager"])
def test_the_import_endpoint_is_forbidden_without_the_import_permission(api_as, org, persona):
    before = counts()

    response = upload(api_as(persona), xlsx(line("N001")))

    assert response.status_code == 403
    assert counts() == before


# --- export -------------------------------------------------------------------------------------


def exported(client) -> list[dict]:
    """The export's rows as {English header: value}."""
    response = client.get(EXPORT_URL, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith('attachment; filename="roster-')
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    header, *rows = sheet.iter_rows(values_only=True)
    return [dict(zip(header, row, strict=False)) for row in rows]


def numbers(rows: list[dict]) -> set[str]:
    return {row[HEADER[0]] for row in rows}


def test_a_team_leaders_export_holds_only_their_team(api_as, org):
    assert numbers(exported(api_as("team_leader"))) == {"agent", "teammate", "team_leader"}


def test_a_supervisors_export_holds_only_their_department(api_as, org):
    expected = set(Employee.objects.filter(department=org.department).values_list("employee_no", flat=True))
    assert "vip_agent" not in expected
    assert numbers(exported(api_as("supervisor"))) == expected


def test_hrs_export_holds_the_whole_centre(api_as, org):
    assert numbers(exported(api_as("hr"))) == set(Employee.objects.values_list("employee_no", flat=True))
    assert len(org.people) == Employee.objects.count()


def test_an_agent_may_not_export(api_as, org):
    response = api_as("agent").get(EXPORT_URL)
    assert response.status_code == 403
    assert "employee_no" not in response.content.decode(errors="replace")


def test_an_export_without_personal_data_rights_masks_phones_and_emails(api_as, org):
    chairman = EmployeeFactory(team=None, department=org.department, employee_no="chair", roles=[Role.CHAIRMAN])
    client = api_as("hr")
    client.force_authenticate(user=chairman.user)

    rows = {row[HEADER[0]]: row for row in exported(client)}

    agent = org.people["agent"]
    assert rows["agent"]["Mobile phone"] == agent.phone[:3] + "****" + agent.phone[-4:]
    assert rows["agent"]["Email"] == agent.email[0] + "***@" + agent.email.partition("@")[2]


def _snapshot():
    return list(
        Employee.objects.order_by("employee_no").values_list(
            "employee_no",
            "name",
            "department_id",
            "team_id",
            "position_id",
            "star_title_id",
            "hire_date",
            "position_since",
            "status",
            "mentor_id",
            "phone",
            "email",
        )
    ), sorted(EmployeeSkill.objects.values_list("employee__employee_no", "skill__code", "level"))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_hrs_export_imports_again_without_errors_or_changes(api_as, org, skills, language):
    agent, teammate = org.people["agent"], org.people["teammate"]
    EmployeeSkill.objects.create(employee=agent, skill=skills["english"], level=3)
    EmployeeSkill.objects.create(employee=agent, skill=skills["hotline"], level=5)
    Employee.objects.filter(pk=agent.pk).update(
        mentor=teammate, star_title=StarTitle.objects.get(code="star_2"), position_since=date(2024, 1, 15)
    )
    Employee.objects.filter(pk=teammate.pk).update(status=Employee.Status.PROBATION, phone="+86 139-0000-1111")
    Team.objects.filter(pk=org.team_c.pk).update(name="VIP一组")
    before = _snapshot()
    history_before = Employee.history.count()
    with translation.override(language):
        response = api_as("hr").get(EXPORT_URL, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200

    result = run_import(org, "hr", response.content)

    assert [error.as_dict() for error in result.errors] == []
    assert (result.created, result.updated) == (0, 0)
    assert _snapshot() == before
    assert Employee.history.count() == history_before
