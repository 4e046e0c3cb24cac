"""Admin of the contact app. Recordings are read-only: no user deletes or alters one (CT-17)."""

from __future__ import annotations

from django.contrib import admin

from banzu.contact.models import Recording, ServiceException


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services and sweeps: viewable, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Recording)
class RecordingAdmin(ReadOnlyAdmin):
    list_display = ["ref", "kind", "contact", "recorded_at", "purged_at", "purged_retention_months"]
    list_filter = ["kind"]
    list_select_related = ["contact"]
    search_fields = ["ref"]


@admin.register(ServiceException)
class ServiceExceptionAdmin(ReadOnlyAdmin):
    list_display = ["contact", "kind", "agent", "seconds", "limit_seconds", "detected_at"]
    list_filter = ["kind"]
    list_select_related = ["contact", "agent"]
