"""Shared API pieces: one error shape, pagination and the scoped base viewset.

Kept apart from the endpoint modules because DRF reads the pagination class and the exception
handler from settings while generic views are being defined.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from banzu.core import scoping
from banzu.core.errors import Conflict, NotAllowed, OutOfScope


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.DictField()), required=False)


def _field_errors(detail) -> dict:
    """DRF's nested error detail → {field: [{"code", "message"}]}."""
    out: dict[str, list[dict]] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list):
            for index, inner in enumerate(value):
                if isinstance(inner, (dict, list)):
                    walk(f"{prefix}[{index}]" if prefix else str(index), inner)
                else:
                    walk(prefix, inner)
        else:
            out.setdefault(prefix or "non_field_errors", []).append(
                {"code": getattr(value, "code", "invalid"), "message": str(value)}
            )

    walk("", detail)
    return out


def exception_handler(exc, context):
    """One JSON shape for every error: {"code", "message", "fields"} (style guide §5)."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        codes = {}
        if hasattr(exc, "error_dict"):
            codes = {field: [e.code for e in errors] for field, errors in exc.error_dict.items()}
        fields = {
            field: [
                {"code": (codes.get(field) or [None] * len(msgs))[i] or "invalid", "message": msg}
                for i, msg in enumerate(msgs)
            ]
            for field, msgs in detail.items()
        }
        first = next(iter(fields.values()))[0]["message"] if fields else _("Invalid input.")
        return Response({"code": "invalid", "message": first, "fields": fields}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, OutOfScope):
        exc = Http404()
    if isinstance(exc, NotAllowed):
        return Response(
            {"code": exc.code, "message": str(exc.message or _("You do not have permission to do this."))},
            status=status.HTTP_403_FORBIDDEN,
        )
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, Conflict):
        return Response({"code": exc.code, "message": str(exc.message)}, status=status.HTTP_409_CONFLICT)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _field_errors(exc.detail)
        first = next(iter(fields.values()))[0]["message"] if fields else _("Invalid input.")
        response.data = {"code": "invalid", "message": first, "fields": fields}
    elif isinstance(exc, Http404):
        response.data = {"code": "not_found", "message": _("Not found.")}
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        response.data = {"code": getattr(detail, "code", exc.default_code), "message": str(detail)}
    return response


class ScopedViewSetMixin:
    """A viewset whose queryset and permissions come from core.scoping.

    Subclasses name `scope_action` (the read action) and, for writes, `write_actions`
    ({"create": "org.change_employee", …}); the meta-tests check every API view does.
    """

    scope_action: str = ""
    write_actions: dict[str, str] = {}

    def get_queryset(self):
        return scoping.restrict(self.base_queryset(), self.request.user, self.scope_action)

    def base_queryset(self):
        raise NotImplementedError

    def check_permissions(self, request):
        super().check_permissions(request)
        action_name = self.write_actions.get(getattr(self, "action", None) or "", self.scope_action)
        if not scoping.can(request.user, action_name):
            raise exceptions.PermissionDenied(_("You do not have permission to do this."))
