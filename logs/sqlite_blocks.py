"""The block index on SQLite (the embedded store): which words each batch of a tenant's lines holds.

The same idea as PostgreSQL's block index (logs/token_blocks.py), kept the way SQLite does it
cheaply. A per-row FTS5 index cost ~36 µs of CPU and ~270 B a line here (docs/storage.md); one
FTS5 row per (write batch, tenant), of at most BLOCK_LINES lines, holding the block's *distinct*
words costs a few µs a line.
The writer stores each tenant's lines of a batch consecutively, so a block is a range of row
ids (`first_id`..`last_id`): a word search asks FTS5 which of the tenant's blocks in the time
range hold every word of the query, then reads only those id ranges (the table's own b-tree,
no extra index on the log table) and tests each line there exactly (logs/lookups.py).

A block's range may also cover lines of other tenants or lines deleted since: the search still
filters by tenant and tests every line, so that only costs reading them. Every stored line is
in its tenant's block (the writer, and `backfill` for lines stored before this index existed),
so nothing is missed.
"""

from collections.abc import Iterable

from django.db import connection
from django.db.models import Q

from logs.token_blocks import delete_blocks
from logs.tokens import ATTRIBUTE_MARK, words

TABLE = "logs_tokenblock"
ENTRIES = "logs_logentry"
# Words are runs of [a-z0-9_] joined by spaces: FTS5's ascii tokenizer with `_` as a token
# character splits them back exactly. detail=none: no positions (the exact test is done on the
# lines), the smallest index.
DDL = (f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(words, tenant_id UNINDEXED, "
       f"min_time UNINDEXED, max_time UNINDEXED, first_id UNINDEXED, last_id UNINDEXED, lines UNINDEXED, "
       f"detail=none, tokenize=\"ascii tokenchars '_'\")")
# Lines a block covers at most: a rare word reads this many lines. Smaller blocks read less and
# index more (a word common to the lines is in every block): measured in docs/benchmarks.md.
BLOCK_LINES = 1000
# More candidate blocks than this and the search scans the time range instead: that is already
# a million lines to read by id.
MAX_CANDIDATES = 1000


def enabled(conn=connection) -> bool:
    return conn.vendor == "sqlite"


def create(conn=connection) -> None:
    with conn.cursor() as cursor:
        cursor.execute(DDL)


def store(cursor, *, tenant_id: int, min_time: str, max_time: str, first_id: int, last_id: int,
          lines: int, block_words: Iterable[bytes]) -> None:
    """One block's row (in the caller's transaction, with its lines). Times as the log table
    stores them (text), so that they compare the same way."""
    cursor.execute(f"INSERT INTO {TABLE} (words, tenant_id, min_time, max_time, first_id, last_id, lines) "
                   f"VALUES (%s, %s, %s, %s, %s, %s, %s)",
                   [b" ".join(block_words).decode("ascii"), tenant_id, min_time, max_time, first_id, last_id, lines])


def fts_query(required: list[str]) -> str:
    # Words are [a-z0-9_] only; quoted all the same, so that none reads as an operator (AND, NOT).
    return " ".join(f'"{word}"' for word in dict.fromkeys(required))


def candidates(tenant_id: int, required: list[str], since, until, conn=connection) -> list[tuple[int, int]] | None:
    """Id ranges of the tenant's blocks in the time range that hold every required word, adjacent
    ranges merged; None: no narrowing (no words, or more blocks than are worth reading by id)."""
    # Attribute tokens (logs/tokens.py) are not kept here: attribute equality scans the range.
    required = [word for word in required if not word.startswith(ATTRIBUTE_MARK)]
    if not required or not enabled(conn):
        return None
    sql = f"SELECT first_id, last_id FROM {TABLE} WHERE {TABLE} MATCH %s AND tenant_id = %s"
    params = [fts_query(required), tenant_id]
    ops = conn.ops
    if since is not None:
        sql += " AND max_time >= %s"
        params.append(ops.adapt_datetimefield_value(since))
    if until is not None:
        sql += " AND min_time < %s"
        params.append(ops.adapt_datetimefield_value(until))
    with conn.cursor() as cursor:
        cursor.execute(f"{sql} LIMIT {MAX_CANDIDATES + 1}", params)
        ranges = sorted(cursor.fetchall())
    if len(ranges) > MAX_CANDIDATES:
        return None
    merged: list[tuple[int, int]] = []
    for first, last in ranges:
        if first > last:
            continue  # a block whose lines were all stored already (a redelivery)
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def in_ranges(ranges: list[tuple[int, int]]) -> Q:
    """Lines whose id is in one of these ranges (none at all for no ranges)."""
    if not ranges:
        return Q(pk__in=[])
    q = Q()
    for first, last in ranges:
        q |= Q(id__gte=first, id__lte=last)
    return q


def delete_older_than(cutoff, *, tenant_id: int | None = None, conn=connection) -> int:
    """Drop blocks whose lines are all older than the cutoff (retention)."""
    if not enabled(conn):
        return 0
    # Times as the log table stores them (text), so that they compare the same way.
    return delete_blocks(TABLE, conn.ops.adapt_datetimefield_value(cutoff), tenant_id=tenant_id, conn=conn)


def backfill(conn=connection, *, block_lines: int = BLOCK_LINES) -> int:
    """Give lines stored before the index existed their blocks: per tenant, runs of `block_lines`
    lines in id order. Returns the lines covered."""
    if not enabled(conn):
        return 0
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(max(last_id), 0) FROM {TABLE}")
        covered = cursor.fetchone()[0]
    open_blocks: dict[int, dict] = {}
    done = 0

    def flush(cursor, tenant_id):
        block = open_blocks.pop(tenant_id)
        store(cursor, tenant_id=tenant_id, min_time=block["min"], max_time=block["max"], first_id=block["first"],
              last_id=block["last"], lines=block["lines"], block_words=block["words"])

    with conn.cursor() as cursor, conn.chunked_cursor() as lines:
        lines.execute(f"SELECT id, tenant_id, time, message FROM {ENTRIES} WHERE id > %s ORDER BY id", [covered])
        for row_id, tenant_id, time, message in lines:
            block = open_blocks.setdefault(tenant_id, {"first": row_id, "min": time, "max": time, "lines": 0,
                                                       "words": set()})
            block["last"], block["lines"] = row_id, block["lines"] + 1
            block["min"], block["max"] = min(block["min"], time), max(block["max"], time)
            block["words"].update(word.encode() for word in words(message))
            done += 1
            if block["lines"] >= block_lines:
                flush(cursor, tenant_id)
        for tenant_id in list(open_blocks):
            flush(cursor, tenant_id)
    return done
