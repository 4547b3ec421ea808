"""One search, from request parameters to a tenant-scoped queryset: shared by every read endpoint.

    q=<query language>  since=<time>  until=<time>  (and, from the first API: app=<slug>, level=<min>)
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from accounts.scoping import Caller
from devlogs.errors import ApiError
from logline.timestamps import parse_timestamp
from logs.entries import ns_to_datetime
from logline.levels import parse_level
from logs.models import LogEntry
from logs.querylang import Node, QueryError, compile_query, parse, wildcard_match
from logs import sqlite_blocks
from logs.lookups import UnindexedEquals
from logs.token_blocks import candidates, required_words


def scoped_entries(caller: Caller, *, by_tenant_index: bool = True) -> QuerySet:
    """Every query of stored lines starts here: only the caller's tenant."""
    return tenant_entries(caller.tenant.id, by_tenant_index=by_tenant_index)


def tenant_entries(tenant_id: int, *, by_tenant_index: bool = True) -> QuerySet:
    """One tenant's stored lines, for code that holds a tenant id (the store, retention).
    by_tenant_index=False: the same lines, for a query that narrows them by id ranges, which
    SQLite must read instead of the tenant's (tenant, time) index (logs/sqlite_blocks.py)."""
    if by_tenant_index:
        return LogEntry.objects.filter(tenant_id=tenant_id)
    return LogEntry.objects.filter(UnindexedEquals("tenant_id", tenant_id))


def ids_matching(slug_ids, pattern: str) -> list[int]:
    """The ids of the (slug, id) pairs whose slug matches a pattern with `*` wildcards."""
    return [row_id for slug, row_id in slug_ids if wildcard_match(pattern, slug)]


def app_resolver(caller: Caller):
    """slug pattern → ids of the caller's apps (what compile_query needs)."""
    apps = list(caller.apps().values_list("slug", "id"))
    return lambda pattern: ids_matching(apps, pattern)


@dataclass(frozen=True)
class Search:
    caller: Caller
    node: Node | None
    since: datetime | None
    until: datetime | None
    extra: Node | None = None  # the app= and level= parameters, as a query

    @classmethod
    def for_tenant(cls, tenant, query: str = "", *, since: datetime | None = None,
                   until: datetime | None = None) -> "Search":
        """A search made by the system itself (jobs, alerts, benchmarks), not from a request."""
        return cls(caller=Caller(tenant=tenant), node=parse(query), since=since, until=until)

    def queryset(self) -> QuerySet:
        tenant_id, required = self.caller.tenant.id, required_words(self.node)
        # The block index narrows a word search to the blocks holding every word (PostgreSQL:
        # logs/token_blocks.py; SQLite: logs/sqlite_blocks.py); each function answers None
        # on the other engine, or where narrowing would not pay.
        ranges = sqlite_blocks.candidates(tenant_id, required, self.since, self.until)
        queryset = scoped_entries(self.caller, by_tenant_index=ranges is None)
        if ranges is not None:
            queryset = queryset.filter(sqlite_blocks.in_ranges(ranges))
        app_ids = app_resolver(self.caller)
        for node in (self.node, self.extra):
            if node is not None:
                queryset = queryset.filter(compile_query(node, app_ids=app_ids))
        if self.since:
            queryset = queryset.filter(time__gte=self.since)
        if self.until:
            queryset = queryset.filter(time__lt=self.until)
        blocks = candidates(tenant_id, required, self.since, self.until)
        if blocks is not None:
            queryset = queryset.filter(block_id__in=blocks)
        return queryset


def parse_time(value: str | None, field: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return ns_to_datetime(parse_timestamp(value))
    except ValueError as exc:
        raise ApiError(400, f"invalid_{field}", str(exc), field=field) from None


def search_from_params(params, caller: Caller) -> Search:
    text = params.get("q") or ""
    extra = []
    if params.get("app"):
        if not caller.apps().filter(slug=params["app"]).exists():
            raise ApiError(400, "unknown_app", f"This tenant has no app '{params['app'][:100]}'.", field="app")
        extra.append(f'app:"{_quote(params["app"])}"')
    if params.get("level"):
        try:
            parse_level(params["level"])
        except ValueError as exc:
            raise ApiError(400, "invalid_level", str(exc), field="level") from None
        extra.append(f"level:>={params['level']}" if params["level"].isalnum() else "level:>=info")
    try:
        node = parse(text)
    except QueryError as exc:
        raise ApiError(400, "invalid_query", exc.message, field="q",
                       extra={"position": exc.position, "expected": exc.expected}) from None
    extra_node = parse(" ".join(extra)) if extra else None
    since, until = parse_time(params.get("since"), "since"), parse_time(params.get("until"), "until")
    if since and until and since > until:
        raise ApiError(400, "invalid_range", "'since' is after 'until'.", field="since")
    return Search(caller=caller, node=node, since=since, until=until, extra=extra_node)


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')

