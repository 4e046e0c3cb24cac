"""API of the wfm app under /api/v1/wfm/: forecasts with their intervals, accuracy and staffing
requirements (WFM-1, WFM-2), ad-hoc staffing and what-if scenarios (WFM-3). Reads go through the
selectors (scoped); writes call the services. Input and output serializers are separate."""

from __future__ import annotations

from collections.abc import Mapping

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from banzu.core.drf import ScopedViewSetMixin
from banzu.wfm import rules, selectors, services
from banzu.wfm.models import ForecastSnapshot, WhatIfScenario

# --- output ----------------------------------------------------------------------------------------------


class AccuracySerializer(serializers.Serializer):
    intervals = serializers.IntegerField()
    forecast_total = serializers.FloatField()
    actual_total = serializers.FloatField()
    mape = serializers.FloatField(allow_null=True)
    wape = serializers.FloatField(allow_null=True)


class IntervalSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    volume = serializers.FloatField()
    aht_seconds = serializers.FloatField()


class StaffingRowSerializer(serializers.Serializer):
    start = serializers.CharField()
    volume = serializers.FloatField()
    aht_seconds = serializers.FloatField()
    load = serializers.FloatField()
    required = serializers.IntegerField()
    scheduled = serializers.IntegerField()
    service_level = serializers.FloatField()
    asa_seconds = serializers.FloatField(allow_null=True)
    occupancy = serializers.FloatField()
    rostered = serializers.IntegerField(allow_null=True)
    available = serializers.IntegerField(allow_null=True)
    gap = serializers.IntegerField(allow_null=True)
    rostered_service_level = serializers.FloatField(allow_null=True)


class ForecastListSerializer(serializers.ModelSerializer):
    queue_code = serializers.CharField(source="queue.code", read_only=True)
    queue_name = serializers.CharField(source="queue.name", read_only=True)
    method_label = serializers.CharField(source="get_method_display", read_only=True)
    created_by_name = serializers.CharField(source="created_by.name", read_only=True, default=None)
    published_by_name = serializers.CharField(source="published_by.name", read_only=True, default=None)
    is_published = serializers.BooleanField(read_only=True)
    total_volume = serializers.FloatField(read_only=True, default=None)

    class Meta:
        model = ForecastSnapshot
        fields = [
            "id",
            "queue",
            "queue_code",
            "queue_name",
            "interval_minutes",
            "horizon_start",
            "horizon_days",
            "method",
            "method_label",
            "created_at",
            "created_by",
            "created_by_name",
            "published_at",
            "published_by",
            "published_by_name",
            "is_published",
            "total_volume",
        ]


class ForecastDetailSerializer(ForecastListSerializer):
    intervals = serializers.SerializerMethodField()
    accuracy = serializers.SerializerMethodField()

    class Meta(ForecastListSerializer.Meta):
        fields = [*ForecastListSerializer.Meta.fields, "parameters", "intervals", "accuracy"]

    @extend_schema_field(IntervalSerializer(many=True))
    def get_intervals(self, obj) -> list[dict]:
        return [
            {"start": item.start.isoformat(), "volume": item.volume, "aht_seconds": item.aht_seconds}
            for item in selectors.intervals_of(obj)
        ]

    @extend_schema_field(AccuracySerializer)
    def get_accuracy(self, obj) -> dict:
        return vars(selectors.snapshot_accuracy(obj, now=self.context.get("now") or timezone.now()))


class ScenarioSerializer(serializers.ModelSerializer):
    owner_name = serializers.CharField(source="owner.name", read_only=True)

    class Meta:
        model = WhatIfScenario
        fields = [
            "id",
            "name",
            "owner",
            "owner_name",
            "snapshot",
            "inputs",
            "results",
            "simulation_run_id",
            "created_at",
            "updated_at",
        ]


StaffingResponse = inline_serializer(
    "StaffingResponse",
    {
        "basis": serializers.DictField(),
        "stored": serializers.BooleanField(),
        "intervals": StaffingRowSerializer(many=True),
    },
)


# --- input -----------------------------------------------------------------------------------------------


class ForecastCreateInput(serializers.Serializer):
    queue = serializers.IntegerField(label=_("Queue"))
    interval_minutes = serializers.IntegerField(label=_("Interval length (minutes)"))
    horizon_start = serializers.DateField(label=_("First day"))
    horizon_days = serializers.IntegerField(label=_("Days"))
    aht_seconds = serializers.FloatField(label=_("Average handle time (seconds)"), required=False, allow_null=True)
    overrides = serializers.ListField(
        label=_("Overrides"), child=serializers.DictField(), required=False, allow_null=True
    )
    intervals = serializers.ListField(
        label=_("Intervals"), child=serializers.DictField(), required=False, allow_null=True
    )


class ScenarioInput(serializers.Serializer):
    name = serializers.CharField(label=_("Name"), allow_blank=True, max_length=200)
    inputs = serializers.DictField(label=_("Inputs"))


BASIS_PARAMETERS = [
    OpenApiParameter("target_kind", str, enum=[rules.SERVICE_LEVEL, rules.ASA]),
    OpenApiParameter("service_level_percent", OpenApiTypes.FLOAT),
    OpenApiParameter("service_level_seconds", OpenApiTypes.FLOAT),
    OpenApiParameter("asa_seconds", OpenApiTypes.FLOAT),
    OpenApiParameter("shrinkage_percent", OpenApiTypes.FLOAT),
    OpenApiParameter("patience_seconds", OpenApiTypes.FLOAT),
]


def _basis(target: rules.Target, shrinkage: float, patience: float | None) -> dict:
    return {
        "target_kind": target.kind,
        "service_level_percent": target.percent if target.kind == rules.SERVICE_LEVEL else None,
        "service_level_seconds": target.seconds if target.kind == rules.SERVICE_LEVEL else None,
        "asa_seconds": target.seconds if target.kind == rules.ASA else None,
        "shrinkage_percent": shrinkage,
        "patience_seconds": patience,
        "model": "erlang_a" if patience is not None and target.kind == rules.SERVICE_LEVEL else "erlang_c",
    }


# --- views -----------------------------------------------------------------------------------------------


class ForecastViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Forecast snapshots (WFM-1): drafts and published forecasts, their intervals and accuracy."""

    scope_action = "wfm.view_forecasts"
    write_actions = {
        "create": "wfm.plan",
        "destroy": "wfm.plan",
        "publish": "wfm.plan",
        "store_requirements": "wfm.plan",
    }
    filterset_fields = ["queue", "interval_minutes"]
    ordering_fields = ["created_at", "horizon_start", "published_at"]
    search_fields: list = []

    def base_queryset(self):
        return ForecastSnapshot.objects.all()

    def get_queryset(self):
        action_name = self.write_actions.get(self.action, self.scope_action)
        qs = selectors.forecasts_visible_to(self.request.user, action_name)
        if self.action == "list":
            qs = qs.annotate(total_volume=Sum("intervals__volume")).order_by("-created_at", "-pk")
            published = self.request.query_params.get("published")
            if published in {"true", "1"}:
                qs = qs.filter(published_at__isnull=False)
            elif published in {"false", "0"}:
                qs = qs.filter(published_at__isnull=True)
        return qs

    def get_serializer_class(self):
        return ForecastListSerializer if self.action == "list" else ForecastDetailSerializer

    @extend_schema(
        parameters=[OpenApiParameter("published", bool)],
        responses=ForecastListSerializer(many=True),
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ForecastCreateInput, responses={201: ForecastDetailSerializer})
    def create(self, request):
        data = ForecastCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        snapshot = services.create_forecast(
            user=request.user,
            queue_id=values["queue"],
            interval_minutes=values["interval_minutes"],
            horizon_start=values["horizon_start"],
            horizon_days=values["horizon_days"],
            aht_seconds=values.get("aht_seconds"),
            overrides=values.get("overrides"),
            intervals=values.get("intervals"),
            now=timezone.now(),
        )
        body = ForecastDetailSerializer(snapshot, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        self.get_object()  # 404 out of scope before anything else
        services.delete_forecast(user=request.user, snapshot_id=int(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=ForecastDetailSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        snapshot = self.get_object()
        snapshot = services.publish_forecast(user=request.user, snapshot_id=snapshot.pk, now=timezone.now())
        return Response(ForecastDetailSerializer(snapshot, context=self.get_serializer_context()).data)

    @extend_schema(responses=AccuracySerializer)
    @action(detail=True, methods=["get"])
    def accuracy(self, request, pk=None):
        snapshot = self.get_object()
        return Response(vars(selectors.snapshot_accuracy(snapshot, now=timezone.now())))

    @extend_schema(parameters=BASIS_PARAMETERS, responses=StaffingResponse)
    @action(detail=True, methods=["get"])
    def requirements(self, request, pk=None):
        """WFM-2: agents needed per interval for a target and shrinkage (stored rows when computed before)."""
        snapshot = self.get_object()
        target, shrinkage, patience = services.requirement_basis(
            user=request.user, snapshot=snapshot, data=request.query_params
        )
        stored = bool(selectors.stored_requirements(snapshot, target, shrinkage, patience))
        # Computed either way: a snapshot never changes, so the stored rows hold the same numbers.
        rows = rules.staffing_rows(services.requirements_for(snapshot, target, shrinkage, patience))
        return Response({"basis": _basis(target, shrinkage, patience), "stored": stored, "intervals": rows})

    @extend_schema(request=inline_serializer("RequirementBasis", {}), responses=StaffingResponse)
    @requirements.mapping.post
    def store_requirements(self, request, pk=None):
        snapshot = self.get_object()
        services.compute_requirements(user=request.user, snapshot_id=snapshot.pk, data=request.data, now=timezone.now())
        target, shrinkage, patience = services.requirement_basis(
            user=request.user, snapshot=snapshot, data=request.data
        )
        rows = rules.staffing_rows(services.requirements_for(snapshot, target, shrinkage, patience))
        return Response(
            {"basis": _basis(target, shrinkage, patience), "stored": True, "intervals": rows},
            status=status.HTTP_201_CREATED,
        )


class StaffingViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """WFM-2, WFM-3: agents needed per interval for ad-hoc inputs (a forecast and/or intervals)."""

    scope_action = "wfm.plan"
    write_actions = {"create": "wfm.plan"}
    pagination_class = None
    filter_backends: list = []

    def base_queryset(self):
        return ForecastSnapshot.objects.all()

    @extend_schema(request=inline_serializer("WhatIfInputs", {}), responses=StaffingResponse)
    def create(self, request):
        evaluated = services.evaluate_what_if(user=request.user, inputs=request.data)
        body = {
            "basis": _basis(evaluated.target, evaluated.shrinkage_percent, evaluated.patience_seconds),
            "stored": False,
            "intervals": rules.staffing_rows(evaluated.staffing),
        }
        return Response(body)


class ScenarioViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Saved what-if scenarios (WFM-3) and their simulation runs (CT-20)."""

    serializer_class = ScenarioSerializer
    scope_action = "wfm.plan"
    write_actions = {
        "create": "wfm.plan",
        "update": "wfm.plan",
        "partial_update": "wfm.plan",
        "destroy": "wfm.plan",
        "run": "wfm.plan",
    }
    filterset_fields = ["snapshot"]
    ordering_fields = ["updated_at", "name"]
    search_fields = ["name"]

    def base_queryset(self):
        return WhatIfScenario.objects.all()

    def get_queryset(self):
        return selectors.scenarios_visible_to(self.request.user)

    def _save(self, request, current=None, partial=False):
        data = request.data
        if partial and current is not None and isinstance(data, Mapping):
            data = dict(data)
            data.setdefault("name", current.name)
            data.setdefault("inputs", current.inputs)
        values = ScenarioInput(data=data)
        values.is_valid(raise_exception=True)
        return services.save_scenario(
            user=request.user,
            name=values.validated_data["name"],
            inputs=values.validated_data["inputs"],
            scenario_id=current.pk if current is not None else None,
            now=timezone.now(),
        )

    @extend_schema(request=ScenarioInput, responses={201: ScenarioSerializer})
    def create(self, request):
        scenario = self._save(request)
        return Response(ScenarioSerializer(scenario).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ScenarioInput, responses=ScenarioSerializer)
    def update(self, request, pk=None):
        return Response(ScenarioSerializer(self._save(request, self.get_object())).data)

    @extend_schema(request=ScenarioInput, responses=ScenarioSerializer)
    def partial_update(self, request, pk=None):
        return Response(ScenarioSerializer(self._save(request, self.get_object(), partial=True)).data)

    def destroy(self, request, pk=None):
        scenario = self.get_object()
        services.delete_scenario(user=request.user, scenario_id=scenario.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={
            202: inline_serializer(
                "ScenarioRun",
                {
                    "id": serializers.IntegerField(),
                    "status": serializers.CharField(),
                    "progress": serializers.FloatField(),
                },
            )
        },
    )
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        scenario = self.get_object()
        run = services.run_scenario(user=request.user, inputs={}, scenario_id=scenario.pk, now=timezone.now())
        return Response({"id": run.pk, "status": run.status, "progress": run.progress}, status=status.HTTP_202_ACCEPTED)


def register(router) -> None:
    """Add this app's viewsets to the project router."""
    router.register("wfm/forecasts", ForecastViewSet, basename="wfm-forecast")
    router.register("wfm/staffing", StaffingViewSet, basename="wfm-staffing")
    router.register("wfm/scenarios", ScenarioViewSet, basename="wfm-scenario")
