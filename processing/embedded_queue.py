"""The embedded queue: a SQLite file that survives crashes and restarts of any process.

Ingest appends rows and commits with synchronous=FULL before answering 202. A processor
claims a batch by stamping `claimed_until`; it deletes the rows only after its database
commit. A processor that dies leaves its claim to expire, and the rows are delivered
again (writes are idempotent, so that stores nothing twice). Several processes on one
machine may share the file.
"""

import contextlib
import logging
import queue
import secrets
import sqlite3
import threading
import time
from pathlib import Path

from processing.queue_interface import Consumer, Message, Producer, QueueUnavailable

log = logging.getLogger("devlogs.processing.embedded_queue")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    lines INTEGER NOT NULL,
    enqueued_at REAL NOT NULL,
    claimed_until REAL,
    claim_token TEXT,
    deliveries INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_claim ON messages (claimed_until, id);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    lines INTEGER NOT NULL,
    error TEXT NOT NULL,
    source_id INTEGER NOT NULL,
    failed_at REAL NOT NULL
);
"""
# A message is at most this many per claim, whatever its line count, to bound one transaction.
_MAX_MESSAGES_PER_CLAIM = 1000
# Other processes may publish; with nothing signalled locally we look again this often.
_IDLE_POLL_SECONDS = 0.1

_INCREMENTAL = 2  # PRAGMA auto_vacuum
# Free pages kept for the next messages (4 KiB each): beyond them, a commit gives pages back.
_FREE_PAGES_KEPT = 4096

# Publishing in this process wakes a waiting consumer in this process at once.
_published = threading.Condition()


class EmbeddedQueue(Producer, Consumer):
    def __init__(self, path: Path | str, *, visibility_seconds: float = 30.0):
        self.path = str(path)
        self.visibility_seconds = visibility_seconds
        # Connections are pooled, not per thread: Django runs each request's sync code on a
        # thread of its own, so a thread-local connection was a new one (and its pragmas) a request.
        self._pool: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._token = secrets.token_hex(8)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with self._conn() as conn:
            self._reclaim_space(conn)
            conn.executescript(_SCHEMA)

    def _reclaim_space(self, conn: sqlite3.Connection) -> None:
        """Give pages back as messages go: a burst grows the file by its backlog, and without
        auto_vacuum SQLite keeps that size for good (~290 B a line after a 2M-line burst). Turning
        it on takes a VACUUM (instant on a new file), which waits for other processes and is
        skipped, to be tried at the next start, when they hold the file too long."""
        if conn.execute("PRAGMA auto_vacuum").fetchone()[0] == _INCREMENTAL:
            return
        conn.execute(f"PRAGMA auto_vacuum = {_INCREMENTAL}")
        try:  # even a new file: WAL mode has written its header already
            conn.execute("VACUUM")
        except sqlite3.OperationalError as exc:
            log.warning("embedded queue %s keeps its size after bursts until a VACUUM succeeds: %s", self.path, exc)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before publish() returns and ingest answers 202.
        conn.execute("PRAGMA synchronous=FULL")
        return conn

    @contextlib.contextmanager
    def _conn(self):
        """A connection of the pool, for one statement or transaction; as many as threads use it at once."""
        try:
            conn = self._pool.get_nowait()
        except queue.Empty:
            conn = self._connect()
        try:
            yield conn
        finally:
            if conn.in_transaction:  # a failed COMMIT or ROLLBACK: do not hand on an open transaction
                conn.close()
            else:
                self._pool.put(conn)

    @contextlib.contextmanager
    def _write(self):
        """A write transaction that takes the lock up front (no upgrade deadlock between processes)."""
        with self._conn() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _read(self, sql: str) -> list[tuple]:
        with self._conn() as conn:
            return conn.execute(sql).fetchall()

    # --- producer --------------------------------------------------------------------------
    def publish(self, key: str, values: list[bytes], lines: list[int]) -> None:
        now = time.time()
        try:
            with self._write() as conn:
                conn.executemany("INSERT INTO messages (key, value, lines, enqueued_at) VALUES (?, ?, ?, ?)",
                                 [(key, value, count, now) for value, count in zip(values, lines)])
        except sqlite3.Error as exc:
            raise QueueUnavailable(f"embedded queue at {self.path}: {exc}") from exc
        with _published:
            _published.notify_all()

    # --- consumer --------------------------------------------------------------------------
    def poll(self, *, max_lines: int, timeout: float) -> list[Message]:
        deadline = time.monotonic() + timeout
        while True:
            messages = self._claim(max_lines)
            remaining = deadline - time.monotonic()
            if messages or remaining <= 0:
                return messages
            with _published:
                _published.wait(min(remaining, _IDLE_POLL_SECONDS))

    def _claim(self, max_lines: int) -> list[Message]:
        now = time.time()
        with self._write() as conn:
            # Sizes first, bodies only of the messages taken: with a backlog, reading the bodies of
            # all the candidates cost a copy of up to 1,000 request bodies a claim.
            candidates = conn.execute(
                "SELECT id, lines FROM messages WHERE claimed_until IS NULL OR claimed_until < ? "
                "ORDER BY id LIMIT ?", (now, _MAX_MESSAGES_PER_CLAIM)).fetchall()
            taken, total = [], 0
            for message_id, lines in candidates:
                if taken and total + lines > max_lines:
                    break
                taken.append(message_id)
                total += lines
            if not taken:
                return []
            conn.executemany(
                "UPDATE messages SET claimed_until = ?, claim_token = ?, deliveries = deliveries + 1 WHERE id = ?",
                [(now + self.visibility_seconds, self._token, message_id) for message_id in taken])
            rows = conn.execute(f"SELECT id, key, value, lines FROM messages WHERE id IN ({', '.join('?' * len(taken))}) "
                                "ORDER BY id", taken).fetchall()
        return [Message(key=row[1], value=row[2], lines=row[3], handle=row[0]) for row in rows]

    def commit(self, messages: list[Message]) -> None:
        if not messages:
            return
        with self._write() as conn:
            conn.executemany("DELETE FROM messages WHERE id = ?", [(m.handle,) for m in messages])
            free = conn.execute("PRAGMA freelist_count").fetchone()[0]
        if free > _FREE_PAGES_KEPT:
            # The file shrinks as a backlog drains, a bounded step at a time. executescript: a
            # cursor would run the pragma one page per call.
            with self._conn() as conn:
                conn.executescript(f"PRAGMA incremental_vacuum({free - _FREE_PAGES_KEPT // 2});")

    def dead_letter(self, message: Message, error: str) -> None:
        with self._write() as conn:
            conn.execute("INSERT INTO dead_letters (key, value, lines, error, source_id, failed_at) "
                         "VALUES (?, ?, ?, ?, ?, ?)",
                         (message.key, message.value, message.lines, error[:2000], message.handle, time.time()))
            conn.execute("DELETE FROM messages WHERE id = ?", (message.handle,))

    # --- inspection (tests, dlq, metrics) ----------------------------------------------------
    def pending_lines(self) -> int:
        return self._read("SELECT COALESCE(SUM(lines), 0) FROM messages")[0][0]

    def lag_by_partition(self) -> dict[str, int]:
        """Messages not yet acknowledged (the embedded queue is one partition)."""
        return {"embedded": self._read("SELECT COUNT(*) FROM messages")[0][0]}

    def dead_letters(self) -> list[dict]:
        rows = self._read("SELECT id, key, value, lines, error, source_id, failed_at FROM dead_letters ORDER BY id")
        return [dict(zip(("id", "key", "value", "lines", "error", "source_id", "failed_at"), row)) for row in rows]

    def requeue_dead_letter(self, letter_id: int) -> None:
        """Put a dead letter back on the queue, unchanged, and remove it from the dead letters."""
        with self._write() as conn:
            conn.execute("INSERT INTO messages (key, value, lines, enqueued_at) "
                         "SELECT key, value, lines, ? FROM dead_letters WHERE id = ?", (time.time(), letter_id))
            conn.execute("DELETE FROM dead_letters WHERE id = ?", (letter_id,))
        with _published:
            _published.notify_all()

    def close(self) -> None:
        while True:
            try:
                self._pool.get_nowait().close()
            except queue.Empty:
                return
