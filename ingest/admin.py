"""Django admin for ingest: each tenant's redaction policy (operators, and tenant admins for their own)."""

from django.contrib import admin

from accounts.admin_scoping import TenantScopedAdmin, audit_field_changes
from ingest.models import RedactionPolicy

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
