"""Forms of the work-order pages. They parse input; the services validate the rules (WO-2 … WO-8),
and their errors are shown on the fields here (custom field ``tax_id`` → form field ``cf_tax_id``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from banzu.org.models import Department, Employee
from banzu.workorders.models import AnswerBasis, Category, ConsultationMode, CustomFieldDefinition, FieldType

CUSTOM_PREFIX = "cf_"
DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class StyledForm(forms.Form):
    """Tabler classes on every widget; Django adds aria-invalid and aria-describedby on errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style()

    def style(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
                continue
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
                widget.attrs.setdefault("autocomplete", "off")
            widget.attrs["class"] = css


def custom_form_field(definition: CustomFieldDefinition) -> forms.Field:
    """A raw input per custom field; types and required-ness are checked by the rules."""
    field = _custom_form_field(definition)
    field.mark_required = definition.required  # the label's * ; the rule itself is checked by the service
    return field


def _custom_form_field(definition: CustomFieldDefinition) -> forms.Field:
    label = definition.label
    attrs: dict[str, str] = {}
    if definition.field_type == FieldType.NUMBER:
        return forms.CharField(
            label=label, required=False, widget=forms.TextInput(attrs={**attrs, "inputmode": "decimal"})
        )
    if definition.field_type == FieldType.DATE:
        return forms.CharField(label=label, required=False, widget=forms.DateInput(attrs={**attrs, "type": "date"}))
    if definition.field_type == FieldType.CHOICE:
        choices = [("", _("Please select")), *[(choice, choice) for choice in definition.choices]]
        return forms.ChoiceField(label=label, required=False, choices=choices, widget=forms.Select(attrs=attrs))
    if definition.field_type == FieldType.BOOLEAN:
        choices = [("", _("Please select")), ("true", _("Yes")), ("false", _("No"))]
        return forms.ChoiceField(label=label, required=False, choices=choices, widget=forms.Select(attrs=attrs))
    return forms.CharField(label=label, required=False, max_length=200, widget=forms.TextInput(attrs=attrs))


class WorkOrderForm(StyledForm):
    category = forms.ChoiceField(
        label=_("Category"),
        choices=Category.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the work order category.")},
    )
    borderline_with = forms.ChoiceField(
        label=_("The case also looks like"),
        choices=[("", _("No other category")), *Category.choices],
        required=False,
    )
    location = forms.CharField(label=_("Event location"), max_length=100, required=False)
    summary = forms.CharField(label=_("Event summary"), max_length=200, required=False)
    urgent = forms.BooleanField(label=_("Urgent"), required=False)
    transfer_to_shift_lead = forms.BooleanField(label=_("Transfer to the shift lead on duty"), required=False)
    caller_number = forms.CharField(label=_("Caller number"), max_length=30, required=False)
    customer_name = forms.CharField(label=_("Customer name"), max_length=50, required=False)
    contact = forms.IntegerField(widget=forms.HiddenInput, required=False)
    contact_ref = forms.CharField(label=_("Contact reference"), max_length=64, required=False)
    contact_ended_at = forms.DateTimeField(
        label=_("Contact end time"), required=False, widget=DATETIME_INPUT, input_formats=["%Y-%m-%dT%H:%M"]
    )
    responsible_unit = forms.ModelChoiceField(
        label=_("Responsible unit"), queryset=Department.objects.none(), required=False, empty_label=_("Please select")
    )
    consultation_mode = forms.ChoiceField(
        label=_("Consultation mode"), choices=ConsultationMode.choices, required=False, widget=forms.RadioSelect
    )
    answer_basis_kind = forms.ChoiceField(
        label=_("Basis of the answer"), choices=[("", _("Please select")), *AnswerBasis.choices], required=False
    )
    answer_basis = forms.CharField(label=_("Cited basis"), max_length=200, required=False)
    answer_article_version = forms.IntegerField(
        label=_("Cited article version"),
        required=False,
        min_value=1,
        help_text=_("The version ID shown on the knowledge article's page; the cited basis then names it."),
    )
    answer = forms.CharField(label=_("Answer"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, centre_id: int | None, definitions: list[CustomFieldDefinition], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["responsible_unit"].queryset = Department.objects.filter(centre_id=centre_id).order_by("code")
        self.definitions = definitions
        for definition in definitions:
            self.fields[CUSTOM_PREFIX + definition.key] = custom_form_field(definition)
        self.style()

    @property
    def custom_fields(self) -> list[forms.BoundField]:
        return [self[CUSTOM_PREFIX + definition.key] for definition in self.definitions]

    def custom_values(self) -> dict[str, Any]:
        return {
            definition.key: self.cleaned_data.get(CUSTOM_PREFIX + definition.key) for definition in self.definitions
        }

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "category": data["category"],
            "location": data["location"],
            "summary": data["summary"],
            "caller_number": data["caller_number"],
            "customer_name": data["customer_name"],
            "contact_ref": data["contact_ref"],
            "responsible_unit": data["responsible_unit"],
            "consultation_mode": data["consultation_mode"],
            "answer": data["answer"],
            "answer_basis_kind": data["answer_basis_kind"],
            "answer_basis": data["answer_basis"],
            "answer_article_version": data["answer_article_version"],
            "custom_values": self.custom_values(),
        }


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's field errors on the form (custom_values.<key> → cf_<key>)."""
    for field, errors in exc.error_dict.items():
        name = CUSTOM_PREFIX + field.split(".", 1)[1] if field.startswith("custom_values.") else field
        for error in errors:
            shown = name in form.fields and not form.fields[name].widget.is_hidden
            form.add_error(name if shown else None, error)


class HandOverForm(StyledForm):
    to_department = forms.ModelChoiceField(
        label=_("To department"), queryset=Department.objects.none(), required=False, empty_label=_("Please select")
    )
    to_employee = forms.ModelChoiceField(
        label=_("To person"), queryset=Employee.objects.none(), required=False, empty_label=_("Please select")
    )
    due_at = forms.DateTimeField(
        label=_("Due time"), required=False, widget=DATETIME_INPUT, input_formats=["%Y-%m-%dT%H:%M"]
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, departments, employees, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["to_department"].queryset = departments
        self.fields["to_employee"].queryset = employees


class CommentForm(StyledForm):
    note = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(StyledForm):
    outcome = forms.CharField(label=_("Outcome"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    customer_informed = forms.BooleanField(label=_("The customer was told the outcome"), required=False)


class StaffDataRequestForm(StyledForm):
    department = forms.ModelChoiceField(
        label=_("Department asked about"),
        queryset=Department.objects.none(),
        required=False,
        empty_label=_("Please select"),
    )
    note = forms.CharField(
        label=_("What the caller asked for"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, departments, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
