"""API of the callbacks app under /api/v1/: campaigns, callback tasks with their attempts, on-site
orders with their steps, satisfaction figures. Reads go through the selectors (scoped); writes call
the services. Input and output serializers are separate (style guide §8)."""

from __future__ import annotations

import re

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from banzu.callbacks import selectors, services
from banzu.callbacks.models import (
    CallbackAttempt,
    CallbackTask,
    Campaign,
    Kind,
    OnsiteOrder,
    Outcome,
    Region,
)
from banzu.core import scoping
from banzu.core.drf import ScopedViewSetMixin
from banzu.core.errors import invalid
from banzu.org.models import Department, Employee

# --- output ------------------------------------------------------------------------------------------------


class CampaignSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    region_label = serializers.CharField(source="get_region_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "kind",
            "kind_label",
            "region",
            "region_label",
            "department",
            "team",
            "script",
            "collection_end",
            "starts_on",
            "retry_on",
            "due_at",
            "sample_month",
            "sample_seed",
            "sampled_at",
            "status",
            "status_label",
            "created_by",
            "created_at",
        ]


class AttemptSerializer(serializers.ModelSerializer):
    outcome_label = serializers.CharField(source="get_outcome_display", read_only=True)
    caller_name = serializers.CharField(source="caller.name", read_only=True)

    class Meta:
        model = CallbackAttempt
        fields = ["id", "at", "caller", "caller_name", "outcome", "outcome_label", "note"]


class TaskSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    outcome_label = serializers.CharField(source="get_outcome_display", read_only=True)
    campaign_name = serializers.CharField(source="campaign.name", read_only=True)
    assignee_name = serializers.CharField(source="assignee.name", read_only=True, default=None)
    follow_up = serializers.SerializerMethodField()

    class Meta:
        model = CallbackTask
        fields = [
            "id",
            "campaign",
            "campaign_name",
            "customer_name",
            "phone",
            "assignee",
            "assignee_name",
            "team",
            "contact",
            "subject_agent",
            "onsite_order",
            "follow_up_of",
            "follow_up",
            "note",
            "starts_on",
            "retry_on",
            "due_at",
            "status",
            "status_label",
            "outcome",
            "outcome_label",
            "rating",
            "opinion",
            "attempts",
            "completed_at",
            "escalated_at",
            "created_at",
        ]

    def get_follow_up(self, obj) -> int | None:
        follow_up = getattr(obj, "follow_up", None)
        return follow_up.pk if follow_up is not None else None


class TaskDetailSerializer(TaskSerializer):
    script = serializers.CharField(source="campaign.script", read_only=True)
    call_attempts = AttemptSerializer(many=True, read_only=True)

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "script", "call_attempts"]


class OnsiteSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = OnsiteOrder
        fields = [
            "id",
            "customer_name",
            "phone",
            "address",
            "problem",
            "agreement_customer",
            "status",
            "status_label",
            "registered_by",
            "team",
            "department",
            "registered_at",
            "response_due_at",
            "overdue",
            "technician",
            "technician_phone",
            "dispatched_at",
            "accepted_at",
            "completed_at",
            "completed_late",
            "result",
            "reviewed_at",
            "reviewed_by",
            "review",
            "escalated_at",
        ]

    def get_overdue(self, obj) -> bool:
        from banzu.callbacks import rules

        return rules.onsite_overdue(obj.status, obj.response_due_at, self.context.get("now") or timezone.now())


# --- input ----------------------------------------------------------------------------------------------------


class CentreScopedInput(serializers.Serializer):
    """Department and employee choices limited to the caller's centre."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        centre_id = scoping.actor_for(request.user).centre_id if request else None
        for field in self.fields.values():
            if isinstance(field, serializers.PrimaryKeyRelatedField):
                field.queryset = field.queryset.model.objects.filter(centre_id=centre_id)


class CampaignInput(CentreScopedInput):
    name = serializers.CharField(label=_("Campaign name"), allow_blank=True, required=False, default="")
    kind = serializers.ChoiceField(
        label=_("Callback type"), choices=Kind.choices, allow_blank=True, required=False, default=""
    )
    region = serializers.ChoiceField(
        label=_("Customers"), choices=Region.choices, allow_blank=True, required=False, default=""
    )
    department = serializers.PrimaryKeyRelatedField(
        label=_("Department"), queryset=Department.objects.all(), required=False, allow_null=True, default=None
    )
    script = serializers.CharField(label=_("Script"), required=False, allow_blank=True, default="")
    starts_on = serializers.DateField(label=_("First run"), required=False, allow_null=True, default=None)
    collection_end = serializers.DateField(
        label=_("Last day of the collection period"), required=False, allow_null=True, default=None
    )
    sample_month = serializers.DateField(
        label=_("Sampled month"),
        required=False,
        allow_null=True,
        default=None,
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )


class TaskInput(CentreScopedInput):
    customer_name = serializers.CharField(label=_("Customer name"), allow_blank=True, required=False, default="")
    phone = serializers.CharField(label=_("Phone number"), allow_blank=True, required=False, default="")
    assignee = serializers.PrimaryKeyRelatedField(
        label=_("Assignee"), queryset=Employee.objects.all(), required=False, allow_null=True, default=None
    )
    note = serializers.CharField(label=_("Note"), allow_blank=True, required=False, default="")


class AssignInput(CentreScopedInput):
    assignee = serializers.PrimaryKeyRelatedField(
        label=_("Assignee"), queryset=Employee.objects.all(), required=False, allow_null=True, default=None
    )


class AttemptInput(serializers.Serializer):
    outcome = serializers.ChoiceField(
        label=pgettext_lazy("callback", "Outcome"),
        choices=Outcome.choices,
        allow_blank=True,
        required=False,
        default="",
    )
    rating = serializers.IntegerField(label=_("Satisfaction rating"), required=False, allow_null=True, default=None)
    opinion = serializers.CharField(label=_("Opinions and suggestions"), allow_blank=True, required=False, default="")
    note = serializers.CharField(label=_("Note"), allow_blank=True, required=False, default="")


class OnsiteInput(serializers.Serializer):
    customer_name = serializers.CharField(label=_("Customer name"), allow_blank=True, required=False, default="")
    phone = serializers.CharField(label=_("Phone number"), allow_blank=True, required=False, default="")
    address = serializers.CharField(label=_("Address"), allow_blank=True, required=False, default="")
    problem = serializers.CharField(label=_("Problem"), allow_blank=True, required=False, default="")
    agreement_customer = serializers.BooleanField(label=_("Service agreement customer"), required=False, default=False)


class DispatchInput(serializers.Serializer):
    technician = serializers.CharField(label=_("Technician"), allow_blank=True, required=False, default="")
    technician_phone = serializers.CharField(label=_("Technician phone"), allow_blank=True, required=False, default="")


class CompleteInput(serializers.Serializer):
    result = serializers.CharField(label=_("Service result"), allow_blank=True, required=False, default="")


class ReviewInput(serializers.Serializer):
    review = serializers.CharField(label=_("Review and feedback"), allow_blank=True, required=False, default="")


# --- viewsets ----------------------------------------------------------------------------------------------------


class _Clock:
    def _now(self):
        if not hasattr(self, "_request_now"):
            self._request_now = timezone.now()
        return self._request_now


class CampaignViewSet(
    _Clock, ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Callback campaigns (CB-1 … CB-3)."""

    serializer_class = CampaignSerializer
    scope_action = "callbacks.view"
    write_actions = {
        "create": "callbacks.manage_campaigns",
        "add_task": "callbacks.manage_campaigns",
        "sample": "callbacks.manage_campaigns",
        "close": "callbacks.manage_campaigns",
    }
    filterset_fields = ["kind", "region", "status"]

    def base_queryset(self):
        return Campaign.objects.order_by("-created_at", "-pk")

    def _scoped(self, pk) -> Campaign:
        """Out of scope answers 404 before the input is read."""
        return selectors.campaign_for(self.request.user, pk, action=self.write_actions[self.action])

    @extend_schema(request=CampaignInput, responses={201: CampaignSerializer})
    def create(self, request):
        data = CampaignInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        campaign = services.create_campaign(user=request.user, now=self._now(), **data.validated_data)
        return Response(CampaignSerializer(campaign).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TaskInput, responses={201: TaskSerializer})
    @action(detail=True, methods=["post"], url_path="tasks")
    def add_task(self, request, pk=None):
        campaign = self._scoped(pk)
        data = TaskInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        task = services.add_task(user=request.user, campaign_id=campaign.pk, now=self._now(), **data.validated_data)
        return Response(TaskSerializer(task).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: TaskSerializer(many=True)})
    @action(detail=True, methods=["post"])
    def sample(self, request, pk=None):
        campaign = self._scoped(pk)
        tasks = services.draw_monthly_sample(user=request.user, campaign_id=campaign.pk, now=self._now())
        return Response(TaskSerializer(tasks, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        campaign = self._scoped(pk)
        campaign = services.close_campaign(user=request.user, campaign_id=campaign.pk, now=self._now())
        return Response(CampaignSerializer(campaign).data)


class CallbackTaskViewSet(
    _Clock, ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Callback tasks; `?mine=1` is the caller's own worklist (open tasks, earliest deadline first)."""

    serializer_class = TaskSerializer
    scope_action = "callbacks.view"
    write_actions = {"assign": "callbacks.assign", "attempts": "callbacks.call"}
    filterset_fields = ["campaign", "status", "outcome", "assignee"]

    def base_queryset(self):
        return CallbackTask.objects.select_related("campaign", "assignee", "follow_up").order_by("due_at", "pk")

    def get_queryset(self):
        if self.action == "list" and self.request.query_params.get("mine") in ("1", "true"):
            return selectors.worklist_for(self.request.user).select_related("follow_up")
        return super().get_queryset()

    def get_serializer_class(self):
        return TaskDetailSerializer if self.action == "retrieve" else TaskSerializer

    def _scoped(self, pk) -> CallbackTask:
        return selectors.task_for(self.request.user, pk, action=self.write_actions[self.action])

    def _detail(self, pk, status_code=status.HTTP_200_OK) -> Response:
        task = selectors.task_for(self.request.user, pk)
        return Response(TaskDetailSerializer(task).data, status=status_code)

    @extend_schema(parameters=[OpenApiParameter("mine", bool)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=AssignInput, responses=TaskDetailSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        task = self._scoped(pk)
        data = AssignInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        services.assign_task(user=request.user, task_id=task.pk, now=self._now(), **data.validated_data)
        return self._detail(task.pk)

    @extend_schema(request=AttemptInput, responses={201: TaskDetailSerializer})
    @action(detail=True, methods=["post"])
    def attempts(self, request, pk=None):
        task = self._scoped(pk)
        data = AttemptInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.record_attempt(user=request.user, task_id=task.pk, now=self._now(), **data.validated_data)
        return self._detail(task.pk, status.HTTP_201_CREATED)


class OnsiteOrderViewSet(
    _Clock, ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """On-site dispatch (CB-4): 录单 (create) → 派单 (dispatch; not named so, APIView.dispatch is taken) →
    接单 (accept) → 完成 (complete) →
    审核反馈 (review). A step out of order answers 409 naming the sequence."""

    serializer_class = OnsiteSerializer
    scope_action = "callbacks.view"
    write_actions = {
        "create": "callbacks.register_onsite",
        "dispatch_order": "callbacks.dispatch_onsite",
        "accept": "callbacks.dispatch_onsite",
        "complete": "callbacks.dispatch_onsite",
        "review": "callbacks.review_onsite",
    }
    filterset_fields = ["status", "agreement_customer"]

    def base_queryset(self):
        return OnsiteOrder.objects.order_by("response_due_at", "pk")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": self._now()}

    def _scoped(self, pk) -> OnsiteOrder:
        return selectors.onsite_for(self.request.user, pk, action=self.write_actions[self.action])

    def _answer(self, order, status_code=status.HTTP_200_OK) -> Response:
        return Response(OnsiteSerializer(order, context=self.get_serializer_context()).data, status=status_code)

    @extend_schema(request=OnsiteInput, responses={201: OnsiteSerializer})
    def create(self, request):
        data = OnsiteInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.register_onsite(user=request.user, now=self._now(), **data.validated_data)
        return self._answer(order, status.HTTP_201_CREATED)

    @extend_schema(request=DispatchInput, responses=OnsiteSerializer)
    @action(detail=True, methods=["post"], url_path="dispatch")
    def dispatch_order(self, request, pk=None):
        order = self._scoped(pk)
        data = DispatchInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(
            services.dispatch_onsite(user=request.user, order_id=order.pk, now=self._now(), **data.validated_data)
        )

    @extend_schema(request=None, responses=OnsiteSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        order = self._scoped(pk)
        return self._answer(services.accept_onsite(user=request.user, order_id=order.pk, now=self._now()))

    @extend_schema(request=CompleteInput, responses=OnsiteSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        order = self._scoped(pk)
        data = CompleteInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(
            services.complete_onsite(user=request.user, order_id=order.pk, now=self._now(), **data.validated_data)
        )

    @extend_schema(request=ReviewInput, responses=OnsiteSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        order = self._scoped(pk)
        data = ReviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(
            services.review_onsite(user=request.user, order_id=order.pk, now=self._now(), **data.validated_data)
        )


SatisfactionRowSerializer = inline_serializer(
    "SatisfactionRow",
    {
        "key": serializers.IntegerField(allow_null=True),
        "label": serializers.CharField(),
        "ratings": serializers.IntegerField(),
        "satisfied_ratings": serializers.IntegerField(),
        "callbacks_satisfied": serializers.IntegerField(),
        "callbacks_dissatisfied": serializers.IntegerField(),
        "callbacks_unreachable": serializers.IntegerField(),
        "rate": serializers.FloatField(allow_null=True),
    },
    many=True,
)
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _row(key, label, figures) -> dict:
    return {
        "key": key,
        "label": label,
        "ratings": figures.ratings,
        "satisfied_ratings": figures.satisfied_ratings,
        "callbacks_satisfied": figures.callbacks_satisfied,
        "callbacks_dissatisfied": figures.callbacks_dissatisfied,
        "callbacks_unreachable": figures.callbacks_unreachable,
        "rate": figures.rate,
    }


class SatisfactionViewSet(viewsets.ViewSet):
    """CB-5: satisfaction per agent or team for one month, within the caller's scope."""

    scope_action = "callbacks.view_satisfaction"

    @extend_schema(
        parameters=[
            OpenApiParameter("month", str, required=True, description="YYYY-MM"),
            OpenApiParameter("group", str, enum=[selectors.AGENT, selectors.TEAM]),
        ],
        responses=SatisfactionRowSerializer,
    )
    def list(self, request):
        scoping.ensure_can(request.user, self.scope_action)
        match = MONTH.match(request.query_params.get("month", ""))
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise invalid("month", _("Enter the month as YYYY-MM, for example 2024-03."), code="invalid_month")
        group = request.query_params.get("group", selectors.AGENT)
        if group not in (selectors.AGENT, selectors.TEAM):
            raise invalid("group", _("Group by agent or team."), code="invalid_choice")
        rows = selectors.satisfaction_figures(
            request.user, year=int(match.group(1)), month=int(match.group(2)), group=group
        )
        return Response([_row(row.key, row.label, row.figures) for row in rows])


def register(router) -> None:
    """Add this app's viewsets to the project router."""
    router.register("callback-campaigns", CampaignViewSet, basename="callback-campaign")
    router.register("callback-tasks", CallbackTaskViewSet, basename="callback-task")
    router.register("onsite-orders", OnsiteOrderViewSet, basename="onsite-order")
    router.register("satisfaction", SatisfactionViewSet, basename="satisfaction")
