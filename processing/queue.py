"""One queue interface, two backends: embedded (a local durable SQLite queue) and Kafka.

Ingest calls `get_producer().publish(...)`: when it returns, the messages are durable.
Processors call `get_consumer()`: poll, then commit what was written, or dead-letter
what can never be.
"""

import abc
import atexit
import threading
from dataclasses import dataclass
from typing import Any

from django.conf import settings


class QueueUnavailable(Exception):
    """The queue could not take the messages durably; nothing may be reported as accepted."""


@dataclass
class Message:
    key: str
    value: bytes
    lines: int
    handle: Any = None  # backend's reference, used by commit and dead_letter


class Producer(abc.ABC):
    @abc.abstractmethod
    def publish(self, key: str, values: list[bytes], lines: list[int]) -> None:
        """Durably queue `values` under `key`; raise QueueUnavailable when that cannot be done."""

    def close(self) -> None:
        """Flush and release resources."""


class Consumer(abc.ABC):
    @abc.abstractmethod
    def poll(self, *, max_lines: int, timeout: float) -> list[Message]:
        """Up to about `max_lines` lines of messages, waiting at most `timeout` seconds for the first."""

    @abc.abstractmethod
    def commit(self, messages: list[Message]) -> None:
        """The messages are stored: never deliver them again."""

    @abc.abstractmethod
    def dead_letter(self, message: Message, error: str) -> None:
        """Set aside a message that can never be processed, with the reason."""

    def close(self) -> None:
        """Release resources; uncommitted messages will be delivered again."""


_producer: Producer | None = None
_producer_lock = threading.Lock()


def get_producer() -> Producer:
    """The process-wide producer of the configured backend (it batches across requests)."""
    global _producer
    if _producer is not None:
        return _producer
    # Concurrent first requests (request threads) must share one producer, not make one each.
    with _producer_lock:
        if _producer is None:
            if settings.DEVLOGS_QUEUE == "kafka":
                from processing.kafka_queue import KafkaProducer

                _producer = KafkaProducer(settings)
            else:
                from processing.embedded_queue import EmbeddedQueue

                _producer = EmbeddedQueue(settings.DEVLOGS_QUEUE_PATH)
            atexit.register(reset_producer)  # flush what is in flight on shutdown
        return _producer


def get_consumer() -> Consumer:
    """A new consumer of the configured backend; Kafka consumers join the processors' group."""
    if settings.DEVLOGS_QUEUE == "kafka":
        from processing.kafka_queue import KafkaConsumer

        return KafkaConsumer(settings)
    from processing.embedded_queue import EmbeddedQueue

    return EmbeddedQueue(settings.DEVLOGS_QUEUE_PATH,
                         visibility_seconds=settings.DEVLOGS_QUEUE_VISIBILITY_SECONDS)


def set_producer(producer: Producer) -> None:
    """Make `producer` the process-wide one (the embedded server's direct writer)."""
    global _producer
    with _producer_lock:
        if _producer is not None:
            _producer.close()
        _producer = producer
        atexit.register(reset_producer)


def reset_producer() -> None:
    """Forget the process-wide producer (tests, settings changes)."""
    global _producer
    if _producer is not None:
        _producer.close()
    _producer = None
