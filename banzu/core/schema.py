"""OpenAPI schema additions shared by every endpoint.

`document_errors` is a drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS): it documents
the error answers of core.drf.exception_handler, one `{code, message, fields}` shape, on every
operation, so an endpoint added later is covered without work of its own and clients (and the API
fuzzer) know every status an operation can answer.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import AllowAny
from rest_framework.settings import api_settings

ERROR_COMPONENT = "Error"

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error answer: a stable code, a translated sentence and, for bad input, the fields.",
    "properties": {
        "code": {"type": "string", "description": "stable machine-readable reason, e.g. invalid, not_found"},
        "message": {"type": "string", "description": "a whole sentence in the caller's language"},
        "fields": {
            "type": "object",
            "description": "field name → its errors (bad input only)",
            "additionalProperties": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                    "required": ["code", "message"],
                },
            },
        },
    },
    "required": ["code", "message"],
}

DESCRIPTIONS = {
    "400": "Bad input: `fields` names each field and its errors.",
    "401": "No credentials, or credentials that are not valid.",
    "403": "Logged in but not allowed to do this (or the CSRF check failed).",
    "404": "No such record, or a record outside the caller's scope (the same answer).",
    "405": "The method is not allowed here.",
    "406": "None of the accepted media types can be served.",
    "409": "The record is in a state that does not allow this, or a concurrent change won.",
    "413": "The request body is too large.",
    "415": "The request body's media type is not accepted.",
    "429": "Too many requests; retry after the time in `Retry-After`.",
}

WRITE_METHODS = {"post", "put", "patch", "delete"}


def _views_by_operation(generator) -> dict[tuple[str, str], Any]:
    """(path, lower-case method) → the view class drf-spectacular documented for it."""
    found = {}
    for path, _regex, method, callback in getattr(generator, "endpoints", None) or ():
        view = getattr(callback, "cls", None)
        if view is not None:
            found[(path, method.lower())] = view
    return found


def _is_public(view) -> bool:
    classes = getattr(view, "permission_classes", None)
    if classes is None:
        classes = api_settings.DEFAULT_PERMISSION_CLASSES
    return bool(classes) and all(isinstance(c, type) and issubclass(c, AllowAny) for c in classes)


def _is_throttled(view) -> bool:
    return bool(getattr(view, "throttle_classes", None) or api_settings.DEFAULT_THROTTLE_CLASSES)


def error_statuses(method: str, operation: dict, view) -> list[str]:
    """The error statuses core.drf.exception_handler can give this operation."""
    statuses = ["400", "404", "405", "406"]
    if view is None or not _is_public(view):
        statuses += ["401", "403"]
    elif view is not None:
        # A wrong token sent to a public endpoint is still refused by the authentication classes.
        statuses += ["401"]
    if method in WRITE_METHODS:
        statuses += ["409"]
    if "requestBody" in operation:
        statuses += ["413", "415"]
    if view is not None and _is_throttled(view):
        statuses += ["429"]
    return sorted(statuses)


def _merge(existing: dict, reference: dict) -> dict:
    """An already documented response of this status keeps its body and also allows the error shape."""
    content = existing.setdefault("content", {})
    json_body = content.get("application/json")
    if json_body is None:
        content["application/json"] = {"schema": reference}
        return existing
    schema = json_body.get("schema")
    if schema and schema != reference and reference not in schema.get("anyOf", []):
        json_body["schema"] = {"anyOf": [schema, reference]}
    return existing


def document_errors(result: dict, generator, request, public) -> dict:
    """Postprocessing hook: add the error responses to every operation of the schema."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components[ERROR_COMPONENT] = ERROR_SCHEMA
    reference = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    views = _views_by_operation(generator)
    for path, item in (result.get("paths") or {}).items():
        for method, operation in item.items():
            if method not in {"get", "put", "post", "patch", "delete"} or not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            for status in error_statuses(method, operation, views.get((path, method))):
                if status in responses:
                    _merge(responses[status], reference)
                else:
                    responses[status] = {
                        "description": DESCRIPTIONS[status],
                        "content": {"application/json": {"schema": reference}},
                    }
    return result
