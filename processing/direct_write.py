"""The embedded server's fast path: a request's lines are in the store before its 202.

Through the embedded queue every line was written twice by the same process: appended to the
queue file (fsynced, then the 202), claimed, decoded, written to the store, deleted from the
queue. Here a writer thread takes the lines of every request waiting at that moment (a group
commit: one transaction and one fsync for all of them), writes them with the store's own writer
and answers each request. What it cannot store at once — a line the store refuses, a locked or
failing database — goes to the embedded queue instead, fsynced as before, and the processor
thread treats it as it always has (isolation of the bad line, retries, dead letters). Either
way nothing is acknowledged before it is on disk; a request whose lines could go nowhere gets
QueueUnavailable (503).

Only the embedded server uses it (devlogs/asgi.py); the Kafka path, `run_processor` and the
tests' queue fixtures keep the queue.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection

from logline.envelope import Envelope, decode
from processing.processor import announce_stored, count_stored
from processing.queue import Producer, QueueUnavailable

log = logging.getLogger("devlogs.processor")


@dataclass
class _Request:
    key: str
    values: list[bytes]
    lines: list[int]
    done: threading.Event = field(default_factory=threading.Event)
    error: Exception | None = None


class DirectWriter(Producer):
    def __init__(self, *, spill: Producer, write: Callable[[list[Envelope]], int],
                 publish: Callable[[list[Envelope]], None] | None = None, batch_lines: int = 5000):
        self._spill = spill
        self._write = write
        self._publish = publish
        self._batch_lines = batch_lines
        self._cond = threading.Condition()
        self._waiting: list[_Request] = []
        self._thread: threading.Thread | None = None
        self._closed = False
        self._fsynced_connection = None

    # --- the request's side ----------------------------------------------------------------
    def publish(self, key: str, values: list[bytes], lines: list[int]) -> None:
        request = _Request(key, values, lines)
        with self._cond:
            if self._closed:
                self._spill.publish(key, values, lines)  # shutting down: the queue keeps them
                return
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="devlogs-direct-writer", daemon=True)
                self._thread.start()
            self._waiting.append(request)
            self._cond.notify()
        # Bounded: every step of the writer is (the database's and the queue's busy timeouts).
        request.done.wait()
        if request.error is not None:
            raise request.error

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._spill.close()

    # --- the writer thread -----------------------------------------------------------------
    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    while not self._waiting and not self._closed:
                        self._cond.wait()
                    if not self._waiting:
                        return
                    batch = self._take()
                try:
                    self._store(batch)  # answers every request of the batch, whatever happens
                except Exception:
                    log.exception("direct writer step failed after answering its requests")
        finally:
            connection.close()

    def _take(self) -> list[_Request]:
        batch, lines = [], 0
        while self._waiting and (not batch or lines + sum(self._waiting[0].lines) <= self._batch_lines):
            request = self._waiting.pop(0)
            batch.append(request)
            lines += sum(request.lines)
        return batch

    def _store(self, batch: list[_Request]) -> None:
        envelopes = None
        started = time.monotonic()
        try:
            self._fsync_commits()
            envelopes = [decode(value) for request in batch for value in request.values]
            self._write(envelopes)
        except Exception:
            # Not stored (the transaction rolled back; a redelivery would be harmless anyway,
            # writes are idempotent by event id): the queue takes the batch, or nobody does.
            log.warning("direct write failed; the embedded queue takes the batch", exc_info=True)
            connection.close()  # a broken connection must not serve the next batch
            envelopes = None
            for request in batch:
                try:
                    self._spill.publish(request.key, request.values, request.lines)
                except Exception as exc:
                    request.error = exc if isinstance(exc, QueueUnavailable) else QueueUnavailable(str(exc))
        finally:
            for request in batch:
                request.done.set()
        if envelopes is None:
            return
        count_stored(envelopes, write_seconds=time.monotonic() - started)
        announce_stored(self._publish, envelopes)

    def _fsync_commits(self) -> None:
        # The store's connections commit with synchronous=NORMAL (a WAL commit reaches the disk
        # at the next checkpoint); a 202 needs FULL: the commit is on disk when it returns.
        connection.ensure_connection()
        if connection.vendor == "sqlite" and connection.connection is not self._fsynced_connection:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=FULL")
            self._fsynced_connection = connection.connection
