"""Read-only admin for stored lines: indexed filters only and no full COUNT, so it stays fast."""

from django.contrib import admin, messages

from accounts.audit import record
from accounts.models import Tenant
from logs.deletion import delete_in_batches
from logs.models import LogEntry


@admin.action(description="Delete selected log entries (audited)")
def delete_selected_entries(modeladmin, request, queryset):
    total = 0
    for tenant_id in set(queryset.values_list("tenant_id", flat=True)):
        chosen = LogEntry.objects.filter(tenant_id=tenant_id, event_id__in=queryset.filter(
            tenant_id=tenant_id).values_list("event_id", flat=True))
        deleted = delete_in_batches(chosen)
        record(tenant=Tenant.objects.get(pk=tenant_id), actor=request.user.get_username(),
               action="logs.delete_selected", deleted=deleted, via="admin")
        total += deleted
    modeladmin.message_user(request, f"Deleted {total} log entries; recorded in the audit log.", messages.SUCCESS)


@admin.register(LogEntry)
class LogEntryAdmin(admin.ModelAdmin):
    list_display = ["time", "tenant", "app", "level", "short_message", "service", "host"]
    list_filter = ["level"]
    list_select_related = ["tenant", "app"]
    ordering = ["-time", "-id"]
    show_full_result_count = False
    list_per_page = 100
    readonly_fields = [f.name for f in LogEntry._meta.fields]
    actions = [delete_selected_entries]

    @admin.display(description="message")
    def short_message(self, obj):
        return obj.message[:200]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Only superusers, and only through the audited action (not the per-object delete view).
        return obj is None and request.user.is_superuser

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
