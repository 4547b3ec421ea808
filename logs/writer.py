"""Store batches of lines. A line whose event id is already stored is skipped.

PostgreSQL: COPY into a per-connection staging table, then one
`INSERT … SELECT … ON CONFLICT (event_id, time) DO NOTHING`. COPY moves rows with almost
no per-row Python work, which keeps the processor bound by the database.
Other databases (SQLite), or DEVLOGS_PG_WRITER=insert: bulk_create with ignore_conflicts,
same effect.
"""

import uuid

import orjson
from django.conf import settings
from django.db import connection, transaction

from logs.entries import ns_to_datetime
from logs.models import LogEntry
from processing.envelope import Envelope

COLUMNS = ("time", "received_at", "tenant_id", "app_id", "level", "message", "service", "host", "trace_id",
           "span_id", "attributes", "event_id")
STAGING = "devlogs_logentry_staging"
GIN_MERGE_MEMORY = "64MB"


def write_envelopes(envelopes: list[Envelope]) -> int:
    """Write all lines of these envelopes in one transaction; returns the lines offered."""
    if connection.vendor == "postgresql" and settings.DEVLOGS_PG_WRITER == "copy":
        return copy_envelopes(envelopes)
    return bulk_create_envelopes(envelopes)


def _unique_lines(envelopes: list[Envelope]):
    seen = set()
    for envelope in envelopes:
        for line in envelope.lines:
            if line["id"] not in seen:
                seen.add(line["id"])
                yield envelope, line


def bulk_create_envelopes(envelopes: list[Envelope]) -> int:
    rows = [LogEntry(
        time=ns_to_datetime(line["ts"]), received_at=ns_to_datetime(envelope.received_ns),
        tenant_id=envelope.tenant_id, app_id=envelope.app_id, level=line["level"], message=line["message"],
        service=line["service"], host=line["host"], trace_id=line["trace_id"], span_id=line["span_id"],
        attributes=line["attributes"], event_id=uuid.UUID(line["id"]),
    ) for envelope, line in _unique_lines(envelopes)]
    with transaction.atomic():
        LogEntry.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return len(rows)


def copy_envelopes(envelopes: list[Envelope]) -> int:
    table = LogEntry._meta.db_table
    columns = ", ".join(COLUMNS)
    count = 0
    with transaction.atomic():
        with connection.cursor() as cursor:
            # The trigram index dominates the cost of a row. A bigger GIN pending list, merged with
            # more memory, makes that merge cheaper: +16–27 % rows/s (docs/benchmarks.md), for a few
            # ms more per substring search while the list is full.
            cursor.execute(f"SET LOCAL work_mem = '{GIN_MERGE_MEMORY}'; "
                           f"SET LOCAL gin_pending_list_limit = '{GIN_MERGE_MEMORY}'")
            # ON COMMIT DELETE ROWS: the staging table empties itself at every commit.
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STAGING} ON COMMIT DELETE ROWS AS "
                           f"SELECT {columns} FROM {table} WITH NO DATA")
            raw = cursor.cursor  # psycopg's own cursor, for COPY; errors still become Django's
            with connection.wrap_database_errors, raw.copy(f"COPY {STAGING} ({columns}) FROM STDIN") as copy:
                for envelope, line in _unique_lines(envelopes):
                    copy.write_row((
                        ns_to_datetime(line["ts"]), ns_to_datetime(envelope.received_ns), envelope.tenant_id,
                        envelope.app_id, line["level"], line["message"], line["service"], line["host"],
                        line["trace_id"], line["span_id"], orjson.dumps(line["attributes"]).decode(),
                        _uuid(line["id"]),
                    ))
                    count += 1
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {STAGING} "
                           f"ON CONFLICT (event_id, time) DO NOTHING")
    return count


def _uuid(text: str) -> str:
    # Validate here, where a bad id is one message's fault (dead letter), not mid-COPY.
    uuid.UUID(text)
    return text
