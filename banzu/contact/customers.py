"""Customer records (CT-18): create, change, numbers, VIP, tags and merge.

The pure rules come first (number format, tags, search kind); the services below them write inside
``transaction.atomic`` and check the caller's permission through ``core.scoping``. A number belongs
to one customer of a centre: a duplicate is refused naming the other customer as the caller may see
them (masked for roles without ``contact.view_customer_data``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from banzu.contact.models import Contact, Customer, CustomerNumber
from banzu.core import scoping
from banzu.core.errors import Conflict, NotAllowed, invalid
from banzu.core.masking import mask_name, mask_phone
from banzu.core.policies import policy

VIEW = "contact.view_customers"
EDIT = "contact.edit_customers"
MERGE = "contact.merge_customers"
UNMASK = "contact.view_customer_data"
HISTORY = "contact.view_customer_history"

# Telephone numbering, not policy: short service numbers (110, 95566) up to E.164's fifteen digits.
MIN_NUMBER_DIGITS = 3
MAX_NUMBER_DIGITS = 15
MAX_TAG_LENGTH = 20
PERSONAL_FIELDS = ("name", "id_number", "email", "address")
VALUE_FIELDS = ("kind", "name", "id_number", "email", "address", "notes", "vip_level", "tags")


# --- pure rules ----------------------------------------------------------------------------------------


def normalise_number(raw: str) -> str:
    """'010-8888 6666' → '01088886666': spaces and dashes go, a leading + stays."""
    return "".join(str(raw).split()).replace("-", "")


def number_problem(raw: str) -> str | None:
    """Why `raw` is not a telephone number (a rule code), or None. Digits, dashes, spaces, one leading +."""
    text = normalise_number(raw)
    if not text:
        return "required"
    body = text[1:] if text.startswith("+") else text
    if not body.isdigit() or not body.isascii():
        return "number_format"
    if not MIN_NUMBER_DIGITS <= len(body) <= MAX_NUMBER_DIGITS:
        return "number_length"
    return None


def clean_tags(tags: Iterable[Any]) -> list[str]:
    """Tags trimmed, blank ones dropped, duplicates dropped keeping the first spelling and order."""
    out: list[str] = []
    for tag in tags:
        text = " ".join(str(tag).split())
        if text and text not in out:
            out.append(text)
    return out


def tag_problem(tags: Sequence[str]) -> str | None:
    return "tag_length" if any(len(tag) > MAX_TAG_LENGTH for tag in tags) else None


def is_number_query(query: str, min_digits: int) -> bool:
    """A search box entry is looked up among numbers when it is at least `min_digits` digits (dashes,
    spaces and a leading + allowed); anything else is looked up among names."""
    text = normalise_number(query)
    body = text[1:] if text.startswith("+") else text
    return bool(body) and body.isascii() and body.isdigit() and len(body) >= min_digits


def primary_index(rows: Sequence[dict]) -> int | None:
    """The row that is the primary number: the one marked, else the first; None when there are none."""
    if not rows:
        return None
    marked = [i for i, row in enumerate(rows) if row.get("primary")]
    return marked[0] if marked else 0


def merged_values(target: dict, source: dict) -> dict:
    """What the kept record holds after a merge: its own values, gaps filled from the other record,
    tags of both, the higher VIP level and both notes."""
    out = dict(target)
    for field in PERSONAL_FIELDS:
        if not out.get(field):
            out[field] = source.get(field, "")
    out["tags"] = clean_tags([*(target.get("tags") or []), *(source.get("tags") or [])])
    out["vip_level"] = max(target.get("vip_level") or 0, source.get("vip_level") or 0)
    notes = [n for n in (target.get("notes"), source.get("notes")) if n]
    out["notes"] = "\n".join(dict.fromkeys(notes))
    return out


# --- how a reader sees a customer -----------------------------------------------------------------------


def shows_personal_data(user: Any) -> bool:
    return scoping.can(user, UNMASK)


def display_name(customer: Customer, full: bool) -> str:
    return customer.name if full else mask_name(customer.name)


def display_number(number: str, full: bool) -> str:
    return number if full else mask_phone(number)


# --- services ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NumberRow:
    number: str
    label: str = CustomerNumber.Label.MOBILE
    primary: bool = False


def _rows(numbers: Iterable[Any]) -> list[NumberRow]:
    out = []
    for row in numbers:
        if isinstance(row, NumberRow):
            out.append(row)
        else:
            out.append(
                NumberRow(
                    number=row.get("number", ""),
                    label=row.get("label") or CustomerNumber.Label.MOBILE,
                    primary=bool(row.get("primary")),
                )
            )
    return out


def _check_values(values: dict, centre_id: int) -> dict:
    clean = {key: values[key] for key in VALUE_FIELDS if key in values}
    if "kind" in clean and clean["kind"] not in Customer.Kind.values:
        raise invalid("kind", _("Choose a person or a company."), code="invalid_choice")
    for field in ("name", "id_number", "email", "address"):
        if field in clean:
            clean[field] = " ".join(str(clean[field] or "").split())
    if "notes" in clean:
        clean["notes"] = str(clean["notes"] or "").strip()
    if clean.get("id_number") and not clean["id_number"].replace(" ", "").isalnum():
        raise invalid(
            "id_number", _("An ID card number or credit code has only letters and digits."), code="id_number_format"
        )
    if clean.get("id_number"):
        clean["id_number"] = clean["id_number"].upper()
    if clean.get("email"):
        try:
            validate_email(clean["email"])
        except ValidationError:
            raise invalid("email", _("Enter a valid email address."), code="email_format") from None
    if "vip_level" in clean:
        top = policy("contact.customer_max_vip_level", centre_id)
        level = clean["vip_level"]
        if not isinstance(level, int) or isinstance(level, bool) or not 0 <= level <= top:
            raise invalid(
                "vip_level",
                _("The VIP level is a whole number from 0 to %(top)s.") % {"top": top},
                code="vip_level_range",
            )
    if "tags" in clean:
        if not isinstance(clean["tags"], (list, tuple)):
            raise invalid("tags", _("Tags are a list of words."), code="invalid")
        clean["tags"] = clean_tags(clean["tags"])
        if tag_problem(clean["tags"]):
            raise invalid(
                "tags",
                _("A tag has at most %(limit)s characters.") % {"limit": MAX_TAG_LENGTH},
                code="tag_length",
            )
    return clean


NUMBER_MESSAGES = {
    "required": _("Enter a phone number."),
    "number_format": _("A phone number has only digits and dashes, with an optional + in front."),
    "number_length": _("A phone number has %(low)s to %(high)s digits."),
}


def _check_numbers(user: Any, rows: list[NumberRow], centre_id: int, customer_id: int | None) -> list[NumberRow]:
    seen: dict[str, int] = {}
    out = []
    for i, row in enumerate(rows):
        field = f"numbers[{i}].number"
        problem = number_problem(row.number)
        if problem:
            message = NUMBER_MESSAGES[problem]
            if problem == "number_length":
                message = message % {"low": MIN_NUMBER_DIGITS, "high": MAX_NUMBER_DIGITS}
            raise invalid(field, message, code=problem)
        if row.label not in CustomerNumber.Label.values:
            raise invalid(f"numbers[{i}].label", _("Choose a number type."), code="invalid_choice")
        number = normalise_number(row.number)
        if number in seen:
            raise invalid(field, _("The number %(number)s is listed twice.") % {"number": number}, code="number_twice")
        seen[number] = i
        out.append(NumberRow(number, row.label, row.primary))
    if sum(1 for row in out if row.primary) > 1:
        raise invalid("numbers", _("Mark one number as the primary number."), code="primary_twice")
    taken = (
        CustomerNumber.objects.filter(centre_id=centre_id, number__in=list(seen))
        .exclude(customer_id=customer_id)
        .select_related("customer")
        .first()
    )
    if taken is not None:
        raise _duplicate(user, seen[taken.number], taken)
    return out


def _duplicate(user: Any, index: int, taken: CustomerNumber) -> ValidationError:
    full = shows_personal_data(user)
    who = display_name(taken.customer, full) or display_number(taken.customer.phone, full) or f"#{taken.customer_id}"
    return invalid(
        f"numbers[{index}].number",
        _("The number %(number)s already belongs to customer %(customer)s (#%(id)s).")
        % {"number": display_number(taken.number, full), "customer": who, "id": taken.customer_id},
        code="number_taken",
    )


def _save_numbers(customer: Customer, rows: list[NumberRow]) -> None:
    """Make the customer's numbers exactly `rows`, keeping unchanged rows (and their history)."""
    existing = {n.number: n for n in customer.numbers.select_for_update()}
    wanted = {row.number for row in rows}
    primary = primary_index([{"primary": row.primary} for row in rows])
    # Clear the old primary first: the database allows one primary per customer at any moment.
    for number in existing.values():
        if number.number not in wanted:
            number.delete()
        elif number.primary:
            number.primary = False
            number.save(update_fields=["primary"])
    for i, row in enumerate(rows):
        current = existing.get(row.number)
        if current is None:
            CustomerNumber.objects.create(
                centre_id=customer.centre_id,
                customer=customer,
                number=row.number,
                label=row.label,
                primary=i == primary,
            )
        elif current.label != row.label or current.primary != (i == primary):
            current.label = row.label
            current.primary = i == primary
            current.save(update_fields=["label", "primary"])
    phone = rows[primary].number if primary is not None else ""
    if customer.phone != phone:
        customer.phone = phone
        customer.save(update_fields=["phone"])


def _write_numbers(user: Any, customer: Customer, rows: list[NumberRow]) -> None:
    try:
        with transaction.atomic():
            _save_numbers(customer, rows)
    except IntegrityError:
        # Another customer took one of the numbers since the check: answer as the check would.
        _check_numbers(user, rows, customer.centre_id, customer.pk)
        raise


def _centre_of(user: Any) -> int:
    centre_id = scoping.actor_for(user).centre_id
    if centre_id is None:
        raise NotAllowed(_("Only employees of a centre keep its customers."), code="no_centre")
    return centre_id


def _locked(user: Any, customer_id: int, action: str) -> Customer:
    scoping.ensure_can(user, action)
    return scoping.get_in_scope(Customer.objects.select_for_update(), user, action, pk=customer_id)


def create_customer(*, user: Any, values: dict, numbers: Iterable[Any] = ()) -> Customer:
    scoping.ensure_can(user, EDIT)
    centre_id = _centre_of(user)
    clean = _check_values(values, centre_id)
    rows = _check_numbers(user, _rows(numbers), centre_id, None)
    if not clean.get("name") and not rows:
        raise invalid("name", _("Enter a name or at least one phone number."), code="name_or_number")
    with transaction.atomic():
        customer = Customer.objects.create(centre_id=centre_id, **clean)
        _write_numbers(user, customer, rows)
    return customer


def update_customer(*, user: Any, customer_id: int, values: dict, numbers: Iterable[Any] | None = None) -> Customer:
    """Change the given fields; `numbers`, when given, replaces the customer's list of numbers."""
    with transaction.atomic():
        customer = _locked(user, customer_id, EDIT)
        if customer.merged_into_id:
            raise Conflict(_("This customer was merged into another record."), code="customer_merged")
        clean = _check_values(values, customer.centre_id)
        rows = None if numbers is None else _check_numbers(user, _rows(numbers), customer.centre_id, customer.pk)
        name = clean.get("name", customer.name)
        if not name and rows == []:
            raise invalid("name", _("Enter a name or at least one phone number."), code="name_or_number")
        changed = [field for field, value in clean.items() if getattr(customer, field) != value]
        for field in changed:
            setattr(customer, field, clean[field])
        if changed:
            customer.save(update_fields=changed)
        if rows is not None:
            _write_numbers(user, customer, rows)
    return customer


def _number_rows(customer: Customer) -> list[NumberRow]:
    return [NumberRow(n.number, n.label, n.primary) for n in customer.numbers.all()]


def add_number(*, user: Any, customer_id: int, number: str, label: str = "", primary: bool = False) -> Customer:
    with transaction.atomic():
        customer = _locked(user, customer_id, EDIT)
        rows = _number_rows(customer)
        if primary:
            rows = [NumberRow(r.number, r.label, False) for r in rows]
        rows.append(NumberRow(number, label or CustomerNumber.Label.MOBILE, primary))
        return update_customer(user=user, customer_id=customer.pk, values={}, numbers=rows)


def remove_number(*, user: Any, customer_id: int, number: str) -> Customer:
    with transaction.atomic():
        customer = _locked(user, customer_id, EDIT)
        target = normalise_number(number)
        rows = _number_rows(customer)
        if target not in {r.number for r in rows}:
            raise invalid("number", _("This customer has no such number."), code="no_such_number")
        return update_customer(
            user=user, customer_id=customer.pk, values={}, numbers=[r for r in rows if r.number != target]
        )


def set_vip(*, user: Any, customer_id: int, level: int) -> Customer:
    return update_customer(user=user, customer_id=customer_id, values={"vip_level": level})


def set_tags(*, user: Any, customer_id: int, tags: Sequence[str]) -> Customer:
    return update_customer(user=user, customer_id=customer_id, values={"tags": list(tags)})


def merge_customers(*, user: Any, target_id: int, source_id: int) -> Customer:
    """Fold `source` into `target`: numbers, contacts (and with them their work orders) and records
    merged earlier move over; `source` stays, marked merged, with its history."""
    if target_id == source_id:
        raise invalid("source", _("Choose two different customers to merge."), code="same_customer")
    with transaction.atomic():
        # Lock in id order: two merges of the same pair never wait on each other crosswise.
        locked = {cid: _locked(user, cid, MERGE) for cid in sorted((target_id, source_id))}
        target, source = locked[target_id], locked[source_id]
        for record, field in ((target, "target"), (source, "source")):
            if record.merged_into_id:
                raise invalid(field, _("This customer was already merged into another record."), code="customer_merged")
        values = merged_values(
            {f: getattr(target, f) for f in VALUE_FIELDS}, {f: getattr(source, f) for f in VALUE_FIELDS}
        )
        moved = _number_rows(source)
        numbers = _number_rows(target) + [NumberRow(r.number, r.label, False) for r in moved]
        # Free the numbers first: a number is unique per centre.
        source.numbers.all().delete()
        source.phone = ""
        source.merged_into = target
        source._change_reason = f"merged into #{target.pk}"
        source.save(update_fields=["phone", "merged_into"])
        Customer.objects.filter(merged_into=source).update(merged_into=target)
        Contact.objects.filter(customer=source).update(customer=target)
        for field, value in values.items():
            setattr(target, field, value)
        target._change_reason = f"merged #{source.pk}"
        target.save(update_fields=list(values))
        _save_numbers(target, numbers)
    return target
