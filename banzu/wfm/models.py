"""Planning data of workforce management (WFM-1 … WFM-3).

A published forecast is kept as a snapshot whose interval rows never change, so that its accuracy
is measured later against what was actually planned. Staffing requirements are derived from a
snapshot for one target and shrinkage; what-if scenarios keep a planner's inputs and results.
Writes go through ``wfm.services``; models hold data and constraints only.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from banzu.contact.models import Queue
from banzu.org.models import Centre, Employee


class TargetKind(models.TextChoices):
    SERVICE_LEVEL = "service_level", _("Service level")
    ASA = "asa", _("Average speed of answer")


class ForecastSnapshot(models.Model):
    """WFM-1: one forecast of one queue, per interval, over a horizon; published snapshots are frozen."""

    class Method(models.TextChoices):
        STATISTICAL = "statistical", _("Statistical (seasonal profiles, calendar, trend)")
        MANUAL = "manual", _("Entered by hand")

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="forecasts", verbose_name=_("centre"))
    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="forecasts", verbose_name=_("queue"))
    interval_minutes = models.PositiveSmallIntegerField(_("interval length (minutes)"))
    horizon_start = models.DateField(_("first day"))
    horizon_days = models.PositiveSmallIntegerField(_("days"))
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    created_by = models.ForeignKey(
        Employee, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"))
    published_by = models.ForeignKey(
        Employee, on_delete=models.PROTECT, related_name="+", verbose_name=_("published by"), null=True, blank=True
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("forecast")
        verbose_name_plural = _("forecasts")
        constraints = [
            models.CheckConstraint(
                condition=Q(published_at__isnull=True, published_by__isnull=True) | Q(published_at__isnull=False),
                name="forecast_published_by_only_when_published",
            ),
            models.CheckConstraint(condition=Q(horizon_days__gte=1), name="forecast_horizon_at_least_one_day"),
        ]

    def __str__(self) -> str:
        return f"{self.queue} {self.horizon_start}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class ForecastInterval(models.Model):
    """One interval of a snapshot: expected contacts and average handle time. Never updated."""

    snapshot = models.ForeignKey(
        ForecastSnapshot, on_delete=models.CASCADE, related_name="intervals", verbose_name=_("forecast")
    )
    starts_at = models.DateTimeField(_("interval start"))
    volume = models.FloatField(_("contacts"))
    aht_seconds = models.FloatField(_("average handle time (seconds)"))

    class Meta:
        ordering = ["snapshot", "starts_at"]
        verbose_name = _("forecast interval")
        verbose_name_plural = _("forecast intervals")
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "starts_at"], name="forecast_interval_unique_start"),
            models.CheckConstraint(condition=Q(volume__gte=0), name="forecast_interval_volume_not_negative"),
            models.CheckConstraint(condition=Q(aht_seconds__gt=0), name="forecast_interval_aht_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} {self.volume:.1f}"


class StaffingRequirement(models.Model):
    """WFM-2: agents needed in one interval of a snapshot for one target and shrinkage.

    ``target_percent`` is 0 for an ASA target and ``patience_seconds`` 0 for Erlang C (no
    abandonment), so that the parameters form one unique key without nullable columns.
    """

    snapshot = models.ForeignKey(
        ForecastSnapshot, on_delete=models.CASCADE, related_name="requirements", verbose_name=_("forecast")
    )
    starts_at = models.DateTimeField(_("interval start"))
    target_kind = models.CharField(_("target"), max_length=20, choices=TargetKind.choices)
    target_percent = models.PositiveSmallIntegerField(_("service level target (%)"), default=0)
    target_seconds = models.PositiveIntegerField(_("target (seconds)"))
    shrinkage_percent = models.FloatField(_("shrinkage (%)"))
    patience_seconds = models.FloatField(_("average patience (seconds)"), default=0)
    load_erlangs = models.FloatField(_("offered load (Erlangs)"))
    required_agents = models.PositiveIntegerField(_("agents needed"))
    scheduled_agents = models.PositiveIntegerField(_("agents to schedule"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["snapshot", "starts_at"]
        verbose_name = _("staffing requirement")
        verbose_name_plural = _("staffing requirements")
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "snapshot",
                    "target_kind",
                    "target_percent",
                    "target_seconds",
                    "shrinkage_percent",
                    "patience_seconds",
                    "starts_at",
                ],
                name="staffing_requirement_unique_per_basis",
            ),
            models.CheckConstraint(
                condition=Q(scheduled_agents__gte=models.F("required_agents")),
                name="staffing_scheduled_covers_required",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} {self.required_agents}"


class WhatIfScenario(models.Model):
    """WFM-3: a saved what-if: the planner's inputs, the staffing result and the latest simulation."""

    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, related_name="what_if_scenarios", verbose_name=_("centre")
    )
    owner = models.ForeignKey(
        Employee, on_delete=models.PROTECT, related_name="what_if_scenarios", verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=100)
    snapshot = models.ForeignKey(
        ForecastSnapshot,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="scenarios",
        verbose_name=_("forecast"),
    )
    inputs = models.JSONField(_("inputs"), default=dict)
    results = models.JSONField(_("results"), default=dict, blank=True)
    # The simulation app's run; an id rather than a key so that a run can be purged on its own.
    simulation_run_id = models.PositiveBigIntegerField(_("simulation run"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    history = HistoricalRecords()

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("what-if scenario")
        verbose_name_plural = _("what-if scenarios")
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="what_if_scenario_name_unique_per_owner"),
        ]

    def __str__(self) -> str:
        return self.name
