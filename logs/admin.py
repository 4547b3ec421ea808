"""Read-only admin for stored lines: indexed filters only and no full COUNT, so it stays fast."""

from django.contrib import admin

from logs.models import LogEntry


@admin.register(LogEntry)
class LogEntryAdmin(admin.ModelAdmin):
    list_display = ["time", "tenant", "app", "level", "short_message", "service", "host"]
    list_filter = ["level"]
    list_select_related = ["tenant", "app"]
    ordering = ["-time", "-id"]
    show_full_result_count = False
    list_per_page = 100
    readonly_fields = [f.name for f in LogEntry._meta.fields]

    @admin.display(description="message")
    def short_message(self, obj):
        return obj.message[:200]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
