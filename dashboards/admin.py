"""Admin for dashboards: operators can see and tidy them; the React app is where people build them."""

from django.contrib import admin

from accounts.admin_scoping import TenantScopedAdmin
from dashboards.models import Dashboard, Widget


class WidgetInline(admin.TabularInline):
    model = Widget
    extra = 0
    fields = ["title", "kind", "query", "split_by", "options", "x", "y", "w", "h"]


@admin.register(Dashboard)
class DashboardAdmin(TenantScopedAdmin):
    list_display = ["name", "tenant", "uid", "created_by", "updated_at"]
    list_filter = [("tenant", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "tenant__slug"]
    autocomplete_fields = ["tenant"]
    readonly_fields = ["uid", "created_by", "created_at", "updated_at"]
    inlines = [WidgetInline]
