"""HTTP endpoints of the CTI API, version 1 (CT-1; contract in ``docs/cti.md``).

Only a switch token authenticates here: session cookies are ignored (a logged-in browser gets 401)
and CSRF does not apply. The views parse and serialise; ``contact.cti`` does the work.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from banzu.contact import cti
from banzu.contact.models import AgentSession, Switch
from banzu.core.drf import ErrorSerializer

# Far above a 1,000-seat centre's peak (about 200 events a second); a setting, not a policy: it
# protects the servers, not a business rule. Override with REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["cti"].
DEFAULT_CTI_RATE = "1000/s"


# --- authentication, permission, throttle ------------------------------------------------------------


class SwitchTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer <switch token>``; the switch becomes ``request.auth``."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send the switch token as: Authorization: Bearer <token>."))
        try:
            token = parts[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The switch token is not valid.")) from None
        switch = cti.switch_for_token(token)
        if switch is None:
            raise exceptions.AuthenticationFailed(_("The switch token is not valid."))
        return (SwitchPrincipal(switch), switch)

    def authenticate_header(self, request):
        return 'Bearer realm="cti"'


class SwitchPrincipal:
    """``request.user`` of a switch: authenticated, but no person and no roles."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, switch: Switch) -> None:
        self.switch = switch

    def __str__(self) -> str:
        return f"switch:{self.switch.code}"


class IsSwitch(BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, Switch)


class SwitchRateThrottle(SimpleRateThrottle):
    scope = "cti"

    def get_rate(self):
        return self.THROTTLE_RATES.get(self.scope) or DEFAULT_CTI_RATE

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, Switch):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class SwitchTokenScheme(OpenApiAuthenticationExtension):
    target_class = SwitchTokenAuthentication
    name = "switchToken"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Bearer")  # noqa: S106 - the scheme name, not a secret


class SwitchView(APIView):
    """Base of every CTI view: switch token only, no session, no CSRF, a per-switch rate limit."""

    authentication_classes = [SwitchTokenAuthentication]
    permission_classes = [IsSwitch]
    throttle_classes = [SwitchRateThrottle]

    @property
    def switch(self) -> Switch:
        return self.request.auth


# --- serializers ---------------------------------------------------------------------------------------


class TransferTargetSerializer(serializers.Serializer):
    agent = serializers.CharField(label=gettext_lazy("agent"), max_length=20, required=False)
    queue = serializers.CharField(label=gettext_lazy("queue"), max_length=30, required=False)
    number = serializers.CharField(label=gettext_lazy("telephone number"), max_length=30, required=False)

    def validate(self, attrs):
        if len([value for value in attrs.values() if value]) != 1:
            raise serializers.ValidationError(_("Name exactly one of agent, queue or number."), code="one_target")
        return attrs


class PartySerializer(serializers.Serializer):
    agent = serializers.CharField(label=gettext_lazy("agent"), max_length=20, required=False)
    number = serializers.CharField(label=gettext_lazy("telephone number"), max_length=30, required=False)

    def validate(self, attrs):
        if len([value for value in attrs.values() if value]) != 1:
            raise serializers.ValidationError(_("Name either an agent or a telephone number."), code="one_party")
        return attrs


AWAY_REASONS = [reason for reason in AgentSession.AwayReason.values if reason != AgentSession.AwayReason.NOT_ANSWERED]

# Fields each event type needs besides event_id and type.
REQUIRED = {
    "offered": ("call_id", "queue"),
    "transferred": ("call_id", "to"),
    "conferenced": ("call_id", "party"),
    "consulted": ("call_id", "party"),
    "recording_available": ("call_id", "recording"),
    "dialed": ("call_id", "agent", "party"),
    **dict.fromkeys(("far_end_answered", "dial_failed", "courtesy_message"), ("call_id",)),
    "agent_away": ("agent", "away_reason"),
    **dict.fromkeys(("ringing", "answered", "held", "retrieved", "ended"), ("call_id",)),
    **dict.fromkeys(("agent_login", "agent_logout", "agent_ready"), ("agent",)),
}


class EventSerializer(serializers.Serializer):
    """One switch event; which fields a type needs is in docs/cti.md and checked in validate()."""

    event_id = serializers.CharField(label=gettext_lazy("event id"), max_length=100)
    type = serializers.ChoiceField(label=gettext_lazy("event type"), choices=list(cti.EVENT_TYPES))
    at = serializers.DateTimeField(label=gettext_lazy("event time"), required=False)
    call_id = serializers.CharField(label=gettext_lazy("switch call id"), max_length=100, required=False)
    agent = serializers.CharField(label=gettext_lazy("employee number"), max_length=20, required=False)
    queue = serializers.CharField(label=gettext_lazy("queue code"), max_length=30, required=False)
    channel = serializers.CharField(label=gettext_lazy("channel code"), max_length=20, required=False)
    caller_number = serializers.CharField(
        label=gettext_lazy("caller number"), max_length=30, required=False, allow_blank=True
    )
    ivr_path = serializers.ListField(
        label=gettext_lazy("IVR path"),
        child=serializers.CharField(max_length=50),
        max_length=50,
        required=False,
    )
    to = TransferTargetSerializer(required=False)
    party = PartySerializer(required=False)
    phase = serializers.ChoiceField(label=gettext_lazy("phase"), choices=["start", "end"], required=False)
    recording = serializers.CharField(label=gettext_lazy("recording"), max_length=500, required=False)
    away_reason = serializers.ChoiceField(label=gettext_lazy("away reason"), choices=AWAY_REASONS, required=False)
    reason = serializers.CharField(
        label=gettext_lazy("why the call failed"), max_length=100, required=False, allow_blank=True
    )

    def validate(self, attrs):
        missing = {
            field: [serializers.ErrorDetail(_("This event type needs this field."), code="required")]
            for field in REQUIRED[attrs["type"]]
            if not attrs.get(field)
        }
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


class AgentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    employee_no = serializers.CharField()
    name = serializers.CharField()


class AgentStateSerializer(AgentRefSerializer):
    state = serializers.ChoiceField(choices=AgentSession.State.values)
    away_reason = serializers.CharField(allow_blank=True)


class CallSerializer(serializers.Serializer):
    call_id = serializers.CharField()
    contact_id = serializers.IntegerField()
    leg = serializers.IntegerField()
    status = serializers.CharField()
    queue = serializers.CharField(allow_null=True)
    agent = AgentRefSerializer(allow_null=True)


class RouteSerializer(serializers.Serializer):
    call_id = serializers.CharField()
    contact_id = serializers.IntegerField()
    decision = serializers.ChoiceField(choices=["agent", "queue", "none"])
    agent = AgentRefSerializer(allow_null=True)
    queue = serializers.CharField(allow_null=True)
    position = serializers.IntegerField(allow_null=True)
    estimated_wait_seconds = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()


class OfferSerializer(serializers.Serializer):
    call_id = serializers.CharField()
    contact_id = serializers.IntegerField()
    agent = AgentRefSerializer(allow_null=True)


class EventResultSerializer(serializers.Serializer):
    event_id = serializers.CharField()
    type = serializers.CharField()
    duplicate = serializers.BooleanField()
    outcome = serializers.CharField()
    call = CallSerializer(allow_null=True)
    route = RouteSerializer(allow_null=True)
    agent = AgentStateSerializer(allow_null=True)
    offers = OfferSerializer(many=True)


class CallStateSerializer(CallSerializer):
    route = RouteSerializer(allow_null=True)


class RouteRequestSerializer(serializers.Serializer):
    call_id = serializers.CharField(label=gettext_lazy("switch call id"), max_length=100)


class SwitchInfoSerializer(serializers.Serializer):
    version = serializers.CharField()
    switch = serializers.CharField()
    name = serializers.CharField()
    centre = serializers.CharField()


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Malformed body; `fields` names each bad field."),
    401: OpenApiResponse(ErrorSerializer, description="No token, a bad token or a deactivated switch."),
    404: OpenApiResponse(ErrorSerializer, description="Unknown call id or employee number."),
    409: OpenApiResponse(ErrorSerializer, description="Out-of-order or impossible event; nothing changed."),
}


# --- views ---------------------------------------------------------------------------------------------


def apply_event(switch: Switch, data) -> dict:
    """Validate and apply one event body; shared by HTTP and the WebSocket."""
    if not isinstance(data, dict):
        raise exceptions.ValidationError({"non_field_errors": [_("Send the event as a JSON object.")]})
    serializer = EventSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    return cti.handle_event(switch=switch, event=serializer.validated_data, body=data, received_at=timezone.now())


def answer_route(switch: Switch, data) -> dict:
    if not isinstance(data, dict):
        raise exceptions.ValidationError({"non_field_errors": [_("Send the question as a JSON object.")]})
    serializer = RouteRequestSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    return cti.route_call(switch=switch, call_id=serializer.validated_data["call_id"], now=timezone.now())


class CtiRootView(SwitchView):
    """Who am I: the switch the token belongs to."""

    @extend_schema(tags=["cti"], operation_id="cti_whoami", responses={200: SwitchInfoSerializer, 401: ERRORS[401]})
    def get(self, request):
        switch = self.switch
        return Response({"version": "1", "switch": switch.code, "name": switch.name, "centre": switch.centre.code})


class CtiEventView(SwitchView):
    """CT-1: a call or agent event from the switch, applied once per event id (docs/cti.md)."""

    @extend_schema(
        tags=["cti"],
        operation_id="cti_event",
        request=EventSerializer,
        responses={200: EventResultSerializer, **ERRORS},
        examples=[
            OpenApiExample(
                "offered",
                request_only=True,
                value={
                    "event_id": "pbx1-000001",
                    "type": "offered",
                    "call_id": "c-0001",
                    "queue": "TAX",
                    "caller_number": "13912345678",
                    "ivr_path": ["1", "3"],
                },
            ),
            OpenApiExample(
                "answered",
                request_only=True,
                value={"event_id": "pbx1-000002", "type": "answered", "call_id": "c-0001", "agent": "1001"},
            ),
            OpenApiExample(
                "transferred",
                request_only=True,
                value={"event_id": "pbx1-000003", "type": "transferred", "call_id": "c-0001", "to": {"queue": "VIP"}},
            ),
            OpenApiExample(
                "dialed",
                request_only=True,
                value={
                    "event_id": "pbx1-000005",
                    "type": "dialed",
                    "call_id": "c-0002",
                    "agent": "1001",
                    "party": {"number": "02787654321"},
                },
            ),
            OpenApiExample(
                "courtesy_message",
                request_only=True,
                value={"event_id": "pbx1-000006", "type": "courtesy_message", "call_id": "c-0001"},
            ),
            OpenApiExample(
                "agent_away",
                request_only=True,
                value={"event_id": "pbx1-000004", "type": "agent_away", "agent": "1001", "away_reason": "meal"},
            ),
        ],
    )
    def post(self, request):
        return Response(apply_event(self.switch, request.data))


class CtiRouteView(SwitchView):
    """CT-6: where to route a call: the agent it is offered to, or its queue position and wait."""

    @extend_schema(
        tags=["cti"],
        operation_id="cti_route",
        request=RouteRequestSerializer,
        responses={200: RouteSerializer, **ERRORS},
    )
    def post(self, request):
        return Response(answer_route(self.switch, request.data))


class CtiCallView(SwitchView):
    """The current leg of a switch call, with its routing answer while it waits or rings."""

    @extend_schema(
        tags=["cti"],
        operation_id="cti_call",
        parameters=[OpenApiParameter("call_id", str, OpenApiParameter.PATH, description="the switch's call id")],
        responses={200: CallStateSerializer, 401: ERRORS[401], 404: ERRORS[404]},
    )
    def get(self, request, call_id: str):
        return Response(cti.call_state(switch=self.switch, call_id=call_id))


# Views authenticated by a switch token rather than a person's log-in (the meta-tests list them).
SWITCH_VIEWS = (CtiRootView, CtiEventView, CtiRouteView, CtiCallView)
