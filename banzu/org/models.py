"""Organisation and roster (ORG-1 … ORG-6)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from banzu.core.roles import Role


class Centre(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("centre")
        verbose_name_plural = _("centres")

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="departments", verbose_name=_("centre"))
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    head = models.ForeignKey(
        "Employee",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="departments_headed",
        verbose_name=_("head"),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["centre", "code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [models.UniqueConstraint(fields=["centre", "code"], name="department_code_unique_in_centre")]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="teams", verbose_name=_("department")
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    leader = models.ForeignKey(
        "Employee",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teams_led",
        verbose_name=_("team leader"),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["department", "code"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [models.UniqueConstraint(fields=["department", "code"], name="team_code_unique_in_department")]

    def __str__(self) -> str:
        return self.name


class Position(models.Model):
    """A rung of the position ladder (ORG-3) or a side post (QA inspector, trainer, …)."""

    class Track(models.TextChoices):
        LADDER = "ladder", _("Career ladder")
        SIDE = "side", _("Side post")

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=50)
    track = models.CharField(_("track"), max_length=10, choices=Track.choices, default=Track.LADDER)
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("Higher is more senior on the ladder."))

    class Meta:
        ordering = ["track", "rank"]
        verbose_name = _("position")
        verbose_name_plural = _("positions")

    def __str__(self) -> str:
        return self.name


class StarTitle(models.Model):
    """一星客服 … 五星客服: a ladder separate from positions (ORG-3)."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=50)
    rank = models.PositiveSmallIntegerField(_("rank"), unique=True)

    class Meta:
        ordering = ["rank"]
        verbose_name = _("star title")
        verbose_name_plural = _("star titles")

    def __str__(self) -> str:
        return self.name


class Skill(models.Model):
    class Kind(models.TextChoices):
        QUEUE = "queue", _("Queue or business line")
        CHANNEL = "channel", _("Channel")
        LANGUAGE = "language", _("Language")

    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=50)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.QUEUE)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")

    def __str__(self) -> str:
        return self.name


class Employee(models.Model):
    class Status(models.TextChoices):
        PROBATION = "probation", _("Probation")
        REGULAR = "regular", _("Regular")
        LEFT = "left", _("Left")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="employee",
        verbose_name=_("user account"),
    )
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="employees", verbose_name=_("centre"))
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="employees", verbose_name=_("department")
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="members", verbose_name=_("team")
    )
    employee_no = models.CharField(_("employee number"), max_length=20)
    name = models.CharField(_("name"), max_length=50)
    position = models.ForeignKey(
        Position, on_delete=models.PROTECT, related_name="employees", verbose_name=_("position")
    )
    star_title = models.ForeignKey(
        StarTitle,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="employees",
        verbose_name=_("star title"),
    )
    hire_date = models.DateField(_("hire date"))
    position_since = models.DateField(_("date in position"))
    status = models.CharField(_("employment status"), max_length=10, choices=Status.choices, default=Status.PROBATION)
    left_on = models.DateField(_("leaving date"), null=True, blank=True)
    mentor = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="mentees", verbose_name=_("mentor")
    )
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["employee_no"]
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        constraints = [
            models.UniqueConstraint(fields=["centre", "employee_no"], name="employee_no_unique_in_centre"),
            models.CheckConstraint(
                condition=models.Q(position_since__gte=models.F("hire_date")),
                name="position_since_not_before_hire",
            ),
        ]
        indexes = [models.Index(fields=["centre", "status"]), models.Index(fields=["name"])]

    def __str__(self) -> str:
        return f"{self.employee_no} {self.name}"


class EmployeeRole(models.Model):
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="roles", verbose_name=_("employee"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    history = HistoricalRecords()

    class Meta:
        ordering = ["employee", "role"]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [models.UniqueConstraint(fields=["employee", "role"], name="role_once_per_employee")]

    def __str__(self) -> str:
        return f"{self.employee} · {self.get_role_display()}"


class EmployeeSkill(models.Model):
    employee = models.ForeignKey(Employee, on_delete=models.CASCADE, related_name="skills", verbose_name=_("employee"))
    skill = models.ForeignKey(Skill, on_delete=models.PROTECT, related_name="holders", verbose_name=_("skill"))
    level = models.PositiveSmallIntegerField(
        _("skill level"), validators=[MinValueValidator(1), MaxValueValidator(5)], default=1
    )
    history = HistoricalRecords()  # who gave whom which skill level, and when (CT-5)

    class Meta:
        ordering = ["employee", "skill"]
        verbose_name = _("employee skill")
        verbose_name_plural = _("employee skills")
        constraints = [
            models.UniqueConstraint(fields=["employee", "skill"], name="skill_once_per_employee"),
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=5), name="skill_level_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.employee} · {self.skill} {self.level}"


class PositionChange(models.Model):
    """ORG-3: who moved from which position to which, when and why."""

    employee = models.ForeignKey(
        Employee, on_delete=models.CASCADE, related_name="position_changes", verbose_name=_("employee")
    )
    from_position = models.ForeignKey(
        Position, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("from")
    )
    to_position = models.ForeignKey(Position, on_delete=models.PROTECT, related_name="+", verbose_name=_("to"))
    effective_date = models.DateField(_("effective date"))
    reason = models.CharField(_("reason"), max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-effective_date", "-recorded_at"]
        verbose_name = _("position change")
        verbose_name_plural = _("position changes")

    def __str__(self) -> str:
        return f"{self.employee} → {self.to_position} ({self.effective_date})"


class TitleChange(models.Model):
    """ORG-3: star-title history."""

    employee = models.ForeignKey(
        Employee, on_delete=models.CASCADE, related_name="title_changes", verbose_name=_("employee")
    )
    from_title = models.ForeignKey(
        StarTitle, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("from")
    )
    to_title = models.ForeignKey(
        StarTitle, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("to")
    )
    effective_date = models.DateField(_("effective date"))
    reason = models.CharField(_("reason"), max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-effective_date", "-recorded_at"]
        verbose_name = _("star title change")
        verbose_name_plural = _("star title changes")

    def __str__(self) -> str:
        return f"{self.employee} → {self.to_title or '-'} ({self.effective_date})"


class Headcount(models.Model):
    """ORG-4: approved positions (编制) per team and position."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="headcounts", verbose_name=_("team"))
    position = models.ForeignKey(
        Position, on_delete=models.PROTECT, related_name="headcounts", verbose_name=_("position")
    )
    approved = models.PositiveSmallIntegerField(_("approved headcount"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["team", "position"]
        verbose_name = _("headcount")
        verbose_name_plural = _("headcounts")
        constraints = [models.UniqueConstraint(fields=["team", "position"], name="headcount_once_per_team_position")]

    def __str__(self) -> str:
        return f"{self.team} · {self.position}: {self.approved}"
