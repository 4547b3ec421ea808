"""Delete by query: a tenant admin removes the lines matching filters (GDPR requests).

Scoped to the caller's tenant, bounded per call (the answer says whether more remain),
and audited.
"""

from dataclasses import dataclass

from accounts.audit import actor_name, record
from accounts.models import Role
from accounts.scoping import Caller
from logs.deletion import delete_in_batches
from logs.filters import LogFilters
from logs.models import LogEntry

MAX_ROWS_PER_CALL = 1_000_000
MANAGING_ROLES = {Role.OWNER, Role.ADMIN}


class NotAllowed(PermissionError):
    pass


@dataclass(frozen=True)
class DeleteResult:
    deleted: int
    more: bool


def delete_by_query(*, caller: Caller, filters: LogFilters, max_rows: int = MAX_ROWS_PER_CALL) -> DeleteResult:
    if caller.key is not None or caller.role not in MANAGING_ROLES:
        raise NotAllowed("Only a tenant owner or admin, signed in, can delete lines.")
    if filters == LogFilters():
        raise ValueError("Give at least one filter (app, level, since, until or q); nothing was deleted.")
    queryset = filters.apply(LogEntry.objects.filter(tenant_id=caller.tenant.id), caller.tenant)
    deleted = delete_in_batches(queryset, max_rows=max_rows)
    more = deleted >= max_rows and queryset.exists()
    record(tenant=caller.tenant, actor=actor_name(user=caller.user, key=caller.key), action="logs.delete_by_query",
           filters=filters.as_dict(), deleted=deleted, more=more)
    return DeleteResult(deleted=deleted, more=more)
