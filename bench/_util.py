"""Shared pieces of the benchmarks: an isolated database, bulk data, percentiles, the RESULT line.

Every benchmark runs alone as ``python -m bench.<name>`` and calls :func:`setup_django` before it
imports any model. Without ``DATABASE_URL`` the run gets a fresh SQLite database in a temporary
directory (removed at exit), migrated from scratch, so timings never depend on a developer's data.

With ``DATABASE_URL`` set, that database is used and migrated as it is. Point it at a throwaway
database: each run adds its own centre (code ``B<pid>``) with thousands of employees and leaves them
there. Runs do not collide, since employee numbers are unique per centre and user names carry the
process id, but the tables grow with every run.
"""

from __future__ import annotations

import atexit
import math
import os
import random
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

FAMILY_NAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN_NAMES = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉斌波宇浩凯健俊帆帅旭宁欣怡佳琪晨雪梅"
SKILLS = [
    # code, name, kind
    ("hotline", "热线咨询", "queue"),
    ("complaint", "投诉受理", "queue"),
    ("vip", "VIP服务", "queue"),
    ("chat", "在线会话", "channel"),
    ("email", "邮件", "channel"),
    ("english", "英语坐席", "language"),
    ("cantonese", "粤语坐席", "language"),
    ("japanese", "日语坐席", "language"),
]


def setup_django(name: str) -> str:
    """Configure settings for a benchmark run and migrate; returns a label of the database used."""
    os.environ["BANZU_TESTING"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "banzu.settings")
    var_dir = tempfile.mkdtemp(prefix=f"banzu-bench-{name}-")
    atexit.register(shutil.rmtree, var_dir, True)
    os.environ["BANZU_VAR_DIR"] = var_dir
    if not os.environ.get("DATABASE_URL"):
        # An explicit path, so a BANZU_SQLITE_PATH from the developer's shell is never written to.
        os.environ["BANZU_SQLITE_PATH"] = os.path.join(var_dir, "bench.sqlite3")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    return connection.vendor


@dataclass
class BenchOrg:
    centre: Any
    departments: list[Any]
    teams: list[Any]
    skills: list[Any]
    hr: Any  # the Employee with the HR role
    hr_user: Any


def build_structure(*, departments: int = 4, teams_per_department: int = 10) -> BenchOrg:
    """A centre of its own for this process, with departments, teams, skills and an HR user."""
    from django.contrib.auth import get_user_model

    from banzu.core.roles import Role
    from banzu.org.models import Centre, Department, Employee, EmployeeRole, Position, Skill, Team

    pid = os.getpid()
    centre = Centre.objects.create(code=f"B{pid}", name=f"基准呼叫中心{pid}")
    depts = [
        Department.objects.create(centre=centre, code=f"D{d + 1}", name=f"客服{d + 1}部") for d in range(departments)
    ]
    teams = [
        Team.objects.create(department=dept, code=f"{dept.code}T{t + 1:02d}", name=f"{dept.name}第{t + 1}班组")
        for dept in depts
        for t in range(teams_per_department)
    ]
    skills = [
        Skill.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})[0] for code, name, kind in SKILLS
    ]
    user = get_user_model().objects.create_user(username=f"bench-{pid}-hr", password=None)
    hr = Employee.objects.create(
        user=user,
        centre=centre,
        department=depts[0],
        team=None,
        employee_no="HR0001",
        name="胡敏",
        position=Position.objects.get(code="agent"),
        hire_date=date(2020, 1, 1),
        position_since=date(2020, 1, 1),
        status=Employee.Status.REGULAR,
    )
    EmployeeRole.objects.create(employee=hr, role=Role.HR)
    return BenchOrg(centre=centre, departments=depts, teams=teams, skills=skills, hr=hr, hr_user=user)


@dataclass
class PersonData:
    """One generated roster line, independent of the database."""

    employee_no: str
    name: str
    department: str  # code
    team: str  # code
    position: str  # code
    star_title: str  # code or ""
    hire_date: date
    position_since: date
    status: str
    mentor: str
    phone: str
    email: str
    skills: list[tuple[str, int]]


def generate_people(count: int, org: BenchOrg, *, seed: int = 20240301, prefix: str = "E") -> list[PersonData]:
    """`count` plausible roster lines: mostly agents, one team leader per team, some mentors and skills."""
    rng = random.Random(seed)
    people: list[PersonData] = []
    leaders_done: set[str] = set()
    for n in range(count):
        team = org.teams[n % len(org.teams)]
        department = next(d for d in org.departments if d.pk == team.department_id)
        if team.code not in leaders_done:
            leaders_done.add(team.code)
            position = "team_leader"
        else:
            position = rng.choices(["agent", "senior_agent", "qa_inspector", "trainer"], [85, 10, 3, 2])[0]
        hire = date(2015, 1, 1) + timedelta(days=rng.randrange(0, 3300))
        since = hire + timedelta(days=rng.randrange(0, 400))
        number = f"{prefix}{n + 1:06d}"
        mentor = people[rng.randrange(0, n)].employee_no if n > 10 and rng.random() < 0.2 else ""
        picked = rng.sample(SKILLS, rng.randint(1, 3))
        people.append(
            PersonData(
                employee_no=number,
                name=rng.choice(FAMILY_NAMES) + "".join(rng.choices(GIVEN_NAMES, k=rng.randint(1, 2))),
                department=department.code,
                team=team.code,
                position=position,
                star_title=rng.choice(["", "star_1", "star_2", "star_3", "star_4", "star_5"]),
                hire_date=hire,
                position_since=since,
                status=rng.choices(["regular", "probation", "left"], [85, 12, 3])[0],
                mentor=mentor,
                phone=f"1{rng.choice('3589')}{n:09d}",
                email=f"{number.lower()}@example.com",
                skills=[(code, rng.randint(1, 5)) for code, _name, _kind in picked],
            )
        )
    return people


def insert_people(org: BenchOrg, people: list[PersonData]) -> int:
    """Write generated people straight to the tables (bulk inserts: set-up, not the thing measured)."""
    from banzu.org.models import Employee, EmployeeRole, EmployeeSkill, Position, Skill, StarTitle
    from banzu.org.services import ROLE_FOR_POSITION

    positions = {p.code: p for p in Position.objects.all()}
    titles = {t.code: t for t in StarTitle.objects.all()}
    departments = {d.code: d for d in org.departments}
    teams = {t.code: t for t in org.teams}
    skills = {s.code: s for s in Skill.objects.all()}
    Employee.objects.bulk_create(
        [
            Employee(
                centre=org.centre,
                department=departments[p.department],
                team=teams[p.team],
                employee_no=p.employee_no,
                name=p.name,
                position=positions[p.position],
                star_title=titles.get(p.star_title),
                hire_date=p.hire_date,
                position_since=p.position_since,
                status=p.status,
                phone=p.phone,
                email=p.email,
            )
            for p in people
        ],
        batch_size=1000,
    )
    ids = dict(Employee.objects.filter(centre=org.centre).values_list("employee_no", "pk"))
    mentored = [Employee(pk=ids[p.employee_no], mentor_id=ids[p.mentor]) for p in people if p.mentor]
    Employee.objects.bulk_update(mentored, ["mentor"], batch_size=500)
    EmployeeRole.objects.bulk_create(
        [EmployeeRole(employee_id=ids[p.employee_no], role=ROLE_FOR_POSITION[p.position]) for p in people],
        batch_size=1000,
    )
    EmployeeSkill.objects.bulk_create(
        [
            EmployeeSkill(employee_id=ids[p.employee_no], skill=skills[code], level=level)
            for p in people
            for code, level in p.skills
        ],
        batch_size=1000,
    )
    return len(people)


def roster_rows(people: list[PersonData]) -> list[list[Any]]:
    """Generated people as rows in the roster file's column order (org.roster.COLUMNS)."""
    return [
        [
            p.employee_no,
            p.name,
            p.department,
            p.team,
            p.position,
            p.star_title,
            p.hire_date,
            p.position_since,
            p.status,
            p.mentor,
            p.phone,
            p.email,
            ";".join(f"{code}:{level}" for code, level in p.skills),
        ]
        for p in people
    ]


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile with linear interpolation between closest ranks (as numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * pct / 100
    low = math.floor(position)
    high = math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def print_result(*, name: str, value: float, unit: str, peer: str, ratio: float, **extra: Any) -> None:
    """The benchmark's last line: ``RESULT name=… value=… unit=… peer=… ratio=…`` plus extra pairs."""
    pairs = {"name": name, "value": value, "unit": unit, "peer": peer, "ratio": ratio, **extra}
    text = " ".join(f"{key}={_number(val) if isinstance(val, float | int) else val}" for key, val in pairs.items())
    if any(" " in str(val) for val in pairs.values()):
        raise ValueError("RESULT values cannot contain spaces")
    sys.stdout.flush()
    print(f"RESULT {text}", flush=True)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux ``/proc``; 0 elsewhere).

    CPU time, unlike latency, hardly depends on what else the machine runs, so the cost of a
    request measured this way holds on a busy machine too.
    """
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the command name: state is field 3, utime and stime are fields 14 and 15 (1-based).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def servers_cpu_seconds(servers: list[Any]) -> float:
    """CPU seconds used so far by app servers (``banzu.contact.tests.servers.AppServer``)."""
    return sum(cpu_seconds(server.process.pid) for server in servers)
