"""Who is calling and which tenant they may see: the one place tenant scoping lives.

Every view, export, live-tail socket and admin list asks `caller_for_request` (or
`caller_for`, from any principal) and builds its querysets with `caller.rows(Model)`
(`rows_of` for admin's tenant sets, `managed_tenant_ids`); no view reads a tenant id from the
request body or URL. Long-lived sessions ask `access_ended` again. The log store scopes its
own reads by tenant id (logs/search.py, logs/store/), from the caller it is given.
"""

import functools
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils.crypto import constant_time_compare
from rest_framework import exceptions, permissions

from accounts.authentication import KeyPrincipal
from accounts.client_certs import CertificateKey
from accounts.models import ApiKey, App, Membership, Role, Tenant

TENANT_HEADER = "X-Devlogs-Tenant"


@functools.cache  # a fact about the model class: asked on every scoped query
def tenant_path(model) -> str:
    """The lookup from a tenant-owned model to its tenant: "tenant", "app__tenant",
    "channel__tenant", "" for Tenant itself. ValueError for a model no tenant owns."""
    if model is Tenant:
        return ""
    # Forward foreign keys and one-to-one fields (model._meta.fields holds no many-to-many).
    paths = [([field.name], field.related_model) for field in model._meta.fields
             if field.is_relation and field.related_model is not None]
    for _ in range(3):  # breadth first: the shortest way wins (Event has tenant and rule__tenant)
        for names, related in paths:
            if related is Tenant:
                return "__".join(names)
        paths = [(names + [field.name], field.related_model) for names, related in paths
                 for field in related._meta.fields if field.is_relation and field.related_model is not None]
    raise ValueError(f"{model.__name__} belongs to no tenant")


def rows_of(tenant_ids, model_or_queryset):
    """The rows of a tenant-owned model (or queryset) that belong to these tenants: every
    tenant-owned queryset of the API, admin and live tail is built here."""
    queryset = model_or_queryset if isinstance(model_or_queryset, QuerySet) else \
        model_or_queryset._default_manager.all()
    path = tenant_path(queryset.model)
    ids = [tenant_ids] if isinstance(tenant_ids, int) else list(tenant_ids)
    return queryset.filter(**{f"{path}__in" if path else "pk__in": ids})


def managed_tenant_ids(user) -> set[int] | None:
    """The tenants this person may manage in Django admin (owner or admin); None means all (a superuser)."""
    if user.is_superuser:
        return None
    cached = getattr(user, "_devlogs_managed_tenants", None)
    if cached is None:
        cached = set(Membership.objects.filter(user=user, role__in=MANAGERS).values_list("tenant_id", flat=True))
        user._devlogs_managed_tenants = cached
    return cached


def app_slugs(tenant_id: int) -> dict[int, str]:
    """app id → slug for one tenant's apps (for code that holds a tenant id, not a Caller)."""
    return dict(App.objects.filter(tenant_id=tenant_id).values_list("id", "slug"))


@dataclass(frozen=True)
class Caller:
    tenant: Tenant
    role: str | None = None  # for people; None for keys
    key: ApiKey | CertificateKey | None = None  # a CertificateKey when a client certificate authenticated
    user: AbstractBaseUser | None = None

    def can(self, scope: str) -> bool:
        if self.key is not None:
            return self.key.has_scope(scope)
        # People: every role reads; ingest by session is not offered.
        return scope == "read" and self.role is not None

    def rows(self, model_or_queryset):
        """What of this model the caller's tenant owns (the one way views scope a queryset)."""
        return rows_of(self.tenant.id, model_or_queryset)

    def apps(self):
        return self.rows(App)

    def app_slugs(self) -> dict[int, str]:
        """app id → slug for the tenant's apps (entries carry ids; people read slugs)."""
        return app_slugs(self.tenant.id)

    def has_role(self, roles) -> bool:
        """A person with one of these roles (keys have no role)."""
        return self.key is None and self.role in roles

    @property
    def actor(self) -> str:
        return self.key.actor if self.key is not None else self.user.get_username()


def caller_for_key(key: ApiKey | CertificateKey) -> Caller:
    return Caller(tenant=key.app.tenant, key=key)


def caller_for_user(user, tenant_slug: str | None = None) -> Caller:
    """The tenant a signed-in person acts in: the one asked for, or their first."""
    memberships = Membership.objects.filter(user=user).select_related("tenant").order_by("tenant__slug")
    if tenant_slug:
        memberships = memberships.filter(tenant__slug=tenant_slug)
    membership = memberships.first()
    if membership is None:
        if tenant_slug:
            raise exceptions.PermissionDenied(f"You are not a member of tenant '{tenant_slug}'.")
        raise exceptions.PermissionDenied("You are not a member of any tenant; ask an operator to add you.")
    return Caller(tenant=membership.tenant, role=membership.role, user=user)


def caller_for(principal, *, headers=None, params=None) -> Caller:
    """The one way from who authenticated to the Caller, for REST, the WebSocket tail, the SSE
    stream and the admin: a key (KeyPrincipal) acts in its app's tenant; a signed-in person in
    the tenant they ask for (the X-Devlogs-Tenant header or ?tenant=<slug>, membership still
    decides) or their first. NotAuthenticated for nobody; PermissionDenied for a tenant not theirs."""
    if isinstance(principal, KeyPrincipal):
        return caller_for_key(principal.key)
    if principal is None or not principal.is_authenticated:
        raise exceptions.NotAuthenticated()
    slug = (headers or {}).get(TENANT_HEADER) or (params or {}).get("tenant")
    return caller_for_user(principal, slug or None)


def caller_for_request(request) -> Caller:
    """caller_for the request's user (a DRF or Django request), once per request."""
    cached = getattr(request, "_devlogs_caller", None)
    if cached is None:
        cached = caller_for(request.user, headers=request.headers, params=getattr(request, "query_params", request.GET))
        request._devlogs_caller = cached
    return cached


# Why access ended, as a live-tail socket reports it when it closes (docs/live-tail.md).
ENDED_CREDENTIALS = "credentials"  # the key or the sign-in is no longer valid (close code 4401)
ENDED_PERMISSION = "permission"  # still who they were, but no longer allowed here (close code 4403)


def access_ended(caller: Caller, session_key: str | None = None) -> tuple[str, str] | None:
    """(kind, reason) when a caller let in earlier may no longer read the tenant; None while they may.

    Long-lived sessions (the live tail's WebSocket and SSE streams) ask again on a timer and when
    told that keys or memberships changed, so access that ends, ends there too.
    """
    if caller.key is not None:
        key = ApiKey.objects.filter(pk=caller.key.pk).first() if isinstance(caller.key, ApiKey) else None
        if key is None:
            return ENDED_CREDENTIALS, "The API key no longer exists."
        if key.revoked_at is not None:
            return ENDED_CREDENTIALS, "The API key has been revoked."
        if not key.is_usable():
            return ENDED_CREDENTIALS, "The API key has expired."
        if not key.has_scope("read"):
            return ENDED_PERMISSION, "The API key lacks the 'read' scope."
        return None
    user = get_user_model().objects.filter(pk=caller.user.pk).first()
    if user is None or not user.is_active:
        return ENDED_CREDENTIALS, "The account has been deactivated."
    if session_key is not None and not _session_holds(session_key, user):
        return ENDED_CREDENTIALS, "Signed out."
    role = Membership.objects.filter(user=user, tenant_id=caller.tenant.id).values_list("role", flat=True).first()
    if role is None:
        return ENDED_PERMISSION, f"No longer a member of tenant '{caller.tenant.slug}'."
    if role not in READERS:
        return ENDED_PERMISSION, "The role no longer allows reading."
    return None


def _session_holds(session_key: str, user) -> bool:
    # What django.contrib.auth.get_user checks: the session still exists (logging out deletes it)
    # and still carries this user and the hash of their current password.
    data = import_module(settings.SESSION_ENGINE).SessionStore(session_key).load()
    if str(data.get(SESSION_KEY)) != str(user.pk):
        return False
    stored = data.get(HASH_SESSION_KEY) or ""
    return constant_time_compare(stored, user.get_session_auth_hash())


READERS = {Role.OWNER, Role.ADMIN, Role.MEMBER, Role.VIEWER}
WRITERS = {Role.OWNER, Role.ADMIN, Role.MEMBER}  # save searches, dashboards
MANAGERS = {Role.OWNER, Role.ADMIN}  # apps, keys, deletes


class HasRole(permissions.BasePermission):
    """Unsafe methods need a signed-in person with one of the view's `write_roles`; reads need `read`."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        caller = caller_for_request(request)
        if request.method in permissions.SAFE_METHODS:
            if not caller.can("read"):
                raise exceptions.PermissionDenied("Reading needs the 'read' scope or a membership.")
            return True
        roles = getattr(view, "write_roles", MANAGERS)
        if not caller.has_role(roles):
            needed = " or ".join(sorted(r.value if hasattr(r, "value") else r for r in roles))
            raise exceptions.PermissionDenied(f"This needs a signed-in {needed} of the tenant.")
        return True


class HasScope(permissions.BasePermission):
    """Allows the request when the caller (key or person) holds `required_scope`."""

    required_scope = "read"
    message = "This API key lacks the '{scope}' scope."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        scope = getattr(view, "required_scope", self.required_scope)
        caller = caller_for_request(request)
        if not caller.can(scope):
            if caller.key is not None:
                raise exceptions.PermissionDenied(self.message.format(scope=scope))
            raise exceptions.PermissionDenied(f"Your role cannot '{scope}' in this tenant.")
        return True

