"""Forms of the complaint pages. They parse input; the services check the rules (CMP-1 … CMP-5)
and their errors are shown on the fields here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from banzu.complaints.models import CallbackMethod, Cause, Channel, Source
from banzu.org.models import Employee
from banzu.workorders.forms import StyledForm, apply_service_errors  # noqa: F401  (re-exported for views)

YES_NO = [("", _("Please select")), ("true", _("Yes")), ("false", _("No"))]


def _choices(choices) -> list[tuple[str, Any]]:
    return [("", _("Please select")), *choices]


class ComplaintForm(StyledForm):
    channel = forms.ChoiceField(label=_("Channel"), choices=_choices(Channel.choices), required=False)
    source = forms.ChoiceField(label=_("Lodged with"), choices=_choices(Source.choices), required=False)
    complainant = forms.CharField(label=_("Complainant"), required=False, max_length=100)
    complainant_org = forms.CharField(label=_("Company name"), required=False, max_length=100)
    contact_phone = forms.CharField(label=_("Contact phone"), required=False, max_length=30)
    location = forms.CharField(label=_("Event location"), required=False, max_length=100)
    summary = forms.CharField(label=_("Event summary"), required=False, max_length=200)
    content = forms.CharField(label=_("Complaint content"), required=False, widget=forms.Textarea(attrs={"rows": 4}))


def _yes_no(value: str) -> bool | None:
    return {"true": True, "false": False}.get(value)


class StepForm(StyledForm):
    step = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("Record"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    is_valid = forms.ChoiceField(label=_("Valid complaint"), choices=YES_NO, required=False)
    cause = forms.ChoiceField(label=_("Cause"), choices=_choices(Cause.choices), required=False)
    responsible_person = forms.ModelChoiceField(
        label=_("Responsible person"), queryset=Employee.objects.none(), required=False, empty_label=_("Please select")
    )
    management_failure = forms.BooleanField(label=_("Management failure found (joint liability)"), required=False)
    responsible_superior = forms.ModelChoiceField(
        label=_("Direct superior"), queryset=Employee.objects.none(), required=False, empty_label=_("Please select")
    )
    method = forms.ChoiceField(label=_("Callback method"), choices=_choices(CallbackMethod.choices), required=False)
    satisfied = forms.ChoiceField(label=_("Customer satisfied"), choices=YES_NO, required=False)

    def __init__(self, *args: Any, employees, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["responsible_person"].queryset = employees
        self.fields["responsible_superior"].queryset = employees

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "step": data["step"],
            "note": data["note"],
            "is_valid": _yes_no(data["is_valid"]),
            "cause": data["cause"],
            "responsible_person": data["responsible_person"],
            "responsible_superior": data["responsible_superior"],
            "management_failure": data["management_failure"],
            "method": data["method"],
            "satisfied": _yes_no(data["satisfied"]),
        }


class ReportForm(StyledForm):
    authority_report = forms.CharField(
        label=_("Written report to the authority"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )


class NoticeForm(StyledForm):
    title = forms.CharField(label=_("Title"), required=False, max_length=200)
    body = forms.CharField(label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
