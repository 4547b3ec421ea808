"""Recording audit events."""

from accounts.models import AuditEvent, Tenant


def actor_name(*, user=None, key=None) -> str:
    if key is not None:
        return f"key:{key.prefix}"
    return user.get_username() if user is not None else "system"


def record(*, tenant: Tenant, actor: str, action: str, **details) -> AuditEvent:
    return AuditEvent.objects.create(tenant=tenant, actor=actor, action=action, details=details)
