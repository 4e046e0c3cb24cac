"""Customer pages (CT-18): search, detail with contact and work-order history, create/edit, merge."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from banzu.contact import customers, selectors
from banzu.contact.models import Customer, CustomerNumber
from banzu.core import scoping
from banzu.core.errors import OutOfScope
from banzu.core.masking import mask_address, mask_email, mask_id_number, mask_phone
from banzu.core.policies import policy
from banzu.workorders.presentation import display_title

PAGE_SIZE = 50
NUMBER_FIELD = re.compile(r"^numbers\[(\d+)\]\.(\w+)$")


def _styled(form: forms.BaseForm) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs.setdefault("class", css)


def _flag(raw: str) -> bool | None:
    return {"1": True, "0": False}.get(raw)


def _customer(user: Any, pk: int, action: str) -> Customer:
    return scoping.get_in_scope(Customer.objects.prefetch_related("numbers"), user, action, pk=pk)


# --- search ------------------------------------------------------------------------------------------


@require_GET
def customer_list(request):
    """Search by a name or any (part of a) number; VIP and tag filters; masked for most roles."""
    scoping.ensure_can(request.user, customers.VIEW)
    q = request.GET.get("q", "").strip()
    tag = request.GET.get("tag", "").strip()
    vip = _flag(request.GET.get("vip", ""))
    rows = selectors.search_customers(request.user, q=q, vip=vip, tag=tag)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    full = customers.shows_personal_data(request.user)
    items = [
        {
            "customer": customer,
            "name": customers.display_name(customer, full),
            "numbers": [customers.display_number(n.number, full) for n in customer.numbers.all()],
        }
        for customer in page.object_list
    ]
    params = request.GET.copy()
    params.pop("page", None)
    actor = scoping.actor_for(request.user)
    context = {
        "page": page,
        "items": items,
        "filters": request.GET,
        "query_string": params.urlencode(),
        "full": full,
        "can_edit": scoping.can(request.user, customers.EDIT),
        "min_digits": policy("contact.customer_number_search_min_digits", actor.centre_id) if actor.centre_id else None,
    }
    return render(request, "contact/customer_list.html", context)


# --- detail ------------------------------------------------------------------------------------------


def _history(customer: Customer, full: bool) -> list[dict]:
    """Changes of the record and its numbers, newest first, with the fields that changed."""
    rows = []
    labels = {f.name: f.verbose_name for f in Customer._meta.fields}
    records = list(customer.history.select_related("history_user").order_by("history_date", "history_id"))
    previous = None
    for record in records:
        changed = []
        if previous is not None:
            changed = [str(labels.get(c.field, c.field)) for c in record.diff_against(previous).changes]
        rows.append(
            {
                "when": record.history_date,
                "who": record.history_user,
                "type": record.history_type,
                "what": ", ".join(changed),
                "reason": record.history_change_reason or "",
            }
        )
        previous = record
    number_history = CustomerNumber.history.filter(customer_id=customer.pk).select_related("history_user")
    for record in number_history:
        shown = customers.display_number(record.number, full)
        rows.append(
            {
                "when": record.history_date,
                "who": record.history_user,
                "type": record.history_type,
                "what": _("Number %(number)s") % {"number": shown},
                "reason": "",
            }
        )
    rows.sort(key=lambda row: row["when"], reverse=True)
    return rows


@require_GET
def customer_detail(request, pk: int):
    scoping.ensure_can(request.user, customers.VIEW)
    customer = _customer(request.user, pk, customers.VIEW)
    card = selectors.customer_card(customer, request.user)
    full = card["full"]
    contacts = [
        {
            "contact": c,
            "caller": c.caller_number if full else mask_phone(c.caller_number),
        }
        for c in card["contacts"]
    ]
    orders = [{"order": o, "title": display_title(o)} for o in card["work_orders"]]
    personal = {
        "name": customers.display_name(customer, full),
        "id_number": customer.id_number if full else mask_id_number(customer.id_number),
        "email": customer.email if full else (mask_email(customer.email) if customer.email else ""),
        "address": customer.address if full else mask_address(customer.address),
    }
    numbers = [{"row": n, "number": customers.display_number(n.number, full)} for n in card["numbers"]]
    can_history = scoping.can(request.user, customers.HISTORY)
    context = {
        "customer": customer,
        "personal": personal,
        "numbers": numbers,
        "contacts": contacts,
        "orders": orders,
        "full": full,
        "limit": policy("contact.customer_recent_items", customer.centre_id),
        "can_edit": scoping.can(request.user, customers.EDIT) and not customer.merged_into_id,
        "can_merge": scoping.can(request.user, customers.MERGE) and not customer.merged_into_id,
        "history": _history(customer, full) if can_history else None,
    }
    return render(request, "contact/customer_detail.html", context)


# --- create and edit ---------------------------------------------------------------------------------


class CustomerForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Customer type"), choices=Customer.Kind.choices)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100, required=False)
    vip_level = forms.IntegerField(label=gettext_lazy("VIP level"), min_value=0, initial=0)
    tags = forms.CharField(
        label=gettext_lazy("Tags"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("Separate tags with commas."),
    )
    id_number = forms.CharField(label=gettext_lazy("ID card or credit code"), max_length=30, required=False)
    email = forms.CharField(label=gettext_lazy("Email"), max_length=254, required=False)
    address = forms.CharField(label=gettext_lazy("Address"), max_length=200, required=False)
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data["tags"] = re.split(r"[,，、;；]", data.get("tags") or "")
        return data


class NumberForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Phone number"), max_length=30, required=False)
    label = forms.ChoiceField(label=gettext_lazy("Number type"), choices=CustomerNumber.Label.choices)
    primary = forms.BooleanField(label=gettext_lazy("Primary number"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


NumberFormSet = forms.formset_factory(NumberForm, extra=2, can_delete=True, max_num=20, validate_max=True)


def _number_rows(formset) -> tuple[list[dict], list[int]]:
    """The numbers kept in the formset and, for each, the form it came from (to place errors)."""
    rows, origin = [], []
    for index, form in enumerate(formset.forms):
        data = form.cleaned_data if hasattr(form, "cleaned_data") else {}
        if not data or data.get("DELETE") or not (data.get("number") or "").strip():
            continue
        rows.append({"number": data["number"], "label": data["label"], "primary": data.get("primary", False)})
        origin.append(index)
    return rows, origin


def _place_errors(form, formset, origin: list[int], exc: ValidationError) -> None:
    for field, errors in exc.error_dict.items():
        match = NUMBER_FIELD.match(field)
        if match and int(match.group(1)) < len(origin):
            target = formset.forms[origin[int(match.group(1))]]
            name = match.group(2)
            for error in errors:
                target.add_error(name if name in target.fields else None, error)
        elif field in form.fields:
            for error in errors:
                form.add_error(field, error)
        else:
            for error in errors:
                form.add_error(None, error)


def _form_page(request, customer: Customer | None):
    if request.method == "POST":
        form = CustomerForm(request.POST)
        formset = NumberFormSet(request.POST, prefix="numbers")
    else:
        initial = None
        numbers = None
        if customer is not None:
            initial = {
                "kind": customer.kind,
                "name": customer.name,
                "vip_level": customer.vip_level,
                "tags": ", ".join(customer.tags or []),
                "id_number": customer.id_number,
                "email": customer.email,
                "address": customer.address,
                "notes": customer.notes,
            }
            numbers = [{"number": n.number, "label": n.label, "primary": n.primary} for n in customer.numbers.all()]
        form = CustomerForm(initial=initial)
        formset = NumberFormSet(initial=numbers, prefix="numbers")
    status = 200
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            rows, origin = _number_rows(formset)
            try:
                if customer is None:
                    saved = customers.create_customer(user=request.user, values=form.values(), numbers=rows)
                else:
                    saved = customers.update_customer(
                        user=request.user, customer_id=customer.pk, values=form.values(), numbers=rows
                    )
                messages.success(request, _("Customer saved."))
                return redirect(reverse("contact:customer", args=[saved.pk]))
            except ValidationError as exc:
                _place_errors(form, formset, origin, exc)
        status = 422
    context = {"form": form, "formset": formset, "customer": customer}
    return render(request, "contact/customer_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
def customer_create(request):
    scoping.ensure_can(request.user, customers.EDIT)
    return _form_page(request, None)


@require_http_methods(["GET", "POST"])
def customer_edit(request, pk: int):
    scoping.ensure_can(request.user, customers.EDIT)
    customer = _customer(request.user, pk, customers.EDIT)
    if customer.merged_into_id:
        return redirect(reverse("contact:customer", args=[customer.merged_into_id]))
    return _form_page(request, customer)


# --- merge -------------------------------------------------------------------------------------------


class MergeForm(forms.Form):
    source = forms.IntegerField(
        label=gettext_lazy("Customer to fold in (record number)"),
        min_value=1,
        help_text=gettext_lazy("Its numbers, contacts and work orders move to this customer; it stays, marked merged."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _styled(self)


@require_http_methods(["GET", "POST"])
def customer_merge(request, pk: int):
    scoping.ensure_can(request.user, customers.MERGE)
    target = _customer(request.user, pk, customers.MERGE)
    if target.merged_into_id:
        raise OutOfScope()
    form = MergeForm(request.POST or None, initial={"source": request.GET.get("source") or None})
    candidates = []
    q = request.GET.get("q", "").strip()
    if q:
        candidates = list(selectors.search_customers(request.user, q=q).exclude(pk=target.pk)[:PAGE_SIZE])
    status = 200
    if request.method == "POST":
        if form.is_valid():
            source_id = form.cleaned_data["source"]
            visible = selectors.customers_visible_to(request.user, customers.MERGE).filter(pk=source_id).exists()
            if not visible:
                form.add_error("source", _("No such customer."))
            else:
                try:
                    customers.merge_customers(user=request.user, target_id=target.pk, source_id=source_id)
                    messages.success(request, _("Customers merged."))
                    return redirect(reverse("contact:customer", args=[target.pk]))
                except ValidationError as exc:
                    for errors in exc.error_dict.values():
                        for error in errors:
                            form.add_error("source", error)
        status = 422
    context = {"form": form, "customer": target, "candidates": candidates, "q": q}
    return render(request, "contact/customer_merge.html", context, status=status)
