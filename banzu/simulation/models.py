"""Simulation runs (CT-20, WFM-3): a what-if scenario, its progress and its per-interval result.

Writes go through ``simulation.services`` and ``simulation.tasks``. No history table: a run is never
edited by a person, only created and then filled in by its task, and each row already records who
asked for what and when.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from banzu.org.models import Centre, Employee


class SimulationRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    centre = models.ForeignKey(
        Centre, on_delete=models.CASCADE, related_name="simulation_runs", verbose_name=_("centre")
    )
    created_by = models.ForeignKey(
        Employee,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="simulation_runs",
        verbose_name=_("created by"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(_("progress"), default=0.0)
    seed = models.BigIntegerField(_("seed"), default=0)
    config = models.JSONField(_("input"), default=dict)
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True, default="")
    created_at = models.DateTimeField(_("created at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("simulation run")
        verbose_name_plural = _("simulation runs")
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0) & Q(progress__lte=1), name="simulation_run_progress_is_a_fraction"
            ),
        ]
        indexes = [models.Index(fields=["centre", "-created_at"], name="simulation_run_centre_recent")]

    def __str__(self) -> str:
        return f"{self.pk} ({self.status})"
