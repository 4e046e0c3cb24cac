"""Read API of interval statistics, service-rule exceptions, recordings and the IVR menu under /api/v1/
(CT-4, CT-12, CT-16, CT-17). Read-only: statistics are maintained by contact services, exceptions by
the service-rule checks, recordings are never deleted, the menu is edited on its page."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from banzu.contact import ivr, selectors
from banzu.contact.models import AgentInterval, IvrNode, QueueInterval, Recording, ServiceException
from banzu.core import scoping
from banzu.core.drf import ScopedViewSetMixin


class QueueIntervalSerializer(serializers.ModelSerializer):
    queue_code = serializers.CharField(source="queue.code", read_only=True)

    class Meta:
        model = QueueInterval
        fields = ["id", "queue", "queue_code", "minutes", "start", *QueueInterval.COUNTS]


class AgentIntervalSerializer(serializers.ModelSerializer):
    employee_no = serializers.CharField(source="agent.employee_no", read_only=True)

    class Meta:
        model = AgentInterval
        fields = ["id", "agent", "employee_no", "minutes", "start", *AgentInterval.COUNTS]


class IntervalFilter(filters.FilterSet):
    start_after = filters.IsoDateTimeFilter(field_name="start", lookup_expr="gte")
    start_before = filters.IsoDateTimeFilter(field_name="start", lookup_expr="lt")


class QueueIntervalFilter(IntervalFilter):
    class Meta:
        model = QueueInterval
        fields = ["queue", "minutes"]


class AgentIntervalFilter(IntervalFilter):
    class Meta:
        model = AgentInterval
        fields = ["agent", "minutes"]


class QueueIntervalViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Per queue and 15/30-minute interval: offered, answered, abandoned, within threshold, time sums."""

    serializer_class = QueueIntervalSerializer
    scope_action = "contact.view_interval_statistics"
    filterset_class = QueueIntervalFilter
    ordering_fields = ["start"]

    def base_queryset(self):
        return QueueInterval.objects.select_related("queue").order_by("start", "queue_id")


class AgentIntervalViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Per agent and 15/30-minute interval: contacts, handle-time sums and time in each state."""

    serializer_class = AgentIntervalSerializer
    scope_action = "contact.view_interval_statistics"
    filterset_class = AgentIntervalFilter
    ordering_fields = ["start"]

    def base_queryset(self):
        return AgentInterval.objects.select_related("agent").order_by("start", "agent_id")


class ServiceExceptionSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    employee_no = serializers.CharField(source="agent.employee_no", read_only=True, default=None)
    agent_name = serializers.CharField(source="agent.name", read_only=True, default=None)
    queue = serializers.CharField(source="contact.queue.code", read_only=True, default=None)

    class Meta:
        model = ServiceException
        fields = [
            "id",
            "contact",
            "queue",
            "agent",
            "employee_no",
            "agent_name",
            "kind",
            "kind_label",
            "seconds",
            "limit_seconds",
            "detected_at",
        ]


class ServiceExceptionFilter(filters.FilterSet):
    detected_after = filters.IsoDateTimeFilter(field_name="detected_at", lookup_expr="gte")
    detected_before = filters.IsoDateTimeFilter(field_name="detected_at", lookup_expr="lt")

    class Meta:
        model = ServiceException
        fields = ["kind", "agent", "contact"]


class ServiceExceptionViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """CT-12 exceptions for QA: team leaders see their team's, QA and centre roles the centre's."""

    serializer_class = ServiceExceptionSerializer
    scope_action = "contact.view_service_exceptions"
    filterset_class = ServiceExceptionFilter
    ordering_fields = ["detected_at", "seconds"]

    def base_queryset(self):
        return ServiceException.objects.select_related("agent", "contact", "contact__queue").order_by(
            "-detected_at", "-pk"
        )


class RecordingSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    purged = serializers.SerializerMethodField()

    class Meta:
        model = Recording
        fields = [
            "id",
            "contact",
            "kind",
            "kind_label",
            "ref",
            "recorded_at",
            "purged",
            "purged_at",
            "purged_retention_months",
        ]

    def get_purged(self, obj) -> bool:
        return obj.purged_at is not None


class RecordingViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """CT-17: recording and transcript references. Read-only: nobody deletes a recording."""

    serializer_class = RecordingSerializer
    scope_action = "contact.view_recordings"
    filterset_fields = ["contact", "kind"]
    ordering_fields = ["recorded_at"]

    def base_queryset(self):
        return Recording.objects.order_by("-recorded_at", "-pk")


class IvrNodeSerializer(serializers.ModelSerializer):
    action_label = serializers.CharField(source="get_action_display", read_only=True)
    queue_code = serializers.CharField(source="queue.code", read_only=True, default=None)

    class Meta:
        model = IvrNode
        fields = [
            "id",
            "parent",
            "key",
            "label",
            "prompt",
            "action",
            "action_label",
            "queue",
            "queue_code",
            "answer",
            "category",
            "common_question",
        ]


class IvrStepNodeSerializer(serializers.Serializer):
    """One node as the switch plays it (rules.IvrNodeSpec)."""

    id = serializers.IntegerField()
    key = serializers.CharField(allow_blank=True)
    action = serializers.ChoiceField(choices=IvrNode.Action.choices)
    prompt = serializers.CharField(allow_blank=True)
    queue = serializers.IntegerField(allow_null=True)
    answer = serializers.CharField(allow_blank=True)
    category = serializers.CharField(allow_blank=True)


class IvrTreeNodeSerializer(IvrStepNodeSerializer):
    """A node of `tree/` with its choices nested, root first."""

    common_question = serializers.BooleanField()

    def get_fields(self):
        fields = super().get_fields()
        fields["children"] = IvrTreeNodeSerializer(many=True)  # declared here: the class refers to itself
        return fields


class IvrStepSerializer(serializers.Serializer):
    path = serializers.ListField(child=serializers.CharField())
    done = serializers.BooleanField()
    node = IvrStepNodeSerializer(allow_null=True)
    category = serializers.CharField(allow_blank=True)


class IvrNodeViewSet(viewsets.ReadOnlyModelViewSet):
    """CT-4: the IVR menu of the caller's centre; `tree/` nests it, `walk/` plays one key press."""

    serializer_class = IvrNodeSerializer
    scope_action = "contact.view_ivr"
    pagination_class = None

    def get_queryset(self):
        return selectors.ivr_nodes_visible_to(self.request.user)

    def check_permissions(self, request):
        super().check_permissions(request)
        scoping.ensure_can(request.user, self.scope_action)

    @extend_schema(responses=IvrTreeNodeSerializer)
    @action(detail=False, methods=["get"])
    def tree(self, request):
        tree = ivr.published_tree(scoping.actor_for(request.user).centre_id)
        if tree is None:
            raise exceptions.NotFound(_("This centre has no IVR menu yet."))
        return Response(tree)

    @extend_schema(
        parameters=[
            OpenApiParameter("path", str, description="Keys pressed so far, comma-separated, e.g. 1,3."),
            OpenApiParameter("key", str, description="The key pressed next."),
        ],
        responses=IvrStepSerializer,
    )
    @action(detail=False, methods=["get"])
    def walk(self, request):
        """?path=1,3&key=2: where pressing `key` after `path` leads."""
        path = [k for k in request.query_params.get("path", "").split(",") if k]
        key = request.query_params.get("key", "")
        step = ivr.walk(centre=scoping.actor_for(request.user).centre_id, path=path, key=key)
        node = step.node
        return Response(
            {
                "path": list(step.path),
                "done": step.done,
                "node": None
                if node is None
                else {
                    "id": node.node_id,
                    "key": node.key,
                    "action": node.action.value,
                    "prompt": node.prompt,
                    "queue": node.queue_id,
                    "answer": node.answer,
                    "category": node.category,
                },
                "category": ivr.form_category(centre=scoping.actor_for(request.user).centre_id, path=list(step.path)),
            }
        )


def register(router) -> None:
    router.register("queue-intervals", QueueIntervalViewSet, basename="queue-interval")
    router.register("agent-intervals", AgentIntervalViewSet, basename="agent-interval")
    router.register("service-exceptions", ServiceExceptionViewSet, basename="service-exception")
    router.register("recordings", RecordingViewSet, basename="recording")
    router.register("ivr-nodes", IvrNodeViewSet, basename="ivr-node")
