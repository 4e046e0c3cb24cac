"""API of the simulation app under /api/v1/: start what-if runs and follow them (CT-20, WFM-3).

``POST /api/v1/simulation-runs/`` with ``{"config": {...}}`` (see ``simulation.services``) answers
201 with the queued run; a worker runs it. ``GET`` list and detail show status, progress and, when
done, the per-interval result. The list leaves the (large) input and result out.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from banzu.core import scoping
from banzu.core.drf import ScopedViewSetMixin
from banzu.core.errors import invalid
from banzu.org.models import Centre
from banzu.simulation import selectors, services
from banzu.simulation.models import SimulationRun


class RunListSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    created_by_name = serializers.CharField(source="created_by.name", read_only=True, default=None)

    class Meta:
        model = SimulationRun
        fields = [
            "id",
            "status",
            "status_label",
            "progress",
            "seed",
            "created_by",
            "created_by_name",
            "created_at",
            "started_at",
            "finished_at",
            "error",
        ]


class RunDetailSerializer(RunListSerializer):
    class Meta(RunListSerializer.Meta):
        fields = [*RunListSerializer.Meta.fields, "config", "result"]


class RunInputSerializer(serializers.Serializer):
    config = serializers.JSONField(
        help_text=_lazy(
            "The scenario. Queues and demand either from a forecast: queues [{code, skill_ids, "
            "service_level_percent, service_level_seconds, priority, strategy}] and intervals [{start, queue, "
            "volume, aht_seconds, patience_seconds}]; or replayed from history: replay {queue_ids: [queue id], "
            "start, end} (ISO date-times, at most simulation.max_replay_days apart; queues within the caller's "
            "scope; the contacts queued in them in [start, end) arrive as recorded). Agents either as agents "
            "[{id, skills: {skill id: level}, shifts: [[start, end]]}] or as staffing [{start, agents}]. "
            "Optional: seed, interval_minutes. Bad input answers 400 naming the field, e.g. replay.queue_ids[0]."
        ),
    )


class SimulationRunViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Simulation runs of the user's scope, newest first."""

    scope_action = "simulation.view"
    write_actions = {"create": "simulation.run"}

    def base_queryset(self):
        return SimulationRun.objects.all()

    def get_queryset(self):
        return selectors.runs_visible_to(self.request.user)

    def get_serializer_class(self):
        if self.action == "create":
            return RunInputSerializer
        return RunListSerializer if self.action == "list" else RunDetailSerializer

    def create(self, request):
        data = RunInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        centre_id = scoping.actor_for(request.user).centre_id
        if centre_id is None:
            raise invalid("centre", _("Only an employee of a centre can start a simulation."), code="no_centre")
        run = services.start_run(
            user=request.user,
            centre=Centre.objects.get(pk=centre_id),
            config=data.validated_data["config"],
            now=timezone.now(),
        )
        run = selectors.run_for(request.user, run.pk)
        return Response(RunDetailSerializer(run).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    """Add this app's viewsets to the project router."""
    router.register("simulation-runs", SimulationRunViewSet, basename="simulation-run")
