"""The processor: queue → batch → idempotent bulk write → acknowledge → live feed.

At-least-once delivery with idempotent writes: messages are acknowledged only after
the database commit, so a crash at any point re-delivers and re-writes nothing new.
Transient failures (database down, locked, anything not caused by a message) retry the same batch with backoff and
jitter, acknowledging nothing; a message that can never be written goes to the
dead-letter store and its neighbours are stored.
"""

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django import db

from devlogs import metrics
from logline.envelope import Envelope, PoisonMessage, decode
from processing.queue import Consumer, Message

log = logging.getLogger("devlogs.processor")

# Errors a message's own content can still cause once decode() has checked it (a value the
# database refuses). Anything else — the database down or locked, a missing table, and a
# ValueError, TypeError or KeyError, which would be a bug of ours — is the system's fault:
# logged with its traceback, counted, retried with backoff, never blamed on a message (dead-
# lettering healthy lines would hide the bug and lose their order).
POISON_ERRORS = (db.DataError, db.IntegrityError)


def count_stored(envelopes: list[Envelope], *, write_seconds: float) -> int:
    """The metrics of one stored batch (by a processor or the embedded server's direct writer); its lines."""
    lines = sum(len(envelope.lines) for envelope in envelopes)
    metrics.PROCESSOR_WRITE_SECONDS.observe(write_seconds)
    metrics.PROCESSOR_BATCH_LINES.observe(lines)
    metrics.PROCESSOR_LINES.inc(lines)
    return lines


def announce_stored(publish: Callable[[list[Envelope]], None] | None, envelopes: list[Envelope]) -> None:
    """Hand stored lines to the live feed: best effort, the lines are stored either way."""
    if publish is None or not envelopes:
        return
    try:
        publish(envelopes)
    except Exception:
        log.exception("live feed publish failed")


@dataclass
class Stats:
    batches: int = 0
    lines: int = 0
    dead_letters: int = 0
    retries: int = 0
    commit_seconds: float = 0.0
    reported_at: float = field(default_factory=time.monotonic)
    reported_lines: int = 0
    reported_batches: int = 0


@dataclass
class Processor:
    consumer: Consumer
    write: Callable[[list[Envelope]], int]
    # Makes a fresh consumer after an unexpected failure: it resumes from the last acknowledgement.
    reconnect: Callable[[], Consumer] | None = None
    publish: Callable[[list[Envelope]], None] | None = None
    # (tenant id, app id) → does that app exist in that tenant? A message for one that does not
    # is dead-lettered as unknown_app (it was stored under no app before).
    known_app: Callable[[int, int], bool] | None = None
    batch_lines: int = 5000
    max_wait: float = 0.5
    stop: threading.Event = field(default_factory=threading.Event)
    backoff_initial: float = 0.2
    backoff_max: float = 30.0
    stats: Stats = field(default_factory=Stats)
    report_every: float = 30.0
    _lag_gauged_at: float = 0.0

    def run(self) -> Stats:
        """Process until `stop` is set; the batch in flight is finished first."""
        log.info("processor started batch_lines=%s max_wait=%s", self.batch_lines, self.max_wait)
        while not self.stop.is_set():
            try:
                self.run_once()
            except Exception:
                self._recover()
            if time.monotonic() - self.stats.reported_at >= self.report_every:
                self._report()
        self._report()
        self.consumer.close()
        log.info("processor stopped")
        return self.stats

    def run_once(self) -> int:
        """Collect one batch (by size or time), store it, acknowledge it. Returns lines stored."""
        messages = self._collect()
        if not messages:
            self._gauge_lag()  # an idle processor still says its lag is 0 (and a stuck one that it is not)
            return 0
        envelopes, good = self._decode(messages)
        write_started = time.monotonic()
        if envelopes and not self._write_with_retry(envelopes, good):
            return 0  # stopping during an outage: nothing acknowledged, all will be re-delivered
        write_seconds = time.monotonic() - write_started
        # Every message is now stored or set aside in the dead-letter store: acknowledge them all.
        started = time.monotonic()
        self.consumer.commit(messages)
        self.stats.commit_seconds += time.monotonic() - started
        lines = count_stored(envelopes, write_seconds=write_seconds)
        self.stats.batches += 1
        self.stats.lines += lines
        self._gauge_lag()
        log.debug("batch stored lines=%s messages=%s", lines, len(messages))
        announce_stored(self.publish, envelopes)
        return lines

    def _recover(self) -> None:
        """After an unexpected failure: nothing was acknowledged, so start again from the last acknowledgement."""
        log.exception("processor step failed; resuming from the last acknowledged position")
        if self.reconnect is not None:
            try:
                self.consumer.close()
            except Exception:
                log.exception("closing the consumer failed")
            self.consumer = self.reconnect()
        self.stop.wait(self.backoff_initial * random.uniform(1, 5))

    def _collect(self) -> list[Message]:
        messages = self.consumer.poll(max_lines=self.batch_lines, timeout=self.max_wait)
        if not messages:
            return []
        lines = sum(m.lines for m in messages)
        deadline = time.monotonic() + self.max_wait
        while lines < self.batch_lines and not self.stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            more = self.consumer.poll(max_lines=self.batch_lines - lines, timeout=remaining)
            messages.extend(more)
            lines += sum(m.lines for m in more)
        return messages

    def _decode(self, messages: list[Message]) -> tuple[list[Envelope], list[Message]]:
        envelopes, good = [], []
        for message in messages:
            try:
                envelope = decode(message.value)
            except PoisonMessage as exc:
                self._dead_letter(message, f"undecodable: {exc}")
                continue
            envelopes.append(envelope)
            good.append(message)
        return envelopes, good

    def _write_with_retry(self, envelopes: list[Envelope], messages: list[Message]) -> bool:
        delay, isolate = self.backoff_initial, False
        while True:
            try:
                # Inside the retry: asking which apps exist needs the database, which may be down.
                self._drop_unknown_apps(envelopes, messages)
                if not envelopes:
                    return True
                if isolate:
                    self._write_each(envelopes, messages)
                else:
                    self.write(envelopes)
                return True
            except POISON_ERRORS:
                log.exception("batch write failed; writing messages one by one to isolate the bad one")
                isolate = True
            except Exception as exc:
                self.stats.retries += 1
                metrics.PROCESSOR_RETRIES.inc()
                log.warning("write failed, retrying in %.1fs: %s", delay, exc,
                            exc_info=not isinstance(exc, db.OperationalError))  # a bug's traceback
                db.connections.close_all()
                if self.stop.wait(delay * random.uniform(0.5, 1.5)):
                    return False
                delay = min(delay * 2, self.backoff_max)

    def _drop_unknown_apps(self, envelopes: list[Envelope], messages: list[Message]) -> None:
        # Mutates both lists, like _write_each: what is dead-lettered here is acknowledged too.
        if self.known_app is None:
            return
        kept_envelopes, kept_messages = [], []
        for envelope, message in zip(envelopes, messages):
            if self.known_app(envelope.tenant_id, envelope.app_id):
                kept_envelopes.append(envelope)
                kept_messages.append(message)
            else:
                self._dead_letter(message, f"unknown_app: no app {envelope.app_id} in tenant {envelope.tenant_id}")
        envelopes[:] = kept_envelopes
        messages[:] = kept_messages

    def _write_each(self, envelopes: list[Envelope], messages: list[Message]) -> None:
        # Mutates `messages` so the caller acknowledges only what was stored or dead-lettered.
        kept_envelopes, kept_messages = [], []
        for envelope, message in zip(envelopes, messages):
            try:
                self.write([envelope])
            except POISON_ERRORS as exc:
                self._dead_letter(message, f"write failed: {type(exc).__name__}: {exc}")
                continue
            kept_envelopes.append(envelope)
            kept_messages.append(message)
        envelopes[:] = kept_envelopes
        messages[:] = kept_messages

    def _dead_letter(self, message: Message, error: str) -> None:
        log.error("dead-lettering message key=%s lines=%s: %s", message.key, message.lines, error)
        self.consumer.dead_letter(message, error)
        self.stats.dead_letters += 1
        metrics.PROCESSOR_DEAD_LETTERS.inc()

    def _gauge_lag(self) -> None:
        # At most every few seconds: asking the broker for watermarks is not free.
        now = time.monotonic()
        if now - self._lag_gauged_at < 5:
            return
        self._lag_gauged_at = now
        by_partition = getattr(self.consumer, "lag_by_partition", None)
        if by_partition is None:
            return
        try:
            for partition, lag in by_partition().items():
                metrics.PROCESSOR_LAG.labels(partition).set(lag)
        except Exception:  # metrics never stop the pipeline
            log.debug("lag gauge failed", exc_info=True)

    def _report(self) -> None:
        """Log throughput since the last report, batch size, commit latency and lag."""
        stats, now = self.stats, time.monotonic()
        interval = max(now - stats.reported_at, 1e-9)
        lines, batches = stats.lines - stats.reported_lines, stats.batches - stats.reported_batches
        lag = getattr(self.consumer, "lag", lambda: None)()
        log.info("processor stats lines=%s lines_per_s=%.0f batches=%s mean_batch=%.0f commit_ms=%.1f lag=%s "
                 "dead_letters=%s retries=%s", stats.lines, lines / interval, stats.batches,
                 lines / max(batches, 1), 1000 * stats.commit_seconds / max(stats.batches, 1), lag,
                 stats.dead_letters, stats.retries)
        stats.reported_at, stats.reported_lines, stats.reported_batches = now, stats.lines, stats.batches
