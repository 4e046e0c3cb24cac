"""Forms of the knowledge pages. They parse input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from banzu.core import scoping
from banzu.knowledge import rules, selectors, services
from banzu.org.models import Department


class DateInput(forms.DateInput):
    input_type = "date"


class StyledForm(forms.Form):
    """Tabler classes on the widgets; fields with errors are marked invalid for styles and readers."""

    def style_widgets(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = css

    def add_error(self, field: str | None, error: Any) -> None:
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                if "is-invalid" not in attrs.get("class", ""):
                    attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"id_{name}-errors"


class ArticleForm(StyledForm):
    title = forms.CharField(label=_("Title"), max_length=services.TITLE_MAX)
    category = forms.ModelChoiceField(label=_("Category"), queryset=None, required=False, empty_label=_("No category"))
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=300,
        help_text=_("Separate tags with commas, e.g. 发票, 开票."),
    )
    valid_from = forms.DateField(label=_("Valid from"), required=False, widget=DateInput)
    valid_until = forms.DateField(label=_("Valid until"), required=False, widget=DateInput)
    body = forms.CharField(label=_("Body"), max_length=services.BODY_MAX, widget=forms.Textarea(attrs={"rows": 14}))
    change_note = forms.CharField(
        label=_("Change note"),
        max_length=services.NOTE_MAX,
        required=False,
        help_text=_("What changed and why; kept in the version history."),
    )

    def __init__(self, *args: Any, user: Any, creating: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = selectors.categories_for(user)
        if creating:
            departments = scoping.restrict(Department.objects.all(), user, "knowledge.edit").order_by("code")
            centre_wide = scoping.scope_for(user, "knowledge.edit") >= scoping.Scope.CENTRE
            self.fields["department"] = forms.ModelChoiceField(
                label=_("Readers"),
                queryset=departments,
                required=not centre_wide,
                empty_label=_("The whole centre") if centre_wide else None,
                help_text=_("Leave the whole centre unless only one department needs the article."),
            )
        self.style_widgets()

    def clean_tags(self) -> list[str]:
        return rules.normalise_tags(self.cleaned_data.get("tags") or "")


class QuickPhraseForm(StyledForm):
    shortcut = forms.CharField(label=_("Shortcut"), max_length=31, help_text=_("Type it in the chat, e.g. /greet."))
    title = forms.CharField(label=_("Title"), max_length=services.PHRASE_TITLE_MAX)
    text = forms.CharField(
        label=_("Text"),
        max_length=services.PHRASE_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Placeholders in braces are filled in when the phrase is used."),
    )
    category = forms.ModelChoiceField(label=_("Category"), queryset=None, required=False, empty_label=_("No category"))

    def __init__(self, *args: Any, user: Any, allow_shared: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = selectors.categories_for(user)
        if allow_shared:
            self.fields["shared"] = forms.BooleanField(
                label=_("Share with the whole centre"), required=False, initial=False
            )
        self.style_widgets()
