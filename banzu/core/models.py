from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class CalendarYear(models.Model):
    """A year the working-day calendar covers (ORG-10). Days of other years are an error."""

    class Source(models.TextChoices):
        PACKAGE = "package", _("Official calendar package")
        ADMINISTRATOR = "administrator", _("Entered by an administrator")

    year = models.PositiveSmallIntegerField(_("year"), primary_key=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    published = models.BooleanField(
        _("published"),
        default=True,
        help_text=_("Only published years are used for deadlines; draft years are still being entered."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["year"]
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """One day of the official calendar: working or not, and why (weekend, holiday, 调休)."""

    class Kind(models.TextChoices):
        WORKDAY = "workday", _("Working day")
        WEEKEND = "weekend", _("Weekend")
        HOLIDAY = "holiday", _("Statutory holiday")
        ADJUSTED_WORKDAY = "adjusted_workday", _("Adjusted working day")

    date = models.DateField(_("date"), primary_key=True)
    year = models.ForeignKey(CalendarYear, on_delete=models.CASCADE, related_name="days", verbose_name=_("year"))
    is_working_day = models.BooleanField(_("working day"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=60, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(is_working_day=True, kind__in=["workday", "adjusted_workday"])
                    | models.Q(is_working_day=False, kind__in=["weekend", "holiday"])
                ),
                name="calendar_day_kind_matches_working",
            )
        ]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.get_kind_display()}"


class PolicyValue(models.Model):
    """A centre's value for a declared policy key (core.policies). Absent = the seed default."""

    centre = models.ForeignKey(
        "org.Centre", on_delete=models.CASCADE, related_name="policy_values", verbose_name=_("centre")
    )
    key = models.CharField(_("key"), max_length=100)
    value = models.JSONField(_("value"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["key"]
        verbose_name = _("policy value")
        verbose_name_plural = _("policy values")
        constraints = [models.UniqueConstraint(fields=["centre", "key"], name="one_value_per_policy_and_centre")]

    def __str__(self) -> str:
        return f"{self.key} = {self.value}"
