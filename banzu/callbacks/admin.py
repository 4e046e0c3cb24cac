"""Admin of callbacks: read-mostly lists with history; writes go through the pages and the API,
which call the services."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from banzu.callbacks.models import CallbackAttempt, CallbackTask, Campaign, OnsiteOrder


class ReadOnlyAdmin(SimpleHistoryAdmin):
    """Rows change only through the services (rules, scope, history); the admin shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "region", "department", "starts_on", "due_at", "status"]
    list_filter = ["kind", "region", "status"]
    list_select_related = ["department"]
    search_fields = ["name"]


@admin.register(CallbackTask)
class CallbackTaskAdmin(ReadOnlyAdmin):
    list_display = ["customer_name", "campaign", "assignee", "due_at", "status", "outcome", "escalated_at"]
    list_filter = ["status", "outcome"]
    list_select_related = ["campaign", "assignee"]
    search_fields = ["customer_name", "phone"]


@admin.register(CallbackAttempt)
class CallbackAttemptAdmin(ReadOnlyAdmin):
    list_display = ["task", "at", "caller", "outcome"]
    list_select_related = ["task", "caller"]


@admin.register(OnsiteOrder)
class OnsiteOrderAdmin(ReadOnlyAdmin):
    list_display = ["customer_name", "status", "registered_at", "response_due_at", "technician", "escalated_at"]
    list_filter = ["status", "agreement_customer"]
    list_select_related = ["registered_by"]
    search_fields = ["customer_name", "phone", "address"]
