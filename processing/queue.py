"""One queue interface (processing/queue_interface.py), three backends: embedded (a local durable
SQLite queue, processing/embedded_queue.py), Kafka (processing/kafka_queue.py) and Redis Streams
(processing/redis_queue.py).

Ingest calls `get_producer().publish(...)`: when it returns, the messages are durable.
Processors call `get_consumer()`: poll, then commit what was written, or dead-letter
what can never be.
"""

import atexit
import threading

from django.conf import settings

from processing.queue_interface import Consumer, Message, Producer, QueueUnavailable

__all__ = ["Consumer", "Message", "Producer", "QueueUnavailable", "get_consumer", "get_producer", "set_producer",
           "reset_producer"]


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
            elif settings.DEVLOGS_QUEUE == "redis":
                from processing.redis_queue import RedisProducer

                _producer = RedisProducer(settings)
            else:
                from processing.embedded_queue import EmbeddedQueue

                _producer = EmbeddedQueue(settings.DEVLOGS_QUEUE_PATH)
            atexit.register(reset_producer)  # flush what is in flight on shutdown
        return _producer


def get_consumer() -> Consumer:
    """A new consumer of the configured backend; Kafka and Redis consumers join the processors' group."""
    if settings.DEVLOGS_QUEUE == "kafka":
        from processing.kafka_queue import KafkaConsumer

        return KafkaConsumer(settings)
    if settings.DEVLOGS_QUEUE == "redis":
        from processing.redis_queue import RedisConsumer

        return RedisConsumer(settings)
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
