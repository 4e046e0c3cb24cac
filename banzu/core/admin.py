"""Admin for the working-day calendar and policy values.

Every save goes through banzu.core.services, so the admin applies the same permission checks,
validation, history and cache refresh as the pages and the API. Whether someone may change a
record is decided by core.scoping on top of Django's model permissions.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from banzu.core import scoping, services
from banzu.core.models import CalendarDay, CalendarYear, PolicyValue
from banzu.core.policies import PolicyValueError, definition


class ScopedChangeMixin:
    """Django's model permission and the scoping action must both allow a change."""

    change_action: str = ""

    def has_add_permission(self, request, *args, **kwargs):
        return super().has_add_permission(request, *args, **kwargs) and scoping.can(request.user, self.change_action)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and scoping.can(request.user, self.change_action)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and scoping.can(request.user, self.change_action)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            # The service refused what the form accepted; its transaction rolled back, nothing saved.
            for message in exc.messages:
                self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


# --- calendar -----------------------------------------------------------------------------------


class CalendarDayAdminForm(forms.ModelForm):
    reason = forms.CharField(label=_("Reason for the change"), max_length=100, required=False)

    class Meta:
        model = CalendarDay
        fields = ["kind", "name"]


@admin.register(CalendarDay)
class CalendarDayAdmin(ScopedChangeMixin, SimpleHistoryAdmin):
    change_action = "core.change_calendar"
    form = CalendarDayAdminForm
    list_display = ["date", "kind", "is_working_day", "name", "year"]
    list_filter = ["year", "kind", "is_working_day"]
    list_select_related = ["year"]
    search_fields = ["name"]
    date_hierarchy = "date"
    fields = ["date", "year", "is_working_day", "kind", "name", "reason"]
    # is_working_day follows from the kind; the service sets both together.
    readonly_fields = ["date", "year", "is_working_day"]
    list_per_page = 100

    def has_add_permission(self, request, *args, **kwargs):
        return False  # days come with their year (add the year instead)

    def has_delete_permission(self, request, obj=None):
        return False  # a missing day inside a covered year would silently count as a day off

    def save_model(self, request, obj, form, change):
        services.set_calendar_day(
            user=request.user,
            date=obj.date,
            kind=form.cleaned_data["kind"],
            name=form.cleaned_data.get("name") or "",
            reason=form.cleaned_data.get("reason") or "",
        )
        obj.refresh_from_db()


class CalendarYearAdminForm(forms.ModelForm):
    class Meta:
        model = CalendarYear
        fields = ["year", "published"]


@admin.register(CalendarYear)
class CalendarYearAdmin(ScopedChangeMixin, SimpleHistoryAdmin):
    change_action = "core.change_calendar"
    form = CalendarYearAdminForm
    list_display = ["year", "source", "published", "updated_at"]
    list_filter = ["source", "published"]
    search_fields = ["year"]
    actions = ["publish_years", "unpublish_years"]

    def get_fields(self, request, obj=None):
        # A new year is only its number; it starts as a draft with weekends pre-set.
        return ["year"] if obj is None else ["year", "source", "published", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["year", "source", "updated_at"]

    def has_delete_permission(self, request, obj=None):
        return False  # deadlines already computed from a year must stay explainable

    def save_model(self, request, obj, form, change):
        if change:
            saved = services.publish_calendar_year(
                user=request.user, year=obj.year, published=form.cleaned_data["published"]
            )
        else:
            saved = services.add_calendar_year(user=request.user, year=form.cleaned_data["year"])
        obj.pk = saved.pk
        obj.refresh_from_db()

    def _set_published(self, request, queryset, published: bool) -> int:
        count = 0
        for entry in queryset:
            services.publish_calendar_year(user=request.user, year=entry.year, published=published)
            count += 1
        return count

    @admin.action(description=_("Publish the selected years"), permissions=["change"])
    def publish_years(self, request, queryset):
        count = self._set_published(request, queryset, True)
        self.message_user(
            request,
            ngettext("%(count)d year published.", "%(count)d years published.", count) % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Take the selected years back to draft"), permissions=["change"])
    def unpublish_years(self, request, queryset):
        count = self._set_published(request, queryset, False)
        self.message_user(
            request,
            ngettext("%(count)d year set to draft.", "%(count)d years set to draft.", count) % {"count": count},
            messages.SUCCESS,
        )


# --- policies -----------------------------------------------------------------------------------


class PolicyValueAdminForm(forms.ModelForm):
    reason = forms.CharField(label=_("Reason for the change"), max_length=100, required=False)

    class Meta:
        model = PolicyValue
        fields = ["centre", "key", "value"]

    def clean(self):
        """Parse the value as its policy declares, so errors show on the field, not as a crash."""
        cleaned = super().clean()
        key = cleaned.get("key")
        if key is None or "value" not in cleaned:
            return cleaned
        try:
            item = definition(key)
        except KeyError:
            self.add_error("key", ValidationError(_("There is no policy with this key."), code="unknown_policy"))
            return cleaned
        try:
            item.parse(cleaned["value"])
        except PolicyValueError as exc:
            self.add_error("value", ValidationError(exc.message, code=exc.code))
        return cleaned


@admin.register(PolicyValue)
class PolicyValueAdmin(ScopedChangeMixin, SimpleHistoryAdmin):
    change_action = "core.change_policies"
    form = PolicyValueAdminForm
    list_display = ["key", "value", "centre", "updated_at"]
    list_filter = ["centre"]
    list_select_related = ["centre"]
    search_fields = ["key"]
    fields = ["centre", "key", "value", "reason"]

    def get_readonly_fields(self, request, obj=None):
        return ["centre", "key"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        services.set_policy(
            user=request.user,
            centre=obj.centre,
            key=obj.key,
            value=form.cleaned_data["value"],
            reason=form.cleaned_data.get("reason") or "",
        )
        saved = PolicyValue.objects.get(centre=obj.centre, key=obj.key)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def delete_model(self, request, obj):
        # Deleting an override means going back to the seed default; reset_policy keeps the history.
        services.reset_policy(user=request.user, centre=obj.centre, key=obj.key)

    def delete_queryset(self, request, queryset):
        for row in queryset.select_related("centre"):
            services.reset_policy(user=request.user, centre=row.centre, key=row.key)
