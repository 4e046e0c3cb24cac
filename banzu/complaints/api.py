"""API of the complaints app under /api/v1/: complaints with their steps and workflow actions, the
written report, the notice board and the cause analysis. Reads go through the selectors (scoped);
writes call the services. Input and output serializers are separate (style guide §8)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from banzu.complaints import analysis, selectors, services
from banzu.complaints.models import Complaint, ComplaintCallback, ComplaintStep, Notice
from banzu.core import scoping
from banzu.core.drf import ScopedViewSetMixin
from banzu.org.models import Employee

# --- output --------------------------------------------------------------------------------------------


class ComplaintListSerializer(serializers.ModelSerializer):
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    channel_label = serializers.CharField(source="get_channel_display", read_only=True)
    source_label = serializers.CharField(source="get_source_display", read_only=True)
    handler_name = serializers.CharField(source="handler.name", read_only=True)
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    working_days_left = serializers.SerializerMethodField()
    deadline_state = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "id",
            "number",
            "work_order",
            "level",
            "level_label",
            "source",
            "source_label",
            "channel",
            "channel_label",
            "status",
            "status_label",
            "complainant",
            "owner",
            "owner_name",
            "handler",
            "handler_name",
            "handler_unit",
            "filed_at",
            "due_at",
            "reminder_at",
            "working_days_left",
            "deadline_state",
            "closed_at",
        ]

    def _remaining(self, obj):
        now = self.context.get("now") or timezone.now()
        return selectors.deadline(obj, now)

    def get_working_days_left(self, obj) -> int | None:
        left = self._remaining(obj)
        return None if left is None else left.working_days

    def get_deadline_state(self, obj) -> str | None:
        left = self._remaining(obj)
        return None if left is None else left.state


class StepSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    actor_name = serializers.CharField(source="actor.name", read_only=True, default=None)

    class Meta:
        model = ComplaintStep
        fields = ["id", "kind", "kind_label", "at", "actor", "actor_name", "from_status", "to_status", "note"]


class CallbackSerializer(serializers.ModelSerializer):
    class Meta:
        model = ComplaintCallback
        fields = ["id", "method", "satisfied", "note", "by", "at"]


class ComplaintDetailSerializer(ComplaintListSerializer):
    steps = serializers.SerializerMethodField()
    callbacks = CallbackSerializer(many=True, read_only=True)
    joint_liability = serializers.BooleanField(read_only=True)

    class Meta(ComplaintListSerializer.Meta):
        fields = [
            *ComplaintListSerializer.Meta.fields,
            "complainant_org",
            "contact_phone",
            "content",
            "investigation",
            "is_valid",
            "cause",
            "decision_note",
            "explanation",
            "apology",
            "solution",
            "resolution",
            "responsible_person",
            "responsible_superior",
            "management_failure",
            "joint_liability",
            "penalty",
            "corrective_action",
            "correction_verification",
            "authority_report",
            "reported_at",
            "reminded_at",
            "escalated_at",
            "callbacks",
            "steps",
        ]

    @extend_schema_field(StepSerializer(many=True))
    def get_steps(self, obj) -> list[dict]:
        return StepSerializer(selectors.steps_of(obj), many=True).data


class NoticeSerializer(serializers.ModelSerializer):
    published_by_name = serializers.CharField(source="published_by.name", read_only=True)
    complaint_number = serializers.CharField(source="complaint.number", read_only=True)

    class Meta:
        model = Notice
        fields = [
            "id",
            "complaint",
            "complaint_number",
            "department",
            "title",
            "body",
            "published_by",
            "published_by_name",
            "published_at",
        ]


# --- input ----------------------------------------------------------------------------------------------


class FileInput(serializers.Serializer):
    """Every field may arrive empty: the service names what is missing, in the user's language."""

    channel = serializers.CharField(label=_("Channel"), required=False, allow_blank=True, default="")
    source = serializers.CharField(label=_("Lodged with"), required=False, allow_blank=True, default="")
    complainant = serializers.CharField(label=_("Complainant"), required=False, allow_blank=True, default="")
    complainant_org = serializers.CharField(label=_("Company name"), required=False, allow_blank=True, default="")
    contact_phone = serializers.CharField(label=_("Contact phone"), required=False, allow_blank=True, default="")
    content = serializers.CharField(label=_("Complaint content"), required=False, allow_blank=True, default="")
    location = serializers.CharField(label=_("Event location"), required=False, allow_blank=True, default="")
    summary = serializers.CharField(label=_("Event summary"), required=False, allow_blank=True, default="")


class CentreEmployeeField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        request = self.context.get("request")
        centre_id = scoping.actor_for(request.user).centre_id if request else None
        return Employee.objects.filter(centre_id=centre_id)


class StepInput(serializers.Serializer):
    step = serializers.CharField(label=_("Step"), required=False, allow_blank=True, default="")
    note = serializers.CharField(label=_("Record"), required=False, allow_blank=True, default="")
    is_valid = serializers.BooleanField(label=_("Valid complaint"), required=False, allow_null=True, default=None)
    cause = serializers.CharField(label=_("Cause"), required=False, allow_blank=True, default="")
    responsible_person = CentreEmployeeField(
        label=_("Responsible person"), required=False, allow_null=True, default=None
    )
    responsible_superior = CentreEmployeeField(
        label=_("Direct superior"), required=False, allow_null=True, default=None
    )
    management_failure = serializers.BooleanField(
        label=_("Management failure found (joint liability)"), required=False, default=False
    )
    method = serializers.CharField(label=_("Callback method"), required=False, allow_blank=True, default="")
    satisfied = serializers.BooleanField(label=_("Customer satisfied"), required=False, allow_null=True, default=None)


class ReportInput(serializers.Serializer):
    report = serializers.CharField(label=_("Written report to the authority"), allow_blank=True, default="")


class NoticeInput(serializers.Serializer):
    title = serializers.CharField(label=_("Title"), required=False, allow_blank=True, default="")
    body = serializers.CharField(label=_("Text"), required=False, allow_blank=True, default="")


LIST_PARAMETERS = [
    OpenApiParameter("status", str, description="A status, or open."),
    OpenApiParameter("level", int, enum=[1, 2, 3]),
    OpenApiParameter("channel", str),
    OpenApiParameter("overdue", bool),
    OpenApiParameter("mine", bool, description="Only complaints I handle."),
    OpenApiParameter("filed_from", OpenApiTypes.DATE),
    OpenApiParameter("filed_to", OpenApiTypes.DATE),
]


class PeriodQuery(serializers.Serializer):
    """The API refuses a filing date it cannot read, where the list page ignores it (selectors)."""

    filed_from = serializers.DateField(required=False)
    filed_to = serializers.DateField(required=False)


def ensure_readable_period(params) -> None:
    given = {name: params[name] for name in ("filed_from", "filed_to") if params.get(name)}
    PeriodQuery(data=given).is_valid(raise_exception=True)


AnalysisSerializer = inline_serializer(
    "ComplaintAnalysis",
    {
        "filed_from": serializers.DateField(),
        "filed_to": serializers.DateField(),
        "total": serializers.IntegerField(),
        "valid": serializers.IntegerField(),
        "invalid": serializers.IntegerField(),
        "undecided": serializers.IntegerField(),
        "on_time_rate": serializers.FloatField(allow_null=True),
        "by_cause": serializers.ListField(child=serializers.ListField()),
        "by_channel": serializers.ListField(child=serializers.ListField()),
        "by_level": serializers.ListField(child=serializers.ListField()),
        "by_team": serializers.ListField(child=serializers.ListField()),
    },
)


class ComplaintViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Complaints (CMP-1 … CMP-6): an agent sees their own, handlers what their unit handles."""

    serializer_class = ComplaintListSerializer
    scope_action = "complaints.view"
    write_actions = {
        "create": "complaints.file",
        "steps": "complaints.handle",
        "report": "complaints.report",
        "publish": "complaints.publish",
        "analysis": "complaints.analyse",
    }
    filter_backends: list = []

    def base_queryset(self):
        return Complaint.objects.all()

    def _now(self):
        if not hasattr(self, "_request_now"):
            self._request_now = timezone.now()
        return self._request_now

    def get_queryset(self):
        if self.action == "list":
            ensure_readable_period(self.request.query_params)
            zone = None
            actor = scoping.actor_for(self.request.user)
            if actor.centre_id is not None:
                from banzu.workorders.selectors import zone_of_centre

                zone = zone_of_centre(actor.centre_id)
            return selectors.complaint_list(self.request.user, self.request.query_params, now=self._now(), zone=zone)
        return selectors.complaints_visible_to(self.request.user)

    def get_serializer_class(self):
        return ComplaintListSerializer if self.action == "list" else ComplaintDetailSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": self._now()}

    def _scoped(self, pk) -> Complaint:
        """Out of scope answers 404 before the input is even read (style guide §5)."""
        return selectors.complaint_for(self.request.user, pk, action=self.write_actions[self.action])

    def _detail(self, complaint_id: int, status_code: int = status.HTTP_200_OK) -> Response:
        complaint = selectors.complaint_for(self.request.user, complaint_id)
        return Response(
            ComplaintDetailSerializer(complaint, context=self.get_serializer_context()).data, status=status_code
        )

    @extend_schema(parameters=LIST_PARAMETERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=FileInput, responses={201: ComplaintDetailSerializer})
    def create(self, request):
        data = FileInput(data=request.data)
        data.is_valid(raise_exception=True)
        complaint = services.file_complaint(user=request.user, now=self._now(), **data.validated_data)
        return self._detail(complaint.pk, status.HTTP_201_CREATED)

    @extend_schema(request=StepInput, responses=ComplaintDetailSerializer)
    @action(detail=True, methods=["post"])
    def steps(self, request, pk=None):
        """Take one workflow step (CMP-4); a step out of order answers 409 and changes nothing."""
        self._scoped(pk)
        data = StepInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        services.advance_complaint(user=request.user, complaint_id=pk, now=self._now(), **data.validated_data)
        return self._detail(pk)

    @extend_schema(request=ReportInput, responses=ComplaintDetailSerializer)
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        self._scoped(pk)
        data = ReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.report_to_authority(user=request.user, complaint_id=pk, now=self._now(), **data.validated_data)
        return self._detail(pk)

    @extend_schema(request=NoticeInput, responses={201: NoticeSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        self._scoped(pk)
        data = NoticeInput(data=request.data)
        data.is_valid(raise_exception=True)
        notice = services.publish_notice(user=request.user, complaint_id=pk, now=self._now(), **data.validated_data)
        return Response(NoticeSerializer(notice).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[OpenApiParameter("filed_from", OpenApiTypes.DATE), OpenApiParameter("filed_to", OpenApiTypes.DATE)],
        responses=AnalysisSerializer,
    )
    @action(detail=False, methods=["get"])
    def analysis(self, request):
        """CMP-6: counts by cause, channel, level and team over the complaints the caller may analyse."""
        ensure_readable_period(request.query_params)
        first, last = selectors.period(request.query_params, timezone.localdate())
        queryset = selectors.complaints_in_period(request.user, first, last, action="complaints.analyse")
        result = analysis.analyse_queryset(queryset)
        figures = result.analysis
        return Response(
            {
                "filed_from": first,
                "filed_to": last,
                "total": figures.total,
                "valid": figures.valid,
                "invalid": figures.invalid,
                "undecided": figures.undecided,
                "on_time_rate": figures.on_time_rate,
                "by_cause": result.by_cause,
                "by_channel": result.by_channel,
                "by_level": result.by_level,
                "by_team": result.by_team,
            }
        )


class NoticeViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The internal notice board (议事厅公示, CMP-5)."""

    serializer_class = NoticeSerializer
    scope_action = "complaints.view_notices"

    def base_queryset(self):
        return Notice.objects.select_related("complaint", "published_by")


def register(router) -> None:
    """Add this app's viewsets to the project router."""
    router.register("complaints", ComplaintViewSet, basename="complaint")
    router.register("complaint-notices", NoticeViewSet, basename="complaint-notice")
