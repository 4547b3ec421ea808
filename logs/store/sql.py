"""The log store on Django's database: PostgreSQL, TimescaleDB and SQLite.

Delegates to the modules that know each part (logs.writer, logs.search's queryset,
logs.pagination, logs.histogram, logs.facets, logs.deletion, logs.timescale, logs.token_blocks);
this module only turns their rows into plain values.
"""

from collections.abc import Iterator
from datetime import datetime
from uuid import UUID

from django.db import connection

from accounts.scoping import app_slugs
from logs import sqlite_blocks, token_blocks
from logs.deletion import delete_in_batches
from logs.entries import entry_from_row
from logs.facets import facets
from logs.histogram import histogram
from logs.pagination import after, ordered, page
from logs.search import Search, tenant_entries
from logs.store.base import Deleted, Page
from logs.timescale import drop_chunks_older_than, is_hypertable, maintain
from logs.writer import write_envelopes
from logline.envelope import Envelope


def _entries(rows, slugs: dict[int, str]) -> list[dict]:
    return [entry_from_row(row, slugs.get(row.app_id, "")) for row in rows]


class SqlStore:
    """LogStore on the `logs_logentry` table (a hypertable on TimescaleDB)."""

    name = "sql"

    def write(self, envelopes: list[Envelope]) -> int:
        return write_envelopes(envelopes)

    def search(self, search: Search, *, limit: int, cursor: str | None = None, newest_first: bool = True) -> Page:
        rows, next_cursor = page(search.queryset(), limit=limit, cursor=cursor, newest_first=newest_first)
        return Page(_entries(rows, search.caller.app_slugs()), next_cursor)

    def count(self, search: Search) -> int:
        return search.queryset().count()

    def count_at_most(self, search: Search, *, limit: int) -> int:
        # A sliced queryset counts in a LIMITed subquery; no ordering, so no sort before the limit.
        return search.queryset().order_by()[:limit].count()

    def _row(self, tenant_id: int, event_id: UUID):
        return tenant_entries(tenant_id).filter(event_id=event_id).first()

    def entry(self, *, tenant_id: int, event_id: UUID) -> dict | None:
        row = self._row(tenant_id, event_id)
        return None if row is None else entry_from_row(row, app_slugs(tenant_id).get(row.app_id, ""))

    def context(self, *, tenant_id: int, event_id: UUID, before: int, after: int) -> dict | None:
        row = self._row(tenant_id, event_id)
        if row is None:
            return None
        neighbours = tenant_entries(tenant_id).filter(app_id=row.app_id)
        if row.host:
            neighbours = neighbours.filter(host=row.host)
        earlier = ordered(_after(neighbours, row, newest_first=True), newest_first=True)[:before]
        later = ordered(_after(neighbours, row, newest_first=False), newest_first=False)[:after]
        slugs = app_slugs(tenant_id)
        return {"entry": entry_from_row(row, slugs.get(row.app_id, "")),
                "before": _entries(reversed(list(earlier)), slugs), "after": _entries(later, slugs)}

    def histogram(self, search: Search, *, interval_seconds: int) -> list[dict]:
        return histogram(search, interval_seconds=interval_seconds)

    def facets(self, search: Search, names: list[str], *, limit: int) -> dict[str, list[dict]]:
        return facets(search, names, limit=limit)

    def export(self, search: Search, *, newest_first: bool, page_size: int) -> Iterator[list[dict]]:
        slugs = search.caller.app_slugs()
        queryset = search.queryset()
        last = None
        while True:
            current = queryset if last is None else after(queryset, *last, newest_first=newest_first)
            rows = list(ordered(current, newest_first=newest_first)[:page_size])
            if not rows:
                return
            yield _entries(rows, slugs)
            if len(rows) < page_size:
                return
            last = (rows[-1].time, rows[-1].id)

    def delete(self, search: Search, *, max_rows: int) -> Deleted:
        queryset = search.queryset()
        deleted = delete_in_batches(queryset, max_rows=max_rows)
        return Deleted(deleted, deleted >= max_rows and queryset.exists())

    def delete_older_than(self, *, tenant_id: int, cutoff: datetime, batch_size: int) -> int:
        deleted = delete_in_batches(tenant_entries(tenant_id).filter(time__lt=cutoff),
                                    batch_size=batch_size)
        token_blocks.delete_older_than(cutoff, tenant_id=tenant_id)
        sqlite_blocks.delete_older_than(cutoff, tenant_id=tenant_id)
        return deleted

    def drop_older_than(self, *, days: int) -> int:
        return drop_chunks_older_than(connection, days) if is_hypertable(connection) else 0

    def maintain(self) -> dict[str, int]:
        return maintain(connection)


def _after(queryset, row, *, newest_first: bool):
    return after(queryset, row.time, row.id, newest_first=newest_first)
