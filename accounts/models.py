"""Tenants, their members, their apps and the apps' API keys."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Tenant(models.Model):
    """An organisation whose logs are kept apart from every other tenant's."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    retention_days = models.PositiveIntegerField(default=30, help_text="Logs older than this are deleted.")
    ingest_lines_per_second = models.PositiveIntegerField(
        null=True, blank=True, help_text="Sustained ingest rate for the whole tenant; bursts up to one second's "
                                         "worth more are allowed. Empty means no limit.")
    ingest_bytes_per_day = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Ingested bytes (as received, decompressed) per UTC day. Empty means no limit.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


class Membership(models.Model):
    """A user's place in a tenant, with a role."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "tenant"], name="membership_unique_user_tenant")]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant} ({self.role})"


class App(models.Model):
    """A source of logs (a service, a website) inside a tenant."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="apps")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["tenant__slug", "slug"]
        constraints = [models.UniqueConstraint(fields=["tenant", "slug"], name="app_unique_tenant_slug")]

    def __str__(self) -> str:
        return f"{self.tenant.slug}/{self.slug}"


class Scope(models.TextChoices):
    INGEST = "ingest", "Ingest"
    READ = "read", "Read"


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now))


class ApiKey(models.Model):
    """A key an app uses to send logs (scope ingest) or read them (scope read).

    Only a lookup prefix and a keyed hash are stored; the full key is shown once.
    """

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=200, blank=True)
    prefix = models.CharField(max_length=40, unique=True, editable=False,
                              help_text="The readable start of the key, enough to recognise it.")
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    lines_per_second = models.PositiveIntegerField(
        null=True, blank=True, help_text="Ingest rate for this key alone, within the tenant's. Empty means no limit.")
    rotated_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, editable=False,
                                     related_name="rotated_to", help_text="The key this one replaced.")

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.prefix}… ({', '.join(self.scopes)})"

    @property
    def tenant(self) -> Tenant:
        return self.app.tenant

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def actor(self) -> str:
        """How audit events name this key."""
        return f"key:{self.prefix}"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class ClientCertificate(models.Model):
    """A TLS client certificate an app may present instead of an API key (mTLS at ingest).

    Identified by the SHA-256 fingerprint of its DER encoding; the certificate itself is
    never stored, only what is needed to recognise it and show it to people.
    """

    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="client_certificates")
    name = models.CharField(max_length=200, blank=True)
    fingerprint_sha256 = models.CharField(max_length=64, unique=True,
                                          help_text="Lower-case hex SHA-256 of the certificate's DER bytes.")
    subject = models.CharField(max_length=500, blank=True)
    not_after = models.DateTimeField(null=True, blank=True, help_text="Refused after this time.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "client certificate"

    def __str__(self) -> str:
        return f"{self.fingerprint_sha256[:16]}… ({self.app})"


class AuditEvent(models.Model):
    """Who did what, when: written by the actions themselves, never edited from the UI."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.CharField(max_length=200, help_text="username, or key:<prefix> for an API key")
    action = models.CharField(max_length=100)
    details = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action}"
