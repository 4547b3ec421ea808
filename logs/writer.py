"""Store batches of lines. A line whose event id is already stored is skipped.

PostgreSQL: COPY straight into the table; a batch holding a line stored already (redelivered)
is written again through a staging table and `INSERT … SELECT … ON CONFLICT (event_id, time)
DO NOTHING` (`copy_envelopes`). COPY moves rows with little per-row Python work.
SQLite: `INSERT OR IGNORE` of plain tuples (executemany), each tenant's lines consecutively, and
one block of the SQLite block index per tenant (logs/sqlite_blocks.py); model instances cost
~4× as much a line. DEVLOGS_PG_WRITER=insert on PostgreSQL: bulk_create with ignore_conflicts.
On PostgreSQL every batch also writes its blocks, one per tenant, in the same transaction
(logs/token_blocks.py): that, not a per-row text index, is what word search uses.
"""

import contextlib
import json
import re
import uuid

import orjson
import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from logs import sqlite_blocks, token_blocks
from logs.entries import ns_to_datetime
from logs.tokens import word_bytes
from logs.models import LogEntry
from logline.envelope import Envelope

COLUMNS = ("time", "received_at", "tenant_id", "app_id", "level", "message", "service", "host", "trace_id",
           "span_id", "attributes", "event_id", "block_id")
STAGING = "devlogs_logentry_staging"


def write_envelopes(envelopes: list[Envelope]) -> int:
    """Write all lines of these envelopes in one transaction; returns the lines offered."""
    if connection.vendor == "postgresql" and settings.DEVLOGS_PG_WRITER == "copy":
        return copy_envelopes(envelopes)
    if connection.vendor == "sqlite":
        return insert_envelopes_sqlite(envelopes)
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


_SQLITE_INSERT = (f"INSERT OR IGNORE INTO {LogEntry._meta.db_table} ({', '.join(COLUMNS[:-1])}) "
                  f"VALUES ({', '.join(['%s'] * (len(COLUMNS) - 1))})")


def insert_envelopes_sqlite(envelopes: list[Envelope]) -> int:
    """SQLite: each tenant's lines in one executemany, then its block (their id range and words).

    Values as Django's SQLite backend stores them (its own adapters would cost more than the
    insert): times as naive-UTC `str(datetime)`, event ids as 32 hex digits, attributes as JSON.
    The unique (event_id, time) index ignores a line stored already.
    """
    by_tenant: dict[int, list[tuple]] = {}
    for envelope, line in _unique_lines(envelopes):
        by_tenant.setdefault(envelope.tenant_id, []).append((envelope, line))
    count = 0
    # The line counts' triggers (logs/sqlite_counts.py) make each insert keep a statement
    # journal; in a temp file that cost ~12 µs a line, in memory ~3. Only for this write: other
    # queries' temporary b-trees (sorts) should spill to disk.
    with _temp_store_in_memory(), transaction.atomic(), connection.cursor() as cursor:
        for tenant_id, lines in by_tenant.items():
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {LogEntry._meta.db_table}")
            before = cursor.fetchone()[0]
            rows, times = [], []
            chunk_words: list[set[bytes]] = []  # per sqlite_blocks.BLOCK_LINES lines
            received = {}
            for i, (envelope, line) in enumerate(lines):
                if envelope.received_ns not in received:
                    received[envelope.received_ns] = _sqlite_time(envelope.received_ns)
                time = _sqlite_time(line["ts"])
                times.append(time)
                if i % sqlite_blocks.BLOCK_LINES == 0:
                    chunk_words.append(set())
                chunk_words[-1].update(word_bytes(line["message"]))
                rows.append((time, received[envelope.received_ns], tenant_id, envelope.app_id, line["level"],
                             line["message"], line["service"], line["host"], line["trace_id"], line["span_id"],
                             _json(line["attributes"]), _uuid_hex(line["id"])))
            cursor.executemany(_SQLITE_INSERT, rows)
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {LogEntry._meta.db_table}")
            last = cursor.fetchone()[0]
            # Ids only grow and this transaction holds SQLite's write lock from its first insert:
            # (before, last] holds every line just stored (and at most lines others stored before it).
            # When every line was stored, line i has id before + 1 + i: a block per BLOCK_LINES lines,
            # so that a rare word reads that many lines, not the batch. Otherwise (a redelivery
            # that skipped some) one block over the whole range.
            if last - before == len(rows):
                for n, words in enumerate(chunk_words):
                    start = n * sqlite_blocks.BLOCK_LINES
                    chunk_times = times[start:start + sqlite_blocks.BLOCK_LINES]
                    sqlite_blocks.store(cursor, tenant_id=tenant_id, min_time=min(chunk_times),
                                        max_time=max(chunk_times), first_id=before + 1 + start,
                                        last_id=before + start + len(chunk_times), lines=len(chunk_times),
                                        block_words=words)
            else:
                sqlite_blocks.store(cursor, tenant_id=tenant_id, min_time=min(times), max_time=max(times),
                                    first_id=before + 1, last_id=last, lines=len(rows),
                                    block_words=set().union(*chunk_words))
            count += len(rows)
    return count


@contextlib.contextmanager
def _temp_store_in_memory():
    if connection.in_atomic_block:  # the pragma cannot change inside a transaction: leave it
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA temp_store = MEMORY")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA temp_store = DEFAULT")


def _sqlite_time(ns: int) -> str:
    # Django's SQLite adapter: str() of the naive UTC datetime.
    return str(ns_to_datetime(ns).replace(tzinfo=None))


def _json(attributes: dict) -> str:
    # Django writes json.dumps (ASCII, escapes); orjson gives the same JSON faster where the
    # text is ASCII anyway. Queries read keys escaped as json.dumps escapes them (logs/querylang).
    try:
        text = orjson.dumps(attributes)
    except TypeError:  # integers beyond 64 bits
        return json.dumps(attributes)
    return text.decode() if text.isascii() else json.dumps(attributes)


def _uuid_hex(text: str) -> str:
    # Django stores a UUIDField on SQLite as 32 hex digits.
    if isinstance(text, str) and _CANONICAL_UUID.fullmatch(text):
        return text.replace("-", "")
    return uuid.UUID(text).hex
