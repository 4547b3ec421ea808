"""Delete by query: a tenant admin removes the lines matching filters (GDPR requests).

Scoped to the caller's tenant, bounded per call (the answer says whether more remain),
and audited.
"""

from dataclasses import dataclass

from accounts.audit import record
from accounts.scoping import MANAGERS, Caller
from logs.querylang.parser import to_text
from logs.store import get_store

MAX_ROWS_PER_CALL = 1_000_000


class NotAllowed(PermissionError):
    pass


@dataclass(frozen=True)
class DeleteResult:
    deleted: int
    more: bool


def delete_by_query(*, caller: Caller, search, max_rows: int = MAX_ROWS_PER_CALL) -> DeleteResult:
    """Delete the lines of a logs.search.Search made for this caller."""
    if not caller.has_role(MANAGERS):
        raise NotAllowed("Only a tenant owner or admin, signed in, can delete lines.")
    if search.node is None and search.extra is None and search.since is None and search.until is None:
        raise ValueError("Give a query or a time range (q, since, until); nothing was deleted.")
    deleted, more = get_store().delete(search, max_rows=max_rows)
    record(tenant=caller.tenant, actor=caller.actor, action="logs.delete_by_query",
           query=_text(search), since=search.since and search.since.isoformat(),
           until=search.until and search.until.isoformat(), deleted=deleted, more=more)
    return DeleteResult(deleted=deleted, more=more)


def _text(search) -> str:
    return " ".join(to_text(node) for node in (search.node, search.extra) if node is not None)
