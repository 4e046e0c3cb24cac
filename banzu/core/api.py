"""Core endpoints: the working-day calendar, policies and the health check."""

from __future__ import annotations

from datetime import date, datetime, time

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from banzu.core import calendar as work_calendar
from banzu.core import scoping, services
from banzu.core.models import CalendarDay, CalendarYear
from banzu.core.policies import REGISTRY, policies_for

# --- calendar -----------------------------------------------------------------------------------


class CalendarDaySerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = CalendarDay
        fields = ["date", "is_working_day", "kind", "kind_label", "name"]


class CalendarYearSerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarYear
        fields = ["year", "source", "published"]


def _parse_start(raw: str | None, zone) -> datetime:
    if not raw:
        raise exceptions.ValidationError({"start": [_("Enter a start date or date and time.")]}, code="required")
    try:
        if "T" in raw or " " in raw.strip():
            moment = datetime.fromisoformat(raw.strip())
        else:
            moment = datetime.combine(date.fromisoformat(raw.strip()), time(0, 0))
    except ValueError:
        raise exceptions.ValidationError(
            {"start": [_("Enter a date as YYYY-MM-DD or a date and time as YYYY-MM-DDTHH:MM.")]}
        ) from None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=zone)
    return moment


def _centre_zone(request):
    actor = scoping.actor_for(request.user)
    from banzu.org.models import Centre

    centre = Centre.objects.filter(pk=actor.centre_id).first() if actor.centre_id else Centre.objects.first()
    return work_calendar.centre_zone(centre)


class CalendarViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The working-day calendar (ORG-10): days, covered years and deadline arithmetic."""

    serializer_class = CalendarDaySerializer
    scope_action = "core.view_calendar"
    filterset_fields = {"date": ["gte", "lte", "exact"], "kind": ["exact"], "is_working_day": ["exact"]}
    ordering_fields = ["date"]
    search_fields = []

    def check_permissions(self, request):
        super().check_permissions(request)
        scoping.ensure_can(request.user, self.scope_action)

    def get_queryset(self):
        return CalendarDay.objects.all()

    @extend_schema(responses=CalendarYearSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def years(self, request):
        return Response(CalendarYearSerializer(CalendarYear.objects.all(), many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.STR, required=True, description="YYYY-MM-DD or ISO date-time"),
            OpenApiParameter("days", OpenApiTypes.INT, required=True, description="working days, 0 or more"),
        ],
        responses=inline_serializer(
            "AddWorkingDays",
            {
                "start": serializers.DateTimeField(),
                "days": serializers.IntegerField(),
                "deadline": serializers.DateTimeField(),
            },
        ),
    )
    @action(detail=False, methods=["get"], url_path="add-working-days", pagination_class=None, filter_backends=[])
    def add_working_days(self, request):
        """D1: the start day is day 0; the deadline is 23:59:59 local of the N-th working day after it."""
        zone = _centre_zone(request)
        start = _parse_start(request.query_params.get("start"), zone)
        days = _parse_days(request.query_params.get("days"))
        deadline = work_calendar.add_working_days(start, days, zone=zone)
        return Response({"start": start.isoformat(), "days": days, "deadline": deadline.isoformat()})

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, required=True),
            OpenApiParameter("end", OpenApiTypes.DATE, required=True),
        ],
        responses=inline_serializer(
            "WorkingDaysBetween",
            {
                "start": serializers.DateField(),
                "end": serializers.DateField(),
                "working_days": serializers.IntegerField(),
            },
        ),
    )
    @action(detail=False, methods=["get"], url_path="working-days-between", pagination_class=None, filter_backends=[])
    def working_days_between(self, request):
        """Working days in (start, end]; negative when end is before start."""
        start = _parse_date(request.query_params.get("start"), "start")
        end = _parse_date(request.query_params.get("end"), "end")
        count = work_calendar.working_days_between(start, end)
        return Response({"start": start.isoformat(), "end": end.isoformat(), "working_days": count})


def _parse_days(raw: str | None) -> int:
    try:
        days = int(raw) if raw is not None else None
    except ValueError:
        days = None
    if days is None or days < 0 or days > 3650:
        raise exceptions.ValidationError({"days": [_("Enter a whole number of working days from 0 to 3650.")]})
    return days


def _parse_date(raw: str | None, field: str) -> date:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        raise exceptions.ValidationError({field: [_("Enter a date as YYYY-MM-DD.")]}) from None


# --- policies -----------------------------------------------------------------------------------


class PolicySerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    spec = serializers.CharField()
    kind = serializers.CharField()
    unit = serializers.CharField()
    default = serializers.JSONField()
    value = serializers.JSONField()
    minimum = serializers.JSONField(allow_null=True)
    maximum = serializers.JSONField(allow_null=True)
    is_default = serializers.BooleanField()


class PolicyUpdateSerializer(serializers.Serializer):
    value = serializers.JSONField(label=gettext_lazy("value"))
    reason = serializers.CharField(label=gettext_lazy("reason"), required=False, allow_blank=True, max_length=100)


def _json(value):
    from decimal import Decimal

    return str(value) if isinstance(value, Decimal) else value


def policy_rows(centre) -> list[dict]:
    values = policies_for(centre)
    rows = []
    for key in sorted(REGISTRY):
        item = REGISTRY[key]
        rows.append(
            {
                "key": key,
                "label": str(item.label),
                "spec": item.spec,
                "kind": item.kind,
                "unit": str(item.unit),
                "default": _json(item.default),
                "value": _json(values[key]),
                "minimum": _json(item.minimum),
                "maximum": _json(item.maximum),
                "is_default": values[key] == item.default,
            }
        )
    return rows


class PolicyViewSet(viewsets.ViewSet):
    """The centre's policies (DESIGN principle 3): every spec number with its seed default."""

    lookup_field = "key"
    lookup_value_regex = r"[a-z0-9_.]+"
    scope_action = "core.view_policies"
    write_actions = {"partial_update": "core.change_policies", "reset": "core.change_policies"}

    def _centre(self, request):
        from banzu.org.models import Centre

        actor = scoping.actor_for(request.user)
        action_name = self.write_actions.get(self.action, self.scope_action)
        scoping.ensure_can(request.user, action_name)
        centre = Centre.objects.filter(pk=actor.centre_id).first() if actor.centre_id else Centre.objects.first()
        if centre is None:
            raise exceptions.NotFound()
        return centre

    @extend_schema(responses=PolicySerializer(many=True))
    def list(self, request):
        return Response(PolicySerializer(policy_rows(self._centre(request)), many=True).data)

    @extend_schema(responses=PolicySerializer)
    def retrieve(self, request, key=None):
        centre = self._centre(request)
        if key not in REGISTRY:
            raise exceptions.NotFound()
        return Response(next(row for row in policy_rows(centre) if row["key"] == key))

    @extend_schema(request=PolicyUpdateSerializer, responses=PolicySerializer)
    def partial_update(self, request, key=None):
        centre = self._centre(request)
        if key not in REGISTRY:
            raise exceptions.NotFound()
        data = PolicyUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.set_policy(
            user=request.user,
            centre=centre,
            key=key,
            value=data.validated_data["value"],
            reason=data.validated_data.get("reason", ""),
        )
        return Response(next(row for row in policy_rows(centre) if row["key"] == key))

    @extend_schema(request=None, responses=PolicySerializer)
    @action(detail=True, methods=["post"])
    def reset(self, request, key=None):
        centre = self._centre(request)
        if key not in REGISTRY:
            raise exceptions.NotFound()
        services.reset_policy(user=request.user, centre=centre, key=key)
        return Response(next(row for row in policy_rows(centre) if row["key"] == key))


class HealthView(APIView):
    """Liveness and database check for load balancers; no log-in, no data."""

    authentication_classes = []
    permission_classes = []
    public = True

    @extend_schema(responses=inline_serializer("Health", {"status": serializers.CharField()}))
    def get(self, request):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return Response({"status": "ok"})


class TokenView(ObtainAuthToken):
    """Exchange an employee number (or user name) and password for an API token.

    Public by nature; the log-in lock-out (django-axes) and a rate limit apply as on the log-in page.
    """

    public = True
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        request=AuthTokenSerializer,
        responses=inline_serializer("Token", {"token": serializers.CharField()}),
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
