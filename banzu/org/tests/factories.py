"""Factories for the organisation; parents stay consistent (team and employee in one centre)."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth import get_user_model

from banzu.core.roles import Role
from banzu.org.models import Centre, Department, Employee, EmployeeRole, Position, Skill, Team


class CentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Centre
        django_get_or_create = ("code",)

    code = "HQ"
    name = "总部呼叫中心"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    centre = factory.SubFactory(CentreFactory)
    code = factory.Sequence(lambda n: f"D{n:02d}")
    name = factory.Sequence(lambda n: f"客服{n}部")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    department = factory.SubFactory(DepartmentFactory)
    code = factory.Sequence(lambda n: f"T{n:02d}")
    name = factory.Sequence(lambda n: f"第{n}班组")


def position(code: str) -> Position:
    return Position.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("pw-banzu-test")


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee
        skip_postgeneration_save = True

    team = factory.SubFactory(TeamFactory)
    department = factory.SelfAttribute("team.department")
    centre = factory.SelfAttribute("department.centre")
    employee_no = factory.Sequence(lambda n: f"{1000 + n}")
    name = factory.Sequence(lambda n: f"员工{n}")
    position = factory.LazyFunction(lambda: position("agent"))
    hire_date = datetime.date(2023, 3, 1)
    position_since = factory.SelfAttribute("hire_date")
    status = Employee.Status.REGULAR
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    email = factory.Sequence(lambda n: f"staff{n}@example.com")
    user = factory.SubFactory(UserFactory, username=factory.SelfAttribute("..employee_no"))

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if not create:
            return
        for role in extracted or [Role.AGENT]:
            EmployeeRole.objects.get_or_create(employee=self, role=role)


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"skill{n}")
    name = factory.Sequence(lambda n: f"技能{n}")
