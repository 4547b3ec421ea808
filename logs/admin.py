"""Read-only admin for stored lines: indexed filters only, no full COUNT, search in the query language,
so it stays fast at tens of millions of rows."""

from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.utils.functional import cached_property

from accounts.admin_scoping import TenantScopedAdmin
from accounts.audit import record
from accounts.models import App, Tenant
from logs.deletion import delete_in_batches
from logs.models import LogEntry
from logs.querylang import QueryError, compile_query, parse
from logs.search import ids_matching


class CappedCountPaginator(Paginator):
    """Counts at most CAP rows: the admin's page links never cost a full COUNT of millions."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.CAP].count()


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
class LogEntryAdmin(TenantScopedAdmin):
    tenant_admins_may_add = False
    list_display = ["time", "tenant", "app", "level", "short_message", "service", "host"]
    # Tenant first (all tenants are listed, no scan of the log table), so every page uses the
    # (tenant, time, id) index; level is in the (tenant, level, time) index.
    list_filter = [("tenant", admin.RelatedFieldListFilter), "level"]
    list_select_related = ["tenant", "app"]
    ordering = ["-time", "-id"]
    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 100
    readonly_fields = [f.name for f in LogEntry._meta.fields]
    actions = [delete_selected_entries]

    search_help_text = "The query language (docs/query-language.md), e.g. level:>=error host:web-* timeout"
    search_fields = ["message"]  # shows the box; get_search_results does the searching

    def changelist_view(self, request, extra_context=None):
        # Always within one tenant: a cross-tenant newest-first page has no index to use at scale.
        if "tenant__id__exact" not in request.GET:
            tenants = Tenant.objects.order_by("slug")
            managed = self._tenants(request)
            if managed is not None:
                tenants = tenants.filter(pk__in=managed)
            first = tenants.values_list("id", flat=True).first()
            if first is not None:
                query = request.GET.copy()
                query["tenant__id__exact"] = str(first)
                return HttpResponseRedirect(f"{request.path}?{query.urlencode()}")
        return super().changelist_view(request, extra_context)

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        try:
            node = parse(search_term)
        except QueryError as exc:
            self.message_user(request, f"Query not understood: {exc}", messages.ERROR)
            return queryset.none(), False
        apps = list(App.objects.values_list("slug", "id"))
        # Operators search across tenants; app patterns match any tenant's app slugs.
        return queryset.filter(compile_query(node, app_ids=lambda pattern: ids_matching(apps, pattern))), False

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

