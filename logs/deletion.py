"""Deleting stored lines in small batches: retention and delete-by-query share this.

Each batch is its own short transaction, so neither blocks ingest for long. PostgreSQL
(and TimescaleDB hypertables, whose chunks have no table-wide row id) delete by the
unique (time, event_id) index; SQLite by primary key.
"""

from django.db import connection, transaction
from django.db.models import QuerySet

from logs.models import LogEntry

BATCH_SIZE = 10_000


def delete_in_batches(queryset: QuerySet, *, max_rows: int | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Delete the rows of `queryset` (already scoped and filtered), at most `max_rows`."""
    deleted = 0
    while max_rows is None or deleted < max_rows:
        limit = batch_size if max_rows is None else min(batch_size, max_rows - deleted)
        with transaction.atomic():
            count = _delete_batch(queryset, limit)
        deleted += count
        if count < limit:
            break
    return deleted


def _delete_batch(queryset: QuerySet, limit: int) -> int:
    if connection.vendor != "postgresql":
        ids = list(queryset.order_by("time").values_list("id", flat=True)[:limit])
        return LogEntry.objects.filter(id__in=ids).delete()[0] if ids else 0
    inner_sql, params = queryset.order_by("time").values("time", "event_id")[:limit].query.sql_with_params()
    table = LogEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} AS t USING ({inner_sql}) AS d "
                       f"WHERE t.time = d.time AND t.event_id = d.event_id", params)
        return cursor.rowcount
