"""Admin for work-order configuration (custom fields, category forms, duty records) and a read-only
view of work orders. Saves go through banzu.workorders.services, with the same checks and history
as the pages and the API."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from banzu.core.admin import ScopedChangeMixin
from banzu.workorders import services
from banzu.workorders.models import CategoryForm, CustomFieldDefinition, DutyAssignment, WorkOrder


@admin.register(WorkOrder)
class WorkOrderAdmin(SimpleHistoryAdmin):
    """Read-only: work orders change through their pages and API, which record each step (WO-8)."""

    list_display = ["number", "title", "category", "status", "urgent", "handler", "created_at"]
    list_filter = ["category", "status", "urgent"]
    list_select_related = ["handler"]
    search_fields = ["number", "caller_number", "customer_name"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CustomFieldDefinition)
class CustomFieldDefinitionAdmin(ScopedChangeMixin, SimpleHistoryAdmin):
    change_action = "workorders.manage_fields"
    list_display = ["category", "order", "label", "key", "field_type", "required", "active"]
    list_filter = ["category", "field_type", "active"]
    list_select_related = ["centre"]
    search_fields = ["key", "label"]
    fields = ["category", "key", "label", "field_type", "required", "choices", "order", "active"]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: stored values keep their label

    def save_model(self, request, obj, form, change):
        saved = services.save_field_definition(
            user=request.user,
            definition_id=obj.pk if change else None,
            category=obj.category,
            key=obj.key,
            label=obj.label,
            field_type=obj.field_type,
            required=obj.required,
            choices=list(obj.choices or []),
            order=obj.order,
            active=obj.active,
        )
        obj.pk = saved.pk


@admin.register(CategoryForm)
class CategoryFormAdmin(ScopedChangeMixin, SimpleHistoryAdmin):
    change_action = "workorders.manage_fields"
    list_display = ["category", "required_fields"]
    fields = ["category", "required_fields"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        saved = services.set_category_form(
            user=request.user, category=obj.category, required_fields=list(obj.required_fields or [])
        )
        obj.pk = saved.pk


@admin.register(DutyAssignment)
class DutyAssignmentAdmin(ScopedChangeMixin, SimpleHistoryAdmin):
    change_action = "workorders.manage_duty"
    list_display = ["shift_lead", "starts_at", "ends_at"]
    list_select_related = ["shift_lead"]
    date_hierarchy = "starts_at"
    fields = ["shift_lead", "starts_at", "ends_at"]

    def has_change_permission(self, request, obj=None):
        return False  # a duty record is history; record a new one

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        saved = services.record_duty(
            user=request.user, shift_lead=obj.shift_lead, starts_at=obj.starts_at, ends_at=obj.ends_at
        )
        obj.pk = saved.pk
