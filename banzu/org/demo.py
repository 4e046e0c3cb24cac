"""The demo centre: a realistic call centre to try Banzu with (`manage.py demo`, `manage.py serve`).

Two steps. ``plan_centre`` decides, from a seeded ``random.Random`` and no database, who works where,
since when and in which position; ``build_demo_centre`` writes the plan in one transaction with bulk
inserts (a few hundred rows in well under a second on SQLite), keeping position and star-title
history, roles and simple-history rows consistent with what the services would have written.

Demo log-ins use the employee number as username. They get a password only in demo or debug mode;
otherwise their passwords are unusable, so a demo centre loaded by mistake opens no door.
"""

from __future__ import annotations

import os
import random
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from banzu.core.policies import policy
from banzu.core.roles import Role
from banzu.org.models import (
    Centre,
    Department,
    Employee,
    EmployeeRole,
    EmployeeSkill,
    Headcount,
    Position,
    PositionChange,
    Skill,
    StarTitle,
    Team,
    TitleChange,
)
from banzu.org.services import ROLE_FOR_POSITION

DEMO_CENTRE_CODE = "HQ"
DEMO_CENTRE_NAME = "总部呼叫中心"
DEMO_TIMEZONE = "Asia/Shanghai"
DEFAULT_PASSWORD = "banzu-demo"  # noqa: S105 - printed demo password, only set in demo or debug mode
PASSWORD_ENV = "BANZU_DEMO_PASSWORD"  # noqa: S105 - the variable's name, not a password
DEFAULT_SEED = 2024
DEFAULT_AGENTS = 150
FIRST_EMPLOYEE_NO = 5001

DEPARTMENTS = [
    # code, name, team names
    ("CS1", "客服一部", ["一组", "二组", "三组", "四组"]),
    ("VIP", "VIP客服部", ["VIP一组", "VIP二组", "VIP三组", "VIP四组"]),
]
TEAM_COUNT = sum(len(teams) for _code, _name, teams in DEPARTMENTS)
# The team that has more agents than one team leader should lead (ORG-1 warning): 三组 of 客服一部.
OVERSIZED_TEAM = 2
OVERSIZED_BY = 4

SKILLS = [
    # code, name, kind
    ("tax_consulting", "办税咨询", Skill.Kind.QUEUE),
    ("invoicing", "发票业务", Skill.Kind.QUEUE),
    ("social_insurance", "社保业务", Skill.Kind.QUEUE),
    ("complaints", "投诉处理", Skill.Kind.QUEUE),
    ("english", "英语", Skill.Kind.LANGUAGE),
    ("online_chat", "在线客服", Skill.Kind.CHANNEL),
]
QUEUE_SKILLS = ["tax_consulting", "invoicing", "social_insurance"]

# Common family names, most frequent first (drawn with falling weights).
FAMILY_NAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
FEMALE_CHARS = (
    "芳娜敏静丽艳娟霞秀玲英慧巧美淑惠珠翠雅芝玉萍红琳云莲雪荣爱香月媛瑶怡婷雯欣佳琪梦涵悦璐晶颖倩洁露蓉薇菲婧岚妍"
)
MALE_CHARS = "伟强磊军洋勇杰涛明超刚平辉鹏飞鑫波斌宇浩凯健俊帆旭宁龙林阳建国志文博晨昊然轩睿泽峰亮成康诚毅"
SHARED_CHARS = "华晓子思一嘉天雨新海春金丹文诗可"


class DemoError(Exception):
    """The demo centre cannot be built into this database (e.g. a demo username is taken)."""


# --- passwords --------------------------------------------------------------------------------


def demo_password() -> str | None:
    """The password demo accounts get: only in demo or debug mode, else None (unusable).

    A password asked for explicitly (``BANZU_DEMO_PASSWORD``) outside those modes is refused rather
    than silently dropped, so nobody believes a production database has working demo log-ins.
    """
    explicit = os.environ.get(PASSWORD_ENV, "")
    if settings.DEMO or settings.DEBUG:
        return explicit or DEFAULT_PASSWORD
    if explicit:
        raise ImproperlyConfigured(
            _(
                "%(env)s is set, but demo passwords are only created in demo or debug mode "
                "(BANZU_DEMO=1 or BANZU_DEBUG=1)."
            )
            % {"env": PASSWORD_ENV}
        )
    return None


# --- the plan (no database) -------------------------------------------------------------------


@dataclass
class Person:
    """One employee to create. `steps` are the positions held, the first one on the hire date."""

    key: str
    name: str
    department: int
    team: int | None
    steps: list[tuple[str, date]]
    status: str = Employee.Status.REGULAR
    left_on: date | None = None
    star: int | None = None
    star_since: date | None = None
    extra_roles: list[str] = field(default_factory=list)
    skills: dict[str, int] = field(default_factory=dict)
    mentor: str | None = None
    phone: str = ""
    birthday: date | None = None
    employee_no: str = ""

    @property
    def hire_date(self) -> date:
        return self.steps[0][1]

    @property
    def position(self) -> str:
        return self.steps[-1][0]

    @property
    def position_since(self) -> date:
        return self.steps[-1][1]


class NameMaker:
    """Realistic, unique Chinese names from common family names and given-name characters."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()
        self.family_weights = [100 / (rank + 8) for rank in range(len(FAMILY_NAMES))]

    def make(self, *, female: bool) -> str:
        chars = FEMALE_CHARS if female else MALE_CHARS
        for _attempt in range(1000):
            family = self.rng.choices(FAMILY_NAMES, weights=self.family_weights)[0]
            if self.rng.random() < 0.25:
                given = self.rng.choice(chars)
            else:
                given = self.rng.choice(chars + SHARED_CHARS) + self.rng.choice(chars)
                if given[0] == given[1] and self.rng.random() < 0.8:
                    continue  # doubled names (婷婷) exist but are rarer
            name = family + given
            if name not in self.used:
                self.used.add(name)
                return name
        raise DemoError("Could not find an unused name.")


def chinese_names(rng: random.Random, count: int) -> list[str]:
    """`count` unique names, about seven in ten female as in most centres."""
    maker = NameMaker(rng)
    return [maker.make(female=rng.random() < 0.7) for _index in range(count)]


def team_sizes(agents: int, ratio: int, rng: random.Random) -> list[int]:
    """Agents per team: even, slightly uneven, and one team past the team-leader ratio if possible."""
    if agents < TEAM_COUNT:
        raise DemoError(_("A demo centre needs at least %(count)s agents, one per team.") % {"count": TEAM_COUNT})
    sizes = [0] * TEAM_COUNT
    others = list(range(TEAM_COUNT))
    if agents >= ratio + OVERSIZED_BY + (TEAM_COUNT - 1):
        sizes[OVERSIZED_TEAM] = ratio + OVERSIZED_BY
        others.remove(OVERSIZED_TEAM)
    rest = agents - sum(sizes)
    for order, index in enumerate(others):
        sizes[index] = rest // len(others) + (1 if order < rest % len(others) else 0)
    cap = max(ratio, max(sizes[index] for index in others))
    for _move in range(len(others)):  # jitter, keeping the other teams within the ratio
        giver, taker = rng.sample(others, 2)
        if sizes[giver] > 2 and sizes[taker] < cap:
            sizes[giver] -= 1
            sizes[taker] += 1
    return sizes


class Planner:
    def __init__(self, *, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today
        self.names = NameMaker(rng)
        self.phones: set[str] = set()
        self.people: list[Person] = []

    def days_ago(self, low: int, high: int) -> date:
        return self.today - timedelta(days=self.rng.randint(low, high))

    def phone(self) -> str:
        while True:
            number = "1" + self.rng.choice("3456789") + "".join(self.rng.choices("0123456789", k=9))
            if number not in self.phones:
                self.phones.add(number)
                return number

    def birthday(self, youngest: int, oldest: int) -> date:
        age_days = self.rng.randint(youngest * 365, oldest * 365 + 364)
        return self.today - timedelta(days=age_days)

    def person(
        self,
        key: str,
        *,
        department: int,
        team: int | None,
        steps: list[tuple[str, date]],
        ages: tuple[int, int],
        female: bool | None = None,
        **extra,
    ) -> Person:
        female = self.rng.random() < 0.7 if female is None else female
        person = Person(
            key=key,
            name=self.names.make(female=female),
            department=department,
            team=team,
            steps=steps,
            phone=self.phone(),
            birthday=self.birthday(*ages),
            **extra,
        )
        self.people.append(person)
        return person

    def career(self, hire: date, *path: tuple[str, int]) -> list[tuple[str, date]]:
        """Positions from the hire date on; each later step `days` after the previous one."""
        steps = [(path[0][0], hire)]
        for code, days in path[1:]:
            steps.append((code, min(steps[-1][1] + timedelta(days=days), self.today)))
        return steps

    def skills(self, *, years: int, vip: bool, senior: bool, probation: bool) -> dict[str, int]:
        def level() -> int:
            if probation:
                return 1
            return max(1, min(5, 1 + years + self.rng.choice([-1, 0, 0, 1]) + (1 if senior else 0)))

        held = {code: level() for code in self.rng.sample(QUEUE_SKILLS, self.rng.choice([1, 2, 2, 3]))}
        if (vip or senior) and not probation and self.rng.random() < 0.6:
            held["complaints"] = level()
        if self.rng.random() < (0.3 if vip else 0.1):
            held["english"] = max(2, level())
        if self.rng.random() < 0.4:
            held["online_chat"] = level()
        return held


def plan_centre(*, rng: random.Random, today: date, agents: int, ratio: int) -> list[Person]:
    """Everyone in the demo centre, decided by `rng` alone (same seed and day, same centre)."""
    plan = Planner(rng=rng, today=today)
    year = 365
    founded = today - timedelta(days=4 * year - 10)

    # Centre-wide staff sit in the first department; each department has a supervisor (its head).
    plan.person("chairman", department=0, team=None, steps=[("chairman", founded)], ages=(48, 60), female=False)
    plan.person("general_manager", department=0, team=None, steps=[("general_manager", founded)], ages=(42, 55))
    plan.person("director", department=0, team=None, steps=[("director", founded)], ages=(38, 50))
    plan.person(
        "manager",
        department=0,
        team=None,
        steps=plan.career(founded + timedelta(days=20), ("supervisor", 0), ("manager", 2 * year)),
        ages=(32, 45),
    )
    plan.person("hr", department=0, team=None, steps=[("hr_specialist", founded + timedelta(days=30))], ages=(28, 40))
    plan.person(
        "administrator",
        department=0,
        team=None,
        steps=[("administrator", founded + timedelta(days=30))],
        ages=(26, 38),
        female=False,
    )
    for index in range(len(DEPARTMENTS)):
        hire = founded + timedelta(days=rng.randint(30, 120))
        plan.person(
            f"supervisor:{index}",
            department=index,
            team=None,
            steps=plan.career(hire, ("team_leader", 0), ("supervisor", rng.randint(300, 500))),
            ages=(30, 42),
        )
    plan.person(
        "shift_lead",
        department=0,
        team=None,
        steps=plan.career(
            plan.days_ago(3 * year, 4 * year - 150), ("agent", 0), ("senior_agent", 400), ("shift_lead", 300)
        ),
        ages=(27, 38),
    )
    plan.person(
        "qa_inspector",
        department=0,
        team=None,
        steps=plan.career(plan.days_ago(2 * year, 3 * year), ("agent", 0), ("qa_inspector", 420)),
        ages=(25, 35),
    )
    plan.person(
        "trainer",
        department=0,
        team=None,
        steps=plan.career(
            plan.days_ago(3 * year, 4 * year - 150), ("agent", 0), ("senior_agent", 360), ("trainer", 360)
        ),
        ages=(27, 38),
    )

    team_index = 0
    for department, (_code, _name, teams) in enumerate(DEPARTMENTS):
        for _team in teams:
            hire = plan.days_ago(3 * year, 4 * year - 150)
            plan.person(
                f"team_leader:{team_index}",
                department=department,
                team=team_index,
                steps=plan.career(
                    hire, ("agent", 0), ("senior_agent", rng.randint(300, 420)), ("team_leader", rng.randint(300, 420))
                ),
                ages=(26, 38),
                star=rng.choice([4, 5]),
                star_since=hire + timedelta(days=rng.randint(500, 700)),
                skills=dict.fromkeys(rng.sample(QUEUE_SKILLS, 2), 5) | {"complaints": 5},
            )
            team_index += 1

    sizes = team_sizes(agents, ratio, rng)
    team_index = 0
    for department, (_code, _name, teams) in enumerate(DEPARTMENTS):
        for _team in teams:
            _plan_team(plan, department=department, team=team_index, size=sizes[team_index])
            team_index += 1

    leavers = max(2, round(agents * 0.03))
    for number in range(leavers):
        hire = plan.days_ago(year, 3 * year)
        tenure = (today - hire).days
        plan.person(
            f"left:{number}",
            department=number % len(DEPARTMENTS),
            team=rng.randrange(TEAM_COUNT // len(DEPARTMENTS)) + (number % len(DEPARTMENTS)) * 4,
            steps=[("agent", hire)],
            ages=(21, 32),
            status=Employee.Status.LEFT,
            left_on=hire + timedelta(days=rng.randint(120, tenure - 7)),
            skills={rng.choice(QUEUE_SKILLS): rng.randint(1, 3)},
        )
    _number(plan.people)
    return plan.people


def _plan_team(plan: Planner, *, department: int, team: int, size: int) -> None:
    rng, today, year = plan.rng, plan.today, 365
    vip = department == 1
    members: list[Person] = []
    probationers = max(1, round(size * 0.1)) if size >= 5 else 0
    for slot in range(size):
        key = f"agent:{team}:{slot}"
        if slot < probationers:
            hire = plan.days_ago(7, 85)  # probation: hired in the last three months
            person = plan.person(
                key,
                department=department,
                team=team,
                steps=[("agent", hire)],
                ages=(20, 26),
                status=Employee.Status.PROBATION,
                skills=plan.skills(years=0, vip=vip, senior=False, probation=True),
            )
            members.append(person)
            continue
        hire = plan.days_ago(100, 4 * year - 30)
        tenure = (today - hire).days
        steps = [("agent", hire)]
        senior = tenure >= 540 and rng.random() < 0.35
        if senior:
            steps.append(("senior_agent", hire + timedelta(days=rng.randint(365, min(tenure - 30, 720)))))
        star = star_since = None
        if tenure >= 180 and rng.random() < 0.6:
            star = max(1, min(5, 1 + tenure // year + rng.choice([-1, 0, 0, 1]) + (1 if senior else 0)))
            star_since = hire + timedelta(days=rng.randint(180, tenure))
        person = plan.person(
            key,
            department=department,
            team=team,
            steps=steps,
            ages=(21, 38),
            star=star,
            star_since=star_since,
            skills=plan.skills(years=tenure // year, vip=vip, senior=senior, probation=False),
        )
        members.append(person)
    # Mentors (导师) for probationers: a senior or three-star agent of the team, else its leader.
    mentors = [
        member.key
        for member in members
        if member.status == Employee.Status.REGULAR and (member.position == "senior_agent" or (member.star or 0) >= 3)
    ] or [f"team_leader:{team}"]
    for member in members:
        if member.status == Employee.Status.PROBATION:
            member.mentor = rng.choice(mentors)


def _number(people: list[Person]) -> None:
    """工号 in hiring order, as centres hand them out; leadership first."""
    leaders = [person for person in people if not person.key.startswith(("agent:", "left:"))]
    staff = sorted(
        (person for person in people if person.key.startswith(("agent:", "left:"))),
        key=lambda person: (person.hire_date, person.key),
    )
    for offset, person in enumerate([*leaders, *staff]):
        person.employee_no = str(FIRST_EMPLOYEE_NO + offset)


# --- writing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildResult:
    centre: Centre
    employees: int
    accounts: int


def _positions() -> dict[str, Position]:
    return {position.code: position for position in Position.objects.all()}


def _skills() -> dict[str, Skill]:
    for code, name, kind in SKILLS:
        Skill.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})
    return {skill.code: skill for skill in Skill.objects.filter(code__in=[row[0] for row in SKILLS])}


def _roles_of(person: Person) -> list[str]:
    from_position = ROLE_FOR_POSITION.get(person.position)
    return [from_position] if from_position else []


@transaction.atomic
def build_demo_centre(
    *,
    password: str | None,
    seed: int = DEFAULT_SEED,
    agents: int = DEFAULT_AGENTS,
    today: date | None = None,
) -> BuildResult | None:
    """Create the demo centre; None when it already exists (running twice changes nothing).

    `password` is set on every demo account (None: unusable passwords); callers get it from
    ``demo_password()``. All rows are written in this one transaction or none.
    """
    if Centre.objects.filter(code=DEMO_CENTRE_CODE).exists():
        return None
    today = today or datetime.now(ZoneInfo(DEMO_TIMEZONE)).date()
    with translation.override(settings.LANGUAGE_CODE):  # stored reasons in the centre's language
        return _build(password=password, seed=seed, agents=agents, today=today)


def _build(*, password: str | None, seed: int, agents: int, today: date) -> BuildResult:
    centre = Centre.objects.create(code=DEMO_CENTRE_CODE, name=DEMO_CENTRE_NAME, timezone=DEMO_TIMEZONE)
    ratio = policy("org.agents_per_team_leader", centre)
    people = plan_centre(
        rng=random.Random(seed),  # noqa: S311 - reproducible demo data, not secrets
        today=today,
        agents=agents,
        ratio=ratio,
    )
    positions = _positions()
    skills = _skills()
    stars = {title.rank: title for title in StarTitle.objects.all()}
    reason = _("Demo data")

    departments: list[Department] = []
    teams: list[Team] = []
    for code, name, team_names in DEPARTMENTS:
        department = Department.objects.create(centre=centre, code=code, name=name)
        departments.append(department)
        for number, team_name in enumerate(team_names, start=1):
            teams.append(Team.objects.create(department=department, code=f"{code}-{number}", name=team_name))

    accounts = _create_accounts(people, password=password)

    # Mentors first, so mentees' rows (and their history) carry the mentor from the start.
    by_key: dict[str, Employee] = {}
    for batch in ([p for p in people if p.mentor is None], [p for p in people if p.mentor is not None]):
        rows = [
            Employee(
                user_id=accounts[person.employee_no],
                centre=centre,
                department=departments[person.department],
                team=teams[person.team] if person.team is not None else None,
                employee_no=person.employee_no,
                name=person.name,
                position=positions[person.position],
                star_title=stars[person.star] if person.star else None,
                hire_date=person.hire_date,
                position_since=person.position_since,
                status=person.status,
                left_on=person.left_on,
                mentor=by_key[person.mentor] if person.mentor else None,
                phone=person.phone,
                email=f"{person.employee_no}@example.com",
                birthday=person.birthday,
            )
            for person in batch
        ]
        bulk_create_with_history(rows, Employee, batch_size=500, default_change_reason=reason)
        # Re-read: not every backend returns primary keys from a bulk insert.
        saved = {
            e.employee_no: e
            for e in Employee.objects.filter(centre=centre, employee_no__in=[r.employee_no for r in rows])
        }
        by_key.update({person.key: saved[person.employee_no] for person in batch})

    hired, promoted = _("Hired"), _("Promoted")
    changes = []
    for person in people:
        previous = None
        for number, (code, effective) in enumerate(person.steps):
            changes.append(
                PositionChange(
                    employee=by_key[person.key],
                    from_position=positions[previous] if previous else None,
                    to_position=positions[code],
                    effective_date=effective,
                    reason=hired if number == 0 else promoted,
                )
            )
            previous = code
    PositionChange.objects.bulk_create(changes, batch_size=1000)
    TitleChange.objects.bulk_create(
        [
            TitleChange(
                employee=by_key[person.key],
                to_title=stars[person.star],
                effective_date=person.star_since,
                reason=_("Star title awarded"),
            )
            for person in people
            if person.star
        ],
        batch_size=1000,
    )
    bulk_create_with_history(
        [EmployeeRole(employee=by_key[person.key], role=role) for person in people for role in _roles_of(person)],
        EmployeeRole,
        batch_size=1000,
        default_change_reason=reason,
    )
    EmployeeSkill.objects.bulk_create(
        [
            EmployeeSkill(employee=by_key[person.key], skill=skills[code], level=level)
            for person in people
            for code, level in person.skills.items()
        ],
        batch_size=1000,
    )
    _create_headcount(people, teams, positions, reason=reason, rng=random.Random(seed + 1))  # noqa: S311

    for index, team in enumerate(teams):
        team.leader = by_key[f"team_leader:{index}"]
        team._change_reason = reason
        team.save(update_fields=["leader"])
    for index, department in enumerate(departments):
        department.head = by_key[f"supervisor:{index}"]
        department._change_reason = reason
        department.save(update_fields=["head"])
    _let_administrator_use_admin(by_key["administrator"])
    return BuildResult(centre=centre, employees=len(people), accounts=len(accounts))


def _create_accounts(people: list[Person], *, password: str | None) -> dict[str, int]:
    """One log-in per employee, username = 工号. One hash for all: hashing is the slow part."""
    User = get_user_model()
    usernames = [person.employee_no for person in people]
    taken = sorted(User.objects.filter(username__in=usernames).values_list("username", flat=True))
    if taken:
        raise DemoError(
            _("The demo usernames %(names)s already exist; load the demo centre into an empty database.")
            % {"names": ", ".join(taken[:5])}
        )
    hashed = make_password(password) if password else None
    User.objects.bulk_create(
        [
            User(
                username=person.employee_no,
                first_name=person.name,
                email=f"{person.employee_no}@example.com",
                password=hashed or make_password(None),
                is_active=person.status != Employee.Status.LEFT,
                is_staff=person.key == "administrator",
            )
            for person in people
        ],
        batch_size=500,
    )
    return dict(User.objects.filter(username__in=usernames).values_list("username", "pk"))


def _create_headcount(
    people: list[Person], teams: list[Team], positions: dict[str, Position], *, reason: str, rng: random.Random
) -> None:
    """ORG-4: most teams have a vacancy or two; the oversized team is full."""
    filled: dict[tuple[int, str], int] = {}
    for person in people:
        if person.team is not None and person.status != Employee.Status.LEFT:
            filled[(person.team, person.position)] = filled.get((person.team, person.position), 0) + 1
    rows = []
    for index, team in enumerate(teams):
        agent_vacancies = 0 if index == OVERSIZED_TEAM else rng.choice([0, 1, 1, 2, 2])
        approved = {
            "team_leader": 1,
            "senior_agent": filled.get((index, "senior_agent"), 0) + rng.choice([0, 1]),
            "agent": filled.get((index, "agent"), 0) + agent_vacancies,
        }
        rows.extend(Headcount(team=team, position=positions[code], approved=n) for code, n in approved.items())
    bulk_create_with_history(rows, Headcount, batch_size=500, default_change_reason=reason)


def _let_administrator_use_admin(employee: Employee) -> None:
    """is_staff alone shows an empty admin; grant the model permissions of Banzu's own apps.

    Not the auth app's: changing users there could make anyone a superuser.
    """
    labels = [config.label for config in apps.get_app_configs() if config.name.startswith("banzu.")]
    employee.user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=labels))


# --- log-ins ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    role: str
    label: str
    username: str
    name: str
    password: str | None


def demo_logins(*, password: str | None) -> list[DemoLogin]:
    """One log-in per role (ORG-6), in the order of the role list; [] without a demo centre.

    `password` is shown only for accounts that have a usable password.
    """
    centre = Centre.objects.filter(code=DEMO_CENTRE_CODE).first()
    if centre is None:
        return []
    holders = (
        EmployeeRole.objects.filter(employee__centre=centre, employee__user__is_active=True)
        .exclude(employee__status=Employee.Status.LEFT)
        .select_related("employee__user")
        .order_by("employee__employee_no")
    )
    first: dict[str, Employee] = {}
    for row in holders:
        first.setdefault(row.role, row.employee)
    logins = []
    for role in Role:
        employee = first.get(role.value)
        if employee is None:
            continue
        usable = employee.user.has_usable_password()
        logins.append(
            DemoLogin(
                role=role.value,
                label=str(role.label),
                username=employee.user.username,
                name=employee.name,
                password=password if usable else None,
            )
        )
    return logins


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_logins(logins: Iterable[DemoLogin]) -> str:
    """A table for the terminal: role, username (工号), name, password; wide characters aligned."""
    not_set = _("(no password)")
    header = [_("Role"), _("Username"), _("Name"), _("Password")]
    rows = [[login.label, login.username, login.name, login.password or not_set] for login in logins]
    if not rows:
        return ""
    widths = [max(_width(row[column]) for row in [header, *rows]) for column in range(len(header))]
    lines = [
        "  ".join(_pad(cell, width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


# --- voice queues for the virtual switch (CT-1, CT-5) ----------------------------------------------

DEMO_QUEUES = [
    # code, name, department index, skill the queue needs, routing strategy, priority
    ("TAX", "办税咨询热线", 0, "tax_consulting", "longest_idle", 0),
    ("INV", "发票业务热线", 0, "invoicing", "skills_best_match", 0),
    ("SOC", "社保业务热线", 0, "social_insurance", "longest_idle", 0),
    ("VIP", "VIP专线", 1, "complaints", "customer_priority", 5),
]


@transaction.atomic
def ensure_demo_queues() -> list:
    """The demo centre's voice queues, each needing one skill at level 1; [] without a demo centre.

    Idempotent: a queue whose code exists is left as the administrator changed it.
    """
    from banzu.contact.models import Channel, Queue, QueueSkill

    centre = Centre.objects.filter(code=DEMO_CENTRE_CODE).first()
    channel = Channel.objects.filter(code="voice").first()
    if centre is None or channel is None:
        return []
    departments = list(Department.objects.filter(centre=centre).order_by("pk"))
    skills = _skills()
    queues = []
    for code, name, department, skill, strategy, priority in DEMO_QUEUES:
        queue, created = Queue.objects.get_or_create(
            centre=centre,
            code=code,
            defaults={
                "department": departments[min(department, len(departments) - 1)],
                "name": name,
                "channel": channel,
                "strategy": strategy,
                "priority": priority,
            },
        )
        if created:
            QueueSkill.objects.create(queue=queue, skill=skills[skill], min_level=1)
        queues.append(queue)
    from banzu.contact import ivr

    ivr.seed_demo_menu(centre=centre)  # CT-4: the menu callers walk before they queue
    ensure_demo_customers(centre)
    return queues


DEMO_CUSTOMERS = 40
DEMO_CUSTOMER_TAGS = ["老客户", "多次来电", "投诉过", "企业客户", "需回访"]
DEMO_COMPANIES = ["华信商贸有限公司", "东方建材有限公司", "蓝天物流有限公司", "新城餐饮管理有限公司"]


def ensure_demo_customers(centre: Centre) -> int:
    """CT-18: people and companies with one or two numbers, some VIP, some tagged; once per centre."""
    from banzu.contact.models import Customer, CustomerNumber

    if Customer.objects.filter(centre=centre).exists():
        return 0
    rng = random.Random(DEMO_CUSTOMERS)  # noqa: S311 - reproducible demo data, not secrets
    plan = Planner(rng=rng, today=date.today())
    names = [plan.names.make(female=rng.random() < 0.5) for _index in range(DEMO_CUSTOMERS - len(DEMO_COMPANIES))]
    reason = _("Demo data")
    for index, name in enumerate([*DEMO_COMPANIES, *names]):
        company = index < len(DEMO_COMPANIES)
        customer = Customer(
            centre=centre,
            kind=Customer.Kind.COMPANY if company else Customer.Kind.PERSON,
            name=name,
            vip_level=rng.choice([1, 2, 3]) if rng.random() < 0.2 else 0,
            tags=rng.sample(DEMO_CUSTOMER_TAGS, rng.choice([0, 0, 1, 2])),
        )
        numbers = [plan.phone()]
        if company or rng.random() < 0.3:
            landline = f"010{rng.randrange(10**8):08d}"
            if landline not in plan.phones:
                plan.phones.add(landline)
                numbers.append(landline)
        customer.phone = numbers[0]
        customer._change_reason = reason
        customer.save()
        for position, number in enumerate(numbers):
            CustomerNumber.objects.create(
                centre=centre,
                customer=customer,
                number=number,
                label=CustomerNumber.Label.MOBILE if position == 0 else CustomerNumber.Label.LANDLINE,
                primary=position == 0,
            )
    return DEMO_CUSTOMERS
