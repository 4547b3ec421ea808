"""TimescaleDB set-up for the log table: chunk interval, compression, retention, minute counts.

Everything here is idempotent and runs only where the table is a hypertable (see
docs/storage.md); `manage.py timescale_setup` re-applies it after the settings change.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from logs.models import LogEntry

log = logging.getLogger("devlogs.storage")

MINUTE_COUNTS = "logs_minute_counts"


def is_hypertable(connection) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'")
        if cursor.fetchone() is None:
            return False
        cursor.execute("SELECT 1 FROM timescaledb_information.hypertables WHERE hypertable_name = %s",
                       [LogEntry._meta.db_table])
        return cursor.fetchone() is not None


def configure(connection, *, chunk_interval: str | None = None, compress_after: str | None = None,
              retention_max_days: int | None = None) -> list[str]:
    """Apply the TimescaleDB policies; returns what was done (empty where not a hypertable)."""
    if not is_hypertable(connection):
        return []
    table = LogEntry._meta.db_table
    chunk_interval = chunk_interval or settings.DEVLOGS_TIMESCALE_CHUNK_INTERVAL
    compress_after = compress_after or settings.DEVLOGS_TIMESCALE_COMPRESS_AFTER
    retention = f"{retention_max_days or settings.DEVLOGS_RETENTION_MAX_DAYS} days"
    done = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_chunk_time_interval(%s, %s::interval)", [table, chunk_interval])
        done.append(f"chunk interval {chunk_interval}")

        # Segment by tenant and app: queries always filter by tenant, usually by app. Min/max of
        # block_id per compressed batch lets a word search skip batches (logs/token_blocks.py);
        # a bloom filter on trace_id does the same for one trace.
        # (Migrations older than block_id run this too: the column is checked for.)
        cursor.execute("SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = 'block_id'",
                       [table])
        sparse = ("minmax(block_id), " if cursor.fetchone() else "") + "bloom(trace_id)"
        cursor.execute(f"ALTER TABLE {table} SET (timescaledb.compress, "
                       f"timescaledb.compress_segmentby = 'tenant_id, app_id', "
                       f"timescaledb.compress_orderby = 'time DESC', "
                       f"timescaledb.compress_index = '{sparse}')")
        cursor.execute("SELECT remove_compression_policy(%s, if_exists => true)", [table])
        cursor.execute("SELECT add_compression_policy(%s, %s::interval)", [table, compress_after])
        done.append(f"compress chunks older than {compress_after}")

        # One retention path: apply_retention (logs/retention.py) drops whole chunks past
        # DEVLOGS_RETENTION_MAX_DAYS and trims shorter tenant retention, on every database; a
        # TimescaleDB job doing the first half as well was a second way (installs that had it lose it).
        cursor.execute("SELECT remove_retention_policy(%s, if_exists => true)", [table])
        done.append(f"chunks older than {retention} are dropped by apply_retention")

        cursor.execute("SELECT 1 FROM timescaledb_information.continuous_aggregates WHERE view_name = %s",
                       [MINUTE_COUNTS])
        if cursor.fetchone() is None:
            # Real-time (materialized_only = false): the newest minutes come from the raw table.
            cursor.execute(
                f"CREATE MATERIALIZED VIEW {MINUTE_COUNTS} "
                f"WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS "
                f"SELECT time_bucket('1 minute', time) AS bucket, tenant_id, app_id, level, count(*) AS lines "
                f"FROM {table} GROUP BY bucket, tenant_id, app_id, level WITH NO DATA")
            cursor.execute("SELECT add_continuous_aggregate_policy(%s, start_offset => interval '3 days', "
                           "end_offset => interval '1 minute', schedule_interval => interval '1 minute')",
                           [MINUTE_COUNTS])
            done.append(f"continuous aggregate {MINUTE_COUNTS}")
    for action in done:
        log.info("timescaledb: %s", action)
    return done


def refresh_minute_counts(connection, start, end) -> None:
    """Materialise the minute counts for a range now (the policy does it every minute)."""
    with connection.cursor() as cursor:
        cursor.execute("CALL refresh_continuous_aggregate(%s, %s, %s)", [MINUTE_COUNTS, start, end])


def compress_chunks_older_than(connection, interval: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(compress_chunk(c, if_not_compressed => true)) "
                       "FROM show_chunks(%s, older_than => %s::interval) c", [LogEntry._meta.db_table, interval])
        return cursor.fetchone()[0]


def drop_chunks_older_than(connection, days: int) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM drop_chunks(%s, older_than => %s::interval)",
                       [LogEntry._meta.db_table, f"{days} days"])
        return cursor.fetchone()[0]


def maintain(connection, *, now=None) -> dict[str, int]:
    """What the TimescaleDB policies do, done from our side: move closed chunks older than
    DEVLOGS_TIMESCALE_COMPRESS_AFTER to the columnstore, refresh the minute counts of the last
    3 days. Idempotent; a no-op off TimescaleDB.

    Why not leave it to TimescaleDB's scheduler: on PostgreSQL 15.20 every job that 2.28.3's
    scheduler starts ends in "cannot drop portal "" while it is being set up" (15.20 refuses to
    drop a portal still in PORTAL_NEW, which is how the job runner leaves it), so compression,
    retention and refresh policies never complete there. The same work run from a session works.
    """
    if not is_hypertable(connection):
        return {}
    now = now or timezone.now()
    # A savepoint: a failed compression (a chunk locked by a long query, say) must not leave the
    # caller's transaction aborted.
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT count(compress_chunk(format('%%I.%%I', chunk_schema, chunk_name)::regclass)) "
                       "FROM timescaledb_information.chunks WHERE hypertable_name = %s AND NOT is_compressed "
                       "AND range_end < %s - %s::interval",
                       [LogEntry._meta.db_table, now, settings.DEVLOGS_TIMESCALE_COMPRESS_AFTER])
        compressed = cursor.fetchone()[0]
    # refresh_continuous_aggregate cannot run inside a transaction block; the real-time aggregate
    # stays correct without it (only slower), so inside one it waits for the next run.
    if not connection.in_atomic_block:
        # Whole minutes, and not the current one: the aggregate refreshes closed buckets only.
        end = now.replace(second=0, microsecond=0) - timedelta(minutes=1)
        refresh_minute_counts(connection, end - timedelta(days=3), end)
    if compressed:
        log.info("timescaledb: moved %s chunks to the columnstore", compressed)
    return {"chunks compressed": compressed}
