"""Counts of lines over time, split by level: one function, the best source per database.

- TimescaleDB: the `logs_minute_counts` continuous aggregate (real-time), re-bucketed with
  time_bucket, when the interval is whole minutes and the search has no query;
- PostgreSQL (and TimescaleDB with a query): date_bin over the log table;
- SQLite, for no query or one on levels and apps only: `logs_linecount` (logs/sqlite_counts.py)
  for whole minutes and seconds, the log table for the part-seconds at the ends; for any other
  query, epoch arithmetic over the log table.
Buckets start at multiples of the interval counted from 2000-01-01T00:00Z on every backend.
"""

import dataclasses
from datetime import datetime, timezone

from django.db import connection
from django.db.models import Count, DateTimeField, Func, IntegerField
from django.db.models.expressions import RawSQL

from logs import sqlite_counts
from logs.entries import iso
from logline.levels import level_name
from logs.querylang.parser import And
from logs.search import app_resolver
from logs.timescale import MINUTE_COUNTS, is_hypertable

ORIGIN_EPOCH = 946684800  # 2000-01-01T00:00:00Z
# Auto intervals, in seconds: the smallest giving at most MAX_BUCKETS buckets.
INTERVALS = [1, 5, 10, 30, 60, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400]
MAX_BUCKETS = 150


class DateBin(Func):
    output_field = DateTimeField()

    def __init__(self, expression, seconds: int):
        super().__init__(expression)
        self.seconds = int(seconds)

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date_bin(make_interval(secs => {self.seconds}), {sql}, TIMESTAMPTZ '2000-01-01')", params


def _sqlite_bucket(seconds: int) -> RawSQL:
    bucket = sqlite_counts.floor_bucket("CAST(strftime('%%s', time) AS INTEGER)", origin=ORIGIN_EPOCH,
                                        interval_seconds=seconds)
    return RawSQL(bucket, [], output_field=IntegerField())


def auto_interval(since: datetime, until: datetime) -> int:
    span = max((until - since).total_seconds(), 1)
    return next((i for i in INTERVALS if span / i <= MAX_BUCKETS), INTERVALS[-1])


def histogram(search, *, interval_seconds: int) -> list[dict]:
    """[{"time": bucket start, "level": name, "count": n}] for a Search (logs.search)."""
    if interval_seconds < 1:
        raise ValueError("interval must be at least one second")
    if _use_minute_counts(search, interval_seconds):
        rows = _from_minute_counts(search, interval_seconds)
    elif sqlite_counts.enabled() and (where := _counts_condition(search)) is not None:
        rows = _from_sqlite_counts(search, interval_seconds, where)
    else:
        rows = _from_table(search.queryset(), interval_seconds)
    return [{"time": iso(_as_datetime(bucket)), "level": level_name(level), "count": int(count)}
            for bucket, level, count in rows]


def _from_table(queryset, interval_seconds: int):
    bucket = _sqlite_bucket(interval_seconds) if connection.vendor == "sqlite" else DateBin("time", interval_seconds)
    return (queryset.annotate(bucket=bucket).values_list("bucket", "level")
            .annotate(count=Count("id")).order_by("bucket", "level"))


def _whole_tenant(search) -> bool:
    """Every line of the tenant in the range: what counts per time span answer."""
    return search.node is None and search.extra is None


def _use_minute_counts(search, interval_seconds: int) -> bool:
    return _whole_tenant(search) and interval_seconds % 60 == 0 and is_hypertable(connection)


def _counts_condition(search) -> tuple[str, list] | None:
    """The search as a condition on the SQLite counts, when it tests levels and apps only."""
    nodes = tuple(node for node in (search.node, search.extra) if node is not None)
    if not nodes:
        return "1", []
    return sqlite_counts.condition(And(nodes), app_resolver(search.caller))


def _from_sqlite_counts(search, interval_seconds: int, where: tuple[str, list]):
    """Whole spans from logs_linecount, the part-seconds at either end from the table."""
    spans, edges = sqlite_counts.cover(search.since, search.until, sqlite_counts.spans_for(interval_seconds))
    totals: dict[tuple[int, int], int] = {}
    for bucket, level, count in sqlite_counts.counts(search.caller.tenant.id, spans, origin=ORIGIN_EPOCH,
                                                     interval_seconds=interval_seconds, where=where):
        totals[bucket, level] = totals.get((bucket, level), 0) + count
    for since, until in edges:
        # The edge's own bounds only: with the search's as well, SQLite ranges its index over the wider pair.
        edge = dataclasses.replace(search, since=since, until=until)
        for bucket, level, count in _from_table(edge.queryset(), interval_seconds):
            totals[bucket, level] = totals.get((bucket, level), 0) + count
    return [(bucket, level, count) for (bucket, level), count in sorted(totals.items())]


def _from_minute_counts(search, interval_seconds: int):
    where, params = ["tenant_id = %s"], [search.caller.tenant.id]
    if search.since:
        where.append("bucket >= %s")
        params.append(search.since)
    if search.until:
        where.append("bucket < %s")
        params.append(search.until)
    sql = (f"SELECT time_bucket(make_interval(secs => %s), bucket, TIMESTAMPTZ '2000-01-01') AS b, level, "
           f"sum(lines) FROM {MINUTE_COUNTS} WHERE {' AND '.join(where)} GROUP BY b, level ORDER BY b, level")
    with connection.cursor() as cursor:
        cursor.execute(sql, [interval_seconds, *params])
        return cursor.fetchall()


def _as_datetime(value) -> datetime:
    if isinstance(value, int):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    return value
