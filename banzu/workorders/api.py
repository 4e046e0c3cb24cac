"""API of the workorders app under /api/v1/: work orders with their steps and actions, custom field
definitions, duty records, notifications. Reads go through the selectors (scoped); writes call the
services. Input and output serializers are separate (style guide §8)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from banzu.core import scoping
from banzu.core.drf import ScopedViewSetMixin
from banzu.org.models import Department, Employee
from banzu.workorders import export, presentation, rules, selectors, services
from banzu.workorders.models import (
    AnswerBasis,
    Category,
    ConsultationMode,
    CustomFieldDefinition,
    DutyAssignment,
    FieldType,
    Notification,
    WorkOrder,
    WorkOrderStep,
)

# --- output --------------------------------------------------------------------------------------------


class WorkOrderListSerializer(serializers.ModelSerializer):
    """A row of the list. Caller number and customer name are masked for roles that do not handle orders."""

    title = serializers.SerializerMethodField()
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    caller_number = serializers.SerializerMethodField()
    customer_name = serializers.SerializerMethodField()
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    handler_name = serializers.CharField(source="handler.name", read_only=True, default=None, allow_null=True)
    responsible_unit_name = serializers.CharField(source="responsible_unit.name", read_only=True, default=None)
    remaining_seconds = serializers.SerializerMethodField()

    class Meta:
        model = WorkOrder
        fields = [
            "id",
            "number",
            "title",
            "category",
            "category_label",
            "status",
            "status_label",
            "urgent",
            "caller_number",
            "customer_name",
            "owner",
            "owner_name",
            "handler",
            "handler_name",
            "responsible_unit",
            "responsible_unit_name",
            "next_due_at",
            "remaining_seconds",
            "completion_due_at",
            "completion_overdue",
            "created_at",
        ]

    def _full(self) -> bool:
        if "full" not in self.context:
            request = self.context.get("request")
            self.context["full"] = bool(request) and presentation.shows_customer_data(request.user)
        return self.context["full"]

    def get_title(self, obj) -> str:
        return presentation.display_title(obj)

    def get_caller_number(self, obj) -> str:
        return presentation.caller(obj, self._full())[0]

    def get_customer_name(self, obj) -> str:
        return presentation.caller(obj, self._full())[1]

    def get_remaining_seconds(self, obj) -> int | None:
        left = rules.remaining(obj.next_due_at, self.context.get("now") or timezone.now())
        return None if left is None else int(left.total_seconds())


class StepSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    actor_name = serializers.CharField(source="actor.name", read_only=True, default=None)
    from_handler_name = serializers.CharField(source="from_handler.name", read_only=True, default=None, allow_null=True)
    to_handler_name = serializers.CharField(source="to_handler.name", read_only=True, default=None, allow_null=True)
    from_unit_name = serializers.CharField(source="from_unit.name", read_only=True, default=None)
    to_unit_name = serializers.CharField(source="to_unit.name", read_only=True, default=None)

    class Meta:
        model = WorkOrderStep
        fields = [
            "id",
            "kind",
            "kind_label",
            "at",
            "actor",
            "actor_name",
            "from_status",
            "to_status",
            "from_handler",
            "from_handler_name",
            "to_handler",
            "to_handler_name",
            "from_unit",
            "from_unit_name",
            "to_unit",
            "to_unit_name",
            "due_at",
            "note",
        ]


class WorkOrderDetailSerializer(WorkOrderListSerializer):
    steps = serializers.SerializerMethodField()

    class Meta(WorkOrderListSerializer.Meta):
        fields = [
            *WorkOrderListSerializer.Meta.fields,
            "location",
            "summary",
            "contact",
            "contact_ref",
            "contact_ended_at",
            "completed_at",
            "consultation_mode",
            "answer",
            "answer_basis_kind",
            "answer_basis",
            "answer_article_version",
            "callback_due_at",
            "handler_due_at",
            "custom_values",
            "outcome",
            "customer_informed",
            "closed_at",
            "steps",
        ]

    @extend_schema_field(StepSerializer(many=True))
    def get_steps(self, obj) -> list[dict]:
        return StepSerializer(selectors.steps_of(obj), many=True).data


# --- input ----------------------------------------------------------------------------------------------


class CentreScopedInput(serializers.Serializer):
    """Department and employee choices limited to the caller's centre."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        centre_id = scoping.actor_for(request.user).centre_id if request else None
        for field in self.fields.values():
            if isinstance(field, serializers.PrimaryKeyRelatedField):
                model = field.queryset.model
                field.queryset = model.objects.filter(centre_id=centre_id)


class WorkOrderCreateInput(CentreScopedInput):
    category = serializers.ChoiceField(label=_("Category"), choices=Category.choices)
    borderline_with = serializers.ChoiceField(
        label=_("The case also looks like"), choices=Category.choices, required=False, allow_null=True
    )
    location = serializers.CharField(label=_("Event location"), allow_blank=True)
    summary = serializers.CharField(label=_("Event summary"), allow_blank=True)
    caller_number = serializers.CharField(label=_("Caller number"), required=False, allow_blank=True, default="")
    customer_name = serializers.CharField(label=_("Customer name"), required=False, allow_blank=True, default="")
    contact_id = serializers.IntegerField(
        label=_("Contact"),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The contact this work order records (WO-1); fills caller, customer and end time."),
    )
    contact_ref = serializers.CharField(label=_("Contact reference"), required=False, allow_blank=True, default="")
    contact_ended_at = serializers.DateTimeField(label=_("Contact end time"), required=False, allow_null=True)
    urgent = serializers.BooleanField(label=_("Urgent"), required=False, default=False)
    transfer_to_shift_lead = serializers.BooleanField(
        label=_("Transfer to the shift lead on duty"), required=False, allow_null=True, default=None
    )
    consultation_mode = serializers.ChoiceField(
        label=_("Consultation mode"), choices=ConsultationMode.choices, required=False, allow_blank=True, default=""
    )
    answer = serializers.CharField(label=_("Answer"), required=False, allow_blank=True, default="")
    answer_basis_kind = serializers.ChoiceField(
        label=_("Basis of the answer"), choices=AnswerBasis.choices, required=False, allow_blank=True, default=""
    )
    answer_basis = serializers.CharField(label=_("Cited basis"), required=False, allow_blank=True, default="")
    answer_article_version_id = serializers.IntegerField(
        label=_("Cited article version"), required=False, allow_null=True, default=None
    )
    responsible_unit = serializers.PrimaryKeyRelatedField(
        label=_("Responsible unit"), queryset=Department.objects.all(), required=False, allow_null=True, default=None
    )
    custom_values = serializers.DictField(label=_("Custom fields"), required=False, default=dict)


class WorkOrderUpdateInput(CentreScopedInput):
    category = serializers.ChoiceField(label=_("Category"), choices=Category.choices, required=False)
    location = serializers.CharField(label=_("Event location"), required=False, allow_blank=True)
    summary = serializers.CharField(label=_("Event summary"), required=False, allow_blank=True)
    caller_number = serializers.CharField(label=_("Caller number"), required=False, allow_blank=True)
    customer_name = serializers.CharField(label=_("Customer name"), required=False, allow_blank=True)
    contact_ref = serializers.CharField(label=_("Contact reference"), required=False, allow_blank=True)
    consultation_mode = serializers.ChoiceField(
        label=_("Consultation mode"), choices=ConsultationMode.choices, required=False, allow_blank=True
    )
    answer = serializers.CharField(label=_("Answer"), required=False, allow_blank=True)
    answer_basis_kind = serializers.ChoiceField(
        label=_("Basis of the answer"), choices=AnswerBasis.choices, required=False, allow_blank=True
    )
    answer_basis = serializers.CharField(label=_("Cited basis"), required=False, allow_blank=True)
    answer_article_version = serializers.IntegerField(label=_("Cited article version"), required=False, allow_null=True)
    responsible_unit = serializers.PrimaryKeyRelatedField(
        label=_("Responsible unit"), queryset=Department.objects.all(), required=False, allow_null=True
    )
    custom_values = serializers.DictField(label=_("Custom fields"), required=False)


class HandOverInput(CentreScopedInput):
    to_department = serializers.PrimaryKeyRelatedField(
        label=_("To department"), queryset=Department.objects.all(), required=False, allow_null=True, default=None
    )
    to_employee = serializers.PrimaryKeyRelatedField(
        label=_("To person"), queryset=Employee.objects.all(), required=False, allow_null=True, default=None
    )
    due_at = serializers.DateTimeField(label=_("Due time"), required=False, allow_null=True, default=None)
    note = serializers.CharField(label=_("Note"), required=False, allow_blank=True, default="")


class CommentInput(serializers.Serializer):
    note = serializers.CharField(label=_("Comment"), allow_blank=True)


class CloseInput(serializers.Serializer):
    outcome = serializers.CharField(label=_("Outcome"), allow_blank=True)
    customer_informed = serializers.BooleanField(label=_("The customer was told the outcome"), default=False)


class StaffDataRequestInput(CentreScopedInput):
    department = serializers.PrimaryKeyRelatedField(
        label=_("Department asked about"), queryset=Department.objects.all(), allow_null=True
    )
    note = serializers.CharField(label=_("What the caller asked for"), allow_blank=True)


UrgentRecipientSerializer = inline_serializer(
    "UrgentRecipient",
    {
        "employee": serializers.IntegerField(allow_null=True),
        "name": serializers.CharField(allow_null=True),
        "reason": serializers.CharField(allow_null=True),
    },
)

LIST_PARAMETERS = [
    OpenApiParameter("view", str, enum=[value for value, _label in selectors.View.CHOICES]),
    OpenApiParameter("field", str, description="caller_number, number, customer_name or cf:<custom field id>"),
    OpenApiParameter("q", str, description="Exact value of the chosen field (WO-9)."),
    OpenApiParameter("category", str, enum=Category.values),
    OpenApiParameter("status", str, description="A status, or open."),
    OpenApiParameter("urgent", bool),
    OpenApiParameter("overdue", bool),
    OpenApiParameter("handler", int),
    OpenApiParameter("responsible_unit", int),
    OpenApiParameter("created_from", OpenApiTypes.DATE),
    OpenApiParameter("created_to", OpenApiTypes.DATE),
    OpenApiParameter("sort", str, enum=list(selectors.SORTS)),
]


class WorkOrderViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Work orders (WO-1 … WO-12). The list takes the page's saved views, filters and exact search."""

    serializer_class = WorkOrderListSerializer
    scope_action = "workorders.view"
    write_actions = {
        "create": "workorders.create",
        "partial_update": "workorders.update",
        "hand_over": "workorders.hand_over",
        "accept": "workorders.accept",
        "comment": "workorders.comment",
        "close": "workorders.close",
        "mark_urgent": "workorders.mark_urgent",
        "staff_data_request": "workorders.record_staff_data_request",
        "export": "workorders.export",
    }
    filter_backends: list = []  # the selectors filter, search and sort (one place for page, API and export)

    def base_queryset(self):
        return WorkOrder.objects.all()

    def get_queryset(self):
        action_name = self.write_actions.get(self.action, self.scope_action)
        if self.action == "list":
            return selectors.work_order_list(self.request.user, self.request.query_params, now=self._now())
        return selectors.work_orders_visible_to(self.request.user, action=action_name)

    def get_serializer_class(self):
        return WorkOrderListSerializer if self.action == "list" else WorkOrderDetailSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": self._now()}

    def _now(self):
        if not hasattr(self, "_request_now"):
            self._request_now = timezone.now()
        return self._request_now

    def _scoped(self, pk) -> WorkOrder:
        """Out of scope answers 404 before the input is even read (style guide §5)."""
        action_name = self.write_actions.get(self.action, self.scope_action)
        return selectors.work_order_for(self.request.user, pk, action=action_name)

    def _detail(self, work_order_id: int, status_code: int = status.HTTP_200_OK) -> Response:
        order = selectors.work_order_for(self.request.user, work_order_id)
        return Response(
            WorkOrderDetailSerializer(order, context=self.get_serializer_context()).data, status=status_code
        )

    @extend_schema(parameters=LIST_PARAMETERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=WorkOrderCreateInput, responses={201: WorkOrderDetailSerializer})
    def create(self, request):
        data = WorkOrderCreateInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        order = services.create_work_order(user=request.user, now=self._now(), **data.validated_data)
        return self._detail(order.pk, status.HTTP_201_CREATED)

    @extend_schema(request=WorkOrderUpdateInput, responses=WorkOrderDetailSerializer)
    def partial_update(self, request, pk=None):
        self._scoped(pk)
        data = WorkOrderUpdateInput(data=request.data, context={"request": request}, partial=True)
        data.is_valid(raise_exception=True)
        order = services.update_work_order(
            user=request.user, work_order_id=pk, changes=data.validated_data, now=self._now()
        )
        return self._detail(order.pk)

    @extend_schema(request=HandOverInput, responses=WorkOrderDetailSerializer)
    @action(detail=True, methods=["post"], url_path="hand-over")
    def hand_over(self, request, pk=None):
        self._scoped(pk)
        data = HandOverInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        services.hand_over_work_order(user=request.user, work_order_id=pk, now=self._now(), **data.validated_data)
        return self._detail(pk)

    @extend_schema(request=None, responses=WorkOrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        self._scoped(pk)
        services.accept_work_order(user=request.user, work_order_id=pk, now=self._now())
        return self._detail(pk)

    @extend_schema(request=CommentInput, responses={201: StepSerializer})
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        self._scoped(pk)
        data = CommentInput(data=request.data)
        data.is_valid(raise_exception=True)
        step = services.add_comment(user=request.user, work_order_id=pk, now=self._now(), **data.validated_data)
        return Response(StepSerializer(step).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CloseInput, responses=WorkOrderDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        self._scoped(pk)
        data = CloseInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.close_work_order(user=request.user, work_order_id=pk, now=self._now(), **data.validated_data)
        return self._detail(pk)

    @extend_schema(request=None, responses=WorkOrderDetailSerializer)
    @action(detail=True, methods=["post"], url_path="mark-urgent")
    def mark_urgent(self, request, pk=None):
        self._scoped(pk)
        services.mark_urgent(user=request.user, work_order_id=pk, now=self._now())
        return self._detail(pk)

    @extend_schema(request=StaffDataRequestInput, responses={201: StepSerializer})
    @action(detail=True, methods=["post"], url_path="staff-data-request")
    def staff_data_request(self, request, pk=None):
        self._scoped(pk)
        data = StaffDataRequestInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        step = services.record_staff_data_request(
            user=request.user, work_order_id=pk, now=self._now(), **data.validated_data
        )
        return Response(StepSerializer(step).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        parameters=LIST_PARAMETERS,
        responses={(200, export.XLSX): OpenApiTypes.BINARY},
    )
    @action(detail=False, methods=["get"])
    def export(self, request):
        """The filtered list as xlsx, limited to the caller's export scope."""
        return export.xlsx_response(request.user, request.query_params, now=self._now())

    @extend_schema(
        parameters=[OpenApiParameter("responsible_unit", int)],
        responses=UrgentRecipientSerializer,
    )
    @action(detail=False, methods=["get"], url_path="urgent-recipient")
    def urgent_recipient(self, request):
        """Who an urgent work order would go to now (WO-7): the shift lead on duty, else the unit head."""
        actor = scoping.actor_for(request.user)
        unit_id = request.query_params.get("responsible_unit", "")
        unit = (
            selectors.departments_of_centre(actor.centre_id).filter(pk=int(unit_id)).first()
            if unit_id.isdigit()
            else None
        )
        target = selectors.urgent_target(actor.centre_id, unit, self._now())
        employee = target.employee
        return Response(
            {
                "employee": employee.pk if employee else None,
                "name": employee.name if employee else None,
                "reason": target.reason,
            }
        )


# --- configuration ------------------------------------------------------------------------------------------


class FieldDefinitionSerializer(serializers.ModelSerializer):
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    field_type_label = serializers.CharField(source="get_field_type_display", read_only=True)

    class Meta:
        model = CustomFieldDefinition
        fields = [
            "id",
            "category",
            "category_label",
            "key",
            "label",
            "field_type",
            "field_type_label",
            "required",
            "choices",
            "order",
            "active",
        ]


class FieldDefinitionInput(serializers.Serializer):
    category = serializers.ChoiceField(label=_("Category"), choices=Category.choices)
    key = serializers.CharField(label=_("Key"), max_length=40)
    label = serializers.CharField(label=_("Label"), max_length=60, allow_blank=True)
    field_type = serializers.ChoiceField(label=_("Type"), choices=FieldType.choices)
    required = serializers.BooleanField(label=_("Required"), default=False)
    choices = serializers.ListField(label=_("Choices"), child=serializers.CharField(), required=False, default=list)
    order = serializers.IntegerField(label=_("Order"), min_value=0, max_value=32767, default=0)
    active = serializers.BooleanField(label=_("Active"), default=True)


class FieldDefinitionViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Custom fields per category (WO-2, WO-9): the centre's configuration, defined without code."""

    serializer_class = FieldDefinitionSerializer
    scope_action = "workorders.view"
    write_actions = {"create": "workorders.manage_fields", "update": "workorders.manage_fields"}
    filterset_fields = ["category", "active"]
    ordering = ["category", "order", "id"]

    def base_queryset(self):
        return CustomFieldDefinition.objects.all()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no real user
            return CustomFieldDefinition.objects.none()
        return selectors.field_definitions_visible_to(self.request.user).order_by("category", "order", "pk")

    @extend_schema(request=FieldDefinitionInput, responses={201: FieldDefinitionSerializer})
    def create(self, request):
        data = FieldDefinitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        definition = services.save_field_definition(user=request.user, **data.validated_data)
        return Response(FieldDefinitionSerializer(definition).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=FieldDefinitionInput, responses=FieldDefinitionSerializer)
    def update(self, request, pk=None):
        data = FieldDefinitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        existing = self.get_object()
        definition = services.save_field_definition(user=request.user, definition_id=existing.pk, **data.validated_data)
        return Response(FieldDefinitionSerializer(definition).data)


class DutySerializer(serializers.ModelSerializer):
    shift_lead_name = serializers.CharField(source="shift_lead.name", read_only=True)

    class Meta:
        model = DutyAssignment
        fields = ["id", "shift_lead", "shift_lead_name", "starts_at", "ends_at"]


class DutyInput(CentreScopedInput):
    shift_lead = serializers.PrimaryKeyRelatedField(label=_("Shift lead"), queryset=Employee.objects.all())
    starts_at = serializers.DateTimeField(label=_("Starts at"))
    ends_at = serializers.DateTimeField(label=_("Ends at"))


class DutyViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Who is the shift lead on duty when (WO-7)."""

    serializer_class = DutySerializer
    scope_action = "workorders.view"
    write_actions = {"create": "workorders.manage_duty"}
    ordering = ["-starts_at"]

    def base_queryset(self):
        return DutyAssignment.objects.select_related("shift_lead")

    @extend_schema(request=DutyInput, responses={201: DutySerializer})
    def create(self, request):
        data = DutyInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        duty = services.record_duty(user=request.user, **data.validated_data)
        return Response(DutySerializer(duty).data, status=status.HTTP_201_CREATED)


class NotificationSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "kind", "kind_label", "text", "link", "work_order", "created_at", "read_at"]


class NotificationViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's own notices (urgent orders, hand-overs, WO-12); nobody reads another's."""

    serializer_class = NotificationSerializer
    scope_action = "workorders.view"
    write_actions = {"read": "workorders.view"}
    filterset_fields = ["kind"]

    def base_queryset(self):
        return Notification.objects.all()

    def get_queryset(self):
        return selectors.notifications_for(self.request.user).order_by("-created_at", "-pk")

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        try:
            notification_id = int(pk)
        except (TypeError, ValueError):
            notification_id = 0
        notice = services.mark_notification_read(user=request.user, notification_id=notification_id, now=timezone.now())
        return Response(NotificationSerializer(notice).data)


def register(router) -> None:
    """Add this app's viewsets to the project router."""
    router.register("work-orders", WorkOrderViewSet, basename="work-order")
    router.register("work-order-fields", FieldDefinitionViewSet, basename="work-order-field")
    router.register("work-order-duties", DutyViewSet, basename="work-order-duty")
    router.register("work-order-notifications", NotificationViewSet, basename="work-order-notification")
