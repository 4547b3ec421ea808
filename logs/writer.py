"""Store batches of lines. A line whose event id is already stored is skipped.

PostgreSQL: COPY straight into the table; a batch holding a line stored already (redelivered)
is written again through a staging table and `INSERT … SELECT … ON CONFLICT (event_id, time)
DO NOTHING` (`copy_envelopes`). COPY moves rows with little per-row Python work.
Other databases (SQLite), or DEVLOGS_PG_WRITER=insert: bulk_create with ignore_conflicts,
same effect. On PostgreSQL every batch also writes its blocks, one per tenant, in the same
transaction (logs/token_blocks.py): that, not a per-row text index, is what word search uses.
"""

import re
import uuid

import orjson
import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from logs.entries import ns_to_datetime
from logs import token_blocks
from logs.models import LogEntry
from processing.envelope import Envelope

COLUMNS = ("time", "received_at", "tenant_id", "app_id", "level", "message", "service", "host", "trace_id",
           "span_id", "attributes", "event_id", "block_id")
STAGING = "devlogs_logentry_staging"


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


def _blocks(cursor, envelopes: list[Envelope]) -> dict[int, token_blocks.Block]:
    if not token_blocks.enabled(connection):
        return {}
    return token_blocks.allocate(cursor, (envelope.tenant_id for envelope in envelopes))


def bulk_create_envelopes(envelopes: list[Envelope]) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        blocks = _blocks(cursor, envelopes)
        rows = []
        for envelope, line in _unique_lines(envelopes):
            block = blocks.get(envelope.tenant_id)
            if block is not None:
                block.add(line["ts"], line["message"], line["attributes"])
            rows.append(_entry(envelope, line, block))
        LogEntry.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
        token_blocks.store(cursor, blocks.values(), ns_to_datetime)
    return len(rows)


def _entry(envelope: Envelope, line: dict, block) -> LogEntry:
    return LogEntry(
        time=ns_to_datetime(line["ts"]), received_at=ns_to_datetime(envelope.received_ns),
        tenant_id=envelope.tenant_id, app_id=envelope.app_id, level=line["level"], message=line["message"],
        service=line["service"], host=line["host"], trace_id=line["trace_id"], span_id=line["span_id"],
        attributes=line["attributes"], event_id=uuid.UUID(line["id"]), block_id=block.id if block else None,
    )


def copy_envelopes(envelopes: list[Envelope]) -> int:
    """COPY straight into the log table, in a savepoint; if a line is stored already (a
    redelivered batch: the unique (event_id, time) index says so), roll that back and write the
    batch the idempotent way: COPY into a staging table, then `INSERT … ON CONFLICT DO NOTHING`.

    The direct COPY is the usual case and the cheaper one (measured: docs/storage.md): the
    staging table wrote every line twice, and the server's insert work now overlaps with this
    process making the rows instead of following it.
    """
    table, columns = LogEntry._meta.db_table, ", ".join(COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        blocks = _blocks(cursor, envelopes)
        try:
            with transaction.atomic():
                count = _copy(cursor, table, envelopes, blocks)
        except IntegrityError as exc:
            if not isinstance(exc.__cause__, psycopg.errors.UniqueViolation):
                raise
            blocks = {tenant_id: token_blocks.Block(tenant_id=tenant_id, id=block.id)
                      for tenant_id, block in blocks.items()}
            # ON COMMIT DELETE ROWS: the staging table empties itself at every commit.
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {STAGING} ON COMMIT DELETE ROWS AS "
                           f"SELECT {columns} FROM {table} WITH NO DATA")
            count = _copy(cursor, STAGING, envelopes, blocks)
            cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {STAGING} "
                           f"ON CONFLICT (event_id, time) DO NOTHING")
        token_blocks.store(cursor, blocks.values(), ns_to_datetime)
    return count


def _copy(cursor, table: str, envelopes: list[Envelope], blocks: dict[int, token_blocks.Block]) -> int:
    count = 0
    raw = cursor.cursor  # psycopg's own cursor, for COPY; errors still become Django's
    with connection.wrap_database_errors, raw.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        received = {envelope.received_ns: ns_to_datetime(envelope.received_ns) for envelope in envelopes}
        for envelope, line in _unique_lines(envelopes):
            block = blocks[envelope.tenant_id]
            block.add(line["ts"], line["message"], line["attributes"])
            copy.write_row((
                ns_to_datetime(line["ts"]), received[envelope.received_ns], envelope.tenant_id,
                envelope.app_id, line["level"], line["message"], line["service"], line["host"],
                line["trace_id"], line["span_id"], orjson.dumps(line["attributes"]).decode(),
                _uuid(line["id"]), block.id,
            ))
            count += 1
    return count


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _uuid(text: str) -> str:
    # Validate here, where a bad id is one message's fault (dead letter), not mid-COPY. The ids
    # ingest makes match the pattern (a tenth of uuid.UUID's cost); anything else is parsed.
    if not (isinstance(text, str) and _CANONICAL_UUID.fullmatch(text)):
        uuid.UUID(text)
    return text
