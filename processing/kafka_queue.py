"""The Kafka backend of the queue interface (confluent-kafka / librdkafka).

Producer: idempotent, acks=all, compressed, a short linger so concurrent requests share
batches. publish() waits (in the request's worker thread, never the event loop) for the
broker's acknowledgement of every message; any failure or time-out raises QueueUnavailable.

Consumer: one group, manual commits only (after the database commit), the committed
offset is the highest processed offset + 1 per partition. Dead letters go to a topic with
the error and the source position in headers.
"""

import logging
import threading
import time
from collections import deque

from confluent_kafka import Consumer as RdConsumer
from confluent_kafka import KafkaError, KafkaException, TopicPartition
from confluent_kafka import Producer as RdProducer

from devlogs import metrics
from devlogs.kafka_client import client_config
from processing.queue_interface import Consumer, Message, Producer, QueueUnavailable

log = logging.getLogger("devlogs.kafka")

LINES_HEADER = "devlogs-lines"


class _Delivery:
    """Counts down the delivery reports of one publish() call."""

    def __init__(self, expected: int):
        self.remaining = expected
        self.errors: list[str] = []
        self.done = threading.Event()
        self._lock = threading.Lock()

    def report(self, err, msg) -> None:
        with self._lock:
            if err is not None:
                self.errors.append(str(err))
            self.remaining -= 1
            if self.remaining <= 0:
                self.done.set()


class KafkaProducer(Producer):
    def __init__(self, settings, *, topic: str | None = None):
        self.topic = topic or settings.KAFKA_TOPIC
        self.timeout_s = settings.KAFKA_DELIVERY_TIMEOUT_MS / 1000
        self._producer = RdProducer({
            **client_config(settings),
            "enable.idempotence": True,
            "acks": "all",
            "compression.type": settings.KAFKA_COMPRESSION,
            "linger.ms": settings.KAFKA_LINGER_MS,
            # A message not acknowledged in time fails its delivery report: ingest answers 503.
            "message.timeout.ms": settings.KAFKA_DELIVERY_TIMEOUT_MS,
            "queue.buffering.max.kbytes": 256 * 1024,
            "error_cb": self._on_error,
        })
        self._closing = threading.Event()
        # Delivery reports are served by this thread, so requests only wait on their own event.
        self._poller = threading.Thread(target=self._poll_forever, name="devlogs-kafka-producer", daemon=True)
        self._poller.start()

    def _poll_forever(self) -> None:
        while not self._closing.is_set():
            self._producer.poll(0.1)
            metrics.PRODUCER_QUEUE_DEPTH.set(len(self._producer))

    @staticmethod
    def _on_error(err) -> None:
        log.warning("kafka producer: %s", err)

    def publish(self, key: str, values: list[bytes], lines: list[int]) -> None:
        delivery = _Delivery(len(values))
        for value, count in zip(values, lines):
            try:
                self._producer.produce(self.topic, value=value, key=key.encode(),
                                       headers=[(LINES_HEADER, str(count).encode())], on_delivery=delivery.report)
            except BufferError:
                raise QueueUnavailable("the producer's local queue is full") from None
            except KafkaException as exc:
                raise QueueUnavailable(f"kafka: {exc}") from None
        # Margin over message.timeout.ms: librdkafka reports every message by then.
        if not delivery.done.wait(self.timeout_s + 5):
            raise QueueUnavailable("kafka: no delivery report in time")
        if delivery.errors:
            raise QueueUnavailable(f"kafka: {delivery.errors[0]}")

    def close(self) -> None:
        remaining = self._producer.flush(self.timeout_s)
        if remaining:
            log.error("kafka producer closed with %s undelivered messages", remaining)
        self._closing.set()
        self._poller.join(timeout=2)


class KafkaConsumer(Consumer):
    def __init__(self, settings, *, topic: str | None = None, dlq_topic: str | None = None,
                 group: str | None = None):
        self.topic = topic or settings.KAFKA_TOPIC
        self.dlq_topic = dlq_topic or settings.KAFKA_DLQ_TOPIC
        self._consumer = RdConsumer({
            **client_config(settings),
            "group.id": group or settings.KAFKA_CONSUMER_GROUP,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "partition.assignment.strategy": "cooperative-sticky",
            # A long database outage keeps us from polling; past this the group moves on without us.
            "max.poll.interval.ms": 600_000,
            # Prefetch bounds memory: 32 MB of fetched messages per processor is plenty for a batch.
            "queued.max.messages.kbytes": 32 * 1024,
            # How soon a dead processor's partitions move to the survivors.
            "session.timeout.ms": settings.KAFKA_SESSION_TIMEOUT_MS,
            "heartbeat.interval.ms": max(settings.KAFKA_SESSION_TIMEOUT_MS // 6, 500),
            "error_cb": lambda err: log.warning("kafka consumer: %s", err),
        })
        self._dlq = RdProducer({**client_config(settings), "enable.idempotence": True, "acks": "all"})
        self._uncommitted: dict[tuple[str, int], int] = {}
        self._buffer: deque[Message] = deque()
        self.assigned: set[int] = set()
        self._consumer.subscribe([self.topic], on_assign=self._on_assign, on_revoke=self._on_revoke,
                                 on_lost=self._on_lost)

    # --- rebalancing ------------------------------------------------------------------
    def _on_assign(self, consumer, partitions) -> None:
        self.assigned |= {p.partition for p in partitions}
        log.info("assigned partitions %s", sorted(p.partition for p in partitions))

    def _on_revoke(self, consumer, partitions) -> None:
        # Stored but not yet committed offsets are committed before the partitions move on.
        self._commit_offsets({k: v for k, v in self._uncommitted.items()
                              if k[1] in {p.partition for p in partitions}})
        self._forget(partitions)
        log.info("revoked partitions %s", sorted(p.partition for p in partitions))

    def _on_lost(self, consumer, partitions) -> None:
        self._forget(partitions)
        log.warning("lost partitions %s (their uncommitted lines will be delivered again)",
                    sorted(p.partition for p in partitions))

    def _forget(self, partitions) -> None:
        """Drop fetched-but-unprocessed messages of partitions that moved: their new owner reads them."""
        gone = {p.partition for p in partitions}
        self.assigned -= gone
        self._buffer = deque(m for m in self._buffer if m.handle[1] not in gone)

    # --- the interface ---------------------------------------------------------------------
    def poll(self, *, max_lines: int, timeout: float) -> list[Message]:
        # A message carries up to 1,000 lines, so fetch in bulk and keep what exceeds this batch.
        deadline = time.monotonic() + timeout
        messages, lines = [], 0
        while True:
            if not self._buffer:
                remaining = max(deadline - time.monotonic(), 0)
                # Fetch first, then look up the buffer: a rebalance inside consume() replaces it
                # (_forget), and extending the old one would drop these messages while later
                # offsets get committed past them.
                fetched = self._fetch(timeout=remaining if not messages else 0)
                self._buffer.extend(fetched)
                if not self._buffer:
                    return messages
            while self._buffer and (not messages or lines + self._buffer[0].lines <= max_lines):
                message = self._buffer.popleft()
                messages.append(message)
                lines += message.lines
            if self._buffer or lines >= max_lines or time.monotonic() >= deadline:
                return messages

    def _fetch(self, *, timeout: float) -> list[Message]:
        fetched = []
        for raw in self._consumer.consume(num_messages=500, timeout=timeout):
            error = raw.error()
            if error is not None:
                if error.code() != KafkaError._PARTITION_EOF:
                    log.warning("kafka consume error: %s", error)
                continue
            fetched.append(Message(key=(raw.key() or b"").decode(errors="replace"), value=raw.value(),
                                   lines=_lines_header(raw.headers()),
                                   handle=(raw.topic(), raw.partition(), raw.offset())))
        return fetched

    def commit(self, messages: list[Message]) -> None:
        for message in messages:
            topic, partition, offset = message.handle
            key = (topic, partition)
            self._uncommitted[key] = max(self._uncommitted.get(key, -1), offset + 1)
        self._commit_offsets(dict(self._uncommitted))

    def _commit_offsets(self, offsets: dict[tuple[str, int], int]) -> None:
        if not offsets:
            return
        try:
            self._consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()],
                                  asynchronous=False)
        except KafkaException as exc:
            # E.g. a rebalance is under way; the lines are stored, so a re-delivery writes nothing new.
            log.warning("offset commit failed (will be retried or re-delivered): %s", exc)
            return
        for key, offset in offsets.items():
            if self._uncommitted.get(key) == offset:
                del self._uncommitted[key]

    def dead_letter(self, message: Message, error: str) -> None:
        topic, partition, offset = message.handle
        headers = [("devlogs-error", error[:2000].encode()), ("devlogs-source-topic", topic.encode()),
                   ("devlogs-source-partition", str(partition).encode()),
                   ("devlogs-source-offset", str(offset).encode()), (LINES_HEADER, str(message.lines).encode()),
                   ("devlogs-failed-at", str(time.time()).encode())]
        delivery = _Delivery(1)
        self._dlq.produce(self.dlq_topic, value=message.value, key=message.key.encode(), headers=headers,
                          on_delivery=delivery.report)
        self._dlq.flush(30)
        if not delivery.done.is_set() or delivery.errors:
            # Not safely set aside: raising keeps the offset uncommitted, so nothing is lost.
            raise QueueUnavailable(f"dead-letter topic {self.dlq_topic}: {delivery.errors or 'no report'}")

    def lag(self) -> int | None:
        """Messages between the committed position and the end of the assigned partitions (None when unknown)."""
        try:
            return sum(self.lag_by_partition().values())
        except (KafkaException, RuntimeError):
            return None

    def lag_by_partition(self) -> dict[str, int]:
        """"<topic>/<partition>" → messages between this consumer's position and the partition's end."""
        lags = {}
        for tp in self._consumer.position(self._consumer.assignment()):
            low, high = self._consumer.get_watermark_offsets(tp, timeout=1, cached=True)
            position = tp.offset if tp.offset >= 0 else low
            lags[f"{tp.topic}/{tp.partition}"] = max(high - position, 0)
        return lags

    def close(self) -> None:
        self._commit_offsets(dict(self._uncommitted))
        self._consumer.close()
        self._dlq.flush(10)


def _lines_header(headers) -> int:
    for name, value in headers or ():
        if name == LINES_HEADER:
            try:
                return max(int(value), 1)
            except (TypeError, ValueError):
                return 1
    return 1
