"""The roster spreadsheet (花名册, ORG-2): its columns, reading, checking and writing.

Reading and checking are free of the database: the caller passes the lookups (departments, teams,
positions, …) and gets back either checked rows or every problem as (row, column, reason).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

MAX_ROWS = 20000
MAX_ERRORS_SHOWN = 500

COLUMNS: list[tuple[str, Any, bool]] = [
    # (key, header label, required)
    ("employee_no", gettext_lazy("Employee number"), True),
    ("name", gettext_lazy("Name"), True),
    ("department", gettext_lazy("Department"), True),
    ("team", gettext_lazy("Team"), False),
    ("position", gettext_lazy("Position"), True),
    ("star_title", gettext_lazy("Star title"), False),
    ("hire_date", gettext_lazy("Hire date"), True),
    ("position_since", gettext_lazy("Date in position"), False),
    ("status", gettext_lazy("Employment status"), True),
    ("mentor", gettext_lazy("Mentor employee number"), False),
    ("phone", gettext_lazy("Mobile phone"), False),
    ("email", gettext_lazy("Email"), False),
    ("skills", gettext_lazy("Skills"), False),
]
COLUMN_KEYS = [key for key, _label, _req in COLUMNS]
# Chinese headers people write on their own sheets. They are part of the file format, so they are
# accepted whatever the state of the translation catalogue; the translated labels are accepted too.
HEADER_ALIASES: dict[str, str] = {
    "工号": "employee_no",
    "员工编号": "employee_no",
    "姓名": "name",
    "部门": "department",
    "班组": "team",
    "小组": "team",
    "岗位": "position",
    "职位": "position",
    "星级": "star_title",
    "职称": "star_title",
    "入职日期": "hire_date",
    "任职日期": "position_since",
    "用工状态": "status",
    "员工状态": "status",
    "在职状态": "status",
    "状态": "status",
    "导师工号": "mentor",
    "导师": "mentor",
    "手机": "phone",
    "手机号": "phone",
    "手机号码": "phone",
    "联系电话": "phone",
    "邮箱": "email",
    "电子邮箱": "email",
    "技能": "skills",
}
# Employment statuses as people write them (terms.md: 试用 / 正式 / 离职), besides the labels.
STATUS_ALIASES: dict[str, str] = {
    "试用": "probation",
    "试用期": "probation",
    "正式": "regular",
    "转正": "regular",
    "离职": "left",
}
# The model keeps 20 characters: "+" and up to 19 digits, dashes or spaces.
PHONE_RE = re.compile(r"^\+?[0-9][0-9\- ]{5,18}$")
EMAIL_MAX_LENGTH = 254
SKILL_SEPARATORS = re.compile(r"[;；,，、]")
DATE_RES = (
    re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})"),  # 2024-03-01, 2024/3/1, 2024.3.1
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),  # 20240301
)


def header_labels() -> list[str]:
    return [str(label) for _key, label, _required in COLUMNS]


def _known_headers() -> dict[str, str]:
    """Header text (any supported language, or the key itself) → column key."""
    known: dict[str, str] = dict(HEADER_ALIASES)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for key, label, _required in COLUMNS:
                known[str(label).strip().lower()] = key
    for key in COLUMN_KEYS:
        known[key] = key
    return known


@dataclass
class RowError:
    row: int
    key: str
    column: str
    reason: str

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.key, "column": self.column, "reason": self.reason}


@dataclass
class RosterRow:
    row: int
    employee_no: str
    name: str
    department_id: int
    team_id: int | None
    position_id: int
    star_title_id: int | None
    hire_date: date
    position_since: date
    status: str
    mentor_no: str
    phone: str
    email: str
    skills: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Lookups:
    """Everything a row may refer to, keyed by lower-cased code and name."""

    departments: dict[str, int]
    teams: dict[tuple[int, str], int]  # (department id, code or name) → team id
    positions: dict[str, int]
    star_titles: dict[str, int]
    statuses: dict[str, str]
    skills: dict[str, int]
    existing_employee_nos: set[str]
    max_skill_level: int = 5


class RosterFileError(Exception):
    """The file as a whole cannot be read (not xlsx, no header, too many rows)."""


# A workbook compresses well, but not a thousandfold: larger ratios are archive bombs.
MAX_INFLATION = 100


def _refuse_inflating_archives(data: bytes) -> None:
    """Refuse archives whose parts would inflate far beyond the upload itself, before reading any."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            declared = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise RosterFileError(_("The file is not a valid xlsx workbook.")) from None
    if declared > max(len(data), 1) * MAX_INFLATION:
        raise RosterFileError(_("The file is not a valid xlsx workbook."))


def read_workbook(data: bytes) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows of the first sheet as (Excel row number, {column key: cell value}).

    Formulas are never evaluated (cached values are read) and external links are not followed.
    """
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    _refuse_inflating_archives(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except (InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise RosterFileError(_("The file is not a valid xlsx workbook.")) from exc
    except Exception as exc:  # zipfile.BadZipFile and other archive errors
        raise RosterFileError(_("The file is not a valid xlsx workbook.")) from exc
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if not header:
            raise RosterFileError(_("The first row must hold the column headers."))
        known = _known_headers()
        keys: list[str | None] = []
        for cell in header:
            text = str(cell).strip().lower() if cell is not None else ""
            keys.append(known.get(text))
        missing = [str(label) for key, label, required in COLUMNS if required and key not in keys]
        if missing:
            raise RosterFileError(
                _("The header row lacks these columns: %(columns)s.") % {"columns": "、".join(missing)}
            )
        count = 0
        for offset, values in enumerate(rows, start=2):
            if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            count += 1
            if count > MAX_ROWS:
                raise RosterFileError(_("A roster file may hold at most %(max)s rows.") % {"max": MAX_ROWS})
            yield offset, {key: value for key, value in zip(keys, values, strict=False) if key}
    finally:
        book.close()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    for pattern in DATE_RES:
        match = pattern.fullmatch(text)
        if match:
            year, month, day = (int(part) for part in match.groups() if part.isdigit())
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None


def check_rows(rows: Iterable[tuple[int, dict[str, Any]]], lookups: Lookups) -> tuple[list[RosterRow], list[RowError]]:
    """Every problem of every row; rows are only usable when the error list is empty."""
    labels = {key: str(label) for key, label, _required in COLUMNS}
    good: list[RosterRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    file_nos: set[str] = set()
    pending_mentors: list[tuple[int, str]] = []

    for row_no, cells in rows:
        problems: list[RowError] = []

        def fail(key: str, reason: str, row_no: int = row_no, problems: list = problems) -> None:
            problems.append(RowError(row_no, key, labels[key], reason))

        values = {key: _text(cells.get(key)) for key in COLUMN_KEYS}
        for key, _label, required in COLUMNS:
            if required and not values[key]:
                fail(key, _("This field is required."))

        employee_no = values["employee_no"]
        if employee_no:
            if len(employee_no) > 20:
                fail("employee_no", _("Enter at most %(max)s characters.") % {"max": 20})
            elif employee_no in seen:
                fail(
                    "employee_no",
                    _("The employee number also appears in row %(row)s.") % {"row": seen[employee_no]},
                )
            else:
                seen[employee_no] = row_no
                file_nos.add(employee_no)
        if values["name"] and len(values["name"]) > 50:
            fail("name", _("Enter at most %(max)s characters.") % {"max": 50})

        department_id = None
        if values["department"]:
            department_id = lookups.departments.get(values["department"].lower())
            if department_id is None:
                fail("department", _("There is no department “%(value)s”.") % {"value": values["department"]})
        team_id = None
        if values["team"] and department_id is not None:
            team_id = lookups.teams.get((department_id, values["team"].lower()))
            if team_id is None:
                fail(
                    "team",
                    _("There is no team “%(value)s” in this department.") % {"value": values["team"]},
                )
        position_id = None
        if values["position"]:
            position_id = lookups.positions.get(values["position"].lower())
            if position_id is None:
                fail("position", _("There is no position “%(value)s”.") % {"value": values["position"]})
        star_title_id = None
        if values["star_title"]:
            star_title_id = lookups.star_titles.get(values["star_title"].lower())
            if star_title_id is None:
                fail("star_title", _("There is no star title “%(value)s”.") % {"value": values["star_title"]})

        hire_date = _date(cells.get("hire_date")) if values["hire_date"] or cells.get("hire_date") else None
        if values["hire_date"] and hire_date is None:
            fail("hire_date", _("Enter a date as YYYY-MM-DD."))
        position_since = hire_date
        if values["position_since"]:
            position_since = _date(cells.get("position_since"))
            if position_since is None:
                fail("position_since", _("Enter a date as YYYY-MM-DD."))
            elif hire_date and position_since < hire_date:
                fail("position_since", _("The date in position cannot be before the hire date."))

        status = None
        if values["status"]:
            status = lookups.statuses.get(values["status"].lower())
            if status is None:
                choices = "、".join(sorted({label for label in lookups.statuses if not label.isascii()}))
                fail("status", _("Choose one of: %(choices)s.") % {"choices": choices})

        phone = values["phone"]
        if phone and not PHONE_RE.match(phone):
            fail("phone", _("Enter a valid phone number."))
        email = values["email"]
        if email:
            try:
                if len(email) > EMAIL_MAX_LENGTH:
                    raise ValidationError("too long")
                validate_email(email)
            except ValidationError:
                fail("email", _("Enter a valid email address."))

        skills: list[tuple[int, int]] = []
        for part in filter(None, (p.strip() for p in SKILL_SEPARATORS.split(values["skills"]))):
            name, _sep, level_text = part.replace("：", ":").partition(":")
            skill_id = lookups.skills.get(name.strip().lower())
            level = int(level_text) if level_text.strip().isdigit() else (1 if not level_text.strip() else -1)
            if skill_id is None:
                fail("skills", _("There is no skill “%(value)s”.") % {"value": name.strip()})
            elif skill_id in {known for known, _level in skills}:
                # A skill is held once (by code or by name); the database would refuse the second.
                fail("skills", _("The skill “%(value)s” is listed more than once.") % {"value": name.strip()})
            elif not 1 <= level <= lookups.max_skill_level:
                fail(
                    "skills",
                    _("The level of “%(value)s” must be a whole number from 1 to %(max)s.")
                    % {"value": name.strip(), "max": lookups.max_skill_level},
                )
            else:
                skills.append((skill_id, level))

        mentor_no = values["mentor"]
        if mentor_no and mentor_no == employee_no:
            fail("mentor", _("An employee cannot be their own mentor."))
        elif mentor_no:
            pending_mentors.append((row_no, mentor_no))

        if problems:
            errors.extend(problems)
            continue
        good.append(
            RosterRow(
                row=row_no,
                employee_no=employee_no,
                name=values["name"],
                department_id=department_id,
                team_id=team_id,
                position_id=position_id,
                star_title_id=star_title_id,
                hire_date=hire_date,
                position_since=position_since or hire_date,
                status=status,
                mentor_no=mentor_no,
                phone=phone,
                email=email,
                skills=skills,
            )
        )
    for row_no, mentor_no in pending_mentors:
        if mentor_no not in file_nos and mentor_no not in lookups.existing_employee_nos:
            reason = _("There is no employee with number %(value)s.") % {"value": mentor_no}
            errors.append(RowError(row_no, "mentor", labels["mentor"], reason))
    errors.sort(key=lambda error: (error.row, COLUMN_KEYS.index(error.key)))
    return good, errors


def write_workbook(rows: Iterable[list[Any]], *, title: str) -> bytes:
    """An xlsx of the roster columns; write-only mode keeps memory flat for large exports."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    bold = Font(bold=True)
    header = []
    for label in header_labels():
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_safe_cell(value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _safe_cell(value: Any) -> Any:
    # A text starting with "=" would become a formula when the file is opened (CSV/xlsx injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not PHONE_RE.match(value):
        return "'" + value
    return value
