"""Agent console actions over the API (CT-10): the logged-in agent's own state, calls and messages.

Every action acts for the caller only (``contact.console`` and ``contact.services`` check it), is
refused with 409 and a clear sentence when the agent's or the contact's state does not allow it,
and answers with the record it changed.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from banzu.contact import console, services
from banzu.contact.api import AgentStateSerializer, ContactSerializer
from banzu.contact.models import AgentMessage, AgentMessageRecipient, AgentSession, ContactEvent, Queue
from banzu.core import scoping
from banzu.core.drf import ScopedViewSetMixin
from banzu.org.models import Employee

AWAY_REASONS = [r for r in AgentSession.AwayReason.values if r != AgentSession.AwayReason.NOT_ANSWERED]

# --- inputs -------------------------------------------------------------------------------------------


class StateInput(serializers.Serializer):
    action = serializers.ChoiceField(label=_("action"), choices=["login", "logout", "ready", "away"])
    away_reason = serializers.ChoiceField(label=_("away reason"), choices=AWAY_REASONS, required=False)


class WorkModeInput(serializers.Serializer):
    work_mode = serializers.ChoiceField(label=_("work mode"), choices=AgentSession.WorkMode.choices)


class DialInput(serializers.Serializer):
    number = serializers.CharField(label=_("telephone number"), max_length=30)


class InternalCallInput(serializers.Serializer):
    employee_no = serializers.CharField(label=_("employee number"), max_length=20)


class TransferInput(serializers.Serializer):
    employee_no = serializers.CharField(label=_("agent"), max_length=20, required=False)
    queue = serializers.CharField(label=_("queue"), max_length=30, required=False)
    number = serializers.CharField(label=_("telephone number"), max_length=30, required=False)

    def validate(self, attrs):
        if len([value for value in attrs.values() if value]) != 1:
            raise serializers.ValidationError(
                _("Transfer to exactly one agent, queue or telephone number."), code="one_target"
            )
        return attrs


class LegInput(serializers.Serializer):
    employee_no = serializers.CharField(label=_("agent"), max_length=20, required=False)
    number = serializers.CharField(label=_("telephone number"), max_length=30, required=False)
    phase = serializers.ChoiceField(label=_("phase"), choices=["start", "end"], default="start")

    def validate(self, attrs):
        if bool(attrs.get("employee_no")) == bool(attrs.get("number")):
            raise serializers.ValidationError(_("Name either an agent or a telephone number."), code="one_party")
        return attrs


class WrapUpInput(serializers.Serializer):
    disposition = serializers.CharField(label=_("disposition"), max_length=50, required=False, allow_blank=True)


class TransferResultSerializer(serializers.Serializer):
    ended = ContactSerializer()
    new = ContactSerializer(allow_null=True)


# --- the agent's state and calls -----------------------------------------------------------------------


def _colleague(agent: Employee, employee_no: str, field: str = "employee_no") -> Employee:
    from banzu.core.errors import invalid

    found = Employee.objects.filter(centre_id=agent.centre_id, employee_no=employee_no).first()
    if found is None:
        raise invalid(field, _("No colleague has this employee number."), code="unknown_agent")
    return found


class ConsoleViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    """The caller's own agent state (CT-9) and the calls they place (外拨, 内呼, CT-10)."""

    scope_action = "contact.set_own_state"
    write_actions = {
        "state": "contact.set_own_state",
        "work_mode": "contact.set_own_state",
        "dial": "contact.handle_calls",
        "internal_call": "contact.handle_calls",
    }
    serializer_class = AgentStateSerializer

    def base_queryset(self):
        return AgentSession.objects.select_related("employee__team")

    def _session(self, agent: Employee) -> AgentSession:
        session, _created = AgentSession.objects.get_or_create(employee=agent, defaults={"state_since": timezone.now()})
        return AgentSession.objects.select_related("employee__team").get(pk=session.pk)

    @extend_schema(methods=["GET"], request=None, responses=AgentStateSerializer)
    @extend_schema(methods=["POST"], request=StateInput, responses=AgentStateSerializer)
    @action(detail=False, methods=["get", "post"])
    def state(self, request):
        """GET: my state. POST: log in, log out, ready, or away with a reason (illegal transitions: 409)."""
        agent = console.acting_agent(request.user, "contact.set_own_state")
        if request.method == "POST":
            data = StateInput(data=request.data)
            data.is_valid(raise_exception=True)
            services.set_agent_state(
                agent=agent,
                action=data.validated_data["action"],
                away_reason=data.validated_data.get("away_reason", ""),
                now=timezone.now(),
                by=request.user,
            )
        return Response(AgentStateSerializer(self._session(agent)).data)

    @extend_schema(request=WorkModeInput, responses=AgentStateSerializer)
    @action(detail=False, methods=["post"], url_path="work-mode")
    def work_mode(self, request):
        """Auto answer or manual answer."""
        agent = console.acting_agent(request.user, "contact.set_own_state")
        data = WorkModeInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.set_work_mode(agent=agent, mode=data.validated_data["work_mode"], now=timezone.now())
        return Response(AgentStateSerializer(self._session(agent)).data)

    @extend_schema(request=DialInput, responses={201: ContactSerializer})
    @action(detail=False, methods=["post"])
    def dial(self, request):
        """Outbound dial (外拨): I ring an outside number; the switch reports the far end."""
        agent = console.acting_agent(request.user)
        data = DialInput(data=request.data)
        data.is_valid(raise_exception=True)
        contact = console.dial_out(
            agent=agent, number=data.validated_data["number"], now=timezone.now(), by=request.user
        )
        return Response(ContactSerializer(contact, context={"request": request}).data, status=201)

    @extend_schema(request=InternalCallInput, responses={201: ContactSerializer})
    @action(detail=False, methods=["post"], url_path="internal-call")
    def internal_call(self, request):
        """Internal call (内呼): I call a ready colleague by employee number."""
        agent = console.acting_agent(request.user)
        data = InternalCallInput(data=request.data)
        data.is_valid(raise_exception=True)
        contact = console.internal_call(
            agent=agent, callee_no=data.validated_data["employee_no"], now=timezone.now(), by=request.user
        )
        return Response(ContactSerializer(contact, context={"request": request}).data, status=201)


class ConsoleContactViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The contacts I am on now (holding them or joined to them) and what I do with them (CT-10)."""

    serializer_class = ContactSerializer
    scope_action = "contact.handle_calls"
    write_actions = dict.fromkeys(
        ("answer", "hold", "take_back", "transfer", "consult", "conference", "end", "wrap_up"),
        "contact.handle_calls",
    )

    def base_queryset(self):
        return services.Contact.objects.select_related("channel", "queue", "agent", "customer")

    def get_queryset(self):
        me = scoping.actor_for(self.request.user).employee_id
        mine = Q(agent_id=me, status__in=services.LIVE_STATUSES) | Q(
            parties__agent_id=me, parties__ended_at__isnull=True
        )
        # Own contacts only, by construction: held by me, or a call I was brought into (not in the
        # holder-based scope paths of contact.Contact).
        return self.base_queryset().filter(mine).distinct().order_by("-arrived_at", "-pk")

    def _answer(self, contact):
        contact.refresh_from_db()
        return Response(ContactSerializer(contact, context={"request": self.request}).data)

    @extend_schema(request=None, responses=ContactSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """Answer a contact ringing on my console (manual answer, or a colleague's internal call)."""
        contact = self.get_object()
        return self._answer(console.answer_call(contact_id=contact.pk, now=timezone.now(), by=request.user))

    @extend_schema(request=None, responses=ContactSerializer)
    @action(detail=True, methods=["post"])
    def hold(self, request, pk=None):
        """Put my call on hold (保持)."""
        contact = self._held_by_me()
        return self._answer(services.hold_contact(contact_id=contact.pk, now=timezone.now()))

    @extend_schema(request=None, responses=ContactSerializer)
    @action(detail=True, methods=["post"], url_path="retrieve")
    def take_back(self, request, pk=None):
        """Take my held call back (接回)."""
        contact = self._held_by_me()
        return self._answer(services.retrieve_contact(contact_id=contact.pk, now=timezone.now()))

    @extend_schema(request=TransferInput, responses=TransferResultSerializer)
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        """Transfer my call (转接) to an agent, a queue or an outside number."""
        contact = self._held_by_me()
        data = TransferInput(data=request.data)
        data.is_valid(raise_exception=True)
        target = data.validated_data
        agent = console.acting_agent(request.user)
        to_queue = None
        if target.get("queue"):
            to_queue = Queue.objects.filter(centre_id=agent.centre_id, code=target["queue"], active=True).first()
            if to_queue is None:
                from banzu.core.errors import invalid

                raise invalid("queue", _("No queue has this code."), code="unknown_queue")
        ended, new = console.transfer_call(
            contact_id=contact.pk,
            now=timezone.now(),
            to_agent=_colleague(agent, target["employee_no"]) if target.get("employee_no") else None,
            to_queue=to_queue,
            to_number=target.get("number") or "",
        )
        context = {"request": request}
        return Response(
            {
                "ended": ContactSerializer(ended, context=context).data,
                "new": ContactSerializer(new, context=context).data if new else None,
            }
        )

    def _leg(self, request, kind: str):
        contact = self._held_by_me()
        data = LegInput(data=request.data)
        data.is_valid(raise_exception=True)
        agent = console.acting_agent(request.user)
        party = data.validated_data
        return self._answer(
            console.call_leg(
                contact_id=contact.pk,
                kind=kind,
                now=timezone.now(),
                agent=_colleague(agent, party["employee_no"]) if party.get("employee_no") else None,
                number=party.get("number") or "",
                phase=party["phase"],
                by=request.user,
            )
        )

    @extend_schema(request=LegInput, responses=ContactSerializer)
    @action(detail=True, methods=["post"])
    def consult(self, request, pk=None):
        """Consult (咨询) a colleague (内部) or an outside number (外部); phase end finishes it."""
        return self._leg(request, ContactEvent.Kind.CONSULTED)

    @extend_schema(request=LegInput, responses=ContactSerializer)
    @action(detail=True, methods=["post"])
    def conference(self, request, pk=None):
        """Bring a colleague or an outside number into a three-party call (三方会议); phase end lets them go."""
        return self._leg(request, ContactEvent.Kind.CONFERENCED)

    @extend_schema(request=None, responses=ContactSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        """Hang up: a call still ringing out is cancelled; otherwise after-call work starts."""
        contact = self.get_object()
        return self._answer(console.end_call(contact_id=contact.pk, now=timezone.now(), by=request.user))

    @extend_schema(request=WrapUpInput, responses=ContactSerializer)
    @action(detail=True, methods=["post"], url_path="wrap-up")
    def wrap_up(self, request, pk=None):
        """Finish after-call work (话后处理) with an optional disposition; I am ready again."""
        contact = self._held_by_me()
        data = WrapUpInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(
            services.finish_acw(
                contact_id=contact.pk, now=timezone.now(), disposition=data.validated_data.get("disposition") or ""
            )
        )

    def _held_by_me(self):
        """The contact, if I hold it (not merely joined to it): only the holder holds, transfers, wraps up."""
        contact = self.get_object()
        if contact.agent_id != scoping.actor_for(self.request.user).employee_id:
            from banzu.core.errors import NotAllowed

            raise NotAllowed(_("Only the agent holding the call can do this."), code="not_holder")
        return contact


# --- agent messages -----------------------------------------------------------------------------------


class MessageInput(serializers.Serializer):
    audience = serializers.ChoiceField(
        label=_("send to"), choices=AgentMessage.Audience.choices, default=AgentMessage.Audience.EMPLOYEE
    )
    recipient = serializers.IntegerField(label=_("recipient"), required=False, min_value=1)
    team = serializers.IntegerField(label=_("team"), required=False, min_value=1)
    contact = serializers.IntegerField(label=_("contact"), required=False, min_value=1)
    text = serializers.CharField(label=_("message"), max_length=2000)


class MessageSerializer(serializers.ModelSerializer):
    sender_no = serializers.CharField(source="sender.employee_no", read_only=True)
    sender_name = serializers.CharField(source="sender.name", read_only=True)
    audience_label = serializers.CharField(source="get_audience_display", read_only=True)
    recipients = serializers.SerializerMethodField()

    class Meta:
        model = AgentMessage
        fields = [
            "id",
            "sender",
            "sender_no",
            "sender_name",
            "audience",
            "audience_label",
            "team",
            "contact",
            "text",
            "sent_at",
            "recipients",
        ]

    def get_recipients(self, obj) -> int:
        return obj.recipients.count()


class InboxSerializer(serializers.ModelSerializer):
    """A message I received, with when I read it. `id` is the message's id."""

    id = serializers.IntegerField(source="message_id", read_only=True)
    sender = serializers.IntegerField(source="message.sender_id", read_only=True)
    sender_no = serializers.CharField(source="message.sender.employee_no", read_only=True)
    sender_name = serializers.CharField(source="message.sender.name", read_only=True)
    audience = serializers.CharField(source="message.audience", read_only=True)
    contact = serializers.IntegerField(source="message.contact_id", read_only=True, allow_null=True)
    text = serializers.CharField(source="message.text", read_only=True)
    sent_at = serializers.DateTimeField(source="message.sent_at", read_only=True)

    class Meta:
        model = AgentMessageRecipient
        fields = ["id", "sender", "sender_no", "sender_name", "audience", "contact", "text", "sent_at", "read_at"]


class AgentMessageViewSet(ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Messages between agents and supervisors (坐席消息, CT-10): my inbox, what I sent, sending, reading."""

    serializer_class = InboxSerializer
    scope_action = "contact.send_agent_messages"
    write_actions = {"create": "contact.send_agent_messages", "read": "contact.send_agent_messages"}
    lookup_field = "message_id"
    lookup_url_kwarg = "pk"
    lookup_value_regex = r"\d+"

    def base_queryset(self):
        return AgentMessageRecipient.objects.select_related("message__sender")

    def get_queryset(self):
        # Only my own inbox, whatever my scope: leaders do not read others' messages.
        me = scoping.actor_for(self.request.user).employee_id
        return super().get_queryset().filter(recipient_id=me).order_by("-message__sent_at", "-pk")

    @extend_schema(request=MessageInput, responses={201: MessageSerializer})
    def create(self, request):
        """Send a message to one person, a team or everyone on duty in my scope; pushed to their pages."""
        data = MessageInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        message = console.send_message(
            user=request.user,
            audience=values["audience"],
            text=values["text"],
            now=timezone.now(),
            recipient_id=values.get("recipient"),
            team_id=values.get("team"),
            contact_id=values.get("contact"),
        )
        return Response(MessageSerializer(message).data, status=201)

    @extend_schema(request=None, responses=MessageSerializer(many=True))
    @action(detail=False, methods=["get"], filter_backends=[])
    def sent(self, request):
        """Messages I sent, newest first."""
        me = scoping.actor_for(request.user).employee_id
        rows = scoping.restrict(
            AgentMessage.objects.select_related("sender").prefetch_related("recipients"),
            request.user,
            "contact.send_agent_messages",
        ).filter(sender_id=me)
        page = self.paginate_queryset(rows.order_by("-sent_at", "-pk"))
        return self.get_paginated_response(MessageSerializer(page, many=True).data)

    @extend_schema(request=None, responses=InboxSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark a message I received as read."""
        row = self.get_object()
        row = console.mark_read(user=request.user, message_id=row.message_id, now=timezone.now())
        return Response(InboxSerializer(row).data)


def register(router) -> None:
    router.register("console/contacts", ConsoleContactViewSet, basename="console-contact")
    router.register("console", ConsoleViewSet, basename="console")
    router.register("agent-messages", AgentMessageViewSet, basename="agent-message")
