"""banzu.org.roster without the database: checking rows (ORG-2) and reading xlsx files.

check_rows gets hand-made lookups; read_workbook gets workbooks built here with openpyxl.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook
from openpyxl.packaging.relationship import Relationship
from openpyxl.workbook.external_link.external import (
    ExternalBook,
    ExternalCell,
    ExternalLink,
    ExternalRow,
    ExternalSheetData,
    ExternalSheetDataSet,
    ExternalSheetNames,
)

from banzu.org import roster
from banzu.org.roster import Lookups, RosterFileError, check_rows, read_workbook

D1, D2 = 1, 2
TEAM_A, TEAM_B, TEAM_C = 11, 12, 21
AGENT, TEAM_LEADER = 101, 103
STAR_1, STAR_3 = 201, 203
ENGLISH, HOTLINE = 301, 302


def lookups(**changes) -> Lookups:
    values = {
        "departments": {"d1": D1, "客服一部": D1, "d2": D2, "vip客服部": D2},
        "teams": {(D1, "a"): TEAM_A, (D1, "一组"): TEAM_A, (D1, "b"): TEAM_B, (D2, "c"): TEAM_C},
        "positions": {"agent": AGENT, "客服代表": AGENT, "team_leader": TEAM_LEADER},
        "star_titles": {"star_1": STAR_1, "一星客服": STAR_1, "star_3": STAR_3},
        "statuses": {"probation": "probation", "regular": "regular", "left": "left", **roster.STATUS_ALIASES},
        "skills": {"english": ENGLISH, "英语坐席": ENGLISH, "hotline": HOTLINE},
        "existing_employee_nos": {"E9000"},
    }
    values.update(changes)
    return Lookups(**values)


def cells(**changes) -> dict:
    """A valid roster line; keyword arguments replace cells (None empties one)."""
    values = {
        "employee_no": "E0001",
        "name": "张伟",
        "department": "D1",
        "team": "A",
        "position": "agent",
        "star_title": "",
        "hire_date": "2024-03-01",
        "position_since": "",
        "status": "正式",
        "mentor": "",
        "phone": "13800001234",
        "email": "zhang.wei@example.com",
        "skills": "english:3;hotline",
    }
    values.update(changes)
    return values


def check_one(row_no: int = 2, lookup: Lookups | None = None, **changes):
    return check_rows([(row_no, cells(**changes))], lookup or lookups())


@pytest.fixture(autouse=True)
def english():
    """Reasons are compared with their English msgids."""
    with translation.override("en"):
        yield


def problems(errors) -> list[tuple[int, str]]:
    return [(error.row, error.key) for error in errors]


# --- check_rows: good rows ----------------------------------------------------------------------


def test_a_clean_row_becomes_ids_and_typed_values():
    good, errors = check_one(row_no=7, star_title="一星客服", position_since="2024-06-01", mentor="E9000")

    assert errors == []
    (row,) = good
    assert row.row == 7
    assert (row.employee_no, row.name) == ("E0001", "张伟")
    assert (row.department_id, row.team_id, row.position_id, row.star_title_id) == (D1, TEAM_A, AGENT, STAR_1)
    assert (row.hire_date, row.position_since) == (date(2024, 3, 1), date(2024, 6, 1))
    assert row.status == "regular"
    assert row.mentor_no == "E9000"
    assert row.skills == [(ENGLISH, 3), (HOTLINE, 1)]


def test_the_date_in_position_defaults_to_the_hire_date():
    (row,), errors = check_one(position_since=None)
    assert errors == []
    assert row.position_since == row.hire_date == date(2024, 3, 1)


def test_names_and_codes_are_matched_without_regard_to_case_or_surrounding_space():
    (row,), errors = check_one(department=" 客服一部 ", team="一组", position="AGENT", status=" Regular ")
    assert errors == []
    assert (row.department_id, row.team_id, row.position_id, row.status) == (D1, TEAM_A, AGENT, "regular")


def test_a_team_is_optional():
    (row,), errors = check_one(team=None)
    assert errors == []
    assert row.team_id is None


def test_numeric_cells_are_read_as_text_without_a_decimal_point():
    (row,), errors = check_one(employee_no=1001.0, phone=13800001234)
    assert errors == []
    assert (row.employee_no, row.phone) == ("1001", "13800001234")


@pytest.mark.parametrize(
    "value",
    [
        datetime(2024, 3, 1, 0, 0),  # an Excel date cell
        date(2024, 3, 1),
        "2024-03-01",
        "2024-3-1",
        "2024/3/1",
        "2024/03/01",
        "2024.3.1",
        "2024年3月1日",
        "20240301",
    ],
)
def test_dates_are_accepted_as_excel_cells_and_common_written_forms(value):
    (row,), errors = check_one(hire_date=value)
    assert errors == []
    assert row.hire_date == date(2024, 3, 1)


@pytest.mark.parametrize("phone", ["13800001234", "+86 138 0000 1234", "021-6888-8888", "+8613800001234"])
def test_usual_phone_numbers_are_accepted(phone):
    (row,), errors = check_one(phone=phone)
    assert errors == []
    assert row.phone == phone


@pytest.mark.parametrize(
    ("text", "skills"),
    [
        ("english:5", [(ENGLISH, 5)]),
        ("英语坐席：2", [(ENGLISH, 2)]),
        ("english:1；hotline:4", [(ENGLISH, 1), (HOTLINE, 4)]),
        ("english、hotline", [(ENGLISH, 1), (HOTLINE, 1)]),
        ("english:2，hotline:2", [(ENGLISH, 2), (HOTLINE, 2)]),
        ("", []),
    ],
)
def test_skills_take_an_optional_level_and_any_usual_separator(text, skills):
    (row,), errors = check_one(skills=text)
    assert errors == []
    assert row.skills == skills


# --- check_rows: bad rows -----------------------------------------------------------------------


@pytest.mark.parametrize("key", ["employee_no", "name", "department", "position", "hire_date", "status"])
@pytest.mark.parametrize("empty", [None, "", "   "])
def test_a_missing_required_value_is_reported_with_row_and_column(key, empty):
    good, errors = check_one(row_no=5, **{key: empty})

    assert good == []
    assert problems(errors) == [(5, key)]
    labels = {k: str(label) for k, label, _required in roster.COLUMNS}
    assert errors[0].column == labels[key]
    assert errors[0].reason == "This field is required."


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("department", "客服九部", "There is no department “客服九部”."),
        ("team", "Z", "There is no team “Z” in this department."),
        ("position", "astronaut", "There is no position “astronaut”."),
        ("star_title", "六星客服", "There is no star title “六星客服”."),
        ("skills", "english:2;klingon:3", "There is no skill “klingon”."),
        ("status", "retired", "Choose one of: 正式、离职、试用、试用期、转正."),
    ],
)
def test_an_unknown_reference_is_reported_with_its_value(key, value, reason):
    good, errors = check_one(**{key: value})

    assert good == []
    assert [(e.row, e.key, e.reason) for e in errors] == [(2, key, reason)]


def test_a_team_of_another_department_is_refused():
    good, errors = check_one(department="D1", team="C")
    assert good == []
    assert [(e.key, e.reason) for e in errors] == [("team", "There is no team “C” in this department.")]


def test_a_team_is_not_judged_when_the_department_is_unknown():
    _good, errors = check_one(department="D9", team="A")
    assert problems(errors) == [(2, "department")]


@pytest.mark.parametrize(
    "value",
    ["2024-13-01", "2024/2/30", "2024年2月30日", "yesterday", "3/1/2024", "01.03.2024", "2024-W10-1", "45352"],
)
def test_a_bad_date_is_reported(value):
    good, errors = check_one(hire_date=value)
    assert good == []
    assert [(e.key, e.reason) for e in errors] == [("hire_date", "Enter a date as YYYY-MM-DD.")]


def test_a_bad_date_in_position_is_reported():
    _good, errors = check_one(position_since="2024/2/31")
    assert [(e.key, e.reason) for e in errors] == [("position_since", "Enter a date as YYYY-MM-DD.")]


def test_a_date_in_position_before_the_hire_date_is_refused():
    _good, errors = check_one(hire_date="2024-03-01", position_since=datetime(2024, 2, 29))
    assert [(e.key, e.reason) for e in errors] == [
        ("position_since", "The date in position cannot be before the hire date.")
    ]


def test_a_date_in_position_on_the_hire_date_is_fine():
    (row,), errors = check_one(hire_date="2024-03-01", position_since="2024年3月1日")
    assert errors == []
    assert row.position_since == date(2024, 3, 1)


@pytest.mark.parametrize(
    "phone", ["abc", "12345", "138-0000-abcd", "++8613800001234", "+86 138 0000 1234 5678 90", "1" * 21]
)
def test_a_bad_phone_number_is_refused(phone):
    _good, errors = check_one(phone=phone)
    assert [(e.key, e.reason) for e in errors] == [("phone", "Enter a valid phone number.")]


def test_an_accepted_phone_number_fits_the_column():
    longest = "+" + "1" * 19
    (row,), errors = check_one(phone=longest)
    assert errors == []
    assert len(row.phone) == 20


@pytest.mark.parametrize("email", ["zhang", "zhang@", "@example.com", "zhang wei@example.com", "a" * 250 + "@ex.com"])
def test_a_bad_email_address_is_refused(email):
    _good, errors = check_one(email=email)
    assert [(e.key, e.reason) for e in errors] == [("email", "Enter a valid email address.")]


@pytest.mark.parametrize("text", ["english:0", "english:6", "english:x", "english:-1", "english:2.5", "hotline:10"])
def test_a_skill_level_outside_one_to_five_is_refused(text):
    _good, errors = check_one(skills=text)
    name = text.partition(":")[0]
    assert [(e.key, e.reason) for e in errors] == [
        ("skills", f"The level of “{name}” must be a whole number from 1 to 5.")
    ]


def test_a_skill_listed_twice_is_refused_even_by_code_and_name():
    _good, errors = check_one(skills="english:2;hotline;英语坐席:3")
    assert [(e.key, e.reason) for e in errors] == [("skills", "The skill “英语坐席” is listed more than once.")]


def test_too_long_numbers_and_names_are_refused():
    _good, errors = check_one(employee_no="E" * 21, name="张" * 51)
    assert [(e.key, e.reason) for e in errors] == [
        ("employee_no", "Enter at most 20 characters."),
        ("name", "Enter at most 50 characters."),
    ]


def test_every_problem_of_a_row_is_reported_in_column_order():
    _good, errors = check_one(row_no=9, email="nope", position="astronaut", phone="x", hire_date="later")
    assert problems(errors) == [(9, "position"), (9, "hire_date"), (9, "phone"), (9, "email")]


def test_a_duplicate_employee_number_names_the_row_it_repeats():
    rows = [
        (2, cells(employee_no="E0001")),
        (3, cells(employee_no="E0002")),
        (6, cells(employee_no="E0001", name="王芳")),
    ]
    good, errors = check_rows(rows, lookups())

    assert [row.row for row in good] == [2, 3]
    assert [(e.row, e.key, e.reason) for e in errors] == [
        (6, "employee_no", "The employee number also appears in row 2.")
    ]


def test_an_unknown_mentor_is_refused():
    _good, errors = check_one(mentor="E4040")
    assert [(e.row, e.key, e.reason) for e in errors] == [(2, "mentor", "There is no employee with number E4040.")]


def test_nobody_is_their_own_mentor():
    _good, errors = check_one(employee_no="E0001", mentor="E0001")
    assert [(e.key, e.reason) for e in errors] == [("mentor", "An employee cannot be their own mentor.")]


def test_a_mentor_may_be_an_existing_employee_or_any_row_of_the_same_file():
    rows = [
        (2, cells(employee_no="E0001", mentor="E0003")),  # a later row
        (3, cells(employee_no="E0002", mentor="E9000")),  # already employed
        (4, cells(employee_no="E0003", mentor="E0002")),  # an earlier row
    ]
    good, errors = check_rows(rows, lookups())
    assert errors == []
    assert [(row.employee_no, row.mentor_no) for row in good] == [
        ("E0001", "E0003"),
        ("E0002", "E9000"),
        ("E0003", "E0002"),
    ]


def test_errors_of_several_rows_come_sorted_by_row_and_good_rows_are_kept_apart():
    rows = [
        (2, cells(employee_no="E0001", mentor="E0001")),
        (3, cells(employee_no="E0002", team="Z")),
        (4, cells(employee_no="E0003")),
        (5, cells(employee_no="E0004", email="bad", skills="english:9")),
    ]
    good, errors = check_rows(rows, lookups())

    assert [row.employee_no for row in good] == ["E0003"]
    assert problems(errors) == [(2, "mentor"), (3, "team"), (5, "email"), (5, "skills")]


def test_a_row_error_serialises_with_row_field_column_and_reason():
    _good, (error,) = check_one(row_no=12, phone="x")
    assert error.as_dict() == {
        "row": 12,
        "field": "phone",
        "column": "Mobile phone",
        "reason": "Enter a valid phone number.",
    }


# --- read_workbook ------------------------------------------------------------------------------

ENGLISH_HEADER = [
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
CHINESE_HEADER = [
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
LINE = ["E0001", "张伟", "D1", "A", "agent", "", datetime(2024, 3, 1), None, "正式", "", "13800001234", "", "english:2"]


def xlsx(header, *rows, write_only: bool = False) -> bytes:
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet("花名册") if write_only else book.active
    if header is not None:
        sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_english_headers_map_cells_to_columns():
    rows = list(read_workbook(xlsx(ENGLISH_HEADER, LINE)))

    assert [number for number, _values in rows] == [2]
    values = rows[0][1]
    assert values["employee_no"] == "E0001"
    assert values["hire_date"] == datetime(2024, 3, 1)
    assert values["skills"] == "english:2"
    assert set(values) == set(roster.COLUMN_KEYS)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_chinese_and_english_headers_are_accepted_whatever_the_active_language(language):
    with translation.override(language):
        chinese = list(read_workbook(xlsx(CHINESE_HEADER, LINE)))
        english = list(read_workbook(xlsx(ENGLISH_HEADER, LINE)))
    assert chinese == english
    assert chinese[0][1]["name"] == "张伟"
    assert chinese[0][1]["status"] == "正式"


def test_headers_may_be_column_keys_in_any_case_and_order_with_extra_columns_ignored():
    header = ["  NAME ", "remarks", "employee_no", "Department", "position", "HIRE_DATE", "status"]
    (row,) = read_workbook(xlsx(header, ["王芳", "新员工", "E0002", "D2", "agent", "2024/3/1", "试用"]))
    assert row == (
        2,
        {
            "name": "王芳",
            "employee_no": "E0002",
            "department": "D2",
            "position": "agent",
            "hire_date": "2024/3/1",
            "status": "试用",
        },
    )


def test_rows_keep_their_excel_numbers_and_blank_rows_are_skipped():
    data = xlsx(ENGLISH_HEADER, LINE, [None] * 13, ["", "  ", None], [*LINE[:1], "王芳", *LINE[2:]])
    assert [number for number, _values in read_workbook(data)] == [2, 5]


def test_a_missing_required_header_is_a_file_error_naming_it():
    header = [h for h in ENGLISH_HEADER if h not in ("Hire date", "Position")]
    with pytest.raises(RosterFileError) as caught:
        list(read_workbook(xlsx(header, LINE[:11])))
    assert str(caught.value) == "The header row lacks these columns: Position、Hire date."


def test_an_empty_sheet_is_a_file_error():
    with pytest.raises(RosterFileError, match="The first row must hold the column headers."):
        list(read_workbook(xlsx(None)))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        "工号,姓名\nE0001,张伟\n".encode(),  # a CSV renamed to .xlsx
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512,  # the old binary .xls format
        b"PK\x05\x06" + b"\0" * 18,  # an empty zip archive
    ],
    ids=["empty", "csv", "xls", "empty-zip"],
)
def test_a_file_that_is_not_xlsx_gets_a_clear_error(data):
    with pytest.raises(RosterFileError, match="The file is not a valid xlsx workbook."):
        list(read_workbook(data))


def test_a_zip_that_is_not_a_workbook_gets_a_clear_error():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(RosterFileError, match="The file is not a valid xlsx workbook."):
        list(read_workbook(out.getvalue()))


def test_too_many_rows_are_a_file_error(monkeypatch):
    monkeypatch.setattr(roster, "MAX_ROWS", 3)
    data = xlsx(ENGLISH_HEADER, *([LINE] * 4), write_only=True)
    with pytest.raises(RosterFileError, match="A roster file may hold at most 3 rows."):
        list(read_workbook(data))


def test_a_formula_is_not_evaluated():
    line = ["=1+1", "张伟", "D1", "A", "agent", "", "=DATE(2024,3,1)", None, "正式", "", "=13800001234", "", ""]
    data = xlsx(ENGLISH_HEADER, line)
    # the file really holds formulas without cached values
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["A2"].data_type == "f"
    assert sheet["A2"].value == "=1+1"

    ((number, values),) = read_workbook(data)

    assert values["employee_no"] is None
    assert values["hire_date"] is None
    assert values["phone"] is None
    _good, errors = check_rows([(number, values)], lookups())
    assert problems(errors) == [(2, "employee_no"), (2, "hire_date")]


def test_an_external_link_is_not_followed(tmp_path):
    secret = tmp_path / "salaries.xlsx"
    secret.write_bytes(xlsx(["工号"], ["泄露"]))
    book = Workbook()
    sheet = book.active
    sheet.append(ENGLISH_HEADER)
    sheet.append(["E0001", "=[1]Sheet!$A$2", *LINE[2:]])
    cached = ExternalSheetDataSet(
        sheetData=[ExternalSheetData(sheetId=0, row=[ExternalRow(r=2, cell=[ExternalCell(r="A2", t="str", v="泄露")])])]
    )
    link = ExternalLink(
        externalBook=ExternalBook(sheetNames=ExternalSheetNames(sheetName=["Sheet"]), sheetDataSet=cached, id="rId1")
    )
    link.file_link = Relationship(type="externalLinkPath", Target=secret.as_uri(), TargetMode="External", Id="rId1")
    book._external_links.append(link)
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    # the file really carries the link, with a cached copy of the linked value
    assert load_workbook(io.BytesIO(data), keep_links=True)._external_links[0].file_link.Target == secret.as_uri()
    assert "泄露".encode() in zipfile.ZipFile(io.BytesIO(data)).read("xl/externalLinks/externalLink1.xml")

    ((number, values),) = read_workbook(data)

    assert values["name"] is None
    assert "泄露" not in [str(value) for value in values.values()]
    _good, errors = check_rows([(number, values)], lookups())
    assert problems(errors) == [(2, "name")]


def test_excel_date_cells_from_a_file_pass_the_checks():
    line = ["E0001", "张伟", "客服一部", "一组", "客服代表", "一星客服", datetime(2023, 7, 3), datetime(2024, 1, 2)]
    data = xlsx(CHINESE_HEADER, [*line, "试用", "", "13800001234", "zhang@example.com", "英语坐席:4"])

    (row,), errors = check_rows(read_workbook(data), lookups())

    assert errors == []
    assert (row.hire_date, row.position_since, row.status) == (date(2023, 7, 3), date(2024, 1, 2), "probation")
    assert (row.team_id, row.star_title_id, row.skills) == (TEAM_A, STAR_1, [(ENGLISH, 4)])
