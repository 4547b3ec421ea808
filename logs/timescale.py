"""TimescaleDB set-up for the log table: chunk interval, compression, retention, minute counts.

Everything here is idempotent and runs only where the table is a hypertable (see
docs/storage.md); `manage.py timescale_setup` re-applies it after the settings change.
"""

import logging

from django.conf import settings

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

        # Segment by tenant and app: queries always filter by tenant, usually by app.
        cursor.execute(f"ALTER TABLE {table} SET (timescaledb.compress, "
                       f"timescaledb.compress_segmentby = 'tenant_id, app_id', "
                       f"timescaledb.compress_orderby = 'time DESC')")
        cursor.execute("SELECT remove_compression_policy(%s, if_exists => true)", [table])
        cursor.execute("SELECT add_compression_policy(%s, %s::interval)", [table, compress_after])
        done.append(f"compress chunks older than {compress_after}")

        cursor.execute("SELECT remove_retention_policy(%s, if_exists => true)", [table])
        cursor.execute("SELECT add_retention_policy(%s, %s::interval)", [table, retention])
        done.append(f"drop chunks older than {retention}")

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
