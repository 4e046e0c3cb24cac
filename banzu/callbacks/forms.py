"""Forms of the callback and on-site pages. They parse input; the services check the rules, and
their errors are shown on the fields here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from banzu.callbacks.models import Kind, Outcome, Region
from banzu.org.models import Department, Employee

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONTH_INPUT = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


class StyledForm(forms.Form):
    """Tabler classes on every widget; no field is required here, the services name what is missing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect):
                continue
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select"
            else:
                widget.attrs["class"] = "form-control"
                widget.attrs.setdefault("autocomplete", "off")


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's field errors on the form's fields (or on top when the form lacks the field)."""
    if not hasattr(exc, "error_dict"):
        for error in exc.error_list:
            form.add_error(None, error)
        return
    for field, errors in exc.error_dict.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


def _choices(choices) -> list:
    return [("", _("Please select")), *choices]


class CampaignForm(StyledForm):
    name = forms.CharField(label=_("Campaign name"), required=False, max_length=200)
    kind = forms.ChoiceField(label=_("Callback type"), required=False, choices=_choices(Kind.choices))
    region = forms.ChoiceField(label=_("Customers"), required=False, choices=_choices(Region.choices))
    department = forms.ModelChoiceField(
        label=_("Department"), required=False, queryset=Department.objects.none(), empty_label=_("My department")
    )
    starts_on = forms.DateField(label=_("First run"), required=False, widget=DATE_INPUT)
    collection_end = forms.DateField(label=_("Last day of the collection period"), required=False, widget=DATE_INPUT)
    sample_month = forms.DateField(
        label=_("Sampled month"), required=False, widget=MONTH_INPUT, input_formats=["%Y-%m", "%Y-%m-%d"]
    )
    script = forms.CharField(
        label=_("Script"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Leave empty to use the standard script of the callback type."),
    )

    def __init__(self, *args: Any, departments, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments


class TaskForm(StyledForm):
    customer_name = forms.CharField(label=_("Customer name"), required=False, max_length=200)
    phone = forms.CharField(label=_("Phone number"), required=False, max_length=60)
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), required=False, queryset=Employee.objects.none(), empty_label=_("Not yet assigned")
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=400)

    def __init__(self, *args: Any, people, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = people


class AssignForm(StyledForm):
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), required=False, queryset=Employee.objects.none(), empty_label=_("Please select")
    )

    def __init__(self, *args: Any, people, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = people


RATING_CHOICES = [("", _("No rating")), *[(str(value), str(value)) for value in range(5, 0, -1)]]


class AttemptForm(StyledForm):
    outcome = forms.ChoiceField(
        label=pgettext_lazy("callback", "Outcome"), required=False, choices=Outcome.choices, widget=forms.RadioSelect
    )
    rating = forms.TypedChoiceField(
        label=_("Rating (5 is very satisfied)"),
        required=False,
        choices=RATING_CHOICES,
        coerce=int,
        empty_value=None,
    )
    opinion = forms.CharField(
        label=_("Opinions and suggestions"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class OnsiteForm(StyledForm):
    customer_name = forms.CharField(label=_("Customer name"), required=False, max_length=200)
    phone = forms.CharField(label=_("Phone number"), required=False, max_length=60)
    address = forms.CharField(label=_("Address"), required=False, max_length=400)
    problem = forms.CharField(label=_("Problem"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    agreement_customer = forms.BooleanField(label=_("Service agreement customer"), required=False)


class DispatchForm(StyledForm):
    technician = forms.CharField(label=_("Technician"), required=False, max_length=100)
    technician_phone = forms.CharField(label=_("Technician phone"), required=False, max_length=60)


class CompleteForm(StyledForm):
    result = forms.CharField(label=_("Service result"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ReviewForm(StyledForm):
    review = forms.CharField(label=_("Review and feedback"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
