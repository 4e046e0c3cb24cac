"""Read-only admin of complaints and notices: they change through their pages and API, which check
the workflow (CMP-4) and record every step."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from banzu.complaints.models import Complaint, ComplaintAlert, Notice


class ReadOnlyAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    list_display = ["number", "level", "status", "complainant", "handler", "filed_at", "due_at"]
    list_filter = ["level", "status", "channel", "source"]
    list_select_related = ["handler"]
    search_fields = ["number", "complainant", "contact_phone"]
    date_hierarchy = "filed_at"


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["title", "department", "published_by", "published_at"]
    list_select_related = ["department", "published_by"]
    search_fields = ["title"]


@admin.register(ComplaintAlert)
class ComplaintAlertAdmin(admin.ModelAdmin):
    list_display = ["complaint", "kind", "due_at", "sent_at"]
    list_filter = ["kind"]
    list_select_related = ["complaint"]
    search_fields = ["complaint__number"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
