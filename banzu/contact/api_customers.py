"""Customer API (CT-18) under /api/v1/customers/: search, read, create, change and merge.

Names, numbers, ID numbers, email and address come masked for roles without
``contact.view_customer_data``; a customer's contacts and work orders are only those the caller may
see. Writes go through ``contact.customers``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from banzu.contact import customers, selectors
from banzu.contact.models import Customer, CustomerNumber
from banzu.core import scoping
from banzu.core.drf import ScopedViewSetMixin
from banzu.core.errors import OutOfScope, invalid
from banzu.core.masking import mask_address, mask_email, mask_id_number, mask_phone
from banzu.workorders.presentation import display_title


class _Masked(serializers.Serializer):
    """Reads the caller's right to see personal data once per response."""

    def _full(self) -> bool:
        root = self.root if self.root is not None else self
        if "_full" not in root.context:
            request = root.context.get("request")
            root.context["_full"] = bool(request) and customers.shows_personal_data(request.user)
        return root.context["_full"]


class CustomerNumberSerializer(_Masked, serializers.ModelSerializer):
    number = serializers.SerializerMethodField()
    label_display = serializers.CharField(source="get_label_display", read_only=True)

    class Meta:
        model = CustomerNumber
        fields = ["id", "number", "label", "label_display", "primary"]

    def get_number(self, obj) -> str:
        return customers.display_number(obj.number, self._full())


class CustomerSerializer(_Masked, serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    name = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    numbers = CustomerNumberSerializer(many=True, read_only=True)
    is_vip = serializers.BooleanField(read_only=True)
    tags = serializers.ListField(child=serializers.CharField())
    masked = serializers.SerializerMethodField(help_text=_("True when personal data is shown masked to the caller."))

    class Meta:
        model = Customer
        fields = ["id", "kind", "kind_label", "name", "phone", "numbers", "vip_level", "is_vip", "tags", "masked"]

    def get_name(self, obj) -> str:
        return customers.display_name(obj, self._full())

    def get_phone(self, obj) -> str:
        return customers.display_number(obj.phone, self._full())

    def get_masked(self, obj) -> bool:
        return not self._full()


class RecentContactSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    arrived_at = serializers.DateTimeField()
    channel = serializers.CharField(source="channel.code")
    queue = serializers.CharField(source="queue.code", default=None, allow_null=True)
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    agent_name = serializers.CharField(source="agent.name", default=None, allow_null=True)
    caller_number = serializers.CharField()


class RecentWorkOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    title = serializers.CharField()
    category = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    created_at = serializers.DateTimeField()


class CustomerDetailSerializer(CustomerSerializer):
    id_number = serializers.SerializerMethodField()
    email = serializers.SerializerMethodField()
    address = serializers.SerializerMethodField()
    merged_into = serializers.IntegerField(source="merged_into_id", read_only=True, allow_null=True)
    recent_contacts = serializers.SerializerMethodField()
    recent_work_orders = serializers.SerializerMethodField()

    class Meta(CustomerSerializer.Meta):
        fields = [
            *CustomerSerializer.Meta.fields,
            "id_number",
            "email",
            "address",
            "notes",
            "merged_into",
            "created_at",
            "recent_contacts",
            "recent_work_orders",
        ]

    def get_id_number(self, obj) -> str:
        return obj.id_number if self._full() else mask_id_number(obj.id_number)

    def get_email(self, obj) -> str:
        return obj.email if self._full() else (mask_email(obj.email) if obj.email else "")

    def get_address(self, obj) -> str:
        return obj.address if self._full() else mask_address(obj.address)

    def _card(self, obj) -> dict:
        cache = self.context.setdefault("_cards", {})
        if obj.pk not in cache:
            request = self.context.get("request")
            cache[obj.pk] = selectors.customer_card(obj, request.user if request else None)
        return cache[obj.pk]

    @extend_schema_field(RecentContactSerializer(many=True))
    def get_recent_contacts(self, obj) -> list:
        full = self._full()
        rows = []
        for contact in self._card(obj)["contacts"]:
            data = RecentContactSerializer(contact).data
            data["caller_number"] = contact.caller_number if full else mask_phone(contact.caller_number)
            rows.append(data)
        return rows

    @extend_schema_field(RecentWorkOrderSerializer(many=True))
    def get_recent_work_orders(self, obj) -> list:
        rows = []
        for order in self._card(obj)["work_orders"]:
            data = RecentWorkOrderSerializer(order).data
            data["title"] = display_title(order)
            rows.append(data)
        return rows


class NumberInput(serializers.Serializer):
    number = serializers.CharField(max_length=30)
    label = serializers.ChoiceField(choices=CustomerNumber.Label.choices, default=CustomerNumber.Label.MOBILE)
    primary = serializers.BooleanField(default=False)


class CustomerInput(serializers.Serializer):
    """A customer's fields; on PATCH only those sent change, and `numbers`, when sent, replaces the list."""

    kind = serializers.ChoiceField(choices=Customer.Kind.choices, default=Customer.Kind.PERSON)
    name = serializers.CharField(max_length=100, allow_blank=True, default="")
    id_number = serializers.CharField(max_length=30, allow_blank=True, default="")
    email = serializers.EmailField(allow_blank=True, default="")
    address = serializers.CharField(max_length=200, allow_blank=True, default="")
    notes = serializers.CharField(max_length=2000, allow_blank=True, default="")
    vip_level = serializers.IntegerField(min_value=0, default=0)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=customers.MAX_TAG_LENGTH), max_length=50, default=list
    )
    numbers = NumberInput(many=True, required=False, max_length=20)


class MergeInput(serializers.Serializer):
    source = serializers.IntegerField(
        min_value=1, help_text=_("The customer folded into this one; it stays, marked as merged.")
    )


LIST_PARAMETERS = [
    OpenApiParameter("q", str, description="A name, or a whole or partial phone number."),
    OpenApiParameter("number", str, description="A whole or partial phone number (any of the customer's numbers)."),
    OpenApiParameter("vip", bool, description="Only VIP customers (true) or only others (false)."),
    OpenApiParameter("tag", str, description="Customers carrying this tag."),
]


def _flag(raw: str | None) -> bool | None:
    if raw in ("1", "true", "True"):
        return True
    if raw in ("0", "false", "False"):
        return False
    return None


class CustomerViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Customers of the caller's centre (客户资料, CT-18), masked as the caller's role requires."""

    scope_action = customers.VIEW
    write_actions = {"create": customers.EDIT, "partial_update": customers.EDIT, "merge": customers.MERGE}
    filter_backends: list = []

    def base_queryset(self):
        return Customer.objects.filter(merged_into__isnull=True).prefetch_related("numbers").order_by("name", "pk")

    def get_queryset(self):
        if self.action == "list":
            params = self.request.query_params
            return selectors.search_customers(
                self.request.user,
                q=params.get("q", ""),
                number=params.get("number", ""),
                vip=_flag(params.get("vip")),
                tag=params.get("tag", ""),
            )
        return super().get_queryset()

    def get_serializer_class(self):
        return CustomerSerializer if self.action == "list" else CustomerDetailSerializer

    def _detail(self, pk: int, status_code: int = status.HTTP_200_OK) -> Response:
        customer = scoping.get_in_scope(self.base_queryset(), self.request.user, customers.VIEW, pk=pk)
        data = CustomerDetailSerializer(customer, context=self.get_serializer_context()).data
        return Response(data, status=status_code)

    def _scoped(self, pk) -> Customer:
        """Out of scope answers 404 before the input is read."""
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            raise OutOfScope() from None
        return scoping.get_in_scope(self.base_queryset(), self.request.user, self.write_actions[self.action], pk=pk)

    @extend_schema(parameters=LIST_PARAMETERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=CustomerInput, responses={201: CustomerDetailSerializer})
    def create(self, request, *args, **kwargs):
        data = CustomerInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        numbers = values.pop("numbers", [])
        customer = customers.create_customer(user=request.user, values=values, numbers=numbers)
        return self._detail(customer.pk, status.HTTP_201_CREATED)

    @extend_schema(request=CustomerInput, responses=CustomerDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        customer = self._scoped(kwargs.get("pk"))
        data = CustomerInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        numbers = values.pop("numbers", None)
        customers.update_customer(user=request.user, customer_id=customer.pk, values=values, numbers=numbers)
        return self._detail(customer.pk)

    @extend_schema(request=MergeInput, responses=CustomerDetailSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        target = self._scoped(pk)
        data = MergeInput(data=request.data)
        data.is_valid(raise_exception=True)
        source_id = data.validated_data["source"]
        if not scoping.restrict(self.base_queryset(), request.user, customers.MERGE).filter(pk=source_id).exists():
            raise invalid("source", _("No such customer."), code="does_not_exist")
        customers.merge_customers(user=request.user, target_id=target.pk, source_id=source_id)
        return self._detail(target.pk)


def register(router) -> None:
    router.register("customers", CustomerViewSet, basename="customer")
