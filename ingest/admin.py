"""Django admin for ingest: each tenant's redaction policy (operators, and tenant admins for their
own), and today's quota usage on the tenant page (accounts knows nothing of ingest)."""

from django.contrib import admin

from accounts.admin import TenantAdmin
from accounts.admin_scoping import TenantScopedAdmin, audit_field_changes
from accounts.models import Tenant
from ingest.models import RedactionPolicy
from ingest.quotas import usage

AUDITED = {field: "redaction.changed" for field in
           ("passwords", "tokens", "card_numbers", "emails", "custom_patterns", "drop_keys", "mask_keys")}


@admin.register(RedactionPolicy)
class RedactionPolicyAdmin(TenantScopedAdmin):
    list_display = ["tenant", "passwords", "tokens", "card_numbers", "emails", "updated_at"]
    list_filter = [("tenant", admin.RelatedOnlyFieldListFilter), "emails"]
    search_fields = ["tenant__slug", "tenant__name"]
    list_select_related = ["tenant"]
    readonly_fields = ["updated_at"]
    fieldsets = [
        (None, {"fields": ["tenant", "updated_at"]}),
        ("Built-in families", {"fields": ["passwords", "tokens", "card_numbers", "emails"],
                               "description": "What each family finds and the marker it leaves: docs/redaction.md."}),
        ("Tenant rules", {"fields": ["custom_patterns", "drop_keys", "mask_keys"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # A policy belongs to its tenant for good; choose the tenant only when adding.
        return [*self.readonly_fields, "tenant"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_field_changes(request, obj, form, AUDITED)


class TenantWithUsageAdmin(TenantAdmin):
    list_display = [*TenantAdmin.list_display[:-1], "usage_today", TenantAdmin.list_display[-1]]
    readonly_fields = ["usage_today"]

    @admin.display(description="Usage today (lines / bytes)")
    def usage_today(self, obj):
        today = usage(obj) if obj.pk else None
        if today is None:
            return "–"
        return f"{today.lines:,} / {today.bytes:,}"


admin.site.unregister(Tenant)
admin.site.register(Tenant, TenantWithUsageAdmin)
