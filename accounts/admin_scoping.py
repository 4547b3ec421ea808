"""Django admin for tenant admins, not only operators.

Superusers (the operators) see everything. A staff user who is an owner or admin of some
tenants sees and manages only those tenants' objects, whatever Django permissions say:
querysets, foreign-key choices and every add/change/delete check go through
`managed_tenant_ids`. The rules that stop escalation live here too: only an owner may
make or touch an owner, and nobody changes their own membership.
"""

from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path
from django.core.exceptions import FieldDoesNotExist, PermissionDenied

from accounts.audit import record
from accounts.models import Membership, Role, Tenant
from accounts.scoping import managed_tenant_ids, rows_of, tenant_path


def owned_tenant_ids(user) -> set[int] | None:
    if user.is_superuser:
        return None
    return set(Membership.objects.filter(user=user, role=Role.OWNER).values_list("tenant_id", flat=True))


def _scoped_related(related, tenants: set[int]):
    """The rows of a related model that belong to these tenants (None: not tenant-owned)."""
    try:
        return rows_of(tenants, related)
    except ValueError:
        return None


class ScopedRelatedFilter(admin.RelatedFieldListFilter):
    """"By tenant" (or by app, channel, …) offering only the tenants the person manages: the
    plain filter lists every row of the related model, other tenants' names included."""

    def field_choices(self, field, request, model_admin):
        tenants = managed_tenant_ids(request.user)
        if tenants is None:
            return super().field_choices(field, request, model_admin)
        scoped = _scoped_related(field.related_model, tenants)
        if scoped is None:
            return super().field_choices(field, request, model_admin)
        pk = field.target_field.attname if hasattr(field, "target_field") else "pk"
        return [(getattr(row, pk), str(row)) for row in scoped]


class TenantScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows belong to a tenant (through the path accounts.scoping.tenant_path finds).

    Every tenant-owned admin is one of these: list, change page, filters, search, actions,
    autocomplete and foreign-key or many-to-many choices show a tenant admin only their tenants.
    """

    tenant_admins_may_add = True
    tenant_admins_may_delete = True

    def _tenants(self, request):
        return managed_tenant_ids(request.user)

    def _tenant_id_of(self, obj) -> int | None:
        value = obj
        for part in filter(None, tenant_path(self.model).split("__")):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value.pk if isinstance(value, Tenant) else value

    def _in_scope(self, request, obj) -> bool:
        tenants = self._tenants(request)
        return tenants is None or obj is None or self._tenant_id_of(obj) in tenants

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        tenants = self._tenants(request)
        if tenants is None:
            return queryset
        return rows_of(tenants, queryset)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff and (
            request.user.is_superuser or bool(self._tenants(request)))

    def has_view_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_view_permission(request, obj)
        return self.has_module_permission(request) and self._in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_change_permission(request, obj)
        return self.has_module_permission(request) and self._in_scope(request, obj)

    def has_add_permission(self, request, *args):
        if request.user.is_superuser:
            return super().has_add_permission(request, *args)
        return self.tenant_admins_may_add and self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_delete_permission(request, obj)
        return self.tenant_admins_may_delete and self.has_module_permission(request) and self._in_scope(request, obj)

    def get_list_filter(self, request):
        # Related-object filters offer only the person's tenants' rows.
        scoped = []
        for entry in super().get_list_filter(request):
            path = entry[0] if isinstance(entry, (tuple, list)) else entry
            if isinstance(path, str) and self._is_relation(path):
                entry = (path, ScopedRelatedFilter)
            scoped.append(entry)
        return scoped

    def _is_relation(self, path: str) -> bool:
        try:
            return get_fields_from_path(self.model, path)[-1].is_relation
        except (FieldDoesNotExist, NotRelationField):
            return False

    def _scope_choices(self, db_field, request, kwargs: dict) -> dict:
        tenants = self._tenants(request)
        scoped = None if tenants is None else _scoped_related(db_field.related_model, tenants)
        return kwargs if scoped is None else {**kwargs, "queryset": scoped}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(db_field, request, **self._scope_choices(db_field, request, kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return super().formfield_for_manytomany(db_field, request, **self._scope_choices(db_field, request, kwargs))

    def save_model(self, request, obj, form, change):
        # The form's choices are scoped already; this refuses a forged POST all the same.
        if not self._in_scope(request, obj):
            raise PermissionDenied("That object belongs to a tenant you do not manage.")
        super().save_model(request, obj, form, change)


def check_membership_change(user, membership: Membership, new_role: str | None) -> None:
    """Raise PermissionDenied when `user` may not make this change to a membership.

    new_role None means deletion.
    """
    if user.is_superuser:
        return
    if membership.user_id == user.pk:
        raise PermissionDenied("You cannot change or remove your own membership; ask another owner.")
    owned = owned_tenant_ids(user)
    touches_owner = membership.role == Role.OWNER or new_role == Role.OWNER
    if touches_owner and membership.tenant_id not in owned:
        raise PermissionDenied("Only an owner of the tenant can grant, change or remove the owner role.")


def audit_field_changes(request, obj, form, fields: dict[str, str]) -> None:
    """Record an audit event for each tracked field the admin form changed: {field: action}."""
    if form is None or not getattr(form, "changed_data", None):
        return
    tenant = obj if isinstance(obj, Tenant) else obj.tenant
    for field, action in fields.items():
        if field in form.changed_data:
            before = form.initial.get(field)
            record(tenant=tenant, actor=request.user.get_username(), action=action, via="admin",
                   object=str(obj), field=field, before=before, after=getattr(obj, field))
