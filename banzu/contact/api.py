"""Read API of contacts and routing under /api/v1/: queues, contacts, agent states (CT-5, CT-9, CT-15).

Customer phone numbers and names are masked for roles without `contact.view_customer_data` (CT-18).
The switch-facing CTI API is separate and calls ``contact.services``.
"""

from __future__ import annotations

from typing import Any

from django_filters import rest_framework as filters
from rest_framework import serializers, viewsets

from banzu.contact import api_customers, api_statistics, selectors
from banzu.contact.models import AgentSession, Contact, Queue
from banzu.core import scoping
from banzu.core.drf import ScopedViewSetMixin
from banzu.core.masking import mask_name, mask_phone
from banzu.core.policies import policies_for

SERVICE_LEVEL_KEYS = ["contact.service_level_percent", "contact.service_level_seconds"]


class QueueSerializer(serializers.ModelSerializer):
    """A queue with its effective service-level target: its own, else the centre's policy."""

    channel = serializers.CharField(source="channel.code", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)
    overflow_queue = serializers.CharField(source="overflow_queue.code", read_only=True, default=None)
    strategy_label = serializers.CharField(source="get_strategy_display", read_only=True)
    service_level_percent = serializers.SerializerMethodField()
    service_level_seconds = serializers.SerializerMethodField()
    waiting = serializers.IntegerField(read_only=True)

    class Meta:
        model = Queue
        fields = [
            "id",
            "code",
            "name",
            "channel",
            "department",
            "department_name",
            "priority",
            "strategy",
            "strategy_label",
            "service_level_percent",
            "service_level_seconds",
            "max_wait_seconds",
            "overflow_queue",
            "overflow_after_seconds",
            "closed_on_non_working_days",
            "active",
            "waiting",
        ]

    def _defaults(self, centre_id: int) -> dict[str, Any]:
        cache = self.context.setdefault("_policies", {})
        if centre_id not in cache:
            cache[centre_id] = policies_for(centre_id, SERVICE_LEVEL_KEYS)
        return cache[centre_id]

    def get_service_level_percent(self, obj) -> int:
        return obj.service_level_percent or self._defaults(obj.centre_id)["contact.service_level_percent"]

    def get_service_level_seconds(self, obj) -> int:
        return obj.service_level_seconds or self._defaults(obj.centre_id)["contact.service_level_seconds"]


class ContactSerializer(serializers.ModelSerializer):
    channel = serializers.CharField(source="channel.code", read_only=True)
    queue = serializers.CharField(source="queue.code", read_only=True, default=None)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    agent_no = serializers.CharField(source="agent.employee_no", read_only=True, default=None)
    agent_name = serializers.CharField(source="agent.name", read_only=True, default=None)
    caller_number = serializers.SerializerMethodField()
    customer_name = serializers.SerializerMethodField()
    vip_level = serializers.IntegerField(source="customer_priority", read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "external_id",
            "channel",
            "queue",
            "direction",
            "status",
            "status_label",
            "priority",
            "vip_level",
            "caller_number",
            "customer",
            "customer_name",
            "ivr_path",
            "agent",
            "agent_no",
            "agent_name",
            "arrived_at",
            "queued_at",
            "offered_at",
            "answered_at",
            "ended_at",
            "closed_at",
            "wait_seconds",
            "talk_seconds",
            "hold_seconds",
            "acw_seconds",
            "offer_count",
            "disposition",
            "recording_ref",
            "transcript_ref",
            "rating",
            "callback_for",
        ]

    def _full(self) -> bool:
        if "_full" not in self.context:
            request = self.context.get("request")
            self.context["_full"] = bool(request) and scoping.can(request.user, "contact.view_customer_data")
        return self.context["_full"]

    def get_caller_number(self, obj) -> str:
        return obj.caller_number if self._full() else mask_phone(obj.caller_number)

    def get_customer_name(self, obj) -> str | None:
        if obj.customer is None:
            return None
        return obj.customer.name if self._full() else mask_name(obj.customer.name)


class ContactFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=Contact.Status.choices)
    queue = filters.CharFilter(field_name="queue__code")
    channel = filters.CharFilter(field_name="channel__code")
    agent = filters.NumberFilter(field_name="agent_id")
    arrived_after = filters.IsoDateTimeFilter(field_name="arrived_at", lookup_expr="gte")
    arrived_before = filters.IsoDateTimeFilter(field_name="arrived_at", lookup_expr="lt")

    class Meta:
        model = Contact
        fields = ["status", "queue", "channel", "agent", "direction"]


class AgentStateSerializer(serializers.ModelSerializer):
    employee_no = serializers.CharField(source="employee.employee_no", read_only=True)
    name = serializers.CharField(source="employee.name", read_only=True)
    team = serializers.IntegerField(source="employee.team_id", read_only=True)
    team_name = serializers.CharField(source="employee.team.name", read_only=True, default=None)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    away_reason_label = serializers.CharField(source="get_away_reason_display", read_only=True)

    class Meta:
        model = AgentSession
        fields = [
            "id",
            "employee",
            "employee_no",
            "name",
            "team",
            "team_name",
            "state",
            "state_label",
            "away_reason",
            "away_reason_label",
            "state_since",
            "work_mode",
            "idle_since",
            "live_contacts",
            "logged_in_at",
        ]


class QueueViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Queues of the caller's department (centre-wide roles: every queue), with the number waiting."""

    serializer_class = QueueSerializer
    scope_action = "contact.view_queues"
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "priority"]
    filterset_fields = ["active", "department"]

    def base_queryset(self):
        return selectors.queue_rows().order_by("-priority", "code")


class ContactViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Contact records (通话记录 / 会话记录, CT-15): own, team, department or centre by role (ORG-7)."""

    serializer_class = ContactSerializer
    scope_action = "contact.view_contacts"
    filterset_class = ContactFilter
    ordering_fields = ["arrived_at", "wait_seconds", "talk_seconds"]

    def base_queryset(self):
        return selectors.contact_rows().order_by("-arrived_at", "-pk")


class AgentStateViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Agents' live states (坐席状态, CT-9) within the caller's scope."""

    serializer_class = AgentStateSerializer
    scope_action = "contact.view_agent_states"
    filterset_fields = ["state"]
    ordering_fields = ["state_since", "employee__employee_no"]

    def base_queryset(self):
        return selectors.agent_state_rows().order_by("employee__employee_no")


def register(router) -> None:
    router.register("queues", QueueViewSet, basename="queue")
    router.register("contacts", ContactViewSet, basename="contact")
    router.register("agent-states", AgentStateViewSet, basename="agent-state")
    api_statistics.register(router)  # statistics, exceptions, recordings, IVR (CT-4, CT-12, CT-16, CT-17)
    api_customers.register(router)  # CT-18
    # Imported here: the console's endpoints reuse this module's serializers.
    from banzu.contact import api_console

    api_console.register(router)  # CT-10
