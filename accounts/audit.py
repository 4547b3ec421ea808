"""Recording audit events."""

from accounts.models import AuditEvent, Tenant


def record(*, tenant: Tenant, actor: str, action: str, **details) -> AuditEvent:
    return AuditEvent.objects.create(tenant=tenant, actor=actor, action=action, details=details)
