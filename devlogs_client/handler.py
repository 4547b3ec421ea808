"""A `logging.Handler` that ships records to devlogs' `POST /api/v1/logs`.

Standard library only, so an application can vendor this one file. `emit` never touches the
network: it turns the record into a line and appends it to a bounded buffer (the oldest line is
dropped, and counted, when the buffer is full). A background thread sends the buffer in gzip'd
NDJSON batches, by size or every `flush_interval` seconds, and retries a failed batch with
exponential backoff and jitter, honouring `Retry-After` on 429 and 503. Each batch carries an
`Idempotency-Key`, so a batch retried after a lost answer is stored once. Answers that retrying
cannot fix (400, 401, 403, 413, …) drop the batch, counted in `failed`.

`close()` (called by `logging.shutdown()` at exit) sends what is buffered, waiting at most
`close_timeout` seconds. See docs/shippers-bulk-syslog.md for a Django `LOGGING` example.
"""

import atexit
import collections
import gzip
import json
import logging
import os
import random
import socket
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
import uuid
import weakref

ENDPOINT = "/api/v1/logs"
RETRYABLE_STATUSES = {408, 425, 429, 500, 502, 503, 504}
MAX_BACKOFF_SECONDS = 30.0
MAX_RETRY_AFTER_SECONDS = 300.0

# Attributes every LogRecord has; anything else on a record came from `extra=` and becomes an attribute.
_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
# `extra` keys that are our own top-level fields rather than attributes.
_FIELDS_FROM_EXTRA = ("service", "host", "trace_id", "span_id")


def level_name(levelno: int) -> str:
    """Our level for a logging level number (custom levels fall into the nearest band below)."""
    if levelno >= logging.CRITICAL:
        return "fatal"
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warn"
    if levelno >= logging.INFO:
        return "info"
    if levelno >= logging.DEBUG:
        return "debug"
    return "trace"


def _jsonable(value):
    """json.dumps fallback: anything an app passes in `extra` is stored as its text."""
    try:
        return str(value)
    except Exception:  # a broken __str__ must not lose the record
        return f"<unprintable {type(value).__name__}>"


class DevlogsHandler(logging.Handler):
    """Batches log records to devlogs from a background thread; never blocks the caller on the network."""

    def __init__(self, url: str, api_key: str, *, batch_size: int = 500, flush_interval: float = 1.0,
                 max_buffer: int = 10_000, timeout: float = 5.0, close_timeout: float = 5.0,
                 service: str | None = None, host: str | None = None, warn_interval: float = 60.0,
                 level=logging.NOTSET):
        super().__init__(level)
        if batch_size < 1 or max_buffer < 1:
            raise ValueError("batch_size and max_buffer must be at least 1")
        base = url.rstrip("/")
        self.url = base if base.endswith(ENDPOINT) else base + ENDPOINT
        self.api_key = api_key
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.max_buffer = max_buffer
        self.timeout = timeout
        self.close_timeout = close_timeout
        self.service = service
        self.host = host if host is not None else socket.gethostname()
        self.warn_interval = warn_interval

        self.sent = 0  # lines the server accepted
        self.dropped = 0  # lines pushed out of the full buffer, or still unsent when close() gave up
        self.failed = 0  # lines in batches the server refused for good (4xx other than 408/425/429)
        self.rejected = 0  # lines of accepted batches that the server rejected one by one
        self.requests = 0  # HTTP requests made, retries included

        self._last_warning = 0.0
        self._warned_counts = (0, 0)
        self._start()
        ref = weakref.ref(self)
        # logging.shutdown() closes handlers at exit too; this covers handlers removed from loggers.
        atexit.register(_close_at_exit, ref)
        # A forked worker (gunicorn --preload, multiprocessing) has no sender thread: start its own.
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=lambda: _restart_after_fork(ref))

    def _start(self) -> None:
        self._buffer: collections.deque = collections.deque()  # serialised lines, oldest first
        self._buffer_lock = threading.Lock()
        self._in_flight = 0  # lines of the batch the sender holds, until counted
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._idle = threading.Event()  # set when nothing is buffered or being sent
        self._idle.set()
        self._attempt_failed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="devlogs-handler", daemon=True)
        self._thread.start()

    # --- the caller's side: cheap and non-blocking ----------------------------------------------

    def emit(self, record: logging.LogRecord) -> None:
        try:
            # Serialised now: the values in `extra` are captured as they were when logged.
            line = json.dumps(self.record_to_line(record), default=_jsonable, skipkeys=True, ensure_ascii=False)
        except Exception:
            self.handleError(record)
            return
        with self._buffer_lock:
            if len(self._buffer) >= self.max_buffer:
                self._buffer.popleft()
                self.dropped += 1
            self._buffer.append(line)
            self._idle.clear()
            size = len(self._buffer)
        if size >= self.batch_size:
            self._wake.set()
        if self.dropped:
            self._maybe_warn()

    def record_to_line(self, record: logging.LogRecord) -> dict:
        """The line for one record: message (with the traceback), level, time, service, host, attributes."""
        message = self.format(record) if self.formatter else record.getMessage()
        attributes = {"logger": record.name, "module": record.module, "function": record.funcName,
                      "line": record.lineno, "path": record.pathname, "thread": record.threadName,
                      "process": record.process}
        line = {"message": message, "level": level_name(record.levelno),
                "timestamp": getattr(record, "created_ns", None) or round(record.created * 1e6) * 1000,
                "service": self.service or record.name, "host": self.host}
        if record.exc_info and record.exc_info[0] is not None:
            text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
            attributes["exception"] = {"type": record.exc_info[0].__name__, "message": str(record.exc_info[1]),
                                       "traceback": text}
            if text not in message:
                line["message"] = f"{message}\n{text}"
        elif record.exc_text:
            attributes["exception"] = {"traceback": record.exc_text}
        if record.stack_info:
            attributes["stack"] = record.stack_info
        for name, value in vars(record).items():
            if name in _STANDARD_ATTRS or name.startswith("_"):
                continue
            if name in _FIELDS_FROM_EXTRA and isinstance(value, str):
                line[name] = value
            else:
                attributes[name] = value
        line["attributes"] = attributes
        return line

    def _maybe_warn(self) -> None:
        now = time.monotonic()
        counts = (self.dropped, self.failed)
        if now - self._last_warning < self.warn_interval or counts == self._warned_counts:
            return
        self._last_warning, self._warned_counts = now, counts
        try:
            sys.stderr.write(f"devlogs handler: {self.dropped} log records dropped (buffer of {self.max_buffer} "
                             f"full; server unreachable or slow?), {self.failed} refused by the server\n")
        except Exception:
            pass

    # --- the background thread -------------------------------------------------------------------

    def _take_batch(self) -> list[str]:
        with self._buffer_lock:
            count = min(self.batch_size, len(self._buffer))
            self._in_flight = count
            return [self._buffer.popleft() for _ in range(count)]

    def _settle(self, sent: int = 0, rejected: int = 0, failed: int = 0, dropped: int = 0) -> None:
        """Count how the batch in flight ended, unless close() gave up waiting and counted it as
        dropped already (the thread may still be between attempts when close() returns)."""
        with self._buffer_lock:
            if not self._in_flight:
                return
            self._in_flight = 0
            self.sent += sent
            self.rejected += rejected
            self.failed += failed
            self.dropped += dropped

    def _run(self) -> None:
        while True:
            if not self._closing.is_set():
                self._wake.wait(self.flush_interval)
                self._wake.clear()
            batch = self._take_batch()
            if batch:
                try:
                    self._deliver(batch)
                except Exception as exc:  # the sender thread must outlive any surprise
                    self._settle(failed=len(batch))
                    self._report(f"a batch of {len(batch)} was lost: {exc!r}")
            elif self._closing.is_set():
                return
            with self._buffer_lock:
                if not self._buffer:
                    self._idle.set()

    def _deliver(self, batch: list[str]) -> None:
        """Send one batch until it is stored, refused for good, or close() gives up on it."""
        body = gzip.compress(("\n".join(batch) + "\n").encode("utf-8"), compresslevel=6)
        headers = {"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip",
                   "Authorization": f"Bearer {self.api_key}", "Idempotency-Key": str(uuid.uuid4()),
                   "User-Agent": "devlogs-python-handler/1"}
        attempt = 0
        while True:
            if self._closing.is_set() and time.monotonic() >= self._close_deadline:
                self._settle(dropped=len(batch))
                return
            status, retry_after, answer = self._post(body, headers)
            if status == 202:
                rejected = answer.get("rejected_count", 0)
                self._settle(sent=len(batch) - rejected, rejected=rejected)
                return
            if status is not None and status not in RETRYABLE_STATUSES:
                self._settle(failed=len(batch))
                self._report(f"the server refused a batch of {len(batch)} ({status}): {answer.get('error', answer)}")
                return
            self._attempt_failed.set()
            delay = min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** attempt) * random.uniform(0.5, 1.0)
            if retry_after is not None:
                delay = max(delay, retry_after)
            attempt += 1
            retry_at = time.monotonic() + delay
            if not self._closing.is_set():
                self._closing.wait(delay)  # a close() wakes this early, to check its deadline
            if self._closing.is_set():
                if retry_at > self._close_deadline:
                    self._settle(dropped=len(batch))
                    return
                time.sleep(max(0.0, retry_at - time.monotonic()))

    def _post(self, body: bytes, headers: dict) -> tuple[int | None, float | None, dict]:
        """(status or None when unreachable, Retry-After seconds, JSON answer)."""
        self.requests += 1
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, None, _json(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, _retry_after(exc.headers.get("Retry-After")), _json(exc.read())
        except (OSError, ValueError):  # refused, reset, timed out, DNS, bad URL
            return None, None, {}

    def _report(self, text: str) -> None:
        now = time.monotonic()
        if now - self._last_warning >= self.warn_interval:
            self._last_warning = now
            try:
                sys.stderr.write(f"devlogs handler: {text}\n")
            except Exception:
                pass

    # --- flushing and closing ---------------------------------------------------------------------

    def flush(self, timeout: float | None = None) -> bool:
        """Send the buffer now and wait until it is sent: at most `timeout` (default close_timeout), and
        no longer than the first failed attempt, so a dead server does not hold up the caller."""
        deadline = time.monotonic() + (self.close_timeout if timeout is None else timeout)
        self._attempt_failed.clear()
        self._wake.set()
        while not self._idle.is_set() and not self._attempt_failed.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._idle.wait(min(remaining, 0.05))
        return self._idle.is_set()

    def close(self) -> None:
        """Send what is buffered, waiting at most close_timeout; whatever is left is counted as dropped."""
        if not self._closing.is_set():
            self._close_deadline = time.monotonic() + self.close_timeout
            self._closing.set()
            self._wake.set()
            self._thread.join(self.close_timeout)
            with self._buffer_lock:
                # The buffer, and a batch the sender is still trying when the wait is over.
                left = len(self._buffer) + self._in_flight
                self._buffer.clear()
                self._in_flight = 0
                self.dropped += left
            if self.dropped or self.failed:
                try:
                    sys.stderr.write(f"devlogs handler closed: {self.sent} sent, {self.dropped} dropped, "
                                     f"{self.failed} refused by the server\n")
                except Exception:
                    pass
        super().close()

    def stats(self) -> dict:
        return {"sent": self.sent, "dropped": self.dropped, "failed": self.failed, "rejected": self.rejected,
                "buffered": len(self._buffer), "requests": self.requests}


def _restart_after_fork(ref) -> None:
    handler = ref()
    if handler is not None and not handler._closing.is_set():
        handler._start()  # the parent's buffer stays the parent's to send


def _close_at_exit(ref) -> None:
    handler = ref()
    if handler is not None:
        handler.close()


def _json(data: bytes) -> dict:
    try:
        value = json.loads(data or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER_SECONDS)
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff
