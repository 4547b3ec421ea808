"""The block index: which words each batch of a tenant's lines holds (PostgreSQL).

Per-row text indexes are what make a log store slow to write (a trigram GIN cost ~110 µs of
PostgreSQL CPU a row here). Instead the writer gives each (write batch, tenant) a block id,
stamps it on the batch's lines and stores one row per block with the sorted hashes of its
words (logs/tokens.py), GIN-indexed. A word or phrase search first asks which of the tenant's
blocks in the time range hold every word of the query, then reads only those blocks' lines
(BRIN on block_id in the row store; min/max of block_id per compressed batch in the
columnstore) — VictoriaLogs' per-block blooms and ClickHouse's granule indexes, the same idea.
Measured: docs/storage.md.

A hash collision or a line deleted since only makes a block a candidate for nothing; a block
is never missing a word its lines hold, so nothing is missed.
"""

from dataclasses import dataclass, field
from datetime import datetime

import orjson
from django.db import connection

from logs.querylang.parser import And, Attr, Node, Text
from logs.tokens import attribute_token, attribute_tokens, byte_hashes, hashes, word_bytes, words

TABLE = "logs_tokenblock"

# More candidate blocks than this and the search scans the time range instead: the filter would
# rule out too little to pay for itself.
MAX_CANDIDATES = 2000
# A range with at most this many blocks is narrowed by reading its blocks' hashes directly.
FEW_BLOCKS = 64


@dataclass
class Block:
    """A block being written: its tenant, time span and words."""
    tenant_id: int
    id: int = 0
    min_ns: int = 0
    max_ns: int = 0
    lines: int = 0
    words: set[bytes] = field(default_factory=set)  # UTF-8: hashed as they are

    def add(self, ts_ns: int, message: str, attributes: dict | None = None) -> None:
        if not self.lines or ts_ns < self.min_ns:
            self.min_ns = ts_ns
        if not self.lines or ts_ns > self.max_ns:
            self.max_ns = ts_ns
        self.lines += 1
        self.words.update(word_bytes(message))
        if attributes:
            self.words.update(token.encode("utf-8", "surrogatepass") for token in attribute_tokens(attributes))


def enabled(conn=connection) -> bool:
    return conn.vendor == "postgresql"


def allocate(cursor, tenant_ids) -> dict[int, Block]:
    """One new block per tenant, ids from the block table's sequence (one round trip)."""
    tenant_ids = sorted(set(tenant_ids))
    cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{TABLE}', 'id')) FROM generate_series(1, %s)",
                   [len(tenant_ids)])
    ids = [row[0] for row in cursor.fetchall()]
    return {tenant_id: Block(tenant_id=tenant_id, id=block_id) for tenant_id, block_id in zip(tenant_ids, ids)}


def store(cursor, blocks, to_datetime) -> None:
    """Write the blocks' rows (in the caller's transaction, with their lines)."""
    # The hashes go as one array literal: psycopg's list dumper costs ~20 µs a line here (a block
    # holds tens of thousands of distinct words), the join under 1.
    rows = [(b.id, b.tenant_id, to_datetime(b.min_ns), to_datetime(b.max_ns), b.lines,
             "{" + ",".join(map(str, byte_hashes(b.words))) + "}")
            for b in blocks if b.lines]
    if rows:
        cursor.executemany(f"INSERT INTO {TABLE} (id, tenant_id, min_time, max_time, lines, hashes) "
                           f"VALUES (%s, %s, %s, %s, %s, %s::int4[])", rows)


def required_words(node: Node | None) -> list[str]:
    """Words (and attribute tokens) every matching line must hold: those of the query's words,
    phrases and attribute equalities that are ANDed at the top (under OR or NOT they require
    nothing of a line)."""
    if isinstance(node, Text) and not node.wildcard:
        return words(node.value)
    if isinstance(node, Attr) and node.op == "=" and node.kind != "wildcard":
        # The value's text gives the token of every kind: "true" is true's, "42" is 42's.
        return [attribute_token(node.path, node.value)]
    if isinstance(node, And):
        return [word for item in node.items for word in required_words(item)]
    return []


def candidates(tenant_id: int, required: list[str], since: datetime | None, until: datetime | None,
               conn=connection) -> list[int] | None:
    """Ids of the tenant's blocks in the range that hold every required word; None: no narrowing
    (no words, not PostgreSQL, or too many blocks to be worth it).

    Two ways to ask, chosen by how many blocks the range holds (measured at 10M lines, 2,000
    blocks, docs/storage.md): few blocks — read them by tenant and time and test their hashes
    (1–2 ms for an hour); many — ask the GIN index for the words first (under 2 ms for an id over
    24 h, where reading the day's 500 blocks' hashes took 25–45 ms), and give up on narrowing as
    soon as more than half the range's blocks match: a common word rules out too little.
    """
    if not required or not enabled(conn):
        return None
    # (column, test, value); on the GIN path each column is written as an expression (`+ 0`,
    # `+ interval '0'`) that keeps the planner off the (tenant, time) index, so that the GIN index
    # on the hashes is what finds the blocks.
    tests = [("tenant_id", "+ 0", "=", tenant_id), ("max_time", "+ interval '0'", ">=", since),
             ("min_time", "+ interval '0'", "<", until)]
    tests = [test for test in tests if test[3] is not None]
    params = [value for *_, value in tests]
    by_range = " AND ".join(f"{column} {op} %s" for column, _, op, _ in tests)
    by_words = " AND ".join(f"{column} {no_index} {op} %s" for column, no_index, op, _ in tests)
    wanted = hashes(required)
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {TABLE} WHERE {by_range}", params)
        in_range = cursor.fetchone()[0]
        if in_range <= FEW_BLOCKS:
            cursor.execute(f"SELECT id FROM {TABLE} WHERE {by_range} AND hashes @> %s::int4[]", [*params, wanted])
            return [row[0] for row in cursor.fetchall()]
        limit = min(in_range // 2, MAX_CANDIDATES)
        cursor.execute(f"SELECT id FROM {TABLE} WHERE hashes @> %s::int4[] AND {by_words} LIMIT {limit + 1}",
                       [wanted, *params])
        ids = [row[0] for row in cursor.fetchall()]
    return None if len(ids) > limit else ids


def delete_older_than(cutoff: datetime, *, tenant_id: int | None = None, conn=connection) -> int:
    """Drop blocks whose lines are all older than the cutoff (retention)."""
    return delete_blocks(TABLE, cutoff, tenant_id=tenant_id, conn=conn) if enabled(conn) else 0


def delete_blocks(table: str, cutoff, *, tenant_id: int | None, conn) -> int:
    """Blocks of `table` (this engine's or SQLite's) whose max_time is before the cutoff, as the
    table stores times."""
    sql, params = f"DELETE FROM {table} WHERE max_time < %s", [cutoff]
    if tenant_id is not None:
        sql += " AND tenant_id = %s"
        params.append(tenant_id)
    with conn.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def backfill(conn=connection) -> int:
    """Give blocks to lines stored without one (before the block index existed): one block per
    tenant and hour. Returns the lines given a block."""
    from logs.entries import ns_to_datetime

    if not enabled(conn):
        return 0
    done = 0
    with conn.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tenant_id, date_trunc('hour', time) FROM logs_logentry "
                       "WHERE block_id IS NULL ORDER BY 1, 2")
        groups = cursor.fetchall()
        for tenant_id, hour in groups:
            window = ("tenant_id = %s AND block_id IS NULL AND time >= %s AND time < %s + interval '1 hour'",
                      [tenant_id, hour, hour])
            block = allocate(cursor, [tenant_id])[tenant_id]
            with conn.chunked_cursor() as lines:  # server-side: an hour can be millions of lines
                lines.execute(f"SELECT (extract(epoch FROM time) * 1e9)::bigint, message, attributes "
                              f"FROM logs_logentry WHERE {window[0]}", window[1])
                for ts_ns, message, attributes in lines:
                    # Django reads jsonb as text.
                    block.add(ts_ns, message, orjson.loads(attributes) if isinstance(attributes, str) else attributes)
            cursor.execute(f"UPDATE logs_logentry SET block_id = %s WHERE {window[0]}", [block.id, *window[1]])
            done += cursor.rowcount
            store(cursor, [block], ns_to_datetime)
    return done
