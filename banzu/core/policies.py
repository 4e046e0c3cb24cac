"""Policies are data (DESIGN principle 3).

Every number the spec names is declared once, in its app's ``policies.py``, as a ``Policy`` with its
seed default and spec ID. Centres override values (``PolicyValue`` rows, audited by
django-simple-history); services read them with ``policy(key, centre)`` and pass them into rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from banzu.core import memo


class Kind:
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    TEXT = "text"
    TIME = "time"  # "HH:MM" local time of day

    LABELS = {
        INTEGER: _("Integer"),
        DECIMAL: _("Decimal"),
        BOOLEAN: _("Yes/no"),
        TEXT: _("Text"),
        TIME: _("Time of day"),
    }


@dataclass(frozen=True)
class Policy:
    key: str
    default: Any
    spec: str
    label: Any
    kind: str = Kind.INTEGER
    unit: Any = ""
    minimum: Any = None
    maximum: Any = None
    help_text: Any = ""

    @property
    def app(self) -> str:
        return self.key.split(".", 1)[0]

    def parse(self, raw: Any) -> Any:
        """Turn user input into a typed value, or raise PolicyValueError naming the broken rule."""
        return parse_policy_value(self, raw)


class PolicyValueError(ValueError):
    def __init__(self, message: Any, code: str) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code


REGISTRY: dict[str, Policy] = {}


def register(*policies: Policy) -> None:
    for item in policies:
        if item.key in REGISTRY and REGISTRY[item.key] != item:
            raise ValueError(f"Policy {item.key} is declared twice with different definitions.")
        item.parse(item.default)  # a seed default must satisfy its own rules
        REGISTRY[item.key] = item


def definition(key: str) -> Policy:
    try:
        return REGISTRY[key]
    except KeyError:
        raise KeyError(f"Unknown policy {key!r}; declare it in its app's policies.py.") from None


def parse_policy_value(item: Policy, raw: Any) -> Any:
    kind = item.kind
    if kind == Kind.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off", ""}:
            return False
        raise PolicyValueError(_("Enter yes or no."), "boolean")
    if kind == Kind.TEXT:
        value = str(raw).strip()
        if not value:
            raise PolicyValueError(_("This value cannot be empty."), "required")
        return value
    if kind == Kind.TIME:
        text = str(raw).strip()
        parts = text.split(":")
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise PolicyValueError(_("Enter a time as HH:MM, for example 09:00."), "time")
        hours, minutes = int(parts[0]), int(parts[1])
        if not (0 <= hours < 24 and 0 <= minutes < 60):
            raise PolicyValueError(_("Enter a time as HH:MM, for example 09:00."), "time")
        return f"{hours:02d}:{minutes:02d}"
    if kind == Kind.INTEGER:
        if isinstance(raw, bool):
            raise PolicyValueError(_("Enter a whole number."), "integer")
        try:
            value = int(str(raw).strip()) if not isinstance(raw, int) else raw
        except ValueError:
            raise PolicyValueError(_("Enter a whole number."), "integer") from None
    elif kind == Kind.DECIMAL:
        if isinstance(raw, bool):
            raise PolicyValueError(_("Enter a number."), "decimal")
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            raise PolicyValueError(_("Enter a number."), "decimal") from None
        if not value.is_finite():
            raise PolicyValueError(_("Enter a number."), "decimal")
    else:  # pragma: no cover - a declaration error, caught at start-up by register()
        raise ValueError(f"Unknown policy kind {kind!r}")
    if item.minimum is not None and value < item.minimum:
        raise PolicyValueError(_("Enter a value of at least %(minimum)s.") % {"minimum": item.minimum}, "min_value")
    if item.maximum is not None and value > item.maximum:
        raise PolicyValueError(_("Enter a value of at most %(maximum)s.") % {"maximum": item.maximum}, "max_value")
    return value


def to_storage(item: Policy, value: Any) -> Any:
    """JSON-friendly form of a typed value (decimals as strings, so no float rounding)."""
    return str(value) if item.kind == Kind.DECIMAL else value


def from_storage(item: Policy, stored: Any) -> Any:
    return Decimal(stored) if item.kind == Kind.DECIMAL else stored


def _memo_key(centre_id: Any) -> tuple[str, Any]:
    return ("core.policies", centre_id)


def _stored_values(centre_id: Any) -> dict[str, Any]:
    """Every override of the centre, kept by the process until one changes (``core.memo``)."""
    from banzu.core.models import PolicyValue

    return memo.configuration(
        _memo_key(centre_id),
        lambda: dict(PolicyValue.objects.filter(centre_id=centre_id).values_list("key", "value")),
    )


def policy(key: str, centre: Any) -> Any:
    """The value of `key` for `centre` (a Centre or its id): the override, else the seed default."""
    item = definition(key)
    stored = _stored_values(getattr(centre, "pk", centre)).get(key)
    if stored is None:
        return item.default
    return from_storage(item, stored)


def policies_for(centre: Any, keys: list[str] | None = None) -> dict[str, Any]:
    """Many values at once (pages and rules that need several)."""
    wanted = keys or list(REGISTRY)
    values = {key: definition(key).default for key in wanted}
    stored_values = _stored_values(getattr(centre, "pk", centre))
    for key in wanted:
        if key in stored_values:
            values[key] = from_storage(definition(key), stored_values[key])
    return values
