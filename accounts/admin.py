"""Django admin: the operators' home for tenants, members, apps and keys."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from accounts.keys import api_key_revoke, assign_new_secret
from accounts.models import ApiKey, App, AuditEvent, Membership, Scope, Tenant


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class AppInline(admin.TabularInline):
    model = App
    extra = 0
    fields = ["name", "slug", "created_at"]
    readonly_fields = ["created_at"]
    show_change_link = True


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "retention_days", "created_at"]
    search_fields = ["slug", "name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [AppInline, MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "created_at"]
    list_filter = ["tenant", "role"]
    search_fields = ["user__username", "user__email", "tenant__slug"]
    autocomplete_fields = ["user", "tenant"]


@admin.register(App)
class AppAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "tenant", "created_at"]
    list_filter = ["tenant"]
    search_fields = ["slug", "name", "tenant__slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["tenant"]


class ApiKeyCreationForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple,
                                       initial=[Scope.INGEST.value])

    class Meta:
        model = ApiKey
        fields = ["app", "name", "scopes", "expires_at"]


@admin.action(description="Revoke selected keys")
def revoke_keys(modeladmin, request, queryset):
    count = 0
    for key in queryset.filter(revoked_at__isnull=True):
        api_key_revoke(key=key)
        count += 1
    modeladmin.message_user(request, f"Revoked {count} key(s).", messages.SUCCESS)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix_display", "name", "app", "tenant", "scopes", "status", "last_used_at", "expires_at"]
    list_filter = [("app__tenant", admin.RelatedOnlyFieldListFilter), "revoked_at"]
    search_fields = ["prefix", "name", "app__slug", "app__tenant__slug"]
    list_select_related = ["app__tenant"]
    actions = [revoke_keys]
    autocomplete_fields = ["app"]
    readonly_fields = ["prefix_display", "app", "scopes", "created_at", "last_used_at", "revoked_at"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyCreationForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["app", "name", "scopes", "expires_at"]
        return ["prefix_display", "name", "app", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            raw = assign_new_secret(obj, scopes=form.cleaned_data["scopes"])
        super().save_model(request, obj, form, change)
        if not change:
            # The only time the full key exists outside the client: shown once, never stored.
            self.message_user(request, format_html(
                "New API key (copy it now, it will not be shown again): <code class='devlogs-new-key'>{}</code>",
                raw), messages.WARNING)

    @admin.display(description="Key", ordering="prefix")
    def prefix_display(self, obj):
        return f"{obj.prefix}…"

    @admin.display(description="Tenant", ordering="app__tenant__slug")
    def tenant(self, obj):
        return obj.app.tenant

    @admin.display(description="Status")
    def status(self, obj):
        if obj.revoked_at:
            return "revoked"
        if obj.expires_at and obj.expires_at <= timezone.now():
            return "expired"
        return "active"


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is written by the actions it records."""

    list_display = ["created_at", "tenant", "actor", "action"]
    list_filter = [("tenant", admin.RelatedOnlyFieldListFilter), "action"]
    search_fields = ["actor", "action"]
    readonly_fields = ["created_at", "tenant", "actor", "action", "details"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
