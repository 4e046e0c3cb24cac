"""One way to say "bad input" and "lost race" everywhere (style guide §5)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


def invalid(field: str, message: Any, *, code: str, params: dict | None = None) -> ValidationError:
    """A ValidationError naming the field, the rule (code) and a whole translated sentence."""
    return ValidationError({field: ValidationError(message, code=code, params=params)})


class Conflict(Exception):
    """The request was valid but lost a race or met the record in the wrong state (HTTP 409)."""

    def __init__(self, message: Any, *, code: str = "conflict") -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code


class OutOfScope(Exception):
    """The record does not exist for this user (HTTP 404, same answer as a missing record)."""


class NotAllowed(Exception):
    """The user sees the record but may not do this (HTTP 403)."""

    def __init__(self, message: Any = None, *, code: str = "not_allowed") -> None:
        super().__init__(str(message) if message else code)
        self.message = message
        self.code = code
