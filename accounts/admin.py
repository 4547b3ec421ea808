"""Django admin: the operators' home for tenants, members, apps and keys."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.html import format_html

from accounts.admin_scoping import TenantScopedAdmin, audit_field_changes, check_membership_change
from accounts.audit import record
from accounts.client_certs import client_certificate_revoke, normalise_fingerprint, registration_facts
from accounts.keys import api_key_revoke, api_key_save_new
from accounts.models import ApiKey, App, AuditEvent, ClientCertificate, Membership, Scope, Tenant


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


def lifecycle_status(revoked_at, ends_at) -> str:
    """A credential's state for the admin lists (keys and client certificates)."""
    if revoked_at:
        return "revoked"
    if ends_at and ends_at <= timezone.now():
        return "expired"
    return "active"


# Set by operators only: a tenant admin raising their own quota would defeat it.
OPERATOR_ONLY_TENANT_FIELDS = ["slug", "ingest_lines_per_second", "ingest_bytes_per_day"]
AUDITED_TENANT_FIELDS = {"retention_days": "tenant.retention_changed",
                         "ingest_lines_per_second": "tenant.quota_changed",
                         "ingest_bytes_per_day": "tenant.quota_changed"}


def save_membership(request, membership: Membership, role_before: str | None) -> None:
    """Apply the escalation rules, save, and audit: role_before is None for a new membership."""
    as_it_was = membership if role_before is None else Membership(
        pk=membership.pk, user_id=membership.user_id, tenant_id=membership.tenant_id, role=role_before)
    check_membership_change(request.user, as_it_was, membership.role)
    membership.save()
    if role_before is None:
        record(tenant=membership.tenant, actor=request.user.get_username(), action="member.added", via="admin",
               user=membership.user.get_username(), role=membership.role)
    elif role_before != membership.role:
        record(tenant=membership.tenant, actor=request.user.get_username(), action="member.role_changed",
               via="admin", user=membership.user.get_username(), before=role_before, after=membership.role)


def delete_membership(request, membership: Membership) -> None:
    check_membership_change(request.user, membership, None)
    record(tenant=membership.tenant, actor=request.user.get_username(), action="member.removed", via="admin",
           user=membership.user.get_username(), role=membership.role)
    membership.delete()


@admin.register(Tenant)
class TenantAdmin(TenantScopedAdmin):
    list_display = ["slug", "name", "retention_days", "ingest_lines_per_second", "ingest_bytes_per_day",
                    "created_at"]  # ingest/admin.py adds today's usage
    search_fields = ["slug", "name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [AppInline, MembershipInline]
    tenant_admins_may_add = False
    tenant_admins_may_delete = False

    def _tenant_id_of(self, obj):
        return obj.pk

    def get_readonly_fields(self, request, obj=None):
        fields = list(self.readonly_fields)
        if not request.user.is_superuser:
            fields += OPERATOR_ONLY_TENANT_FIELDS
        return fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if not request.user.is_superuser else self.prepopulated_fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            audit_field_changes(request, obj, form, AUDITED_TENANT_FIELDS)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        memberships = formset.save(commit=False)
        for membership in formset.deleted_objects:
            delete_membership(request, membership)
        for membership in memberships:
            before = Membership.objects.filter(pk=membership.pk).values_list("role", flat=True).first() \
                if membership.pk else None
            save_membership(request, membership, before)
        formset.save_m2m()


@admin.register(Membership)
class MembershipAdmin(TenantScopedAdmin):
    list_display = ["user", "tenant", "role", "created_at"]
    list_filter = ["tenant", "role"]
    search_fields = ["user__username", "user__email", "tenant__slug"]
    autocomplete_fields = ["user", "tenant"]
    # Adding means choosing among all users of the installation: an operator's job.
    tenant_admins_may_add = False

    def get_readonly_fields(self, request, obj=None):
        fixed = ["created_at"]
        return fixed if request.user.is_superuser or obj is None else fixed + ["user", "tenant"]

    def save_model(self, request, obj, form, change):
        if not self._in_scope(request, obj):
            raise PermissionDenied("That membership belongs to a tenant you do not manage.")
        before = form.initial.get("role") if change else None
        save_membership(request, obj, before)

    def delete_model(self, request, obj):
        delete_membership(request, obj)

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            delete_membership(request, membership)


class ClientCertificateForm(forms.ModelForm):
    """Register a certificate by pasting it (preferred: subject and expiry come with it) or its fingerprint."""

    certificate = forms.CharField(
        label="Certificate or fingerprint", required=False, widget=forms.Textarea(attrs={"rows": 4, "cols": 64}),
        help_text="Paste the client's PEM certificate, or its SHA-256 fingerprint (AB:CD:… or plain hex). "
                  "Only the fingerprint, subject and expiry are kept.")

    class Meta:
        model = ClientCertificate
        fields = ["app", "name", "certificate", "not_after"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # A registration's identity never changes; register the new certificate instead.
            self.fields["certificate"].disabled = True

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            return cleaned
        text = (cleaned.get("certificate") or "").strip()
        if not text:
            self.add_error("certificate", "Paste a PEM certificate or a SHA-256 fingerprint.")
            return cleaned
        try:
            fingerprint, subject, not_after = registration_facts(text)
        except ValueError as exc:
            self.add_error("certificate", str(exc))
            return cleaned
        if ClientCertificate.objects.filter(fingerprint_sha256=fingerprint).exists():
            self.add_error("certificate", "This certificate is already registered.")
            return cleaned
        self.instance.fingerprint_sha256 = fingerprint
        self.instance.subject = subject
        if not_after is not None:
            # The certificate's own expiry is the truth; a date typed beside a pasted PEM is ignored.
            cleaned["not_after"] = not_after
        return cleaned


def record_certificate_registered(request, certificate: ClientCertificate) -> None:
    record(tenant=certificate.app.tenant, actor=request.user.get_username(), action="client_certificate.registered",
           via="admin", fingerprint=certificate.fingerprint_sha256, subject=certificate.subject,
           app=certificate.app.slug)


class ClientCertificateInline(admin.TabularInline):
    model = ClientCertificate
    form = ClientCertificateForm
    extra = 0
    fields = ["name", "certificate", "fingerprint_sha256", "subject", "not_after", "revoked_at"]
    readonly_fields = ["fingerprint_sha256", "subject", "revoked_at"]
    verbose_name_plural = "client certificates (mTLS ingest)"
    can_delete = False  # revoke instead, so the record of what was trusted stays


@admin.register(App)
class AppAdmin(TenantScopedAdmin):
    list_display = ["slug", "name", "tenant", "created_at"]
    list_filter = ["tenant"]
    search_fields = ["slug", "name", "tenant__slug"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["tenant"]
    inlines = [ClientCertificateInline]

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        if formset.model is ClientCertificate:
            for certificate in formset.new_objects:
                record_certificate_registered(request, certificate)


class ApiKeyCreationForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple,
                                       initial=[Scope.INGEST.value])

    class Meta:
        model = ApiKey
        fields = ["app", "name", "scopes", "expires_at", "lines_per_second"]


@admin.action(description="Revoke selected keys")
def revoke_keys(modeladmin, request, queryset):
    count = 0
    for key in queryset.filter(revoked_at__isnull=True).select_related("app__tenant"):
        api_key_revoke(key=key, actor=request.user.get_username(), via="admin")
        count += 1
    modeladmin.message_user(request, f"Revoked {count} key(s).", messages.SUCCESS)


@admin.register(ApiKey)
class ApiKeyAdmin(TenantScopedAdmin):
    list_display = ["prefix_display", "name", "app", "tenant", "scopes", "status", "last_used_at", "expires_at"]
    list_filter = [("app__tenant", admin.RelatedOnlyFieldListFilter), "revoked_at"]
    search_fields = ["prefix", "name", "app__slug", "app__tenant__slug"]
    list_select_related = ["app__tenant"]
    actions = [revoke_keys]
    autocomplete_fields = ["app"]
    readonly_fields = ["prefix_display", "app", "scopes", "created_at", "last_used_at", "revoked_at", "rotated_from"]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyCreationForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["app", "name", "scopes", "expires_at", "lines_per_second"]
        return ["prefix_display", "name", "app", "scopes", "created_at", "expires_at", "lines_per_second",
                "last_used_at", "revoked_at", "rotated_from"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            raw = api_key_save_new(obj, scopes=form.cleaned_data["scopes"], actor=request.user.get_username(),
                                   via="admin")
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
        return lifecycle_status(obj.revoked_at, obj.expires_at)


@admin.action(description="Revoke selected certificates")
def revoke_certificates(modeladmin, request, queryset):
    count = 0
    for certificate in queryset.filter(revoked_at__isnull=True).select_related("app__tenant"):
        client_certificate_revoke(certificate=certificate)
        record(tenant=certificate.app.tenant, actor=request.user.get_username(), action="client_certificate.revoked",
               via="admin", fingerprint=certificate.fingerprint_sha256, app=certificate.app.slug)
        count += 1
    modeladmin.message_user(request, f"Revoked {count} certificate(s).", messages.SUCCESS)


@admin.register(ClientCertificate)
class ClientCertificateAdmin(TenantScopedAdmin):
    form = ClientCertificateForm
    list_display = ["fingerprint_display", "name", "app", "tenant", "subject", "status", "not_after", "created_at"]
    list_filter = [("app__tenant", admin.RelatedOnlyFieldListFilter), "revoked_at"]
    search_fields = ["fingerprint_sha256", "name", "subject", "app__slug", "app__tenant__slug"]
    list_select_related = ["app__tenant"]
    actions = [revoke_certificates]
    autocomplete_fields = ["app"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["app", "name", "certificate", "not_after"]
        return ["fingerprint_sha256", "name", "app", "subject", "not_after", "created_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["fingerprint_sha256", "app", "subject", "created_at", "revoked_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            record_certificate_registered(request, obj)

    def get_search_results(self, request, queryset, search_term):
        # Operators paste fingerprints as openssl prints them (AB:CD:…); stored ones are plain hex.
        try:
            search_term = normalise_fingerprint(search_term)
        except ValueError:
            pass
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="SHA-256", ordering="fingerprint_sha256")
    def fingerprint_display(self, obj):
        return f"{obj.fingerprint_sha256[:16]}…"

    @admin.display(description="Tenant", ordering="app__tenant__slug")
    def tenant(self, obj):
        return obj.app.tenant

    @admin.display(description="Status")
    def status(self, obj):
        return lifecycle_status(obj.revoked_at, obj.not_after)


@admin.register(AuditEvent)
class AuditEventAdmin(TenantScopedAdmin):
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
